import Foundation

public struct DestroyRequest: Sendable, Equatable {
    public var app: String
    public var environment: String
    public var stateDirectory: String
    /// The platform's own environment (to see whether the user set `TF_PLUGIN_CACHE_DIR`, `TF_VAR_…`).
    public var processEnvironment: [String: String]
    /// How long to wait for another run holding the workspace lock.
    public var lockTimeout: Double
    /// How long the deleted objects (and their ReplicaSets and Pods) may take to be gone (`--timeout`).
    public var timeout: Double

    public init(app: String, environment: String, stateDirectory: String, processEnvironment: [String: String],
                lockTimeout: Double = 600, timeout: Double = DestroyService.defaultTimeout) {
        self.app = app
        self.environment = environment
        self.stateDirectory = stateDirectory
        self.processEnvironment = processEnvironment
        self.lockTimeout = lockTimeout
        self.timeout = timeout
    }
}

/// What exists of an app, found before anything is deleted.
public struct DestroyPlan: Codable, Sendable, Equatable {
    public var app: String
    public var environment: String
    /// `kind/name` of the app's Kubernetes objects that exist (labelled managed-by=platform and
    /// instance=NAME-ENV): what destroy deletes.
    public var objects: [String]
    /// `kind/name` of objects with the app's names that platform does not manage: left alone.
    public var left: [String] = []
    /// The Terraform workspace folder, when there is one.
    public var workspace: String?

    public var isEmpty: Bool { objects.isEmpty && workspace == nil }

    public init(app: String, environment: String, objects: [String], left: [String] = [], workspace: String?) {
        self.app = app
        self.environment = environment
        self.objects = objects
        self.left = left
        self.workspace = workspace
    }
}

public struct DestroyResult: Codable, Sendable, Equatable {
    public var app: String
    public var environment: String
    /// False when nothing of the app existed (nothing was done).
    public var existed: Bool
    public var deleted: [String]
    /// Whether `terraform destroy` ran.
    public var terraformDestroyed: Bool
    public var workspaceRemoved: String?

    public init(app: String, environment: String, existed: Bool, deleted: [String], terraformDestroyed: Bool,
                workspaceRemoved: String?) {
        self.app = app
        self.environment = environment
        self.existed = existed
        self.deleted = deleted
        self.terraformDestroyed = terraformDestroyed
        self.workspaceRemoved = workspaceRemoved
    }
}

/// Deletes an app: its Kubernetes objects (not the shared Namespace), then its infrastructure
/// (`terraform destroy` in its workspace), then the workspace folder.
public struct DestroyService: Sendable {
    public let runner: CommandRunner
    public let kubectl: Kubectl
    public let reporter: ProgressReporter
    public let signals: SignalForwarder?

    public static let monitoringGroup = "monitoring.coreos.com"
    /// The default `--timeout`: the same five minutes as deploy's rollout wait.
    public static let defaultTimeout: Double = 300

    public init(runner: CommandRunner, target: KubeTarget, reporter: ProgressReporter, signals: SignalForwarder? = nil) {
        self.runner = runner
        self.kubectl = Kubectl(runner: runner, target: target)
        self.reporter = reporter
        self.signals = signals
    }

    /// The references of everything the app may have in its namespace.
    func references(app: String, monitors: Bool) -> [String] {
        // Everything create renders (Manifests.render) but the shared Namespace, and what deploy and
        // the configuration commands keep.
        var references = ["deployment/\(app)", "service/\(app)", "ingress/\(app)", "serviceaccount/\(app)",
                          "networkpolicy/\(app)", "networkpolicy/\(app)-tasks", "poddisruptionbudget/\(app)",
                          "horizontalpodautoscaler.autoscaling/\(app)",
                          "configmap/\(AppConventions.releasesConfigMap(app))", "configmap/\(ConfigState.configMapName(app))"]
        if monitors { references.append("servicemonitors.\(Self.monitoringGroup)/\(app)") }
        return references
    }

