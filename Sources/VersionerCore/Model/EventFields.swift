/// What one field of an event is: its name on the wire, what it holds, and whose it is.
///
/// Each kind of event declares its fields once, as the cases of an ``EventField`` enum with a
/// spec each; validation, the packed layout in memory, the journal and snapshot codecs and the
/// JSON answers are all derived from that declaration.
public struct FieldSpec: Sendable {
    public enum Kind: Sendable, Equatable {
        /// Text of at most `maxLength` characters (a JSON number is taken as its text).
        case text(maxLength: Int)
        /// A JSON object, kept as its compact text.
        case object
    }

    public enum Role: Sendable, Equatable {
        /// Names what the event is about (its product, version, environment): required, and not
        /// a field of the record the event makes.
        case subject
        /// A field of the record the event makes or updates (a deployment, a build): optional,
        /// and kept by the record.
        case record
    }

    /// The member name in request bodies and answers.
    public let name: String
    public let kind: Kind
    public let role: Role
    /// Another name the field is accepted under; it is checked too, and `name` wins when both are sent.
    public let alias: String?

    /// Both names, `name` first.
    public var names: [String] { [name] + (alias.map { [$0] } ?? []) }

    public static func subject(_ name: String, maxLength: Int) -> FieldSpec {
        FieldSpec(name: name, kind: .text(maxLength: maxLength), role: .subject, alias: nil)
    }

    public static func text(_ name: String, maxLength: Int, alias: String? = nil) -> FieldSpec {
        FieldSpec(name: name, kind: .text(maxLength: maxLength), role: .record, alias: alias)
    }

    public static func object(_ name: String) -> FieldSpec {
        FieldSpec(name: name, kind: .object, role: .record, alias: nil)
    }
}

/// The text fields of one kind of event, in their packed order: the case's raw value is its
/// field number in ``PackedStrings``, the journal and snapshots.
///
/// Subjects come first and a new field is appended at the end, so that a record written before
/// the field existed reads it as absent (``PackedStrings`` answers nil past its last field).
/// Status, `started_at` and `completed_at` are common to every kind and are not listed here.
public protocol EventField: CaseIterable, Hashable, Sendable, RawRepresentable
where RawValue == Int, AllCases == [Self] {
    var spec: FieldSpec { get }
    static var productName: Self { get }
    static var version: Self { get }
    /// What every kind carries for versions (their commit) and for correlating events.
    static var scmSha: Self { get }
    static var scmRepository: Self { get }
    static var scmBranch: Self { get }
    static var invokeID: Self { get }
    static var extraMetadata: Self { get }
    /// The status of an event that sends none; nil when `status` is required.
    static var defaultStatus: Status? { get }
    /// Boolean members an event may carry that are checked but not kept.
    static var flags: [String] { get }
}

extension EventField {
    // Validation and encoding run per request: they walk raw values rather than build
    // `allCases`, a new array on each call.

    /// The number of declared fields.
    public static var count: Int {
        var count = 0
        while Self(rawValue: count) != nil { count += 1 }
        return count
    }

    /// The field numbers of the fields the record keeps: every field after the subjects.
    public static var recordRange: Range<Int> {
        let count = count
        var first = 0
        while first < count, Self(rawValue: first)!.spec.role == .subject { first += 1 }
        return first..<count
    }

    /// The fields the record keeps, in order.
    public static var recordFields: [Self] { recordRange.map { Self(rawValue: $0)! } }
}

/// The fields of `POST /deployment-events/` (docs/API.md §3).
public enum DeploymentField: Int, EventField {
    case productName, version, environmentName
    case deployedBy, deployedByEmail, deployedByName, scmSha, scmRepository, scmBranch, deployURL, buildNumber,
         sourceSystem, invokeID, extraMetadata

    public var spec: FieldSpec {
        switch self {
        case .productName: .subject("product_name", maxLength: 255)
        case .version: .subject("version", maxLength: 100)
        case .environmentName: .subject("environment_name", maxLength: 100)
        case .deployedBy: .text("deployed_by", maxLength: 255)
        case .deployedByEmail: .text("deployed_by_email", maxLength: 255)
        case .deployedByName: .text("deployed_by_name", maxLength: 255)
        case .scmSha: .text("scm_sha", maxLength: 40)
        case .scmRepository: .text("scm_repository", maxLength: 500)
        case .scmBranch: .text("scm_branch", maxLength: 100)
        // The GitHub Action sends the run's URL as `build_url`.
        case .deployURL: .text("deploy_url", maxLength: 500, alias: "build_url")
        case .buildNumber: .text("build_number", maxLength: 100)
        case .sourceSystem: .text("source_system", maxLength: 50)
        case .invokeID: .text("invoke_id", maxLength: 255)
        case .extraMetadata: .object("extra_metadata")
        }
    }

