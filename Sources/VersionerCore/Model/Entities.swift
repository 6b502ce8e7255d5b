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
    public var scmSha: String?
    public var scmRepository: String?
    public var scmBranch: String?
    public var createdAt: Timestamp

    public init(id: EntityID, productID: EntityID, name: String, scmSha: String?, scmRepository: String?,
                scmBranch: String?, createdAt: Timestamp) {
        self.id = id
        self.productID = productID
        self.name = name
        self.scmSha = scmSha
        self.scmRepository = scmRepository
        self.scmBranch = scmBranch
        self.createdAt = createdAt
    }
}

/// One build of a version, updated by the build events that correlate to it.
public struct Build: Hashable, Sendable {
    public var id: EntityID
    public var productID: EntityID
    public var versionID: EntityID
    public var status: Status
    public var buildNumber: String?
    public var buildURL: String?
    public var scmSha: String?
    public var scmBranch: String?
    public var scmRepository: String?
    public var builtBy: String?
    public var builtByEmail: String?
    public var builtByName: String?
    public var sourceSystem: String?
    public var invokeID: String?
    public var startedAt: Timestamp?
    public var completedAt: Timestamp?
    public var errorMessage: String?
    public var errorCode: String?
    public var extraMetadata: RawJSONObject
    /// When the first event of this build was recorded.
    public var createdAt: Timestamp
    /// The last event applied to this build.
    public var lastEventID: EntityID
    public var lastRecordedAt: Timestamp

    public init(id: EntityID, productID: EntityID, versionID: EntityID, status: Status, buildNumber: String?,
                buildURL: String?, scmSha: String?, scmBranch: String?, scmRepository: String?, builtBy: String?,
                builtByEmail: String?, builtByName: String?, sourceSystem: String?, invokeID: String?,
                startedAt: Timestamp?, completedAt: Timestamp?, errorMessage: String?, errorCode: String?,
                extraMetadata: RawJSONObject, createdAt: Timestamp, lastEventID: EntityID, lastRecordedAt: Timestamp) {
        self.id = id
        self.productID = productID
        self.versionID = versionID
        self.status = status
        self.buildNumber = buildNumber
        self.buildURL = buildURL
        self.scmSha = scmSha
        self.scmBranch = scmBranch
        self.scmRepository = scmRepository
        self.builtBy = builtBy
        self.builtByEmail = builtByEmail
        self.builtByName = builtByName
        self.sourceSystem = sourceSystem
        self.invokeID = invokeID
        self.startedAt = startedAt
        self.completedAt = completedAt
        self.errorMessage = errorMessage
        self.errorCode = errorCode
        self.extraMetadata = extraMetadata
        self.createdAt = createdAt
        self.lastEventID = lastEventID
        self.lastRecordedAt = lastRecordedAt
    }
}

/// One deployment of a version to an environment, updated by the events that correlate to it.
public struct Deployment: Hashable, Sendable {
    public var id: EntityID
    public var productID: EntityID
    public var versionID: EntityID
    public var environmentID: EntityID
    public var status: Status
    public var startedAt: Timestamp?
    public var completedAt: Timestamp?
    public var deployedBy: String?
    public var deployedByEmail: String?
    public var deployedByName: String?
    public var scmSha: String?
    public var scmRepository: String?
    public var scmBranch: String?
    public var deployURL: String?
    public var buildNumber: String?
    public var sourceSystem: String?
    public var invokeID: String?
    public var extraMetadata: RawJSONObject
    /// When the first event of this deployment was recorded.
    public var createdAt: Timestamp
    /// The last event applied to this deployment; ids grow with time, so this orders activity.
    public var lastEventID: EntityID
    public var lastRecordedAt: Timestamp

    /// The time of the deployment: its `startedAt` if the client gave one, else when it was first recorded.
    public var deployedAt: Timestamp { startedAt ?? createdAt }

    public init(id: EntityID, productID: EntityID, versionID: EntityID, environmentID: EntityID, status: Status,
                startedAt: Timestamp?, completedAt: Timestamp?, deployedBy: String?, deployedByEmail: String?,
                deployedByName: String?, scmSha: String?, scmRepository: String?, scmBranch: String?,
                deployURL: String?, buildNumber: String?, sourceSystem: String?, invokeID: String?,
                extraMetadata: RawJSONObject, createdAt: Timestamp, lastEventID: EntityID, lastRecordedAt: Timestamp) {
        self.id = id
        self.productID = productID
        self.versionID = versionID
        self.environmentID = environmentID
        self.status = status
        self.startedAt = startedAt
        self.completedAt = completedAt
        self.deployedBy = deployedBy
        self.deployedByEmail = deployedByEmail
        self.deployedByName = deployedByName
        self.scmSha = scmSha
        self.scmRepository = scmRepository
        self.scmBranch = scmBranch
        self.deployURL = deployURL
        self.buildNumber = buildNumber
        self.sourceSystem = sourceSystem
        self.invokeID = invokeID
        self.extraMetadata = extraMetadata
        self.createdAt = createdAt
        self.lastEventID = lastEventID
        self.lastRecordedAt = lastRecordedAt
    }
}
