/// What one server process is doing with the journal it shares with others (a database journal).
/// A server on the file journal has no status: it is the only node, always the owner.
public struct NodeStatus: Sendable, Equatable {
    public enum Role: String, Sendable {
        /// Reaching the database (at start, or again after losing it).
        case connecting
        /// Another node owns the journal: this one follows it, and hands requests to the owner.
        case standby
        /// This node owns the journal: it takes writes.
        case owner
        /// This node owned the journal and lost its database connection: reads are answered from
        /// memory, writes 503 until it is back.
        case disconnected
    }

    public var role: Role
    /// This node's name (`--node-name`).
    public var node: String
    /// The epoch of this node's ownership (0 when it owns nothing).
    public var epoch: Int64
    /// The last journal sequence applied here.
    public var applied: UInt64
    /// The last sequence in the journal, as last seen.
    public var journalEnd: UInt64
    /// The owner, as last seen: its name and the URL it advertises.
    public var ownerNode: String?
    public var ownerURL: String?

    public init(role: Role, node: String, epoch: Int64 = 0, applied: UInt64 = 0, journalEnd: UInt64 = 0,
                ownerNode: String? = nil, ownerURL: String? = nil) {
        self.role = role
        self.node = node
        self.epoch = epoch
        self.applied = applied
        self.journalEnd = journalEnd
        self.ownerNode = ownerNode
        self.ownerURL = ownerURL
    }

    /// Records in the journal not applied here yet.
    public var lag: UInt64 { journalEnd > applied ? journalEnd - applied : 0 }
}

/// One node as the cluster's shared table lists it (`versioner cluster status`).
public struct ClusterMember: Sendable, Equatable {
    public var name: String
    public var url: String?
    public var role: String
    public var epoch: Int64
    public var applied: UInt64
    /// Seconds since the node's last heartbeat, by the database's clock.
    public var heartbeatAge: Double

    public init(name: String, url: String?, role: String, epoch: Int64, applied: UInt64, heartbeatAge: Double) {
        self.name = name
        self.url = url
        self.role = role
        self.epoch = epoch
        self.applied = applied
        self.heartbeatAge = heartbeatAge
    }
}

/// The cluster as the database sees it: the owner row and every node's last heartbeat.
public struct ClusterView: Sendable, Equatable {
    public var ownerNode: String?
    public var ownerURL: String?
    public var epoch: Int64
    public var journalEnd: UInt64
    public var members: [ClusterMember]

    public init(ownerNode: String?, ownerURL: String?, epoch: Int64, journalEnd: UInt64, members: [ClusterMember]) {
        self.ownerNode = ownerNode
        self.ownerURL = ownerURL
        self.epoch = epoch
        self.journalEnd = journalEnd
        self.members = members
    }
}

/// Something that can read the cluster's shared table (the PostgreSQL store).
public protocol ClusterReporting: Sendable {
    func cluster() async throws -> ClusterView
}
