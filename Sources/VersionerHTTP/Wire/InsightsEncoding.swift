import VersionerCore

/// The JSON shapes of docs/API.md §7. A figure without a sample is `null`, never 0 or NaN.
extension JSONWriter {
    mutating func number(_ value: Double?) {
        guard let value, value.isFinite else { return null() }
        raw(value.description)
    }

    mutating func field(_ name: String, number value: Double?) {
        key(name)
        number(value)
    }

    mutating func field(_ name: String, int value: Int) {
        key(name)
        int(value)
    }

    private mutating func window(_ window: InsightsWindow) {
        field("since", window.since)
        field("until", window.until)
        field("interval", window.interval.rawValue)
        field("tz", window.timeZone)
    }

    private mutating func buildFigures(_ figures: BuildFigures) {
        field("builds", int: figures.builds)
        field("completed", int: figures.completed)
        field("failed", int: figures.failed)
        field("aborted", int: figures.aborted)
        field("in_progress", int: figures.inProgress)
        field("success_rate", number: figures.successRate)
        key("duration_seconds")
        beginObject()
        field("p50", number: Statistics.nearestRank(50, of: figures.durations))
        field("p90", number: Statistics.nearestRank(90, of: figures.durations))
        field("max", number: figures.durations.max())
        endObject()
    }

    mutating func buildInsights(_ insights: BuildInsights) {
        beginObject()
        field("product", insights.query.product)
        field("branch", insights.query.branch)
        window(insights.query.window)
        key("totals")
        beginObject()
        buildFigures(insights.totals)
        field("commits", int: insights.commits.count)
        endObject()
        key("buckets")
        beginArray()
        for (start, figures) in zip(insights.query.window.bucketStarts, insights.buckets) {
            beginObject()
            field("start", start)
            buildFigures(figures)
            endObject()
        }
        endArray()
        endObject()
    }

    mutating func dora(_ insights: DoraInsights, environments: [String]) {
        let totals = insights.totals
        beginObject()
        key("products")
        beginArray()
        for name in insights.query.product.map({ [$0] }) ?? insights.products.sorted() { string(name) }
        endArray()
        key("environments")
        beginArray()
        for name in environments { string(name) }
        endArray()
        window(insights.query.window)
        key("deployment_frequency")
        beginObject()
        field("deployments", int: totals.completed)
        field("per_day", number: insights.deploymentsPerDay)
        field("median_hours_between", number: Statistics.median(of: totals.gaps))
        endObject()
        key("change_lead_time")
        beginObject()
        field("median_hours", number: Statistics.median(of: totals.leadTimes))
        field("p90_hours", number: Statistics.nearestRank(90, of: totals.leadTimes))
        field("samples", int: totals.leadTimes.count)
        endObject()
        key("change_fail_rate")
        beginObject()
        field("rate", number: totals.changeFailRate)
        field("failures", int: totals.failures)
        field("deployments", int: totals.counted)
        endObject()
        key("failed_deployment_recovery_time")
        beginObject()
        field("median_hours", number: Statistics.median(of: totals.recoveryTimes))
        field("samples", int: totals.recoveryTimes.count)
        endObject()
        key("rework_rate")
        beginObject()
        field("rate", number: totals.reworkRate)
        field("rework", int: totals.rework)
        field("deployments", int: totals.counted)
        endObject()
        key("failure_deployment_ids")
        beginArray()
        for id in insights.failureIDs { self.id(id) }
        endArray()
        key("rework_deployment_ids")
        beginArray()
        for id in insights.reworkIDs { self.id(id) }
        endArray()
        key("buckets")
        beginArray()
        for (start, figures) in zip(insights.query.window.bucketStarts, insights.buckets) {
            beginObject()
            field("start", start)
            field("deployments", int: figures.completed)
            field("change_lead_time_median_hours", number: Statistics.median(of: figures.leadTimes))
            field("change_fail_rate", number: figures.changeFailRate)
            field("failed_deployment_recovery_time_median_hours", number: Statistics.median(of: figures.recoveryTimes))
            field("rework_rate", number: figures.reworkRate)
            endObject()
        }
        endArray()
        endObject()
    }

    mutating func readiness(_ readiness: Readiness) {
        beginObject()
        key("ready")
        bool(readiness.ready)
        field("build_status", readiness.buildStatus?.rawValue)
        key("checks")
        beginObject()
        for check in readiness.checks { field(check.name, check.state) }
        endObject()
        key("reasons")
        beginArray()
        for reason in readiness.reasons { string(reason) }
        endArray()
        endObject()
    }
}
