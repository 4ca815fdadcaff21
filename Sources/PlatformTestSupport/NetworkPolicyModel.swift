import Foundation
import PlatformCore

/// Decides, from NetworkPolicy objects as the API server holds them, whether a connection would be
/// let in. The test API server stores policies but enforces nothing (no network plugin runs), so the
/// end-to-end tests judge the stored policies with the rules of the Kubernetes docs ("Network
/// Policies"): a pod selected by a policy with policyType Ingress is isolated; a connection is
/// allowed when some rule of some policy selecting the pod matches both its peer (namespaceSelector
/// and/or podSelector; a podSelector alone means the policy's own namespace) and its port (a
/// named port is the container port of that name; no `ports` means every port).
/// matchLabels only; matchExpressions are not modelled.
public struct NetworkPolicyModel {
    public struct Endpoint {
        public var namespace: String
        public var namespaceLabels: [String: String]
        public var podLabels: [String: String]

        public init(namespace: String, namespaceLabels: [String: String], podLabels: [String: String] = [:]) {
            self.namespace = namespace
            self.namespaceLabels = namespaceLabels
            self.podLabels = podLabels
        }
    }

    public var policies: [JSONValue]

    public init(policies: [JSONValue]) {
        self.policies = policies
    }

    static func labels(_ value: JSONValue?) -> [String: String] {
        (value?.objectValue ?? [:]).compactMapValues(\.stringValue)
    }

    static func selects(_ selector: JSONValue?, _ present: [String: String]) -> Bool {
        guard let selector else { return false }
        return labels(selector["matchLabels"]).allSatisfy { present[$0.key] == $0.value }
    }

    /// Whether `from` may connect to the container port named `portName` of `pod` (in `to`'s namespace).
    public func allows(from: Endpoint, to: Endpoint, portName: String) -> Bool {
        let selecting = policies.filter { policy in
            policy["metadata", "namespace"]?.stringValue == to.namespace
                && Self.selects(policy["spec", "podSelector"], to.podLabels)
                && (policy["spec", "policyTypes"]?.arrayValue ?? [.string("Ingress")]).contains(.string("Ingress"))
        }
        guard !selecting.isEmpty else { return true }  // not isolated
        for policy in selecting {
            for rule in policy["spec", "ingress"]?.arrayValue ?? [] {
                let ports = rule["ports"]?.arrayValue
                let portMatches = ports == nil || ports!.contains { $0["port"]?.stringValue == portName }
                let peers = rule["from"]?.arrayValue
                let peerMatches = peers == nil || peers!.contains { peer in
                    let namespaceSelector = peer["namespaceSelector"], podSelector = peer["podSelector"]
                    let namespaceOK = namespaceSelector.map { Self.selects($0, from.namespaceLabels) } ?? (from.namespace == to.namespace)
                    let podOK = podSelector.map { Self.selects($0, from.podLabels) } ?? true
                    return namespaceOK && podOK
                }
                if portMatches && peerMatches { return true }
            }
        }
        return false
    }
}
