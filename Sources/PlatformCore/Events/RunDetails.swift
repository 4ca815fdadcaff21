import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a command reports about its run, beyond success or failure, for the event log (and the exit
/// status of commands that print a result and still fail, like `doctor`). A reference type so the
/// `CommandContext` copies a command gets all point to the same record.
public final class RunDetails: @unchecked Sendable {
    private let lock = NSLock()
    private var _app: String?
    private var _image: String?
    private var _outcome: String?
    private var _exitStatus: Int32?
    private var _errorType: String?
    private var _environment: String?
    private var _appliedImage: String?

    public init() {}

    /// The details of the run in progress, bound by the CLI around a command's run, for the services
    /// that report what only they know (`deployApplied`) without a `CommandContext`. nil outside a run.
    @TaskLocal public static var current: RunDetails?

    /// Overrides the app recorded (default: the first positional of a command taking NAME).
    public var app: String? {
        get { lock.withLock { _app } }
        set { lock.withLock { _app = newValue } }
    }
    /// The image deployed (default: the `--image` option).
    public var image: String? {
        get { lock.withLock { _image } }
        set { lock.withLock { _image = newValue } }
    }
    /// Overrides the environment recorded (default: the environment the command line and the user
    /// config chose, for commands that use `-e`).
    public var environment: String? {
        get { lock.withLock { _environment } }
        set { lock.withLock { _environment = newValue } }
    }
    /// `success`, `rolled_back` or `failed`: overrides the outcome of a deploy or rollback, and makes it
    /// count as a deployment even if `deployApplied` was not called.
    public var outcome: String? {
        get { lock.withLock { _outcome } }
        set { lock.withLock { _outcome = newValue } }
    }
    /// A deploy or rollback calls this once it has applied `image` to the Deployment: from then on
    /// the run is a deployment for the metrics, its outcome taken from how it ends. Runs that stop
    /// before (app not found, cluster unreachable, bad input) are not deployments.
    public func deployApplied(image: String) {
        lock.withLock { if _appliedImage == nil { _appliedImage = image } }
    }
    /// The image `deployApplied` reported first; nil when no image was applied.
    public var appliedImage: String? { lock.withLock { _appliedImage } }
    /// Ask the CLI to exit with this status after a run that printed its result without throwing
    /// (e.g. `doctor` printing its checks and exiting 1), recorded with `errorType`.
    public func fail(status: Int32, errorType: String) {
        lock.withLock {
            _exitStatus = status
            _errorType = errorType
        }
    }
    public var exitStatus: Int32? { lock.withLock { _exitStatus } }
    public var errorType: String? { lock.withLock { _errorType } }
}
