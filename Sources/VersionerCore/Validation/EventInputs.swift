/// A validated deployment event, as a client sent it (docs/API.md §3, `POST /deployment-events/`).
///
/// The text fields live in one ``PackedStrings`` buffer, the deployment's own fields first, so
/// that the deployment an event creates shares the event's buffer (see ``Deployment``).
public struct DeploymentEventInput: Hashable, Sendable, EventDetails {
    /// Field numbers in ``text``. The first ``recordFieldCount`` are the deployment's own.
    enum Field {
        static let deployedBy = 0, deployedByEmail = 1, deployedByName = 2, scmSha = 3, scmRepository = 4,
                   scmBranch = 5, deployURL = 6, buildNumber = 7, sourceSystem = 8, invokeID = 9,
                   extraMetadata = 10, productName = 11, version = 12, environmentName = 13
    }
    static let recordFieldCount = 11
    static let extraMetadataField = Field.extraMetadata

    public var status: Status
    private var started: PackedTimestamp
    private var completed: PackedTimestamp
    var text: PackedStrings

    public var startedAt: Timestamp? { get { started.value } set { started = PackedTimestamp(newValue) } }
    public var completedAt: Timestamp? { get { completed.value } set { completed = PackedTimestamp(newValue) } }

    public var productName: String { get { text[Field.productName] ?? "" } set { text[Field.productName] = newValue } }
    public var version: String { get { text[Field.version] ?? "" } set { text[Field.version] = newValue } }
    public var environmentName: String {
        get { text[Field.environmentName] ?? "" } set { text[Field.environmentName] = newValue }
    }
    public var deployedBy: String? { get { text[Field.deployedBy] } set { text[Field.deployedBy] = newValue } }
    public var deployedByEmail: String? { get { text[Field.deployedByEmail] } set { text[Field.deployedByEmail] = newValue } }
    public var deployedByName: String? { get { text[Field.deployedByName] } set { text[Field.deployedByName] = newValue } }
    public var scmSha: String? { get { text[Field.scmSha] } set { text[Field.scmSha] = newValue } }
    public var scmRepository: String? { get { text[Field.scmRepository] } set { text[Field.scmRepository] = newValue } }
    public var scmBranch: String? { get { text[Field.scmBranch] } set { text[Field.scmBranch] = newValue } }
    public var deployURL: String? { get { text[Field.deployURL] } set { text[Field.deployURL] = newValue } }
    public var buildNumber: String? { get { text[Field.buildNumber] } set { text[Field.buildNumber] = newValue } }
    public var sourceSystem: String? { get { text[Field.sourceSystem] } set { text[Field.sourceSystem] = newValue } }
    public var invokeID: String? { get { text[Field.invokeID] } set { text[Field.invokeID] = newValue } }
    public var extraMetadata: RawJSONObject? {
        get { text[Field.extraMetadata].map(RawJSONObject.init(serializedText:)) }
        set { text[Field.extraMetadata] = newValue?.text }
    }

    public init(productName: String, version: String, environmentName: String, status: Status,
                deployedBy: String? = nil, deployedByEmail: String? = nil, deployedByName: String? = nil,
                scmSha: String? = nil, scmRepository: String? = nil, scmBranch: String? = nil,
                deployURL: String? = nil, buildNumber: String? = nil, sourceSystem: String? = nil,
                invokeID: String? = nil, startedAt: Timestamp? = nil, completedAt: Timestamp? = nil,
                extraMetadata: RawJSONObject? = nil) {
        self.status = status
        self.started = PackedTimestamp(startedAt)
        self.completed = PackedTimestamp(completedAt)
        self.text = PackedStrings([deployedBy, deployedByEmail, deployedByName, scmSha, scmRepository, scmBranch,
                                   deployURL, buildNumber, sourceSystem, invokeID, extraMetadata?.text,
                                   productName, version, environmentName])
    }

