import VersionerCore

// The binary layout of each model type, field by field, in the order written here.
// `snapshots/README.md` documents it; a change to any of these needs a new format version —
// except a new event field, which the packed text carries (``EventField``).

extension BinaryWriter {
    mutating func product(_ p: Product) {
        id(p.id); string(p.name); string(p.description); json(p.extraMetadata); timestamp(p.createdAt); timestamp(p.updatedAt)
    }

    mutating func environment(_ e: Environment) {
        id(e.id); string(e.name); byte(e.type.code); string(e.description); json(e.metadata)
        timestamp(e.createdAt); timestamp(e.updatedAt)
    }

    /// Status, times and the packed text fields (in their ``EventField`` order): how events and
    /// records of every kind store their fields, so that a new field needs no codec change.
    mutating func fields(status: Status, startedAt: Timestamp?, completedAt: Timestamp?, text: PackedStrings) {
        byte(status.code); timestamp(startedAt); timestamp(completedAt)
        packed(text)
    }

    mutating func packed(_ text: PackedStrings) {
        let bytes = text.encoded
        count(bytes.count); self.bytes(bytes)
    }

    mutating func input<Field>(_ i: EventInput<Field>) {
        fields(status: i.status, startedAt: i.startedAt, completedAt: i.completedAt, text: i.text)
    }

    mutating func deploymentEvent(_ e: AcceptedDeploymentEvent) {
        id(e.eventID); timestamp(e.recordedAt); id(e.productID); id(e.versionID); id(e.environmentID); id(e.deploymentID)
        input(e.input)
    }

    mutating func buildEvent(_ e: AcceptedBuildEvent) {
        id(e.eventID); timestamp(e.recordedAt); id(e.productID); id(e.versionID); id(e.buildID)
        input(e.input)
    }

    // Snapshot records (formats 3 and 4). A record whose text fields are those of an event the
    // snapshot holds (the event that made a version; a build's or deployment's last event) says
    // so in one byte instead of storing them again: usually so, and then the reader shares the
    // event's buffer, as the live state did.

    mutating func version(_ v: Version, creator: LoggedEvent?) {
        id(v.id); id(v.productID); string(v.name); timestamp(v.createdAt)
        switch creator {
        case .deployment(let e)? where v.hasText(of: e.input): byte(1)
        case .build(let e)? where v.hasText(of: e.input): byte(1)
        default: byte(0); string(v.scmSha); string(v.scmRepository); string(v.scmBranch)
        }
    }

    mutating func build(_ b: Build, lastEvent: LoggedEvent?) {
        id(b.id); id(b.productID); id(b.versionID); byte(b.status.code)
        timestamp(b.startedAt); timestamp(b.completedAt)
        timestamp(b.createdAt); id(b.lastEventID); timestamp(b.lastRecordedAt)
        if case .build(let e)? = lastEvent, b.details.hasText(of: e.input) { byte(1); return }
        byte(0); packed(b.details.text)
    }

    mutating func deployment(_ d: Deployment, lastEvent: LoggedEvent?) {
        id(d.id); id(d.productID); id(d.versionID); id(d.environmentID); byte(d.status.code)
        timestamp(d.startedAt); timestamp(d.completedAt)
        timestamp(d.createdAt); id(d.lastEventID); timestamp(d.lastRecordedAt)
        if case .deployment(let e)? = lastEvent, d.details.hasText(of: e.input) { byte(1); return }
        byte(0); packed(d.details.text)
    }

    mutating func apiKey(_ k: APIKey) {
        id(k.id); string(k.name); string(k.description)
        count(k.scopes.count)
        for scope in k.scopes { string(scope.rawValue) }
        string(k.account); string(k.keyID)
        count(k.salt.count); bytes(k.salt)
        count(k.secretHash.count); bytes(k.secretHash)
        timestamp(k.createdAt); timestamp(k.lastUsedAt); timestamp(k.revokedAt)
    }

    mutating func loggedEvent(_ e: LoggedEvent) {
        switch e {
        case .deployment(let event) where event.preflight == nil: byte(3); deploymentEvent(event)
        case .deployment(let event): byte(5); deploymentEvent(event); preflight(event.preflight!)
        case .build(let event): byte(4); buildEvent(event)
        }
    }

