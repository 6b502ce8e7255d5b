/// One invalid field of a request, in the shape the original service reported (pydantic style).
public struct FieldError: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        /// Absent, null, or an empty or white-space-only required string.
        case missing
        /// Longer than `limit` Unicode scalars (or bytes, for serialised metadata).
        case tooLong(limit: Int)
        case notString
        case notBool
        case notObject
        case notDateTime
        /// A status word that is not one of ``Status/acceptedWords``.
        case unknownStatus
        /// An integer query parameter out of its range or not a number.
        case notInteger(minimum: Int, maximum: Int)
        /// A value that must be one of a fixed set of words.
        case notOneOf([String])
        case invalidCursor
        case notUUID
        /// Not a time zone of the IANA database.
        case unknownTimeZone
        /// `since` after `until`.
        case windowOrder
        /// A window cut into more buckets than `limit`.
        case tooManyBuckets(limit: Int)
        /// Not a JSON array.
        case notList
        /// Not a wall-clock time `HH:MM` from 00:00 to 23:59.
        case notClockTime
        /// A one-off window whose end is not after its start.
        case emptyWindow
        /// A flow prerequisite that is also an environment the rule covers: it could never be met.
        case prerequisiteInScope(String)
        /// An instant asked about that has not come yet.
        case inFuture
        /// A line of an import that is not JSON.
        case notJSON
        /// A build's SHA that differs from the one its version has (or is given earlier in the same import).
        case shaConflict
        /// Not an `http` or `https` URL with a host (and no credentials).
        case notHTTPURL
        /// A URL whose host is a loopback, private or link-local address.
        case privateAddress
    }

    /// Where the field is: `["body", "product_name"]`, `["query", "limit"]`, `["path", "id"]`.
    public var location: [String]
    public var kind: Kind

    public init(_ location: [String], _ kind: Kind) {
        self.location = location
        self.kind = kind
    }

    /// The machine-readable error type, as the original service named it.
    public var type: String {
        switch kind {
        case .missing: return "value_error.missing"
        case .tooLong: return "value_error.any_str.max_length"
        case .notString: return "type_error.str"
        case .notBool: return "type_error.bool"
        case .notObject: return "type_error.dict"
        case .notDateTime: return "value_error.datetime"
        case .unknownStatus: return "value_error.status"
        case .notInteger: return "type_error.integer"
        case .notOneOf: return "type_error.enum"
        case .invalidCursor: return "value_error.cursor"
        case .notUUID: return "type_error.uuid"
        case .unknownTimeZone: return "value_error.time_zone"
        case .windowOrder: return "value_error.window"
        case .tooManyBuckets: return "value_error.window.too_long"
        case .notList: return "type_error.list"
        case .notClockTime: return "value_error.time"
        case .emptyWindow: return "value_error.window"
        case .prerequisiteInScope: return "value_error.flow.prerequisite"
        case .inFuture: return "value_error.datetime.future"
        case .notJSON: return "value_error.json"
        case .shaConflict: return "value_error.sha_conflict"
        case .notHTTPURL: return "value_error.url.scheme"
        case .privateAddress: return "value_error.url.private"
        }
    }

    /// A sentence for people.
    public var message: String {
        switch kind {
        case .missing: return "field required"
        case .tooLong(let limit): return "ensure this value has at most \(limit) characters"
        case .notString: return "str type expected"
        case .notBool: return "value could not be parsed to a boolean"
        case .notObject: return "value is not a valid dict"
        case .notDateTime: return "invalid datetime format: expected RFC 3339 with a time zone, e.g. 2026-11-25T18:48:33.948633Z"
        case .unknownStatus:
            return "invalid status; accepted values: " + Status.acceptedWords.joined(separator: ", ")
        case .notInteger(let minimum, let maximum):
            return "value is not a valid integer between \(minimum) and \(maximum)"
        case .notOneOf(let words):
            return "value is not a valid enumeration member; permitted: " + words.joined(separator: ", ")
        case .invalidCursor: return "invalid cursor"
        case .notUUID: return "value is not a valid uuid"
        case .unknownTimeZone: return "unknown time zone: expected an IANA name such as Europe/Berlin"
        case .windowOrder: return "since must not be after until"
        case .tooManyBuckets(let limit):
            return "the window spans more than \(limit) buckets of this interval (at most three years of days)"
        case .notList: return "value is not a valid list"
        case .notClockTime: return "invalid time: expected HH:MM from 00:00 to 23:59"
        case .emptyWindow: return "the window must end after it starts"
        case .prerequisiteInScope(let name):
            return "prerequisite \(name) is an environment this rule covers: a deployment there could never meet it"
        case .inFuture: return "the instant lies in the future: history is known up to now"
        case .notJSON: return "invalid JSON: expected one object on the line"
        case .shaConflict: return "the version already has another scm_sha"
        case .notHTTPURL: return "invalid URL: expected http:// or https:// with a host, and no user name or password in it"
        case .privateAddress:
            return "the URL's host is a loopback, private or link-local address; the server must be started with --webhook-allow-private to send there"
        }
    }

    /// The limit of a `tooLong` error, reported as `ctx.limit_value`.
    public var limitValue: Int? {
        if case .tooLong(let limit) = kind { return limit }
        return nil
    }
}

/// A request rejected because one or more of its fields are invalid; lists all of them.
public struct ValidationFailure: Error, Hashable, Sendable {
    public var errors: [FieldError]

    public init(_ errors: [FieldError]) {
        self.errors = errors
    }
}

/// Reads typed fields out of a JSON object, collecting every problem instead of stopping at the first.
public struct FieldReader {
    /// The most bytes `extra_metadata` (or another metadata object) may take, serialised.
    public static let maximumMetadataBytes = 100 * 1024

