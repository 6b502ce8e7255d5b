import VersionerCore

/// The line format of imports and exports (docs/API.md §10): one JSON object a line,
/// `{"type": "deployment" | "build", "event": {…the body of §3…}}`. An export adds the event's
/// `id` and `recorded_at` beside them. An import records an event at its `recorded_at` when the
/// line has one (not in the future), and ignores what else it does not know.
enum HistoryLines {
    /// Every problem of an import: each field error with its line (1-based).
    struct Problems: Error {
        var errors: [(line: Int?, error: FieldError)]
    }

    /// At most this many errors are listed for one import: past it, the file needs fixing anyway.
    static let errorLimit = 1000

    /// Every event of an NDJSON body, or every problem with it (1-based line numbers; blank
    /// lines are skipped; a body without any event is a problem too). A build's SHA that contradicts its version's (as `knownShas` has
    /// them, or as an earlier line set it) is a problem too, so that no line is refused halfway.
    static func parse(_ body: [UInt8], now: Timestamp, knownShas: (Set<ProductVersion>) async -> [ProductVersion: String]) async
        -> Result<[ImportedEvent], Problems> {
        var events: [ImportedEvent] = []
        var lines: [Int] = []
        var errors: [(line: Int?, error: FieldError)] = []
        var number = 0
        var start = 0
        while start <= body.count, errors.count < errorLimit {
            let end = body[start...].firstIndex(of: 0x0A) ?? body.count
            number += 1
            var line = body[start..<end]
            if line.last == 0x0D { line = line.dropLast() }
            start = end + 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            switch event(Array(line), now: now) {
            case .success(let event):
                events.append(event)
                lines.append(number)
            case .failure(let failure):
                errors += failure.errors.map { (number, $0) }
            }
        }
        if errors.isEmpty, events.isEmpty {
            errors = [(nil, FieldError(["body"], .missing))]
        }
        if errors.isEmpty {
            errors = await shaConflicts(events, lines: lines, knownShas: knownShas)
        }
        return errors.isEmpty ? .success(events) : .failure(Problems(errors: Array(errors.prefix(errorLimit))))
    }

    /// One line as an event.
    static func event(_ line: [UInt8], now: Timestamp) -> Result<ImportedEvent, ValidationFailure> {
        guard case .object(let members)? = try? JSONParser.parse(line) else {
            return .failure(ValidationFailure([FieldError(["line"], .notJSON)]))
        }
        let type = members.last(where: { $0.key == "type" })?.value
        let event = members.last(where: { $0.key == "event" })?.value
        var errors: [FieldError] = []
        switch type {
        case .string("deployment")?, .string("build")?: break
        case nil, .null?: errors.append(FieldError(["type"], .missing))
        default: errors.append(FieldError(["type"], .notOneOf(["deployment", "build"])))
        }
        var recordedAt: Timestamp?
        switch members.last(where: { $0.key == "recorded_at" })?.value {
        case nil, .null?: break
        case .string(let text)?:
            if let time = Timestamp(rfc3339: text) {
                if time <= now { recordedAt = time } else { errors.append(FieldError(["recorded_at"], .inFuture)) }
            } else {
                errors.append(FieldError(["recorded_at"], .notDateTime))
            }
        default: errors.append(FieldError(["recorded_at"], .notDateTime))
        }
        guard case .object(let body)? = event else {
            errors.append(FieldError(["event"], event == nil || event == .null ? .missing : .notObject))
            return .failure(ValidationFailure(errors))
        }
        guard errors.isEmpty else { return .failure(ValidationFailure(errors)) }
        // The event's own errors, located in it: `["event", "version"]`.
        let moved = { (failure: ValidationFailure) in
            ValidationFailure(failure.errors.map { FieldError(["event"] + $0.location.dropFirst(), $0.kind) })
        }
        if type == .string("deployment") {
            return DeploymentEventInput.validate(body).map { ImportedEvent.deployment($0, recordedAt: recordedAt) }.mapError(moved)
        }
        return BuildEventInput.validate(body).map { ImportedEvent.build($0, recordedAt: recordedAt) }.mapError(moved)
    }

    /// Builds whose SHA differs from their version's, which would be refused (§3) when recorded.
    private static func shaConflicts(_ events: [ImportedEvent], lines: [Int],
                                     knownShas: (Set<ProductVersion>) async -> [ProductVersion: String]) async
        -> [(line: Int?, error: FieldError)] {
        var named: Set<ProductVersion> = []
        for case .build(let input, _) in events where !(input.scmSha ?? "").isEmpty {
            named.insert(ProductVersion(product: input.productName, version: input.version))
        }
        guard !named.isEmpty else { return [] }
        var shas = await knownShas(named)
        var errors: [(line: Int?, error: FieldError)] = []
        for (index, event) in events.enumerated() {
            let (key, sha): (ProductVersion, String?)
            switch event {
            case .build(let input, _): (key, sha) = (ProductVersion(product: input.productName, version: input.version), input.scmSha)
            // A deployment's SHA is set only where the version has none (§3): it never conflicts.
            case .deployment(let input, _): (key, sha) = (ProductVersion(product: input.productName, version: input.version), nil)
            }
            guard let sha, !sha.isEmpty else {
                if case .deployment(let input, _) = event, let given = input.scmSha, !given.isEmpty, shas[key] == nil { shas[key] = given }
                continue
            }
            if let existing = shas[key] {
                if existing.lowercased() != sha.lowercased() { errors.append((lines[index], FieldError(["event", "scm_sha"], .shaConflict))) }
            } else {
                shas[key] = sha
            }
            if errors.count >= errorLimit { break }
        }
        return errors
    }
}

extension JSONWriter {
    /// One exported line: the event as a client would send it, with its id and its recording time.
    mutating func historyLine(_ event: LoggedEvent) {
        beginObject()
        switch event {
        case .deployment(let accepted):
            field("type", "deployment")
            key("event")
            eventBody(accepted.input, environment: accepted.input.environmentName)
        case .build(let accepted):
            field("type", "build")
            key("event")
            eventBody(accepted.input, environment: nil)
        }
        field("id", event.id)
        field("recorded_at", event.recordedAt)
        endObject()
    }

    /// The body of §3 an event came from: the fields it had, nothing it did not.
    private mutating func eventBody<Field: EventField>(_ input: EventInput<Field>, environment: String?) {
        beginObject()
        field("product_name", input.productName)
        field("version", input.version)
        if let environment { field("environment_name", environment) }
        field("status", input.status.rawValue)
        if let started = input.startedAt { field("started_at", started) }
        if let completed = input.completedAt { field("completed_at", completed) }
        for number in Field.recordRange {
            let field = Field(rawValue: number)!
            guard let value = input[field] else { continue }
            switch field.spec.kind {
            case .text: self.field(field.spec.name, value)
            case .object:
                key(field.spec.name)
                raw(value)
            }
        }
        endObject()
    }
}
