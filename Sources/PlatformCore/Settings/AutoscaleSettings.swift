import Foundation

/// `autoscale` in platform.json: a HorizontalPodAutoscaler on CPU between `min` and `max` replicas.
/// With it, `create` no longer sets the Deployment's `replicas` (the HPA owns it), so reruns never
/// reset what the autoscaler chose.
public struct AutoscaleSettings: Codable, Sendable, Equatable {
    public var min: Int
    public var max: Int
    /// Target average CPU utilisation in percent of the request.
    public var cpu: Int

    public init(min: Int, max: Int, cpu: Int = 70) {
        self.min = min
        self.max = max
        self.cpu = cpu
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case min, max, cpu }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        min = try container.decode(Int.self, forKey: .min)
        max = try container.decode(Int.self, forKey: .max)
        cpu = try container.decodeIfPresent(Int.self, forKey: .cpu) ?? 70
    }

    static let keys = CodingKeys.allCases.map(\.rawValue)
}
