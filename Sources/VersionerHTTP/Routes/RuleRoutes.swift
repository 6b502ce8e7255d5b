import Hummingbird
import VersionerCore

/// Deployment rules, approvals, the dry run and the violations (docs/API.md §7).
enum RuleRoutes {
    static var all: [Route] {
        [
            Route(.get, "/deployment-rules") { input throws(APIError) in
                var reader = QueryReader(input.query)
                let page = reader.page()
                try reader.check()
                return Reply.list(input.tracker.rules(page), for: input) { $0.rule($1) }
            },
            Route(.post, "/deployment-rules") { input throws(APIError) in
                let body = try await input.jsonObject()
                let rule = try await tracked { () throws(TrackerError) in try await input.tracker.createRule(body) }
                return Reply.json(.created) { $0.rule(rule) }
            },
            Route(.get, "/deployment-rules/violations") { input throws(APIError) in
                var reader = QueryReader(input.query)
                let query = ViolationQuery(product: reader.text("product"), environment: reader.text("environment"),
                                           rule: reader.text("rule"), since: reader.timestamp("since"))
                let page = reader.page()
                try reader.check()
                return Reply.list(await input.tracker.violations(query, page), for: input) { $0.violation($1) }
            },
            Route(.get, "/deployment-rules/{id}") { input throws(APIError) in
                let id = try input.id()
                let rule = try await tracked { () throws(TrackerError) in try input.tracker.rule(id: id) }
                return Reply.json(for: input) { $0.rule(rule) }
            },
            Route(.patch, "/deployment-rules/{id}") { input throws(APIError) in
                let id = try input.id()
                let body = try await input.jsonObject()
                let rule = try await tracked { () throws(TrackerError) in try await input.tracker.updateRule(id: id, body) }
                return Reply.json { $0.rule(rule) }
            },
            Route(.delete, "/deployment-rules/{id}") { input throws(APIError) in
                let id = try input.id()
                try await tracked { () throws(TrackerError) in try await input.tracker.deleteRule(id: id) }
                return Reply.noContent
            },
            Route(.post, "/preflight", scope: .read) { input throws(APIError) in
                let question = try PreflightQuestion.validate(try await input.jsonObject()).orReject()
                let preflight = await input.tracker.preflight(question)
                return Reply.json { $0.preflightAnswer(preflight) }
            },
            Route(.post, "/versions/{id}/approvals", scope: .approve) { input throws(APIError) in
                let id = try input.id()
                let new = try NewApproval.validate(try await input.jsonObject()).orReject()
                let approver = input.keyName ?? "unknown"
                let approval = try await tracked { () throws(TrackerError) in
                    try await input.tracker.approve(versionID: id, new, by: approver)
                }
                return Reply.json(.created) { $0.approval(approval) }
            },
            Route(.get, "/versions/{id}/approvals") { input throws(APIError) in
                let id = try input.id()
                let approvals = try await tracked { () throws(TrackerError) in try await input.tracker.approvals(versionID: id) }
                return Reply.json(for: input) { writer in
                    writer.beginArray()
                    for approval in approvals.reversed() { writer.approval(approval) }
                    writer.endArray()
                }
            },
            Route(.delete, "/approvals/{id}", scope: .approve) { input throws(APIError) in
                let id = try input.id()
                try await tracked { () throws(TrackerError) in try await input.tracker.deleteApproval(id: id) }
                return Reply.noContent
            },
        ]
    }
}
