/// A validated `POST /products/` body.
public struct NewProduct: Hashable, Sendable {
    public var name: String
    public var description: String?
    public var extraMetadata: RawJSONObject

    public init(name: String, description: String? = nil, extraMetadata: RawJSONObject = .empty) {
        self.name = name
        self.description = description
        self.extraMetadata = extraMetadata
    }

    public static func validate(_ body: [JSONMember]) -> Result<NewProduct, ValidationFailure> {
        var fields = FieldReader(body)
        let product = NewProduct(
            name: fields.requiredString("name", maxLength: 255),
            description: fields.optionalString("description", maxLength: 2000),
            extraMetadata: fields.optionalObject("extra_metadata") ?? .empty)
        return fields.errors.isEmpty ? .success(product) : .failure(ValidationFailure(fields.errors))
    }
}

/// A validated `PATCH /products/{id}` body: absent fields stay as they are.
public struct ProductPatch: Hashable, Sendable {
    public var name: String?
    /// `.some(nil)` clears the description.
    public var description: String??
    /// Replaces the metadata when present.
    public var extraMetadata: RawJSONObject?

    public init(name: String? = nil, description: String?? = nil, extraMetadata: RawJSONObject? = nil) {
        self.name = name
        self.description = description
        self.extraMetadata = extraMetadata
    }

    public static func validate(_ body: [JSONMember]) -> Result<ProductPatch, ValidationFailure> {
        var fields = FieldReader(body)
        let patch = ProductPatch(
            name: fields.has("name") ? fields.requiredString("name", maxLength: 255) : nil,
            description: fields.patchString("description", maxLength: 2000),
            extraMetadata: fields.has("extra_metadata") ? (fields.optionalObject("extra_metadata") ?? .empty) : nil)
        return fields.errors.isEmpty ? .success(patch) : .failure(ValidationFailure(fields.errors))
    }

    func applied(to product: Product) -> Product {
        var product = product
        if let name { product.name = name }
        if let description { product.description = description }
        if let extraMetadata { product.extraMetadata = extraMetadata }
        return product
    }
}

/// A validated `PATCH /environments/{id}` body: absent fields stay as they are.
///
/// A rename classifies the type again from the new name, unless the patch sets `type` itself.
public struct EnvironmentPatch: Hashable, Sendable {
    public var name: String?
    public var type: EnvironmentType?
    /// `.some(nil)` clears the description.
    public var description: String??
    /// Replaces the metadata when present.
    public var metadata: RawJSONObject?

    public init(name: String? = nil, type: EnvironmentType? = nil, description: String?? = nil, metadata: RawJSONObject? = nil) {
        self.name = name
        self.type = type
        self.description = description
        self.metadata = metadata
    }

    public static func validate(_ body: [JSONMember]) -> Result<EnvironmentPatch, ValidationFailure> {
        var fields = FieldReader(body)
        var patch = EnvironmentPatch(
            name: fields.has("name") ? fields.requiredString("name", maxLength: 100) : nil,
            description: fields.patchString("description", maxLength: 2000),
            metadata: fields.has("metadata") ? (fields.optionalObject("metadata") ?? .empty) : nil)
        var errors = fields.errors
        if fields.has("type") {
            var typeField = FieldReader(body)
            let word = typeField.optionalString("type", maxLength: 20)
            if let word, let type = EnvironmentType(rawValue: word) {
                patch.type = type
            } else {
                errors.append(FieldError(["body", "type"], .notOneOf(EnvironmentType.allCases.map(\.rawValue))))
            }
        }
        return errors.isEmpty ? .success(patch) : .failure(ValidationFailure(errors))
    }

    func applied(to environment: Environment) -> Environment {
        var environment = environment
        if let name, name != environment.name {
            environment.name = name
            environment.type = EnvironmentType(classifying: name)
        }
        if let type { environment.type = type }
        if let description { environment.description = description }
        if let metadata { environment.metadata = metadata }
        return environment
    }
}

/// A validated `POST /api-keys/` body.
public struct NewKey: Hashable, Sendable {
    public var name: String
    public var description: String?
    public var scopes: [Scope]

    public init(name: String, description: String? = nil, scopes: [Scope]) {
        self.name = name
        self.description = description
        self.scopes = scopes
    }

    public static func validate(_ body: [JSONMember]) -> Result<NewKey, ValidationFailure> {
        var fields = FieldReader(body)
        let name = fields.requiredString("name", maxLength: 255)
        let description = fields.optionalString("description", maxLength: 2000)
        var errors = fields.errors
        var scopes: [Scope] = []
        let accepted = Scope.allCases.map(\.rawValue)
        switch body.last(where: { $0.key == "scopes" })?.value {
        case .array(let words)? where !words.isEmpty:
            for (index, word) in words.enumerated() {
                if let scope = word.stringValue.flatMap(Scope.init(rawValue:)) {
                    scopes.append(scope)
                } else {
                    errors.append(FieldError(["body", "scopes", String(index)], .notOneOf(accepted)))
                }
            }
        case nil, .null?, .array?:
            errors.append(FieldError(["body", "scopes"], .missing))
        default:
            errors.append(FieldError(["body", "scopes"], .notOneOf(accepted)))
        }
        return errors.isEmpty ? .success(NewKey(name: name, description: description, scopes: scopes))
            : .failure(ValidationFailure(errors))
    }
}
