import Foundation
import Mustache
import VersionerCore

// What the templates read. The matrix's rows and cells are many, so they answer the template's
// lookups by name themselves (`MustacheParent`) instead of being searched by reflection.

/// How pages write times, statuses and durations.
enum Formats {
    /// `2026-12-01 13:22 UTC`.
    static func when(_ time: Timestamp) -> String {
        let text = time.rfc3339  // 2026-12-01T13:22:05.123456Z
        return text.prefix(10) + " " + text.dropFirst(11).prefix(5) + " UTC"
    }

    /// `just now`, `5 min ago`, `3 h ago`, `4 d ago`; the date beyond 60 days.
    static func ago(_ time: Timestamp, now: Timestamp) -> String {
        let seconds = (now.microseconds - time.microseconds) / 1_000_000
        switch seconds {
        case ..<0: return when(time)
        case ..<60: return "just now"
        case ..<3_600: return "\(seconds / 60) min ago"
        case ..<86_400: return "\(seconds / 3_600) h ago"
        case ..<(60 * 86_400): return "\(seconds / 86_400) d ago"
        default: return String(when(time).prefix(10))
        }
    }

    /// The symbol shown beside a status word (never the only sign of it: the word is there too).
    static func icon(_ status: Status) -> String {
        switch status {
        case .completed: "✓"
        case .failed: "✗"
        case .started: "▶"
        case .pending: "…"
        case .aborted: "⊘"
        }
    }

    /// `42 s`, `3 min 5 s`, `1 h 2 min`.
    static func duration(seconds: Double) -> String {
        let total = Int(seconds.rounded())
        if total < 60 { return "\(total) s" }
        if total < 3_600 { return "\(total / 60) min \(total % 60) s" }
        return "\(total / 3_600) h \(total % 3_600 / 60) min"
    }

    /// Hours as a person reads them: `45 min`, `5.2 h`, `3.1 d`; `—` for none.
    static func hours(_ value: Double?) -> String {
        guard let value else { return "—" }
        if value < 1 { return "\(Int((value * 60).rounded())) min" }
        if value < 48 { return String(format: "%.1f h", value) }
        return String(format: "%.1f d", value / 24)
    }

    /// A rate as a percentage: `12.5 %`; `—` for none.
    static func percent(_ value: Double?) -> String {
        value.map { String(format: "%.1f %%", $0 * 100) } ?? "—"
    }

    /// A link target, when `text` is an http(s) URL (anything else is shown as text, never linked).
    static func link(_ text: String?) -> String? {
        guard let text, let url = URL(string: text), let scheme = url.scheme?.lowercased(),
              scheme == "http" || scheme == "https", url.host != nil else { return nil }
        return text
    }

    /// The page of a commit, when the repository is on a host whose commit pages are known:
    /// GitHub (also as `owner/name`, as the GitHub Action sends it), GitLab, Bitbucket.
    static func commitURL(repository: String?, sha: String?) -> String? {
        guard let sha, !sha.isEmpty, sha.utf8.allSatisfy({ $0 < 0x80 && Character(Unicode.Scalar($0)).isHexDigit }),
              var repository = repository?.trimmingCharacters(in: .whitespaces), !repository.isEmpty else { return nil }
        if repository.hasSuffix(".git") { repository.removeLast(4) }
        let parts = repository.split(separator: "/")
        if !repository.contains(":"), parts.count == 2 { return "https://github.com/\(repository)/commit/\(sha)" }
        guard let url = URL(string: repository), url.scheme == "https" || url.scheme == "http", let host = url.host?.lowercased(),
              url.path.split(separator: "/").count >= 2, link(repository) != nil else { return nil }
        let base = repository.hasSuffix("/") ? String(repository.dropLast()) : repository
        switch host {
        case "github.com", "www.github.com": return "\(base)/commit/\(sha)"
        case "gitlab.com", "www.gitlab.com": return "\(base)/-/commit/\(sha)"
        case "bitbucket.org", "www.bitbucket.org": return "\(base)/commits/\(sha)"
        default: return nil
        }
    }

