/// Where a webhook's deliveries are shaped for (docs/API.md §8).
public enum WebhookFormat: String, Sendable, CaseIterable, Hashable {
    /// Versioner's own JSON object.
    case versioner
    /// A Slack incoming-webhook message.
    case slack
}

/// A receiver told about accepted events as they happen (docs/API.md §8).
///
/// Its secret signs each delivery, so it is kept as given (unlike an API key's, which only
/// needs to be recognised) and never answered.
public struct Webhook: Hashable, Sendable {
    public var id: EntityID
    public var name: String
    /// An `http` or `https` URL.
    public var url: String
    /// Event types (`deployment.completed`) and patterns (`deployment.*`, `*`) it is sent.
    public var events: [String]
    /// Product names it covers; empty covers every product.
    public var products: [String]
    /// Environment names it covers; empty covers every environment (and builds).
    public var environments: [String]
    /// The key of each delivery's `X-Versioner-Signature`; nil sends deliveries unsigned.
    public var secret: String?
    public var format: WebhookFormat
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(id: EntityID, name: String, url: String, events: [String], products: [String] = [],
                environments: [String] = [], secret: String? = nil, format: WebhookFormat = .versioner,
                createdAt: Timestamp, updatedAt: Timestamp) {
        self.id = id
        self.name = name
        self.url = url
        self.events = events
        self.products = products
        self.environments = environments
        self.secret = secret
        self.format = format
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Every event type an event can have, in the order lists show them.
    public static let eventTypes: [String] =
        Status.allCases.map { "deployment." + $0.rawValue } + [LoggedEvent.preflightFailedType]
        + Status.allCases.map { "build." + $0.rawValue }

    /// The patterns that match several types: every event, or every event of a kind.
    public static let wildcards = ["*", "deployment.*", "build.*"]

    /// Whether `pattern` selects `type`.
    static func pattern(_ pattern: String, matches type: String) -> Bool {
        if pattern == "*" || pattern == type { return true }
        guard pattern.hasSuffix(".*") else { return false }
        return type.hasPrefix(pattern.dropLast())
    }

    /// Whether an accepted event is one this webhook is sent; `type` is the event's ``LoggedEvent/eventType``.
    public func accepts(_ event: LoggedEvent, type: String? = nil) -> Bool {
        let type = type ?? event.eventType
        guard events.contains(where: { Self.pattern($0, matches: type) }) else { return false }
        if !products.isEmpty, !products.contains(event.productName) { return false }
        if !environments.isEmpty {
            guard let environment = event.environmentName, environments.contains(environment) else { return false }
        }
        return true
    }
}

// MARK: JSON

extension Webhook {
    /// The webhook as answers show it: the secret only as whether there is one.
    public var json: JSONValue {
        .object([
            JSONMember("id", .string(id.description)),
            JSONMember("name", .string(name)),
            JSONMember("url", .string(url)),
            JSONMember("events", .array(events.map(JSONValue.string))),
            JSONMember("products", .array(products.map(JSONValue.string))),
            JSONMember("environments", .array(environments.map(JSONValue.string))),
            JSONMember("format", .string(format.rawValue)),
            JSONMember("has_secret", .bool(secret != nil)),
            JSONMember("created_at", .string(createdAt.rfc3339)),
            JSONMember("updated_at", .string(updatedAt.rfc3339)),
        ])
    }

