/// A rule's JSON shape (docs/API.md §7), declared once: answers are written from it, and a
/// `PATCH` is the rule's shape with the patch's members laid over it, validated as a whole.
extension DeploymentRule {
    /// The rule as a JSON object, in the order answers show it.
    public var json: JSONValue {
        var members: [JSONMember] = [
            JSONMember("id", .string(id.description)),
            JSONMember("name", .string(name)),
            JSONMember("type", .string(kind.typeName)),
            JSONMember("mode", .string(mode.rawValue)),
            JSONMember("products", .array(products.map(JSONValue.string))),
            JSONMember("environments", .array(environments.map(JSONValue.string))),
            JSONMember("environment_types", .array(environmentTypes.map { .string($0.rawValue) })),
            JSONMember("allow_skip", .bool(allowSkip)),
        ]
        switch kind {
        case .schedule(let schedule):
            members.append(JSONMember("schedule", .object([
                JSONMember("timezone", .string(schedule.timeZone)),
                JSONMember("reason", schedule.reason.map(JSONValue.string) ?? .null),
                JSONMember("windows", .array(schedule.windows.map(\.json))),
            ])))
        case .flow(let flow):
            members.append(JSONMember("flow", .object([
                JSONMember("prerequisites", .array(flow.prerequisites.map(JSONValue.string))),
                JSONMember("soak_minutes", .number(String(flow.soakMinutes))),
            ])))
        case .concurrency(let maxInProgress):
            members.append(JSONMember("concurrency", .object([JSONMember("max_in_progress", .number(String(maxInProgress)))])))
        case .approval(let required):
            members.append(JSONMember("approval", .object([JSONMember("required_approvals", .number(String(required)))])))
        }
        members.append(JSONMember("created_at", .string(createdAt.rfc3339)))
        members.append(JSONMember("updated_at", .string(updatedAt.rfc3339)))
        return .object(members)
    }

    /// Validates a `POST /deployment-rules/` body into a new rule, reporting every problem at once.
    public static func validate(_ body: [JSONMember], id: EntityID, at time: Timestamp) -> Result<DeploymentRule, ValidationFailure> {
        var reader = RuleReader(body)
        return reader.rule(id: id, createdAt: time, updatedAt: time)
    }

    /// Validates a `PATCH /deployment-rules/{id}` body: the members it sends replace the rule's,
    /// and the result must be a valid rule.
    public func patched(with body: [JSONMember], at time: Timestamp) -> Result<DeploymentRule, ValidationFailure> {
        guard case .object(var members) = json else { return .success(self) }
        for member in body where !["id", "created_at", "updated_at"].contains(member.key) {
            members.removeAll { $0.key == member.key }
            members.append(member)
        }
        var reader = RuleReader(members)
        return reader.rule(id: id, createdAt: createdAt, updatedAt: max(time, updatedAt))
    }
}

extension RuleWindow {
    var json: JSONValue {
        switch self {
        case .weekly(let days, let start, let end):
            .object([JSONMember("days", .array(days.map { .string($0.name) })),
                     JSONMember("start", .string(Self.clock(start))), JSONMember("end", .string(Self.clock(end)))])
        case .oneOff(let from, let to):
            .object([JSONMember("from", .string(from.rfc3339)), JSONMember("to", .string(to.rfc3339))])
        }
    }

    /// `HH:MM` of minutes after midnight.
    public static func clock(_ minutes: Int) -> String {
        let (hours, rest) = (minutes / 60, minutes % 60)
        return (hours < 10 ? "0" : "") + String(hours) + ":" + (rest < 10 ? "0" : "") + String(rest)
    }

    /// Minutes after midnight of `HH:MM` (00:00 to 23:59); nil otherwise.
    static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let hours = Int(parts[0]), let minutes = Int(parts[1]), hours < 24, minutes < 60 else { return nil }
        return hours * 60 + minutes
    }
}

/// Reads a rule out of a JSON object, collecting every problem with its location.
private struct RuleReader {
    private var fields: FieldReader
    private let members: [String: JSONValue]
    private var errors: [FieldError] = []

    init(_ body: [JSONMember]) {
        fields = FieldReader(body)
        var byKey: [String: JSONValue] = [:]
        for member in body { byKey[member.key] = member.value }
        members = byKey
    }

