import Foundation

/// The configuration lease of an app: the `lease` key of `platform-config-NAME` (ConfigState),
/// taken and given back with the resourceVersion as precondition (ConfigStateStore, like the release
/// history). Everyone who writes what the app's container runs holds it: `vars`/`secrets` for their
/// whole change, `deploy`/`rollback`/`promote` from reading the Deployment until their patch is
/// applied (the image patch always carries `envFrom`, see Kubectl.imagePatch). So no patch is built
/// on a Deployment that another patch changes meanwhile, and none reverts another's configuration
/// or image. A lease whose holder was killed counts as given back once it expires.
public struct ConfigLease: Sendable {
    public let deployer: DeployService
    public let app: String
    public let namespace: String
    /// Seconds between two looks at another holder's lease.
    public var pollInterval: Double

    public init(deployer: DeployService, app: String, namespace: String, pollInterval: Double = 0.5) {
        self.deployer = deployer
        self.app = app
        self.namespace = namespace
        self.pollInterval = pollInterval
    }

    var states: ConfigStateStore { ConfigStateStore(kubectl: deployer.kubectl) }

    /// Seconds giving the lease back is retried through transient API errors.
    static let givingBackPatience: Double = 20

    /// A lease taken by this process; `giveBack` may be called again after it gave it back (a no-op).
    public final class Held: @unchecked Sendable {
        let lease: ConfigLease
        let holder: String
        private let lock = NSLock()
        private var held = true

        init(_ lease: ConfigLease, holder: String) {
            self.lease = lease
            self.holder = holder
        }

        public func giveBack() async throws {
            guard lock.withLock({ held }) else { return }
            let holder = self.holder
            let deployer = lease.deployer
            // Through transient API errors for a while (a lease left behind blocks every change of
            // the app until it expires).
            let deadline = deployer.clock() + ConfigLease.givingBackPatience
            while true {
                do {
                    try await lease.states.update(app: lease.app, namespace: lease.namespace) { state in
                        guard state.lease?.holder == holder else { return (false, ()) }
                        state.lease = nil
                        return (true, ())
                    }
                    break
                } catch let error as PlatformError where DeployService.isTransient(error) && deployer.clock() < deadline {
                    try await deployer.pause(1)
                }
            }
            lock.withLock { held = false }
        }
    }

    /// Takes the lease, waiting up to `wait` seconds while another holder's lease is in force; it
    /// expires `expiresAfter` seconds from now. Nothing else is changed when it cannot be had.
    /// `what` names the holder's action for whoever waits (nil: a configuration change).
    public func acquire(wait: Double, expiresAfter: Double, what: String? = nil,
                        holder: String = UUID().uuidString) async throws -> Held {
        let start = deployer.clock()
        var announced = false
        while true {
            let now = deployer.now()
            let lease = ConfigState.Lease(holder: holder, user: deployer.user, since: DeployService.timestamp(now),
                                          expires: DeployService.timestamp(now.addingTimeInterval(expiresAfter)), what: what)
            let other: ConfigState.Lease?
            do {
                other = try await states.update(app: app, namespace: namespace) { state -> (write: Bool, value: ConfigState.Lease?) in
                    if let current = state.lease, current.holder != holder,
                       let expires = ISO8601DateFormatter().date(from: current.expires), expires > now {
                        return (false, current)
                    }
                    state.lease = lease
                    return (true, nil)
                }
            } catch let error as PlatformError where DeployService.isTransient(error) && deployer.clock() - start < wait {
                // A 503 or a dropped connection: try again within the same wait, as deploy's own looks do.
                try await deployer.pause(max(pollInterval, 1))
                continue
            }
            guard let other else { return Held(self, holder: holder) }
            if !announced {
                deployer.reporter.progress("Waiting for the \(other.what ?? "configuration change") of \(app) by \(other.user) (since \(other.since))")
                announced = true
            }
            if deployer.clock() - start >= wait {
                throw PlatformError.failed("another \(other.what ?? "configuration change") of \(app) in \(namespace) (by \(other.user), since \(other.since)) did not finish within \(DeployService.format(duration: wait)); nothing was changed")
            }
            try await deployer.pause(pollInterval)
        }
    }

    /// Runs `body` holding the lease (see `acquire`); it is given back afterwards, also after an
    /// error or an interruption.
    public func holding<T: Sendable>(wait: Double, expiresAfter: Double, what: String? = nil,
                                     holder: String = UUID().uuidString,
                                     _ body: () async throws -> T) async throws -> T {
        let held = try await acquire(wait: wait, expiresAfter: expiresAfter, what: what, holder: holder)
        do {
            let value = try await body()
            try await held.giveBack()
            return value
        } catch {
            try? await deployer.signals.finishing { try await held.giveBack() }
            throw error
        }
    }
}
