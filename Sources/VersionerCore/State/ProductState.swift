/// Everything Versioner knows about one product: a value type changed only by `apply`.
///
/// Primary data lives in arrays in creation order (ids ascend with it); the dictionaries beside
/// them are indexes derived from the arrays, rebuilt by ``rebuildIndexes()`` after a cascade
/// delete or after decoding, so that every query is answered without scanning all deployments.
public struct ProductState: Sendable {
    public private(set) var product: Product
    public private(set) var versions: [Version] = []
    public private(set) var builds: [Build] = []
    public private(set) var deployments: [Deployment] = []
    /// The audit log of this product's accepted events, oldest first.
    public private(set) var events: [LoggedEvent] = []

    // Indexes (positions into the arrays above).
    private var versionByID: [EntityID: Int] = [:]
    private var versionByName: [String: Int] = [:]
    private var versionsBySha: [String: [Int]] = [:]
    private var buildByID: [EntityID: Int] = [:]
    private var buildsByVersion: [EntityID: [Int]] = [:]
    private var openBuildsByVersion: [EntityID: [Int]] = [:]
    private var deploymentByID: [EntityID: Int] = [:]
    private var deploymentsByEnvironment: [EntityID: [Int]] = [:]
    private var openDeployments: [EnvironmentVersion: [Int]] = [:]
    private var slots: [EntityID: EnvironmentSlot] = [:]

    private struct EnvironmentVersion: Hashable {
        var environmentID: EntityID
        var versionID: EntityID
    }

    /// What one environment shows for this product: the deployment that completed last, and the
    /// deployment that received the most recent event.
    public struct EnvironmentSlot: Hashable, Sendable {
        public var current: Int?
        public var latest: Int
    }

    public init(product: Product) {
        self.product = product
    }

    // MARK: Lookups

    public func version(id: EntityID) -> Version? { versionByID[id].map { versions[$0] } }
    public func version(named name: String) -> Version? { versionByName[name].map { versions[$0] } }
    public func build(id: EntityID) -> Build? { buildByID[id].map { builds[$0] } }
    public func deployment(id: EntityID) -> Deployment? { deploymentByID[id].map { deployments[$0] } }

    /// The builds of a version, oldest first.
    public func builds(ofVersion versionID: EntityID) -> [Build] {
        (buildsByVersion[versionID] ?? []).map { builds[$0] }
    }

    /// Versions whose `scmSha` equals `sha`, ignoring case, oldest first.
    public func versions(withSha sha: String) -> [Version] {
        (versionsBySha[sha.lowercased()] ?? []).map { versions[$0] }
    }

    /// Positions of the deployments to an environment, oldest first.
    public func deploymentPositions(environmentID: EntityID) -> [Int] {
        deploymentsByEnvironment[environmentID] ?? []
    }

    /// The environments this product has been deployed to, with their current and latest deployments.
    public var environmentSlots: [EntityID: (current: Deployment?, latest: Deployment)] {
        slots.mapValues { slot in (slot.current.map { deployments[$0] }, deployments[slot.latest]) }
    }

    /// The environments where `versionID` is the current version, with the deployment that put it there.
    public func currentDeployments(ofVersion versionID: EntityID) -> [Deployment] {
        slots.values.compactMap { slot in
            guard let current = slot.current, deployments[current].versionID == versionID else { return nil }
            return deployments[current]
        }
    }

    // MARK: Planning: deciding what an event does, before it is accepted

    /// The open deployment an event correlates to (spec §3, lifecycle correlation), if any.
    ///
    /// Among the non-terminal deployments of the same environment and version: with an
    /// `invoke_id`, the newest with that `invoke_id`, else the newest without any; without an
    /// `invoke_id`, the newest.
    public func correlatedDeployment(environmentID: EntityID, versionID: EntityID, invokeID: String?) -> EntityID? {
        let open = openDeployments[EnvironmentVersion(environmentID: environmentID, versionID: versionID)] ?? []
        let candidates = open.reversed().map { deployments[$0] }
        return Self.correlate(candidates, invokeID: invokeID, invokeIDOf: \.invokeID)?.id
    }

    /// The open build a build event correlates to, by the same rule as deployments.
    public func correlatedBuild(versionID: EntityID, invokeID: String?) -> EntityID? {
        let candidates = (openBuildsByVersion[versionID] ?? []).reversed().map { builds[$0] }
        return Self.correlate(candidates, invokeID: invokeID, invokeIDOf: \.invokeID)?.id
    }

    private static func correlate<T>(_ newestFirst: [T], invokeID: String?, invokeIDOf: KeyPath<T, String?>) -> T? {
        guard let invokeID else { return newestFirst.first }
        return newestFirst.first(where: { $0[keyPath: invokeIDOf] == invokeID })
            ?? newestFirst.first(where: { $0[keyPath: invokeIDOf] == nil })
    }

    /// Whether a build's SHA conflicts with the version's: both non-empty and different.
    public func shaConflict(version name: String, sha: String?) -> Bool {
        guard let sha, !sha.isEmpty, let existing = version(named: name)?.scmSha, !existing.isEmpty else { return false }
        return existing.lowercased() != sha.lowercased()
    }