    mutating func rule(id: EntityID, createdAt: Timestamp, updatedAt: Timestamp) -> Result<DeploymentRule, ValidationFailure> {
        let name = fields.requiredString("name", maxLength: 255)
        let typeName = word("type", RuleKind.typeNames, required: true)
        let mode = word("mode", RuleMode.allCases.map(\.rawValue), required: false).flatMap(RuleMode.init(rawValue:)) ?? .enabled
        let products = names(["body", "products"], maxLength: 255)
        let environments = names(["body", "environments"], maxLength: 100)
        let types = names(["body", "environment_types"], maxLength: 20).compactMap { word -> EnvironmentType? in
            if let type = EnvironmentType(rawValue: word) { return type }
            errors.append(FieldError(["body", "environment_types"], .notOneOf(EnvironmentType.allCases.map(\.rawValue))))
            return nil
        }
        let allowSkip = fields.optionalBool("allow_skip") ?? true
        // The object of the rule's type is its settings; one of another type, when sent, must be
        // valid too (a body is either right or refused, never partly ignored).
        var kind: RuleKind?
        for name in RuleKind.typeNames where name == typeName || (members[name] != nil && members[name] != .null) {
            let location = ["body", name]
            guard let settings = object(location, members[name]) else { continue }
            let read: RuleKind? = switch name {
            case "schedule": schedule(settings, at: location).map(RuleKind.schedule)
            case "flow": flow(settings, at: location, ruleEnvironments: environments).map(RuleKind.flow)
            case "concurrency":
                integer(settings, "max_in_progress", at: location, in: 1...1000).map { .concurrency(maxInProgress: $0) }
            default:
                integer(settings, "required_approvals", at: location, in: 1...100).map { .approval(requiredApprovals: $0) }
            }
            if name == typeName { kind = read }
        }
        let all = fields.errors + errors
        guard all.isEmpty, let kind else { return .failure(ValidationFailure(all)) }
        return .success(DeploymentRule(id: id, name: name, kind: kind, mode: mode, products: products,
                                       environments: environments, environmentTypes: types, allowSkip: allowSkip,
                                       createdAt: createdAt, updatedAt: updatedAt))
    }

    private mutating func word(_ name: String, _ accepted: [String], required: Bool) -> String? {
        fields.word(name, accepted, required: required)
    }

    /// A list of non-empty names at `location` (absent or null: empty).
    private mutating func names(_ location: [String], maxLength: Int, value: JSONValue?? = nil) -> [String] {
        FieldReader.names(value ?? members[location[1]], at: location, maxLength: maxLength, errors: &errors)
    }

    private mutating func object(_ location: [String], _ value: JSONValue?) -> [String: JSONValue]? {
        switch value {
        case .object(let members)?:
            var byKey: [String: JSONValue] = [:]
            for member in members { byKey[member.key] = member.value }
            return byKey
        case nil, .null?:
            errors.append(FieldError(location, .missing))
        default:
            errors.append(FieldError(location, .notObject))
        }
        return nil
    }

    private mutating func integer(_ settings: [String: JSONValue], _ name: String, at location: [String],
                                  in range: ClosedRange<Int>, default fallback: Int? = nil) -> Int? {
        switch settings[name] {
        case nil, .null?:
            if let fallback { return fallback }
            errors.append(FieldError(location + [name], .missing))
        case .number(let literal)? where Int(literal).map(range.contains) == true:
            return Int(literal)
        default:
            errors.append(FieldError(location + [name], .notInteger(minimum: range.lowerBound, maximum: range.upperBound)))
        }
        return nil
    }

    private mutating func schedule(_ settings: [String: JSONValue], at location: [String]) -> ScheduleRule? {
        var timeZone: String?
        switch settings["timezone"] {
        case .string(let zone)? where InsightsWindow.isKnownTimeZone(zone): timeZone = zone
        case nil, .null?: errors.append(FieldError(location + ["timezone"], .missing))
        default: errors.append(FieldError(location + ["timezone"], .unknownTimeZone))
        }
        var reason: String?
        switch settings["reason"] {
        case nil, .null?: break
        case .string(let text)? where text.unicodeScalars.count <= 500: reason = text.isEmpty ? nil : text
        case .string?: errors.append(FieldError(location + ["reason"], .tooLong(limit: 500)))
        default: errors.append(FieldError(location + ["reason"], .notString))
        }
        var windows: [RuleWindow] = []
        switch settings["windows"] {
        case .array(let elements)? where !elements.isEmpty:
            for (index, element) in elements.enumerated() {
                if let window = window(element, at: location + ["windows", String(index)]) { windows.append(window) }
            }
        case nil, .null?, .array?: errors.append(FieldError(location + ["windows"], .missing))
        default: errors.append(FieldError(location + ["windows"], .notList))
        }
        guard let timeZone, windows.count == settings["windows"]?.arrayValue?.count else { return nil }
        return ScheduleRule(timeZone: timeZone, reason: reason, windows: windows)
    }