    /// What a deployment event's preflight left: the skip, then each violation.
    mutating func preflight(_ p: PreflightRecord) {
        bool(p.skipRequested)
        count(p.violations.count)
        for v in p.violations {
            id(v.id); id(v.ruleID); string(v.ruleName); string(v.mode.rawValue); string(v.code.rawValue); string(v.message)
            bool(v.skipped)
        }
    }

    mutating func rule(_ r: DeploymentRule) {
        id(r.id); string(r.name); string(r.mode.rawValue)
        strings(r.products); strings(r.environments); strings(r.environmentTypes.map(\.rawValue))
        bool(r.allowSkip); timestamp(r.createdAt); timestamp(r.updatedAt)
        switch r.kind {
        case .concurrency(let maxInProgress): byte(1); number(maxInProgress)
        case .schedule(let schedule):
            byte(2); string(schedule.timeZone); string(schedule.reason)
            count(schedule.windows.count)
            for window in schedule.windows {
                switch window {
                case .weekly(let days, let start, let end):
                    byte(1); strings(days.map(\.name)); number(start); number(end)
                case .oneOff(let from, let to):
                    byte(2); timestamp(from); timestamp(to)
                }
            }
        case .flow(let flow): byte(3); strings(flow.prerequisites); number(flow.soakMinutes)
        case .approval(let required): byte(4); number(required)
        }
    }

    mutating func approval(_ a: Approval) {
        id(a.id); id(a.productID); id(a.versionID); string(a.environment); string(a.approvedBy); string(a.comment)
        timestamp(a.createdAt)
    }

    /// A small non-negative number (a rule's setting).
    mutating func number(_ value: Int) {
        uvarint(UInt64(max(0, value)))
    }

    mutating func strings(_ values: [String]) {
        count(values.count)
        for value in values { string(value) }
    }

    /// A change as the journal stores it: a kind byte, then the change.
    mutating func change(_ change: StateChange) {
        switch change {
        // An event with the deliveries it owes: each one's id and webhook (the event and its
        // product are the event's own), then the event as it is written without them.
        case .deploymentEvent(var e) where !e.deliveries.isEmpty:
            byte(21); owedDeliveries(e.deliveries); e.deliveries = []; self.change(.deploymentEvent(e))
        case .buildEvent(var e) where !e.deliveries.isEmpty:
            byte(21); owedDeliveries(e.deliveries); e.deliveries = []; self.change(.buildEvent(e))
        // An event with its request: the tag, then the event as it is written without one.
        case .deploymentEvent(var e) where e.request != nil:
            byte(15); requestTag(e.request!); e.request = nil; self.change(.deploymentEvent(e))
        case .buildEvent(var e) where e.request != nil:
            byte(15); requestTag(e.request!); e.request = nil; self.change(.buildEvent(e))
        case .requestAnswered(let a): byte(16); requestKey(a.key); requestEntry(a.entry)
        case .deploymentEvent(let e) where e.preflight == nil: byte(8); deploymentEvent(e)
        case .buildEvent(let e): byte(9); buildEvent(e)
        case .productSaved(let p): byte(3); product(p)
        case .productDeleted(let i): byte(4); id(i)
        case .environmentSaved(let e): byte(5); environment(e)
        case .environmentDeleted(let i): byte(6); id(i)
        case .apiKeySaved(let k): byte(7); apiKey(k)
        case .deploymentEvent(let e): byte(10); deploymentEvent(e); preflight(e.preflight!)
        case .ruleSaved(let r): byte(11); rule(r)
        case .ruleDeleted(let i): byte(12); id(i)
        case .approvalSaved(let a): byte(13); approval(a)
        case .approvalDeleted(let i, let productID): byte(14); id(i); id(productID)
        case .webhookSaved(let w): byte(17); webhook(w)
        case .webhookDeleted(let i): byte(18); id(i)
        case .deliveriesQueued(let deliveries):
            // Grouped by event: the deliveries one event owes share its product and event ids.
            byte(19)
            var groups: [ArraySlice<PendingDelivery>] = []
            var start = deliveries.startIndex
            for index in deliveries.indices.dropFirst()
            where (deliveries[index].productID, deliveries[index].eventID) != (deliveries[start].productID, deliveries[start].eventID) {
                groups.append(deliveries[start..<index])
                start = index
            }
            if !deliveries.isEmpty { groups.append(deliveries[start...]) }
            count(groups.count)
            for group in groups {
                id(group.first!.productID); id(group.first!.eventID)
                count(group.count)
                for delivery in group { id(delivery.id); id(delivery.webhookID) }
            }
        case .deliveryFinished(let outcome): byte(20); deliveryOutcome(outcome)
        }
    }

