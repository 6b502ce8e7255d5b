/// `serve`'s options read from `VERSIONER_…` environment variables, for containers and service
/// managers: `--max-body-size` ↔ `VERSIONER_MAX_BODY_SIZE`. A flag on the command line wins.
///
/// The variables are turned into flags before parsing, so an invalid value is refused exactly
/// as the flag would be, with a message that names the flag.
enum EnvironmentOptions {
    /// The options of `serve` that a variable may set (`--data-dir` and `--journal` read their
    /// variables themselves: a journal URL may hold a password, which must not be put on the
    /// command line, where `ps` shows it).
    static let serveOptions = [
        "host", "port", "base-path", "max-body-size", "shards", "fsync", "snapshot-interval", "snapshot-every",
        "keep-snapshots", "segment-size", "log-level", "log-format", "account", "idle-timeout", "request-timeout",
        "max-connections", "cors-origin", "session-ttl", "node-name", "advertise-url", "heartbeat-timeout",
    ]
    /// The on/off flags of `serve` that a variable may set: `true`/`1`/`yes` sets the flag,
    /// `false`/`0`/`no` leaves it off.
    static let serveFlags = ["metrics-require-key", "cookie-secure", "journal-wait"]

    static func variable(for option: String) -> String {
        "VERSIONER_" + option.uppercased().replacingOccurrences(of: "-", with: "_")
    }

    /// The arguments with a `--option value` added after `serve` for each variable that is set
    /// and whose flag is not given.
    static func arguments(_ arguments: [String], environment: [String: String]) -> [String] {
        guard let serve = arguments.firstIndex(of: "serve"), serve == 0 else { return arguments }
        var added: [String] = []
        for option in serveOptions {
            guard let value = environment[variable(for: option)], !value.isEmpty else { continue }
            let flag = "--" + option
            if arguments.contains(where: { $0 == flag || $0.hasPrefix(flag + "=") }) { continue }
            added += [flag, value]
        }
        for option in serveFlags {
            guard let value = environment[variable(for: option)], !value.isEmpty else { continue }
            let flag = "--" + option
            if arguments.contains(flag) { continue }
            switch value.lowercased() {
            case "true", "1", "yes", "on": added.append(flag)
            case "false", "0", "no", "off": break
            // Passed on as a value the flag does not take, so the parser refuses it naming the flag.
            default: added.append(flag + "=" + value)
            }
        }
        return [arguments[0]] + added + arguments.dropFirst()
    }

    /// The help text's list of variables.
    static var help: String {
        (serveOptions + serveFlags).map { "--\($0) ↔ \(variable(for: $0))" }.joined(separator: ", ")
    }
}
