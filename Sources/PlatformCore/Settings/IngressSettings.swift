import Foundation

/// How an environment's Ingresses are exposed (user config, per environment): the IngressClass and,
/// when `tls` is set, TLS from the Secret `NAME-tls` (issued by cert-manager when `cluster_issuer`
/// names a ClusterIssuer). URLs use `https` only with TLS.
public struct IngressSettings: Codable, Sendable, Equatable {
    public struct TLS: Codable, Sendable, Equatable {
        /// cert-manager ClusterIssuer; nil: the Secret `NAME-tls` is provided some other way.
        public var clusterIssuer: String?

        public init(clusterIssuer: String? = nil) {
            self.clusterIssuer = clusterIssuer
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case clusterIssuer = "cluster_issuer"
        }

        static let keys = CodingKeys.allCases.map(\.rawValue)
    }

    /// `spec.ingressClassName`.
    public var className: String
    public var tls: TLS?

    public static let defaultClassName = "nginx"

    public init(className: String = Self.defaultClassName, tls: TLS? = nil) {
        self.className = className
        self.tls = tls
    }

    public static func secretName(_ app: String) -> String { "\(app)-tls" }
    public static let clusterIssuerAnnotation = "cert-manager.io/cluster-issuer"
}
