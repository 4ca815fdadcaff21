import Foundation

/// Everything `platform create` needs, resolved and validated.
public struct CreateRequest: Sendable {
    public var settings: AppSettings
    /// The module the root module calls: `settings.moduleSource` or the bundled module's path.
    public var moduleSource: String
    /// Whether `moduleSource` is the bundled module (it is passed `tls` too).
    public var bundledModule: Bool
    public var stateDirectory: String
    /// The platform's own environment (to see whether the user set `TF_PLUGIN_CACHE_DIR`).
    public var processEnvironment: [String: String]
    public var dryRun: Bool
    /// How long to wait for another run holding the workspace lock.
    public var lockTimeout: Double
    /// `--allow-mutable-tag`: accept `:latest` or a tagless image outside development.
    public var allowMutableTag: Bool

    public init(settings: AppSettings, moduleSource: String, stateDirectory: String,
                processEnvironment: [String: String], dryRun: Bool = false, lockTimeout: Double = 600,
                allowMutableTag: Bool = false, bundledModule: Bool = false) {
        self.allowMutableTag = allowMutableTag
        self.bundledModule = bundledModule
        self.settings = settings
        self.moduleSource = moduleSource
        self.stateDirectory = stateDirectory
        self.processEnvironment = processEnvironment
        self.dryRun = dryRun
        self.lockTimeout = lockTimeout
    }
}

/// What `create` did (or, with `--dry-run`, would do). Encoded as the `-o json` document.
public struct CreateResult: Encodable, Sendable, Equatable {
    public struct Skipped: Codable, Sendable, Equatable {
        public var kind: String
        public var reason: String
    }

    public struct TerraformPart: Encodable, Sendable, Equatable {
        public var workspace: String
        public var outputs: [String: JSONValue]
        public var changes: Bool?
    }

    public var name: String
    public var environment: String
    public var url: String
    public var image: String
    public var dryRun: Bool
    public var terraform: TerraformPart
    /// Applied objects (with `--dry-run`: the objects that would be applied).
    public var objects: [ObjectReference]
    public var skipped: [Skipped]
    /// With `--dry-run`: whether anything would change, in Terraform or in the cluster.
    public var changes: Bool?
    public var kubernetesChanges: [ObjectReference]?
    /// With `--dry-run`: the documents as the server would store them (or as rendered when it cannot say).
    public var documents: [JSONValue]?
}

/// Provisions an application: Terraform for its infrastructure, then one server-side apply of its
/// Kubernetes objects. Plan first (read the cluster, render everything), then act.
public struct CreateService: Sendable {
    public let runner: CommandRunner
    public let reporter: ProgressReporter
    public let signals: SignalForwarder?

    public static let monitoringGroup = "monitoring.coreos.com"

    public init(runner: CommandRunner, reporter: ProgressReporter, signals: SignalForwarder? = nil) {
        self.runner = runner
        self.reporter = reporter
        self.signals = signals
    }

