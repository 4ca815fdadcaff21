import Foundation

/// `network_policy` in the user config: where the traffic an app accepts comes from. Its pods accept
/// connections only from the ingress controller's namespace (port `http`), the monitoring namespace
/// (port `metrics`) and pods of the same app. Egress stays open unless `egress` lists NetworkPolicy
/// egress rules (then only those are allowed).
public struct NetworkPolicySettings: Codable, Sendable, Equatable {
    public var ingressNamespace: String
    public var monitoringNamespace: String
    public var egress: [JSONValue]?

    public static let defaultIngressNamespace = "ingress-nginx"
    public static let defaultMonitoringNamespace = "monitoring"

    public init(ingressNamespace: String = Self.defaultIngressNamespace,
                monitoringNamespace: String = Self.defaultMonitoringNamespace, egress: [JSONValue]? = nil) {
        self.ingressNamespace = ingressNamespace
        self.monitoringNamespace = monitoringNamespace
        self.egress = egress
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case ingressNamespace = "ingress_namespace"
        case monitoringNamespace = "monitoring_namespace"
        case egress
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        ingressNamespace = try container.decodeIfPresent(String.self, forKey: .ingressNamespace) ?? Self.defaultIngressNamespace
        monitoringNamespace = try container.decodeIfPresent(String.self, forKey: .monitoringNamespace) ?? Self.defaultMonitoringNamespace
        egress = try container.decodeIfPresent([JSONValue].self, forKey: .egress)
    }

    static let keys = CodingKeys.allCases.map(\.rawValue)
}
