/// A deployment event once accepted: the client's input plus everything the server decided
/// (ids, receive time, which deployment it updates). Applying it needs no further decision, so
/// replaying accepted events rebuilds identical state.
public struct AcceptedDeploymentEvent: Hashable, Sendable {
    public var eventID: EntityID
    public var recordedAt: Timestamp
    public var productID: EntityID
    public var versionID: EntityID
    public var environmentID: EntityID
    /// The deployment this event updates, or creates when the product has no deployment with this id.
    public var deploymentID: EntityID
    public var input: DeploymentEventInput
    /// What the deployment rules said when this event would start a deployment: nil when no
    /// rule applied and no skip was asked. When it `blocked`, no deployment was made.
    public var preflight: PreflightRecord?
    /// The request it came from, when a retry of it must be recognised (journaled, not kept in memory).
    public var request: RequestTag?
    /// The deliveries it owes the webhooks that want it, journaled in its own record so that
    /// an event costs one record however many webhooks hear of it (not kept in memory: the
    /// outbox holds them). Each names this event and its product.
    public var deliveries: [PendingDelivery]

    public init(eventID: EntityID, recordedAt: Timestamp, productID: EntityID, versionID: EntityID,
                environmentID: EntityID, deploymentID: EntityID, input: DeploymentEventInput,
                preflight: PreflightRecord? = nil, request: RequestTag? = nil, deliveries: [PendingDelivery] = []) {
        self.preflight = preflight
        self.request = request
        self.deliveries = deliveries
        self.eventID = eventID
        self.recordedAt = recordedAt
        self.productID = productID
        self.versionID = versionID
        self.environmentID = environmentID
        self.deploymentID = deploymentID
        self.input = input
    }
}

/// A build event once accepted (see ``AcceptedDeploymentEvent``).
public struct AcceptedBuildEvent: Hashable, Sendable {
    public var eventID: EntityID
    public var recordedAt: Timestamp
    public var productID: EntityID
    public var versionID: EntityID
    /// The build this event updates, or creates when the product has no build with this id.
    public var buildID: EntityID
    public var input: BuildEventInput
    /// The request it came from (see ``AcceptedDeploymentEvent/request``).
    public var request: RequestTag?
    /// The deliveries it owes (see ``AcceptedDeploymentEvent/deliveries``).
    public var deliveries: [PendingDelivery]

    public init(eventID: EntityID, recordedAt: Timestamp, productID: EntityID, versionID: EntityID,
                buildID: EntityID, input: BuildEventInput, request: RequestTag? = nil, deliveries: [PendingDelivery] = []) {
        self.request = request
        self.deliveries = deliveries
        self.eventID = eventID
        self.recordedAt = recordedAt
        self.productID = productID
        self.versionID = versionID
        self.buildID = buildID
        self.input = input
    }
}

/// An entry of the audit log: one accepted event.
public enum LoggedEvent: Hashable, Sendable {
    case deployment(AcceptedDeploymentEvent)
    case build(AcceptedBuildEvent)

    public var id: EntityID {
        switch self {
        case .deployment(let e): return e.eventID
        case .build(let e): return e.eventID
        }
    }

    /// The version the event names.
    public var versionID: EntityID {
        switch self {
        case .deployment(let e): return e.versionID
        case .build(let e): return e.versionID
        }
    }

    public var kind: EventKind {
        switch self {
        case .deployment: return .deployment
        case .build: return .build
        }
    }

    public var status: Status {
        switch self {
        case .deployment(let e): return e.input.status
        case .build(let e): return e.input.status
        }
    }

    /// The canonical type, `deployment.completed`, `build.started` …; a deployment that the
    /// deployment rules refused is `deployment.preflight_failed`.
    public var eventType: String { isPreflightFailure ? Self.preflightFailedType : kind.rawValue + "." + status.rawValue }

    public static let preflightFailedType = "deployment.preflight_failed"

    /// Whether this is a deployment event that a deployment rule refused.
    public var isPreflightFailure: Bool {
        if case .deployment(let e) = self { return e.preflight?.blocked == true }
        return false
    }

    public var recordedAt: Timestamp {
        switch self {
        case .deployment(let e): return e.recordedAt
        case .build(let e): return e.recordedAt
        }
    }

    /// The environment named by the event, as it was named then (deployments only).
    public var environmentName: String? {
        if case .deployment(let e) = self { return e.input.environmentName }
        return nil
    }

    public var productID: EntityID {
        switch self {
        case .deployment(let e): return e.productID
        case .build(let e): return e.productID
        }
    }

    /// The product named by the event, as it was named then.
    public var productName: String {
        switch self {
        case .deployment(let e): return e.input.productName
        case .build(let e): return e.input.productName
        }
    }
}

/// One change to the state, in the order it was accepted. This is what the journal stores and
/// what recovery replays.
public enum StateChange: Hashable, Sendable {
    case deploymentEvent(AcceptedDeploymentEvent)
    case buildEvent(AcceptedBuildEvent)
    /// A product created, or renamed/described; carries the whole new value.
    case productSaved(Product)
    /// A product deleted with its versions, builds, deployments and events.
    case productDeleted(EntityID)
    /// An environment created or changed; carries the whole new value.
    case environmentSaved(Environment)
    /// An environment deleted with the deployments to it (its events stay in the audit log).
    case environmentDeleted(EntityID)
    /// An API key created, revoked, or marked used; carries the whole new value (a hash, never the secret).
    case apiKeySaved(APIKey)
    /// A deployment rule created or changed; carries the whole new value.
    case ruleSaved(DeploymentRule)
    case ruleDeleted(EntityID)
    /// An approval of a version given; carries the whole value.
    case approvalSaved(Approval)
    case approvalDeleted(id: EntityID, productID: EntityID)
    /// The answer to a request that came with an `Idempotency-Key`, kept to be replayed.
    case requestAnswered(AnsweredRequest)
    /// A webhook created or changed; carries the whole new value, its secret included.
    case webhookSaved(Webhook)
    /// A webhook deleted, with every delivery it was still owed.
    case webhookDeleted(EntityID)
    /// Deliveries owed to webhooks for an event just accepted. Journals of earlier versions
    /// wrote it right after its event; now an event carries its own (``AcceptedDeploymentEvent/deliveries``).
    case deliveriesQueued([PendingDelivery])
    /// A delivery made or given up on, with its attempts.
    case deliveryFinished(DeliveryOutcome)
}

extension AcceptedDeploymentEvent {
    /// The event as the audit log keeps it: its request and its deliveries are only journaled.
    public var logged: AcceptedDeploymentEvent {
        guard request != nil || !deliveries.isEmpty else { return self }
        var event = self
        event.request = nil
        event.deliveries = []
        return event
    }
}

extension AcceptedBuildEvent {
    /// The event as the audit log keeps it: its request and its deliveries are only journaled.
    public var logged: AcceptedBuildEvent {
        guard request != nil || !deliveries.isEmpty else { return self }
        var event = self
        event.request = nil
        event.deliveries = []
        return event
    }
}

extension StateChange {
    /// The deliveries this change owes webhooks: an event's own, or those of a change of
    /// ``deliveriesQueued(_:)`` from an earlier journal.
    public var owedDeliveries: [PendingDelivery] {
        switch self {
        case .deploymentEvent(let event): event.deliveries
        case .buildEvent(let event): event.deliveries
        case .deliveriesQueued(let deliveries): deliveries
        default: []
        }
    }
}
