import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import VersionerCore
import VersionerHTTP

@Suite("Catalog and query endpoints")
struct QueryEndpointTests {
    @Test("Products: create, read, rename, conflict, delete with cascade")
    func products() async throws {
        try await withAPI { api in
            let created = try await api.post("/products/", #"{"name": "billing", "description": "Bills", "extra_metadata": {"team": "money"}}"#)
            #expect(created.status == .created)
            let id = try #require(created.json["id"]?.stringValue)
            #expect(created.json["extra_metadata"] == .object([JSONMember("team", .string("money"))]))
            #expect(isTimestamp(created.json["created_at"]) && isTimestamp(created.json["updated_at"]))

            let duplicate = try await api.post("/products/", #"{"name": "billing"}"#)
            #expect(duplicate.status == .conflict)
            #expect(duplicate.detail == "Product billing already exists")

            #expect(try await api.get("/products/\(id)").json["name"]?.stringValue == "billing")
            let renamed = try await api.patch("/products/\(id)", #"{"name": "invoicing", "description": null}"#)
            #expect(renamed.status == .ok)
            #expect(renamed.json["name"]?.stringValue == "invoicing")
            #expect(renamed.json["description"]?.isNull == true)
            #expect(renamed.json["extra_metadata"] == created.json["extra_metadata"])

            try await api.deploy("invoicing", "1.0")
            try await api.deploy("other", "1.0")
            let deleted = try await api.delete("/products/\(id)")
            #expect(deleted.status == .noContent)
            #expect(try await api.get("/products/\(id)").status == .notFound)
            let remaining = try await api.get("/deployments/")
            #expect(remaining.json.arrayValue?.compactMap { $0["product_name"]?.stringValue } == ["other"])
            #expect(try await api.get("/products/").json.arrayValue?.count == 1)
            #expect(try await api.delete("/products/\(id)").status == .notFound)
        }
    }

    @Test("Environments: classified on creation, filtered by type, renamed, deleted")
    func environments() async throws {
        try await withAPI { api in
            try await api.deploy(to: "production-us-east")
            try await api.deploy(to: "preprod")
            try await api.deploy(to: "qa-smoke")
            let all = try await api.get("/environments/")
            #expect(all.json.arrayValue?.count == 3)
            let staging = try await api.get("/environments/?type=staging")
            #expect(staging.json.arrayValue?.map { $0["name"]?.stringValue } == ["preprod"])
            let qa = try #require(all.json.arrayValue?.first { $0["name"]?.stringValue == "qa-smoke" })
            #expect(qa["type"]?.stringValue == "test")
            let id = try #require(qa["id"]?.stringValue)
            let patched = try await api.patch("/environments/\(id)", #"{"description": "smoke tests", "metadata": {"region": "eu"}}"#)
            #expect(patched.json["description"]?.stringValue == "smoke tests")
            #expect(patched.json["type"]?.stringValue == "test")
            let conflict = try await api.patch("/environments/\(id)", #"{"name": "preprod"}"#)
            #expect(conflict.status == .conflict)
            let badType = try await api.patch("/environments/\(id)", #"{"type": "moon"}"#)
            #expect(badType.invalidFields == ["type": "type_error.enum"])
            #expect(try await api.delete("/environments/\(id)").status == .noContent)
            #expect(try await api.get("/environments/\(id)").status == .notFound)
            #expect(try await api.get("/deployments/?environment=qa-smoke").json == .array([]))
        }
    }

    @Test("Versions: by product and by commit, with builds and where each is deployed")
    func versions() async throws {
        try await withAPI { api in
            let sha = "3f6c1a2b9d8e7f60514a2b3c4d5e6f708192a3b4"
            try await api.build("api", "1.0", extra: ["scm_sha": sha])
            try await api.deploy("api", "1.0", to: "staging")
            try await api.deploy("api", "1.0", to: "production")
            try await api.deploy("api", "2.0", to: "staging")
            let bySha = try await api.get("/versions/?scm_sha=\(sha.uppercased())")
            let version = try #require(bySha.json[0])
            #expect(bySha.json.arrayValue?.count == 1)
            #expect(version["version"]?.stringValue == "1.0")
            let id = try #require(version["id"]?.stringValue)
            let detail = try await api.get("/versions/\(id)")
            #expect(detail.json["builds"]?.arrayValue?.count == 1)
            let deployedTo = try #require(detail.json["deployed_to"]?.arrayValue)
            #expect(deployedTo.map { $0["name"]?.stringValue } == ["production"])
            #expect(deployedTo.first?["type"]?.stringValue == "production")
            #expect(isUUID(deployedTo.first?["deployment_id"]) && isTimestamp(deployedTo.first?["deployed_at"]))
            let all = try await api.get("/versions/?product=api")
            #expect(all.json.arrayValue?.map { $0["version"]?.stringValue } == ["2.0", "1.0"])
        }
    }

    @Test("Builds and deployments filter by product, version, environment, status and time")
    func filters() async throws {
        try await withAPI { api in
            try await api.build("api", "1.0", status: "building")
            try await api.build("api", "2.0")
            try await api.build("web", "1.0", status: "failed")
            #expect(try await api.get("/builds/?product=api").json.arrayValue?.count == 2)
            #expect(try await api.get("/builds/?product=api&version=1.0").json[0]?["status"]?.stringValue == "started")
            #expect(try await api.get("/builds/?status=failure").json.arrayValue?.count == 1)

            try await api.deploy("api", "1.0", to: "staging", extra: ["started_at": "2025-01-01T00:00:00Z"])
            try await api.deploy("api", "1.0", to: "production", status: "failed", extra: ["started_at": "2025-02-01T00:00:00Z"])
            try await api.deploy("web", "3", to: "production", extra: ["started_at": "2025-03-01T00:00:00Z"])
            func count(_ query: String) async throws -> Int? {
                try await api.get("/deployments/?\(query)").json.arrayValue?.count
            }
            #expect(try await count("product=api") == 2)
            #expect(try await count("environment=production") == 2)
            #expect(try await count("product=api&environment=production&version=1.0") == 1)
            #expect(try await count("status=success") == 2)
            #expect(try await count("status=failed") == 1)
            // A filter takes the words as listed, exactly: what the OpenAPI document's enum says.
            #expect(try await api.get("/deployments/?status=FAILED").invalidFields == ["status": "value_error.status"])
            #expect(try await count("since=2025-01-15T00:00:00Z") == 2)
            #expect(try await count("since=2025-01-15T00:00:00Z&until=2025-02-15T00:00:00%2B00:00") == 1)
            #expect(try await count("product=nope") == 0)
            #expect(try await count("environment=nope") == 0)
            let one = try #require(try await api.get("/deployments/?product=web").json[0])
            let byID = try await api.get("/deployments/\(one["id"]?.stringValue ?? "")")
            #expect(byID.json == one)
        }
    }

    @Test("The state matrix shows current and latest per environment, ordered, with drift")
    func stateMatrix() async throws {
        try await withAPI { api in
            try await api.deploy("api", "1.0", to: "production", extra: ["deployed_by": "ann"])
            try await api.deploy("api", "1.1", to: "staging")
            try await api.deploy("api", "1.2", to: "staging", status: "in_progress")
            try await api.deploy("web", "5", to: "dev")
            try await api.deploy("web", "5", to: "production")
            let state = try await api.get("/state/")
            #expect(state.status == .ok)
            #expect(state.json["environments"]?.arrayValue?.map { $0["name"]?.stringValue } == ["dev", "staging", "production"])
            let products = try #require(state.json["products"]?.arrayValue)
            #expect(products.map { $0["name"]?.stringValue } == ["api", "web"])
            #expect(products[0]["drift"] == .bool(true))
            #expect(products[1]["drift"] == .bool(false))
            let staging = try #require(products[0]["environments"]?["staging"])
            #expect(staging["version"]?.stringValue == "1.1")
            #expect(staging["status"]?.stringValue == "completed")
            #expect(staging["latest"]?["version"]?.stringValue == "1.2")
            #expect(staging["latest"]?["status"]?.stringValue == "started")
            let production = try #require(products[0]["environments"]?["production"])
            #expect(production["deployed_by"]?.stringValue == "ann")
            for key in ["version_id", "deployment_id"] { #expect(isUUID(production[key])) }
            #expect(isTimestamp(production["deployed_at"]))

            let filtered = try await api.get("/state/?product=api&type=production")
            #expect(filtered.json["products"]?[0]?["drift"] == .bool(false))
            #expect(filtered.json["environments"]?.arrayValue?.count == 1)
            #expect(try await api.get("/state/?environment=dev").json["products"]?.arrayValue?.count == 1)
        }
    }

    @Test("A repeated state query is answered the same, and every kind of change shows at once")
    func stateMatrixFollowsChanges() async throws {
        try await withAPI { api in
            try await api.deploy("api", "1.0", to: "production")
            let first = try await api.get("/state/")
            #expect(try await api.get("/state/").text == first.text)
            #expect(try await api.get("/state/?product=web").json["products"]?.arrayValue?.count == 0)

            // A deployment event.
            try await api.deploy("api", "2.0", to: "production")
            let second = try await api.get("/state/")
            #expect(second.json["products"]?[0]?["environments"]?["production"]?["version"]?.stringValue == "2.0")
            // An environment renamed (a catalog change, not a shard change).
            let environment = try #require(second.json["environments"]?[0]?["id"]?.stringValue)
            #expect(try await api.patch("/environments/\(environment)", #"{"name": "prod-eu"}"#).status == .ok)
            let third = try await api.get("/state/")
            #expect(third.json["environments"]?[0]?["name"]?.stringValue == "prod-eu")
            #expect(third.json["products"]?[0]?["environments"]?["prod-eu"]?["version"]?.stringValue == "2.0")
            // A product deleted.
            let product = try #require(third.json["products"]?[0]?["id"]?.stringValue)
            #expect(try await api.delete("/products/\(product)").status == .noContent)
            #expect(try await api.get("/state/").json["products"]?.arrayValue?.count == 0)
            // Another query is another answer.
            try await api.deploy("web", "1", to: "dev")
            #expect(try await api.get("/state/?product=web").json["products"]?.arrayValue?.count == 1)
            #expect(try await api.get("/state/?product=api").json["products"]?.arrayValue?.count == 0)
        }
    }

    @Test("A repeated list query is answered the same, each page with its own Link, and changes show at once",
          arguments: ["/deployments", "/events"])
    func listPagesFollowChanges(list: String) async throws {
        try await withAPI { api in
            try await api.deploy("api", "1.0", to: "production")
            try await api.deploy("api", "2.0", to: "production")
            let first = try await api.get("\(list)/?product=api&limit=1")
            #expect(first.json[0]?["version"]?.stringValue == "2.0")
            let again = try await api.get("\(list)/?product=api&limit=1")
            #expect(again.text == first.text)
            #expect(again.link == first.link)
            // The same query through another form of the path: the same page, a Link to that path.
            let other = try await api.get("\(list)?product=api&limit=1")
            #expect(other.text == first.text)
            #expect(other.link?.hasPrefix("<\(list)?product=api&limit=1&cursor=") == true)
            #expect(first.link?.hasPrefix("<\(list)/?product=api&limit=1&cursor=") == true)

            // A deployment event.
            try await api.deploy("api", "3.0", to: "production")
            #expect(try await api.get("\(list)/?product=api&limit=1").json[0]?["version"]?.stringValue == "3.0")
            // An environment renamed: the deployments list shows the new name.
            let environment = try #require(try await api.get("/environments/").json[0]?["id"]?.stringValue)
            #expect(try await api.patch("/environments/\(environment)", #"{"name": "prod-eu"}"#).status == .ok)
            if list == "/deployments" {
                #expect(try await api.get("\(list)/?product=api&limit=1").json[0]?["environment_name"]?.stringValue == "prod-eu")
            }
            // A product deleted.
            let product = try #require(try await api.get("/products/").json[0]?["id"]?.stringValue)
            #expect(try await api.delete("/products/\(product)").status == .noContent)
            #expect(try await api.get("\(list)/?product=api&limit=1").json == .array([]))
        }
    }

    @Test("The event log filters by product, environment, type and time")
    func events() async throws {
        try await withAPI { api in
            try await api.build("api", "1.0")
            try await api.deploy("api", "1.0", to: "staging", status: "started")
            try await api.deploy("api", "1.0", to: "staging")
            try await api.deploy("web", "2", to: "production", status: "failed")
            let all = try await api.get("/events/")
            #expect(all.json.arrayValue?.map { $0["event_type"]?.stringValue }
                    == ["deployment.failed", "deployment.completed", "deployment.started", "build.completed"])
            #expect(try await api.get("/events/?type=deployment").json.arrayValue?.count == 3)
            #expect(try await api.get("/events/?type=build.completed").json.arrayValue?.count == 1)
            #expect(try await api.get("/events/?environment=staging").json.arrayValue?.count == 2)
            #expect(try await api.get("/events/?product=web").json.arrayValue?.count == 1)
            #expect(try await api.get("/events/?since=2999-01-01T00:00:00Z").json == .array([]))
            let first = try #require(all.json[3])
            #expect(isUUID(first["id"]) && isUUID(first["build_id"]) && isTimestamp(first["recorded_at"]))
        }
    }

    @Test("Walking a list by its Link headers returns every item exactly once, newest first",
          arguments: ["/deployments/", "/events/", "/versions/", "/products/", "/builds/"])
    func pagination(path: String) async throws {
        try await withAPI { api in
            for i in 0..<17 {
                try await api.deploy("p\(i % 4)", "v\(i)", to: i % 3 == 0 ? "a" : "b")
                try await api.build("p\(i % 4)", "v\(i)")
            }
            let expected = try await api.get(path + "?limit=1000").json.arrayValue ?? []
            let (items, pages) = try await api.walk(path + "?limit=3")
            #expect(items == expected)
            #expect(pages == (expected.count + 2) / 3)
            let ids = items.compactMap { $0["id"]?.stringValue }
            #expect(Set(ids).count == ids.count)
            #expect(ids == ids.sorted(by: >))
            // A filter is kept on every page.
            let filtered = try await api.walk("/deployments/?limit=2&environment=a")
            #expect(filtered.items.count == 6)
            #expect(filtered.items.allSatisfy { $0["environment_name"]?.stringValue == "a" })
        }
    }
}
