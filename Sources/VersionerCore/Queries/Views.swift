/// A deployment with the names its answer shows.
public struct DeploymentView: Hashable, Sendable {
    public var deployment: Deployment
    public var productName: String
    public var version: String
    public var environmentName: String
    /// Whether it rolled its environment back to a version that ran there before.
    public var isRollback: Bool
    /// Whether its first event asked to skip the deployment rules (`skip_preflight_checks`).
    public var preflightSkipped: Bool

    public init(deployment: Deployment, productName: String, version: String, environmentName: String,
                isRollback: Bool = false, preflightSkipped: Bool = false) {
        self.preflightSkipped = preflightSkipped
        self.deployment = deployment
        self.productName = productName
        self.version = version
        self.environmentName = environmentName
        self.isRollback = isRollback
    }
}

/// A build with the names its answer shows.
public struct BuildView: Hashable, Sendable {
    public var build: Build
    public var productName: String
    public var version: String

    public init(build: Build, productName: String, version: String) {
        self.build = build
        self.productName = productName
        self.version = version
    }
}

/// An event of the audit log with what its deployment is now.
public struct EventView: Hashable, Sendable {
    public var event: LoggedEvent
    /// Whether the deployment the event belongs to is a rollback; nil for a build event, or a
    /// deployment dropped with its environment.
    public var isRollback: Bool?
}

/// The answer to an accepted event: what it created or updated, and the event itself.
public struct Recorded<Subject: Sendable>: Sendable {
    public var subject: Subject
    /// The event as the audit log holds it.
    public var event: EventView
    /// The journal sequence of the event's change.
    public var sequence: UInt64
    /// The deployment rules' evaluation, when the event started a deployment that rules cover.
    public var preflight: Preflight? = nil

    public var eventID: EntityID { event.event.id }
    public var recordedAt: Timestamp { event.event.recordedAt }
}

/// An environment where a version is the current one.
public struct DeployedTo: Hashable, Sendable {
    public var environment: Environment
    public var deploymentID: EntityID
    public var deployedAt: Timestamp
}

/// A version with its builds and where it is deployed now.
public struct VersionView: Hashable, Sendable {
    public var version: Version
    public var productName: String
    public var builds: [Build]
    public var deployedTo: [DeployedTo]
    public var readiness: Readiness
}

/// One cell of the state matrix: a product in an environment.
public struct StateCell: Hashable, Sendable {
    /// The completed deployment whose completing event was recorded last, if any.
    public var current: DeploymentView?
    /// The deployment that received the most recent event, of any status.
    public var latest: DeploymentView
}

/// One row of the state matrix.
public struct ProductStateRow: Hashable, Sendable {
    public var product: Product
    /// Cells by environment, in the matrix's environment order.
    public var cells: [(environment: Environment, cell: StateCell)]
    /// True when the current versions differ across the environments shown.
    public var drift: Bool

    public static func == (lhs: ProductStateRow, rhs: ProductStateRow) -> Bool {
        lhs.product == rhs.product && lhs.drift == rhs.drift
            && lhs.cells.map(\.environment) == rhs.cells.map(\.environment) && lhs.cells.map(\.cell) == rhs.cells.map(\.cell)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(product)
        hasher.combine(drift)
    }
}

/// The environment state matrix (`GET /state/`).
public struct StateMatrix: Hashable, Sendable {
    public var environments: [Environment]
    public var products: [ProductStateRow]
}

/// One page of a list, newest first.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    /// Where the next page starts, when there is one.
    public var nextCursor: EntityID?

    public init(items: [Item], nextCursor: EntityID?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}

/// Which page of a list to return: at most `limit` items older than `cursor`.
public struct PageRequest: Hashable, Sendable {
    public static let defaultLimit = 50
    public static let maximumLimit = 1000

    public var limit: Int
    /// The id of the last item of the previous page.
    public var cursor: EntityID?

    public init(limit: Int = PageRequest.defaultLimit, cursor: EntityID? = nil) {
        self.limit = limit
        self.cursor = cursor
    }

    /// Whether an item with this id belongs after the cursor.
    func admits(_ id: EntityID) -> Bool {
        cursor.map { id < $0 } ?? true
    }

    /// Merges candidate lists (each may hold more than a page), newest first, into one page.
    func page<Item>(_ candidates: [Item], id: (Item) -> EntityID) -> Page<Item> {
        page(candidates, key: id, id: id)
    }

    /// The same for candidates ordered by `key` (newest first by it); the cursor is still an id.
    func page<Item, Key: Comparable>(_ candidates: [Item], key: (Item) -> Key, id: (Item) -> EntityID) -> Page<Item> {
        let sorted = candidates.sorted { key($0) > key($1) }
        guard sorted.count > limit else { return Page(items: sorted, nextCursor: nil) }
        let items = Array(sorted.prefix(limit))
        return Page(items: items, nextCursor: items.last.map(id))
    }
}

