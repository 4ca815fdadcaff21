import Foundation

/// The Kubernetes documents `platform create` applies, as Codable types. Rendered to JSONValue so the
/// project's `overrides` (RFC 7386 merge patches per kind) can be applied before they go out.
public enum Manifests {
    /// The numeric user and group the pods run as (every template's Dockerfile uses the same
    /// `USER 10001:10001`). Above 10000 so it never collides with a host user (checkov CKV_K8S_40).
    public static let runAsUser = 10001

    /// The Pod Security Standard a Namespace made by `create` enforces (and warns and audits).
    public static let podSecurityLevel = "restricted"

    /// `spec.progressDeadlineSeconds` of the Deployment: 300 s, deploy's default --timeout.
    public static let progressDeadlineSeconds = 300

    public struct ObjectMeta: Codable, Sendable, Equatable {
        public var name: String
        public var namespace: String?
        public var labels: [String: String]
        public var annotations: [String: String]?
    }

    /// What the spec of each kind of object says about it: the apiVersion and kind it goes with.
    public protocol ObjectSpec: Codable, Sendable, Equatable {
        static var apiVersion: String { get }
        static var kind: String { get }
    }

    /// An object with a spec (every kind below but Namespace and ServiceAccount): apiVersion and kind
    /// from the spec's type, so the two can never disagree.
    public struct Object<Spec: ObjectSpec>: Codable, Sendable, Equatable {
        public var apiVersion = Spec.apiVersion
        public var kind = Spec.kind
        public var metadata: ObjectMeta
        public var spec: Spec
    }

    public struct Namespace: Codable, Sendable, Equatable {
        public var apiVersion = "v1"
        public var kind = "Namespace"
        public var metadata: ObjectMeta
    }

    public struct ServiceAccount: Codable, Sendable, Equatable {
        public var apiVersion = "v1"
        public var kind = "ServiceAccount"
        public var metadata: ObjectMeta
        public var automountServiceAccountToken: Bool
    }

    public struct HTTPGetAction: Codable, Sendable, Equatable {
        public var path: String
        public var port: String
    }

    public struct Probe: Codable, Sendable, Equatable {
        public var httpGet: HTTPGetAction
        public var initialDelaySeconds: Int?
        public var periodSeconds: Int
        public var timeoutSeconds: Int?
        public var failureThreshold: Int
    }

    public struct ContainerPort: Codable, Sendable, Equatable {
        public var name: String
        public var containerPort: Int
        public var `protocol` = "TCP"
    }

    public struct Resources: Codable, Sendable, Equatable {
        public var requests: [String: String]?
        public var limits: [String: String]?
    }

    public struct Capabilities: Codable, Sendable, Equatable {
        public var drop: [String]
    }

    public struct SeccompProfile: Codable, Sendable, Equatable {
        public var type: String
    }

    public struct SecurityContext: Codable, Sendable, Equatable {
        public var allowPrivilegeEscalation: Bool
        public var capabilities: Capabilities
        public var privileged: Bool
        public var readOnlyRootFilesystem: Bool
        public var runAsNonRoot: Bool
        public var runAsUser: Int
        public var runAsGroup: Int
        public var seccompProfile: SeccompProfile
    }

    public struct PodSecurityContext: Codable, Sendable, Equatable {
        public var runAsNonRoot: Bool
        public var runAsUser: Int
        public var runAsGroup: Int
        public var fsGroup: Int
        public var seccompProfile: SeccompProfile
    }

    public struct VolumeMount: Codable, Sendable, Equatable {
        public var name: String
        public var mountPath: String
    }

    public struct EnvVar: Codable, Sendable, Equatable {
        public var name: String
        public var value: String
    }