    mutating func webhook(_ w: Webhook) {
        id(w.id); string(w.name); string(w.url); strings(w.events); strings(w.products); strings(w.environments)
        string(w.secret); string(w.format.rawValue); timestamp(w.createdAt); timestamp(w.updatedAt)
    }

    mutating func pendingDelivery(_ d: PendingDelivery) {
        id(d.id); id(d.webhookID); id(d.productID); id(d.eventID)
    }

    mutating func deliveryOutcome(_ o: DeliveryOutcome) {
        id(o.deliveryID); id(o.webhookID); bool(o.eventID != nil)
        if let eventID = o.eventID { id(eventID) }
        string(o.eventType)
        count(o.attempts.count)
        for attempt in o.attempts {
            timestamp(attempt.at); uvarint(UInt64(attempt.statusCode ?? 0)); string(attempt.error)
            uvarint(UInt64(max(0, attempt.durationMicroseconds)))
        }
    }

    mutating func owedDeliveries(_ deliveries: [PendingDelivery]) {
        count(deliveries.count)
        for delivery in deliveries { id(delivery.id); id(delivery.webhookID) }
    }

    mutating func requestKey(_ key: RequestKey) {
        string(key.client); string(key.name)
    }

    mutating func requestTag(_ tag: RequestTag) {
        requestKey(tag.key); count(tag.digest.count); bytes(tag.digest)
    }

    mutating func requestEntry(_ entry: RequestEntry) {
        count(entry.digest.count); bytes(entry.digest); timestamp(entry.acceptedAt)
        switch entry.subject {
        case nil: byte(0)
        case .deployment(let i)?: byte(1); id(i)
        case .build(let i)?: byte(2); id(i)
        }
        if let answer = entry.answer {
            byte(1); uvarint(UInt64(answer.status)); count(answer.body.count); bytes(answer.body)
        } else {
            byte(0)
        }
    }
}

extension BinaryReader {
    mutating func product() throws(DecodingError) -> Product {
        Product(id: try id(), name: try string(), description: try optionalString(), extraMetadata: try json(),
                createdAt: try timestamp(), updatedAt: try timestamp())
    }

    mutating func environment() throws(DecodingError) -> Environment {
        Environment(id: try id(), name: try string(), type: try environmentType(), description: try optionalString(),
                    metadata: try json(), createdAt: try timestamp(), updatedAt: try timestamp())
    }

    mutating func packed() throws(DecodingError) -> PackedStrings {
        let start = offset
        guard let text = PackedStrings(validating: try bytes(try count())) else {
            throw DecodingError("invalid packed text at byte \(start)")
        }
        return text
    }

    mutating func input<Field>() throws(DecodingError) -> EventInput<Field> {
        let (status, startedAt, completedAt) = (try status(), try optionalTimestamp(), try optionalTimestamp())
        let start = offset
        guard let input = EventInput<Field>(status: status, startedAt: startedAt, completedAt: completedAt,
                                            text: try packed()) else {
            throw DecodingError("event fields at byte \(start) lack a subject or have more fields than this version knows")
        }
        return input
    }

    mutating func deploymentEvent(legacy: Bool = false) throws(DecodingError) -> AcceptedDeploymentEvent {
        AcceptedDeploymentEvent(eventID: try id(), recordedAt: try timestamp(), productID: try id(), versionID: try id(),
                                environmentID: try id(), deploymentID: try id(),
                                input: legacy ? try legacyDeploymentInput() : try input())
    }

    mutating func buildEvent(legacy: Bool = false) throws(DecodingError) -> AcceptedBuildEvent {
        AcceptedBuildEvent(eventID: try id(), recordedAt: try timestamp(), productID: try id(), versionID: try id(),
                           buildID: try id(), input: legacy ? try legacyBuildInput() : try input())
    }

    mutating func version(creators: inout VersionCreators) throws(DecodingError) -> Version {
        let (id, productID, name, createdAt) = (try self.id(), try self.id(), try string(), try timestamp())
        let creator = creators.next(id)  // for every version, as the writer does
        guard try textMarker() else {
            return Version(id: id, productID: productID, name: name, scmSha: try optionalString(),
                           scmRepository: try optionalString(), scmBranch: try optionalString(), createdAt: createdAt)
        }
        switch creator {
        case .deployment(let e)?: return Version(id: id, productID: productID, name: name, createdAt: createdAt, textOf: e.input)
        case .build(let e)?: return Version(id: id, productID: productID, name: name, createdAt: createdAt, textOf: e.input)
        case nil: throw DecodingError("version \(id) refers to an event the snapshot does not hold")
        }
    }

