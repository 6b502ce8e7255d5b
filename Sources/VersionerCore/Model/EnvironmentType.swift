/// The kind of an environment, classified from its name (docs/API.md §4).
public enum EnvironmentType: String, Sendable, CaseIterable, Hashable {
    case dev
    case test
    case staging
    case production
    case other

    /// The order environments are shown in: dev, test, staging, production, other.
    public var displayRank: Int {
        switch self {
        case .dev: return 0
        case .test: return 1
        case .staging: return 2
        case .production: return 3
        case .other: return 4
        }
    }

    private static let tokens: [(EnvironmentType, Set<String>)] = [
        (.production, ["production", "prod", "live"]),
        (.staging, ["staging", "stage", "uat", "preprod"]),
        (.test, ["test", "testing", "qa", "integration"]),
        (.dev, ["dev", "development", "local", "sandbox"]),
    ]

    /// Classifies a name by its tokens (split on anything not a letter or digit), case-insensitive.
    /// The first match in the order production, staging, test, dev wins; no match is `other`.
    public init(classifying name: String) {
        var words = Set<String>()
        var current = ""
        for scalar in name.lowercased().unicodeScalars {
            if scalar.properties.isAlphabetic || scalar.properties.numericType != nil {
                current.unicodeScalars.append(scalar)
            } else if !current.isEmpty {
                words.insert(current)
                current = ""
            }
        }
        if !current.isEmpty { words.insert(current) }
        for (type, known) in Self.tokens where !words.isDisjoint(with: known) {
            self = type
            return
        }
        self = .other
    }
}