    public struct Container: Codable, Sendable, Equatable {
        public var name: String
        public var image: String
        public var imagePullPolicy: String
        public var env: [EnvVar]
        public var ports: [ContainerPort]
        public var startupProbe: Probe
        public var readinessProbe: Probe
        public var livenessProbe: Probe
        public var resources: Resources
        public var securityContext: SecurityContext
        public var volumeMounts: [VolumeMount]
    }

    public struct Volume: Codable, Sendable, Equatable {
        public struct EmptyDir: Codable, Sendable, Equatable { public var sizeLimit: String }
        public var name: String
        public var emptyDir: EmptyDir
    }

    public struct LabelSelector: Codable, Sendable, Equatable {
        public var matchLabels: [String: String]
    }

    public struct TopologySpreadConstraint: Codable, Sendable, Equatable {
        public var maxSkew: Int
        public var topologyKey: String
        public var whenUnsatisfiable: String
        public var labelSelector: LabelSelector
        public var matchLabelKeys: [String]
    }

    public struct PodSpec: Codable, Sendable, Equatable {
        public var serviceAccountName: String
        public var automountServiceAccountToken: Bool
        public var securityContext: PodSecurityContext
        public var containers: [Container]
        public var volumes: [Volume]
        public var topologySpreadConstraints: [TopologySpreadConstraint]?
    }

    public struct PodTemplate: Codable, Sendable, Equatable {
        public struct Metadata: Codable, Sendable, Equatable {
            public var labels: [String: String]
            public var annotations: [String: String]?
        }
        public var metadata: Metadata
        public var spec: PodSpec
    }

    public enum Deployment {
        public struct Spec: ObjectSpec {
            public static let apiVersion = "apps/v1"
            public static let kind = "Deployment"
            /// nil with an HPA: the autoscaler owns it.
            public var replicas: Int?
            /// The Deployment's own verdict on a stuck rollout, equal to deploy's default --timeout
            /// (the API server's default, 600 s, would never fire within it; see docs/deploy.md).
            public var progressDeadlineSeconds: Int = Manifests.progressDeadlineSeconds
            public var selector: LabelSelector
            public var template: PodTemplate
        }
    }

    public struct ServicePort: Codable, Sendable, Equatable {
        public var name: String
        public var port: Int
        public var targetPort: String
        public var `protocol` = "TCP"
    }

    public enum Service {
        public struct Spec: ObjectSpec {
            public static let apiVersion = "v1"
            public static let kind = "Service"
            public var type = "ClusterIP"
            public var selector: [String: String]
            public var ports: [ServicePort]
        }
    }

    public enum Ingress {
        public struct ServiceBackendPort: Codable, Sendable, Equatable { public var name: String }
        public struct ServiceBackend: Codable, Sendable, Equatable {
            public var name: String
            public var port: ServiceBackendPort
        }
        public struct Backend: Codable, Sendable, Equatable { public var service: ServiceBackend }
        public struct Path: Codable, Sendable, Equatable {
            public var path: String
            public var pathType: String
            public var backend: Backend
        }
        public struct HTTP: Codable, Sendable, Equatable { public var paths: [Path] }
        public struct Rule: Codable, Sendable, Equatable {
            public var host: String
            public var http: HTTP
        }
        public struct TLS: Codable, Sendable, Equatable {
            public var hosts: [String]
            public var secretName: String
        }
        public struct Spec: ObjectSpec {
            public static let apiVersion = "networking.k8s.io/v1"
            public static let kind = "Ingress"
            public var ingressClassName: String
            public var tls: [TLS]?
            public var rules: [Rule]
        }
    }

    public enum ServiceMonitor {
        public struct Endpoint: Codable, Sendable, Equatable {
            public var port: String
            public var path: String
            public var interval: String
        }
        public struct Spec: ObjectSpec {
            public static let apiVersion = "monitoring.coreos.com/v1"
            public static let kind = "ServiceMonitor"
            public var selector: LabelSelector
            public var endpoints: [Endpoint]
        }
    }

