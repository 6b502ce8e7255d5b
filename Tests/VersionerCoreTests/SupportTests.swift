import Testing
import VersionerCore

@Suite("Timestamps")
struct TimestampTests {
    @Test("RFC 3339 forms with a zone parse to the same instant", arguments: [
        ("2025-10-23T10:00:00Z", Int64(1_761_213_600_000_000)),
        ("2025-10-23T10:00:00.000Z", 1_761_213_600_000_000),
        ("2025-10-23T12:00:00+02:00", 1_761_213_600_000_000),
        ("2025-10-23T05:30:00-04:30", 1_761_213_600_000_000),
        ("2025-10-23t10:00:00z", 1_761_213_600_000_000),
        ("2025-10-23 10:00:00Z", 1_761_213_600_000_000),
        ("2025-10-23T10:00:00.123456789Z", 1_761_213_600_123_456),
        ("2025-10-23T10:05:00.123Z", 1_761_213_900_123_000),
        ("1970-01-01T00:00:00Z", 0),
        ("1969-12-31T23:59:59.5Z", -500_000),
        ("2024-02-29T00:00:00Z", 1_709_164_800_000_000),
    ])
    func parses(text: String, microseconds: Int64) throws {
        let timestamp = try #require(Timestamp(rfc3339: text))
        #expect(timestamp.microseconds == microseconds)
    }

    @Test("Date-times without a zone or with impossible fields are refused", arguments: [
        "2025-11-06T15:30:00.123456", "2025-11-06", "2025-02-29T00:00:00Z", "2025-13-01T00:00:00Z",
        "2025-01-01T24:00:00Z", "2025-01-01T00:00:00.Z", "2025-01-01T00:00:00+0200", "not a date", "",
        "2025-01-01T00:00:00Zjunk", "１２３４-01-01T00:00:00Z",
    ])
    func refuses(text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }

    @Test("Formatting is UTC with six fractional digits, and parses back")
    func formats() throws {
        #expect(Timestamp(microseconds: 1_764_096_513_948_633).rfc3339 == "2025-11-25T18:48:33.948633Z")
        #expect(Timestamp(microseconds: 0).rfc3339 == "1970-01-01T00:00:00.000000Z")
        #expect(Timestamp(microseconds: -500_000).rfc3339 == "1969-12-31T23:59:59.500000Z")
        for micros in stride(from: Int64(-86_400_000_000), to: 4_102_444_800_000_000, by: 7_777_777_777_777) {
            let timestamp = Timestamp(microseconds: micros)
            #expect(Timestamp(rfc3339: timestamp.rfc3339) == timestamp)
        }
    }
}

@Suite("Ids")
struct EntityIDTests {
    struct FrozenClock: WallClock {
        let time: Timestamp
        func now() -> Timestamp { time }
    }

    @Test("UUID strings round-trip and bad ones are refused")
    func uuidStrings() throws {
        let id = try #require(EntityID(uuidString: "0190F3A2-7C1E-7B3A-9D2E-5F6A7B8C9D0E"))
        #expect(id.uuidString == "0190f3a2-7c1e-7b3a-9d2e-5f6a7b8c9d0e")
        #expect(EntityID(bytes: id.bytes) == id)
        for bad in ["", "0190f3a2-7c1e-7b3a-9d2e-5f6a7b8c9d0", "0190f3a2x7c1e-7b3a-9d2e-5f6a7b8c9d0e",
                    "g190f3a2-7c1e-7b3a-9d2e-5f6a7b8c9d0e", "12"] {
            #expect(EntityID(uuidString: bad) == nil)
        }
    }

    @Test("Generated ids are UUIDv7 and strictly increase even when the clock stands still")
    func monotonic() {
        let generator = IDGenerator(clock: FrozenClock(time: Timestamp(microseconds: 1_764_096_513_948_633)))
        var previous = generator.next()
        for _ in 0..<10_000 {
            let next = generator.next()
            #expect(next > previous)
            previous = next
        }
        let text = previous.uuidString
        #expect(Array(text)[14] == "7")  // version
        #expect("89ab".contains(Array(text)[19]))  // variant
        #expect(previous.high >> 16 == 1_764_096_513_948)  // millisecond timestamp
    }
}

