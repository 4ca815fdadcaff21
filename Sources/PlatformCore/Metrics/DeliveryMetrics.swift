import Foundation

/// The delivery (DORA) figures of one app in one environment over a window, computed from its
/// release history in the cluster (`ReleaseHistory`), which every user's deploys, rollbacks and
/// configuration changes write: the figures are the team's, not one machine's.
///
/// What counts (docs/metrics.md):
/// - A release is judged when its rollout was watched to the end: `succeeded`, `rolled-back` or
///   `failed`. `applied` (`--no-wait`), `pending` (in progress or interrupted) and `superseded`
///   (another release replaced it while it waited) are counted in `releases` but neither as a success
///   nor as a failure.
/// - Every judged release is a change, whatever its kind: deploys, rollbacks and configuration
///   changes (`platform vars`, `platform secrets`).
/// - Times are the release's `time` (when it started) and, in records that have it, `finishedAt`
///   (when its result was final).
public struct DeliveryMetrics: Sendable, Equatable, Codable {
    public var app: String
    public var environment: String
    /// Releases whose time is in the window, of any kind and result.
    public var releases: Int
    /// Judged releases in the window: succeeded + rolled back + failed.
    public var changes: Int
    public var succeeded: Int
    public var rolledBack: Int
    public var failed: Int
    /// Judged releases in the window that changed only the configuration (kind `config`).
    public var configChanges: Int
    /// Succeeded releases (deploys, rollbacks, configuration changes) per day over the window.
    public var deploysPerDay: Double
    /// (rolled back + failed) / changes; nil when there was no judged release in the window.
    public var changeFailureRate: Double?
    /// Mean time from a failed or rolled-back release (the first of a run of them) to the next
    /// succeeded release, over the succeeded releases in the window that ended such a run (the
    /// failure may be older than the window); nil when none did.
    public var meanTimeToRestoreSeconds: Double?
    public var restores: Int
    /// Mean time from the commit's time (`Release.commit.time`) to the end of the succeeded deploy
    /// that shipped it (`finishedAt`; its start in older records), over the succeeded deploys in the
    /// window with a commit time; nil when none.
    public var leadTimeSeconds: Double?
    public var leadTimeSamples: Int
    /// Who made the releases in the window (the history's `user`), sorted.
    public var users: [String]
    /// The history is full (it keeps the newest `ReleaseHistory.limit` releases) and its oldest release
    /// is inside the window: older releases of the window were dropped, the figures undercount.
    public var historyTruncated: Bool

    public init(app: String, environment: String, releases: Int, changes: Int, succeeded: Int, rolledBack: Int,
                failed: Int, configChanges: Int, deploysPerDay: Double, changeFailureRate: Double?,
                meanTimeToRestoreSeconds: Double?, restores: Int, leadTimeSeconds: Double?, leadTimeSamples: Int,
                users: [String], historyTruncated: Bool) {
        self.app = app
        self.environment = environment
        self.releases = releases
        self.changes = changes
        self.succeeded = succeeded
        self.rolledBack = rolledBack
        self.failed = failed
        self.configChanges = configChanges
        self.deploysPerDay = deploysPerDay
        self.changeFailureRate = changeFailureRate
        self.meanTimeToRestoreSeconds = meanTimeToRestoreSeconds
        self.restores = restores
        self.leadTimeSeconds = leadTimeSeconds
        self.leadTimeSamples = leadTimeSamples
        self.users = users
        self.historyTruncated = historyTruncated
    }

    /// The figures of `history` over `since...until`. Releases whose time cannot be read are left out.
    public static func compute(app: String, environment: String, history: ReleaseHistory,
                               since: Date, until: Date) -> DeliveryMetrics {
        let dated: [(release: Release, time: Date)] = history.releases.compactMap { (release: Release) in
            guard let time = parseTimestamp(release.time) else { return nil }
            return (release: release, time: time)
        }.sorted { (a: (release: Release, time: Date), b: (release: Release, time: Date)) -> Bool in
            a.time == b.time ? a.release.revision < b.release.revision : a.time < b.time
        }
        let inWindow = { (time: Date) -> Bool in time >= since && time <= until }
        let window: [Release] = dated.filter { inWindow($0.time) }.map { $0.release }
        let judged = window.filter { Self.isSuccess($0) || Self.isFailure($0) }
        let succeeded = window.filter(Self.isSuccess)
        let rolledBack = window.filter { $0.result == Release.Result.rolledBack }.count
        let failed = window.filter { $0.result == Release.Result.failed }.count

        // An incident starts at the first failed or rolled-back release after a success and ends at the
        // next succeeded release; unjudged releases neither start nor end one.
        // A release that records when it ended (`finishedAt`) ends the incident then: a succeeded one
        // when its rollout was confirmed, a rolled-back one (that started no earlier incident) when
        // deploy's own rollback had the previous version serving again.
        var restoreTimes: [Double] = []
        var failingSince: Date?
        for (release, time) in dated {
            let ended = release.finishedAt.flatMap(parseTimestamp) ?? time
            if Self.isSuccess(release) {
                if let start = failingSince, inWindow(time) { restoreTimes.append(max(0, ended.timeIntervalSince(start))) }
                failingSince = nil
            } else if release.result == .rolledBack, failingSince == nil, release.finishedAt != nil {
                if inWindow(time) { restoreTimes.append(max(0, ended.timeIntervalSince(time))) }
            } else if Self.isFailure(release), failingSince == nil {
                failingSince = time
            }
        }
        // Rollbacks re-deploy an older build and configuration changes ship no commit: only deploys
        // have a lead time. A commit time after the release's (a skewed clock) is no sample.
        var leadTimes: [Double] = []
        for (release, time) in dated where inWindow(time) && Self.isSuccess(release) && release.kind == Release.Kind.deploy {
            guard let committed = release.commit?.time.flatMap(parseTimestamp) else { continue }
            // To the confirmed rollout when recorded (the commit runs in the environment), else its start.
            let lead = (release.finishedAt.flatMap(parseTimestamp) ?? time).timeIntervalSince(committed)
            if lead >= 0 { leadTimes.append(lead) }
        }
        let days = max(until.timeIntervalSince(since) / 86_400, 1.0 / 86_400)
        let oldest: Date? = dated.first?.time
        func mean(_ values: [Double]) -> Double? { values.isEmpty ? nil : values.reduce(0, +) / Double(values.count) }
        return DeliveryMetrics(
            app: app, environment: environment, releases: window.count, changes: judged.count,
            succeeded: succeeded.count, rolledBack: rolledBack, failed: failed,
            configChanges: judged.filter { $0.kind == Release.Kind.config }.count,
            deploysPerDay: Double(succeeded.count) / days,
            changeFailureRate: judged.isEmpty ? nil : Double(rolledBack + failed) / Double(judged.count),
            meanTimeToRestoreSeconds: mean(restoreTimes), restores: restoreTimes.count,
            leadTimeSeconds: mean(leadTimes), leadTimeSamples: leadTimes.count,
            users: Array(Set(window.map(\.user))).sorted(),
            historyTruncated: history.releases.count >= ReleaseHistory.limit && (oldest.map { $0 >= since } ?? false))
    }

    static func isSuccess(_ release: Release) -> Bool { release.result == .succeeded }
    static func isFailure(_ release: Release) -> Bool { release.result == .rolledBack || release.result == .failed }
}
