import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One container whose log can be read.
public struct LogSource: Sendable, Equatable, Hashable {
    public var pod: String
    public var uid: String
    public var container: String
    public var restarts: Int

    /// Names come from the cluster: escaped (`TerminalText`), unlike the log lines that follow them.
    public var prefix: String { "[pod/\(TerminalText.escape(pod))/\(TerminalText.escape(container))] " }
}

/// Prints the logs of all the app's Pods, prefixed; with `follow`, keeps streaming and picks up
/// Pods that appear later.
public struct LogsService: Sendable {
    public let kubectl: Kubectl
    public let reporter: ProgressReporter
    public let signals: SignalForwarder
    /// Seconds between two looks for new Pods while following.
    public var pollInterval: Double
    /// Where kubectl may write its output itself when nothing needs filtering (no --follow, no --grep):
    /// each `kubectl logs --prefix` then runs in turn with this target as its stdout, so a large log is
    /// not copied through the platform at all. The CLI passes `.standardOutput` when its stdout is the
    /// process's; nil (the default) sends every line through the `output` closure of `run`.
    public var passthrough: OutputTarget?

    /// At most this many `kubectl logs -f` at once (stern's `--max-log-requests` default is 50).
    public var maxStreams: Int

    public static let defaultMaxStreams = 50

    public init(kubectl: Kubectl, reporter: ProgressReporter, signals: SignalForwarder, pollInterval: Double = 1,
                maxStreams: Int = LogsService.defaultMaxStreams) {
        self.kubectl = kubectl
        self.reporter = reporter
        self.signals = signals
        self.pollInterval = pollInterval
        self.maxStreams = maxStreams
    }

    /// Every container of a pod the kubelet keeps a log for, as stern shows them: init containers
    /// (native sidecars are init containers with `restartPolicy: Always`), the containers, then
    /// ephemeral (debug) containers, each with its status from the matching status list.
    static func containers(of pod: JSONValue) -> [(name: String, status: JSONValue?)] {
        var out: [(String, JSONValue?)] = []
        for (specKey, statusKey) in [("initContainers", "initContainerStatuses"), ("containers", "containerStatuses"),
                                     ("ephemeralContainers", "ephemeralContainerStatuses")] {
            let statuses = pod["status", statusKey]?.arrayValue ?? []
            for name in (pod["spec", specKey]?.arrayValue ?? []).compactMap({ $0["name"]?.stringValue }) {
                out.append((name, statuses.first { $0["name"]?.stringValue == name }))
            }
        }
        return out
    }

    /// A pod whose containers the kubelet has removed has no logs (an Evicted pod: `kubectl logs` only
    /// answers `unable to retrieve container logs`); stern leaves such pods out too.
    static func cannotHaveLogs(_ pod: JSONValue) -> Bool {
        pod["status", "reason"]?.stringValue == "Evicted"
    }

    /// The containers of `pods` that have a log to read (started at least once), sorted by pod name.
    /// `container` limits to that container; nil = every container of the pod.
    /// With `previous`, only containers that have a terminated earlier instance (`lastState.terminated`).
    public static func sources(_ pods: [JSONValue], container: String?, previous: Bool = false) -> [LogSource] {
        var sources: [LogSource] = []
        for pod in pods.sorted(by: { RolloutRules.podName($0) < RolloutRules.podName($1) }) where !cannotHaveLogs(pod) {
            let name = RolloutRules.podName(pod)
            let uid = pod["metadata", "uid"]?.stringValue ?? name
            for (containerName, status) in containers(of: pod) where container == nil || container == containerName {
                guard let status, previous ? status["lastState", "terminated"] != nil : hasLog(status) else { continue }
                sources.append(LogSource(pod: name, uid: uid, container: containerName,
                                         restarts: status["restartCount"]?.intValue ?? 0))
            }
        }
        return sources
    }

    /// Running, terminated, or waiting to restart after having run: there is something to read.
    static func hasLog(_ status: JSONValue) -> Bool {
        if status["state", "running"] != nil || status["state", "terminated"] != nil { return true }
        return (status["restartCount"]?.intValue ?? 0) > 0 || status["lastState", "terminated"] != nil
    }

    /// Runs until the logs are printed (or, following, until the bound or Ctrl-C).
    public func run(_ request: LogsRequest, output: @escaping @Sendable (Data) -> Void) async throws {
        let writer = PrefixedLineWriter(grep: request.grep, output: output)
        let pods = try await kubectl.pods(app: request.app, namespace: request.environment)
        if pods.isEmpty {
            if try await kubectl.deployment(request.app, namespace: request.environment) == nil {
                throw PlatformError.failed("app \(Validate.quoted(request.app)) not found in environment \(Validate.quoted(request.environment)) (no Deployment and no Pods with \(AppConventions.selector(request.app)))")
            }
            throw PlatformError.failed("app \(request.app) has no pods in environment \(request.environment)")
        }
        if let container = request.container {
            let known = Set(pods.flatMap { Self.containers(of: $0).map(\.name) })
            guard known.contains(container) else {
                throw PlatformError.invalidInput("container \(Validate.quoted(container)) not found in the pods of \(request.app); containers: \(known.sorted().joined(separator: ", "))")
            }
        }
        if request.follow {
            try await follow(request, initial: pods, writer: writer)
            return
        }
        let sources = Self.sources(pods, container: request.container, previous: request.previous)
        if request.previous && sources.isEmpty {
            throw PlatformError.failed("no container of \(request.app) in \(request.environment) has restarted; there is no previous log (drop --previous)")
        }
        guard !sources.isEmpty else {
            throw PlatformError.failed("no pod of \(request.app) in \(request.environment) has started yet; nothing to show (see 'platform status \(request.app)')")
        }
        var failures = 0
        for source in sources {
            let status = try await stream(source, request, writer: writer, follow: false)
            if status != 0 { failures += 1 }
        }
        if failures == sources.count {
            throw PlatformError.failed("could not read the logs of any pod of \(request.app)")
        }
    }

