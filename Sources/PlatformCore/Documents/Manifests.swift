import Foundation

/// The Kubernetes documents `platform create` applies, as Codable types. Rendered to JSONValue so the
/// project's `overrides` (RFC 7386 merge patches per kind) can be applied before they go out.
public enum Manifests {
    /// `spec.progressDeadlineSeconds` of the Deployment: 300 s, deploy's default --timeout.
    public static let progressDeadlineSeconds = 300

    public struct ObjectMeta: Codable, Sendable, Equatable {
        public var name: String
        public var namespace: String?
        public var labels: [String: String]
        public var annotations: [String: String]?
    }

    public struct Namespace: Codable, Sendable, Equatable {
        public var apiVersion = "v1"
        public var kind = "Namespace"
        public var metadata: ObjectMeta
    }

    public struct HTTPGetAction: Codable, Sendable, Equatable {
        public var path: String
        public var port: String
    }

    public struct Probe: Codable, Sendable, Equatable {
        public var httpGet: HTTPGetAction
        public var initialDelaySeconds: Int?
        public var periodSeconds: Int
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

    public struct Container: Codable, Sendable, Equatable {
        public var name: String
        public var image: String
        public var ports: [ContainerPort]
        public var readinessProbe: Probe
        public var livenessProbe: Probe
        public var resources: Resources
    }

    public struct PodSpec: Codable, Sendable, Equatable {
        public var containers: [Container]
    }

    public struct PodTemplate: Codable, Sendable, Equatable {
        public struct Metadata: Codable, Sendable, Equatable {
            public var labels: [String: String]
        }
        public var metadata: Metadata
        public var spec: PodSpec
    }

    public struct LabelSelector: Codable, Sendable, Equatable {
        public var matchLabels: [String: String]
    }

    public struct Deployment: Codable, Sendable, Equatable {
        public struct Spec: Codable, Sendable, Equatable {
            public var replicas: Int
            /// The Deployment's own verdict on a stuck rollout, equal to deploy's default --timeout
            /// (the API server's default, 600 s, would never fire within it; see docs/deploy.md).
            public var progressDeadlineSeconds: Int = Manifests.progressDeadlineSeconds
            public var selector: LabelSelector
            public var template: PodTemplate
        }
        public var apiVersion = "apps/v1"
        public var kind = "Deployment"
        public var metadata: ObjectMeta
        public var spec: Spec
    }

    public struct ServicePort: Codable, Sendable, Equatable {
        public var name: String
        public var port: Int
        public var targetPort: String
        public var `protocol` = "TCP"
    }

    public struct Service: Codable, Sendable, Equatable {
        public struct Spec: Codable, Sendable, Equatable {
            public var type = "ClusterIP"
            public var selector: [String: String]
            public var ports: [ServicePort]
        }
        public var apiVersion = "v1"
        public var kind = "Service"
        public var metadata: ObjectMeta
        public var spec: Spec
    }

    public struct Ingress: Codable, Sendable, Equatable {
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
        public struct Spec: Codable, Sendable, Equatable { public var rules: [Rule] }
        public var apiVersion = "networking.k8s.io/v1"
        public var kind = "Ingress"
        public var metadata: ObjectMeta
        public var spec: Spec
    }

    public struct ServiceMonitor: Codable, Sendable, Equatable {
        public struct Endpoint: Codable, Sendable, Equatable {
            public var port: String
            public var path: String
            public var interval: String
        }
        public struct Spec: Codable, Sendable, Equatable {
            public var selector: LabelSelector
            public var endpoints: [Endpoint]
        }
        public var apiVersion = "monitoring.coreos.com/v1"
        public var kind = "ServiceMonitor"
        public var metadata: ObjectMeta
        public var spec: Spec
    }

