import Foundation
import VersionerTimeZones

/// Whether a rule blocks, only reports, or is switched off (docs/API.md §7).
public enum RuleMode: String, CaseIterable, Hashable, Sendable {
    /// A failure blocks the deployment.
    case enabled
    /// A failure is reported in the answer and logged, never blocks: how a rule is rolled out safely.
    case reportOnly = "report_only"
    /// Not evaluated.
    case disabled
}

/// What a rule checks, with its settings.
public enum RuleKind: Hashable, Sendable {
    /// No deployment inside any of the windows.
    case schedule(ScheduleRule)
    /// The version must have completed in the prerequisite environments, and soaked there.
    case flow(FlowRule)
    /// At most `maxInProgress` deployments of a product to an environment may be pending or started.
    case concurrency(maxInProgress: Int)
    /// The version needs this many approvals for the environment.
    case approval(requiredApprovals: Int)

    /// The `type` word.
    public var typeName: String {
        switch self {
        case .schedule: "schedule"
        case .flow: "flow"
        case .concurrency: "concurrency"
        case .approval: "approval"
        }
    }

    /// The accepted `type` words, in evaluation order.
    public static let typeNames = ["concurrency", "schedule", "flow", "approval"]

    /// Rules are evaluated concurrency first, then schedule, flow, approval: the first enabled
    /// failure in this order answers.
    public var evaluationRank: Int { Self.typeNames.firstIndex(of: typeName)! }
}

/// A schedule rule's settings: windows in a time zone of the IANA database.
public struct ScheduleRule: Hashable, Sendable {
    public var timeZone: String { didSet { zone = TimeZoneDatabase.system.zone(named: timeZone) } }
    /// Shown to whoever is blocked.
    public var reason: String?
    public var windows: [RuleWindow]
    /// The zone, looked up once (nil if the system's database no longer knows it).
    private(set) var zone: Zone?

    public init(timeZone: String, reason: String? = nil, windows: [RuleWindow]) {
        self.timeZone = timeZone
        self.reason = reason
        self.windows = windows
        self.zone = TimeZoneDatabase.system.zone(named: timeZone)
    }
}

/// A day of the week.
public enum Weekday: Int, CaseIterable, Hashable, Sendable {
    case mon, tue, wed, thu, fri, sat, sun

    public var name: String { ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][rawValue] }

    public init?(name: String) {
        guard let day = Self.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
        self = day
    }
}

/// When a schedule rule blocks.
public enum RuleWindow: Hashable, Sendable {
    /// Every week on `days` (none: every day) from `start` to `end`, minutes after local
    /// midnight; an end at or before its start runs into the next day.
    case weekly(days: [Weekday], start: Int, end: Int)
    /// Once, from `from` up to (not including) `to`.
    case oneOff(from: Timestamp, to: Timestamp)
}

/// A flow rule's settings.
public struct FlowRule: Hashable, Sendable {
    /// Environment names the version must have completed a deployment to first.
    public var prerequisites: [String]
    /// How long since that completion, at least.
    public var soakMinutes: Int

    public init(prerequisites: [String], soakMinutes: Int = 0) {
        self.prerequisites = prerequisites
        self.soakMinutes = soakMinutes
    }
}

/// A deployment rule (docs/API.md §7): what it checks, how strictly, and where.
public struct DeploymentRule: Hashable, Sendable {
    public var id: EntityID
    public var name: String
    public var kind: RuleKind
    public var mode: RuleMode
    /// Product names the rule covers; empty covers every product.
    public var products: [String]
    /// Environment names the rule covers; empty covers every environment (of `environmentTypes`).
    public var environments: [String]
    /// Environment types the rule covers; empty covers every type.
    public var environmentTypes: [EnvironmentType]
    /// Whether `skip_preflight_checks` skips this rule.
    public var allowSkip: Bool
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(id: EntityID, name: String, kind: RuleKind, mode: RuleMode = .enabled, products: [String] = [],
                environments: [String] = [], environmentTypes: [EnvironmentType] = [], allowSkip: Bool = true,
                createdAt: Timestamp, updatedAt: Timestamp? = nil) {
        self.id = id
        self.name = name
        self.kind = kind
        self.mode = mode
        self.products = products
        self.environments = environments
        self.environmentTypes = environmentTypes
        self.allowSkip = allowSkip
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
    }

    /// Whether a deployment of `product` to `environment` is in the rule's scope.
    public func covers(product: String, environment: Environment) -> Bool {
        (products.isEmpty || products.contains(product))
            && (environments.isEmpty || environments.contains(environment.name))
            && (environmentTypes.isEmpty || environmentTypes.contains(environment.type))
    }

    /// The rule with a deleted product or environment name taken out of its scope (and out of a
    /// flow's prerequisites), changed at `time`; nil when it does not name it. A scope that the
    /// removal leaves empty would cover everything: the rule is then disabled instead.
    public func removing(name: String, ofEnvironment: Bool, at time: Timestamp) -> DeploymentRule? {
        var rule = self
        if ofEnvironment {
            rule.environments.removeAll { $0 == name }
            if case .flow(var flow) = kind {
                flow.prerequisites.removeAll { $0 == name }
                rule.kind = .flow(flow)
            }
        } else {
            rule.products.removeAll { $0 == name }
        }
        guard rule != self else { return nil }
        if (!products.isEmpty && rule.products.isEmpty) || (!environments.isEmpty && rule.environments.isEmpty) {
            rule.mode = .disabled
        }
        if case .flow(let flow) = rule.kind, flow.prerequisites.isEmpty { rule.mode = .disabled }
        rule.updatedAt = max(time, updatedAt)
        return rule
    }

    /// The rule with a renamed product or environment renamed in its scope and prerequisites,
    /// changed at `time`; nil when it does not name it.
    public func renaming(_ old: String, to new: String, ofEnvironment: Bool, at time: Timestamp) -> DeploymentRule? {
        var rule = self
        let rename: (inout [String]) -> Void = { names in names = names.map { $0 == old ? new : $0 } }
        if ofEnvironment {
            rename(&rule.environments)
            if case .flow(var flow) = kind {
                rename(&flow.prerequisites)
                rule.kind = .flow(flow)
            }
        } else {
            rename(&rule.products)
        }
        guard rule != self else { return nil }
        rule.updatedAt = max(time, updatedAt)
        return rule
    }
}

/// An approval of a version for an environment (`POST /versions/{id}/approvals`).
public struct Approval: Hashable, Sendable {
    public var id: EntityID
    public var productID: EntityID
    public var versionID: EntityID
    /// The environment's name, as the approver gave it.
    public var environment: String
    /// The name of the key that approved.
    public var approvedBy: String
    public var comment: String?
    public var createdAt: Timestamp

    public init(id: EntityID, productID: EntityID, versionID: EntityID, environment: String, approvedBy: String,
                comment: String?, createdAt: Timestamp) {
        self.id = id
        self.productID = productID
        self.versionID = versionID
        self.environment = environment
        self.approvedBy = approvedBy
        self.comment = comment
        self.createdAt = createdAt
    }
}