    /// A build record of snapshot format `format` (3 or later).
    mutating func build(events: EventLookup, format: UInt16) throws(DecodingError) -> Build {
        let (id, productID, versionID) = (try self.id(), try self.id(), try self.id())
        let record = try recordDetails(
            format: format, legacyOrder: Self.legacyBuildRecord + [.errorMessage, .errorCode]) {
            guard case .build(let event)? = events[$0] else { return nil }
            return event.input
        }
        return Build(id: id, productID: productID, versionID: versionID, details: record.details,
                     createdAt: record.createdAt, lastEventID: record.lastEventID, lastRecordedAt: record.lastRecordedAt)
    }

    /// A deployment record of snapshot format `format` (3 or later).
    mutating func deployment(events: EventLookup, format: UInt16) throws(DecodingError) -> Deployment {
        let (id, productID, versionID, environmentID) = (try self.id(), try self.id(), try self.id(), try self.id())
        let record = try recordDetails(
            format: format, legacyOrder: Self.legacyDeploymentRecord) {
            guard case .deployment(let event)? = events[$0] else { return nil }
            return event.input
        }
        return Deployment(id: id, productID: productID, versionID: versionID, environmentID: environmentID,
                          details: record.details, createdAt: record.createdAt, lastEventID: record.lastEventID,
                          lastRecordedAt: record.lastRecordedAt)
    }

    /// A build's or deployment's fields after its ids: status, times, when it was made and last
    /// changed, then its text (the marker, and after `0`: format 4's packed text, format 3's fields).
    private mutating func recordDetails<Field>(
        format: UInt16, legacyOrder: [Field], lastEvent: (EntityID) -> EventInput<Field>?
    ) throws(DecodingError) -> (details: RecordDetails<Field>, createdAt: Timestamp, lastEventID: EntityID,
                                lastRecordedAt: Timestamp) {
        let (status, startedAt, completedAt) = (try self.status(), try optionalTimestamp(), try optionalTimestamp())
        let (createdAt, lastEventID, lastRecordedAt) = (try timestamp(), try self.id(), try timestamp())
        let details: RecordDetails<Field>
        if try textMarker() {
            guard let event = lastEvent(lastEventID) else {
                throw DecodingError("a record refers to event \(lastEventID), which the snapshot does not hold")
            }
            details = RecordDetails(status: status, startedAt: startedAt, completedAt: completedAt, textOf: event)
        } else if format >= 4 {
            let start = offset
            guard let own = RecordDetails<Field>(status: status, startedAt: startedAt, completedAt: completedAt,
                                                 text: try packed()) else {
                throw DecodingError("record fields at byte \(start) have more fields than this version knows")
            }
            details = own
        } else {
            var fields = try legacyFields(legacyOrder)
            fields[.extraMetadata] = try json().text
            details = RecordDetails(status: status, startedAt: startedAt, completedAt: completedAt, fields)
        }
        return (details, createdAt, lastEventID, lastRecordedAt)
    }

    /// Whether a record's text fields are its event's (1) or follow (0).
    private mutating func textMarker() throws(DecodingError) -> Bool {
        switch try byte() {
        case 0: return false
        case 1: return true
        case let other: throw DecodingError("invalid text marker \(other) at byte \(offset - 1)")
        }
    }

    // Journal kinds 1–2 and snapshot formats 1–3 wrote each text field on its own, in an order
    // of their own: these are those orders, kept to read those files.

    static let legacyDeploymentRecord: [DeploymentField] = [
        .deployedBy, .deployedByEmail, .deployedByName, .scmSha, .scmRepository, .scmBranch, .deployURL, .buildNumber,
        .sourceSystem, .invokeID,
    ]
    static let legacyBuildRecord: [BuildField] = [
        .buildNumber, .buildURL, .scmSha, .scmBranch, .scmRepository, .builtBy, .builtByEmail, .builtByName,
        .sourceSystem, .invokeID,
    ]
    static let legacyBuildInput: [BuildField] = [
        .builtBy, .builtByEmail, .builtByName, .scmSha, .scmBranch, .scmRepository, .buildURL, .buildNumber,
        .sourceSystem, .invokeID,
    ]

