/// Everything Versioner knows about one product: a value type changed only by `apply`.
///
/// Primary data lives in arrays in creation order (ids ascend with it); the dictionaries beside
/// them are indexes derived from the arrays, rebuilt by ``rebuildIndexes()`` after a cascade
/// delete or after decoding, so that every query is answered without scanning all deployments.
public struct ProductState: Sendable {
    /// The fields, in one box shared by copies: reading a state out of a dictionary costs one
    /// retain rather than one per array and index, and the first change to a shared box copies it.
    private var box: Box

    /// Safe to send for the reason an array is: a box shared by copies is never changed, one
    /// about to be changed is first copied unless this state holds the only reference.
    private final class Box: @unchecked Sendable {
        var fields: Fields
        init(_ fields: Fields) { self.fields = fields }
    }

    private struct Fields {
        var product: Product
        var versions: [Version] = []
        var builds: [Build] = []
        var deployments: [Deployment] = []
        /// The audit log of this product's accepted events, oldest first.
        var events: [LoggedEvent] = []
        /// Approvals of its versions for environments (deployment rules of type `approval`), oldest first.
        var approvals: [Approval] = []

        // Indexes (positions into the arrays above).
        var versionByID: IDPositions = IDPositions()
        var versionByName: HashedPositions = HashedPositions()
        /// Versions by SHA, ignoring case (hash-keyed: the index holds no copy of each SHA).
        var versionsBySha: HashedPositions = HashedPositions(ignoringCase: true)
        var buildByID: IDPositions = IDPositions()
        var buildsByVersion: [EntityID: [Int]] = [:]
        var openBuildsByVersion: [EntityID: [Int]] = [:]
        var deploymentByID: IDPositions = IDPositions()
        var deploymentsByEnvironment: [EntityID: [Int]] = [:]
        /// Each environment's deployments by their own time (``Deployment/deployedAt``, then id),
        /// oldest first: what history lists walk, so that one imported late sits where it happened.
        var timelines: [EntityID: [Int32]] = [:]
        /// All its deployments by their own time, oldest first (a list over every environment).
        var productTimeline: [Int32] = []
        /// Each environment's deployments' times, beside `deploymentsByEnvironment` (same order),
        /// packed and summed up by blocks: what a matrix of a past instant reads.
        var instantTimes: [EntityID: InstantTimes] = [:]
        var openDeployments: [EnvironmentVersion: [Int]] = [:]
        /// The pending and started deployments to each environment, oldest first (concurrency rules).
        var openByEnvironment: [EntityID: [Int]] = [:]
        /// The newest `completed_at` of each version's completed deployments to each environment (flow rules).
        var completions: [EnvironmentVersion: Timestamp] = [:]
        /// Positions of the events whose preflight left violations (blocked, report-only, skipped).
        var violationEvents: [Int] = []
        /// The deployments whose first event asked to skip the deployment rules.
        var preflightSkips: Set<EntityID> = []
        var slots: [EntityID: EnvironmentSlot] = [:]
        /// Each environment's finished deployments in time order (rollbacks, DORA).
        var histories: [EntityID: EnvironmentHistory] = [:]
        /// What each deployment (by position) is: a rollback, a hotfix (read by the DORA figures
        /// for every deployment, so worked out once, as events are applied).
        var flags: [DeploymentFlags] = []
        /// The position of each deployment's version (by the deployment's position): the DORA
        /// figures read it for every deployment, and a search by id would be a cache miss per step.
        var versionPositions: [Int32] = []
        /// The versions one of whose builds is marked a hotfix.
        var hotfixVersions: Set<EntityID> = []
        /// Each version's first evidence (by the version's position): the earliest of when it was
        /// recorded and what its builds give (a build's `started_at`, or the
        /// `extra_metadata.scm_committed_at` a pipeline sent).
        var evidence: [Timestamp] = []
    }

    private var fields: Fields {
        _read { yield box.fields }
        _modify {
            if !isKnownUniquelyReferenced(&box) { box = Box(box.fields) }
            yield &box.fields
        }
    }