@Suite("JSON")
struct JSONTests {
    @Test("Parsing keeps member order, number literals and every escape")
    func parses() throws {
        let value = try JSONValue(parsing: #" { "b": 1.50, "a": [true, false, null, -0, 1e10], "s": "\"\\\/\b\f\n\r\t\u00e9\ud83d\ude80" } "#)
        let members = try #require(value.objectMembers)
        #expect(members.map(\.key) == ["b", "a", "s"])
        #expect(value["b"] == .number("1.50"))
        #expect(value["a"] == .array([.bool(true), .bool(false), .null, .number("-0"), .number("1e10")]))
        #expect(value["s"]?.stringValue == "\"\\/\u{08}\u{0C}\n\r\té🚀")
        #expect(try JSONValue(parsing: value.serialized) == value)
    }

    @Test("A repeated key keeps its last value")
    func duplicateKeys() throws {
        let value = try JSONValue(parsing: #"{"a": 1, "b": 2, "a": 3}"#)
        #expect(value.objectMembers == [JSONMember("a", .number("3")), JSONMember("b", .number("2"))])
    }

    @Test("Malformed texts are refused", arguments: [
        "", "{", "{\"a\"}", "{\"a\":}", "[1,]", "{\"a\":1,}", "01", "1.", "-", "+1", ".5", "1e", "tru", "nul",
        "\"unterminated", "\"bad \\x escape\"", "\"\\ud83d alone\"", "\"\\ude80\"", "{} {}", "[1 2]", "{'a': 1}",
        "\"tab\tinside\"", "NaN", "Infinity",
    ])
    func refuses(text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: text) }
    }

    @Test("Invalid UTF-8 is refused")
    func invalidUTF8() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xFF, 0xFE, 0x22]) }
    }

    @Test("Nesting deeper than the limit is refused rather than exhausting the stack")
    func depth() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: deep) }
        let fine = String(repeating: "[", count: JSONParser.maximumDepth) + String(repeating: "]", count: JSONParser.maximumDepth)
        #expect(try JSONValue(parsing: fine).arrayValue != nil)
    }

    @Test("The writer escapes control characters and quotes")
    func writerEscapes() {
        #expect(JSONValue.string("a\"b\\c\n\u{01}é").serialized == #""a\"b\\c\n\u0001é""#)
        #expect(JSONValue.object([JSONMember("k", .array([.null, .bool(true)]))]).serialized == #"{"k":[null,true]}"#)
    }

    @Test("Metadata merges shallowly, the newer value winning")
    func merge() throws {
        let old = RawJSONObject(members: [JSONMember("a", .number("1")), JSONMember("b", .number("2"))])
        let new = RawJSONObject(members: [JSONMember("b", .number("3")), JSONMember("c", .number("4"))])
        #expect(old.merged(with: new).text == #"{"a":1,"b":3,"c":4}"#)
        #expect(old.merged(with: .empty) == old)
        #expect(RawJSONObject.empty.merged(with: new) == new)
    }
}

@Suite("Statuses and environment types")
struct VocabularyTests {
    @Test("Every alias of docs/API.md §2 maps to its canonical word", arguments: [
        ("pending", Status.pending), ("queued", .pending), ("scheduled", .pending),
        ("started", .started), ("in_progress", .started), ("init", .started), ("deploying", .started), ("building", .started),
        ("success", .completed), ("completed", .completed), ("complete", .completed), ("finished", .completed),
        ("deployed", .completed), ("built", .completed),
        ("failed", .failed), ("fail", .failed), ("failure", .failed), ("error", .failed),
        ("aborted", .aborted), ("abort", .aborted), ("cancelled", .aborted), ("cancel", .aborted),
        ("skipped", .aborted), ("canceled", .aborted),
    ])
    func alias(word: String, status: Status) {
        #expect(Status(normalizing: word) == status)
        #expect(Status(normalizing: "  " + word.uppercased() + "\n") == status)
    }

    @Test("Unknown words are not statuses")
    func unknown() {
        for word in ["", "done", "succeeded", "in progress", "ok"] {
            #expect(Status(normalizing: word) == nil)
        }
    }

    @Test("Only completed, failed and aborted are terminal")
    func terminal() {
        #expect(Status.allCases.filter(\.isTerminal) == [.completed, .failed, .aborted])
    }

    @Test("Environment names are classified by their tokens", arguments: [
        ("production", EnvironmentType.production), ("production-us-east", .production), ("prod", .production),
        ("live", .production), ("Prod_EU", .production), ("preprod", .staging), ("staging", .staging),
        ("stage-2", .staging), ("uat", .staging), ("qa-smoke", .test), ("integration", .test), ("test", .test),
        ("testing", .test), ("dev", .dev), ("development", .dev), ("local", .dev), ("sandbox", .dev),
        ("production-staging", .production), ("staging.qa", .staging), ("qa/dev", .test),
        ("producer", .other), ("devops", .other), ("", .other), ("eu-west-1", .other),
    ])
    func environmentTypes(name: String, type: EnvironmentType) {
        #expect(EnvironmentType(classifying: name) == type)
    }
}
