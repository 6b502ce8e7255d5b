/// A product: something that is built and deployed (a service, an app, a library).
public struct Product: Hashable, Sendable {
    public var id: EntityID
    /// Case-sensitive natural key.
    public var name: String
    public var description: String?
    public var extraMetadata: RawJSONObject
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(id: EntityID, name: String, description: String? = nil, extraMetadata: RawJSONObject = .empty,
                createdAt: Timestamp, updatedAt: Timestamp? = nil) {
        self.id = id
        self.name = name
        self.description = description
        self.extraMetadata = extraMetadata
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
    }
}

/// A place products are deployed to, shared by all products.
public struct Environment: Hashable, Sendable {
    public var id: EntityID
    /// Case-sensitive natural key.
    public var name: String
    public var type: EnvironmentType
    public var description: String?
    public var metadata: RawJSONObject
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(id: EntityID, name: String, type: EnvironmentType? = nil, description: String? = nil,
                metadata: RawJSONObject = .empty, createdAt: Timestamp, updatedAt: Timestamp? = nil) {
        self.id = id
        self.name = name
        self.type = type ?? EnvironmentType(classifying: name)
        self.description = description
        self.metadata = metadata
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
    }
}

/// One version of a product. Its `scmSha`, once set, never changes.
public struct Version: Hashable, Sendable {
    public var id: EntityID
    public var productID: EntityID
    /// The version string, a case-sensitive natural key within the product.
    public var name: String
    public var createdAt: Timestamp
    /// Where `scm_sha`, `scm_repository` and `scm_branch` are: usually the text buffer of the
    /// event that created the version, shared rather than copied (see ``PackedStrings``).
    private var text: PackedStrings
    private var layout: TextLayout

    /// The field numbers of the SHA, repository and branch in a packed text.
    struct TextLayout: Hashable, Sendable {
        var sha: UInt8, repository: UInt8, branch: UInt8
        static let own = TextLayout(sha: 0, repository: 1, branch: 2)
        static let deploymentEvent = TextLayout(
            sha: UInt8(DeploymentEventInput.Field.scmSha), repository: UInt8(DeploymentEventInput.Field.scmRepository),
            branch: UInt8(DeploymentEventInput.Field.scmBranch))
        static let buildEvent = TextLayout(
            sha: UInt8(BuildEventInput.Field.scmSha), repository: UInt8(BuildEventInput.Field.scmRepository),
            branch: UInt8(BuildEventInput.Field.scmBranch))
    }

    public var scmSha: String? { get { text[Int(layout.sha)] } set { setText(sha: newValue) } }
    public var scmRepository: String? { get { text[Int(layout.repository)] } set { setText(repository: newValue) } }
    public var scmBranch: String? { get { text[Int(layout.branch)] } set { setText(branch: newValue) } }

    public init(id: EntityID, productID: EntityID, name: String, scmSha: String?, scmRepository: String?,
                scmBranch: String?, createdAt: Timestamp) {
        self.init(id: id, productID: productID, name: name, createdAt: createdAt,
                  text: PackedStrings([scmSha, scmRepository, scmBranch]), layout: .own)
    }

    /// A version whose SHA, repository and branch are read from an event's text buffer.
    init(id: EntityID, productID: EntityID, name: String, createdAt: Timestamp, text: PackedStrings, layout: TextLayout) {
        self.id = id
        self.productID = productID
        self.name = name
        self.createdAt = createdAt
        self.text = text
        self.layout = layout
    }

    private mutating func setText(sha: String?? = .none, repository: String?? = .none, branch: String?? = .none) {
        text = PackedStrings([sha ?? scmSha, repository ?? scmRepository, branch ?? scmBranch])
        layout = .own
    }

    /// A version whose SHA, repository and branch are those of the deployment event that made
    /// it, read from that event's buffer (for snapshot readers: see ``hasText(of:)``).
    public init(id: EntityID, productID: EntityID, name: String, createdAt: Timestamp, textOf event: DeploymentEventInput) {
        self.init(id: id, productID: productID, name: name, createdAt: createdAt, text: event.text, layout: .deploymentEvent)
    }