    private let members: [String: JSONValue]
    private let location: String
    public private(set) var errors: [FieldError] = []

    public init(_ members: [JSONMember], location: String = "body") {
        var byKey: [String: JSONValue] = [:]
        byKey.reserveCapacity(members.count)
        for member in members { byKey[member.key] = member.value }
        self.members = byKey
        self.location = location
    }

    /// True when the field is present with any value, null included.
    public func has(_ name: String) -> Bool { members[name] != nil }

    private mutating func fail(_ name: String, _ kind: FieldError.Kind) {
        errors.append(FieldError([location, name], kind))
    }

    /// A string field's text; numbers are taken as their literal text (clients drift) unless
    /// `strict`, other types fail.
    private mutating func text(_ name: String, strict: Bool = false) -> String?? {
        switch members[name] {
        case nil, .null?: return .some(nil)
        case .string(let s)?: return .some(s)
        case .number(let literal)? where !strict: return .some(literal)
        default:
            fail(name, .notString)
            return nil
        }
    }

    /// A required string: missing, null, empty and white-space-only all fail; with `strict`, so
    /// does a number.
    public mutating func requiredString(_ name: String, maxLength: Int, strict: Bool = false) -> String {
        guard let value = text(name, strict: strict) else { return "" }
        guard let value, !value.isBlank else {
            fail(name, .missing)
            return ""
        }
        if value.unicodeScalars.count > maxLength { fail(name, .tooLong(limit: maxLength)) }
        return value
    }

    /// An optional string; absent, null and empty are all nil; with `strict`, a number fails.
    public mutating func optionalString(_ name: String, maxLength: Int, strict: Bool = false) -> String? {
        guard let value = text(name, strict: strict), let value, !value.isEmpty else { return nil }
        if value.unicodeScalars.count > maxLength { fail(name, .tooLong(limit: maxLength)) }
        return value
    }

    /// An optional string where an explicit null is kept apart from absence (for PATCH).
    /// Returns nil when absent, `.some(nil)` to clear.
    public mutating func patchString(_ name: String, maxLength: Int) -> String?? {
        guard has(name) else { return nil }
        guard let value = text(name) else { return nil }
        guard let value, !value.isEmpty else { return .some(nil) }
        if value.unicodeScalars.count > maxLength { fail(name, .tooLong(limit: maxLength)) }
        return .some(value)
    }

    /// An optional boolean; absent and null are nil.
    public mutating func optionalBool(_ name: String) -> Bool? {
        switch members[name] {
        case nil, .null?: return nil
        case .bool(let value)?: return value
        default:
            fail(name, .notBool)
            return nil
        }
    }

    /// An optional RFC 3339 date-time with a zone.
    public mutating func optionalTimestamp(_ name: String) -> Timestamp? {
        switch members[name] {
        case nil, .null?: return nil
        case .string(let s)? where s.isEmpty: return nil
        case .string(let s)?:
            if let timestamp = Timestamp(rfc3339: s) { return timestamp }
            fail(name, .notDateTime)
            return nil
        default:
            fail(name, .notDateTime)
            return nil
        }
    }

    /// An optional JSON object of at most ``maximumMetadataBytes`` serialised.
    public mutating func optionalObject(_ name: String) -> RawJSONObject? {
        switch members[name] {
        case nil, .null?: return nil
        case .object(let members)?:
            let object = RawJSONObject(members: members)
            if object.byteCount > Self.maximumMetadataBytes {
                fail(name, .tooLong(limit: Self.maximumMetadataBytes))
                return nil
            }
            return object
        default:
            fail(name, .notObject)
            return nil
        }
    }

    /// One of `accepted`; nil (with an error when required or wrong) otherwise.
    public mutating func word(_ name: String, _ accepted: [String], required: Bool) -> String? {
        switch members[name] {
        case nil, .null?:
            if required { fail(name, .missing) }
            return nil
        case .string(let word)? where accepted.contains(word):
            return word
        default:
            fail(name, .notOneOf(accepted))
            return nil
        }
    }

    /// A list of distinct non-empty names (absent or null: empty).
    public mutating func names(_ name: String, maxLength: Int) -> [String] {
        Self.names(members[name], at: [location, name], maxLength: maxLength, errors: &errors)
    }

    /// The distinct non-empty names of `value`, a JSON array at `location` (absent or null: empty);
    /// each problem is added to `errors`.
    public static func names(_ value: JSONValue?, at location: [String], maxLength: Int, errors: inout [FieldError]) -> [String] {
        guard let value, value != .null else { return [] }
        guard case .array(let elements) = value else {
            errors.append(FieldError(location, .notList))
            return []
        }
        var names: [String] = []
        for (index, element) in elements.enumerated() {
            guard case .string(let name) = element, !name.isBlank else {
                errors.append(FieldError(location + [String(index)], element.stringValue == nil ? .notString : .missing))
                continue
            }
            if name.unicodeScalars.count > maxLength {
                errors.append(FieldError(location + [String(index)], .tooLong(limit: maxLength)))
            }
            if !names.contains(name) { names.append(name) }
        }
        return names
    }

    /// A status word, normalised; `defaultStatus` applies when absent (nil makes it required).
    public mutating func status(_ name: String, default defaultStatus: Status?) -> Status {
        let fallback = defaultStatus ?? .pending
        guard let raw = text(name) else { return fallback }
        guard let raw, !raw.isBlank else {
            if let defaultStatus { return defaultStatus }
            fail(name, .missing)
            return fallback
        }
        if raw.unicodeScalars.count > 50 {
            fail(name, .tooLong(limit: 50))
            return fallback
        }
        guard let status = Status(normalizing: raw) else {
            fail(name, .unknownStatus)
            return fallback
        }
        return status
    }
}
