import Hummingbird
import VersionerCore
import VersionerStore

/// `GET /ready`: 200 once this node can answer every request — it has recovered (file journal),
/// or it owns the shared journal, or it stands by with an owner to hand requests to. The body
/// says which, and on a shared journal how far this node has applied it.
let readyRoute = Route(probe: .get, "/ready") { state in
    let node = state.node
    let ready: Bool
    let detail: String
    switch node?.role {
    case nil, .owner: (ready, detail) = (state.isReady, "Recovering")
    case .standby: (ready, detail) = (node?.ownerURL != nil, "Standing by, and no owner advertises a URL to hand requests to")
    case .connecting: (ready, detail) = (false, "Connecting to the journal's database")
    case .disconnected: (ready, detail) = (false, "The journal's database is unreachable: reads are answered from memory, writes 503")
    }
    return Reply.json(ready ? .ok : .serviceUnavailable, headers: ready ? [:] : [.retryAfter: "1"]) { writer in
        writer.beginObject()
        if !ready { writer.field("detail", detail) }
        writer.field("status", ready ? "ready" : "unavailable")
        if let node {
            writer.field("role", node.role.rawValue)
            writer.field("node", node.node)
            writer.key("epoch")
            writer.int(Int(node.epoch))
            writer.key("applied")
            writer.int(Int(node.applied))
            writer.key("lag")
            writer.int(Int(node.lag))
            writer.field("owner", node.ownerNode)
            writer.field("owner_url", node.ownerURL)
        }
        writer.endObject()
    }
}

/// `GET /cluster/`: the nodes sharing this server's journal, as the database lists them.
let clusterRoute = Route(.get, "/cluster") { input throws(APIError) in
    guard let cluster = input.backend.cluster else {
        throw APIError(.notFound, "This server is not part of a cluster: it keeps its journal in its own files")
    }
    let view: ClusterView
    do {
        view = try await cluster.cluster()
    } catch {
        throw APIError.unavailable
    }
    return Reply.json { writer in
        writer.beginObject()
        writer.field("owner", view.ownerNode)
        writer.field("owner_url", view.ownerURL)
        writer.key("epoch")
        writer.int(Int(view.epoch))
        writer.key("journal_end")
        writer.int(Int(view.journalEnd))
        writer.key("nodes")
        writer.beginArray()
        for member in view.members {
            writer.beginObject()
            writer.field("name", member.name)
            writer.field("url", member.url)
            writer.field("role", member.role)
            writer.key("epoch")
            writer.int(Int(member.epoch))
            writer.key("applied")
            writer.int(Int(member.applied))
            writer.key("heartbeat_age_seconds")
            writer.raw("\((member.heartbeatAge * 10).rounded() / 10)")
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
    }
}
