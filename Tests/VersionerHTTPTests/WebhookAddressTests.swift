import Dispatch
import Glibc
import Logging
import Synchronization
import Testing
import VersionerCore
@testable import VersionerHTTP

/// Where a delivery may connect (docs/API.md §8): only to public addresses, and only to the
/// address its host name was checked to.
@Suite("Webhook addresses")
struct WebhookAddressTests {
    /// A policy whose host names resolve as `answers` says.
    static func policy(_ answers: [String: [[UInt8]]]) -> AddressPolicy {
        AddressPolicy(allowPrivate: false, lookup: { answers[$0] ?? [] })
    }

    @Test("A name goes to the address it was checked to (IPv4 first); private, unresolved and allowed hosts are told apart")
    func destinations() async {
        let policy = Self.policy([
            "hooks.example": [[0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [1], [203, 0, 113, 7]],
            "v6.example": [[0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [1]],
            "inside.example": [[203, 0, 113, 8], [10, 0, 0, 5]],
        ])
        #expect(await policy.destination(of: WebhookURL("https://hooks.example/x")!) == .address("203.0.113.7"))
        #expect(await policy.destination(of: WebhookURL("https://v6.example/x")!) == .address("2001:db8::1"))
        #expect(await policy.destination(of: WebhookURL("https://inside.example/x")!) == .refused)
        #expect(await policy.destination(of: WebhookURL("https://nowhere.example/x")!) == .unresolved)
        #expect(await policy.destination(of: WebhookURL("https://203.0.113.9/x")!) == .asWritten)
        #expect(await policy.destination(of: WebhookURL("http://[::1]:8080/x")!) == .refused)
        // Saving a webhook refuses only private addresses: a name that does not resolve yet may be saved.
        #expect(await policy.refusal(of: WebhookURL("https://nowhere.example/x")!) == nil)
        #expect(await policy.refusal(of: WebhookURL("https://inside.example/x")!) == .privateAddress)
        #expect(await AddressPolicy(allowPrivate: true, lookup: { _ in [[10, 0, 0, 1]] })
            .destination(of: WebhookURL("http://inside.example/")!) == .asWritten)
    }

    @Test("Checks of one name at once share one lookup")
    func sharedLookup() async {
        final class Calls: Sendable { let count = Mutex(0) }
        let calls = Calls()
        // The lookup waits until every check has started, so that checks that did not share it would each make their own.
        let gate = DispatchSemaphore(value: 0)
        let policy = AddressPolicy(allowPrivate: false, lookup: { _ in
            calls.count.withLock { $0 += 1 }
            gate.wait()
            return [[203, 0, 113, 7]]
        })
        let checks = 8
        let (started, starting) = AsyncStream.makeStream(of: Void.self)
        let destinations = await withTaskGroup(of: AddressPolicy.Destination.self) { group in
            for _ in 0..<checks {
                group.addTask {
                    starting.yield()
                    return await policy.destination(of: WebhookURL("https://hooks.example/x")!)
                }
            }
            var count = 0
            for await _ in started {
                count += 1
                if count == checks { break }
            }
            for _ in 0..<checks { gate.signal() }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(destinations == Array(repeating: .address("203.0.113.7"), count: checks))
        #expect(calls.count.withLock { $0 } == 1)
    }

    @Test("A name checked to a public address is never connected at the private address a second lookup gives")
    func rebinding() async throws {
        // A listener on 127.0.0.1, where the system's resolver sends `localhost`. The check is told
        // `localhost` is a public address: a client that looked the name up again would connect here.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(listener >= 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0 }
        }
        #expect(bound && listen(listener, 16) == 0)
        let port = Int(UInt16(bigEndian: address.sin_port))

        let clients = WebhookClients.testing
        let attempter = Attempter(policy: Self.policy(["localhost": [[203, 0, 113, 7]]]), clients: clients,
                                  logger: Logger(label: "test"))
        let webhook = Webhook(id: EntityID(high: 1, low: 1), name: "w", url: "http://localhost:\(port)/hook", events: ["*"],
                              createdAt: Timestamp(microseconds: 0), updatedAt: Timestamp(microseconds: 0))
        let attempts = await attempter.send(Array("{}".utf8), eventType: "test", deliveryID: EntityID(high: 1, low: 2), to: webhook,
                                            retrying: false, now: { Timestamp(microseconds: 0) })
        #expect(attempts.count == 1 && attempts[0].statusCode == nil)
        #expect(clients.pinnedAddress(of: "localhost") == "203.0.113.7")
        // Nothing reached the listener: no connection waits to be accepted.
        var waiting = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        #expect(poll(&waiting, 1, 0) == 0)

        // The same webhook, where the check finds the private address, is refused before connecting.
        let refused = await Attempter(policy: Self.policy(["localhost": [[127, 0, 0, 1]]]), clients: clients, logger: Logger(label: "test"))
            .send(Array("{}".utf8), eventType: "test", deliveryID: EntityID(high: 1, low: 3), to: webhook, retrying: true,
                  now: { Timestamp(microseconds: 0) })
        #expect(refused.count == 1 && refused[0].error == Attempter.refusedAddress)
        #expect(poll(&waiting, 1, 0) == 0)
    }
}