    public enum NetworkPolicy {
        public struct Peer: Codable, Sendable, Equatable {
            public var namespaceSelector: LabelSelector?
            public var podSelector: LabelSelector?
        }
        public struct Port: Codable, Sendable, Equatable {
            public var port: String
            public var `protocol` = "TCP"
        }
        public struct IngressRule: Codable, Sendable, Equatable {
            public var from: [Peer]
            public var ports: [Port]?
        }
        public struct Spec: ObjectSpec {
            public static let apiVersion = "networking.k8s.io/v1"
            public static let kind = "NetworkPolicy"
            public var podSelector: LabelSelector
            public var policyTypes: [String]
            /// nil with policyTypes Ingress: nothing may come in (an empty list is dropped by the API
            /// server, so it is never sent: a rerun would always see a change).
            public var ingress: [IngressRule]?
            public var egress: [JSONValue]?
        }
    }

    public enum PodDisruptionBudget {
        public struct Spec: ObjectSpec {
            public static let apiVersion = "policy/v1"
            public static let kind = "PodDisruptionBudget"
            public var maxUnavailable: Int
            public var selector: LabelSelector
        }
    }

    public enum HorizontalPodAutoscaler {
        public struct Target: Codable, Sendable, Equatable {
            public var apiVersion = "apps/v1"
            public var kind = "Deployment"
            public var name: String
        }
        public struct Utilization: Codable, Sendable, Equatable {
            public var type = "Utilization"
            public var averageUtilization: Int
        }
        public struct ResourceMetric: Codable, Sendable, Equatable {
            public var name: String
            public var target: Utilization
        }
        public struct Metric: Codable, Sendable, Equatable {
            public var type = "Resource"
            public var resource: ResourceMetric
        }
        public struct Spec: ObjectSpec {
            public static let apiVersion = "autoscaling/v2"
            public static let kind = "HorizontalPodAutoscaler"
            public var scaleTargetRef: Target
            public var minReplicas: Int
            public var maxReplicas: Int
            public var metrics: [Metric]
        }
    }

    /// What the manifests are rendered from.
    public struct Input: Sendable, Equatable {
        public var name: String
        public var environment: String
        public var image: String
        public var replicas: Int
        public var port: Int
        public var metricsPort: Int
        public var host: String
        public var healthPath: String
        public var metricsPath: String
        public var resources: ResourceSettings
        public var serviceMonitor: Bool
        public var overrides: [String: JSONValue]
        public var autoscale: AutoscaleSettings?
        public var serviceAccountToken: Bool
        public var ingress: IngressSettings
        public var networkPolicy: NetworkPolicySettings
        /// Recorded on the Deployment (ReleaseCommand.annotation) for deploy's release phase.
        public var releaseCommand: [String]?

        public init(name: String, environment: String, image: String, replicas: Int, port: Int, host: String,
                    healthPath: String, metricsPath: String, resources: ResourceSettings, serviceMonitor: Bool,
                    overrides: [String: JSONValue] = [:], metricsPort: Int = 9090, autoscale: AutoscaleSettings? = nil,
                    serviceAccountToken: Bool = false, ingress: IngressSettings = IngressSettings(),
                    networkPolicy: NetworkPolicySettings = NetworkPolicySettings()) {
            self.name = name
            self.environment = environment
            self.image = image
            self.replicas = replicas
            self.port = port
            self.metricsPort = metricsPort
            self.host = host
            self.healthPath = healthPath
            self.metricsPath = metricsPath
            self.resources = resources
            self.serviceMonitor = serviceMonitor
            self.overrides = overrides
            self.autoscale = autoscale
            self.serviceAccountToken = serviceAccountToken
            self.ingress = ingress
            self.networkPolicy = networkPolicy
        }