    /// A version whose SHA, repository and branch are those of the build event that made it.
    public init(id: EntityID, productID: EntityID, name: String, createdAt: Timestamp, textOf event: BuildEventInput) {
        self.init(id: id, productID: productID, name: name, createdAt: createdAt, text: event.text, layout: .buildEvent)
    }

    /// Whether its SHA, repository and branch are exactly those `event` carries.
    public func hasText(of event: DeploymentEventInput) -> Bool {
        if layout == .deploymentEvent, text.isSameBuffer(as: event.text) { return true }  // the usual case, without decoding
        return scmSha == event.scmSha && scmRepository == event.scmRepository && scmBranch == event.scmBranch
    }

    /// Whether its SHA, repository and branch are exactly those `event` carries.
    public func hasText(of event: BuildEventInput) -> Bool {
        if layout == .buildEvent, text.isSameBuffer(as: event.text) { return true }
        return scmSha == event.scmSha && scmRepository == event.scmRepository && scmBranch == event.scmBranch
    }

    // Equal when the fields a client can see are equal, wherever the text is kept.
    public static func == (lhs: Version, rhs: Version) -> Bool {
        lhs.id == rhs.id && lhs.productID == rhs.productID && lhs.name == rhs.name && lhs.createdAt == rhs.createdAt
            && lhs.scmSha == rhs.scmSha && lhs.scmRepository == rhs.scmRepository && lhs.scmBranch == rhs.scmBranch
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(name)
    }
}

/// One build of a version, updated by the build events that correlate to it.
///
/// Its status, times and text fields are those of its events laid over each other
/// (``BuildEventInput/laid(over:)``); a build made by one event shares that event's text buffer.
public struct Build: Hashable, Sendable {
    public var id: EntityID
    public var productID: EntityID
    public var versionID: EntityID
    /// When the first event of this build was recorded.
    public var createdAt: Timestamp
    /// The last event applied to this build.
    public var lastEventID: EntityID
    public var lastRecordedAt: Timestamp
    /// The build's fields, as its events left them (the names it holds are those of its last event).
    var details: BuildEventInput

    public var status: Status { get { details.status } set { details.status = newValue } }
    public var buildNumber: String? { get { details.buildNumber } set { details.buildNumber = newValue } }
    public var buildURL: String? { get { details.buildURL } set { details.buildURL = newValue } }
    public var scmSha: String? { get { details.scmSha } set { details.scmSha = newValue } }
    public var scmBranch: String? { get { details.scmBranch } set { details.scmBranch = newValue } }
    public var scmRepository: String? { get { details.scmRepository } set { details.scmRepository = newValue } }
    public var builtBy: String? { get { details.builtBy } set { details.builtBy = newValue } }
    public var builtByEmail: String? { get { details.builtByEmail } set { details.builtByEmail = newValue } }
    public var builtByName: String? { get { details.builtByName } set { details.builtByName = newValue } }
    public var sourceSystem: String? { get { details.sourceSystem } set { details.sourceSystem = newValue } }
    public var invokeID: String? { get { details.invokeID } set { details.invokeID = newValue } }
    public var startedAt: Timestamp? { get { details.startedAt } set { details.startedAt = newValue } }
    public var completedAt: Timestamp? { get { details.completedAt } set { details.completedAt = newValue } }
    public var errorMessage: String? { get { details.errorMessage } set { details.errorMessage = newValue } }
    public var errorCode: String? { get { details.errorCode } set { details.errorCode = newValue } }
    public var extraMetadata: RawJSONObject {
        get { details.extraMetadata ?? .empty } set { details.extraMetadata = newValue == .empty ? nil : newValue }
    }