    public func create(_ request: CreateRequest) async throws -> CreateResult {
        let settings = request.settings
        let name = settings.name
        let environment = settings.environment.value
        try Validate.instance(name: name, environment: environment)
        let kubectl = Kubectl(runner: runner, target: KubeTarget(context: settings.kubeContext.value,
                                                                 kubeconfig: settings.kubeconfig))
        let workspace = Workspace(stateDirectory: request.stateDirectory, environment: environment, name: name)

        // Plan: read the cluster, render the documents and the root module.
        reporter.progress("Reading the cluster for \(name) in \(environment)")
        let monitors = try await step { try await kubectl.hasResource("servicemonitors", group: Self.monitoringGroup) }
        var references = ["namespace/\(environment)", "serviceaccount/\(name)", "deployment/\(name)", "service/\(name)",
                          "ingress/\(name)", "networkpolicy/\(name)", "networkpolicy/\(name)-tasks", "poddisruptionbudget/\(name)",
                          "horizontalpodautoscaler.autoscaling/\(name)"]
        if monitors { references.append("servicemonitors.\(Self.monitoringGroup)/\(name)") }
        // The live objects matter for a dry run (what would change) and for keeping the running image;
        // a real run with --image needs only the Namespace (whose it is).
        let needsLive = request.dryRun || !settings.imageIsExplicit
        let (live, namespaceError) = try await step {
            try await readLive(kubectl, references: needsLive ? references : [references[0]], environment: environment)
        }
        let namespace = namespaceError.map { NamespaceOwnership.unreadable(reason: $0) }
            ?? NamespaceOwnership.judge(live.first { $0["kind"]?.stringValue == "Namespace" })
        let liveImage = Self.currentImage(in: live, name: name)
        let image = settings.imageIsExplicit ? settings.image.value : (liveImage ?? settings.image.value)
        if let liveImage, !settings.imageIsExplicit, liveImage != settings.image.value {
            reporter.detail("Keeping the image running in the cluster, \(liveImage) (use --image to change it)")
        }
        try Self.checkImmutable(image, environment: environment, allowed: request.allowMutableTag)
        var documents = try Manifests.render(.init(settings: settings, image: image, serviceMonitor: monitors))
        var skipped: [CreateResult.Skipped] = []
        if let reason = namespace.reason(namespace: environment) {
            documents.removeAll { $0["kind"]?.stringValue == "Namespace" }
            skipped.append(.init(kind: "Namespace", reason: reason))
            if case .unreadable = namespace { reporter.warning(reason) } else { reporter.progress(reason) }
        }
        let metrics = "port metrics (\(settings.metricsPort.value)), path \(settings.metricsPath.value)"
        if monitors {
            reporter.progress("Metrics: the ServiceMonitor \(name) has Prometheus scrape \(metrics)")
        } else {
            let reason = "the cluster has no \(Self.monitoringGroup) ServiceMonitor resource (Prometheus Operator CRD)"
            skipped.append(.init(kind: "ServiceMonitor", reason: reason))
            reporter.progress("Skipping the ServiceMonitor: \(reason)")
            reporter.progress("Metrics: the pods carry prometheus.io/scrape, /port and /path annotations (\(metrics)) for a Prometheus that discovers pods by them")
        }
        let root = RootModule(settings: settings, moduleSource: request.moduleSource, bundled: request.bundledModule)
        let rootModule = try root.encoded()
        // Changed backend credentials need a new `terraform init` too.
        let moduleHash = SHA256.hex(root.backendSecrets.isEmpty ? rootModule : rootModule + (try stableJSONDocument(root.backendSecrets)))
        let secrets = settings.variables.filter { Redactor.isSecretKey($0.key) }.map(\.value) + root.backendSecretValues
        let terraformEnvironment = Terraform.toolEnvironment(processEnvironment: request.processEnvironment,
                                                             stateDirectory: request.stateDirectory,
                                                             variables: settings.variables)
        var result = CreateResult(
            name: name, environment: environment, url: settings.url, image: image, dryRun: request.dryRun,
            terraform: .init(workspace: workspace.path, outputs: [:], changes: nil),
            objects: documents.compactMap(ObjectReference.init), skipped: skipped)

        if request.dryRun {
            let lock = workspace.exists
                ? try await workspace.lock(timeout: request.lockTimeout, reporter: reporter, signals: signals) : nil
            defer { lock?.release() }
            let terraformChanges = try await planInScratchCopy(workspace: workspace, rootModule: rootModule,
                                                               backendSecrets: root.backendSecrets,
                                                               environment: terraformEnvironment, secrets: secrets)
            let (serverDocuments, changed) = try await dryRunApply(kubectl, documents: documents, live: live,
                                                                   namespaceExists: namespace != .missing,
                                                                   manager: AppConventions.fieldManager(name))
            result.terraform.changes = terraformChanges
            result.kubernetesChanges = changed
            result.documents = serverDocuments
            result.changes = terraformChanges || !changed.isEmpty
            return result
        }

        let lock = try await workspace.lock(timeout: request.lockTimeout, reporter: reporter, signals: signals)
        defer { lock.release() }
        try workspace.writeModule(rootModule)
        let terraform = Terraform(runner: runner, directory: workspace.path, environment: terraformEnvironment,
                                  reporter: reporter, secrets: secrets)
        if workspace.isInitialized(for: moduleHash) {
            reporter.progress("Terraform workspace \(workspace.path) is initialised for this module")
        } else {
            try await reporter.phase(.terraformInit) { try await step { try await terraform.initialize(backendSecrets: root.backendSecrets) } }
            try workspace.recordHash(moduleHash)
        }
        defer { Workspace.protectFiles(in: workspace.path) }  // state and backups 0600, also after a failure
        let applied = try await reporter.phase(.terraformApply, summary: { (_: [String: JSONValue]?, changes: [String: Int]?) in
            guard let changes else { return (nil, [:]) }
            return ("\(changes["add"] ?? 0) added, \(changes["change"] ?? 0) changed"
                    + ((changes["remove"] ?? 0) > 0 ? ", \(changes["remove"] ?? 0) destroyed" : ""),
                    ["added": changes["add"] ?? 0, "changed": changes["change"] ?? 0, "destroyed": changes["remove"] ?? 0])
        }) { try await step { try await terraform.applyReporting() } }
        if let outputs = applied.0 {
            result.terraform.outputs = outputs
        } else {
            // apply -json did not report its outputs in the documented form: ask for them.
            result.terraform.outputs = try await step { try await terraform.output() }
        }

        var appObjects = documents
        if namespace == .missing {
            // A new Namespace is applied on its own without --force-conflicts: should another tool
            // create it in the meantime, the API server reports the conflict instead of platform
            // taking its labels.
            reporter.progress("Creating namespace \(environment)")
            let namespaces = documents.filter { $0["kind"]?.stringValue == "Namespace" }
            appObjects.removeAll { $0["kind"]?.stringValue == "Namespace" }
            _ = try await step {
                try await kubectl.apply(namespaces, fieldManager: AppConventions.fieldManager(name), forceConflicts: false)
            }
        }
        let count = appObjects.count
        _ = try await reporter.phase(.kubernetesApply, summary: { (_: CommandResult) in
            ("\(count) objects in namespace \(environment)", ["objects": count])
        }) { try await step { try await kubectl.apply(appObjects, fieldManager: AppConventions.fieldManager(name)) } }
        return result
    }

