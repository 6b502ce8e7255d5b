import HTTPTypes
import Hummingbird
import VersionerCore

/// Checks `Authorization: Bearer <key>` against the keys the tracker holds (docs/API.md §1, §5).
///
/// Neither the header nor the key ever reaches a log line or an error body.
struct Authenticator: Sendable {
    /// The key of `VERSIONER_ADMIN_KEY`: an admin key that is configured rather than stored.
    let bootstrapToken: String?

    static let unauthenticated = APIError(.unauthorized, "Invalid authentication credentials",
                                          headers: [.wwwAuthenticate: "Bearer"])
    static let forbidden = APIError(.forbidden, "You do not have permission to perform this action")

    /// The dashboard's sessions: a signed-in browser may read (GET, scope `read`) with its
    /// session cookie instead of a key; never write, so that no write can be forged cross-site.
    let sessions: SessionStore?

    /// Who the request comes from when it may go on (the key's id, `admin` for the configured
    /// admin key, nil for a signed-in browser); else the 401 or 403 answer. The client keeps a
    /// client's requests apart from others' (`Idempotency-Key`), found by the same one check.
    func authorize(_ request: Request, needs scope: Scope, tracker: Tracker) -> Result<String?, APIError> {
        guard let token = Self.bearerToken(request.headers[.authorization]) else {
            if scope == .read, request.method == .get || request.method == .head, let sessions,
               sessions.holder(of: request, tracker: tracker, bootstrapConfigured: bootstrapToken != nil) != nil {
                return .success(nil)
            }
            return .failure(Self.unauthenticated)
        }
        switch holder(of: token, tracker: tracker) {
        case .bootstrap?: return .success("admin")
        case .stored(let key)?: return key.allows(scope) ? .success(key.id.uuidString) : .failure(Self.forbidden)
        case nil: return .failure(Self.unauthenticated)
        }
    }

    /// Who `token` is, when it is a key that allows `read`: what signing in to the dashboard checks.
    func reader(_ token: String, tracker: Tracker) -> SessionStore.Holder? {
        switch holder(of: token, tracker: tracker) {
        case .bootstrap?: return .bootstrap
        case .stored(let key)? where key.allows(.read): return .key(publicID: key.keyID)
        default: return nil
        }
    }

    /// The name of the key a request presents, when it is a valid one.
    func keyName(of request: Request, tracker: Tracker) -> String? {
        guard let token = Self.bearerToken(request.headers[.authorization]) else { return nil }
        switch holder(of: token, tracker: tracker) {
        case .bootstrap?: return "admin"
        case .stored(let key)?: return key.name
        case nil: return nil
        }
    }

    private enum TokenHolder {
        case bootstrap
        case stored(APIKey)
    }

    /// The configured admin key, or the stored, unrevoked key `token` is (its use noted); nil
    /// for anything else.
    private func holder(of token: String, tracker: Tracker) -> TokenHolder? {
        if let bootstrapToken, constantTimeEqual(Array(token.utf8), Array(bootstrapToken.utf8)) { return .bootstrap }
        guard let parts = APIKeys.parse(token), let key = tracker.key(publicID: parts.keyID),
              key.account == parts.account, key.matches(secret: parts.secret), key.revokedAt == nil
        else { return nil }
        tracker.noteUse(of: key.id)
        return .stored(key)
    }

    /// The token of a `Bearer` authorization (the scheme is case-insensitive).
    static func bearerToken(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: " \t")
        return token.isEmpty ? nil : token
    }
}
