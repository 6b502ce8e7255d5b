/// Whether a version is ready to deploy (docs/API.md §7): its newest build completed and no
/// check its pipelines reported (`extra_metadata.checks` of its builds) failed or is pending.
public struct Readiness: Hashable, Sendable {
    /// One reported check: its name and state (`passed`, `failed`, `skipped` or `pending`).
    public struct Check: Hashable, Sendable {
        public var name: String
        public var state: String
    }

    /// The status of the newest build; nil when the version has none.
    public var buildStatus: Status?
    /// Each check by name, the newest build's value winning, in the order first reported.
    public var checks: [Check] = []
    /// Why the version is not ready (`"build failed"`, `"check security_scan failed"`, …).
    public var reasons: [String] = []

    public var ready: Bool { reasons.isEmpty }

    /// The readiness of a version with these builds, oldest first.
    public init(builds: [Build]) {
        buildStatus = builds.last?.status
        for build in builds {
            guard case .object(let members)? = build.extraMetadata.member("checks") else { continue }
            for member in members {
                let state: String
                switch member.value {
                case .string(let text): state = text
                case .bool(let passed): state = passed ? "passed" : "failed"
                default: continue
                }
                if let index = checks.firstIndex(where: { $0.name == member.key }) {
                    checks[index].state = state
                } else {
                    checks.append(Check(name: member.key, state: state))
                }
            }
        }
        switch buildStatus {
        case nil: reasons.append("no build")
        case .completed?: break
        case let status?: reasons.append("build \(status.rawValue)")
        }
        for check in checks where check.state == "failed" || check.state == "pending" {
            reasons.append("check \(check.name) \(check.state)")
        }
    }
}
