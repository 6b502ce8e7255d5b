import VersionerCore

/// Deployment rules in words, as the dashboard shows them.
enum RuleText {
    /// What a rule checks: `Europe/Berlin: fri 15:00–08:00`, `after staging, soaked 60 min` …
    static func settings(_ kind: RuleKind) -> String {
        switch kind {
        case .schedule(let schedule):
            let windows = schedule.windows.map { window -> String in
                switch window {
                case .weekly(let days, let start, let end):
                    let when = days.isEmpty ? "every day" : days.map(\.name).joined(separator: ", ")
                    return start == end ? "\(when) all day" : "\(when) \(RuleWindow.clock(start))–\(RuleWindow.clock(end))"
                case .oneOff(let from, let to):
                    return "\(from.rfc3339) to \(to.rfc3339)"
                }
            }
            return "closed \(windows.joined(separator: "; ")) (\(schedule.timeZone))"
                + (schedule.reason.map { " — \($0)" } ?? "")
        case .flow(let flow):
            return "after " + flow.prerequisites.joined(separator: ", ")
                + (flow.soakMinutes > 0 ? ", soaked \(flow.soakMinutes) min" : "")
        case .concurrency(let maxInProgress):
            return "at most \(maxInProgress) in progress"
        case .approval(let required):
            return "\(required) approval\(required == 1 ? "" : "s")"
        }
    }

    /// Where a rule applies: its products, environments and types, or everywhere.
    static func scope(_ rule: DeploymentRule) -> String {
        var parts: [String] = []
        if !rule.products.isEmpty { parts.append("products " + rule.products.joined(separator: ", ")) }
        if !rule.environments.isEmpty { parts.append("environments " + rule.environments.joined(separator: ", ")) }
        if !rule.environmentTypes.isEmpty { parts.append("type " + rule.environmentTypes.map(\.rawValue).joined(separator: ", ")) }
        return parts.isEmpty ? "every deployment" : parts.joined(separator: " · ")
    }
}
