/// Why a rule refused a deployment: the `code` the real clients act on.
public enum BlockCode: String, CaseIterable, Hashable, Sendable {
    case concurrentDeployment = "CONCURRENT_DEPLOYMENT"
    case noDeployWindow = "NO_DEPLOY_WINDOW"
    case flowViolation = "FLOW_VIOLATION"
    case insufficientSoakTime = "INSUFFICIENT_SOAK_TIME"
    case approvalRequired = "APPROVAL_REQUIRED"
}

/// A value in a block's `details`.
public enum DetailValue: Hashable, Sendable {
    case text(String)
    case time(Timestamp)
    case number(Int)
    case texts([String])
    case none
}

/// What a failed rule says: its code, a sentence, when to try again, and the particulars.
public struct RuleFailure: Hashable, Sendable {
    public var code: BlockCode
    public var message: String
    public var retryAfter: Timestamp?
    /// In the order they are shown; `rule_name` comes first.
    public var details: [Detail]

    /// One particular of a refusal: a member of its `details`.
    public struct Detail: Hashable, Sendable {
        public var name: String
        public var value: DetailValue
    }

    public init(code: BlockCode, message: String, retryAfter: Timestamp? = nil, details: [(name: String, value: DetailValue)]) {
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
        self.details = details.map(Detail.init)
    }
}

/// One rule's evaluation for one deployment.
public struct RuleVerdict: Hashable, Sendable {
    public var rule: DeploymentRule
    /// nil when the rule passed.
    public var failure: RuleFailure?
    /// The rule failed, and `skip_preflight_checks` skipped it (the rule allows skipping).
    public var skipped: Bool

    /// A failure that stops the deployment: an enabled rule that was not skipped.
    public var blocks: Bool { failure != nil && rule.mode == .enabled && !skipped }
}

/// Every rule's evaluation for a deployment about to start, in evaluation order.
///
/// Evaluation runs in the shard's turn for every event that starts a deployment: each outcome
/// names its rule by position in the rules evaluated (shared, not copied), and a verdict with
/// the whole rule is made only when an answer shows it.
public struct Preflight: Hashable, Sendable {
    private struct Outcome: Hashable {
        var rule: Int
        var failure: RuleFailure?
        var skipped: Bool
    }

    private let rules: [DeploymentRule]
    private var outcomes: [Outcome] = []
    /// Whether the event asked to skip the rules that allow it.
    public let skipRequested: Bool

    /// No rule evaluated; a skip asked or not.
    init(skipRequested: Bool) {
        self.rules = []
        self.skipRequested = skipRequested
    }

    /// Each rule evaluated, in evaluation order.
    public var verdicts: [RuleVerdict] { outcomes.map(verdict) }
    public var isEmpty: Bool { outcomes.isEmpty }
    /// Whether some rule failed (blocking, report-only or skipped).
    public var hasFailure: Bool { outcomes.contains { $0.failure != nil } }

    /// The failure that answers: the first enabled one, in evaluation order.
    public var blocking: RuleVerdict? {
        outcomes.first { $0.failure != nil && !$0.skipped && rules[$0.rule].mode == .enabled }.map(verdict)
    }

    private func verdict(_ outcome: Outcome) -> RuleVerdict {
        RuleVerdict(rule: rules[outcome.rule], failure: outcome.failure, skipped: outcome.skipped)
    }

    /// What is kept with the event: the failures (blocking, report-only, skipped) and the skip;
    /// nil when there is nothing to keep.
    func record(ids: () -> EntityID) -> PreflightRecord? {
        var violations: [RuleViolation] = []
        for outcome in outcomes {
            guard let failure = outcome.failure else { continue }
            let rule = rules[outcome.rule]
            violations.append(RuleViolation(id: ids(), ruleID: rule.id, ruleName: rule.name, mode: rule.mode,
                                            code: failure.code, message: failure.message, skipped: outcome.skipped))
        }
        guard skipRequested || !violations.isEmpty else { return nil }
        return PreflightRecord(skipRequested: skipRequested, violations: violations)
    }
}

/// A failed evaluation as the event log keeps it (`GET /deployment-rules/violations`).
public struct RuleViolation: Hashable, Sendable {
    public var id: EntityID
    public var ruleID: EntityID
    public var ruleName: String
    public var mode: RuleMode
    public var code: BlockCode
    public var message: String
    public var skipped: Bool

    public init(id: EntityID, ruleID: EntityID, ruleName: String, mode: RuleMode, code: BlockCode, message: String,
                skipped: Bool) {
        self.id = id
        self.ruleID = ruleID
        self.ruleName = ruleName
        self.mode = mode
        self.code = code
        self.message = message
        self.skipped = skipped
    }

    /// Whether this failure stopped the deployment.
    public var blocked: Bool { mode == .enabled && !skipped }
}

/// What a deployment event's preflight left behind, journaled with the event.
public struct PreflightRecord: Hashable, Sendable {
    /// The event asked to skip the rules that allow it (`skip_preflight_checks`).
    public var skipRequested: Bool
    public var violations: [RuleViolation]

    public init(skipRequested: Bool, violations: [RuleViolation]) {
        self.skipRequested = skipRequested
        self.violations = violations
    }