    /// A path segment or query value, percent-encoded: every byte of its UTF-8 but the
    /// unreserved ASCII letters, digits and `-._~` (RFC 3986).
    static func component(_ text: String) -> String {
        let unreserved: (UInt8) -> Bool = { byte in
            (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte)
                || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E
        }
        guard !text.utf8.allSatisfy(unreserved) else { return text }
        let hex = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count * 3)
        for byte in text.utf8 {
            if unreserved(byte) {
                bytes.append(byte)
            } else {
                bytes += [0x25, hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// HTML escaping for the templates, byte by byte: the same five characters as the engine's own
/// (`< > & " '`), without walking the text as Characters, which cost a fifth of a matrix page.
struct HTMLEscaping: MustacheContentType {
    /// The name the templates' `CONTENT_TYPE` pragma gives it.
    static let name = "VERSIONER_HTML"

    func escapeText(_ text: String) -> String {
        let special: (UInt8) -> Bool = { $0 == 0x3C || $0 == 0x3E || $0 == 0x26 || $0 == 0x22 || $0 == 0x27 }
        guard text.utf8.contains(where: special) else { return text }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + 16)
        for byte in text.utf8 {
            switch byte {
            case 0x3C: bytes += Array("&lt;".utf8)
            case 0x3E: bytes += Array("&gt;".utf8)
            case 0x26: bytes += Array("&amp;".utf8)
            case 0x22: bytes += Array("&quot;".utf8)
            case 0x27: bytes += Array("&#39;".utf8)
            default: bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A string renders as itself. The engine would reach the same text through `String(describing:)`
/// after trying the value as a lambda and as an optional; saying so up front spares those dynamic
/// casts on every variable of every page (a matrix page has tens of thousands).
extension String: @retroactive MustacheCustomRenderable {
    public var renderText: String { self }
    public var isNull: Bool { false }
}

/// One deployment as a cell or a line shows it. Its texts are worked out when a template asks
/// for them: a matrix cell shows half of them, and a matrix page has thousands of cells.
struct DeploymentLine: MustacheParent {
    let view: DeploymentView
    let links: Links
    let now: Timestamp

    init(_ view: DeploymentView, links: Links, now: Timestamp) {
        self.view = view
        self.links = links
        self.now = now
    }

    var status: String { view.deployment.status.rawValue }

    /// When it finished, or else when it began.
    private var time: Timestamp { view.deployment.completedAt ?? view.deployment.deployedAt }

    /// Who deployed it, when the pipeline said.
    private var deployer: String? {
        view.deployment.deployedBy ?? view.deployment[.deployedByName] ?? view.deployment[.deployedByEmail]
    }

    // Reads the deployment's fields in place: a copy of it would retain every string it holds.
    func child(named name: String) -> Any? {
        switch name {
        case "url": links.deployment(view.deployment.id)
        case "version": view.version
        case "versionURL": links.version(view.deployment.versionID)
        case "status": status
        case "icon": Formats.icon(view.deployment.status)
        // The icon and the word in one text: one lookup instead of two in every matrix cell.
        case "label": Formats.icon(view.deployment.status) + " " + status
        case "rollback": view.isRollback
        // false, not nil, when unknown: a miss would be looked up in every enclosing context.
        case "who": deployer.map { $0 as Any } ?? false
        // Who, followed by the separator from the time (a section around `who` would cost a
        // context per cell of the matrix).
        case "byLine": deployer.map { $0 + " · " } ?? ""
        case "iso": time.rfc3339
        case "when": Formats.when(time)
        case "ago": Formats.ago(time, now: now)
        case "environment": view.environmentName
        case "environmentURL": links.environment(view.environmentName)
        case "product": view.productName
        case "productURL": links.product(view.productName)
        default: nil
        }
    }
}

/// A cell of the matrix: the running version, and the latest attempt when it is another one.
///
/// It answers what the row template would otherwise work out with sections of its own (the
/// running version's status for the cell's class, whether the cell is empty): every lookup the
/// template engine makes costs about half a microsecond, and a matrix page has thousands of cells.
struct MatrixCell: MustacheParent {
    let current: DeploymentLine?
    let attempt: DeploymentLine?

    init(_ cell: StateCell?, links: Links, now: Timestamp) {
        current = cell?.current.map { DeploymentLine($0, links: links, now: now) }
        let latest = cell?.latest
        attempt = latest.flatMap { latest in
            latest.deployment.id == cell?.current?.deployment.id ? nil : DeploymentLine(latest, links: links, now: now)
        }
    }

    func child(named name: String) -> Any? {
        switch name {
        case "current": current ?? false
        case "attempt": attempt ?? false
        case "state": current?.status ?? "none"
        case "empty": current == nil && attempt == nil
        default: nil
        }
    }
}

/// A product's row of the matrix.
struct MatrixRow: MustacheParent {
    let name: String
    let productURL: String
    let drift: Bool
    let cells: [MatrixCell]

    init(_ row: ProductStateRow, columns: [String], links: Links, now: Timestamp) {
        name = row.product.name
        productURL = links.product(row.product.name)
        drift = row.drift
        let byName = Dictionary(row.cells.map { ($0.environment.name, $0.cell) }, uniquingKeysWith: { first, _ in first })
        cells = columns.map { MatrixCell(byName[$0], links: links, now: now) }
    }

    func child(named name: String) -> Any? {
        switch name {
        case "name": self.name
        case "productURL": productURL
        case "drift": drift
        case "cells": cells
        default: nil
        }
    }
}

/// The dashboard's addresses, under the server's base path.
struct Links: Sendable {
    let base: String

    var home: String { base + "/" }
    func product(_ name: String) -> String { base + "/ui/products/" + Formats.component(name) }
    func environment(_ name: String) -> String { base + "/ui/environments/" + Formats.component(name) }
    func version(_ id: EntityID) -> String { base + "/ui/versions/" + id.uuidString }
    func deployment(_ id: EntityID) -> String { base + "/ui/deployments/" + id.uuidString }
}

/// A link to a neighbouring page.
struct PageLink {
    let url: String
    let label: String
}

/// The links to the pages before and after this one.
struct Pager {
    let previous: PageLink?
    let next: PageLink?
    let label: String
}

/// One choice of a filter's `<select>`.
struct Option {
    let name: String
    let selected: Bool
}

/// A bar chart drawn by the server as SVG: one bar per bucket, optionally split in two
/// (successes and failures), with an optional trend line on a scale of its own.
struct Chart {
    struct Part { let kind: String; let x: String; let y: String; let w: String; let h: String }
    struct Bar { let tip: String; let parts: [Part] }
    struct Tick { let x: String; let y: String; let text: String }
    struct Key { let kind: String; let text: String }

    let id: String
    let caption: String
    static let canvasWidth = 480
    let width = Chart.canvasWidth
    let height = 150
    let baseline: Int
    let bars: [Bar]
    let line: String?
    let ticks: [Tick]
    let legend: [Key]

    /// - Parameters:
    ///   - stacks: per bucket, the heights of its parts (bottom first), in the bar's unit.
    ///   - kinds: the CSS class of each part (`ok`, `bad`, `bar`).
    ///   - trend: per bucket, a value drawn as a line scaled to the chart's height (nil: no point).
    ///   - labels: per bucket, its label (every few are written under the axis).
    ///   - tips: per bucket, the text a pointer shows.
    init(id: String, caption: String, stacks: [[Double]], kinds: [String], trend: [Double?] = [],
         labels: [String], tips: [String], legend: [Key]) {
        self.id = id
        self.caption = caption
        self.legend = legend
        let plotHeight = 120.0
        let baseline = Int(plotHeight) + 4
        self.baseline = baseline
        let count = max(stacks.count, 1)
        let slot = Double(Self.canvasWidth) / Double(count)
        let tallest = max(stacks.map { $0.reduce(0, +) }.max() ?? 0, 1)
        var bars: [Bar] = []
        for (index, stack) in stacks.enumerated() {
            var top = Double(baseline)
            var parts: [Part] = []
            for (part, value) in stack.enumerated() where value > 0 {
                let height = max(value / tallest * plotHeight, 1)
                top -= height
                parts.append(Part(kind: kinds[min(part, kinds.count - 1)], x: Self.number(Double(index) * slot + slot * 0.15),
                                  y: Self.number(top), w: Self.number(slot * 0.7), h: Self.number(height)))
            }
            bars.append(Bar(tip: index < tips.count ? tips[index] : "", parts: parts))
        }
        self.bars = bars
        let highest = trend.compactMap { $0 }.max() ?? 0
        let points = trend.enumerated().compactMap { index, value -> String? in
            guard let value else { return nil }
            let y = Double(baseline) - (highest > 0 ? value / highest * plotHeight : 0)
            return Self.number(Double(index) * slot + slot / 2) + "," + Self.number(y)
        }
        line = points.count > 1 ? points.joined(separator: " ") : nil
        let every = max(1, Int((Double(count) / 6).rounded(.up)))
        ticks = labels.enumerated().compactMap { index, label in
            index % every == 0 ? Tick(x: Self.number(Double(index) * slot + slot * 0.15), y: String(baseline + 16), text: label) : nil
        }
    }

    private static func number(_ value: Double) -> String { String(format: "%.1f", value) }
}
