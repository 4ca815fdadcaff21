import Foundation

/// What `platform run` (or deploy's release phase) asks for: one command of an app, run once as a
/// Kubernetes Job with the app's image and configuration.
public struct TaskRequest: Sendable, Equatable {
    public var app: String
    public var environment: String
    /// The command as an argv array: the container's `command`, no shell.
    public var argv: [String]
    /// The image to run; nil means the image of the app's live Deployment.
    public var image: String?
    /// Seconds the task may run (the Job's `activeDeadlineSeconds`); also how long its pod may take to start.
    public var timeout: Double
    /// Seconds a finished Job is kept (`ttlSecondsAfterFinished`).
    public var keepFinished: Int
    /// What the Job's name starts with (the API server adds a random suffix: `generateName`).
    public var purpose: String
    /// The container's `envFrom` instead of the live one's: the configuration version a release is
    /// about to run (deploy's release phase with a staged or restored configuration); nil copies it.
    public var envFrom: [JSONValue]?
    /// This run's label value on its Job (`platform.dev/run`): an interrupted `kubectl create` leaves
    /// a Job whose name was never read, and it is found (and deleted) by this.
    public var runID: String = UUID().uuidString.lowercased()

    public init(app: String, environment: String, argv: [String], image: String? = nil, timeout: Double = 600,
                keepFinished: Int = 3600, purpose: String = "run") {
        self.app = app
        self.environment = environment
        self.argv = argv
        self.image = image
        self.timeout = timeout
        self.keepFinished = keepFinished
        self.purpose = purpose
    }
}

/// How a task ended.
public struct TaskResult: Codable, Sendable, Equatable {
    public var job: String
    public var pod: String
    /// The container's own exit code (`state.terminated.exitCode`).
    public var exitCode: Int32
    /// `Completed`, `Error`, `OOMKilled`, … (`state.terminated.reason`).
    public var reason: String?
    /// The last lines the task wrote (for the release phase's failure reason).
    public var lastLines: [String]

    public init(job: String, pod: String, exitCode: Int32, reason: String?, lastLines: [String]) {
        self.job = job
        self.pod = pod
        self.exitCode = exitCode
        self.reason = reason
        self.lastLines = lastLines
    }
}
