import VersionerCore

/// The JSON shapes of deployment rules, approvals and preflight answers (docs/API.md §7).
extension JSONWriter {
    mutating func rule(_ rule: DeploymentRule) {
        value(rule.json)
    }

    /// A block's particulars, in their order.
    mutating func details(_ details: [RuleFailure.Detail]) {
        beginObject()
        for detail in details {
            key(detail.name)
            switch detail.value {
            case .text(let text): string(text)
            case .time(let time): timestamp(time)
            case .number(let number): int(number)
            case .texts(let texts):
                beginArray()
                for text in texts { string(text) }
                endArray()
            case .none: null()
            }
        }
        endObject()
    }

    mutating func approval(_ approval: Approval) {
        beginObject()
        field("id", approval.id)
        field("version_id", approval.versionID)
        field("environment", approval.environment)
        field("approved_by", approval.approvedBy)
        field("comment", approval.comment)
        field("created_at", approval.createdAt)
        endObject()
    }

    mutating func violation(_ view: ViolationView) {
        let violation = view.violation
        beginObject()
        field("id", violation.id)
        field("rule_id", violation.ruleID)
        field("rule_name", violation.ruleName)
        field("mode", violation.mode.rawValue)
        field("code", violation.code.rawValue)
        field("message", violation.message)
        field("product_name", view.event.input.productName)
        field("version", view.event.input.version)
        field("environment_name", view.event.input.environmentName)
        key("blocked")
        bool(violation.blocked)
        key("skipped")
        bool(violation.skipped)
        field("recorded_at", view.event.recordedAt)
        field("event_id", view.event.eventID)
        endObject()
    }

    /// `POST /preflight/`: whether the deployment may start now, and each rule's verdict.
    mutating func preflightAnswer(_ preflight: Preflight) {
        beginObject()
        key("allowed")
        bool(preflight.blocking == nil)
        key("blocked_by")
        if let blocking = preflight.blocking, let failure = blocking.failure {
            beginObject()
            key("status")
            int(Int(APIError.status(of: failure.code).code))
            field("code", failure.code.rawValue)
            field("rule_name", blocking.rule.name)
            field("message", failure.message)
            field("retry_after", failure.retryAfter)
            key("details")
            details(failure.details)
            endObject()
        } else {
            null()
        }
        key("rules_evaluated")
        beginArray()
        for verdict in preflight.verdicts {
            beginObject()
            field("rule_id", verdict.rule.id)
            field("rule_name", verdict.rule.name)
            field("rule_type", verdict.rule.kind.typeName)
            field("mode", verdict.rule.mode.rawValue)
            field("evaluation_result", verdict.failure == nil ? "passed" : "failed")
            field("error_message", verdict.failure?.message)
            field("retry_after", verdict.failure?.retryAfter)
            endObject()
        }
        endArray()
        endObject()
    }
}

extension Preflight {
    /// `extra_metadata.preflight_status` of the answer to an event that started a deployment:
    /// each rule evaluated, as the GitHub Action reads them (it warns of each failed one).
    var status: JSONValue {
        .object([JSONMember("rules_evaluated", .array(verdicts.map { verdict in
            var members = [
                JSONMember("rule_name", .string(verdict.rule.name)),
                JSONMember("rule_type", .string(verdict.rule.kind.typeName)),
                JSONMember("status", .string(verdict.rule.mode.rawValue)),
                JSONMember("evaluation_result", .string(verdict.failure == nil ? "passed" : "failed")),
            ]
            if let failure = verdict.failure {
                members.append(JSONMember("error_message", .string(failure.message)))
                members.append(JSONMember("code", .string(failure.code.rawValue)))
                if verdict.skipped { members.append(JSONMember("skipped", .bool(true))) }
            }
            return .object(members)
        }))])
    }
}
