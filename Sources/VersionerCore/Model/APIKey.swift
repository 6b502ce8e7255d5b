import Crypto

/// What a key may do (docs/API.md §5).
public enum Scope: String, Sendable, CaseIterable, Hashable, Comparable {
    /// Send build and deployment events: what CI needs.
    case eventsWrite = "events:write"
    /// Every GET.
    case read
    /// Approve versions for environments (deployment rules of type `approval`).
    case approve
    /// Catalog writes, keys, snapshots; implies every other scope.
    case admin

    public static func < (lhs: Scope, rhs: Scope) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// An API key as stored: a salted hash of its secret, never the secret.
///
/// The whole key is `sk_<account>_<key id>_<secret>`; `prefix` (`sk_<account>_<key id>`)
/// identifies it in lists and logs.
public struct APIKey: Hashable, Sendable {
    public var id: EntityID
    public var name: String
    public var description: String?
    public var scopes: [Scope]
    public var account: String
    /// The short public id inside the key, by which a presented key is looked up.
    public var keyID: String
    public var salt: [UInt8]
    /// SHA-256 of `salt` followed by the secret's UTF-8.
    public var secretHash: [UInt8]
    public var createdAt: Timestamp
    public var lastUsedAt: Timestamp?
    public var revokedAt: Timestamp?

    public init(id: EntityID, name: String, description: String?, scopes: [Scope], account: String, keyID: String,
                salt: [UInt8], secretHash: [UInt8], createdAt: Timestamp, lastUsedAt: Timestamp? = nil,
                revokedAt: Timestamp? = nil) {
        self.id = id
        self.name = name
        self.description = description
        self.scopes = Array(Set(scopes)).sorted()
        self.account = account
        self.keyID = keyID
        self.salt = salt
        self.secretHash = secretHash
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }

    public var prefix: String { "sk_\(account)_\(keyID)" }

    /// Whether the key grants `scope` (`admin` grants all). A revoked key grants nothing.
    public func allows(_ scope: Scope) -> Bool {
        revokedAt == nil && (scopes.contains(.admin) || scopes.contains(scope))
    }

    /// Whether `secret` is this key's secret. The comparison takes the same time wherever the
    /// hashes differ.
    public func matches(secret: String) -> Bool {
        constantTimeEqual(Self.hash(secret: secret, salt: salt), secretHash)
    }

    static func hash(secret: String, salt: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: salt)
        hasher.update(data: Array(secret.utf8))
        return Array(hasher.finalize())
    }
}

/// A key just made: the stored record and the whole key, which is shown once and never kept.
public struct IssuedKey: Sendable {
    public var key: APIKey
    public var token: String
}

/// Makes and reads API keys.
public enum APIKeys {
    /// Account slugs: lowercase letters, digits and `-`, 1 to 32 characters.
    public static func isValidAccount(_ account: String) -> Bool {
        !account.isEmpty && account.utf8.count <= 32
            && account.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-") }
    }

    /// A new key with a 43-character secret (about 256 bits) from the system's cryptographic
    /// random source.
    public static func issue(id: EntityID, name: String, description: String?, scopes: [Scope], account: String,
                             at time: Timestamp) -> IssuedKey {
        var random = SystemRandomNumberGenerator()
        let keyID = randomString(12, alphabet: "abcdefghijklmnopqrstuvwxyz0123456789", using: &random)
        let secret = randomString(43, alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", using: &random)
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255, using: &random) }
        let key = APIKey(id: id, name: name, description: description, scopes: scopes, account: account, keyID: keyID,
                         salt: salt, secretHash: APIKey.hash(secret: secret, salt: salt), createdAt: time)
        return IssuedKey(key: key, token: "\(key.prefix)_\(secret)")
    }

    /// The parts of a presented key: `sk_<account>_<key id>_<secret>`.
    public static func parse(_ token: String) -> (account: String, keyID: String, secret: String)? {
        let parts = token.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "sk", !parts[1].isEmpty, !parts[2].isEmpty, parts[3].utf8.count >= 32 else { return nil }
        return (String(parts[1]), String(parts[2]), String(parts[3]))
    }

    private static func randomString(_ length: Int, alphabet: String, using random: inout SystemRandomNumberGenerator) -> String {
        let characters = Array(alphabet)
        return String((0..<length).map { _ in characters[Int.random(in: 0..<characters.count, using: &random)] })
    }
}

/// Compares two byte strings in time that depends only on their lengths.
///
/// Concrete arrays, not generic collections: every request's key goes through this, and an
/// unspecialised generic loop called across modules cost more than the rest of an event's work.
public func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    return a.withUnsafeBufferPointer { x in
        b.withUnsafeBufferPointer { y in
            var difference: UInt8 = 0
            for index in 0..<x.count { difference |= x[index] ^ y[index] }
            return difference == 0
        }
    }
}