    public static let defaultStatus: Status? = nil
    /// No deployment rule exists yet to skip, but a client that sends the flag must send a boolean.
    public static let flags = ["skip_preflight_checks"]
}

/// The fields of `POST /build-events/` (docs/API.md §3).
public enum BuildField: Int, EventField {
    case productName, version
    case buildNumber, buildURL, scmSha, scmBranch, scmRepository, builtBy, builtByEmail, builtByName, sourceSystem,
         invokeID, errorMessage, errorCode, extraMetadata

    public var spec: FieldSpec {
        switch self {
        case .productName: .subject("product_name", maxLength: 255)
        case .version: .subject("version", maxLength: 100)
        case .buildNumber: .text("build_number", maxLength: 100)
        case .buildURL: .text("build_url", maxLength: 500)
        case .scmSha: .text("scm_sha", maxLength: 40)
        case .scmBranch: .text("scm_branch", maxLength: 100)
        case .scmRepository: .text("scm_repository", maxLength: 500)
        case .builtBy: .text("built_by", maxLength: 255)
        case .builtByEmail: .text("built_by_email", maxLength: 255)
        case .builtByName: .text("built_by_name", maxLength: 255)
        case .sourceSystem: .text("source_system", maxLength: 50)
        case .invokeID: .text("invoke_id", maxLength: 255)
        case .errorMessage: .text("error_message", maxLength: 2000)
        case .errorCode: .text("error_code", maxLength: 100)
        case .extraMetadata: .object("extra_metadata")
        }
    }

    public static let defaultStatus: Status? = .completed
    public static let flags: [String] = []
}

/// Status, times and packed text fields of one event or record of `Field`'s kind: the storage
/// that ``EventInput`` and ``RecordDetails`` share.
struct FieldValues<Field: EventField>: Hashable, Sendable {
    var status: Status
    /// Which of the first 32 fields `text` holds, derived from it: an absent field is answered
    /// without reading the text buffer, a cache miss per record when a query reads a field of
    /// every record of a large state. (Kept in the padding after `status`: no larger.)
    private var present: UInt32
    private var started: PackedTimestamp
    private var completed: PackedTimestamp
    var text: PackedStrings { didSet { present = text.presentFields } }

    init(status: Status, startedAt: Timestamp?, completedAt: Timestamp?, text: PackedStrings) {
        self.status = status
        self.present = text.presentFields
        self.started = PackedTimestamp(startedAt)
        self.completed = PackedTimestamp(completedAt)
        self.text = text
    }

    init(status: Status, startedAt: Timestamp?, completedAt: Timestamp?, fields: [Field: String?],
         setting extra: KeyValuePairs<Field, String?> = [:]) {
        var text = [String?](repeating: nil, count: Field.count)
        for (field, value) in fields { text[field.rawValue] = value }
        for (field, value) in extra { text[field.rawValue] = value }
        self.init(status: status, startedAt: startedAt, completedAt: completedAt, text: text)
    }

    /// Fields given by field number (`text.count` of them at most).
    init(status: Status, startedAt: Timestamp?, completedAt: Timestamp?, text: [String?]) {
        var text = text  // copied only when a value changes
        for index in text.indices where text[index] != nil && Self.normalized(text[index], of: Field(rawValue: index)!) == nil {
            text[index] = nil
        }
        self.init(status: status, startedAt: startedAt, completedAt: completedAt, text: PackedStrings(text))
    }

    var startedAt: Timestamp? { get { started.value } set { started = PackedTimestamp(newValue) } }
    var completedAt: Timestamp? { get { completed.value } set { completed = PackedTimestamp(newValue) } }

    /// Whether `field` is present, read from the text buffer only for fields past the 32nd.
    func contains(_ field: Field) -> Bool {
        field.rawValue < 32 ? present & 1 << field.rawValue != 0 : text.contains(field.rawValue)
    }

    subscript(field: Field) -> String? {
        get { contains(field) ? text[field.rawValue] : nil }
        set { text[field.rawValue] = Self.normalized(newValue, of: field) }
    }

    var extraMetadata: RawJSONObject? {
        get { self[.extraMetadata].map(RawJSONObject.init(serializedText:)) }
        set { self[.extraMetadata] = newValue?.text }
    }

    /// An empty object is kept as absent: `{}` and no metadata mean the same, and compare equal.
    private static func normalized(_ value: String?, of field: Field) -> String? {
        field.spec.kind == .object && value == RawJSONObject.empty.text ? nil : value
    }
}