    /// Validates a `POST /webhooks/` body into a new webhook, reporting every problem at once.
    public static func validate(_ body: [JSONMember], id: EntityID, at time: Timestamp) -> Result<Webhook, ValidationFailure> {
        var reader = FieldReader(body)
        // A new API: no client sends numbers for its strings.
        let name = reader.requiredString("name", maxLength: 255, strict: true)
        let url = reader.requiredString("url", maxLength: 2_048, strict: true)
        let events = reader.names("events", maxLength: 100)
        let products = reader.names("products", maxLength: 255)
        let environments = reader.names("environments", maxLength: 100)
        let secret = reader.optionalString("secret", maxLength: 255, strict: true)
        let format = reader.word("format", WebhookFormat.allCases.map(\.rawValue), required: false)
        var errors = reader.errors
        if !url.isEmpty, WebhookURL(url) == nil { errors.append(FieldError(["body", "url"], .notHTTPURL)) }
        if !reader.has("events") || events.isEmpty, !errors.contains(where: { $0.location == ["body", "events"] }) {
            errors.append(FieldError(["body", "events"], .missing))
        }
        for (index, pattern) in events.enumerated()
        where !Self.eventTypes.contains(where: { Self.pattern(pattern, matches: $0) }) {
            errors.append(FieldError(["body", "events", String(index)], .notOneOf(Self.wildcards + Self.eventTypes)))
        }
        guard errors.isEmpty else { return .failure(ValidationFailure(errors)) }
        return .success(Webhook(id: id, name: name, url: url, events: events, products: products, environments: environments,
                                secret: secret, format: format.flatMap(WebhookFormat.init(rawValue:)) ?? .versioner,
                                createdAt: time, updatedAt: time))
    }

    /// Validates a `PATCH /webhooks/{id}` body: the members it sends replace the webhook's (a
    /// `secret` of null removes it; one left out keeps it), and the result must be valid.
    public func patched(with body: [JSONMember], at time: Timestamp) -> Result<Webhook, ValidationFailure> {
        guard case .object(var members) = json else { return .success(self) }
        members.removeAll { $0.key == "has_secret" }
        if let secret { members.append(JSONMember("secret", .string(secret))) }
        for member in body where !["id", "created_at", "updated_at", "has_secret"].contains(member.key) {
            members.removeAll { $0.key == member.key }
            members.append(member)
        }
        return Self.validate(members, id: id, at: createdAt).map { webhook in
            var webhook = webhook
            webhook.updatedAt = max(time, updatedAt)
            return webhook
        }
    }
}

/// An `http` or `https` URL with a host, split into what a sender needs.
public struct WebhookURL: Hashable, Sendable {
    public var isHTTPS: Bool
    /// The host as written (an IPv6 literal without its brackets).
    public var host: String
    public var port: Int

    public init?(_ text: String) {
        let lowered = text.asciiLowercased()
        let rest: Substring
        if lowered.hasPrefix("https://") {
            (isHTTPS, rest) = (true, text.dropFirst(8))
        } else if lowered.hasPrefix("http://") {
            (isHTTPS, rest) = (false, text.dropFirst(7))
        } else {
            return nil
        }
        guard Self.isURIText(text) else { return nil }
        var authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        // Credentials in the URL would be sent to the receiver: refused rather than kept.
        guard !authority.contains("@") else { return nil }
        var port: Int?
        let isBracketed = authority.hasPrefix("[")
        if isBracketed {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let number = Int(after.dropFirst()) else { return nil }
                port = number
            }
            authority = authority[authority.index(after: authority.startIndex)..<close]
        } else if let colon = authority.lastIndex(of: ":") {
            guard let number = Int(authority[authority.index(after: colon)...]) else { return nil }
            port = number
            authority = authority[..<colon]
        }
        guard !authority.isEmpty, (port ?? 1).isValidPort else { return nil }
        let hostCharacters = isBracketed ? "0123456789abcdefABCDEF:." : "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~"
        guard authority.allSatisfy({ hostCharacters.contains($0) }) else { return nil }
        host = String(authority)
        self.port = port ?? (isHTTPS ? 443 : 80)
    }

    /// Only the characters RFC 3986 allows in a URI, and `%` only before two hex digits.
    private static func isURIText(_ text: String) -> Bool {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~:/?#[]@!$&'()*+,;=%")
        let characters = Array(text)
        for (index, character) in characters.enumerated() {
            guard allowed.contains(character) else { return false }
            if character == "%" {
                guard index + 2 < characters.count, characters[index + 1].isHexDigit, characters[index + 2].isHexDigit else { return false }
            }
        }
        return true
    }
}

extension Int {
    fileprivate var isValidPort: Bool { (1...65_535).contains(self) }
}