    // The fields, read in place. The public ones change only through `apply`.
    public var product: Product { _read { yield fields.product } }
    public var versions: [Version] { _read { yield fields.versions } }
    public var builds: [Build] { _read { yield fields.builds } }
    public var deployments: [Deployment] { _read { yield fields.deployments } }
    /// The audit log of this product's accepted events, oldest first.
    public var events: [LoggedEvent] { _read { yield fields.events } }
    /// Approvals of its versions for environments (deployment rules of type `approval`), oldest first.
    public var approvals: [Approval] { _read { yield fields.approvals } }
    // The indexes, read and changed in place through the box (they are described in `Fields`).
    private var versionByID: IDPositions { _read { yield fields.versionByID } _modify { yield &fields.versionByID } }
    private var versionByName: HashedPositions { _read { yield fields.versionByName } _modify { yield &fields.versionByName } }
    private var versionsBySha: HashedPositions { _read { yield fields.versionsBySha } _modify { yield &fields.versionsBySha } }
    private var buildByID: IDPositions { _read { yield fields.buildByID } _modify { yield &fields.buildByID } }
    private var buildsByVersion: [EntityID: [Int]] { _read { yield fields.buildsByVersion } _modify { yield &fields.buildsByVersion } }
    private var openBuildsByVersion: [EntityID: [Int]] { _read { yield fields.openBuildsByVersion } _modify { yield &fields.openBuildsByVersion } }
    private var deploymentByID: IDPositions { _read { yield fields.deploymentByID } _modify { yield &fields.deploymentByID } }
    private var deploymentsByEnvironment: [EntityID: [Int]] { _read { yield fields.deploymentsByEnvironment } _modify { yield &fields.deploymentsByEnvironment } }
    private var timelines: [EntityID: [Int32]] { _read { yield fields.timelines } _modify { yield &fields.timelines } }
    private var productTimeline: [Int32] { _read { yield fields.productTimeline } _modify { yield &fields.productTimeline } }
    private var instantTimes: [EntityID: InstantTimes] { _read { yield fields.instantTimes } _modify { yield &fields.instantTimes } }
    private var openDeployments: [EnvironmentVersion: [Int]] { _read { yield fields.openDeployments } _modify { yield &fields.openDeployments } }
    private var openByEnvironment: [EntityID: [Int]] { _read { yield fields.openByEnvironment } _modify { yield &fields.openByEnvironment } }
    private var completions: [EnvironmentVersion: Timestamp] { _read { yield fields.completions } _modify { yield &fields.completions } }
    private var violationEvents: [Int] { _read { yield fields.violationEvents } _modify { yield &fields.violationEvents } }
    private var preflightSkips: Set<EntityID> { _read { yield fields.preflightSkips } _modify { yield &fields.preflightSkips } }
    private var slots: [EntityID: EnvironmentSlot] { _read { yield fields.slots } _modify { yield &fields.slots } }
    private var histories: [EntityID: EnvironmentHistory] { _read { yield fields.histories } _modify { yield &fields.histories } }
    private var flags: [DeploymentFlags] { _read { yield fields.flags } _modify { yield &fields.flags } }
    private var versionPositions: [Int32] { _read { yield fields.versionPositions } _modify { yield &fields.versionPositions } }
    private var hotfixVersions: Set<EntityID> { _read { yield fields.hotfixVersions } _modify { yield &fields.hotfixVersions } }
    private var evidence: [Timestamp] { _read { yield fields.evidence } _modify { yield &fields.evidence } }

    private struct EnvironmentVersion: Hashable {
        var environmentID: EntityID
        var versionID: EntityID
    }

    /// What one environment shows for this product, by the deployments' own times (not by when
    /// their events arrived, so an old deployment sent late or imported never displaces a newer
    /// one): the deployment that completed last, and the attempt that started last.
    public struct EnvironmentSlot: Hashable, Sendable {
        public var current: Int?
        public var latest: Int
    }

    public init(product: Product) {
        box = Box(Fields(product: product))
    }

    // MARK: Lookups

    public func version(id: EntityID) -> Version? { versionPosition(id).map { versions[$0] } }
    public func version(named name: String) -> Version? {
        versionByName.firstPosition(for: name, where: { versions[$0].name == name }).map { versions[$0] }
    }
    public func build(id: EntityID) -> Build? { buildPosition(id).map { builds[$0] } }
    public func deployment(id: EntityID) -> Deployment? { deploymentPosition(id).map { deployments[$0] } }

    /// How many deployments to an environment are pending or started, and the oldest of them.
    public func openDeployments(environmentID: EntityID) -> (count: Int, oldest: Deployment?) {
        guard let open = openByEnvironment[environmentID], let first = open.first else { return (0, nil) }
        return (open.count, deployments[first])
    }

    /// When the version's newest completed deployment to the environment completed.
    public func latestCompletion(versionID: EntityID, environmentID: EntityID) -> Timestamp? {
        completions[EnvironmentVersion(environmentID: environmentID, versionID: versionID)]
    }

