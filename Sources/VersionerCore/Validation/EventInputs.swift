/// A validated deployment event, as a client sent it (spec §3, `POST /deployment-events/`).
public struct DeploymentEventInput: Hashable, Sendable {
    public var productName: String
    public var version: String
    public var environmentName: String
    public var status: Status
    public var deployedBy: String?
    public var deployedByEmail: String?
    public var deployedByName: String?
    public var scmSha: String?
    public var scmRepository: String?
    public var scmBranch: String?
    public var deployURL: String?
    public var buildNumber: String?
    public var sourceSystem: String?
    public var invokeID: String?
    public var startedAt: Timestamp?
    public var completedAt: Timestamp?
    public var extraMetadata: RawJSONObject?

    public init(productName: String, version: String, environmentName: String, status: Status,
                deployedBy: String? = nil, deployedByEmail: String? = nil, deployedByName: String? = nil,
                scmSha: String? = nil, scmRepository: String? = nil, scmBranch: String? = nil,
                deployURL: String? = nil, buildNumber: String? = nil, sourceSystem: String? = nil,
                invokeID: String? = nil, startedAt: Timestamp? = nil, completedAt: Timestamp? = nil,
                extraMetadata: RawJSONObject? = nil) {
        self.productName = productName
        self.version = version
        self.environmentName = environmentName
        self.status = status
        self.deployedBy = deployedBy
        self.deployedByEmail = deployedByEmail
        self.deployedByName = deployedByName
        self.scmSha = scmSha
        self.scmRepository = scmRepository
        self.scmBranch = scmBranch
        self.deployURL = deployURL
        self.buildNumber = buildNumber
        self.sourceSystem = sourceSystem
        self.invokeID = invokeID
        self.startedAt = startedAt
        self.completedAt = completedAt
        self.extraMetadata = extraMetadata
    }

    /// Validates a request body, reporting every invalid field at once. Unknown fields are ignored;
    /// `skip_preflight_checks` is accepted and ignored.
    public static func validate(_ body: [JSONMember]) -> Result<DeploymentEventInput, ValidationFailure> {
        var fields = FieldReader(body)
        let input = DeploymentEventInput(
            productName: fields.requiredString("product_name", maxLength: 255),
            version: fields.requiredString("version", maxLength: 100),
            environmentName: fields.requiredString("environment_name", maxLength: 100),
            status: fields.status("status", default: nil),
            deployedBy: fields.optionalString("deployed_by", maxLength: 255),
            deployedByEmail: fields.optionalString("deployed_by_email", maxLength: 255),
            deployedByName: fields.optionalString("deployed_by_name", maxLength: 255),
            scmSha: fields.optionalString("scm_sha", maxLength: 40),
            scmRepository: fields.optionalString("scm_repository", maxLength: 500),
            scmBranch: fields.optionalString("scm_branch", maxLength: 100),
            // `build_url` is an alias of `deploy_url`; `deploy_url` wins when both are sent.
            deployURL: fields.optionalString("deploy_url", maxLength: 500) ?? fields.optionalString("build_url", maxLength: 500),
            buildNumber: fields.optionalString("build_number", maxLength: 100),
            sourceSystem: fields.optionalString("source_system", maxLength: 50),
            invokeID: fields.optionalString("invoke_id", maxLength: 255),
            startedAt: fields.optionalTimestamp("started_at"),
            completedAt: fields.optionalTimestamp("completed_at"),
            extraMetadata: fields.optionalObject("extra_metadata")
        )
        return fields.errors.isEmpty ? .success(input) : .failure(ValidationFailure(fields.errors))
    }
}

/// A validated build event, as a client sent it (spec §3, `POST /build-events/`).
public struct BuildEventInput: Hashable, Sendable {
    public var productName: String
    public var version: String
    public var status: Status
    public var builtBy: String?
    public var builtByEmail: String?
    public var builtByName: String?
    public var scmSha: String?
    public var scmBranch: String?
    public var scmRepository: String?
    public var buildURL: String?
    public var buildNumber: String?
    public var sourceSystem: String?
    public var invokeID: String?
    public var startedAt: Timestamp?
    public var completedAt: Timestamp?
    public var errorMessage: String?
    public var errorCode: String?
    public var extraMetadata: RawJSONObject?

    public init(productName: String, version: String, status: Status = .completed,
                builtBy: String? = nil, builtByEmail: String? = nil, builtByName: String? = nil,
                scmSha: String? = nil, scmBranch: String? = nil, scmRepository: String? = nil,
                buildURL: String? = nil, buildNumber: String? = nil, sourceSystem: String? = nil,
                invokeID: String? = nil, startedAt: Timestamp? = nil, completedAt: Timestamp? = nil,
                errorMessage: String? = nil, errorCode: String? = nil, extraMetadata: RawJSONObject? = nil) {
        self.productName = productName
        self.version = version
        self.status = status
        self.builtBy = builtBy
        self.builtByEmail = builtByEmail
        self.builtByName = builtByName
        self.scmSha = scmSha
        self.scmBranch = scmBranch
        self.scmRepository = scmRepository
        self.buildURL = buildURL
        self.buildNumber = buildNumber
        self.sourceSystem = sourceSystem
        self.invokeID = invokeID
        self.startedAt = startedAt
        self.completedAt = completedAt
        self.errorMessage = errorMessage
        self.errorCode = errorCode
        self.extraMetadata = extraMetadata
    }

    /// Validates a request body, reporting every invalid field at once. `status` defaults to `completed`.
    public static func validate(_ body: [JSONMember]) -> Result<BuildEventInput, ValidationFailure> {
        var fields = FieldReader(body)
        let input = BuildEventInput(
            productName: fields.requiredString("product_name", maxLength: 255),
            version: fields.requiredString("version", maxLength: 100),
            status: fields.status("status", default: .completed),
            builtBy: fields.optionalString("built_by", maxLength: 255),
            builtByEmail: fields.optionalString("built_by_email", maxLength: 255),
            builtByName: fields.optionalString("built_by_name", maxLength: 255),
            scmSha: fields.optionalString("scm_sha", maxLength: 40),
            scmBranch: fields.optionalString("scm_branch", maxLength: 100),
            scmRepository: fields.optionalString("scm_repository", maxLength: 500),
            buildURL: fields.optionalString("build_url", maxLength: 500),
            buildNumber: fields.optionalString("build_number", maxLength: 100),
            sourceSystem: fields.optionalString("source_system", maxLength: 50),
            invokeID: fields.optionalString("invoke_id", maxLength: 255),
            startedAt: fields.optionalTimestamp("started_at"),
            completedAt: fields.optionalTimestamp("completed_at"),
            errorMessage: fields.optionalString("error_message", maxLength: 2000),
            errorCode: fields.optionalString("error_code", maxLength: 100),
            extraMetadata: fields.optionalObject("extra_metadata")
        )
        return fields.errors.isEmpty ? .success(input) : .failure(ValidationFailure(fields.errors))
    }
}