    /// What the manifests are rendered from.
    public struct Input: Sendable, Equatable {
        public var name: String
        public var environment: String
        public var image: String
        public var replicas: Int
        public var port: Int
        public var host: String
        public var healthPath: String
        public var metricsPath: String
        public var resources: ResourceSettings
        public var serviceMonitor: Bool
        public var overrides: [String: JSONValue]

        public init(name: String, environment: String, image: String, replicas: Int, port: Int, host: String,
                    healthPath: String, metricsPath: String, resources: ResourceSettings, serviceMonitor: Bool,
                    overrides: [String: JSONValue] = [:]) {
            self.name = name
            self.environment = environment
            self.image = image
            self.replicas = replicas
            self.port = port
            self.host = host
            self.healthPath = healthPath
            self.metricsPath = metricsPath
            self.resources = resources
            self.serviceMonitor = serviceMonitor
            self.overrides = overrides
        }

        public init(settings: AppSettings, image: String, serviceMonitor: Bool) {
            self.init(name: settings.name, environment: settings.environment.value, image: image,
                      replicas: settings.replicas.value, port: settings.port.value, host: settings.host,
                      healthPath: settings.healthPath.value, metricsPath: settings.metricsPath.value,
                      resources: settings.resources.value, serviceMonitor: serviceMonitor, overrides: settings.overrides)
        }
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

    /// Namespace, Deployment, Service, Ingress and (when asked) ServiceMonitor, overrides applied.
    public static func render(_ input: Input) throws -> [JSONValue] {
        let labels = labels(name: input.name, environment: input.environment)
        let selector = ["app.kubernetes.io/name": input.name]
        // The Namespace is shared by every app of the environment, so it carries only the labels
        // they agree on (app labels on it would flip with each app's create).
        let namespaceLabels = labels.filter { $0.key == "app.kubernetes.io/managed-by" || $0.key == "platform.dev/environment" }
        func meta(namespaced: Bool = true) -> ObjectMeta {
            ObjectMeta(name: namespaced ? input.name : input.environment,
                       namespace: namespaced ? input.environment : nil, labels: namespaced ? labels : namespaceLabels)
        }
        func probe(initialDelay: Int?, period: Int, failures: Int) -> Probe {
            Probe(httpGet: HTTPGetAction(path: input.healthPath, port: "http"), initialDelaySeconds: initialDelay,
                  periodSeconds: period, failureThreshold: failures)
        }
        let container = Container(
            name: input.name, image: input.image,
            ports: [ContainerPort(name: "http", containerPort: input.port)],
            readinessProbe: probe(initialDelay: nil, period: 5, failures: 3),
            livenessProbe: probe(initialDelay: 10, period: 10, failures: 3),
            resources: Resources(requests: input.resources.requests, limits: input.resources.limits))
        let deployment = Deployment(
            metadata: meta(),
            spec: .init(replicas: input.replicas, selector: LabelSelector(matchLabels: selector),
                        template: PodTemplate(metadata: .init(labels: labels), spec: PodSpec(containers: [container]))))
        let service = Service(metadata: meta(), spec: .init(selector: selector, ports: [
            ServicePort(name: "http", port: 80, targetPort: "http"),
        ]))
        let ingress = Ingress(metadata: meta(), spec: .init(rules: [
            .init(host: input.host, http: .init(paths: [
                .init(path: "/", pathType: "Prefix",
                      backend: .init(service: .init(name: input.name, port: .init(name: "http")))),
            ])),
        ]))
        var documents: [JSONValue] = [
            try JSONValue(encoding: Namespace(metadata: meta(namespaced: false))),
            try JSONValue(encoding: deployment),
            try JSONValue(encoding: service),
            try JSONValue(encoding: ingress),
        ]
        if input.serviceMonitor {
            documents.append(try JSONValue(encoding: ServiceMonitor(metadata: meta(), spec: .init(
                selector: LabelSelector(matchLabels: selector),
                endpoints: [.init(port: "http", path: input.metricsPath, interval: "30s")]))))
        }
        return try documents.map { document in
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