        public init(settings: AppSettings, image: String, serviceMonitor: Bool) {
            self.init(name: settings.name, environment: settings.environment.value, image: image,
                      replicas: settings.replicas.value, port: settings.port.value, host: settings.host,
                      healthPath: settings.healthPath.value, metricsPath: settings.metricsPath.value,
                      resources: settings.resources.value, serviceMonitor: serviceMonitor, overrides: settings.overrides,
                      metricsPort: settings.metricsPort.value, autoscale: settings.autoscale.value,
                      serviceAccountToken: settings.serviceAccountToken, ingress: settings.ingress.value,
                      networkPolicy: settings.networkPolicy.value)
            releaseCommand = settings.releaseCommand
        }

        /// The fewest pods the app runs with: `replicas`, or the autoscaler's minimum.
        public var minimumReplicas: Int { autoscale?.min ?? replicas }
    }

    /// The recommended labels shared with deploy/status/destroy.
    public static func labels(name: String, environment: String) -> [String: String] {
        [
            "app.kubernetes.io/name": name,
            "app.kubernetes.io/instance": "\(name)-\(environment)",
            "app.kubernetes.io/managed-by": "platform",
            "platform.dev/environment": environment,
        ]
    }

    /// The conventional annotations Prometheus' kubernetes_sd `pod` role scrapes by (used when the
    /// cluster has no Prometheus Operator, so no ServiceMonitor can be made).
    public static func scrapeAnnotations(port: Int, path: String) -> [String: String] {
        ["prometheus.io/scrape": "true", "prometheus.io/port": String(port), "prometheus.io/path": path]
    }

    /// The label every namespace carries with its own name (set by the API server since 1.21), which
    /// NetworkPolicy peers select namespaces by.
    public static let namespaceNameLabel = "kubernetes.io/metadata.name"

