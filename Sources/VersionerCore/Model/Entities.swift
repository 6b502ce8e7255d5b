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
        static func of<Field: EventField>(_: Field.Type) -> TextLayout {
            TextLayout(sha: UInt8(Field.scmSha.rawValue), repository: UInt8(Field.scmRepository.rawValue),
                       branch: UInt8(Field.scmBranch.rawValue))
        }
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

    /// A version whose SHA, repository and branch are those of the event that made it, read
    /// from that event's buffer (for snapshot readers: see ``hasText(of:)``).
    public init<Field>(id: EntityID, productID: EntityID, name: String, createdAt: Timestamp, textOf event: EventInput<Field>) {
        self.init(id: id, productID: productID, name: name, createdAt: createdAt, text: event.text, layout: .of(Field.self))
    }

    /// Whether its SHA, repository and branch are exactly those `event` carries.
    public func hasText<Field>(of event: EventInput<Field>) -> Bool {
        if layout == .of(Field.self), text.isSameBuffer(as: event.text) { return true }  // the usual case, without decoding
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
/// Its status, times and fields are those of its events laid over each other
/// (``RecordDetails``); a build made by one event shares that event's text buffer.
public struct Build: Hashable, Sendable {
    public var id: EntityID
    public var productID: EntityID
    public var versionID: EntityID
    /// When the first event of this build was recorded.
    public var createdAt: Timestamp
    /// The last event applied to this build.
    public var lastEventID: EntityID
    public var lastRecordedAt: Timestamp
    /// The build's fields, as its events left them.
    public var details: RecordDetails<BuildField>

    public var status: Status { get { details.status } set { details.status = newValue } }
    public var startedAt: Timestamp? { get { details.startedAt } set { details.startedAt = newValue } }
    public var completedAt: Timestamp? { get { details.completedAt } set { details.completedAt = newValue } }
    public subscript(field: BuildField) -> String? { get { details[field] } set { details[field] = newValue } }
    public var extraMetadata: RawJSONObject { details.extraMetadata ?? .empty }
    public var invokeID: String? { details[.invokeID] }
    public var scmSha: String? { details[.scmSha] }

    public init(id: EntityID, productID: EntityID, versionID: EntityID, details: RecordDetails<BuildField>,
                createdAt: Timestamp, lastEventID: EntityID, lastRecordedAt: Timestamp) {
        self.id = id
        self.productID = productID
        self.versionID = versionID
        self.details = details
        self.createdAt = createdAt
        self.lastEventID = lastEventID
        self.lastRecordedAt = lastRecordedAt
    }
}

/// One deployment of a version to an environment, updated by the events that correlate to it.
///
/// Its status, times and fields are those of its events laid over each other
/// (``RecordDetails``); a deployment made by one event — the usual case — shares that event's
/// text buffer instead of holding a copy.
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
    /// The deployment's fields, as its events left them.
    public var details: RecordDetails<DeploymentField>

    public var status: Status { get { details.status } set { details.status = newValue } }
    public var startedAt: Timestamp? { get { details.startedAt } set { details.startedAt = newValue } }
    public var completedAt: Timestamp? { get { details.completedAt } set { details.completedAt = newValue } }
    public subscript(field: DeploymentField) -> String? { get { details[field] } set { details[field] = newValue } }
    public var extraMetadata: RawJSONObject { details.extraMetadata ?? .empty }
    public var invokeID: String? { details[.invokeID] }
    public var deployedBy: String? { details[.deployedBy] }

    /// The time of the deployment: its `startedAt` if the client gave one, else when it was first recorded.
    public var deployedAt: Timestamp { startedAt ?? createdAt }

    public init(id: EntityID, productID: EntityID, versionID: EntityID, environmentID: EntityID,
                details: RecordDetails<DeploymentField>, createdAt: Timestamp, lastEventID: EntityID,
                lastRecordedAt: Timestamp) {
        self.id = id
        self.productID = productID
        self.versionID = versionID
        self.environmentID = environmentID
        self.details = details
        self.createdAt = createdAt
        self.lastEventID = lastEventID
        self.lastRecordedAt = lastRecordedAt
    }
}