/// A validated event, as a client sent it (docs/API.md §3): what it is about (its subjects) and
/// the fields it sets. A record made by the event shares its text buffer (see ``RecordDetails``).
public struct EventInput<Field: EventField>: Hashable, Sendable {
    var values: FieldValues<Field>

    /// An event with these fields (absent where `fields` has none).
    public init(status: Status, startedAt: Timestamp? = nil, completedAt: Timestamp? = nil,
                _ fields: [Field: String?] = [:]) {
        values = FieldValues(status: status, startedAt: startedAt, completedAt: completedAt, fields: fields)
    }

    /// An event read back from its packed text (``PackedStrings/init(validating:)``); nil when the
    /// text has more fields than `Field` declares or lacks a subject.
    public init?(status: Status, startedAt: Timestamp?, completedAt: Timestamp?, text: PackedStrings) {
        guard text.fieldCount <= Field.count, (0..<Field.recordRange.lowerBound).allSatisfy(text.contains) else { return nil }
        values = FieldValues(status: status, startedAt: startedAt, completedAt: completedAt, text: text)
    }

    public var status: Status { get { values.status } set { values.status = newValue } }
    public var startedAt: Timestamp? { get { values.startedAt } set { values.startedAt = newValue } }
    public var completedAt: Timestamp? { get { values.completedAt } set { values.completedAt = newValue } }
    public subscript(field: Field) -> String? { get { values[field] } set { values[field] = newValue } }
    public var extraMetadata: RawJSONObject? { get { values.extraMetadata } set { values.extraMetadata = newValue } }
    /// The packed fields, in ``EventField`` order (what the journal stores).
    public var text: PackedStrings { values.text }

    public var productName: String { self[.productName] ?? "" }
    public var version: String { self[.version] ?? "" }
    public var invokeID: String? { self[.invokeID] }
    public var scmSha: String? { self[.scmSha] }
    public var scmRepository: String? { self[.scmRepository] }
    public var scmBranch: String? { self[.scmBranch] }

    /// Validates a request body against `Field`'s declaration, reporting every invalid field at
    /// once. Unknown members are ignored. (Called through each kind's `validate`, so that it is
    /// compiled for that kind: generic code run across modules is neither inlined nor specialised.)
    static func validated(_ body: [JSONMember]) -> Result<Self, ValidationFailure> {
        var reader = FieldReader(body)
        var text = [String?](repeating: nil, count: Field.count)
        func read(_ field: Field) {
            let spec = field.spec
            switch spec.kind {
            case .text(let maxLength) where spec.role == .subject:
                text[field.rawValue] = reader.requiredString(spec.name, maxLength: maxLength)
            case .text(let maxLength):
                let value = reader.optionalString(spec.name, maxLength: maxLength)
                let aliased = spec.alias.flatMap { reader.optionalString($0, maxLength: maxLength) }
                text[field.rawValue] = value ?? aliased
            case .object:
                text[field.rawValue] = reader.optionalObject(spec.name)?.text
            }
        }
        // In the order a person reads the errors: what the event is about, then its status, then the rest.
        let records = Field.recordRange
        for raw in 0..<records.lowerBound { read(Field(rawValue: raw)!) }
        let status = reader.status("status", default: Field.defaultStatus)
        for raw in records { read(Field(rawValue: raw)!) }
        let startedAt = reader.optionalTimestamp("started_at")
        let completedAt = reader.optionalTimestamp("completed_at")
        for flag in Field.flags { _ = reader.optionalBool(flag) }
        guard reader.errors.isEmpty else { return .failure(ValidationFailure(reader.errors)) }
        return .success(EventInput(values: FieldValues(status: status, startedAt: startedAt, completedAt: completedAt,
                                                       text: text)))
    }

    init(values: FieldValues<Field>) {
        self.values = values
    }
}

/// A validated deployment event (`POST /deployment-events/`).
public typealias DeploymentEventInput = EventInput<DeploymentField>
/// A validated build event (`POST /build-events/`).
public typealias BuildEventInput = EventInput<BuildField>

extension EventInput where Field == DeploymentField {
    public init(productName: String, version: String, environmentName: String, status: Status,
                startedAt: Timestamp? = nil, completedAt: Timestamp? = nil, extraMetadata: RawJSONObject? = nil,
                _ fields: [DeploymentField: String?] = [:]) {
        self.init(values: FieldValues(status: status, startedAt: startedAt, completedAt: completedAt, fields: fields, setting: [
            .productName: productName, .version: version, .environmentName: environmentName,
            .extraMetadata: extraMetadata?.text,
        ]))
    }

