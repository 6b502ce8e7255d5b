import Hummingbird
import Synchronization
import VersionerCore

/// The dashboard's sign-in sessions, held in memory: a random token in a cookie stands for the
/// key a person signed in with. A session ends when the person signs out, when its key is
/// revoked (checked at every use), or when its time runs out.
final class SessionStore: Sendable {
    static let cookieName = "versioner_session"

    /// Who a session is: the public id of the stored key signed in with, or the configured admin key.
    enum Holder: Hashable, Sendable {
        case key(publicID: String)
        case bootstrap
    }

    private struct Session {
        let holder: Holder
        let expires: ContinuousClock.Instant
    }

    let lifetime: Duration
    private let sessions = Mutex<[String: Session]>([:])

    init(lifetime: Duration) {
        self.lifetime = lifetime
    }

    /// A new session for `holder`; returns its token (32 random bytes, hex).
    func open(for holder: Holder) -> String {
        var random = SystemRandomNumberGenerator()  // getrandom(2): cryptographically secure
        let token = (0..<4).map { _ in
            let word = random.next() as UInt64
            let hex = String(word, radix: 16)
            return String(repeating: "0", count: 16 - hex.utf8.count) + hex
        }.joined()
        let now = ContinuousClock.now
        sessions.withLock { sessions in
            sessions = sessions.filter { $0.value.expires > now }  // forget the expired ones
            sessions[token] = Session(holder: holder, expires: now + lifetime)
        }
        return token
    }

    func close(_ token: String) {
        _ = sessions.withLock { $0.removeValue(forKey: token) }
    }

    /// The holder of the session `request`'s cookie names, when it is open and its key still
    /// allows `read`; a session whose key was revoked is closed.
    func holder(of request: Request, tracker: Tracker, bootstrapConfigured: Bool) -> Holder? {
        guard let token = Self.token(in: request) else { return nil }
        let now = ContinuousClock.now
        guard let session = sessions.withLock({ $0[token] }), session.expires > now else { return nil }
        switch session.holder {
        case .bootstrap where bootstrapConfigured:
            return session.holder
        case .key(let publicID):
            if let key = tracker.key(publicID: publicID), key.allows(.read) { return session.holder }
        default:
            break
        }
        close(token)
        return nil
    }

    /// The session token of the request's `Cookie` header, if any.
    static func token(in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, parts[0].trimmingCharacters(in: " ") == cookieName else { continue }
                let value = parts[1].trimmingCharacters(in: " ")
                if value.utf8.count == 64, value.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) {
                    return value
                }
            }
        }
        return nil
    }
}