    /// The deployment was refused: the event is a `deployment.preflight_failed`.
    public var blocked: Bool { violations.contains(where: \.blocked) }
    /// The rule that refused it.
    public var blockingRule: RuleViolation? { violations.first(where: \.blocked) }
}

/// The facts a preflight reads: the deployment about to start, and what the product holds.
struct PreflightSubject {
    var productName: String
    var versionName: String
    var versionID: EntityID?
    var environment: Environment
    var state: ProductState?
    var catalog: CatalogState
    var now: Timestamp
}

extension Preflight {
    /// Evaluates `rules` (in evaluation order) for a deployment about to start.
    init(rules: [DeploymentRule], subject: PreflightSubject, skipRequested: Bool) {
        self.rules = rules
        self.skipRequested = skipRequested
        outcomes.reserveCapacity(rules.count)
        // By index, reading each rule in place: a copy of each would cost more than its evaluation.
        for index in rules.indices {
            guard rules[index].mode != .disabled,
                  rules[index].covers(product: subject.productName, environment: subject.environment) else { continue }
            let failure = Self.evaluate(rules[index], subject)
            outcomes.append(Outcome(rule: index, failure: failure,
                                    skipped: failure != nil && skipRequested && rules[index].allowSkip))
        }
    }

    private static func evaluate(_ rule: DeploymentRule, _ subject: PreflightSubject) -> RuleFailure? {
        let environment = subject.environment.name
        switch rule.kind {
        case .concurrency(let maxInProgress):
            let open = subject.state?.openDeployments(environmentID: subject.environment.id) ?? (count: 0, oldest: nil)
            guard open.count >= maxInProgress, let conflicting = open.oldest else { return nil }
            return RuleFailure(
                code: .concurrentDeployment,
                message: "Another deployment to \(environment) is already in progress",
                details: [("rule_name", .text(rule.name)), ("max_in_progress", .number(maxInProgress)),
                          ("conflicting_deployment_id", .text(conflicting.id.description)),
                          ("conflicting_deployment_status", .text(conflicting.status.rawValue)),
                          ("conflicting_deployment_started", .time(conflicting.deployedAt))])

        case .schedule(let schedule):
            guard let clock = ScheduleClock(schedule), let block = clock.block(at: subject.now) else { return nil }
            let message = schedule.reason.map { "No deployments allowed during \(rule.name): \($0)" }
                ?? "No deployments allowed during \(rule.name)"
            return RuleFailure(
                code: .noDeployWindow, message: message, retryAfter: block.end,
                details: [("rule_name", .text(rule.name)), ("window_start", .time(block.start)),
                          ("window_end", .time(block.end)), ("reason", schedule.reason.map(DetailValue.text) ?? .none)])

        case .flow(let flow):
            for prerequisite in flow.prerequisites {
                let completed = subject.versionID.flatMap { versionID in
                    subject.catalog.environment(named: prerequisite).flatMap { target in
                        subject.state?.latestCompletion(versionID: versionID, environmentID: target.id)
                    }
                }
                guard let completed else {
                    return RuleFailure(
                        code: .flowViolation,
                        message: "Version \(subject.versionName) must be deployed to \(prerequisite) first",
                        details: [("rule_name", .text(rule.name)), ("prerequisite", .text(prerequisite)),
                                  ("required_environments", .texts(flow.prerequisites)), ("completed_at", .none)])
                }
                let soaked = Timestamp(microseconds: completed.microseconds + Int64(flow.soakMinutes) * 60_000_000)
                if subject.now < soaked {
                    let minutes = Int((subject.now.microseconds - completed.microseconds) / 60_000_000)
                    return RuleFailure(
                        code: .insufficientSoakTime,
                        message: "Version has soaked \(Self.duration(minutes: minutes)) in \(prerequisite); "
                            + "\(Self.duration(minutes: flow.soakMinutes)) required",
                        retryAfter: soaked,
                        details: [("rule_name", .text(rule.name)), ("prerequisite", .text(prerequisite)),
                                  ("required_environments", .texts(flow.prerequisites)), ("completed_at", .time(completed)),
                                  ("soak_minutes", .number(flow.soakMinutes))])
                }
            }
            return nil

        case .approval(let required):
            let current = subject.versionID.map {
                subject.state?.approvalCount(versionID: $0, environment: environment) ?? 0
            } ?? 0
            guard current < required else { return nil }
            return RuleFailure(
                code: .approvalRequired,
                message: "Version \(subject.versionName) needs \(required) approval\(required == 1 ? "" : "s") for \(environment); "
                    + "it has \(current)",
                details: [("rule_name", .text(rule.name)), ("required_approvals", .number(required)),
                          ("current_approvals", .number(current))])
        }
    }

    /// `45m`, `2h`, `1h30m`: how people write a soak time.
    static func duration(minutes: Int) -> String {
        let (hours, rest) = (max(0, minutes) / 60, max(0, minutes) % 60)
        switch (hours, rest) {
        case (0, _): return "\(rest)m"
        case (_, 0): return "\(hours)h"
        default: return "\(hours)h\(rest)m"
        }
    }
}