    /// Finds what exists; changes nothing.
    public func plan(_ request: DestroyRequest) async throws -> DestroyPlan {
        let monitors = try await kubectl.hasResource("servicemonitors", group: Self.monitoringGroup)
        let live = try await kubectl.getExisting(references(app: request.app, monitors: monitors),
                                                 namespace: request.environment)
        var objects: [String] = []
        var left: [String] = []
        for object in live {
            guard let kind = object["kind"]?.stringValue, let name = object["metadata", "name"]?.stringValue else { continue }
            let reference = Self.reference(kind: kind, name: name)
            if Self.isManaged(object, app: request.app, environment: request.environment) {
                objects.append(reference)
            } else {
                left.append(reference)
                reporter.warning("leaving \(reference) alone: it is not labelled \(AppConventions.managedByLabel)=platform and \(AppConventions.instanceLabel)=\(request.app)-\(request.environment) (another tool's object)")
            }
        }
        // The vars/secrets versions the app's objects refer to (Vars/); content-named, so no one else's.
        objects += ConfigService.versions(in: live, app: request.app)
        let workspace = Workspace(stateDirectory: request.stateDirectory, environment: request.environment,
                                  name: request.app)
        return DestroyPlan(app: request.app, environment: request.environment, objects: objects, left: left,
                           workspace: workspace.exists ? workspace.path : nil)
    }

    /// Only what platform made for this app is deleted: `app.kubernetes.io/managed-by=platform` and
    /// `app.kubernetes.io/instance=NAME-ENV` (the labels create and deploy set). Another tool's
    /// `shop` Service in the same namespace has other labels or none.
    static func isManaged(_ object: JSONValue, app: String, environment: String) -> Bool {
        let labels = object["metadata", "labels"]
        return labels?[AppConventions.managedByLabel]?.stringValue == "platform"
            && labels?[AppConventions.instanceLabel]?.stringValue == "\(app)-\(environment)"
    }

    static func reference(kind: String, name: String) -> String {
        switch kind {
        case "ServiceMonitor": return "servicemonitors.\(monitoringGroup)/\(name)"
        case "HorizontalPodAutoscaler": return "horizontalpodautoscaler.autoscaling/\(name)"
        default: return kind.lowercased() + "/" + name
        }
    }

    /// Carries out a plan: delete the objects, destroy the infrastructure, remove the workspace.
    public func destroy(_ plan: DestroyPlan, _ request: DestroyRequest) async throws -> DestroyResult {
        var result = DestroyResult(app: plan.app, environment: plan.environment, existed: !plan.isEmpty, deleted: [],
                                   terraformDestroyed: false, workspaceRemoved: nil)
        if !plan.objects.isEmpty {
            reporter.progress("Deleting \(plan.objects.joined(separator: ", ")) from namespace \(plan.environment)")
            try signals?.checkInterrupted()
            result.deleted = try await deleteAndWait(plan, timeout: request.timeout)
        }
        guard plan.workspace != nil else { return result }
        let workspace = Workspace(stateDirectory: request.stateDirectory, environment: request.environment,
                                  name: request.app)
        let lock = try await workspace.lock(timeout: request.lockTimeout, reporter: reporter, signals: signals)
        defer { lock.release() }
        if FileManager.default.fileExists(atPath: workspace.modulePath) {
            let terraform = Terraform(runner: runner, directory: workspace.path,
                                      environment: Self.terraformEnvironment(workspace: workspace, request: request),
                                      reporter: reporter)
            if !FileManager.default.fileExists(atPath: workspace.path + "/.terraform") {
                reporter.progress("Initialising Terraform in \(workspace.path)")
                try signals?.checkInterrupted()
                try await terraform.initialize()
            }
            reporter.progress("Destroying the infrastructure of \(plan.app) (\(plan.environment))")
            try signals?.checkInterrupted()
            try await terraform.destroy()
            result.terraformDestroyed = true
        }
        try signals?.checkInterrupted()
        do {
            try FileManager.default.removeItem(atPath: workspace.path)
        } catch {
            throw PlatformError.failed("could not remove the workspace \(workspace.path): \(error.localizedDescription)")
        }
        result.workspaceRemoved = workspace.path
        return result
    }