    public init(id: EntityID, productID: EntityID, versionID: EntityID, status: Status, buildNumber: String?,
                buildURL: String?, scmSha: String?, scmBranch: String?, scmRepository: String?, builtBy: String?,
                builtByEmail: String?, builtByName: String?, sourceSystem: String?, invokeID: String?,
                startedAt: Timestamp?, completedAt: Timestamp?, errorMessage: String?, errorCode: String?,
                extraMetadata: RawJSONObject, createdAt: Timestamp, lastEventID: EntityID, lastRecordedAt: Timestamp) {
        let details = BuildEventInput(
            productName: "", version: "", status: status, builtBy: builtBy, builtByEmail: builtByEmail,
            builtByName: builtByName, scmSha: scmSha, scmBranch: scmBranch, scmRepository: scmRepository,
            buildURL: buildURL, buildNumber: buildNumber, sourceSystem: sourceSystem, invokeID: invokeID,
            startedAt: startedAt, completedAt: completedAt, errorMessage: errorMessage, errorCode: errorCode,
            extraMetadata: extraMetadata == .empty ? nil : extraMetadata)
        self.init(id: id, productID: productID, versionID: versionID, details: details, createdAt: createdAt,
                  lastEventID: lastEventID, lastRecordedAt: lastRecordedAt)
    }

    /// A build whose fields are those of `details` (an event's input: its buffer is shared, not copied).
    init(id: EntityID, productID: EntityID, versionID: EntityID, details: BuildEventInput, createdAt: Timestamp,
         lastEventID: EntityID, lastRecordedAt: Timestamp) {
        self.id = id
        self.productID = productID
        self.versionID = versionID
        self.details = details
        self.createdAt = createdAt
        self.lastEventID = lastEventID
        self.lastRecordedAt = lastRecordedAt
    }

    /// A build whose text fields are those of `event` (its last event), read from that event's
    /// buffer (for snapshot readers: see ``hasText(of:)``).
    public init(id: EntityID, productID: EntityID, versionID: EntityID, status: Status, startedAt: Timestamp?,
                completedAt: Timestamp?, textOf event: BuildEventInput, createdAt: Timestamp, lastEventID: EntityID,
                lastRecordedAt: Timestamp) {
        self.init(id: id, productID: productID, versionID: versionID,
                  details: event.asRecord(status: status, startedAt: startedAt, completedAt: completedAt),
                  createdAt: createdAt, lastEventID: lastEventID, lastRecordedAt: lastRecordedAt)
    }

    /// Whether its text fields (all but status and times) are exactly those of `event`.
    public func hasText(of event: BuildEventInput) -> Bool {
        details.hasRecordText(of: event)
    }

    // Equal when every field a client can see is equal: `details` also holds the names its
    // last event was sent with, which are not the build's.
    public static func == (lhs: Build, rhs: Build) -> Bool {
        lhs.id == rhs.id && lhs.productID == rhs.productID && lhs.versionID == rhs.versionID
            && lhs.createdAt == rhs.createdAt && lhs.lastEventID == rhs.lastEventID
            && lhs.lastRecordedAt == rhs.lastRecordedAt && lhs.details.recordFieldsEqual(rhs.details)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(lastEventID)
    }
}

/// One deployment of a version to an environment, updated by the events that correlate to it.
///
/// Its status, times and text fields are those of its events laid over each other
/// (``DeploymentEventInput/laid(over:)``); a deployment made by one event — the usual case —
/// shares that event's text buffer instead of holding a copy.
public struct Deployment: Hashable, Sendable {
    public var id: EntityID
    public var productID: EntityID
    public var versionID: EntityID
    public var environmentID: EntityID
    /// When the first event of this deployment was recorded.
    public var createdAt: Timestamp
    /// The last event applied to this deployment; ids grow with time, so this orders activity.
    public var lastEventID: EntityID
    public var lastRecordedAt: Timestamp
    /// The deployment's fields, as its events left them (the names it holds are those of its last event).
    var details: DeploymentEventInput

    public var status: Status { get { details.status } set { details.status = newValue } }
    public var startedAt: Timestamp? { get { details.startedAt } set { details.startedAt = newValue } }
    public var completedAt: Timestamp? { get { details.completedAt } set { details.completedAt = newValue } }
    public var deployedBy: String? { get { details.deployedBy } set { details.deployedBy = newValue } }
    public var deployedByEmail: String? { get { details.deployedByEmail } set { details.deployedByEmail = newValue } }
    public var deployedByName: String? { get { details.deployedByName } set { details.deployedByName = newValue } }
    public var scmSha: String? { get { details.scmSha } set { details.scmSha = newValue } }
    public var scmRepository: String? { get { details.scmRepository } set { details.scmRepository = newValue } }
    public var scmBranch: String? { get { details.scmBranch } set { details.scmBranch = newValue } }
    public var deployURL: String? { get { details.deployURL } set { details.deployURL = newValue } }
    public var buildNumber: String? { get { details.buildNumber } set { details.buildNumber = newValue } }
    public var sourceSystem: String? { get { details.sourceSystem } set { details.sourceSystem = newValue } }
    public var invokeID: String? { get { details.invokeID } set { details.invokeID = newValue } }
    public var extraMetadata: RawJSONObject {
        get { details.extraMetadata ?? .empty } set { details.extraMetadata = newValue == .empty ? nil : newValue }
    }