    /// The approvals of a version, oldest first.
    public func approvals(ofVersion versionID: EntityID) -> [Approval] {
        approvals.filter { $0.versionID == versionID }
    }

    public func approval(id: EntityID) -> Approval? { approvals.first { $0.id == id } }

    /// How many approvals the version has for the environment of that name.
    public func approvalCount(versionID: EntityID, environment: String) -> Int {
        approvals.reduce(0) { $0 + ($1.versionID == versionID && $1.environment == environment ? 1 : 0) }
    }

    /// The events whose preflight left violations, oldest first.
    public var preflightEvents: [AcceptedDeploymentEvent] {
        violationEvents.compactMap { position in
            if case .deployment(let event) = events[position] { return event }
            return nil
        }
    }

    /// Whether the deployment's first event asked to skip the deployment rules.
    public func skippedPreflight(_ deploymentID: EntityID) -> Bool {
        !preflightSkips.isEmpty && preflightSkips.contains(deploymentID)
    }

    /// Whether a deployment of this product is a rollback: its version had completed a
    /// deployment to that environment before the version running there when it was deployed.
    public func isRollback(_ deployment: Deployment) -> Bool {
        deploymentPosition(deployment.id).map { flags[$0].contains(.rollback) } ?? false
    }

    /// Positions of an environment's completed and failed deployments, by completion time.
    func finishedPositions(environmentID: EntityID) -> [Int32] { histories[environmentID]?.finished ?? [] }

    /// Whether the deployment at `position` is a rollback.
    func isRollback(at position: Int) -> Bool { flags[position].contains(.rollback) }

    /// Whether the deployment at `position` is its version's first completed deployment to its
    /// environment.
    func isFirstCompletion(at position: Int) -> Bool { flags[position].contains(.firstCompletion) }

    /// Whether the deployment at `position` is a hotfix (``DeploymentFlags/marksHotfix(_:)`` of
    /// its own metadata or of one of its version's builds').
    func isHotfix(at position: Int) -> Bool { flags[position].contains(.hotfix) }

    /// The position of the version of the deployment at `position`.
    func versionPosition(ofDeploymentAt position: Int) -> Int { Int(versionPositions[position]) }

    /// The earliest sign of the version at `position` (where change lead time starts): the
    /// earliest of its builds' `started_at` and `extra_metadata.scm_committed_at`, and when it
    /// was recorded.
    func firstEvidence(ofVersionAt position: Int) -> Timestamp { evidence[position] }

    /// The earliest sign of `version`, worked out from its builds (when a build changes, and on loading).
    private func firstEvidence(of version: Version) -> Timestamp {
        var earliest = version.createdAt
        for position in buildsByVersion[version.id] ?? [] {
            let build = builds[position]
            if let started = build.startedAt { earliest = min(earliest, started) }
            if case .string(let text)? = build.extraMetadata.member("scm_committed_at"),
               let committed = Timestamp(rfc3339: text) {
                earliest = min(earliest, committed)
            }
        }
        return earliest
    }

    private func versionPosition(_ id: EntityID) -> Int? { versionByID.position(of: id, in: versions, id: \.id) }
    private func buildPosition(_ id: EntityID) -> Int? { buildByID.position(of: id, in: builds, id: \.id) }
    private func deploymentPosition(_ id: EntityID) -> Int? { deploymentByID.position(of: id, in: deployments, id: \.id) }

    /// The builds of a version, oldest first.
    public func builds(ofVersion versionID: EntityID) -> [Build] {
        (buildsByVersion[versionID] ?? []).map { builds[$0] }
    }

    /// Versions whose `scmSha` equals `sha`, ignoring case, oldest first; or, for an
    /// abbreviated SHA (``VersionQuery/isAbbreviatedSha(_:)``: 7 to 39 hex digits, as people
    /// paste them from git), the versions whose SHA starts with it.
    public func versions(withSha sha: String) -> [Version] {
        let wanted = sha.lowercased()
        if VersionQuery.isAbbreviatedSha(sha) {
            // No index of prefixes: a search reads each version's SHA (a person's query, not a pipeline's).
            return versions.filter { $0.scmSha?.lowercased().hasPrefix(wanted) ?? false }
        }
        return versionsBySha.positions(for: sha).map { versions[$0] }.filter { $0.scmSha?.lowercased() == wanted }
    }

    /// The environments this product has deployments to.
    public var deployedEnvironmentIDs: [EntityID] { Array(deploymentsByEnvironment.keys) }

    /// Positions of the deployments to an environment, oldest first.
    public func deploymentPositions(environmentID: EntityID) -> [Int] {
        deploymentsByEnvironment[environmentID] ?? []
    }