    private mutating func window(_ value: JSONValue, at location: [String]) -> RuleWindow? {
        guard let settings = object(location, value) else { return nil }
        if settings["from"] != nil || settings["to"] != nil {
            let from = instant(settings["from"], at: location + ["from"])
            let to = instant(settings["to"], at: location + ["to"])
            guard let from, let to else { return nil }
            guard from < to else {
                errors.append(FieldError(location + ["to"], .emptyWindow))
                return nil
            }
            return .oneOff(from: from, to: to)
        }
        let start = clock(settings["start"], at: location + ["start"])
        let end = clock(settings["end"], at: location + ["end"])
        var days: [Weekday] = []
        for name in names(location + ["days"], maxLength: 20, value: .some(settings["days"])) {
            if let day = Weekday(name: name) {
                if !days.contains(day) { days.append(day) }
            } else {
                errors.append(FieldError(location + ["days"], .notOneOf(Weekday.allCases.map(\.name))))
            }
        }
        guard let start, let end else { return nil }
        return .weekly(days: days.sorted { $0.rawValue < $1.rawValue }, start: start, end: end)
    }

    private mutating func clock(_ value: JSONValue?, at location: [String]) -> Int? {
        switch value {
        case .string(let text)?:
            if let minutes = RuleWindow.minutes(text) { return minutes }
            errors.append(FieldError(location, .notClockTime))
        case nil, .null?: errors.append(FieldError(location, .missing))
        default: errors.append(FieldError(location, .notClockTime))
        }
        return nil
    }

    private mutating func instant(_ value: JSONValue?, at location: [String]) -> Timestamp? {
        switch value {
        case .string(let text)?:
            if let time = Timestamp(rfc3339: text) { return time }
            errors.append(FieldError(location, .notDateTime))
        case nil, .null?: errors.append(FieldError(location, .missing))
        default: errors.append(FieldError(location, .notDateTime))
        }
        return nil
    }

    private mutating func flow(_ settings: [String: JSONValue], at location: [String], ruleEnvironments: [String]) -> FlowRule? {
        let problems = errors.count
        let prerequisites = names(location + ["prerequisites"], maxLength: 100, value: .some(settings["prerequisites"]))
        if prerequisites.isEmpty, errors.count == problems { errors.append(FieldError(location + ["prerequisites"], .missing)) }
        for (index, name) in prerequisites.enumerated() where ruleEnvironments.contains(name) {
            errors.append(FieldError(location + ["prerequisites", String(index)], .prerequisiteInScope(name)))
        }
        let soak = integer(settings, "soak_minutes", at: location, in: 0...525_600, default: 0)
        guard !prerequisites.isEmpty, let soak else { return nil }
        return FlowRule(prerequisites: prerequisites, soakMinutes: soak)
    }
}

/// A validated `POST /versions/{id}/approvals` body.
public struct NewApproval: Hashable, Sendable {
    public var environment: String
    public var comment: String?

    public init(environment: String, comment: String? = nil) {
        self.environment = environment
        self.comment = comment
    }

    public static func validate(_ body: [JSONMember]) -> Result<NewApproval, ValidationFailure> {
        var fields = FieldReader(body)
        let approval = NewApproval(environment: fields.requiredString("environment", maxLength: 100),
                                   comment: fields.optionalString("comment", maxLength: 2000))
        return fields.errors.isEmpty ? .success(approval) : .failure(ValidationFailure(fields.errors))
    }
}

/// A validated `POST /preflight/` body: the deployment to try.
public struct PreflightQuestion: Hashable, Sendable {
    public var productName: String
    public var version: String
    public var environmentName: String

    public init(productName: String, version: String, environmentName: String) {
        self.productName = productName
        self.version = version
        self.environmentName = environmentName
    }

    public static func validate(_ body: [JSONMember]) -> Result<PreflightQuestion, ValidationFailure> {
        var fields = FieldReader(body)
        let question = PreflightQuestion(productName: fields.requiredString("product_name", maxLength: 255),
                                         version: fields.requiredString("version", maxLength: 100),
                                         environmentName: fields.requiredString("environment_name", maxLength: 100))
        return fields.errors.isEmpty ? .success(question) : .failure(ValidationFailure(fields.errors))
    }
}