    public var environmentName: String { self[.environmentName] ?? "" }

    /// Validates a `POST /deployment-events/` body, reporting every invalid field at once.
    public static func validate(_ body: [JSONMember]) -> Result<Self, ValidationFailure> { validated(body) }
}

extension EventInput where Field == BuildField {
    public init(productName: String, version: String, status: Status = .completed, startedAt: Timestamp? = nil,
                completedAt: Timestamp? = nil, extraMetadata: RawJSONObject? = nil, _ fields: [BuildField: String?] = [:]) {
        self.init(values: FieldValues(status: status, startedAt: startedAt, completedAt: completedAt, fields: fields, setting: [
            .productName: productName, .version: version, .extraMetadata: extraMetadata?.text,
        ]))
    }

    /// Validates a `POST /build-events/` body, reporting every invalid field at once.
    public static func validate(_ body: [JSONMember]) -> Result<Self, ValidationFailure> { validated(body) }
}

/// A deployment's or build's own fields: status, times and the record fields of its events,
/// laid over each other.
///
/// A record made by one event (the usual case) holds that event's text buffer itself rather
/// than a copy; the subjects in the buffer are then the event's, and are not the record's
/// fields (a record names its product, version and environment by id).
public struct RecordDetails<Field: EventField>: Hashable, Sendable {
    var values: FieldValues<Field>

    /// The fields of the event that made the record, sharing its buffer.
    public init(of event: EventInput<Field>) {
        values = event.values
    }

    /// A record with these fields (absent where `fields` has none).
    public init(status: Status, startedAt: Timestamp?, completedAt: Timestamp?, _ fields: [Field: String?]) {
        values = FieldValues(status: status, startedAt: startedAt, completedAt: completedAt,
                             fields: fields.filter { $0.key.spec.role == .record })
    }

    /// A record read back from its packed text; nil when it has more fields than `Field` declares.
    public init?(status: Status, startedAt: Timestamp?, completedAt: Timestamp?, text: PackedStrings) {
        guard text.fieldCount <= Field.count else { return nil }
        values = FieldValues(status: status, startedAt: startedAt, completedAt: completedAt, text: text)
    }

    /// The fields of `event`'s text with this status and these times: how a record that shares
    /// the text of its last event is read back.
    public init(status: Status, startedAt: Timestamp?, completedAt: Timestamp?, textOf event: EventInput<Field>) {
        values = FieldValues(status: status, startedAt: startedAt, completedAt: completedAt, text: event.text)
    }

    public var status: Status { get { values.status } set { values.status = newValue } }
    public var startedAt: Timestamp? { get { values.startedAt } set { values.startedAt = newValue } }
    public var completedAt: Timestamp? { get { values.completedAt } set { values.completedAt = newValue } }
    public var extraMetadata: RawJSONObject? { get { values.extraMetadata } set { values.extraMetadata = newValue } }
    /// A record field; nil for a subject, which is not the record's.
    public subscript(field: Field) -> String? {
        get { field.spec.role == .record ? values[field] : nil }
        set { if field.spec.role == .record { values[field] = newValue } }
    }
    /// Whether the record has `field`, answered without reading its text (for queries that
    /// look at one field of every record).
    public func contains(_ field: Field) -> Bool { field.spec.role == .record && values.contains(field) }
    /// The packed text (what snapshots store): the record fields at their field numbers.
    public var text: PackedStrings { values.text }

    /// Lays `event` over these fields: each field the event leaves out keeps its value;
    /// `extra_metadata` is merged (the event's keys win). The event's subjects come along.
    mutating func lay(_ event: EventInput<Field>) {
        var result = event.values
        result.text = event.text.filling(from: values.text, fields: Field.recordRange)
        result.startedAt = event.startedAt ?? values.startedAt
        result.completedAt = event.completedAt ?? values.completedAt
        if let mine = event.extraMetadata, let theirs = values.extraMetadata {
            result.extraMetadata = theirs.merged(with: mine)
        }
        values = result
    }

    /// Whether the record's text fields are exactly those of `event`.
    public func hasText(of event: EventInput<Field>) -> Bool {
        values.text.equals(event.text, fields: Field.recordRange)
    }

    // Equal when the record's own fields are equal: the subjects in the text are not its own.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.status == rhs.status && lhs.startedAt == rhs.startedAt && lhs.completedAt == rhs.completedAt
            && lhs.values.text.equals(rhs.values.text, fields: Field.recordRange)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(status)
        hasher.combine(startedAt)
        hasher.combine(completedAt)
    }
}