    /// Outside `development`, an image must have an immutable tag (not `:latest`, not tagless) or a
    /// digest, unless `--allow-mutable-tag`: a mutable tag makes what runs depend on when a node pulls.
    public static func checkImmutable(_ image: String, environment: String, allowed: Bool) throws {
        guard environment != "development", !allowed, !image.contains("@") else { return }
        let tag = Validate.splitImage(image).tag
        guard tag == nil || tag == "latest" else { return }
        throw PlatformError.invalidInput(
            "image \(Validate.quoted(image)) has a mutable tag (\(tag.map { ":" + $0 } ?? "no tag")) outside development: use a fixed tag such as :1.2.0 or a digest (@sha256:...), or pass --allow-mutable-tag")
    }

    /// `kubectl get` of the references (the Namespace first). Credentials scoped to the namespace may
    /// not read the Namespace itself (cluster-scoped): the API server answers 403 Forbidden, kubectl
    /// prints `Error from server (Forbidden): namespaces "ENV" is forbidden: …` and reads nothing, so
    /// the rest is read again without it. Returns the objects and, when the Namespace was not
    /// readable, why.
    private func readLive(_ kubectl: Kubectl, references: [String],
                          environment: String) async throws -> ([JSONValue], String?) {
        do {
            return (try await kubectl.getExisting(references, namespace: environment), nil)
        } catch PlatformError.toolFailed(let argv, let status, let stderrTail) {
            guard Kubectl.errorReason(stderrTail) == "Forbidden",
                  stderrTail.contains("namespaces \"\(environment)\" is forbidden") else {
                throw PlatformError.toolFailed(argv: argv, status: status, stderrTail: stderrTail)
            }
            let rest = references.filter { !$0.hasPrefix("namespace/") }
            let objects = rest.isEmpty ? [] : try await kubectl.getExisting(rest, namespace: environment)
            return (objects, "Forbidden: these credentials may not get namespaces")
        }
    }

