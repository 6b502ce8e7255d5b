import PostgresNIO

/// Where the PostgreSQL journal lives: `postgres://user[:password]@host[:port][,host[:port]…]/database`.
///
/// Several hosts name the members of a replicated cluster; the journal connects to the one that
/// accepts writes (the primary), trying them in order, so a promoted standby is found again
/// after a failover. The password never appears in ``description``: that is what logs and
/// error messages print.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    public struct Host: Sendable, Equatable {
        public var name: String
        public var port: Int
    }

    public var hosts: [Host]
    public var user: String
    public var password: String?
    public var database: String

    /// Parses a URL; the error says what is wrong with it (and never repeats a password).
    public init(url: String) throws(PostgresLocationError) {
        let scheme: String
        if url.hasPrefix("postgres://") {
            scheme = "postgres://"
        } else if url.hasPrefix("postgresql://") {
            scheme = "postgresql://"
        } else {
            throw PostgresLocationError("the journal URL must begin with postgres:// (or be `file`)")
        }
        var rest = Substring(url.dropFirst(scheme.count))
        if let query = rest.firstIndex(of: "?") { rest = rest[..<query] }
        guard let at = rest.lastIndex(of: "@") else {
            throw PostgresLocationError("the journal URL must name a user: postgres://user@host:port/database")
        }
        let credentials = rest[..<at]
        let location = rest[rest.index(after: at)...]
        if let colon = credentials.firstIndex(of: ":") {
            user = Self.decode(credentials[..<colon])
            password = Self.decode(credentials[credentials.index(after: colon)...])
        } else {
            user = Self.decode(credentials)
            password = nil
        }
        guard !user.isEmpty else { throw PostgresLocationError("the journal URL names no user") }
        guard let slash = location.firstIndex(of: "/") else {
            throw PostgresLocationError("the journal URL must name a database: postgres://user@host:port/database")
        }
        database = Self.decode(location[location.index(after: slash)...])
        guard !database.isEmpty else { throw PostgresLocationError("the journal URL names no database") }
        hosts = []
        for entry in location[..<slash].split(separator: ",", omittingEmptySubsequences: false) {
            var name = Substring(entry)
            var port = 5432
            if let colon = entry.lastIndex(of: ":") {
                guard let parsed = Int(entry[entry.index(after: colon)...]), (1...65535).contains(parsed) else {
                    throw PostgresLocationError("the journal URL has an invalid port in \(entry)")
                }
                port = parsed
                name = entry[..<colon]
            }
            guard !name.isEmpty else { throw PostgresLocationError("the journal URL names an empty host") }
            hosts.append(Host(name: String(name), port: port))
        }
    }

    /// The URL with the password left out.
    public var description: String {
        let list = hosts.map { "\($0.name):\($0.port)" }.joined(separator: ",")
        return "postgres://\(user)\(password == nil ? "" : ":***")@\(list)/\(database)"
    }

    func configuration(of host: Host) -> PostgresConnection.Configuration {
        var configuration = PostgresConnection.Configuration(
            host: host.name, port: host.port, username: user, password: password, database: database, tls: .disable)
        configuration.options.connectTimeout = .seconds(3)
        return configuration
    }

    /// `%xx` escapes, as URLs carry reserved characters in a user name or password.
    private static func decode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
               let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A journal URL that cannot be used.
public struct PostgresLocationError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
