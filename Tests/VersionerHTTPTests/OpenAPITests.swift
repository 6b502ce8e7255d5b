import Foundation
import HTTPTypes
import Testing
import VersionerCore
import VersionerHTTP

@Suite("OpenAPI document and docs page")
struct OpenAPITests {
    static let methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    /// The members of a JSON object (empty for anything else).
    static func members(_ value: JSONValue?) -> [JSONMember] {
        if case .object(let members)? = value { return members }
        return []
    }

    /// Every operation of the document as "METHOD /path", with the operation.
    static func operations(_ document: JSONValue) -> [String: JSONValue] {
        var operations: [String: JSONValue] = [:]
        for path in members(document["paths"]) {
            for operation in members(path.value) where methods.contains(operation.key) {
                operations["\(operation.key.uppercased()) \(path.key)"] = operation.value
            }
        }
        return operations
    }

    static func routes() -> [String: Route] {
        let responder = buildResponder(configuration: ServerConfiguration(), state: ServerState())
        return Dictionary(uniqueKeysWithValues: responder.routes.filter(\.isDocumented).map { ("\($0.method.rawValue) \($0.path)", $0) })
    }

    @Test("The document names exactly the routes the responder serves")
    func documentMatchesRoutes() async throws {
        try await withAPI { api in
            let answer = try await api.with(key: nil).get("/openapi.json")
            #expect(answer.status == .ok)
            #expect(answer.headers[.contentType] == "application/json")
            #expect(answer.json["openapi"]?.stringValue == "3.1.0")
            let documented = Set(Self.operations(answer.json).keys)
            let served = Set(Self.routes().keys)
            #expect(served.count > 25)
            #expect(served.subtracting(documented).sorted() == [], "routes missing from the document")
            #expect(documented.subtracting(served).sorted() == [], "documented operations that no route serves")
        }
    }