    /// Runs one step; a failure after a signal is reported as the interruption it is.
    private func step<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try signals?.checkInterrupted()
        do {
            let value = try await body()
            try signals?.checkInterrupted()
            return value
        } catch {
            try signals?.checkInterrupted()
            throw error
        }
    }

    /// `terraform plan` in a scratch copy of the workspace, so a dry run changes no file of it.
    private func planInScratchCopy(workspace: Workspace, rootModule: Data, backendSecrets: [String: JSONValue],
                                   environment: [String: String], secrets: [String]) async throws -> Bool {
        let files = FileManager.default
        let scratch = files.temporaryDirectory.appendingPathComponent("platform-plan-\(UUID().uuidString)").path
        try files.createDirectory(atPath: scratch, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? files.removeItem(atPath: scratch) }
        try rootModule.write(to: URL(fileURLWithPath: scratch + "/" + Workspace.moduleFile))
        for file in [Workspace.stateFile, ".terraform.lock.hcl"] where files.fileExists(atPath: workspace.path + "/" + file) {
            try files.copyItem(atPath: workspace.path + "/" + file, toPath: scratch + "/" + file)
        }
        Workspace.protectFiles(in: scratch)
        let terraform = Terraform(runner: runner, directory: scratch, environment: environment, reporter: reporter,
                                  secrets: secrets)
        reporter.progress("Planning the infrastructure (dry run)")
        try await step { try await terraform.initialize(backendSecrets: backendSecrets) }
        return try await step { try await terraform.plan(detailedExitCode: true, lock: false) }
    }

    /// Server-side dry run of the documents; returns what the server would store and which objects
    /// differ from the live ones. A namespace that does not exist yet cannot hold dry-run objects, so
    /// then only the Namespace goes to the server and everything counts as a change.
    private func dryRunApply(_ kubectl: Kubectl, documents: [JSONValue], live: [JSONValue], namespaceExists: Bool,
                             manager: String) async throws -> ([JSONValue], [ObjectReference]) {
        reporter.progress("Checking \(documents.count) objects with the API server (dry run)")
        guard namespaceExists else {
            let namespaces = documents.filter { $0["kind"]?.stringValue == "Namespace" }
            let answered = try await step { try await kubectl.apply(namespaces, fieldManager: manager, dryRun: true) }
            let fromServer = Self.items(answered.stdout)
            let rest = documents.filter { $0["kind"]?.stringValue != "Namespace" }
            return (fromServer + rest, documents.compactMap(ObjectReference.init))
        }
        let answered = try await step { try await kubectl.apply(documents, fieldManager: manager, dryRun: true) }
        let fromServer = Self.items(answered.stdout)
        var changed: [ObjectReference] = []
        for document in fromServer {
            guard let reference = ObjectReference(document) else { continue }
            let current = live.first { ObjectReference($0).map { $0.kind == reference.kind && $0.name == reference.name } ?? false }
            if current.map({ Self.comparable($0) != Self.comparable(document) }) ?? true {
                changed.append(reference)
            }
        }
        return (fromServer, changed)
    }

    static func items(_ data: Data) -> [JSONValue] {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: data) else { return [] }
        return value["items"]?.arrayValue ?? [value]
    }

    /// An object without what the server changes on every write (status, versions, managed fields).
    static func comparable(_ object: JSONValue) -> JSONValue {
        guard var fields = object.objectValue else { return object }
        fields["status"] = nil
        if var metadata = fields["metadata"]?.objectValue {
            for key in ["resourceVersion", "uid", "generation", "creationTimestamp", "managedFields", "selfLink"] {
                metadata[key] = nil
            }
            fields["metadata"] = .object(metadata)
        }
        return .object(fields)
    }

    /// The image of the app's container in the live Deployment, if there is one.
    static func currentImage(in live: [JSONValue], name: String) -> String? {
        guard let deployment = live.first(where: {
            $0["kind"]?.stringValue == "Deployment" && $0["metadata", "name"]?.stringValue == name
        }) else { return nil }
        let containers = deployment["spec", "template", "spec", "containers"]?.arrayValue ?? []
        return AppConventions.appContainer(containers, app: name)?["image"]?.stringValue
    }
}
