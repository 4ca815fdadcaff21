import Foundation

/// What the command line says (nil = not given).
public struct SettingsFlags: Sendable, Equatable {
    public var name: String
    public var environment: String?
    public var image: String?
    public var replicas: Int?
    public var port: Int?
    public var instanceType: String?
    public var kubeContext: String?
    public var kubeconfig: String?
    public var variables: [String: String]

    public init(name: String, environment: String? = nil, image: String? = nil, replicas: Int? = nil, port: Int? = nil,
                instanceType: String? = nil, kubeContext: String? = nil, kubeconfig: String? = nil,
                variables: [String: String] = [:]) {
        self.name = name
        self.environment = environment
        self.image = image
        self.replicas = replicas
        self.port = port
        self.instanceType = instanceType
        self.kubeContext = kubeContext
        self.kubeconfig = kubeconfig
        self.variables = variables
    }
}

/// The merged settings for one app in one environment, each with its origin.
public struct AppSettings: Sendable, Equatable {
    public var name: String
    public var environment: Sourced<String>
    public var image: Sourced<String>
    public var replicas: Sourced<Int>
    public var port: Sourced<Int>
    public var instanceType: Sourced<String>
    public var domain: Sourced<String>
    /// nil: the bundled application module.
    public var moduleSource: Sourced<String?>
    /// nil: local state in the workspace.
    public var backend: Sourced<BackendSettings?>
    public var kubeContext: Sourced<String?>
    public var kubeconfig: String?
    public var resources: Sourced<ResourceSettings>
    public var healthPath: Sourced<String>
    public var metricsPath: Sourced<String>
    public var overrides: [String: JSONValue]
    /// `--set` values, passed to Terraform as `TF_VAR_` variables.
    public var variables: [String: String]
    public var userConfigPath: String
    public var projectConfigPath: String?
    /// Every user and organisation config file looked at, lowest precedence first.
    public var configLayers: [ConfigLayer]
    /// nil: the bundled templates only.
    public var templatesSource: Sourced<String?>
    /// The port `/metrics` is served on, named `metrics`.
    public var metricsPort = Sourced(9090, .builtIn)
    /// nil: no HorizontalPodAutoscaler; `replicas` is set by create.
    public var autoscale = Sourced<AutoscaleSettings?>(nil, .builtIn)
    /// Whether the pods get the ServiceAccount token (off unless the project asks).
    public var serviceAccountToken = false
    /// platform.json `release`: recorded on the Deployment for deploy's release phase.
    public var releaseCommand: [String]?
    public var ingress = Sourced(IngressSettings(), .builtIn)
    public var networkPolicy = Sourced(NetworkPolicySettings(), .builtIn)

    /// Whether the image was chosen on purpose (a flag), so it may replace what runs in the cluster.
    public var imageIsExplicit: Bool {
        if case .flag = image.source { return true }
        return false
    }

    public var host: String { "\(name).\(environment.value).\(domain.value)" }
    /// `https` only when the environment's Ingress has TLS.
    public var url: String { (ingress.value.tls == nil ? "http://" : "https://") + host }

    /// Every setting as (key, shown value, origin), for `platform config show`.
    public var origins: [(key: String, value: String, source: SettingSource)] {
        func show(_ value: ResourceSettings) -> String {
            (try? JSONValue(encoding: value).encoded()).map { String(decoding: $0, as: UTF8.self) } ?? ""
        }
        return [
            ("environment", environment.value, environment.source),
            ("image", image.value, image.source),
            ("replicas", String(replicas.value), replicas.source),
            ("port", String(port.value), port.source),
            ("instance_type", instanceType.value, instanceType.source),
            ("domain", domain.value, domain.source),
            ("module_source", moduleSource.value ?? "(bundled application module)", moduleSource.source),
            ("backend", backend.value?.type ?? "local", backend.source),
            ("kube_context", kubeContext.value ?? "(kubeconfig's current context)", kubeContext.source),
            ("resources", show(resources.value), resources.source),
            ("healthPath", healthPath.value, healthPath.source),
            ("metricsPath", metricsPath.value, metricsPath.source),
            ("templates_source", templatesSource.value ?? "(bundled templates)", templatesSource.source),
            ("metricsPort", String(metricsPort.value), metricsPort.source),
            ("autoscale", autoscale.value.map { "min \($0.min), max \($0.max), cpu \($0.cpu)%" } ?? "(off)", autoscale.source),
            ("ingress_class", ingress.value.className, ingress.source),
            ("tls", ingress.value.tls.map { "secret \(IngressSettings.secretName(name))" + ($0.clusterIssuer.map { " from cluster issuer \($0)" } ?? "") } ?? "(off)", ingress.source),
            ("network_policy", "from namespaces \(networkPolicy.value.ingressNamespace) (http), \(networkPolicy.value.monitoringNamespace) (metrics); egress " + (networkPolicy.value.egress == nil ? "open" : "restricted"), networkPolicy.source),
        ]
    }
}