    /// An environment's deployments by their own time, oldest first (positions); every
    /// environment's when `environmentID` is nil.
    public func timeline(environmentID: EntityID?) -> [Int32] {
        guard let environmentID else { return productTimeline }
        return timelines[environmentID] ?? []
    }

    /// Where a deployment sits in history lists: its own time, then its id.
    public static func timeKey(_ deployment: Deployment) -> TimeKey { TimeKey(time: deployment.deployedAt, id: deployment.id) }

    /// The environments this product has been deployed to (without copying their deployments).
    public var slotEnvironmentIDs: Dictionary<EntityID, EnvironmentSlot>.Keys { slots.keys }

    /// Hands `body` each environment this product has been deployed to, with its current and
    /// latest deployments, without building a dictionary of them.
    public func forEachSlot(_ body: (_ environmentID: EntityID, _ current: Deployment?, _ latest: Deployment) -> Void) {
        for (environmentID, slot) in slots {
            body(environmentID, slot.current.map { deployments[$0] }, deployments[slot.latest])
        }
    }

    /// The environments where `versionID` is the current version, with the deployment that put it there.
    public func currentDeployments(ofVersion versionID: EntityID) -> [Deployment] {
        slots.values.compactMap { slot in
            guard let current = slot.current, deployments[current].versionID == versionID else { return nil }
            return deployments[current]
        }
    }

    // MARK: Planning: deciding what an event does, before it is accepted

    /// The open deployment an event correlates to (docs/API.md §3, lifecycle correlation), if any.
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
        if let preflight = event.preflight, !preflight.violations.isEmpty { violationEvents.append(events.count) }
        fields.events.append(.deployment(event.logged))
        let versionPosition = ensureVersion(id: event.versionID, at: event.recordedAt, by: input)
        // A refused deployment is only in the audit log.
        guard environmentExists, event.preflight?.blocked != true else { return }

