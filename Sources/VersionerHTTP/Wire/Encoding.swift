import VersionerCore

/// The JSON shapes of docs/API.md §3–4, written field by field: key order is stable and timestamps are
/// RFC 3339 with a zone, ids UUID strings.
extension JSONWriter {
    mutating func field(_ name: String, _ value: String?) {
        key(name)
        string(value)
    }

    mutating func field(_ name: String, _ value: EntityID) {
        key(name)
        id(value)
    }

    mutating func field(_ name: String, _ value: EntityID?) {
        key(name)
        if let value { id(value) } else { null() }
    }

    mutating func field(_ name: String, _ value: Timestamp?) {
        key(name)
        if let value { timestamp(value) } else { null() }
    }

    mutating func field(_ name: String, _ value: RawJSONObject) {
        key(name)
        raw(value.text)
    }

    /// Every record field of `Field`'s kind, in declared order: text as a string or null, an
    /// object as itself (`{}` when absent).
    mutating func recordFields<Field: EventField>(_: Field.Type, _ value: (Field) -> String?) {
        for number in Field.recordRange {
            let field = Field(rawValue: number)!
            let spec = field.spec
            switch spec.kind {
            case .text: self.field(spec.name, value(field))
            case .object:
                key(spec.name)
                raw(value(field) ?? RawJSONObject.empty.text)
            }
        }
    }

    mutating func product(_ product: Product) {
        beginObject()
        field("id", product.id)
        field("name", product.name)
        field("description", product.description)
        field("extra_metadata", product.extraMetadata)
        field("created_at", product.createdAt)
        field("updated_at", product.updatedAt)
        endObject()
    }

    /// A key as lists show it: never the secret or its hash. `token` is the whole key, shown once.
    mutating func apiKey(_ apiKey: APIKey, token: String? = nil) {
        beginObject()
        field("id", apiKey.id)
        field("name", apiKey.name)
        field("description", apiKey.description)
        key("scopes")
        beginArray()
        for scope in apiKey.scopes { string(scope.rawValue) }
        endArray()
        field("prefix", apiKey.prefix)
        field("created_at", apiKey.createdAt)
        field("last_used_at", apiKey.lastUsedAt)
        field("revoked_at", apiKey.revokedAt)
        if let token { field("key", token) }
        endObject()
    }

    mutating func environment(_ environment: Environment) {
        beginObject()
        field("id", environment.id)
        field("name", environment.name)
        field("type", environment.type.rawValue)
        field("description", environment.description)
        field("metadata", environment.metadata)
        field("created_at", environment.createdAt)
        field("updated_at", environment.updatedAt)
        endObject()
    }

    /// A deployment; `preflight`, for the answer to the event that started it, goes into its
    /// `extra_metadata` as `preflight_status` (where the GitHub Action reads it).
    mutating func deployment(_ view: DeploymentView, preflight: Preflight? = nil) {
        let deployment = view.deployment
        let metadata = preflight.map { preflight in
            deployment.extraMetadata.merged(with: RawJSONObject(members: [JSONMember("preflight_status", preflight.status)])).text
        }
        beginObject()
        field("id", deployment.id)
        field("product_id", deployment.productID)
        field("product_name", view.productName)
        field("version_id", deployment.versionID)
        field("version", view.version)
        field("environment_id", deployment.environmentID)
        field("environment_name", view.environmentName)
        field("status", deployment.status.rawValue)
        key("is_rollback")
        bool(view.isRollback)
        key("preflight_skipped")
        bool(view.preflightSkipped)
        field("deployed_at", deployment.deployedAt)
        field("started_at", deployment.startedAt)
        field("completed_at", deployment.completedAt)
        recordFields(DeploymentField.self) { field in
            field == .extraMetadata ? metadata ?? deployment[field] : deployment[field]
        }
        field("created_at", deployment.createdAt)
        // The deployment's last event: for the answer to an event, that event.
        field("event_id", deployment.lastEventID)
        field("recorded_at", deployment.lastRecordedAt)
        endObject()
    }

    mutating func build(_ view: BuildView) {
        let build = view.build
        beginObject()
        field("id", build.id)
        field("product_id", build.productID)
        field("product_name", view.productName)
        field("version_id", build.versionID)
        field("version", view.version)
        field("status", build.status.rawValue)
        field("started_at", build.startedAt)
        field("completed_at", build.completedAt)
        recordFields(BuildField.self) { build[$0] }
        field("created_at", build.createdAt)
        field("event_id", build.lastEventID)
        field("recorded_at", build.lastRecordedAt)
        endObject()
    }

