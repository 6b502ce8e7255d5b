import VersionerCore

/// The body of one delivery, in a webhook's format (docs/API.md §8).
enum WebhookMessage {
    /// What a delivery says of an accepted event, whatever its format.
    struct Facts {
        /// The deployment (or build) the event belongs to.
        var id: EntityID
        var eventID: EntityID
        var eventType: String
        var status: Status
        var at: Timestamp
        var productName: String
        var version: String
        var environment: String?
        var actor: String?
        var repository: String?
        var commitSHA: String?
        var preflightStatus: String?
        var isRollback: Bool?
        /// The dashboard's page of the deployment (or of the build's version).
        var sourceURL: String

        init(_ view: EventView, dashboardBase: String) {
            let event = view.event
            eventID = event.id
            eventType = event.eventType
            status = event.status
            isRollback = view.isRollback
            productName = event.productName
            switch event {
            case .deployment(let accepted):
                let input = accepted.input
                id = accepted.deploymentID
                at = input.completedAt ?? input.startedAt ?? accepted.recordedAt
                version = input.version
                environment = input.environmentName
                actor = input[.deployedByName] ?? input[.deployedBy] ?? input[.deployedByEmail]
                repository = input.scmRepository
                commitSHA = input.scmSha
                preflightStatus = accepted.preflight.map(Self.preflightStatus)
                sourceURL = dashboardBase + "/ui/deployments/" + accepted.deploymentID.uuidString
            case .build(let accepted):
                let input = accepted.input
                id = accepted.buildID
                at = input.completedAt ?? input.startedAt ?? accepted.recordedAt
                version = input.version
                environment = nil
                actor = input[.builtByName] ?? input[.builtBy] ?? input[.builtByEmail]
                repository = input.scmRepository
                commitSHA = input.scmSha
                preflightStatus = nil
                sourceURL = dashboardBase + "/ui/versions/" + accepted.versionID.uuidString
            }
        }

        /// `failed` (refused), `skipped` (a rule's refusal skipped), `warning` (a report-only
        /// rule failed) or `passed`.
        static func preflightStatus(_ record: PreflightRecord) -> String {
            if record.blocked { return "failed" }
            if record.violations.contains(where: \.skipped) { return "skipped" }
            return record.violations.isEmpty ? "passed" : "warning"
        }
    }

    /// The body of a delivery of `facts` in `format`.
    static func body(_ facts: Facts, format: WebhookFormat) -> [UInt8] {
        var writer = JSONWriter()
        switch format {
        case .versioner: versioner(facts, into: &writer)
        case .slack: slack(text: slackText(facts), into: &writer)
        }
        return writer.bytes
    }

    /// The body of a test delivery (`POST /webhooks/{id}/test`).
    static func test(_ webhook: Webhook, deliveryID: EntityID, at time: Timestamp) -> [UInt8] {
        var writer = JSONWriter()
        switch webhook.format {
        case .versioner:
            writer.beginObject()
            writer.field("id", deliveryID)
            writer.field("event_type", testEventType)
            writer.field("webhook_id", webhook.id)
            writer.field("webhook_name", webhook.name)
            writer.field("sent_at", time)
            writer.endObject()
        case .slack:
            slack(text: "Versioner: test message from webhook *\(slackEscaped(webhook.name))*.", into: &writer)
        }
        return writer.bytes
    }

    /// The `X-Versioner-Event` of a test delivery.
    static let testEventType = "ping"

    private static func versioner(_ facts: Facts, into writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("id", facts.id)
        writer.field("event_id", facts.eventID)
        writer.field("event_type", facts.eventType)
        writer.field("status", facts.status.rawValue)
        writer.field("deployed_at", facts.at)
        writer.field("product_name", facts.productName)
        writer.field("version", facts.version)
        writer.field("environment", facts.environment)
        writer.key("is_successful")
        writer.bool(facts.status == .completed && facts.preflightStatus != "failed")
        writer.key("is_rollback")
        if let isRollback = facts.isRollback { writer.bool(isRollback) } else { writer.null() }
        writer.field("deployer", facts.actor)
        writer.field("repo_name", facts.repository)
        writer.field("commit_sha", facts.commitSHA)
        writer.field("preflight_status", facts.preflightStatus)
        writer.field("source_url", facts.sourceURL)
        writer.endObject()
    }

    /// A Slack incoming-webhook message: `text` (mrkdwn) as the notification and as one section.
    private static func slack(text: String, into writer: inout JSONWriter) {
        writer.beginObject()
        writer.field("text", text)
        writer.key("blocks")
        writer.beginArray()
        writer.beginObject()
        writer.field("type", "section")
        writer.key("text")
        writer.beginObject()
        writer.field("type", "mrkdwn")
        writer.field("text", text)
        writer.endObject()
        writer.endObject()
        writer.endArray()
        writer.endObject()
    }

    /// One line a person reads: a mark and a word for the outcome (never the mark alone), what,
    /// where, who, and a link to the dashboard.
    static func slackText(_ facts: Facts) -> String {
        let (mark, words): (String, String) = switch (facts.eventType, facts.status) {
        case (LoggedEvent.preflightFailedType, _): (":no_entry:", "refused by a deployment rule")
        case (_, .completed): (":white_check_mark:", facts.environment == nil ? "built" : "deployed")
        case (_, .failed): (":x:", facts.environment == nil ? "build failed" : "deployment failed")
        case (_, .started): (":rocket:", facts.environment == nil ? "build started" : "deploying")
        case (_, .pending): (":hourglass_flowing_sand:", facts.environment == nil ? "build pending" : "deployment pending")
        case (_, .aborted): (":white_circle:", facts.environment == nil ? "build aborted" : "deployment aborted")
        }
        var text = "\(mark) *\(slackEscaped(facts.productName))* \(slackEscaped(facts.version)) \(words)"
        if let environment = facts.environment { text += " to *\(slackEscaped(environment))*" }
        if facts.isRollback == true { text += " (rollback)" }
        if let actor = facts.actor { text += " by \(slackEscaped(actor))" }
        if let sha = facts.commitSHA { text += " · `\(slackEscaped(String(sha.prefix(12))))`" }
        text += " · <\(slackEscaped(facts.sourceURL))|View in Versioner>"
        return text
    }

    /// Text as Slack's mrkdwn shows it literally: its three control characters escaped.
    static func slackEscaped(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
