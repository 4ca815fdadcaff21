import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs one command of an app as a Kubernetes Job (`platform run`, deploy's release phase): creates
/// the Job from the live Deployment (`TaskJob`), waits for its pod to start (failing at once when it
/// cannot: `TaskRules`), follows its log with `kubectl logs -f` and returns the container's exit code.
///
/// kubectl processes per run: one `get deployment`, one `create -f -`, one `get pods -l job-name=JOB`
/// per `pollInterval` (1 s) while the pod starts (and while there is no pod yet, one `get job` and
/// one `get events` for the job controller's FailedCreate), one `logs -f`, one `get pods` for the exit code
/// (again each second in the rare case the status lags behind the end of the log), and for a failed
/// command one `logs --tail` for its last lines.
public struct TaskService: Sendable {
    public let kubectl: Kubectl
    public let reporter: ProgressReporter
    public let signals: SignalForwarder
    public var pollInterval: Double
    public var clock: @Sendable () -> Double

    public init(kubectl: Kubectl, reporter: ProgressReporter, signals: SignalForwarder, pollInterval: Double = 1,
                clock: @escaping @Sendable () -> Double = { ProcessInfo.processInfo.systemUptime }) {
        self.kubectl = kubectl
        self.reporter = reporter
        self.signals = signals
        self.pollInterval = pollInterval
        self.clock = clock
    }

    /// How many log lines a failed task's reason keeps.
    public static let lastLineCount = 10
    /// Seconds past the timeout that reading a finished task's exit status may take through API errors.
    static let statusPatience: Double = 60

    /// Creates the Job and returns its name (`--detach`, and the first step of `run`).
    public func start(_ request: TaskRequest) async throws -> String {
        guard let deployment = try await kubectl.deployment(request.app, namespace: request.environment) else {
            throw PlatformError.failed("app \(Validate.quoted(request.app)) not found in environment \(Validate.quoted(request.environment)) (no Deployment \(request.app) in namespace \(request.environment)); run 'platform create \(request.app) -e \(request.environment)' first")
        }
        let job = try TaskJob.document(request, deployment: deployment)
        let created = try await kubectl.runner.checked(kubectl.command(["create", "-f", "-", "-o", "json"],
                                                                       input: try job.encoded()))
        let value = try? JSONDecoder().decode(JSONValue.self, from: created.stdout)
        guard let name = value?["metadata", "name"]?.stringValue else {
            throw PlatformError.failed("kubectl create did not return the Job's name")
        }
        return name
    }

    /// Creates the Job, follows it to the end and returns how it ended. An interruption deletes the Job
    /// (propagation Background: its pod goes with it) and throws `interrupted`.
    public func run(_ request: TaskRequest, output: OutputTarget) async throws -> TaskResult {
        try await signals.handlesInterruption {
            try signals.checkInterrupted()
            let job: String
            do {
                job = try await start(request)
            } catch PlatformError.interrupted(let signal) {
                // kubectl create may have made the Job before it stopped: delete this run's, by label.
                await signals.finishing { await deleteRun(request) }
                throw PlatformError.interrupted(signal: signal)
            }
            reporter.progress("Running \(request.argv.joined(separator: " ")) in \(request.app) (\(request.environment)): job \(job)")
            do {
                return try await follow(job: job, app: request.app, namespace: request.environment,
                                        startTimeout: request.timeout, output: output)
            } catch PlatformError.interrupted(let signal) {
                await signals.finishing { await deleteWarning(job: job, namespace: request.environment) }
                throw PlatformError.interrupted(signal: signal)
            } catch let error as TaskStartFailure {
                // It will never run: do not leave it pending until its deadline.
                await deleteWarning(job: job, namespace: request.environment)
                throw PlatformError.failed(error.message)
            } catch {
                // Any other error (the API refused a look): the task is not left running unwatched.
                await deleteWarning(job: job, namespace: request.environment)
                throw error
            }
        }
    }

    /// Deletes the Job; when that fails too, says which Job is left (the error that stopped the run
    /// is what the user sees).
    private func deleteWarning(job: String, namespace: String) async {
        await deleting(["job", job], namespace: namespace)
    }

    /// Deletes the Job of this run by its run label (its name may not be known yet).
    private func deleteRun(_ request: TaskRequest) async {
        await deleting(["jobs", "-l", "\(TaskJob.runLabel)=\(request.runID)"], namespace: request.environment)
    }

    /// `kubectl delete WHICH` (see `delete`); a failure is a warning with the command to finish it.
    private func deleting(_ which: [String], namespace: String) async {
        do {
            _ = try await kubectl.runner.checked(kubectl.command(Self.deleteArguments(which, namespace: namespace)))
        } catch {
            let shown = which.joined(separator: " ")
            reporter.warning("could not delete \(shown) in \(namespace) (\(error)); delete it with 'kubectl delete \(shown) -n \(namespace)'")
        }
    }

    /// Background propagation (the Job's pod goes with it), without waiting.
    static func deleteArguments(_ which: [String], namespace: String) -> [String] {
        ["delete"] + which + ["-n", namespace, "--ignore-not-found", "--cascade=background", "--wait=false"]
    }

    /// `--logs JOB`: follows a task that is already there. An interruption stops only the following.
    public func attach(job: String, app: String, namespace: String, startTimeout: Double,
                       output: OutputTarget) async throws -> TaskResult {
        try await signals.handlesInterruption {
            guard let value = try await kubectl.get("job", job, namespace: namespace) else {
                throw PlatformError.failed("no Job \(Validate.quoted(job)) in namespace \(namespace) (finished tasks are removed after an hour)")
            }
            guard TaskJob.isTask(value, of: app) else {
                throw PlatformError.invalidInput("the Job \(Validate.quoted(job)) in \(namespace) is not a task of \(app) (it lacks the labels \(AppConventions.nameLabel)=\(app), \(TaskJob.componentLabel)=\(TaskJob.component))")
            }
            do {
                return try await follow(job: job, app: app, namespace: namespace, startTimeout: startTimeout, output: output)
            } catch let error as TaskStartFailure {
                throw PlatformError.failed(error.message)
            }
        }
    }

    /// Deletes the Job and, in the background, its pod.
    public func delete(job: String, namespace: String) async throws {
        _ = try await kubectl.runner.checked(kubectl.command(Self.deleteArguments(["job", job], namespace: namespace)))
    }

    private func follow(job: String, app: String, namespace: String, startTimeout: Double,
                        output: OutputTarget) async throws -> TaskResult {
        let start = clock()
        var announced = false
        // 1. Wait for the container to run (or end, or never start).
        var state = TaskPodState.waiting
        var stuckSince: Double?
        var createFailingSince: Double?
        var told: Set<String> = []
        func tell(_ line: String) {
            if told.insert(line).inserted { reporter.detail("  " + line) }
        }
        var warnedAPI = false
        func missedLook() {
            if !warnedAPI { reporter.warning("could not look at the task \(job) (the API did not answer); trying again"); warnedAPI = true }
        }
        while true {
            try signals.checkInterrupted()
            guard let found = try await pods(job: job, namespace: namespace) else {
                missedLook()
                if clock() - start >= startTimeout {
                    throw TaskStartFailure(message: "task \(job) did not start within \(DeployService.format(duration: startTimeout)) (the API did not answer)")
                }
                try await signals.pause(pollInterval)
                continue
            }
            state = TaskRules.state(pods: found, app: app)
            let now = clock()
            switch state {
            case .cannotStart(let reason):
                throw TaskStartFailure(message: "task \(job) did not start: \(reason)")
            case .stuck(let reason):
                let since = stuckSince ?? now
                stuckSince = since
                if now - since >= RolloutRules.pullGrace {
                    throw TaskStartFailure(message: "task \(job) did not start: \(reason), still after \(DeployService.format(duration: now - since))")
                }
                tell(reason + " (fails if it lasts \(DeployService.format(duration: RolloutRules.pullGrace)))")
            case .unschedulable(let reason):
                stuckSince = nil
                tell(reason + " (a cluster autoscaler may add a node; waiting until the timeout)")
            case .waiting where found.isEmpty:
                // No pod: the job controller may be unable to create it (quota, admission), or the Job
                // already failed (its deadline).
                stuckSince = nil
                if let job = try await lookAtJob(job, namespace: namespace), let failure = TaskRules.jobFailure(job) {
                    throw TaskStartFailure(message: "task \(RolloutRules.name(job)) did not start: \(failure)")
                }
                if let failure = TaskRules.createFailure(events: await events(job: job, namespace: namespace)) {
                    let since = createFailingSince ?? now
                    createFailingSince = since
                    if now - since >= RolloutRules.createGrace {
                        throw TaskStartFailure(message: "task \(job) did not start: the Job cannot create its pod (\(failure)), still after \(DeployService.format(duration: now - since))")
                    }
                    tell("the Job cannot create its pod (\(failure); fails if it lasts \(DeployService.format(duration: RolloutRules.createGrace)))")
                }
            case .waiting:
                stuckSince = nil
            case .running, .terminated:
                break
            }
            if case .running = state { break }
            if case .terminated = state { break }
            if !announced { reporter.detail("  waiting for the pod of \(job) to start"); announced = true }
            if now - start >= startTimeout {
                throw TaskStartFailure(message: "task \(job) did not start within \(DeployService.format(duration: startTimeout))")
            }
            try await signals.pause(pollInterval)
        }
        let (pod, container): (String, String)
        switch state {
        case .running(let p, let c), .terminated(let p, let c, _, _): (pod, container) = (p, c)
        default: (pod, container) = ("", app)
        }
        // 2. Follow its log to the end (kubectl logs -f ends when the container ends).
        let logs = kubectl.logsCommand(pod: pod, namespace: namespace, container: container, tail: -1, follow: true)
        _ = try await kubectl.runner.stream(logs, stdout: output, stderr: .standardError)
        try signals.checkInterrupted()
        // 3. Its exit code, from the container's terminated state.
        while true {
            guard let found = try await pods(job: job, namespace: namespace) else {
                missedLook()
                if clock() - start >= startTimeout + Self.statusPatience {
                    throw TaskStartFailure(message: "task \(job): could not read its exit status (the API did not answer)")
                }
                try await signals.pause(pollInterval)
                continue
            }
            state = TaskRules.state(pods: found, app: app)
            if case .terminated(let pod, _, let code, let reason) = state {
                var lines: [String] = []
                if code != 0 { lines = await lastLines(pod: pod, container: container, namespace: namespace) }
                return TaskResult(job: job, pod: pod, exitCode: code, reason: reason, lastLines: lines)
            }
            if case .cannotStart(let reason) = state { throw TaskStartFailure(message: "task \(job): \(reason)") }
            // The pod may have been deleted under it: the Job's deadline (--timeout), or someone.
            if let value = try await lookAtJob(job, namespace: namespace), let failure = TaskRules.jobFailure(value) {
                throw TaskStartFailure(message: "task \(job) ended without an exit status: \(failure)")
            }
            if case .waiting = state, clock() - start >= startTimeout {
                throw TaskStartFailure(message: "task \(job): its pod is gone")
            }
            try await signals.pause(pollInterval)
        }
    }

    /// The Job's pods. A transient API error (a 503, a dropped connection: DeployService.isTransient)
    /// is one missed look, warned about once, not the end of the task; the timeout still bounds it.
    private func pods(job: String, namespace: String) async throws -> [JSONValue]? {
        do {
            return try await kubectl.list("pods", selector: "\(TaskJob.jobNameLabel)=\(job)", namespace: namespace)
        } catch let error as PlatformError where DeployService.isTransient(error) {
            return nil
        }
    }

    /// The Job, or nil for a transient API error (as for `pods`) or when it is gone.
    private func lookAtJob(_ job: String, namespace: String) async throws -> JSONValue? {
        do {
            return try await kubectl.get("job", job, namespace: namespace)
        } catch let error as PlatformError where DeployService.isTransient(error) {
            return nil
        }
    }

    private func events(job: String, namespace: String) async -> [JSONValue] {
        // Best effort: a role without `list events`, or an API hiccup, only loses the reason.
        guard let result = try? await kubectl.runner.checked(kubectl.command(
            ["get", "events", "-n", namespace, "-o", "json",
             "--field-selector", "involvedObject.kind=Job,involvedObject.name=\(job)"])) else { return [] }
        let value = try? JSONDecoder().decode(JSONValue.self, from: result.stdout)
        return value?["items"]?.arrayValue ?? []
    }

    private func lastLines(pod: String, container: String, namespace: String) async -> [String] {
        let command = kubectl.logsCommand(pod: pod, namespace: namespace, container: container, tail: Self.lastLineCount)
        guard let result = try? await kubectl.runner.capture(command, limit: 1 << 20), result.succeeded else { return [] }
        return result.stdoutText.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

}

/// The task's pod never started (or vanished): the message for the user.
struct TaskStartFailure: Error {
    var message: String
}