    private mutating func legacyFields<Field>(_ order: [Field]) throws(DecodingError) -> [Field: String?] {
        var fields: [Field: String?] = [:]
        for field in order { fields[field] = try optionalString() }
        return fields
    }

    private mutating func legacyDeploymentInput() throws(DecodingError) -> DeploymentEventInput {
        var fields: [DeploymentField: String?] = [:]
        (fields[.productName], fields[.version], fields[.environmentName]) = (try string(), try string(), try string())
        let status = try status()
        fields.merge(try legacyFields(Self.legacyDeploymentRecord)) { $1 }
        let (startedAt, completedAt) = (try optionalTimestamp(), try optionalTimestamp())
        fields[.extraMetadata] = try optionalJSON()?.text
        return DeploymentEventInput(status: status, startedAt: startedAt, completedAt: completedAt, fields)
    }

    private mutating func legacyBuildInput() throws(DecodingError) -> BuildEventInput {
        var fields: [BuildField: String?] = [:]
        (fields[.productName], fields[.version]) = (try string(), try string())
        let status = try status()
        fields.merge(try legacyFields(Self.legacyBuildInput)) { $1 }
        let (startedAt, completedAt) = (try optionalTimestamp(), try optionalTimestamp())
        (fields[.errorMessage], fields[.errorCode]) = (try optionalString(), try optionalString())
        fields[.extraMetadata] = try optionalJSON()?.text
        return BuildEventInput(status: status, startedAt: startedAt, completedAt: completedAt, fields)
    }

    mutating func versionFormat2() throws(DecodingError) -> Version {
        Version(id: try id(), productID: try id(), name: try string(), scmSha: try optionalString(),
                scmRepository: try optionalString(), scmBranch: try optionalString(), createdAt: try timestamp())
    }

    mutating func buildFormat2() throws(DecodingError) -> Build {
        let (id, productID, versionID, status) = (try self.id(), try self.id(), try self.id(), try self.status())
        var fields = try legacyFields(Self.legacyBuildRecord)
        let (startedAt, completedAt) = (try optionalTimestamp(), try optionalTimestamp())
        (fields[.errorMessage], fields[.errorCode]) = (try optionalString(), try optionalString())
        fields[.extraMetadata] = try json().text
        return Build(id: id, productID: productID, versionID: versionID,
                     details: RecordDetails(status: status, startedAt: startedAt, completedAt: completedAt, fields),
                     createdAt: try timestamp(), lastEventID: try self.id(), lastRecordedAt: try timestamp())
    }

    mutating func deploymentFormat2() throws(DecodingError) -> Deployment {
        let (id, productID, versionID, environmentID) = (try self.id(), try self.id(), try self.id(), try self.id())
        let (status, startedAt, completedAt) = (try self.status(), try optionalTimestamp(), try optionalTimestamp())
        var fields = try legacyFields(Self.legacyDeploymentRecord)
        fields[.extraMetadata] = try json().text
        return Deployment(id: id, productID: productID, versionID: versionID, environmentID: environmentID,
                          details: RecordDetails(status: status, startedAt: startedAt, completedAt: completedAt, fields),
                          createdAt: try timestamp(), lastEventID: try self.id(), lastRecordedAt: try timestamp())
    }

    mutating func apiKey() throws(DecodingError) -> APIKey {
        let id = try id()
        let name = try string()
        let description = try optionalString()
        var scopes: [Scope] = []
        for _ in 0..<(try count()) {
            let word = try string()
            guard let scope = Scope(rawValue: word) else { throw DecodingError("unknown scope \(word)") }
            scopes.append(scope)
        }
        let account = try string()
        let keyID = try string()
        let salt = try bytes(try count())
        let hash = try bytes(try count())
        return APIKey(id: id, name: name, description: description, scopes: scopes, account: account, keyID: keyID,
                      salt: salt, secretHash: hash, createdAt: try timestamp(), lastUsedAt: try optionalTimestamp(),
                      revokedAt: try optionalTimestamp())
    }

    mutating func loggedEvent() throws(DecodingError) -> LoggedEvent {
        switch try byte() {
        case 1: return .deployment(try deploymentEvent(legacy: true))
        case 2: return .build(try buildEvent(legacy: true))
        case 3: return .deployment(try deploymentEvent())
        case 4: return .build(try buildEvent())
        case 5: return .deployment(try deploymentEventWithPreflight())
        case let kind: throw DecodingError("unknown event kind \(kind)")
        }
    }