    /// One `kubectl logs` for a container, lines written through the writer; returns kubectl's status.
    func stream(_ source: LogSource, _ request: LogsRequest, writer: PrefixedLineWriter, follow: Bool) async throws -> Int32 {
        let command = kubectl.logsCommand(pod: source.pod, namespace: request.environment, container: source.container,
                                          tail: request.lines, sinceSeconds: request.sinceSeconds,
                                          timestamps: request.timestamps, previous: request.previous, follow: follow)
        let errors = BoundedText(limit: 4096)
        let status: Int32
        if let passthrough, !follow, request.grep == nil {
            var direct = command
            direct.arguments.append("--prefix")  // kubectl writes "[pod/POD/CONTAINER] " itself
            status = try await kubectl.runner.stream(direct, stdout: passthrough, stderr: .chunks(errors.append))
        } else {
            let (consume, finish) = writer.consumer(prefix: source.prefix)
            status = try await kubectl.runner.stream(command, stdout: .chunks(consume), stderr: .chunks(errors.append))
            finish()
        }
        if status != 0 && !Task.isCancelled {
            let message = errors.text.trimmingCharacters(in: .whitespacesAndNewlines)
            reporter.warning("no logs from \(source.pod)/\(source.container)" + (message.isEmpty ? "" : ": \(message)"))
        }
        return status
    }

    /// Streams every container; looks for new Pods every `pollInterval`; ends each stream when its
    /// Pod is gone; stops at the bound or on Ctrl-C.
    func follow(_ request: LogsRequest, initial: [JSONValue], writer: PrefixedLineWriter) async throws {
        let deadline = request.followLimit.map { ProcessInfo.processInfo.systemUptime + $0 }
        try await withThrowingTaskGroup(of: Void.self) { group in
            var started: [LogSource: Void] = [:]
            var running: [String: LogSource] = [:]
            let ended = EndedStreams()
            var pods = initial
            var capped = false
            while true {
                try signals.checkInterrupted()
                let live = Set(pods.compactMap { $0["metadata", "uid"]?.stringValue })
                let wanted = Self.sources(pods, container: request.container)
                for source in wanted where started[source] == nil {
                    // A container that restarted gets a new stream; one still streaming keeps its stream.
                    // stern's rule (target.go shouldAdd): re-tail when the container ID changes. The
                    // kubelet's restartCount changes with it: when the next instance starts, not while
                    // it waits in CrashLoopBackOff (then the log served is the instance that stopped).
                    let key = source.uid + "/" + source.container
                    if let current = running[key], !ended.contains(current) { continue }
                    let streaming = running.values.filter { !ended.contains($0) }.count
                    guard streaming < maxStreams else {
                        // stern's cap (--max-log-requests 50): more streams would exhaust the API
                        // server's and the kubelets' connection limits; said once, then waited out.
                        if !capped {
                            capped = true
                            reporter.warning("following \(maxStreams) of \(wanted.count) containers: at most \(maxStreams) log streams at once (as stern); narrow it down with --container, or set PLATFORM_LOGS_MAX_STREAMS")
                        }
                        break
                    }
                    started[source] = ()
                    running[key] = source
                    group.addTask {
                        defer { ended.insert(source) }
                        do {
                            _ = try await stream(source, request, writer: writer, follow: true)
                        } catch let error as PlatformError {
                            if case .interrupted = error { throw error }
                            reporter.warning("no logs from \(source.pod)/\(source.container): \(error)")
                        }
                    }
                }
                for (key, source) in running where !live.contains(source.uid) {
                    running[key] = nil  // its stream ends by itself when kubectl sees the pod is gone
                }
                let remaining = deadline.map { $0 - ProcessInfo.processInfo.systemUptime }
                if let remaining, remaining <= 0 { break }
                try await Task.sleep(nanoseconds: UInt64(min(pollInterval, remaining ?? pollInterval) * 1_000_000_000))
                if let remaining, remaining <= pollInterval { break }
                pods = try await kubectl.pods(app: request.app, namespace: request.environment)
            }
            // The bound was reached: stop the streams (cancellation terminates their kubectl).
            group.cancelAll()
            do {
                try await group.waitForAll()
            } catch is CancellationError {
            }
        }
        try signals.checkInterrupted()
    }
}

/// The streams that have ended (so a restarted container may get a new one).
final class EndedStreams: @unchecked Sendable {
    private let lock = NSLock()
    private var sources: Set<LogSource> = []

    func insert(_ source: LogSource) {
        lock.lock()
        sources.insert(source)
        lock.unlock()
    }

    func contains(_ source: LogSource) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return sources.contains(source)
    }
}

/// The last `limit` bytes of a stream, as text (a child's stderr for the error message).
final class BoundedText: @unchecked Sendable {
    private let lock = NSLock()
    private let limit: Int
    private var data = Data()

    init(limit: Int) { self.limit = limit }

    func append(_ chunk: Data) {
        lock.lock()
        data.append(chunk)
        if data.count > limit { data = data.suffix(limit) }
        lock.unlock()
    }

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: data, as: UTF8.self)
    }
}
