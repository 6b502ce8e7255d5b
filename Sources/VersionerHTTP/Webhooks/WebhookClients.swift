import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// The HTTP clients deliveries are sent with: one for URLs sent as written, and one per host name
/// whose address was checked, connecting only to that address. (AsyncHTTPClient's `dnsOverride`
/// connects to the address and still asks for, and verifies, the host name's certificate; it is a
/// client's setting, hence a client per host.)
final class WebhookClients: Sendable {
    private let group: any EventLoopGroup
    /// For URLs sent as written (their host is an address, or private addresses are allowed).
    let asWritten: HTTPClient
    /// Per host name, the address it was checked to and the client that connects there.
    private let pinned = Mutex<[String: (address: String, client: HTTPClient)]>([:])

    /// Host names kept at most; beyond, the clients start over.
    static let capacity = 256
    /// How long a client outlives its replacement: the attempts under way on it end within their timeout.
    static let retirement: Duration = .seconds(30)

    init(group: any EventLoopGroup) {
        self.group = group
        asWritten = HTTPClient(eventLoopGroupProvider: .shared(group), configuration: Self.configuration())
    }

    /// The clients of the deliveries the outbox owes.
    static let sending = WebhookClients(group: MultiThreadedEventLoopGroup.singleton)
    /// The clients of test deliveries, on an event loop of their own: their connections' name
    /// lookups (each event loop makes them one at a time) never wait behind the sender's.
    static let testing = WebhookClients(group: MultiThreadedEventLoopGroup(numberOfThreads: 1))

    /// Redirects are not followed (a receiver's redirect must not lead the server to an address
    /// it would refuse), and a connection that fails is not tried again within the attempt (the
    /// attempts are the retries).
    private static func configuration(connectingTo override: [String: String] = [:]) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, decompression: .disabled)
        configuration.timeout.connect = .seconds(5)
        configuration.connectionPool.retryConnectionEstablishment = false
        // Several webhooks often share a host (Slack's): each may have its deliveries under way at once.
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        configuration.dnsOverride = override
        return configuration
    }

    /// The client for `url`, going where `destination` says; nil when it may not be sent.
    func client(for url: String, _ destination: AddressPolicy.Destination) -> HTTPClient? {
        switch destination {
        case .asWritten: return asWritten
        case .refused, .unresolved: return nil
        case .address(let address):
            // The host as the client reads it from the URL: the name it would look addresses up for.
            guard let host = URL(string: url)?.host else { return nil }
            return client(host: host, connectingTo: address)
        }
    }

    /// The address the client for `host` connects to, if there is one (for tests).
    func pinnedAddress(of host: String) -> String? {
        pinned.withLock { $0[host]?.address }
    }

    private func client(host: String, connectingTo address: String) -> HTTPClient {
        let (client, retired): (HTTPClient, [HTTPClient]) = pinned.withLock { pinned in
            if let kept = pinned[host], kept.address == address { return (kept.client, []) }
            var retired = pinned[host].map { [$0.client] } ?? []
            if pinned.count >= Self.capacity {
                retired += pinned.values.map(\.client)
                pinned.removeAll()
            }
            let client = HTTPClient(eventLoopGroupProvider: .shared(group), configuration: Self.configuration(connectingTo: [host: address]))
            pinned[host] = (address, client)
            return (client, retired)
        }
        for old in retired {
            Task {
                try? await Task.sleep(for: Self.retirement)
                try? await old.shutdown()
            }
        }
        return client
    }
}