    mutating func change() throws(DecodingError) -> StateChange {
        switch try byte() {
        case 1: return .deploymentEvent(try deploymentEvent(legacy: true))
        case 2: return .buildEvent(try buildEvent(legacy: true))
        case 8: return .deploymentEvent(try deploymentEvent())
        case 9: return .buildEvent(try buildEvent())
        case 3: return .productSaved(try product())
        case 4: return .productDeleted(try id())
        case 5: return .environmentSaved(try environment())
        case 6: return .environmentDeleted(try id())
        case 7: return .apiKeySaved(try apiKey())
        case 10: return .deploymentEvent(try deploymentEventWithPreflight())
        case 11: return .ruleSaved(try rule())
        case 12: return .ruleDeleted(try id())
        case 13: return .approvalSaved(try approval())
        case 14: return .approvalDeleted(id: try id(), productID: try id())
        case 15:
            let tag = try requestTag()
            switch try change() {
            case .deploymentEvent(var event) where event.request == nil:
                event.request = tag
                return .deploymentEvent(event)
            case .buildEvent(var event) where event.request == nil:
                event.request = tag
                return .buildEvent(event)
            default: throw DecodingError("a request tag on something other than an event")
            }
        case 21:
            var owed: [(id: EntityID, webhookID: EntityID)] = []
            for _ in 0..<(try count()) { owed.append((try id(), try id())) }
            func deliveries(of event: LoggedEvent) -> [PendingDelivery] {
                owed.map { PendingDelivery(id: $0.id, webhookID: $0.webhookID, productID: event.productID, eventID: event.id) }
            }
            switch try change() {
            case .deploymentEvent(var event) where event.deliveries.isEmpty:
                event.deliveries = deliveries(of: .deployment(event))
                return .deploymentEvent(event)
            case .buildEvent(var event) where event.deliveries.isEmpty:
                event.deliveries = deliveries(of: .build(event))
                return .buildEvent(event)
            default: throw DecodingError("deliveries owed by something other than an event")
            }
        case 16: return .requestAnswered(AnsweredRequest(key: try requestKey(), entry: try requestEntry()))
        case 17: return .webhookSaved(try webhook())
        case 18: return .webhookDeleted(try id())
        case 19:
            var deliveries: [PendingDelivery] = []
            for _ in 0..<(try count()) {
                let (productID, eventID) = (try id(), try id())
                for _ in 0..<(try count()) {
                    deliveries.append(PendingDelivery(id: try id(), webhookID: try id(), productID: productID, eventID: eventID))
                }
            }
            return .deliveriesQueued(deliveries)
        case 20: return .deliveryFinished(try deliveryOutcome())
        case let kind: throw DecodingError("unknown change kind \(kind)")
        }
    }

    mutating func requestKey() throws(DecodingError) -> RequestKey {
        RequestKey(client: try string(), name: try string())
    }

    mutating func requestTag() throws(DecodingError) -> RequestTag {
        let key = try requestKey()
        return RequestTag(key: key, digest: try bytes(try count()))
    }

    mutating func requestEntry() throws(DecodingError) -> RequestEntry {
        let (digest, acceptedAt) = (try bytes(try count()), try timestamp())
        let subject: RequestSubject?
        switch try byte() {
        case 0: subject = nil
        case 1: subject = .deployment(try id())
        case 2: subject = .build(try id())
        case let other: throw DecodingError("unknown request subject \(other)")
        }
        var answer: StoredAnswer?
        if try bool() {
            let status = try number()
            answer = StoredAnswer(status: status, body: try bytes(try count()))
        }
        return RequestEntry(digest: digest, acceptedAt: acceptedAt, subject: subject, answer: answer)
    }

    mutating func webhook() throws(DecodingError) -> Webhook {
        let (id, name, url) = (try self.id(), try string(), try string())
        let (events, products, environments) = (try strings(), try strings(), try strings())
        let (secret, format) = (try optionalString(), try word(WebhookFormat.init(rawValue:)))
        return Webhook(id: id, name: name, url: url, events: events, products: products, environments: environments,
                       secret: secret, format: format, createdAt: try timestamp(), updatedAt: try timestamp())
    }