    // MARK: Applying accepted changes

    /// Applies an accepted deployment event. When its environment no longer exists (deleted
    /// between acceptance and now), only the audit log keeps it.
    public mutating func apply(_ event: AcceptedDeploymentEvent, environmentExists: Bool = true) {
        let input = event.input
        events.append(.deployment(event))
        ensureVersion(id: event.versionID, name: input.version, at: event.recordedAt,
                      sha: input.scmSha, repository: input.scmRepository, branch: input.scmBranch)
        guard environmentExists else { return }

        let position: Int
        if let existing = deploymentByID[event.deploymentID] {
            position = existing
            var deployment = deployments[position]
            deployment.status = input.status
            deployment.deployedBy = input.deployedBy ?? deployment.deployedBy
            deployment.deployedByEmail = input.deployedByEmail ?? deployment.deployedByEmail
            deployment.deployedByName = input.deployedByName ?? deployment.deployedByName
            deployment.scmSha = input.scmSha ?? deployment.scmSha
            deployment.scmRepository = input.scmRepository ?? deployment.scmRepository
            deployment.scmBranch = input.scmBranch ?? deployment.scmBranch
            deployment.deployURL = input.deployURL ?? deployment.deployURL
            deployment.buildNumber = input.buildNumber ?? deployment.buildNumber
            deployment.sourceSystem = input.sourceSystem ?? deployment.sourceSystem
            deployment.invokeID = input.invokeID ?? deployment.invokeID
            deployment.startedAt = input.startedAt ?? deployment.startedAt
            deployment.completedAt = input.completedAt ?? deployment.completedAt
            if let metadata = input.extraMetadata {
                deployment.extraMetadata = deployment.extraMetadata.merged(with: metadata)
            }
            deployment.lastEventID = event.eventID
            deployment.lastRecordedAt = event.recordedAt
            deployments[position] = deployment
        } else {
            position = deployments.count
            deployments.append(Deployment(
                id: event.deploymentID, productID: product.id, versionID: event.versionID,
                environmentID: event.environmentID, status: input.status,
                startedAt: input.startedAt, completedAt: input.completedAt,
                deployedBy: input.deployedBy, deployedByEmail: input.deployedByEmail, deployedByName: input.deployedByName,
                scmSha: input.scmSha, scmRepository: input.scmRepository, scmBranch: input.scmBranch,
                deployURL: input.deployURL, buildNumber: input.buildNumber, sourceSystem: input.sourceSystem,
                invokeID: input.invokeID, extraMetadata: input.extraMetadata ?? .empty,
                createdAt: event.recordedAt, lastEventID: event.eventID, lastRecordedAt: event.recordedAt))
            deploymentByID[event.deploymentID] = position
            deploymentsByEnvironment[event.environmentID, default: []].append(position)
            if !input.status.isTerminal {
                openDeployments[EnvironmentVersion(environmentID: event.environmentID, versionID: event.versionID), default: []]
                    .append(position)
            }
        }
        if input.status.isTerminal {
            // The server stamps completion when the finishing event carries no completed_at.
            if input.completedAt == nil { deployments[position].completedAt = event.recordedAt }
            let key = EnvironmentVersion(environmentID: event.environmentID, versionID: event.versionID)
            openDeployments[key]?.removeAll(where: { $0 == position })
            if openDeployments[key]?.isEmpty == true { openDeployments[key] = nil }
        }
        var slot = slots[event.environmentID] ?? EnvironmentSlot(current: nil, latest: position)
        slot.latest = position
        if input.status == .completed { slot.current = position }
        slots[event.environmentID] = slot
        product.updatedAt = max(product.updatedAt, event.recordedAt)
    }