        let position: Int
        var previous: Deployment?
        if let existing = deploymentPosition(event.deploymentID) {
            position = existing
            previous = deployments[position]
            fields.deployments[position].details.lay(input)
            fields.deployments[position].lastEventID = event.eventID
            fields.deployments[position].lastRecordedAt = event.recordedAt
            if deployments[position].deployedAt != previous!.deployedAt {
                // A start given late moves the deployment in history: rare.
                timelines[event.environmentID]?.removeAll { $0 == Int32(position) }
                productTimeline.removeAll { $0 == Int32(position) }
                placeInTimeline(position)
            }
        } else {
            position = deployments.count
            // The deployment shares the event's text buffer (see `Deployment`).
            fields.deployments.append(Deployment(
                id: event.deploymentID, productID: product.id, versionID: event.versionID,
                environmentID: event.environmentID, details: RecordDetails(of: input),
                createdAt: event.recordedAt, lastEventID: event.eventID, lastRecordedAt: event.recordedAt))
            deploymentByID.appended(to: deployments, id: \.id)
            versionPositions.append(Int32(versionPosition))
            deploymentsByEnvironment[event.environmentID, default: []].append(position)
            placeInTimeline(position)
            if !input.status.isTerminal {
                openDeployments[EnvironmentVersion(environmentID: event.environmentID, versionID: event.versionID), default: []]
                    .append(position)
                openByEnvironment[event.environmentID, default: []].append(position)
            }
            if event.preflight?.skipRequested == true { preflightSkips.insert(event.deploymentID) }
        }
        if input.status.isTerminal {
            // The server stamps completion when the finishing event carries no completed_at.
            if input.completedAt == nil { fields.deployments[position].completedAt = event.recordedAt }
            let key = EnvironmentVersion(environmentID: event.environmentID, versionID: event.versionID)
            openDeployments[key]?.removeAll(where: { $0 == position })
            if openDeployments[key]?.isEmpty == true { openDeployments[key] = nil }
            openByEnvironment[event.environmentID]?.removeAll(where: { $0 == position })
            if openByEnvironment[event.environmentID]?.isEmpty == true { openByEnvironment[event.environmentID] = nil }
            if deployments[position].status == .completed, let time = deployments[position].completedAt {
                completions[key] = max(completions[key] ?? time, time)
            }
        }
        noteTimes(at: position, isNew: previous == nil)
        noteSlot(at: position, before: previous)
        noteHistory(at: position, before: previous)
        fields.product.updatedAt = max(fields.product.updatedAt, event.recordedAt)
    }

    /// Keeps the packed times of the deployment at `position` (appended when it is new: it is
    /// then its environment's last).
    private mutating func noteTimes(at position: Int, isNew: Bool) {
        let deployment = deployments[position]
        let times = DeploymentTimes(deployment)
        if isNew {
            instantTimes[deployment.environmentID, default: InstantTimes()].append(times)
        } else if let positions = deploymentsByEnvironment[deployment.environmentID] {
            let index = positions.partitionPoint { $0 >= position }
            instantTimes[deployment.environmentID]!.update(at: index, times)
        }
    }

    /// An environment's deployments' packed times, in the order of ``deploymentPositions(environmentID:)``.
    func instantTimes(environmentID: EntityID) -> InstantTimes {
        instantTimes[environmentID] ?? InstantTimes()
    }

    /// Puts the deployment at `position` in its environment's timeline: at the end, as a rule;
    /// where its time says when it is older than the last one there.
    private mutating func placeInTimeline(_ position: Int) {
        let environmentID = deployments[position].environmentID
        let key = Self.timeKey(deployments[position])
        timelines[environmentID, default: []].insert(Int32(position), at: placeFor(key, in: timelines[environmentID] ?? []))
        productTimeline.insert(Int32(position), at: placeFor(key, in: productTimeline))
    }

    /// Where `key` goes in a timeline: at the end, as a rule.
    private func placeFor(_ key: TimeKey, in timeline: [Int32]) -> Int {
        guard let last = timeline.last, Self.timeKey(deployments[Int(last)]) > key else { return timeline.count }
        return timeline.partitionPoint { Self.timeKey(deployments[Int($0)]) > key }
    }

    /// Keeps the environment's slot right after the deployment at `position` changed (from
    /// `previous`, or was created).
    private mutating func noteSlot(at position: Int, before previous: Deployment?) {
        let deployment = deployments[position]
        guard var slot = slots[deployment.environmentID] else {
            slots[deployment.environmentID] = EnvironmentSlot(current: deployment.status == .completed ? position : nil,
                                                              latest: position)
            return
        }
        // A deployment shown that moved back in time, or stopped being completed, may no longer be
        // the one to show: rare, so the environment's slot is worked out again.
        if let previous,
           (slot.latest == position && EnvironmentHistory.moment(of: deployment) < EnvironmentHistory.moment(of: previous))
            || (slot.current == position && (deployment.status != .completed || completion(deployment) < completion(previous))) {
            slots[deployment.environmentID] = workedOutSlot(deploymentsByEnvironment[deployment.environmentID] ?? [position])
            return
        }
        if startsLater(position, than: slot.latest) { slot.latest = position }
        if deployment.status == .completed, slot.current.map({ completesLater(position, than: $0) }) ?? true {
            slot.current = position
        }
        slots[deployment.environmentID] = slot
    }

    /// The slot of one environment's deployments (`positions`, non-empty, ascending).
    private func workedOutSlot(_ positions: [Int]) -> EnvironmentSlot {
        var slot = EnvironmentSlot(current: nil, latest: positions[0])
        for position in positions {
            if startsLater(position, than: slot.latest) { slot.latest = position }
            if deployments[position].status == .completed, slot.current.map({ completesLater(position, than: $0) }) ?? true {
                slot.current = position
            }
        }
        return slot
    }

    /// By start (``EnvironmentHistory/moment(of:)``), then by arrival.
    private func startsLater(_ a: Int, than b: Int) -> Bool {
        (EnvironmentHistory.moment(of: deployments[a]), a) > (EnvironmentHistory.moment(of: deployments[b]), b)
    }

    /// By `completed_at`, then by arrival.
    private func completesLater(_ a: Int, than b: Int) -> Bool {
        (completion(deployments[a]), a) > (completion(deployments[b]), b)
    }

    private func completion(_ deployment: Deployment) -> Timestamp {
        deployment.completedAt ?? Timestamp(microseconds: .min)
    }

    /// Keeps the environment's history and the rollback flags up to date after the deployment
    /// at `position` changed (from `previous`, or was created).
    private mutating func noteHistory(at position: Int, before previous: Deployment?) {
        let deployment = deployments[position]
        let environmentID = deployment.environmentID
        histories[environmentID, default: EnvironmentHistory()].noteMoment(of: deployment)
        if flags.count < deployments.count { flags.append([]) }
        flags[position].set(.hotfix, DeploymentFlags.marksHotfix(deployment.extraMetadata)
                                || (!hotfixVersions.isEmpty && hotfixVersions.contains(deployment.versionID)))
        if let previous, EnvironmentHistory.isFinished(previous) {
            // A late event to a finished deployment: rare, so the environment is worked out again.
            if (previous.status, previous.completedAt, EnvironmentHistory.moment(of: previous))
                != (deployment.status, deployment.completedAt, EnvironmentHistory.moment(of: deployment)) {
                rebuildHistory(environmentID: environmentID)
            }
            return
        }
        if EnvironmentHistory.isFinished(deployment) {
            if let replaced = histories[environmentID, default: EnvironmentHistory()].insert(position, in: deployments) {
                flags[replaced].remove(.firstCompletion)
            }
            flags[position].set(.firstCompletion, histories[environmentID]!.isFirstCompletion(position, in: deployments))
            if deployment.status == .completed, let time = deployment.completedAt,
               time < histories[environmentID]!.latestMoment {
                // What runs here from `time` on has changed for every deployment made after it.
                for other in deploymentsByEnvironment[environmentID] ?? [] where EnvironmentHistory.moment(of: deployments[other]) > time {
                    flags[other].set(.rollback, histories[environmentID]!.isRollback(other, in: deployments))
                }
            }
        }
        flags[position].set(.rollback, histories[environmentID]?.isRollback(position, in: deployments) ?? false)
    }

    private mutating func rebuildHistory(environmentID: EntityID) {
        let positions = deploymentsByEnvironment[environmentID] ?? []
        let history = EnvironmentHistory(positions: positions, in: deployments)
        histories[environmentID] = history
        for position in positions {
            flags[position].set(.rollback, history.isRollback(position, in: deployments))
            flags[position].set(.firstCompletion, history.isFirstCompletion(position, in: deployments))
        }
    }

    /// Applies an accepted build event.
    public mutating func apply(_ event: AcceptedBuildEvent) {
        let input = event.input
        fields.events.append(.build(event.logged))
        let versionPosition = ensureVersion(id: event.versionID, at: event.recordedAt, by: input)
        let position: Int
        if let existing = buildPosition(event.buildID) {
            position = existing
            fields.builds[position].details.lay(input)
            fields.builds[position].lastEventID = event.eventID
            fields.builds[position].lastRecordedAt = event.recordedAt
        } else {
            position = builds.count
            fields.builds.append(Build(id: event.buildID, productID: product.id, versionID: event.versionID, details: RecordDetails(of: input),
                                createdAt: event.recordedAt, lastEventID: event.eventID, lastRecordedAt: event.recordedAt))
            buildByID.appended(to: builds, id: \.id)
            buildsByVersion[event.versionID, default: []].append(position)
            if !input.status.isTerminal { openBuildsByVersion[event.versionID, default: []].append(position) }
        }
        evidence[versionPosition] = firstEvidence(of: versions[versionPosition])
        if DeploymentFlags.marksHotfix(builds[position].extraMetadata), hotfixVersions.insert(event.versionID).inserted {
            // Rare: a version turned out to be a hotfix after it was deployed.
            for (index, deployment) in deployments.enumerated() where deployment.versionID == event.versionID {
                flags[index].insert(.hotfix)
            }
        }
        if input.status.isTerminal {
            if input.completedAt == nil { fields.builds[position].completedAt = event.recordedAt }
            openBuildsByVersion[event.versionID]?.removeAll(where: { $0 == position })
            if openBuildsByVersion[event.versionID]?.isEmpty == true { openBuildsByVersion[event.versionID] = nil }
        }
        fields.product.updatedAt = max(fields.product.updatedAt, event.recordedAt)
    }

    /// Replaces the product's own fields (name, description, metadata), keeping its history.
    public mutating func apply(_ saved: Product) {
        fields.product = saved
    }

    /// Adds an approval, or replaces the one with its id.
    public mutating func apply(_ approval: Approval) {
        if let index = approvals.firstIndex(where: { $0.id == approval.id }) {
            fields.approvals[index] = approval
        } else {
            fields.approvals.append(approval)
        }
    }

    public mutating func removeApproval(id: EntityID) {
        fields.approvals.removeAll { $0.id == id }
    }

    /// Drops every deployment to an environment; its events stay in the audit log.
    public mutating func removeDeployments(environmentID: EntityID) {
        guard deploymentsByEnvironment[environmentID] != nil else { return }
        fields.deployments.removeAll(where: { $0.environmentID == environmentID })
        rebuildIndexes()
    }

    /// Creates the version if it is new. A version's SHA is set once, by the first event that
    /// carries one; so are its repository and branch. A new version reads them from the
    /// event's text buffer when it can (`text` laid out as `layout`), instead of copying them.
    /// Returns the version's position.
    private mutating func ensureVersion<Field>(id: EntityID, at time: Timestamp, by event: EventInput<Field>) -> Int {
        let (name, repository, branch) = (event.version, event.scmRepository, event.scmBranch)
        let sha = event.scmSha?.isEmpty == false ? event.scmSha : nil
        guard let position = versionPosition(id) else {
            // An empty SHA is no SHA: then the buffer cannot be shared as it is.
            let version = sha == nil && event.text.contains(Field.scmSha.rawValue)
                ? Version(id: id, productID: product.id, name: name, scmSha: nil, scmRepository: repository,
                          scmBranch: branch, createdAt: time)
                : Version(id: id, productID: product.id, name: name, createdAt: time, textOf: event)
            fields.versions.append(version)
            evidence.append(time)
            versionByID.appended(to: versions, id: \.id)
            versionByName.insert(versions.count - 1, for: name)
            if let sha { versionsBySha.insert(versions.count - 1, for: sha) }
            return versions.count - 1
        }
        if let sha, versions[position].scmSha == nil {
            fields.versions[position].scmSha = sha
            versionsBySha.insert(position, for: sha)
        }
        if let repository, versions[position].scmRepository == nil { fields.versions[position].scmRepository = repository }
        if let branch, versions[position].scmBranch == nil { fields.versions[position].scmBranch = branch }
        return position
    }

    /// Rebuilds every index from the primary arrays.
    public mutating func rebuildIndexes() {
        versionByID.rebuild(for: versions, id: \.id)
        versionByName = HashedPositions()
        versionsBySha = HashedPositions(ignoringCase: true)
        for (position, version) in versions.enumerated() {
            versionByName.insert(position, for: version.name)
            if let sha = version.scmSha { versionsBySha.insert(position, for: sha) }
        }
        buildByID.rebuild(for: builds, id: \.id)
        buildsByVersion = [:]
        openBuildsByVersion = [:]
        for (position, build) in builds.enumerated() {
            buildsByVersion[build.versionID, default: []].append(position)
            if !build.status.isTerminal { openBuildsByVersion[build.versionID, default: []].append(position) }
        }
        deploymentByID.rebuild(for: deployments, id: \.id)
        deploymentsByEnvironment = [:]
        openDeployments = [:]
        openByEnvironment = [:]
        completions = [:]
        slots = [:]
        for (position, deployment) in deployments.enumerated() {
            deploymentsByEnvironment[deployment.environmentID, default: []].append(position)
            let key = EnvironmentVersion(environmentID: deployment.environmentID, versionID: deployment.versionID)
            if !deployment.status.isTerminal {
                openDeployments[key, default: []].append(position)
                openByEnvironment[deployment.environmentID, default: []].append(position)
            } else if deployment.status == .completed, let time = deployment.completedAt {
                completions[key] = max(completions[key] ?? time, time)
            }
        }
        slots = deploymentsByEnvironment.mapValues(workedOutSlot)
        instantTimes = deploymentsByEnvironment.mapValues { positions in InstantTimes(positions.map { DeploymentTimes(deployments[$0]) }) }
        timelines = deploymentsByEnvironment.mapValues { positions in
            positions.sorted { Self.timeKey(deployments[$0]) < Self.timeKey(deployments[$1]) }.map { Int32($0) }
        }
        productTimeline = deployments.indices.sorted { Self.timeKey(deployments[$0]) < Self.timeKey(deployments[$1]) }.map { Int32($0) }
        histories = [:]
        hotfixVersions = Set(builds.filter { DeploymentFlags.marksHotfix($0.extraMetadata) }.map(\.versionID))
        evidence = versions.map(firstEvidence(of:))
        versionPositions = deployments.map { Int32(versionPosition($0.versionID)!) }
        flags = deployments.map { deployment in
            DeploymentFlags.marksHotfix(deployment.extraMetadata) || hotfixVersions.contains(deployment.versionID)
                ? .hotfix : []
        }
        for environmentID in deploymentsByEnvironment.keys { rebuildHistory(environmentID: environmentID) }
        violationEvents = []
        preflightSkips = []
        for (position, event) in events.enumerated() {
            guard case .deployment(let accepted) = event, let preflight = accepted.preflight else { continue }
            if !preflight.violations.isEmpty { violationEvents.append(position) }
            if preflight.skipRequested, !preflight.blocked, deploymentByID.position(of: accepted.deploymentID, in: deployments, id: \.id) != nil {
                preflightSkips.insert(accepted.deploymentID)
            }
        }
    }

    /// A state rebuilt from its primary data (for snapshots).
    public init(product: Product, versions: [Version], builds: [Build], deployments: [Deployment], events: [LoggedEvent],
                approvals: [Approval] = []) {
        self.init(product: product)
        self.fields.versions = versions
        self.fields.builds = builds
        self.fields.deployments = deployments
        self.fields.events = events
        self.fields.approvals = approvals
        rebuildIndexes()
    }
}