    /// The character class of every scalar the server counts as white space (Unicode White_Space),
    /// as the document's patterns spell it: ECMAScript's and Python's `\s` each differ from it.
    static var whiteSpaceClass: String {
        var ranges: [ClosedRange<UInt32>] = []
        for value in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value), scalar.properties.isWhitespace else { continue }
            if let last = ranges.last, last.upperBound + 1 == value {
                ranges[ranges.count - 1] = last.lowerBound...value
            } else {
                ranges.append(value...value)
            }
        }
        func escaped(_ value: UInt32) -> String {
            switch value {
            case 0x09: return "\\t"
            case 0x0A: return "\\n"
            case 0x0C: return "\\f"
            case 0x0D: return "\\r"
            case 0x20: return " "
            default:
                let hex = String(value, radix: 16)
                return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            }
        }
        let parts = ranges.flatMap { range -> [String] in
            switch range.count {
            // Single scalars, pairs and the control characters are listed one by one.
            case 1, 2: return range.map(escaped)
            case _ where range.lowerBound < 0x0E: return range.map(escaped)
            default: return [escaped(range.lowerBound) + "-" + escaped(range.upperBound)]
            }
        }
        return "[" + parts.joined() + "]"
    }

    @Test("The document's status words and white space are the server's, in every place that takes them")
    func statusWordsAndWhiteSpace() async throws {
        try await withAPI { api in
            let document = try await api.get("/openapi.json").json
            let schemas = document["components"]?["schemas"]
            // ASCII letters in either case, as the server folds them.
            let words = Status.acceptedWords.map { word in
                word.map { $0.isLetter ? "[\($0.uppercased())\($0)]" : String($0) }.joined()
            }
            let alternatives = "(?:" + words.joined(separator: "|") + ")"
            let space = Self.whiteSpaceClass
            #expect(schemas?["DeploymentEventInput"]?["properties"]?["status"]?["pattern"]?.stringValue
                    == "^\(space)*\(alternatives)\(space)*$")
            #expect(schemas?["BuildEventInput"]?["properties"]?["status"]?["pattern"]?.stringValue
                    == "^\(space)*(?:\(alternatives)\(space)*)?$")
            let notBlank = "[^" + space.dropFirst()
            for schema in ["DeploymentEventInput", "BuildEventInput", "NewProduct", "NewAPIKey"] {
                for name in schemas?[schema]?["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where name != "status" {
                    let property = schemas?[schema]?["properties"]?[name]
                    if property?["type"] == .string("array") { continue }  // scopes
                    #expect(property?["pattern"]?.stringValue == notBlank, "\(schema).\(name)")
                }
            }
            let filter = document["components"]?["parameters"]?["status"]?["schema"]?["enum"]?.arrayValue?.compactMap(\.stringValue)
            #expect(filter == Status.acceptedWords + [""])
        }
    }

    /// Checks a kind's schemas against its field declaration: the event body takes exactly the
    /// declared fields (with their limits and aliases), and the record it makes shows each of its own.
    static func checkSchemas<Field: EventField>(_: Field.Type, input: String, record: String, in document: JSONValue) {
        let schemas = document["components"]?["schemas"]
        let body = schemas?[input]
        let names = Field.allCases.flatMap(\.spec.names)
        let common = ["status", "started_at", "completed_at"] + Field.flags
        #expect(Set(members(body?["properties"]).map(\.key)) == Set(names + common), "\(input) properties")
        let required = Field.allCases.filter { $0.spec.role == .subject }.map(\.spec.name)
            + (Field.defaultStatus == nil ? ["status"] : [])
        #expect(Set(body?["required"]?.arrayValue?.compactMap(\.stringValue) ?? []) == Set(required), "\(input) required")
        for field in Field.allCases {
            let spec = field.spec
            for name in spec.names {
                let property = body?["properties"]?[name]
                switch spec.kind {
                case .text(let maxLength):
                    #expect(property?["maxLength"] == .number(String(maxLength)), "\(input).\(name) maxLength")
                    let types = property?["type"]?.arrayValue?.compactMap(\.stringValue) ?? []
                    #expect(Set(types) == Set(["string", "number"] + (spec.role == .record ? ["null"] : [])),
                            "\(input).\(name) type")
                case .object:
                    #expect(property?["type"]?.arrayValue?.compactMap(\.stringValue) == ["object", "null"], "\(input).\(name)")
                }
            }
        }
        let shown = Set(members(schemas?[record]?["properties"]).map(\.key))
        let own = Set(Field.recordFields.map(\.spec.name))
        #expect(own.subtracting(shown).sorted() == [], "\(record) lacks declared fields")
    }

    @Test("The event schemas of the document are the declared fields of each kind")
    func eventSchemasMatchDeclarations() async throws {
        try await withAPI { api in
            let document = try await api.get("/openapi.json").json
            Self.checkSchemas(DeploymentField.self, input: "DeploymentEventInput", record: "Deployment", in: document)
            Self.checkSchemas(BuildField.self, input: "BuildEventInput", record: "Build", in: document)
        }
    }

    @Test("Every time zone the document offers is one the server knows")
    func timeZonesKnown() async throws {
        try await withAPI { api in
            let document = try await api.get("/openapi.json").json
            let zones = document["components"]?["parameters"]?["tz"]?["schema"]?["enum"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(zones.count > 300 && zones.contains("Europe/Berlin") && zones.contains("UTC"))
            #expect(zones.filter { !$0.isEmpty && !InsightsWindow.isKnownTimeZone($0) } == [])
        }
    }

    @Test("An operation is public in the document exactly when its route needs no key")
    func securityMatchesScopes() async throws {
        try await withAPI { api in
            let document = try await api.get("/openapi.json").json
            let routes = Self.routes()
            for (name, operation) in Self.operations(document) {
                let route = try #require(routes[name])
                let isPublic = operation["security"]?.arrayValue?.isEmpty == true
                #expect(isPublic == (route.scope == nil), "\(name)")
                if !isPublic {
                    let responses = Self.members(operation["responses"]).map(\.key)
                    #expect(responses.contains("401") && responses.contains("403"), "\(name) documents 401 and 403")
                }
            }
        }
    }

    @Test("Every $ref of the document resolves, and every operation has an id and a success answer")
    func referencesResolve() async throws {
        try await withAPI { api in
            let document = try await api.get("/openapi.json").json
            var references: [String] = []
            func collect(_ value: JSONValue) {
                switch value {
                case .object(let members):
                    for member in members {
                        if member.key == "$ref", let target = member.value.stringValue { references.append(target) }
                        collect(member.value)
                    }
                case .array(let elements): elements.forEach(collect)
                default: break
                }
            }
            collect(document)
            #expect(references.count > 50)
            for reference in Set(references) {
                #expect(reference.hasPrefix("#/"), "\(reference)")
                let found = reference.dropFirst(2).split(separator: "/").reduce(Optional(document)) { at, part in at?[String(part)] }
                #expect(found != nil, "\(reference) does not resolve")
            }
            var operationIDs: [String] = []
            for (name, operation) in Self.operations(document) {
                operationIDs.append(try #require(operation["operationId"]?.stringValue, "\(name)"))
                let statuses = Self.members(operation["responses"]).map(\.key)
                #expect(statuses.contains { $0.hasPrefix("2") }, "\(name)")
            }
            #expect(Set(operationIDs).count == operationIDs.count, "operation ids are unique")
        }
    }

    @Test("The document's example bodies are accepted with the success status it documents")
    func examplesAreAccepted() async throws {
        try await withAPI { api in
            let document = try await api.get("/openapi.json").json
            var sent = 0
            for (name, operation) in Self.operations(document).sorted(by: { $0.key < $1.key }) {
                guard let example = operation["requestBody"]?["content"]?["application/json"]?["example"],
                      !name.contains("{") else { continue }
                let parts = name.split(separator: " ")
                let answer = try await api.call(HTTPRequest.Method(String(parts[0]))!, String(parts[1]), body: example.serialized)
                let success = Self.members(operation["responses"]).map(\.key).first { $0.hasPrefix("2") }
                #expect(success == String(answer.status.code), "\(name): \(answer.text)")
                sent += 1
            }
            #expect(sent >= 5)
        }
    }

    @Test("Under a base path, the document's server and the docs page name it")
    func basePath() async throws {
        try await withAPI(basePath: "/api/v1") { api in
            let document = try await api.with(key: nil).get("/api/v1/openapi.json")
            #expect(document.json["servers"]?[0]?["url"]?.stringValue == "/api/v1")
            let page = try await api.with(key: nil).get("/api/v1/docs")
            #expect(page.text.contains(#"const BASE = "/api/v1";"#))
        }
        try await withAPI { api in
            let document = try await api.get("/openapi.json").json
            #expect(document["servers"]?[0]?["url"]?.stringValue == "/")
        }
    }

    @Test("The docs page is one self-contained HTML file: nothing loaded from elsewhere")
    func docsPageIsSelfContained() async throws {
        try await withAPI(ready: false) { api in
            // Served also while the server recovers.
            let page = try await api.with(key: nil).get("/docs")
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.text.hasPrefix("<!doctype html>"))
            for external in ["src=", "href=", "@import", "url(", "http://", "https://"] {
                #expect(!page.text.contains(external), "the page refers to \(external)")
            }
            #expect(page.text.contains("/openapi.json"))
            #expect(try await api.with(key: nil).get("/openapi.json").status == .ok)
        }
    }
}