    /// The time of the deployment: its `startedAt` if the client gave one, else when it was first recorded.
    public var deployedAt: Timestamp { startedAt ?? createdAt }

    public init(id: EntityID, productID: EntityID, versionID: EntityID, environmentID: EntityID, status: Status,
                startedAt: Timestamp?, completedAt: Timestamp?, deployedBy: String?, deployedByEmail: String?,
                deployedByName: String?, scmSha: String?, scmRepository: String?, scmBranch: String?,
                deployURL: String?, buildNumber: String?, sourceSystem: String?, invokeID: String?,
                extraMetadata: RawJSONObject, createdAt: Timestamp, lastEventID: EntityID, lastRecordedAt: Timestamp) {
        let details = DeploymentEventInput(
            productName: "", version: "", environmentName: "", status: status, deployedBy: deployedBy,
            deployedByEmail: deployedByEmail, deployedByName: deployedByName, scmSha: scmSha,
            scmRepository: scmRepository, scmBranch: scmBranch, deployURL: deployURL, buildNumber: buildNumber,
            sourceSystem: sourceSystem, invokeID: invokeID, startedAt: startedAt, completedAt: completedAt,
            extraMetadata: extraMetadata == .empty ? nil : extraMetadata)
        self.init(id: id, productID: productID, versionID: versionID, environmentID: environmentID, details: details,
                  createdAt: createdAt, lastEventID: lastEventID, lastRecordedAt: lastRecordedAt)
    }

    /// A deployment whose fields are those of `details` (an event's input: its buffer is shared, not copied).
    init(id: EntityID, productID: EntityID, versionID: EntityID, environmentID: EntityID,
         details: DeploymentEventInput, createdAt: Timestamp, lastEventID: EntityID, lastRecordedAt: Timestamp) {
        self.id = id
        self.productID = productID
        self.versionID = versionID
        self.environmentID = environmentID
        self.details = details
        self.createdAt = createdAt
        self.lastEventID = lastEventID
        self.lastRecordedAt = lastRecordedAt
    }

    /// A deployment whose text fields are those of `event` (its last event), read from that
    /// event's buffer (for snapshot readers: see ``hasText(of:)``).
    public init(id: EntityID, productID: EntityID, versionID: EntityID, environmentID: EntityID, status: Status,
                startedAt: Timestamp?, completedAt: Timestamp?, textOf event: DeploymentEventInput,
                createdAt: Timestamp, lastEventID: EntityID, lastRecordedAt: Timestamp) {
        self.init(id: id, productID: productID, versionID: versionID, environmentID: environmentID,
                  details: event.asRecord(status: status, startedAt: startedAt, completedAt: completedAt),
                  createdAt: createdAt, lastEventID: lastEventID, lastRecordedAt: lastRecordedAt)
    }

    /// Whether its text fields (all but status and times) are exactly those of `event`.
    public func hasText(of event: DeploymentEventInput) -> Bool {
        details.hasRecordText(of: event)
    }

    // Equal when every field a client can see is equal: `details` also holds the names its
    // last event was sent with, which are not the deployment's.
    public static func == (lhs: Deployment, rhs: Deployment) -> Bool {
        lhs.id == rhs.id && lhs.productID == rhs.productID && lhs.versionID == rhs.versionID
            && lhs.environmentID == rhs.environmentID && lhs.createdAt == rhs.createdAt
            && lhs.lastEventID == rhs.lastEventID && lhs.lastRecordedAt == rhs.lastRecordedAt
            && lhs.details.recordFieldsEqual(rhs.details)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(lastEventID)
    }
}