/// Positions of records by a string of theirs (a version's name, its SHA), keyed by the
/// string's hash so that the index holds no copy of the string: a hash two strings share only
/// adds a candidate, which the caller checks against the record. Most strings name one record:
/// that position is kept inline, further ones in an array.
struct HashedPositions: Sendable {
    private let ignoringCase: Bool
    private var first: [Int: Int32] = [:]
    private var more: [Int: [Int32]] = [:]

    init(ignoringCase: Bool = false) {
        self.ignoringCase = ignoringCase
    }

    mutating func insert(_ position: Int, for string: String) {
        let key = key(string)
        if first[key] == nil { first[key] = Int32(position) } else { more[key, default: []].append(Int32(position)) }
    }

    /// Candidate positions, oldest first.
    func positions(for string: String) -> [Int] {
        let key = key(string)
        guard let position = first[key] else { return [] }
        return [Int(position)] + (more[key] ?? []).map(Int.init)
    }

    /// The oldest candidate position that `matches`, without building the list of candidates.
    func firstPosition(for string: String, where matches: (Int) -> Bool) -> Int? {
        let key = key(string)
        guard let position = first[key] else { return nil }
        if matches(Int(position)) { return Int(position) }
        return more[key]?.lazy.map(Int.init).first(where: matches)
    }

