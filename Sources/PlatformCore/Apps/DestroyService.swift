import Foundation

public struct DestroyRequest: Sendable, Equatable {
    public var app: String
    public var environment: String
    public var stateDirectory: String
    /// The platform's own environment (to see whether the user set `TF_PLUGIN_CACHE_DIR`, `TF_VAR_…`).
    public var processEnvironment: [String: String]
    /// How long to wait for another run holding the workspace lock.
    public var lockTimeout: Double

    public init(app: String, environment: String, stateDirectory: String, processEnvironment: [String: String],
                lockTimeout: Double = 600) {
        self.app = app
        self.environment = environment
        self.stateDirectory = stateDirectory
        self.processEnvironment = processEnvironment
        self.lockTimeout = lockTimeout
    }
}

/// What exists of an app, found before anything is deleted.
public struct DestroyPlan: Codable, Sendable, Equatable {
    public var app: String
    public var environment: String
    /// `kind/name` of the app's Kubernetes objects that exist.
    public var objects: [String]
    /// The Terraform workspace folder, when there is one.
    public var workspace: String?

    public var isEmpty: Bool { objects.isEmpty && workspace == nil }
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

    public init(runner: CommandRunner, target: KubeTarget, reporter: ProgressReporter, signals: SignalForwarder? = nil) {
        self.runner = runner
        self.kubectl = Kubectl(runner: runner, target: target)
        self.reporter = reporter
        self.signals = signals
    }

    /// The references of everything the app may have in its namespace.
    func references(app: String, monitors: Bool) -> [String] {
        var references = ["deployment/\(app)", "service/\(app)", "ingress/\(app)",
                          "configmap/\(AppConventions.releasesConfigMap(app))", "configmap/\(ConfigState.configMapName(app))"]
        if monitors { references.append("servicemonitors.\(Self.monitoringGroup)/\(app)") }
        return references
    }

    /// Finds what exists; changes nothing.
    public func plan(_ request: DestroyRequest) async throws -> DestroyPlan {
        let monitors = try await kubectl.hasResource("servicemonitors", group: Self.monitoringGroup)
        let live = try await kubectl.getExisting(references(app: request.app, monitors: monitors),
                                                 namespace: request.environment)
        let objects = live.compactMap { object -> String? in
            guard let kind = object["kind"]?.stringValue, let name = object["metadata", "name"]?.stringValue else { return nil }
            return Self.reference(kind: kind, name: name)
        } + ConfigService.versions(in: live, app: request.app)  // vars/secrets versions (Vars/)
        let workspace = Workspace(stateDirectory: request.stateDirectory, environment: request.environment,
                                  name: request.app)
        return DestroyPlan(app: request.app, environment: request.environment, objects: objects,
                           workspace: workspace.exists ? workspace.path : nil)
    }

    static func reference(kind: String, name: String) -> String {
        switch kind {
        case "ServiceMonitor": return "servicemonitors.\(monitoringGroup)/\(name)"
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
            result.deleted = try await kubectl.delete(plan.objects, namespace: plan.environment)
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