    /// Applies an accepted build event.
    public mutating func apply(_ event: AcceptedBuildEvent) {
        let input = event.input
        events.append(.build(event))
        ensureVersion(id: event.versionID, name: input.version, at: event.recordedAt,
                      sha: input.scmSha, repository: input.scmRepository, branch: input.scmBranch)
        let position: Int
        if let existing = buildByID[event.buildID] {
            position = existing
            var build = builds[position]
            build.status = input.status
            build.buildNumber = input.buildNumber ?? build.buildNumber
            build.buildURL = input.buildURL ?? build.buildURL
            build.scmSha = input.scmSha ?? build.scmSha
            build.scmBranch = input.scmBranch ?? build.scmBranch
            build.scmRepository = input.scmRepository ?? build.scmRepository
            build.builtBy = input.builtBy ?? build.builtBy
            build.builtByEmail = input.builtByEmail ?? build.builtByEmail
            build.builtByName = input.builtByName ?? build.builtByName
            build.sourceSystem = input.sourceSystem ?? build.sourceSystem
            build.invokeID = input.invokeID ?? build.invokeID
            build.startedAt = input.startedAt ?? build.startedAt
            build.completedAt = input.completedAt ?? build.completedAt
            build.errorMessage = input.errorMessage ?? build.errorMessage
            build.errorCode = input.errorCode ?? build.errorCode
            if let metadata = input.extraMetadata {
                build.extraMetadata = build.extraMetadata.merged(with: metadata)
            }
            build.lastEventID = event.eventID
            build.lastRecordedAt = event.recordedAt
            builds[position] = build
        } else {
            position = builds.count
            builds.append(Build(
                id: event.buildID, productID: product.id, versionID: event.versionID, status: input.status,
                buildNumber: input.buildNumber, buildURL: input.buildURL, scmSha: input.scmSha,
                scmBranch: input.scmBranch, scmRepository: input.scmRepository, builtBy: input.builtBy,
                builtByEmail: input.builtByEmail, builtByName: input.builtByName, sourceSystem: input.sourceSystem,
                invokeID: input.invokeID, startedAt: input.startedAt, completedAt: input.completedAt,
                errorMessage: input.errorMessage, errorCode: input.errorCode,
                extraMetadata: input.extraMetadata ?? .empty, createdAt: event.recordedAt,
                lastEventID: event.eventID, lastRecordedAt: event.recordedAt))
            buildByID[event.buildID] = position
            buildsByVersion[event.versionID, default: []].append(position)
            if !input.status.isTerminal { openBuildsByVersion[event.versionID, default: []].append(position) }
        }
        if input.status.isTerminal {
            if input.completedAt == nil { builds[position].completedAt = event.recordedAt }
            openBuildsByVersion[event.versionID]?.removeAll(where: { $0 == position })
            if openBuildsByVersion[event.versionID]?.isEmpty == true { openBuildsByVersion[event.versionID] = nil }
        }
        product.updatedAt = max(product.updatedAt, event.recordedAt)
    }

    /// Replaces the product's own fields (name, description, metadata), keeping its history.
    public mutating func apply(_ saved: Product) {
        product = saved
    }

    /// Drops every deployment to an environment; its events stay in the audit log.
    public mutating func removeDeployments(environmentID: EntityID) {
        guard deploymentsByEnvironment[environmentID] != nil else { return }
        deployments.removeAll(where: { $0.environmentID == environmentID })
        rebuildIndexes()
    }

    @discardableResult
    private mutating func ensureVersion(id: EntityID, name: String, at time: Timestamp,
                                        sha: String?, repository: String?, branch: String?) -> Int {
        let position: Int
        if let existing = versionByID[id] {
            position = existing
        } else {
            position = versions.count
            versions.append(Version(id: id, productID: product.id, name: name, scmSha: nil,
                                    scmRepository: nil, scmBranch: nil, createdAt: time))
            versionByID[id] = position
            versionByName[name] = position
        }
        // A version's SHA is set once, by the first event that carries one; so are its repository and branch.
        if versions[position].scmSha == nil, let sha, !sha.isEmpty {
            versions[position].scmSha = sha
            versionsBySha[sha.lowercased(), default: []].append(position)
        }
        if versions[position].scmRepository == nil { versions[position].scmRepository = repository }
        if versions[position].scmBranch == nil { versions[position].scmBranch = branch }
        return position
    }

    /// Rebuilds every index from the primary arrays.
    public mutating func rebuildIndexes() {
        versionByID = [:]
        versionByName = [:]
        versionsBySha = [:]
        for (position, version) in versions.enumerated() {
            versionByID[version.id] = position
            versionByName[version.name] = position
            if let sha = version.scmSha { versionsBySha[sha.lowercased(), default: []].append(position) }
        }
        buildByID = [:]
        buildsByVersion = [:]
        openBuildsByVersion = [:]
        for (position, build) in builds.enumerated() {
            buildByID[build.id] = position
            buildsByVersion[build.versionID, default: []].append(position)
            if !build.status.isTerminal { openBuildsByVersion[build.versionID, default: []].append(position) }
        }
        deploymentByID = [:]
        deploymentsByEnvironment = [:]
        openDeployments = [:]
        slots = [:]
        for (position, deployment) in deployments.enumerated() {
            deploymentByID[deployment.id] = position
            deploymentsByEnvironment[deployment.environmentID, default: []].append(position)
            if !deployment.status.isTerminal {
                openDeployments[EnvironmentVersion(environmentID: deployment.environmentID, versionID: deployment.versionID),
                                default: []].append(position)
            }
            var slot = slots[deployment.environmentID] ?? EnvironmentSlot(current: nil, latest: position)
            if deployments[slot.latest].lastEventID <= deployment.lastEventID { slot.latest = position }
            if deployment.status == .completed,
               slot.current.map({ deployments[$0].lastEventID < deployment.lastEventID }) ?? true {
                slot.current = position
            }
            slots[deployment.environmentID] = slot
        }
    }

    /// A state rebuilt from its primary data (for snapshots).
    public init(product: Product, versions: [Version], builds: [Build], deployments: [Deployment], events: [LoggedEvent]) {
        self.product = product
        self.versions = versions
        self.builds = builds
        self.deployments = deployments
        self.events = events
        rebuildIndexes()
    }
}
