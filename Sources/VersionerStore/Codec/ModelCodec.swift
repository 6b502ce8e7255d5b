import VersionerCore

// The binary layout of each model type, field by field, in the order written here.
// `snapshots/README.md` documents it; a change to any of these needs a new format version.

extension BinaryWriter {
    mutating func product(_ p: Product) {
        id(p.id); string(p.name); string(p.description); json(p.extraMetadata); timestamp(p.createdAt); timestamp(p.updatedAt)
    }

    mutating func environment(_ e: Environment) {
        id(e.id); string(e.name); byte(e.type.code); string(e.description); json(e.metadata)
        timestamp(e.createdAt); timestamp(e.updatedAt)
    }

    mutating func deploymentInput(_ i: DeploymentEventInput) {
        string(i.productName); string(i.version); string(i.environmentName); byte(i.status.code)
        string(i.deployedBy); string(i.deployedByEmail); string(i.deployedByName)
        string(i.scmSha); string(i.scmRepository); string(i.scmBranch); string(i.deployURL)
        string(i.buildNumber); string(i.sourceSystem); string(i.invokeID)
        timestamp(i.startedAt); timestamp(i.completedAt); json(i.extraMetadata)
    }

    mutating func buildInput(_ i: BuildEventInput) {
        string(i.productName); string(i.version); byte(i.status.code)
        string(i.builtBy); string(i.builtByEmail); string(i.builtByName)
        string(i.scmSha); string(i.scmBranch); string(i.scmRepository); string(i.buildURL)
        string(i.buildNumber); string(i.sourceSystem); string(i.invokeID)
        timestamp(i.startedAt); timestamp(i.completedAt); string(i.errorMessage); string(i.errorCode)
        json(i.extraMetadata)
    }

    mutating func deploymentEvent(_ e: AcceptedDeploymentEvent) {
        id(e.eventID); timestamp(e.recordedAt); id(e.productID); id(e.versionID); id(e.environmentID); id(e.deploymentID)
        deploymentInput(e.input)
    }

    mutating func buildEvent(_ e: AcceptedBuildEvent) {
        id(e.eventID); timestamp(e.recordedAt); id(e.productID); id(e.versionID); id(e.buildID)
        buildInput(e.input)
    }

    mutating func version(_ v: Version) {
        id(v.id); id(v.productID); string(v.name); string(v.scmSha); string(v.scmRepository); string(v.scmBranch)
        timestamp(v.createdAt)
    }

    mutating func build(_ b: Build) {
        id(b.id); id(b.productID); id(b.versionID); byte(b.status.code)
        string(b.buildNumber); string(b.buildURL); string(b.scmSha); string(b.scmBranch); string(b.scmRepository)
        string(b.builtBy); string(b.builtByEmail); string(b.builtByName); string(b.sourceSystem); string(b.invokeID)
        timestamp(b.startedAt); timestamp(b.completedAt); string(b.errorMessage); string(b.errorCode)
        json(b.extraMetadata); timestamp(b.createdAt); id(b.lastEventID); timestamp(b.lastRecordedAt)
    }

    mutating func deployment(_ d: Deployment) {
        id(d.id); id(d.productID); id(d.versionID); id(d.environmentID); byte(d.status.code)
        timestamp(d.startedAt); timestamp(d.completedAt)
        string(d.deployedBy); string(d.deployedByEmail); string(d.deployedByName)
        string(d.scmSha); string(d.scmRepository); string(d.scmBranch); string(d.deployURL)
        string(d.buildNumber); string(d.sourceSystem); string(d.invokeID)
        json(d.extraMetadata); timestamp(d.createdAt); id(d.lastEventID); timestamp(d.lastRecordedAt)
    }

    mutating func apiKey(_ k: APIKey) {
        id(k.id); string(k.name); string(k.description)
        count(k.scopes.count)
        for scope in k.scopes { string(scope.rawValue) }
        string(k.account); string(k.keyID)
        count(k.salt.count); bytes(k.salt)
        count(k.secretHash.count); bytes(k.secretHash)
        timestamp(k.createdAt); timestamp(k.lastUsedAt); timestamp(k.revokedAt)
    }

    mutating func loggedEvent(_ e: LoggedEvent) {
        switch e {
        case .deployment(let event): byte(1); deploymentEvent(event)
        case .build(let event): byte(2); buildEvent(event)
        }
    }

    /// A change as the journal stores it: a kind byte, then the change.
    mutating func change(_ change: StateChange) {
        switch change {
        case .deploymentEvent(let e): byte(1); deploymentEvent(e)
        case .buildEvent(let e): byte(2); buildEvent(e)
        case .productSaved(let p): byte(3); product(p)
        case .productDeleted(let i): byte(4); id(i)
        case .environmentSaved(let e): byte(5); environment(e)
        case .environmentDeleted(let i): byte(6); id(i)
        case .apiKeySaved(let k): byte(7); apiKey(k)
        }
    }
}

extension BinaryReader {
    mutating func product() throws(DecodingError) -> Product {
        Product(id: try id(), name: try string(), description: try optionalString(), extraMetadata: try json(),
                createdAt: try timestamp(), updatedAt: try timestamp())
    }

    mutating func environment() throws(DecodingError) -> Environment {
        Environment(id: try id(), name: try string(), type: try environmentType(), description: try optionalString(),
                    metadata: try json(), createdAt: try timestamp(), updatedAt: try timestamp())
    }