    mutating func pendingDelivery() throws(DecodingError) -> PendingDelivery {
        PendingDelivery(id: try id(), webhookID: try id(), productID: try id(), eventID: try id())
    }

    mutating func deliveryOutcome() throws(DecodingError) -> DeliveryOutcome {
        let (deliveryID, webhookID) = (try id(), try id())
        let eventID = try bool() ? try id() : nil
        let eventType = try string()
        var attempts: [DeliveryAttempt] = []
        for _ in 0..<(try count()) {
            let at = try timestamp()
            let status = try number()
            let error = try optionalString()
            let duration = try uvarint()
            attempts.append(DeliveryAttempt(at: at, statusCode: status == 0 ? nil : status, error: error,
                                            durationMicroseconds: Int64(clamping: duration)))
        }
        return DeliveryOutcome(deliveryID: deliveryID, webhookID: webhookID, eventID: eventID, eventType: eventType, attempts: attempts)
    }

    mutating func deploymentEventWithPreflight() throws(DecodingError) -> AcceptedDeploymentEvent {
        var event = try deploymentEvent()
        event.preflight = try preflight()
        return event
    }

    mutating func preflight() throws(DecodingError) -> PreflightRecord {
        let skipRequested = try bool()
        var violations: [RuleViolation] = []
        for _ in 0..<(try count()) {
            let (id, ruleID, ruleName) = (try self.id(), try self.id(), try string())
            let mode = try word(RuleMode.init(rawValue:))
            let code = try word(BlockCode.init(rawValue:))
            violations.append(RuleViolation(id: id, ruleID: ruleID, ruleName: ruleName, mode: mode, code: code,
                                            message: try string(), skipped: try bool()))
        }
        return PreflightRecord(skipRequested: skipRequested, violations: violations)
    }

    mutating func rule() throws(DecodingError) -> DeploymentRule {
        let (id, name, mode) = (try self.id(), try string(), try word(RuleMode.init(rawValue:)))
        let (products, environments) = (try strings(), try strings())
        var types: [EnvironmentType] = []
        for word in try strings() {
            guard let type = EnvironmentType(rawValue: word) else { throw DecodingError("unknown environment type \(word)") }
            types.append(type)
        }
        let (allowSkip, createdAt, updatedAt) = (try bool(), try timestamp(), try timestamp())
        let kind: RuleKind
        switch try byte() {
        case 1: kind = .concurrency(maxInProgress: try number())
        case 2:
            let (timeZone, reason) = (try string(), try optionalString())
            var windows: [RuleWindow] = []
            for _ in 0..<(try count()) {
                switch try byte() {
                case 1:
                    var days: [Weekday] = []
                    for name in try strings() {
                        guard let day = Weekday(name: name) else { throw DecodingError("unknown day \(name)") }
                        days.append(day)
                    }
                    windows.append(.weekly(days: days, start: try number(), end: try number()))
                case 2: windows.append(.oneOff(from: try timestamp(), to: try timestamp()))
                case let other: throw DecodingError("unknown window kind \(other)")
                }
            }
            kind = .schedule(ScheduleRule(timeZone: timeZone, reason: reason, windows: windows))
        case 3: kind = .flow(FlowRule(prerequisites: try strings(), soakMinutes: try number()))
        case 4: kind = .approval(requiredApprovals: try number())
        case let other: throw DecodingError("unknown rule kind \(other)")
        }
        return DeploymentRule(id: id, name: name, kind: kind, mode: mode, products: products, environments: environments,
                              environmentTypes: types, allowSkip: allowSkip, createdAt: createdAt, updatedAt: updatedAt)
    }

    mutating func approval() throws(DecodingError) -> Approval {
        Approval(id: try id(), productID: try id(), versionID: try id(), environment: try string(), approvedBy: try string(),
                 comment: try optionalString(), createdAt: try timestamp())
    }

    mutating func number() throws(DecodingError) -> Int {
        let value = try uvarint()
        guard value <= UInt64(Int32.max) else { throw DecodingError("number \(value) out of range at byte \(offset)") }
        return Int(value)
    }

    mutating func strings() throws(DecodingError) -> [String] {
        var values: [String] = []
        for _ in 0..<(try count()) { values.append(try string()) }
        return values
    }

    /// A word that `make` knows.
    private mutating func word<T>(_ make: (String) -> T?) throws(DecodingError) -> T {
        let text = try string()
        guard let value = make(text) else { throw DecodingError("unknown word \(text)") }
        return value
    }
}
