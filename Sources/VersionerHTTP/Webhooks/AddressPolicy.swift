import Glibc
import NIOPosix
import Synchronization
import VersionerCore

/// Where webhooks may send: by default only to public addresses, so that whoever may create a
/// webhook cannot make the server probe its own host or private network (`--webhook-allow-private`
/// lifts this).
///
/// A delivery connects to the address that was checked, never to one a second lookup gives: a
/// name that resolves to a public address for the check and to a private one for the connection
/// (DNS rebinding) cannot lead the server into its own network.
struct AddressPolicy: Sendable {
    var allowPrivate: Bool
    /// What each host name was judged, for a minute: a delivery checks its host before every
    /// attempt, and a resolver that takes a while must not make every attempt wait on it.
    private let judged = Judgements()
    /// The threads the resolver blocks.
    private let resolver: NIOThreadPool
    /// The addresses a host name resolves to (the system's resolver but in tests).
    private let lookup: @Sendable (String) -> [[UInt8]]

    /// `resolver`: the answers to requests (``answering``) do not wait behind the sender's lookups (``sending``).
    init(allowPrivate: Bool, resolver: NIOThreadPool = AddressPolicy.answering,
         lookup: @escaping @Sendable (String) -> [[UInt8]] = AddressPolicy.resolve) {
        self.allowPrivate = allowPrivate
        self.resolver = resolver
        self.lookup = lookup
    }

    /// Where a delivery may connect.
    enum Destination: Equatable, Sendable {
        /// Where the URL says: its host is an address, or private addresses are allowed.
        case asWritten
        /// Only to this address (text), the one the URL's host name resolved to when checked.
        case address(String)
        /// Nowhere: the host is or resolves to a private address.
        case refused
        /// Nowhere: the host name does not resolve.
        case unresolved
    }

    /// Threads for the lookups of requests that save or test a webhook.
    static let answering = startedPool()
    /// Threads for the lookups before each delivery's attempts.
    static let sending = startedPool()

    private static func startedPool() -> NIOThreadPool {
        let pool = NIOThreadPool(numberOfThreads: 2)
        pool.start()
        return pool
    }

    /// Why a webhook may not send to `url`; nil when it may (a host that does not resolve is left
    /// to its deliveries to report). Resolves the host (off the cooperative pool: the resolver blocks).
    func refusal(of url: WebhookURL) async -> FieldError.Kind? {
        await destination(of: url) == .refused ? .privateAddress : nil
    }

    /// Where a delivery to `url` may connect, resolving its host name when it must be checked.
    func destination(of url: WebhookURL) async -> Destination {
        guard !allowPrivate else { return .asWritten }
        let host = url.host
        if let address = Self.literal(host) { return Self.isPrivate(address) ? .refused : .asWritten }
        return await judged.destination(of: host) { [resolver, lookup] in
            (try? await resolver.runIfActive { lookup(host) }).map(Self.destination(resolvedTo:))
        }
    }

    /// Where a name that resolves to `addresses` may be sent. One that resolves to any private
    /// address is refused (its other addresses would not stop a client from using it); otherwise
    /// a delivery goes to the first IPv4 address (the one most likely reachable), or the first.
    private static func destination(resolvedTo addresses: [[UInt8]]) -> Destination {
        if addresses.contains(where: isPrivate) { return .refused }
        guard let address = addresses.first(where: { $0.count == 4 }) ?? addresses.first else { return .unresolved }
        return .address(text(address))
    }

    /// Host names judged recently, at most a thousand, each for a minute; and the lookups under
    /// way, which checks of the same name at once share (deliveries to one receiver often start
    /// together, and each lookup holds one of the resolver's threads).
    private final class Judgements: Sendable {
        private struct Entries {
            var known: [String: (destination: Destination, until: ContinuousClock.Instant)] = [:]
            var pending: [String: Task<Destination?, Never>] = [:]
        }
        private let entries = Mutex(Entries())
        static let lifetime: Duration = .seconds(60)

        /// What `host` was judged lately, or what `judge` says of it now (nil: it could not say,
        /// which is not kept and refuses).
        func destination(of host: String, judge: @escaping @Sendable () async -> Destination?) async -> Destination {
            let (known, pending): (Destination?, Task<Destination?, Never>?) = entries.withLock { entries in
                if let entry = entries.known[host], entry.until > .now { return (entry.destination, nil) }
                let lookup = entries.pending[host] ?? Task { await judge() }
                entries.pending[host] = lookup
                return (nil, lookup)
            }
            guard let lookup = pending else { return known ?? .refused }
            let judged = await lookup.value
            entries.withLock { entries in
                guard entries.pending[host] == lookup else { return }
                entries.pending[host] = nil
                guard let judged else { return }
                if entries.known.count >= 1_000 { entries.known.removeAll() }
                entries.known[host] = (judged, .now + Self.lifetime)
            }
            return judged ?? .refused
        }
    }

    /// The address an IPv4 or IPv6 literal writes, without asking a resolver; nil for a name.
    static func literal(_ host: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    /// An address (4 or 16 bytes) as text: `203.0.113.7`, `2001:db8::1`.
    static func text(_ address: [UInt8]) -> String {
        let family = address.count == 4 ? AF_INET : AF_INET6
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard address.withUnsafeBytes({ inet_ntop(family, $0.baseAddress, &buffer, socklen_t(buffer.count)) }) != nil else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The addresses `host` resolves to (4 or 16 bytes each); empty when it does not resolve.
    static func resolve(_ host: String) -> [[UInt8]] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return [] }
        defer { freeaddrinfo(first) }
        var addresses: [[UInt8]] = []
        var next: UnsafeMutablePointer<addrinfo>? = first
        while let entry = next {
            if let address = entry.pointee.ai_addr {
                switch Int32(entry.pointee.ai_family) {
                case AF_INET:
                    address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                        var raw = pointer.pointee.sin_addr
                        addresses.append(withUnsafeBytes(of: &raw) { Array($0) })
                    }
                case AF_INET6:
                    address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                        var raw = pointer.pointee.sin6_addr
                        addresses.append(withUnsafeBytes(of: &raw) { Array($0) })
                    }
                default: break
                }
            }
            next = entry.pointee.ai_next
        }
        return addresses
    }

    /// Whether an address is loopback, private, link-local, unspecified, shared (carrier-grade
    /// NAT) or multicast: nowhere a webhook of a public receiver lives.
    static func isPrivate(_ address: [UInt8]) -> Bool {
        if address.count == 4 {
            let (a, b) = (address[0], address[1])
            return a == 0 || a == 10 || a == 127 || (a == 169 && b == 254) || (a == 172 && (16...31).contains(b))
                || (a == 192 && b == 168) || (a == 100 && (64...127).contains(b)) || a >= 224
        }
        guard address.count == 16 else { return true }
        // An IPv4 address mapped into IPv6 (::ffff:a.b.c.d) is judged as that IPv4 address.
        if address[0..<10].allSatisfy({ $0 == 0 }), address[10] == 0xff, address[11] == 0xff {
            return isPrivate(Array(address[12...]))
        }
        let isZeroPrefix = address[0..<15].allSatisfy { $0 == 0 }
        if isZeroPrefix, address[15] <= 1 { return true }  // :: and ::1
        return address[0] & 0xfe == 0xfc  // fc00::/7, unique local
            || (address[0] == 0xfe && address[1] & 0xc0 == 0x80)  // fe80::/10, link-local
            || address[0] == 0xff  // multicast
    }
}