    mutating func deploymentInput() throws(DecodingError) -> DeploymentEventInput {
        DeploymentEventInput(
            productName: try string(), version: try string(), environmentName: try string(), status: try status(),
            deployedBy: try optionalString(), deployedByEmail: try optionalString(), deployedByName: try optionalString(),
            scmSha: try optionalString(), scmRepository: try optionalString(), scmBranch: try optionalString(),
            deployURL: try optionalString(), buildNumber: try optionalString(), sourceSystem: try optionalString(),
            invokeID: try optionalString(), startedAt: try optionalTimestamp(), completedAt: try optionalTimestamp(),
            extraMetadata: try optionalJSON())
    }

    mutating func buildInput() throws(DecodingError) -> BuildEventInput {
        BuildEventInput(
            productName: try string(), version: try string(), status: try status(),
            builtBy: try optionalString(), builtByEmail: try optionalString(), builtByName: try optionalString(),
            scmSha: try optionalString(), scmBranch: try optionalString(), scmRepository: try optionalString(),
            buildURL: try optionalString(), buildNumber: try optionalString(), sourceSystem: try optionalString(),
            invokeID: try optionalString(), startedAt: try optionalTimestamp(), completedAt: try optionalTimestamp(),
            errorMessage: try optionalString(), errorCode: try optionalString(), extraMetadata: try optionalJSON())
    }

    mutating func deploymentEvent() throws(DecodingError) -> AcceptedDeploymentEvent {
        AcceptedDeploymentEvent(eventID: try id(), recordedAt: try timestamp(), productID: try id(), versionID: try id(),
                                environmentID: try id(), deploymentID: try id(), input: try deploymentInput())
    }

    mutating func buildEvent() throws(DecodingError) -> AcceptedBuildEvent {
        AcceptedBuildEvent(eventID: try id(), recordedAt: try timestamp(), productID: try id(), versionID: try id(),
                           buildID: try id(), input: try buildInput())
    }

    mutating func version() throws(DecodingError) -> Version {
        Version(id: try id(), productID: try id(), name: try string(), scmSha: try optionalString(),
                scmRepository: try optionalString(), scmBranch: try optionalString(), createdAt: try timestamp())
    }

    mutating func build() throws(DecodingError) -> Build {
        Build(id: try id(), productID: try id(), versionID: try id(), status: try status(),
              buildNumber: try optionalString(), buildURL: try optionalString(), scmSha: try optionalString(),
              scmBranch: try optionalString(), scmRepository: try optionalString(), builtBy: try optionalString(),
              builtByEmail: try optionalString(), builtByName: try optionalString(), sourceSystem: try optionalString(),
              invokeID: try optionalString(), startedAt: try optionalTimestamp(), completedAt: try optionalTimestamp(),
              errorMessage: try optionalString(), errorCode: try optionalString(), extraMetadata: try json(),
              createdAt: try timestamp(), lastEventID: try id(), lastRecordedAt: try timestamp())
    }

    mutating func deployment() throws(DecodingError) -> Deployment {
        Deployment(id: try id(), productID: try id(), versionID: try id(), environmentID: try id(), status: try status(),
                   startedAt: try optionalTimestamp(), completedAt: try optionalTimestamp(),
                   deployedBy: try optionalString(), deployedByEmail: try optionalString(), deployedByName: try optionalString(),
                   scmSha: try optionalString(), scmRepository: try optionalString(), scmBranch: try optionalString(),
                   deployURL: try optionalString(), buildNumber: try optionalString(), sourceSystem: try optionalString(),
                   invokeID: try optionalString(), extraMetadata: try json(), createdAt: try timestamp(),
                   lastEventID: try id(), lastRecordedAt: try timestamp())
    }

    mutating func apiKey() throws(DecodingError) -> APIKey {
        let id = try id()
        let name = try string()
        let description = try optionalString()
        var scopes: [Scope] = []
        for _ in 0..<(try count()) {
            let word = try string()
            guard let scope = Scope(rawValue: word) else { throw DecodingError("unknown scope \(word)") }
            scopes.append(scope)
        }
        let account = try string()
        let keyID = try string()
        let salt = try bytes(try count())
        let hash = try bytes(try count())
        return APIKey(id: id, name: name, description: description, scopes: scopes, account: account, keyID: keyID,
                      salt: salt, secretHash: hash, createdAt: try timestamp(), lastUsedAt: try optionalTimestamp(),
                      revokedAt: try optionalTimestamp())
    }

    mutating func loggedEvent() throws(DecodingError) -> LoggedEvent {
        switch try byte() {
        case 1: return .deployment(try deploymentEvent())
        case 2: return .build(try buildEvent())
        case let kind: throw DecodingError("unknown event kind \(kind)")
        }
    }

    mutating func change() throws(DecodingError) -> StateChange {
        switch try byte() {
        case 1: return .deploymentEvent(try deploymentEvent())
        case 2: return .buildEvent(try buildEvent())
        case 3: return .productSaved(try product())
        case 4: return .productDeleted(try id())
        case 5: return .environmentSaved(try environment())
        case 6: return .environmentDeleted(try id())
        case 7: return .apiKeySaved(try apiKey())
        case let kind: throw DecodingError("unknown change kind \(kind)")
        }
    }
}