    /// Validates a request body, reporting every invalid field at once. Unknown fields are ignored;
    /// `skip_preflight_checks` must be a boolean when given (no deployment rule exists yet to skip).
    public static func validate(_ body: [JSONMember]) -> Result<DeploymentEventInput, ValidationFailure> {
        var fields = FieldReader(body)
        // Both spellings are checked; `deploy_url` wins when both are sent.
        let deployURL = fields.optionalString("deploy_url", maxLength: 500)
        let buildURL = fields.optionalString("build_url", maxLength: 500)
        _ = fields.optionalBool("skip_preflight_checks")
        let input = DeploymentEventInput(
            productName: fields.requiredString("product_name", maxLength: 255),
            version: fields.requiredString("version", maxLength: 100),
            environmentName: fields.requiredString("environment_name", maxLength: 100),
            status: fields.status("status", default: nil),
            deployedBy: fields.optionalString("deployed_by", maxLength: 255),
            deployedByEmail: fields.optionalString("deployed_by_email", maxLength: 255),
            deployedByName: fields.optionalString("deployed_by_name", maxLength: 255),
            scmSha: fields.optionalString("scm_sha", maxLength: 40),
            scmRepository: fields.optionalString("scm_repository", maxLength: 500),
            scmBranch: fields.optionalString("scm_branch", maxLength: 100),
            deployURL: deployURL ?? buildURL,
            buildNumber: fields.optionalString("build_number", maxLength: 100),
            sourceSystem: fields.optionalString("source_system", maxLength: 50),
            invokeID: fields.optionalString("invoke_id", maxLength: 255),
            startedAt: fields.optionalTimestamp("started_at"),
            completedAt: fields.optionalTimestamp("completed_at"),
            extraMetadata: fields.optionalObject("extra_metadata")
        )
        return fields.errors.isEmpty ? .success(input) : .failure(ValidationFailure(fields.errors))
    }
}

/// A validated build event, as a client sent it (docs/API.md §3, `POST /build-events/`).
///
/// Laid out like ``DeploymentEventInput``: the build's own text fields first, so that the build
/// an event creates shares the event's buffer.
public struct BuildEventInput: Hashable, Sendable, EventDetails {
    /// Field numbers in ``text``. The first ``recordFieldCount`` are the build's own.
    enum Field {
        static let builtBy = 0, builtByEmail = 1, builtByName = 2, scmSha = 3, scmBranch = 4, scmRepository = 5,
                   buildURL = 6, buildNumber = 7, sourceSystem = 8, invokeID = 9, errorMessage = 10, errorCode = 11,
                   extraMetadata = 12, productName = 13, version = 14
    }
    static let recordFieldCount = 13
    static let extraMetadataField = Field.extraMetadata

    public var status: Status
    private var started: PackedTimestamp
    private var completed: PackedTimestamp
    var text: PackedStrings

    public var startedAt: Timestamp? { get { started.value } set { started = PackedTimestamp(newValue) } }
    public var completedAt: Timestamp? { get { completed.value } set { completed = PackedTimestamp(newValue) } }

    public var productName: String { get { text[Field.productName] ?? "" } set { text[Field.productName] = newValue } }
    public var version: String { get { text[Field.version] ?? "" } set { text[Field.version] = newValue } }
    public var builtBy: String? { get { text[Field.builtBy] } set { text[Field.builtBy] = newValue } }
    public var builtByEmail: String? { get { text[Field.builtByEmail] } set { text[Field.builtByEmail] = newValue } }
    public var builtByName: String? { get { text[Field.builtByName] } set { text[Field.builtByName] = newValue } }
    public var scmSha: String? { get { text[Field.scmSha] } set { text[Field.scmSha] = newValue } }
    public var scmBranch: String? { get { text[Field.scmBranch] } set { text[Field.scmBranch] = newValue } }
    public var scmRepository: String? { get { text[Field.scmRepository] } set { text[Field.scmRepository] = newValue } }
    public var buildURL: String? { get { text[Field.buildURL] } set { text[Field.buildURL] = newValue } }
    public var buildNumber: String? { get { text[Field.buildNumber] } set { text[Field.buildNumber] = newValue } }
    public var sourceSystem: String? { get { text[Field.sourceSystem] } set { text[Field.sourceSystem] = newValue } }
    public var invokeID: String? { get { text[Field.invokeID] } set { text[Field.invokeID] = newValue } }
    public var errorMessage: String? { get { text[Field.errorMessage] } set { text[Field.errorMessage] = newValue } }
    public var errorCode: String? { get { text[Field.errorCode] } set { text[Field.errorCode] = newValue } }
    public var extraMetadata: RawJSONObject? {
        get { text[Field.extraMetadata].map(RawJSONObject.init(serializedText:)) }
        set { text[Field.extraMetadata] = newValue?.text }
    }

