import Foundation

/// Resource requests and limits for the app's container (`{"requests": {"cpu": "100m"}, "limits": {...}}`).
public struct ResourceSettings: Codable, Sendable, Equatable {
    public var requests: [String: String]?
    public var limits: [String: String]?

    public init(requests: [String: String]? = nil, limits: [String: String]? = nil) {
        self.requests = requests
        self.limits = limits
    }

    /// The defaults. The CPU limit (1 CPU, 10x the request) only stops a runaway pod from taking a
    /// node's CPU: the kernel's CFS quota throttles a container in every 100 ms period it goes over its
    /// limit, which shows as latency, so the limit sits well above what a one-process service needs
    /// when it bursts (a single gunicorn worker cannot use more than about one CPU anyway). Memory
    /// is limited at twice the request, since going over the limit is an OOM kill, not a slowdown.
    public static let builtIn = ResourceSettings(requests: ["cpu": "100m", "memory": "128Mi"],
                                                 limits: ["cpu": "1", "memory": "256Mi"])
}

/// Where Terraform keeps state: `{"type": "s3", "config": {...}}` becomes `terraform.backend.s3`.
public struct BackendSettings: Codable, Sendable, Equatable {
    public var type: String
    public var config: [String: JSONValue]?

    public init(type: String, config: [String: JSONValue]? = nil) {
        self.type = type
        self.config = config
    }
}

/// The user config, `$XDG_CONFIG_HOME/platform/config.json` (else `~/.config/platform/config.json`), and the
/// organisation configs of the same shape (`ConfigLayers`), which may also list `locked` keys.
public struct UserConfig: Codable, Sendable, Equatable {
    public struct Environment: Codable, Sendable, Equatable {
        public var kubeContext: String?
        public var domain: String?
        /// Changes here (deploy, promote, rollback, vars/secrets, destroy) ask first on a terminal and
        /// need `--yes` in scripts.
        public var protected: Bool?
        /// The IngressClass of this environment's Ingresses.
        public var ingressClass: String?
        /// TLS at the ingress (Secret `NAME-tls`, optionally from a cert-manager ClusterIssuer).
        public var tls: IngressSettings.TLS?

        enum CodingKeys: String, CodingKey {
            case kubeContext = "kube_context"
            case domain
            case protected
            case ingressClass = "ingress_class"
            case tls
        }

        public init(kubeContext: String? = nil, domain: String? = nil, protected: Bool? = nil,
                    ingressClass: String? = nil, tls: IngressSettings.TLS? = nil) {
            self.kubeContext = kubeContext
            self.domain = domain
            self.protected = protected
            self.ingressClass = ingressClass
            self.tls = tls
        }
    }

    public var domain: String?
    public var moduleSource: String?
    public var backend: BackendSettings?
    public var environments: [String: Environment]?
    public var defaultEnvironment: String?
    public var resources: ResourceSettings?
    public var instanceType: String?
    public var replicas: Int?
    /// The CI/CD pipeline `scaffold` includes when `--ci` is not given: github, gitlab or none.
    public var ci: String?
    /// The order builds move through environments (`["development", "staging", "prod"]`):
    /// `promote --to ENV` takes the stage before ENV and refuses to skip one unless `--from` is given.
    public var promotion: [String]?
    /// Where templates come from before the bundled ones: `git+URL[//SUBDIR][@REF]` or a folder.
    public var templatesSource: String?
    /// The IngressClass for environments that do not name one.
    public var ingressClass: String?
    public var networkPolicy: NetworkPolicySettings?

    enum CodingKeys: String, CodingKey {
        case domain
        case moduleSource = "module_source"
        case backend, environments
        case defaultEnvironment = "default_environment"
        case resources
        case instanceType = "instance_type"
        case replicas
        case ci
        case promotion
        case templatesSource = "templates_source"
        case ingressClass = "ingress_class"
        case networkPolicy = "network_policy"
    }

    public init() {}

    static let keys = CodingKeys.allKeys
}

/// The project config, `platform.json` in the current folder or a parent (written by the templates).
public struct ProjectConfig: Codable, Sendable, Equatable {
    public var name: String?
    public var port: Int?
    /// Image repository without tag.
    public var image: String?
    public var healthPath: String?
    public var metricsPath: String?
    public var replicas: Int?
    public var instanceType: String?
    public var resources: ResourceSettings?
    /// RFC 7386 merge patches per kind, applied to the rendered documents.
    public var overrides: [String: JSONValue]?
    /// The port `/metrics` is served on (named `metrics`; never routed by the Ingress).
    public var metricsPort: Int?
    public var autoscale: AutoscaleSettings?
    /// Mount the ServiceAccount token into the pods (only for apps that call the Kubernetes API).
    public var serviceAccountToken: Bool?
    /// The release command (an argv array): run as a task with the new image before each deploy and
    /// promote takes traffic (ReleaseCommand).
    public var release: [String]?

    enum CodingKeys: String, CodingKey {
        case name, port, image, healthPath, metricsPath, replicas
        case instanceType = "instance_type"
        case resources, overrides, metricsPort, autoscale, serviceAccountToken, release
    }

    public init() {}

    static let keys = CodingKeys.allKeys
}

extension UserConfig.CodingKeys: CaseIterable {
    static var allKeys: [String] { allCases.map(\.rawValue) }
}

extension ProjectConfig.CodingKeys: CaseIterable {
    static var allKeys: [String] { allCases.map(\.rawValue) }
}

extension UserConfig.Environment.CodingKeys: CaseIterable {}

extension UserConfig.Environment {
    /// The keys an `environments.NAME` entry may have.
    static let keys = CodingKeys.allCases.map(\.rawValue)
}
