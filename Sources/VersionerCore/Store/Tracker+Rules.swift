/// Deployment rules, approvals and the preflight (docs/API.md §7).
extension Tracker {
    // MARK: Rules

    /// Every rule, newest first.
    public func rules(_ page: PageRequest) -> Page<DeploymentRule> {
        let rules = services.catalog.snapshot.rules
        return page.page(rules.filter { page.admits($0.id) }, id: \.id)
    }

    public func rule(id: EntityID) throws(TrackerError) -> DeploymentRule {
        guard let rule = services.catalog.snapshot.rule(id: id) else { throw .notFound("Deployment rule not found") }
        return rule
    }

    /// Creates a rule from a `POST /deployment-rules/` body.
    public func createRule(_ body: [JSONMember]) async throws(TrackerError) -> DeploymentRule {
        let rule: DeploymentRule
        switch DeploymentRule.validate(body, id: services.ids.next(), at: services.clock.now()) {
        case .success(let valid): rule = valid
        case .failure(let failure): throw .invalid(failure)
        }
        try await saveRule { _ throws(TrackerError) in rule }
        return rule
    }

    /// Lays a `PATCH` body over a rule; the result must be a valid rule.
    public func updateRule(id: EntityID, _ body: [JSONMember]) async throws(TrackerError) -> DeploymentRule {
        let now = services.clock.now()
        return try await saveRule { catalog throws(TrackerError) in
            guard let old = catalog.rule(id: id) else { throw .notFound("Deployment rule not found") }
            switch old.patched(with: body, at: now) {
            case .success(let rule): return rule
            case .failure(let failure): throw .invalid(failure)
            }
        }
    }

    public func deleteRule(id: EntityID) async throws(TrackerError) {
        let result: Result<UInt64, TrackerError> = services.catalog.withLock { catalog in
            guard catalog.rule(id: id) != nil else { return .failure(.notFound("Deployment rule not found")) }
            return services.journal.appending(.ruleDeleted(id))
                .map { sequence in
                    catalog.removeRule(id)
                    return sequence
                }
                .mapError { .journal($0) }
        }
        try await waitDurable(try result.get())
    }

    /// Journals and applies the rule `make` returns, under the catalog's lock.
    @discardableResult
    private func saveRule(_ make: (CatalogState) throws(TrackerError) -> DeploymentRule) async throws(TrackerError) -> DeploymentRule {
        let result: Result<(UInt64, DeploymentRule), TrackerError> = services.catalog.withLock { catalog in
            let rule: DeploymentRule
            do throws(TrackerError) {
                rule = try make(catalog)
            } catch {
                return .failure(error)
            }
            return services.journal.appending(.ruleSaved(rule))
                .map { sequence in
                    catalog.apply(rule)
                    return (sequence, rule)
                }
                .mapError { .journal($0) }
        }
        let (sequence, rule) = try result.get()
        try await waitDurable(sequence)
        return rule
    }

    /// Moves every shard's approvals for environment `old` to `new`, or withdraws them (nil).
    func moveApprovals(ofEnvironment old: String, to new: String?) async throws(TrackerError) {
        var last: UInt64?
        for shard in shards {
            if let sequence = try await shard.moveApprovals(ofEnvironment: old, to: new) { last = max(last ?? 0, sequence) }
        }
        if let last { try await waitDurable(last) }
    }

    /// Journals the rules that a deleted or renamed product or environment changes, under the
    /// catalog's lock (held by the caller): a rule never names what no longer exists. Returns
    /// the last sequence journaled, if any.
    static func journalRuleChanges(in catalog: inout CatalogState, journal: any Journal,
                                   _ change: (DeploymentRule) -> DeploymentRule?) -> Result<UInt64?, JournalError> {
        var last: UInt64?
        for rule in catalog.rules {
            guard let changed = change(rule) else { continue }
            switch journal.appending(.ruleSaved(changed)) {
            case .success(let sequence):
                catalog.apply(changed)
                last = sequence
            case .failure(let error):
                return .failure(error)
            }
        }
        return .success(last)
    }

    // MARK: Preflight

    /// What the rules would say of a deployment now, recording nothing (`POST /preflight/`).
    public func preflight(_ question: PreflightQuestion) async -> Preflight {
        let now = services.clock.now()
        let catalog = services.catalog.snapshot
        let environment = catalog.environment(named: question.environmentName)
            ?? Environment(id: EntityID(high: 0, low: 0), name: question.environmentName, createdAt: now)
        let state = await gather(product: question.productName) { contents in
            contents.products(named: question.productName).first
        }.compactMap { $0 }.first
        let versionID = state?.version(named: question.version)?.id
        let subject = PreflightSubject(productName: question.productName, versionName: question.version, versionID: versionID,
                                       environment: environment, state: state, catalog: catalog, now: now)
        return Preflight(rules: catalog.rules, subject: subject, skipRequested: false)
    }