    /// `kubectl delete REFS --cascade=foreground --wait --timeout=T`: with foreground propagation the
    /// API server keeps each object (deletionTimestamp, finalizer `foregroundDeletion`) until the
    /// garbage collector has removed its dependents, so when kubectl's wait returns the Deployment's
    /// ReplicaSets and Pods are gone too (kubectl's defaults, background and a wait of 168 h, return
    /// while pods still run, or hang for a week on a finalizer whose controller is gone). When the
    /// wait runs out, what is still there is read and named with its finalizers; the infrastructure
    /// is not touched.
    func deleteAndWait(_ plan: DestroyPlan, timeout: Double) async throws -> [String] {
        let seconds = max(1, Int(timeout.rounded(.up)))
        let command = kubectl.command(["delete"] + plan.objects + ["-n", plan.environment, "--ignore-not-found",
                                                                    "--cascade=foreground", "--wait=true",
                                                                    "--timeout=\(seconds)s", "-o", "name"])
        let result = try await runner.capture(command)
        let deleted = result.stdoutText.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        if result.succeeded { return deleted }
        try signals?.checkInterrupted()
        guard result.stderrText.contains("timed out waiting") else {
            throw PlatformError.toolFailed(argv: command.argv, status: result.status, stderrTail: tail(of: result.stderrText))
        }
        let remaining = (try? await kubectl.getExisting(plan.objects, namespace: plan.environment)) ?? []
        throw PlatformError.failed(Self.stuckMessage(remaining, plan: plan, timeout: DeployService.format(duration: timeout)))
    }

    /// What is still being deleted when the wait ran out, with the finalizers that hold it.
    static func stuckMessage(_ remaining: [JSONValue], plan: DestroyPlan, timeout: String) -> String {
        var parts: [String] = []
        var hint: String?
        for object in remaining {
            guard let kind = object["kind"]?.stringValue, let name = object["metadata", "name"]?.stringValue else { continue }
            let reference = reference(kind: kind, name: name)
            let finalizers = (object["metadata", "finalizers"]?.arrayValue ?? []).compactMap(\.stringValue)
            let waiting = finalizers.filter { $0 != "foregroundDeletion" }
            if !waiting.isEmpty {
                parts.append("\(reference) is held by finalizer \(waiting.joined(separator: ", ")) (its controller has not removed it)")
                hint = hint ?? "once you know what the finalizer guards is cleaned up: kubectl patch \(reference) -n \(plan.environment) --type=merge -p '{\"metadata\":{\"finalizers\":null}}'"
            } else if finalizers.contains("foregroundDeletion") {
                parts.append("\(reference) is waiting for its dependents (ReplicaSets, Pods) to be deleted (finalizer foregroundDeletion)")
            } else {
                parts.append("\(reference) is still there")
            }
        }
        if parts.isEmpty { parts.append(plan.objects.joined(separator: ", ") + " did not finish deleting") }
        var message = "destroy stopped after waiting \(timeout): " + parts.joined(separator: "; ")
            + "; the infrastructure and the workspace were not touched (rerun destroy when the objects are gone, or use --timeout)"
        if let hint { message += "; " + hint }
        return message
    }

    /// Terraform's environment for destroy: the usual one, plus an empty `TF_VAR_KEY` for each
    /// variable the root module declares (the `--set` values of create are not kept; destroy does not
    /// need them, but Terraform refuses to run without a value).
    static func terraformEnvironment(workspace: Workspace, request: DestroyRequest) -> [String: String] {
        var environment = Terraform.toolEnvironment(processEnvironment: request.processEnvironment,
                                                    stateDirectory: request.stateDirectory, variables: [:])
        if let data = FileManager.default.contents(atPath: workspace.modulePath),
           let module = try? JSONDecoder().decode(JSONValue.self, from: data) {
            for key in (module["variable"]?.objectValue ?? [:]).keys
            where request.processEnvironment["TF_VAR_" + key] == nil {
                environment["TF_VAR_" + key] = ""
            }
        }
        return environment
    }
}
