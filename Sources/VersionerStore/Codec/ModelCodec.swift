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

    // Snapshot records (format 3). A record whose text fields are those of an event the snapshot
    // holds (the event that made a version; a build's or deployment's last event) says so in
    // one byte instead of storing them again: usually so, and then the reader shares the
    // event's buffer, as the live state did.

    mutating func version(_ v: Version, creator: LoggedEvent?) {
        id(v.id); id(v.productID); string(v.name); timestamp(v.createdAt)
        switch creator {
        case .deployment(let e)? where v.hasText(of: e.input): byte(1)
        case .build(let e)? where v.hasText(of: e.input): byte(1)
        default: byte(0); string(v.scmSha); string(v.scmRepository); string(v.scmBranch)
        }
    }

    mutating func build(_ b: Build, lastEvent: LoggedEvent?) {
        id(b.id); id(b.productID); id(b.versionID); byte(b.status.code)
        timestamp(b.startedAt); timestamp(b.completedAt)
        timestamp(b.createdAt); id(b.lastEventID); timestamp(b.lastRecordedAt)
        if case .build(let e)? = lastEvent, b.hasText(of: e.input) { byte(1); return }
        byte(0)
        string(b.buildNumber); string(b.buildURL); string(b.scmSha); string(b.scmBranch); string(b.scmRepository)
        string(b.builtBy); string(b.builtByEmail); string(b.builtByName); string(b.sourceSystem); string(b.invokeID)
        string(b.errorMessage); string(b.errorCode); json(b.extraMetadata)
    }

    mutating func deployment(_ d: Deployment, lastEvent: LoggedEvent?) {
        id(d.id); id(d.productID); id(d.versionID); id(d.environmentID); byte(d.status.code)
        timestamp(d.startedAt); timestamp(d.completedAt)
        timestamp(d.createdAt); id(d.lastEventID); timestamp(d.lastRecordedAt)
        if case .deployment(let e)? = lastEvent, d.hasText(of: e.input) { byte(1); return }
        byte(0)
        string(d.deployedBy); string(d.deployedByEmail); string(d.deployedByName)
        string(d.scmSha); string(d.scmRepository); string(d.scmBranch); string(d.deployURL)
        string(d.buildNumber); string(d.sourceSystem); string(d.invokeID); json(d.extraMetadata)
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

    mutating func version(creators: inout VersionCreators) throws(DecodingError) -> Version {
        let (id, productID, name, createdAt) = (try self.id(), try self.id(), try string(), try timestamp())
        let creator = creators.next(id)  // for every version, as the writer does
        guard try textMarker() else {
            return Version(id: id, productID: productID, name: name, scmSha: try optionalString(),
                           scmRepository: try optionalString(), scmBranch: try optionalString(), createdAt: createdAt)
        }
        switch creator {
        case .deployment(let e)?: return Version(id: id, productID: productID, name: name, createdAt: createdAt, textOf: e.input)
        case .build(let e)?: return Version(id: id, productID: productID, name: name, createdAt: createdAt, textOf: e.input)
        case nil: throw DecodingError("version \(id) refers to an event the snapshot does not hold")
        }
    }

    mutating func build(events: EventLookup) throws(DecodingError) -> Build {
        let (id, productID, versionID, status) = (try self.id(), try self.id(), try self.id(), try self.status())
        let (startedAt, completedAt) = (try optionalTimestamp(), try optionalTimestamp())
        let (createdAt, lastEventID, lastRecordedAt) = (try timestamp(), try self.id(), try timestamp())
        guard try textMarker() else {
            return Build(id: id, productID: productID, versionID: versionID, status: status,
                         buildNumber: try optionalString(), buildURL: try optionalString(), scmSha: try optionalString(),
                         scmBranch: try optionalString(), scmRepository: try optionalString(), builtBy: try optionalString(),
                         builtByEmail: try optionalString(), builtByName: try optionalString(),
                         sourceSystem: try optionalString(), invokeID: try optionalString(), startedAt: startedAt,
                         completedAt: completedAt, errorMessage: try optionalString(), errorCode: try optionalString(),
                         extraMetadata: try json(), createdAt: createdAt, lastEventID: lastEventID,
                         lastRecordedAt: lastRecordedAt)
        }
        guard case .build(let event)? = events[lastEventID] else {
            throw DecodingError("build \(id) refers to an event the snapshot does not hold")
        }
        return Build(id: id, productID: productID, versionID: versionID, status: status, startedAt: startedAt,
                     completedAt: completedAt, textOf: event.input, createdAt: createdAt, lastEventID: lastEventID,
                     lastRecordedAt: lastRecordedAt)
    }

    mutating func deployment(events: EventLookup) throws(DecodingError) -> Deployment {
        let (id, productID, versionID, environmentID) = (try self.id(), try self.id(), try self.id(), try self.id())
        let (status, startedAt, completedAt) = (try self.status(), try optionalTimestamp(), try optionalTimestamp())
        let (createdAt, lastEventID, lastRecordedAt) = (try timestamp(), try self.id(), try timestamp())
        guard try textMarker() else {
            return Deployment(id: id, productID: productID, versionID: versionID, environmentID: environmentID,
                              status: status, startedAt: startedAt, completedAt: completedAt,
                              deployedBy: try optionalString(), deployedByEmail: try optionalString(),
                              deployedByName: try optionalString(), scmSha: try optionalString(),
                              scmRepository: try optionalString(), scmBranch: try optionalString(),
                              deployURL: try optionalString(), buildNumber: try optionalString(),
                              sourceSystem: try optionalString(), invokeID: try optionalString(), extraMetadata: try json(),
                              createdAt: createdAt, lastEventID: lastEventID, lastRecordedAt: lastRecordedAt)
        }
        guard case .deployment(let event)? = events[lastEventID] else {
            throw DecodingError("deployment \(id) refers to an event the snapshot does not hold")
        }
        return Deployment(id: id, productID: productID, versionID: versionID, environmentID: environmentID,
                          status: status, startedAt: startedAt, completedAt: completedAt, textOf: event.input,
                          createdAt: createdAt, lastEventID: lastEventID, lastRecordedAt: lastRecordedAt)
    }

    /// Whether a record's text fields are its event's (1) or follow (0).
    private mutating func textMarker() throws(DecodingError) -> Bool {
        switch try byte() {
        case 0: return false
        case 1: return true
        case let other: throw DecodingError("invalid text marker \(other) at byte \(offset - 1)")
        }
    }

    // Formats 1 and 2: every record with all its fields, in the order the records were written.

    mutating func versionFormat2() throws(DecodingError) -> Version {
        Version(id: try id(), productID: try id(), name: try string(), scmSha: try optionalString(),
                scmRepository: try optionalString(), scmBranch: try optionalString(), createdAt: try timestamp())
    }

    mutating func buildFormat2() throws(DecodingError) -> Build {
        Build(id: try id(), productID: try id(), versionID: try id(), status: try status(),
              buildNumber: try optionalString(), buildURL: try optionalString(), scmSha: try optionalString(),
              scmBranch: try optionalString(), scmRepository: try optionalString(), builtBy: try optionalString(),
              builtByEmail: try optionalString(), builtByName: try optionalString(), sourceSystem: try optionalString(),
              invokeID: try optionalString(), startedAt: try optionalTimestamp(), completedAt: try optionalTimestamp(),
              errorMessage: try optionalString(), errorCode: try optionalString(), extraMetadata: try json(),
              createdAt: try timestamp(), lastEventID: try id(), lastRecordedAt: try timestamp())
    }

    mutating func deploymentFormat2() throws(DecodingError) -> Deployment {
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