    /// Blocked, report-only and skipped evaluations, newest first.
    public func violations(_ query: ViolationQuery, _ page: PageRequest) async -> Page<ViolationView> {
        let candidates = await gather(product: query.product) { contents in
            var found: [ViolationView] = []
            for state in contents.products(named: query.product) {
                for event in state.preflightEvents {
                    guard query.environment.map({ $0 == event.input.environmentName }) ?? true,
                          query.since.map({ event.recordedAt >= $0 }) ?? true else { continue }
                    for violation in event.preflight?.violations ?? [] where page.admits(violation.id) {
                        guard query.rule.map({ $0 == violation.ruleName || $0 == violation.ruleID.description }) ?? true
                        else { continue }
                        found.append(ViolationView(violation: violation, event: event))
                    }
                }
            }
            return found.sorted { $0.violation.id > $1.violation.id }.prefix(page.limit + 1)
        }
        return page.page(candidates.flatMap { $0 }, id: \.violation.id)
    }

    // MARK: Approvals

    /// Approves a version for an environment, in the turn of the shard that holds it.
    public func approve(versionID: EntityID, _ new: NewApproval, by approver: String) async throws(TrackerError) -> Approval {
        let id = services.ids.next()
        let now = services.clock.now()
        for shard in shards {
            let done = try await shard.perform { shard throws(TrackerError) in
                try shard.approve(Approval(id: id, productID: EntityID(high: 0, low: 0), versionID: versionID,
                                           environment: new.environment, approvedBy: approver, comment: new.comment,
                                           createdAt: now))
            }
            if let (sequence, approval) = done {
                try await waitDurable(sequence)
                return approval
            }
        }
        throw .notFound("Version not found")
    }

    /// The approvals of a version, oldest first.
    public func approvals(versionID: EntityID) async throws(TrackerError) -> [Approval] {
        let found = await gather { contents in
            contents.products.values.lazy.compactMap { state in
                state.version(id: versionID).map { _ in state.approvals(ofVersion: versionID) }
            }.first
        }.compactMap { $0 }
        guard let approvals = found.first else { throw .notFound("Version not found") }
        return approvals
    }

    public func deleteApproval(id: EntityID) async throws(TrackerError) {
        for shard in shards {
            if let sequence = try await shard.perform({ shard throws(TrackerError) in try shard.deleteApproval(id: id) }) {
                try await waitDurable(sequence)
                return
            }
        }
        throw .notFound("Approval not found")
    }
}

/// Filters of `GET /deployment-rules/violations`.
public struct ViolationQuery: Hashable, Sendable {
    public var product: String?
    public var environment: String?
    /// A rule's name or id.
    public var rule: String?
    public var since: Timestamp?

    public init(product: String? = nil, environment: String? = nil, rule: String? = nil, since: Timestamp? = nil) {
        self.product = product
        self.environment = environment
        self.rule = rule
        self.since = since
    }
}

/// A violation with the event it was found on.
public struct ViolationView: Hashable, Sendable {
    public var violation: RuleViolation
    public var event: AcceptedDeploymentEvent
}

extension Shard {
    /// Keeps an approval of one of this shard's versions; nil when the version is not here.
    func approve(_ approval: Approval) throws(TrackerError) -> (UInt64, Approval)? {
        guard let state = products.values.first(where: { $0.version(id: approval.versionID) != nil }) else { return nil }
        var approval = approval
        approval.productID = state.product.id
        let sequence = try append(.approvalSaved(approval))
        products.apply(.approvalSaved(approval), environmentExists: { _ in true })
        return (sequence, approval)
    }

    /// Moves this shard's approvals for environment `old` to `new` (its new name), or withdraws
    /// them when `new` is nil (the environment is gone): an approval counts only for the
    /// environment it was given for, never for a later one that reuses the name. Returns the
    /// last sequence journaled, if any.
    func moveApprovals(ofEnvironment old: String, to new: String?) throws(TrackerError) -> UInt64? {
        var last: UInt64?
        for state in products.values {
            for var approval in state.approvals where approval.environment == old {
                let change: StateChange
                if let new {
                    approval.environment = new
                    change = .approvalSaved(approval)
                } else {
                    change = .approvalDeleted(id: approval.id, productID: approval.productID)
                }
                last = try append(change)
                products.apply(change, environmentExists: { _ in true })
            }
        }
        return last
    }

    /// Withdraws an approval held here; nil when none has this id.
    func deleteApproval(id: EntityID) throws(TrackerError) -> UInt64? {
        guard let state = products.values.first(where: { $0.approval(id: id) != nil }) else { return nil }
        let change = StateChange.approvalDeleted(id: id, productID: state.product.id)
        let sequence = try append(change)
        products.apply(change, environmentExists: { _ in true })
        return sequence
    }
}
