/// `serve`'s options read from `VERSIONER_…` environment variables, for containers and service
/// managers: `--max-body-size` ↔ `VERSIONER_MAX_BODY_SIZE`. A flag on the command line wins.
///
/// The variables are turned into flags before parsing, so an invalid value is refused exactly
/// as the flag would be, with a message that names the flag.
enum EnvironmentOptions {
    /// The options of `serve` that a variable may set (`--data-dir` reads its variable itself).
    static let serveOptions = [
        "host", "port", "base-path", "max-body-size", "shards", "fsync", "snapshot-interval", "snapshot-every",
        "keep-snapshots", "segment-size", "log-level", "log-format", "account", "idle-timeout", "request-timeout",
        "max-connections",
    ]

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
        return [arguments[0]] + added + arguments.dropFirst()
    }

    /// The help text's list of variables.
    static var help: String {
        serveOptions.map { "--\($0) ↔ \(variable(for: $0))" }.joined(separator: ", ")
    }
}