    private func key(_ string: String) -> Int {
        var hasher = Hasher()
        if !ignoringCase {
            hasher.combine(string)
        } else if string.utf8.allSatisfy({ $0 < 0x80 }) {
            // ASCII (every real SHA): lowercase byte by byte, without making a string.
            for byte in string.utf8 { hasher.combine(byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte) }
        } else {
            for byte in string.lowercased().utf8 { hasher.combine(byte) }
        }
        return hasher.finalize()
    }
}

/// What the DORA figures need to know of each deployment, worked out as events are applied.
struct DeploymentFlags: OptionSet, Sendable {
    let rawValue: UInt8
    /// It went back to a version that ran in its environment before the running one.
    static let rollback = DeploymentFlags(rawValue: 1)
    /// It, or a build of its version, is marked a hotfix.
    static let hotfix = DeploymentFlags(rawValue: 2)
    /// It is the first completed deployment of its version to its environment (where change
    /// lead time ends).
    static let firstCompletion = DeploymentFlags(rawValue: 4)

    mutating func set(_ flag: DeploymentFlags, _ on: Bool) {
        if on { insert(flag) } else { remove(flag) }
    }

    /// Whether metadata marks a hotfix: `hotfix` among its `tags`, or `hotfix` true.
    static func marksHotfix(_ metadata: RawJSONObject) -> Bool {
        guard metadata.mentions("hotfix") else { return false }
        if metadata.member("hotfix") == .bool(true) { return true }
        guard case .array(let tags)? = metadata.member("tags") else { return false }
        return tags.contains(.string("hotfix"))
    }
}