    public init(productName: String, version: String, status: Status = .completed,
                builtBy: String? = nil, builtByEmail: String? = nil, builtByName: String? = nil,
                scmSha: String? = nil, scmBranch: String? = nil, scmRepository: String? = nil,
                buildURL: String? = nil, buildNumber: String? = nil, sourceSystem: String? = nil,
                invokeID: String? = nil, startedAt: Timestamp? = nil, completedAt: Timestamp? = nil,
                errorMessage: String? = nil, errorCode: String? = nil, extraMetadata: RawJSONObject? = nil) {
        self.status = status
        self.started = PackedTimestamp(startedAt)
        self.completed = PackedTimestamp(completedAt)
        self.text = PackedStrings([builtBy, builtByEmail, builtByName, scmSha, scmBranch, scmRepository, buildURL,
                                   buildNumber, sourceSystem, invokeID, errorMessage, errorCode, extraMetadata?.text,
                                   productName, version])
    }

    /// Validates a request body, reporting every invalid field at once. `status` defaults to `completed`.
    public static func validate(_ body: [JSONMember]) -> Result<BuildEventInput, ValidationFailure> {
        var fields = FieldReader(body)
        let input = BuildEventInput(
            productName: fields.requiredString("product_name", maxLength: 255),
            version: fields.requiredString("version", maxLength: 100),
            status: fields.status("status", default: .completed),
            builtBy: fields.optionalString("built_by", maxLength: 255),
            builtByEmail: fields.optionalString("built_by_email", maxLength: 255),
            builtByName: fields.optionalString("built_by_name", maxLength: 255),
            scmSha: fields.optionalString("scm_sha", maxLength: 40),
            scmBranch: fields.optionalString("scm_branch", maxLength: 100),
            scmRepository: fields.optionalString("scm_repository", maxLength: 500),
            buildURL: fields.optionalString("build_url", maxLength: 500),
            buildNumber: fields.optionalString("build_number", maxLength: 100),
            sourceSystem: fields.optionalString("source_system", maxLength: 50),
            invokeID: fields.optionalString("invoke_id", maxLength: 255),
            startedAt: fields.optionalTimestamp("started_at"),
            completedAt: fields.optionalTimestamp("completed_at"),
            errorMessage: fields.optionalString("error_message", maxLength: 2000),
            errorCode: fields.optionalString("error_code", maxLength: 100),
            extraMetadata: fields.optionalObject("extra_metadata")
        )
        return fields.errors.isEmpty ? .success(input) : .failure(ValidationFailure(fields.errors))
    }
}

/// What the deployment and build events have in common: a status, two times, and text packed
/// with the record's own fields first (`extra_metadata` last among them), then the names the
/// event was sent with. A deployment or build keeps its fields as such a value: the input of
/// the event that made it, or its events laid over each other.
protocol EventDetails {
    var status: Status { get set }
    var startedAt: Timestamp? { get set }
    var completedAt: Timestamp? { get set }
    var extraMetadata: RawJSONObject? { get set }
    var text: PackedStrings { get set }
    /// How many fields of ``text`` are the record's own.
    static var recordFieldCount: Int { get }
    static var extraMetadataField: Int { get }
}

extension EventDetails {
    /// This event's fields laid over those of the record it updates: each field the event
    /// leaves out keeps the record's value; `extra_metadata` is merged (the event's keys win).
    func laid(over record: Self) -> Self {
        var result = self
        result.text = text.filling(from: record.text, fields: Self.recordFieldCount)
        result.startedAt = startedAt ?? record.startedAt
        result.completedAt = completedAt ?? record.completedAt
        if let mine = extraMetadata, let theirs = record.extraMetadata {
            result.extraMetadata = theirs.merged(with: mine)
        }
        return result
    }

    /// Whether the record's own fields (not the names the event was sent with) are equal.
    func recordFieldsEqual(_ other: Self) -> Bool {
        status == other.status && startedAt == other.startedAt && completedAt == other.completedAt
            && (extraMetadata ?? .empty) == (other.extraMetadata ?? .empty)
            && text.prefixEquals(other.text, fields: Self.extraMetadataField)
    }

    /// Whether the record's own text fields are exactly those of `other`.
    func hasRecordText(of other: Self) -> Bool {
        text.prefixEquals(other.text, fields: Self.recordFieldCount)
    }

    /// This event's text with a record's own status and times: how a record that shares the
    /// text of its last event is rebuilt.
    func asRecord(status: Status, startedAt: Timestamp?, completedAt: Timestamp?) -> Self {
        var record = self
        record.status = status
        record.startedAt = startedAt
        record.completedAt = completedAt
        return record
    }
}