    /// Namespace, ServiceAccount, Deployment, Service, Ingress, NetworkPolicy (the app's and its tasks') and, when they apply,
    /// PodDisruptionBudget (2+ replicas), HorizontalPodAutoscaler (`autoscale`) and ServiceMonitor
    /// (the cluster has the CRD); overrides applied.
    public static func render(_ input: Input) throws -> [JSONValue] {
        let labels = labels(name: input.name, environment: input.environment)
        let selector = ["app.kubernetes.io/name": input.name]
        let podSelector = LabelSelector(matchLabels: selector)
        // The Namespace is shared by every app of the environment, so it carries only the labels
        // they agree on (app labels on it would flip with each app's create), plus Pod Security
        // admission's labels (https://kubernetes.io/docs/concepts/security/pod-security-admission/).
        var namespaceLabels = labels.filter { $0.key == "app.kubernetes.io/managed-by" || $0.key == "platform.dev/environment" }
        for mode in ["enforce", "warn", "audit"] {
            namespaceLabels["pod-security.kubernetes.io/\(mode)"] = podSecurityLevel
            namespaceLabels["pod-security.kubernetes.io/\(mode)-version"] = "latest"
        }
        func meta(annotations: [String: String]? = nil) -> ObjectMeta {
            ObjectMeta(name: input.name, namespace: input.environment, labels: labels, annotations: annotations)
        }
        func probe(period: Int, failures: Int) -> Probe {
            Probe(httpGet: HTTPGetAction(path: input.healthPath, port: "http"), initialDelaySeconds: nil,
                  periodSeconds: period, timeoutSeconds: 2, failureThreshold: failures)
        }
        let seccomp = SeccompProfile(type: "RuntimeDefault")
        let container = Container(
            name: input.name, image: input.image,
            // Always: the kubelet checks the registry (cheap when the layers are cached), so a pod
            // never runs a cached image its node pulled for someone allowed to, and tags are re-resolved.
            imagePullPolicy: "Always",
            env: [EnvVar(name: "PORT", value: String(input.port)), EnvVar(name: "METRICS_PORT", value: String(input.metricsPort))],
            ports: [ContainerPort(name: "http", containerPort: input.port),
                    ContainerPort(name: "metrics", containerPort: input.metricsPort)],
            // Up to 60 s to start before liveness applies (slow starters are not killed).
            startupProbe: probe(period: 2, failures: 30),
            readinessProbe: probe(period: 5, failures: 3),
            livenessProbe: probe(period: 10, failures: 3),
            resources: Resources(requests: input.resources.requests, limits: input.resources.limits),
            securityContext: SecurityContext(
                allowPrivilegeEscalation: false, capabilities: Capabilities(drop: ["ALL"]), privileged: false,
                readOnlyRootFilesystem: true, runAsNonRoot: true, runAsUser: runAsUser, runAsGroup: runAsUser,
                seccompProfile: seccomp),
            volumeMounts: [VolumeMount(name: "tmp", mountPath: "/tmp")])
        // Soft spreading (ScheduleAnyway): a one-zone or small cluster still schedules every pod.
        // matchLabelKeys pod-template-hash spreads each rollout's pods on their own (Kubernetes docs,
        // "Pod Topology Spread Constraints").
        func spread(over topologyKey: String) -> TopologySpreadConstraint {
            TopologySpreadConstraint(maxSkew: 1, topologyKey: topologyKey, whenUnsatisfiable: "ScheduleAnyway",
                                     labelSelector: podSelector, matchLabelKeys: ["pod-template-hash"])
        }
        let spreading = input.minimumReplicas >= 2
            ? [spread(over: "topology.kubernetes.io/zone"), spread(over: "kubernetes.io/hostname")] : nil
        let podAnnotations = input.serviceMonitor ? nil : scrapeAnnotations(port: input.metricsPort, path: input.metricsPath)
        let podSpec = PodSpec(
            serviceAccountName: input.name, automountServiceAccountToken: input.serviceAccountToken,
            securityContext: PodSecurityContext(runAsNonRoot: true, runAsUser: runAsUser, runAsGroup: runAsUser,
                                                fsGroup: runAsUser, seccompProfile: seccomp),
            containers: [container],
            volumes: [Volume(name: "tmp", emptyDir: .init(sizeLimit: "64Mi"))],
            topologySpreadConstraints: spreading)
        let deployment = Object(
            metadata: meta(annotations: input.releaseCommand.map { [ReleaseCommand.annotation: ReleaseCommand.encoded($0)] }),
            spec: Deployment.Spec(replicas: input.autoscale == nil ? input.replicas : nil, selector: podSelector,
                                  template: PodTemplate(metadata: .init(labels: labels, annotations: podAnnotations), spec: podSpec)))
        let service = Object(metadata: meta(), spec: Service.Spec(selector: selector, ports: [
            ServicePort(name: "http", port: 80, targetPort: "http"),
            ServicePort(name: "metrics", port: input.metricsPort, targetPort: "metrics"),
        ]))
        let tls = input.ingress.tls
        let ingress = Object(
            metadata: meta(annotations: tls?.clusterIssuer.map { [IngressSettings.clusterIssuerAnnotation: $0] }),
            spec: Ingress.Spec(ingressClassName: input.ingress.className,
                               tls: tls.map { _ in [.init(hosts: [input.host], secretName: IngressSettings.secretName(input.name))] },
                               rules: [
                                   // Only port `http`: /metrics is on `metrics`, which no Ingress routes.
                                   .init(host: input.host, http: .init(paths: [
                                       .init(path: "/", pathType: "Prefix",
                                             backend: .init(service: .init(name: input.name, port: .init(name: "http")))),
                                   ])),
                               ]))
        func namespacePeer(_ namespace: String) -> NetworkPolicy.Peer {
            .init(namespaceSelector: LabelSelector(matchLabels: [namespaceNameLabel: namespace]), podSelector: nil)
        }
        let egress = input.networkPolicy.egress
        // The app's one-off tasks (`platform run`, the release command) run in pods without the app's
        // selector label (TaskJob), so the app's policy does not select them: their own policy holds
        // them to the same egress and lets nothing in; the app's pods accept them as their own.
        let taskSelector = LabelSelector(matchLabels: [TaskJob.taskOfLabel: input.name])
        let networkPolicy = Object(metadata: meta(), spec: NetworkPolicy.Spec(
            podSelector: podSelector,
            policyTypes: egress == nil ? ["Ingress"] : ["Ingress", "Egress"],
            ingress: [
                .init(from: [namespacePeer(input.networkPolicy.ingressNamespace)], ports: [.init(port: "http")]),
                .init(from: [namespacePeer(input.networkPolicy.monitoringNamespace)], ports: [.init(port: "metrics")]),
                .init(from: [.init(namespaceSelector: nil, podSelector: podSelector),
                             .init(namespaceSelector: nil, podSelector: taskSelector)], ports: nil),
            ],
            egress: egress))
        let taskPolicy = Object(
            metadata: ObjectMeta(name: "\(input.name)-tasks", namespace: input.environment, labels: labels, annotations: nil),
            spec: NetworkPolicy.Spec(podSelector: taskSelector, policyTypes: egress == nil ? ["Ingress"] : ["Ingress", "Egress"],
                                     ingress: nil, egress: egress))
        var objects: [any Encodable] = [
            Namespace(metadata: ObjectMeta(name: input.environment, namespace: nil, labels: namespaceLabels)),
            ServiceAccount(metadata: meta(), automountServiceAccountToken: input.serviceAccountToken),
            deployment, service, ingress, networkPolicy, taskPolicy,
        ]
        if input.minimumReplicas >= 2 {
            objects.append(Object(metadata: meta(), spec: PodDisruptionBudget.Spec(maxUnavailable: 1, selector: podSelector)))
        }
        if let autoscale = input.autoscale {
            objects.append(Object(metadata: meta(), spec: HorizontalPodAutoscaler.Spec(
                scaleTargetRef: .init(name: input.name), minReplicas: autoscale.min, maxReplicas: autoscale.max,
                metrics: [.init(resource: .init(name: "cpu", target: .init(averageUtilization: autoscale.cpu)))])))
        }
        if input.serviceMonitor {
            objects.append(Object(metadata: meta(), spec: ServiceMonitor.Spec(
                selector: podSelector, endpoints: [.init(port: "metrics", path: input.metricsPath, interval: "30s")])))
        }
        return try objects.map { try JSONValue(encoding: $0) }.map { document in
            guard let kind = document["kind"]?.stringValue, let patch = input.overrides[kind] else { return document }
            if let path = OverridePolicy.forbiddenPath(in: patch, kind: kind) {
                throw PlatformError.invalidInput(
                    "overrides.\(kind).\(path.joined(separator: ".")) is not allowed: \(OverridePolicy.allowedText)")
            }
            let patched = document.merging(patch: patch)
            // The patch was checked; the object must still be the same one (kind, apiVersion, name, namespace).
            guard ObjectReference(patched) == ObjectReference(document),
                  patched["apiVersion"] == document["apiVersion"] else {
                throw PlatformError.invalidInput("overrides.\(kind) would change which object is applied: \(OverridePolicy.allowedText)")
            }
            return patched
        }
    }
}

/// One object as the user sees it in results (`Deployment/shop`).
public struct ObjectReference: Codable, Sendable, Equatable, CustomStringConvertible {
    public var kind: String
    public var name: String
    public var namespace: String?

    public init(kind: String, name: String, namespace: String?) {
        self.kind = kind
        self.name = name
        self.namespace = namespace
    }

    public init?(_ document: JSONValue) {
        guard let kind = document["kind"]?.stringValue, let name = document["metadata", "name"]?.stringValue else { return nil }
        self.init(kind: kind, name: name, namespace: document["metadata", "namespace"]?.stringValue)
    }

    public var description: String { "\(kind)/\(name)" }
}