    mutating func version(_ view: VersionView) {
        let version = view.version
        beginObject()
        field("id", version.id)
        field("product_id", version.productID)
        field("product_name", view.productName)
        field("version", version.name)
        field("scm_sha", version.scmSha)
        field("scm_repository", version.scmRepository)
        field("scm_branch", version.scmBranch)
        field("created_at", version.createdAt)
        key("builds")
        beginArray()
        for build in view.builds { self.build(BuildView(build: build, productName: view.productName, version: version.name)) }
        endArray()
        key("deployed_to")
        beginArray()
        for place in view.deployedTo {
            beginObject()
            field("id", place.environment.id)
            field("name", place.environment.name)
            field("type", place.environment.type.rawValue)
            field("deployment_id", place.deploymentID)
            field("deployed_at", place.deployedAt)
            endObject()
        }
        endArray()
        key("readiness")
        readiness(view.readiness)
        endObject()
    }

    mutating func stateMatrix(_ matrix: StateMatrix) {
        beginObject()
        key("environments")
        beginArray()
        for environment in matrix.environments {
            beginObject()
            field("id", environment.id)
            field("name", environment.name)
            field("type", environment.type.rawValue)
            endObject()
        }
        endArray()
        key("products")
        beginArray()
        for row in matrix.products {
            beginObject()
            field("id", row.product.id)
            field("name", row.product.name)
            key("drift")
            bool(row.drift)
            key("environments")
            beginObject()
            for (environment, cell) in row.cells {
                key(environment.name)
                beginObject()
                let current = cell.current
                field("version", current?.version)
                field("version_id", current?.deployment.versionID)
                field("deployment_id", current?.deployment.id)
                field("deployed_at", current?.deployment.deployedAt)
                field("deployed_by", current?.deployment.deployedBy)
                field("status", current?.deployment.status.rawValue)
                key("is_rollback")
                if let current { bool(current.isRollback) } else { null() }
                key("latest")
                beginObject()
                field("deployment_id", cell.latest.deployment.id)
                field("version", cell.latest.version)
                field("status", cell.latest.deployment.status.rawValue)
                field("deployed_at", cell.latest.deployment.deployedAt)
                key("is_rollback")
                bool(cell.latest.isRollback)
                endObject()
                endObject()
            }
            endObject()
            endObject()
        }
        endArray()
        endObject()
    }

    mutating func event(_ view: EventView) {
        let event = view.event
        beginObject()
        field("id", event.id)
        field("event_type", event.eventType)
        field("status", event.status.rawValue)
        field("recorded_at", event.recordedAt)
        key("is_rollback")
        if let isRollback = view.isRollback { bool(isRollback) } else { null() }
        switch event {
        case .deployment(let accepted):
            let input = accepted.input
            field("product_id", accepted.productID)
            field("product_name", input.productName)
            field("version_id", accepted.versionID)
            field("version", input.version)
            field("environment_id", accepted.environmentID)
            field("environment_name", input.environmentName)
            // A refused deployment was never made.
            field("deployment_id", accepted.preflight?.blocked == true ? nil : accepted.deploymentID)
            field("build_id", nil as EntityID?)
            if let preflight = accepted.preflight {
                field("rule_name", preflight.blockingRule?.ruleName)
                key("preflight_skipped")
                bool(preflight.skipRequested)
            }
            key("data")
            beginObject()
            field("started_at", input.startedAt)
            field("completed_at", input.completedAt)
            recordFields(DeploymentField.self) { input[$0] }
            endObject()
        case .build(let accepted):
            let input = accepted.input
            field("product_id", accepted.productID)
            field("product_name", input.productName)
            field("version_id", accepted.versionID)
            field("version", input.version)
            field("environment_id", nil as EntityID?)
            field("environment_name", nil as String?)
            field("deployment_id", nil as EntityID?)
            field("build_id", accepted.buildID)
            key("data")
            beginObject()
            field("started_at", input.startedAt)
            field("completed_at", input.completedAt)
            recordFields(BuildField.self) { input[$0] }
            endObject()
        }
        endObject()
    }
}
