import CoreMetrics
import Metrics
import Prometheus
import Synchronization
import VersionerCore
import VersionerStore

/// The server's metrics and the Prometheus registry that `GET /metrics` renders.
///
/// Instruments are swift-metrics types made by ``factory`` on this registry, so the store's
/// metrics (``StoreMetrics``) and any library that uses swift-metrics land here too once
/// `factory` is bootstrapped as the process-wide `MetricsSystem`. Every family has a `# HELP`
/// line, and the standard process metrics are added at each scrape.
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    /// Makes instruments that land in ``registry``, with help texts and histogram buckets fitted to each metric.
    public let factory: any MetricsFactory

    private struct RequestKey: Hashable {
        var method: String
        var route: String
        var status: Int
    }

    private let requests = Mutex<[RequestKey: (count: CoreMetrics.Counter, duration: CoreMetrics.Timer)]>([:])
    private let eventsAccepted: [EventType: CoreMetrics.Counter]
    private let deliveries: (delivered: CoreMetrics.Counter, failed: CoreMetrics.Counter)
    private let dropped: CoreMetrics.Counter
    private let droppedSeen = Mutex(0)
    private let pending: CoreMetrics.Gauge
    private let held: (products: CoreMetrics.Gauge, versions: CoreMetrics.Gauge, builds: CoreMetrics.Gauge, deployments: CoreMetrics.Gauge, events: CoreMetrics.Gauge)

    static let requestsTotal = "versioner_http_requests_total"
    static let requestDuration = "versioner_http_request_duration_seconds"
    static let eventsAcceptedTotal = "versioner_events_accepted_total"
    static let webhookDeliveriesTotal = "versioner_webhook_deliveries_total"
    static let webhookDroppedTotal = "versioner_webhook_deliveries_dropped_total"
    static let webhookPending = "versioner_webhook_deliveries_pending"
    /// The gauges of what the server holds, set at each scrape.
    static let heldNames = (products: "versioner_products", versions: "versioner_versions", builds: "versioner_builds",
                       deployments: "versioner_deployments", events: "versioner_events")

    /// What each of the server's own metrics measures: the `# HELP` line of its family.
    static let help: [String: String] = [
        requestsTotal: "Answered HTTP requests, by method, route pattern (unmatched for unknown paths) and status.",
        requestDuration: "Time to answer an HTTP request, in seconds, by method and route pattern.",
        eventsAcceptedTotal: "Accepted events, by canonical type (deployment.completed, build.failed, ...).",
        webhookDeliveriesTotal: "Webhook deliveries finished, by result: delivered (a 2xx) or failed (every attempt failed, or a 4xx).",
        webhookDroppedTotal: "Webhook deliveries dropped unsent because their webhook owed more than the pending limit (a receiver down too long).",
        webhookPending: "Webhook deliveries owed and not yet finished.",
        heldNames.products: "Products held.",
        heldNames.versions: "Versions held.",
        heldNames.builds: "Builds held.",
        heldNames.deployments: "Deployments held.",
        heldNames.events: "Events held in the audit log.",
    ]

    public init() {
        let registry = PrometheusCollectorRegistry()
        let subMillisecond: [Duration] = [.microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500)]
        let milliseconds: [Duration] = [1, 2.5, 5, 10, 25, 50, 100, 250, 500].map { .microseconds($0 * 1000) }
        let factory = DescribedMetricsFactory(
            registry: registry,
            help: Self.help.merging(StoreMetrics.help) { ours, _ in ours },
            durationBuckets: [
                Self.requestDuration: subMillisecond + milliseconds + [.seconds(1), .milliseconds(2500), .seconds(5), .seconds(10)],
                StoreMetrics.Name.fsyncDuration: subMillisecond + milliseconds + [.seconds(1)],
                StoreMetrics.Name.commitDuration: subMillisecond + milliseconds + [.seconds(1)],
                StoreMetrics.Name.snapshotDuration: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300].map { .milliseconds($0 * 1000) },
            ],
            valueBuckets: [StoreMetrics.Name.batchRecords: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]])
        self.registry = registry
        self.factory = factory

        var accepted: [EventType: CoreMetrics.Counter] = [:]
        for kind in EventKind.allCases {
            for status in Status.allCases {
                let type = EventType(kind: kind, status: status)
                accepted[type] = CoreMetrics.Counter(label: Self.eventsAcceptedTotal, dimensions: [("type", type.name)],
                                         factory: factory)
            }
        }
        eventsAccepted = accepted
        deliveries = (CoreMetrics.Counter(label: Self.webhookDeliveriesTotal, dimensions: [("result", "delivered")], factory: factory),
                      CoreMetrics.Counter(label: Self.webhookDeliveriesTotal, dimensions: [("result", "failed")], factory: factory))
        dropped = CoreMetrics.Counter(label: Self.webhookDroppedTotal, factory: factory)
        pending = CoreMetrics.Gauge(label: Self.webhookPending, factory: factory)
        let names = Self.heldNames
        held = (CoreMetrics.Gauge(label: names.products, factory: factory), CoreMetrics.Gauge(label: names.versions, factory: factory),
                CoreMetrics.Gauge(label: names.builds, factory: factory), CoreMetrics.Gauge(label: names.deployments, factory: factory),
                CoreMetrics.Gauge(label: names.events, factory: factory))
    }

    /// Counts one answered request under its route pattern (never the raw path: ids would make
    /// every request a new series), and records how long it took.
    func recordRequest(method: String, route: String, status: Int, duration: Duration) {
        let key = RequestKey(method: method, route: route, status: status)
        let instruments = requests.withLock { known in
            if let instruments = known[key] { return instruments }
            let made = (count: CoreMetrics.Counter(label: Self.requestsTotal,
                                       dimensions: [("method", method), ("route", route), ("status", String(status))],
                                       factory: factory),
                        duration: CoreMetrics.Timer(label: Self.requestDuration, dimensions: [("method", method), ("route", route)],
                                        factory: factory))
            known[key] = made
            return made
        }
        instruments.count.increment()
        instruments.duration.record(duration: duration)
    }

    /// Counts an accepted event by its canonical type (`deployment.completed`).
    func recordAccepted(_ kind: EventKind, _ status: Status) {
        eventsAccepted[EventType(kind: kind, status: status)]?.increment()
    }

    /// Counts a finished webhook delivery.
    func recordDelivery(succeeded: Bool) {
        (succeeded ? deliveries.delivered : deliveries.failed).increment()
    }

    /// Counts the deliveries dropped since the last look: `total` is the outbox's count since it began.
    func noteDropped(total: Int) {
        let new = droppedSeen.withLock { seen in
            defer { seen = max(seen, total) }
            return max(0, total - seen)
        }
        if new > 0 { dropped.increment(by: new) }
    }

    /// The Prometheus text exposition, with the held-object gauges set from `counts` first.
    func exposition(counts: HeldCounts?, outbox: WebhookOutbox? = nil) -> [UInt8] {
        if let outbox {
            pending.record(outbox.pendingCount)
            noteDropped(total: outbox.droppedTotal)
        }
        if let counts {
            held.products.record(counts.products)
            held.versions.record(counts.versions)
            held.builds.record(counts.builds)
            held.deployments.record(counts.deployments)
            held.events.record(counts.events)
        }
        var text = registry.emitToBuffer()
        ProcessMetrics.write(ProcessMetrics.read(), into: &text)
        return text
    }
}

/// A canonical event type (`deployment.completed`), as the metrics label it.
private struct EventType: Hashable {
    var kind: EventKind
    var status: Status
    var name: String { "\(kind.rawValue).\(status.rawValue)" }
}
