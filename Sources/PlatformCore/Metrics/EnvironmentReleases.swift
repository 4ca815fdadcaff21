import Foundation

/// The release histories of all apps of one environment (or of one app), read with one kubectl call:
/// `kubectl get configmaps -n ENV -l app.kubernetes.io/managed-by=platform,!platform.dev/config-of -o json`,
/// whatever the number of apps. The selector leaves out the configuration versions (`NAME-vars-HASH`,
/// labelled `platform.dev/config-of`, up to 512 KiB each); of what is left, the ConfigMaps named
/// `platform-releases-NAME` are the histories (`ReleaseStore` writes them with these labels since the
/// first release history, so older histories are found too).
public struct EnvironmentReleases: Sendable, Equatable {
    /// A ConfigMap that looked like a history but could not be read; the other apps are still reported.
    public struct Unreadable: Sendable, Equatable, Codable {
        public var configMap: String
        public var reason: String
    }

    public var environment: String
    /// App name → history, sorted by name when iterated through `apps`.
    public var histories: [String: ReleaseHistory]
    public var unreadable: [Unreadable]

    public var apps: [String] { histories.keys.sorted() }

    public init(environment: String, histories: [String: ReleaseHistory], unreadable: [Unreadable] = []) {
        self.environment = environment
        self.histories = histories
        self.unreadable = unreadable
    }

    static let prefix = AppConventions.releasesConfigMap("")

    /// The label selector of the one list call; with `app`, only that app's objects.
    public static func selector(app: String?) -> String {
        let appLabel: [String] = app.map { ["\(AppConventions.nameLabel)=\($0)"] } ?? []
        return (["\(AppConventions.managedByLabel)=platform"] + appLabel + ["!\(ConfigSet.configLabel)"]).joined(separator: ",")
    }

    /// Reads the histories from the ConfigMaps of the namespace `environment`.
    public static func read(kubectl: Kubectl, environment: String, app: String? = nil) async throws -> EnvironmentReleases {
        let items = try await kubectl.list("configmaps", selector: selector(app: app), namespace: environment)
        return from(items, environment: environment, app: app)
    }

    /// The histories among `items` (pure: what `read` does with the list kubectl returned).
    public static func from(_ items: [JSONValue], environment: String, app: String? = nil) -> EnvironmentReleases {
        var histories: [String: ReleaseHistory] = [:]
        var unreadable: [Unreadable] = []
        for item in items {
            guard let name = item["metadata", "name"]?.stringValue, name.hasPrefix(prefix) else { continue }
            let owner = String(name.dropFirst(prefix.count))
            guard !owner.isEmpty, app == nil || owner == app else { continue }
            do {
                histories[owner] = try ReleaseHistory(configMap: item)
            } catch {
                unreadable.append(Unreadable(configMap: name, reason: "\(error)"))
            }
        }
        return EnvironmentReleases(environment: environment, histories: histories, unreadable: unreadable)
    }

    /// The figures of each app over `since...until`, sorted by app.
    public func delivery(since: Date, until: Date) -> [DeliveryMetrics] {
        apps.map { app in
            DeliveryMetrics.compute(app: app, environment: environment, history: histories[app] ?? ReleaseHistory(),
                                    since: since, until: until)
        }
    }
}