/// A place in a list ordered by time, then id (history lists, their cursors).
public struct TimeKey: Comparable, Hashable, Sendable {
    public var time: Timestamp
    public var id: EntityID

    public init(time: Timestamp, id: EntityID) {
        self.time = time
        self.id = id
    }

    public static func < (a: TimeKey, b: TimeKey) -> Bool { (a.time, a.id) < (b.time, b.id) }
}

/// The times of a deployment that say what it was at a past instant, packed (32 bytes).
public struct DeploymentTimes: Sendable {
    /// When its first event was recorded.
    public var createdAt: Timestamp
    /// When its last event was recorded: after an instant, its fields then must be rebuilt.
    public var lastRecordedAt: Timestamp
    /// Its start by its own times (``EnvironmentHistory/moment(of:)``).
    public var moment: Timestamp
    /// Its `completed_at` when it is completed; else the least time (it is not current anywhere).
    public var completion: Timestamp

    init(_ deployment: Deployment) {
        createdAt = deployment.createdAt
        lastRecordedAt = deployment.lastRecordedAt
        moment = EnvironmentHistory.moment(of: deployment)
        completion = deployment.status == .completed ? deployment.completedAt ?? deployment.lastRecordedAt : .leastTime
    }
}

extension Timestamp {
    /// Before every time there is.
    static let leastTime = Timestamp(microseconds: .min)
}