/// Filters of `GET /deployments/`. Names are matched exactly.
public struct DeploymentQuery: Hashable, Sendable {
    public var product: String?
    public var environment: String?
    public var version: String?
    public var status: Status?
    /// Only deployments whose `deployed_at` is at or after this time.
    public var since: Timestamp?
    /// Only deployments whose `deployed_at` is at or before this time.
    public var until: Timestamp?

    public init(product: String? = nil, environment: String? = nil, version: String? = nil, status: Status? = nil,
                since: Timestamp? = nil, until: Timestamp? = nil) {
        self.product = product
        self.environment = environment
        self.version = version
        self.status = status
        self.since = since
        self.until = until
    }
}

/// Filters of `GET /builds/`.
public struct BuildQuery: Hashable, Sendable {
    public var product: String?
    public var version: String?
    public var status: Status?

    public init(product: String? = nil, version: String? = nil, status: Status? = nil) {
        self.product = product
        self.version = version
        self.status = status
    }
}

/// Filters of `GET /versions/`.
public struct VersionQuery: Hashable, Sendable {
    public var product: String?
    /// A commit SHA, matched ignoring case: in full, or abbreviated to its first 7 or more hex digits.
    public var scmSha: String?
    /// Only versions that are (true) or are not (false) ready to deploy.
    public var ready: Bool?

    public init(product: String? = nil, scmSha: String? = nil, ready: Bool? = nil) {
        self.product = product
        self.scmSha = scmSha
        self.ready = ready
    }

    /// Whether `text` is an abbreviated commit SHA: 7 to 39 hex digits (40 is a whole SHA-1).
    public static func isAbbreviatedSha(_ text: String) -> Bool {
        (7...39).contains(text.utf8.count) && text.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)
        }
    }
}

/// Filters of `GET /events/`.
public struct EventQuery: Hashable, Sendable {
    public var product: String?
    public var environment: String?
    public var kind: EventKind?
    public var status: Status?
    /// Only events recorded at or after this time.
    public var since: Timestamp?
    /// Only the deployments that rules refused (true), or none of them (false).
    public var refused: Bool?

    public init(product: String? = nil, environment: String? = nil, kind: EventKind? = nil, status: Status? = nil,
                since: Timestamp? = nil, refused: Bool? = nil) {
        self.refused = refused
        self.product = product
        self.environment = environment
        self.kind = kind
        self.status = status
        self.since = since
    }

    /// Whether `event` passes every filter but the product (which says where events are read from).
    public func matches(_ event: LoggedEvent) -> Bool {
        (kind == nil || event.kind == kind)
            && (status == nil || event.status == status)
            && (environment == nil || event.environmentName == environment)
            && (since.map { event.recordedAt >= $0 } ?? true)
            && (refused.map { event.isPreflightFailure == $0 } ?? true)
    }

    /// A `type` filter: a kind, and a status or the refusals (`deployment.preflight_failed`).
    public struct TypeFilter: Hashable, Sendable {
        public var kind: EventKind
        public var status: Status?
        public var refused: Bool?

        public init(kind: EventKind, status: Status? = nil, refused: Bool? = nil) {
            self.kind = kind
            self.status = status
            self.refused = refused
        }
    }

    /// Parses a `type` filter: `deployment`, `build`, or a full type such as `deployment.completed`.
    public static func parseType(_ text: String) -> TypeFilter? {
        if text == LoggedEvent.preflightFailedType { return TypeFilter(kind: .deployment, status: nil, refused: true) }
        let parts = text.split(separator: ".", maxSplits: 1).map(String.init)
        guard let kind = parts.first.flatMap(EventKind.init(rawValue:)) else { return nil }
        if parts.count == 1 { return TypeFilter(kind: kind) }
        guard let status = Status(rawValue: parts[1]) else { return nil }
        // A refused deployment's event is not one of the status it asked for.
        return TypeFilter(kind: kind, status: status, refused: kind == .deployment ? false : nil)
    }

    /// Every value `type` accepts.
    public static var acceptedTypes: [String] {
        EventKind.allCases.flatMap { kind in [kind.rawValue] + Status.allCases.map { kind.rawValue + "." + $0.rawValue } }
            + [LoggedEvent.preflightFailedType]
    }
}

/// Filters of `GET /state/`.
public struct StateQuery: Hashable, Sendable {
    public var product: String?
    public var environment: String?
    public var type: EnvironmentType?
    /// The past instant to answer as of (only events recorded by then count); nil: now.
    public var at: Timestamp?

    public init(product: String? = nil, environment: String? = nil, type: EnvironmentType? = nil, at: Timestamp? = nil) {
        self.product = product
        self.environment = environment
        self.type = type
        self.at = at
    }
}
