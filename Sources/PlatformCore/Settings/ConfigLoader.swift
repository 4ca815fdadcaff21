import Foundation

/// Loads the organisation, user and project configs and merges them with flags, environment variables
/// and built-ins. Precedence: flags > environment variables > project > user > `$PLATFORM_CONFIG` >
/// `$XDG_CONFIG_DIRS` (organisation) > built-in; keys an organisation file locks stay as it set them.
public enum ConfigLoader {
    public static let projectFileName = "platform.json"
    /// The kinds `overrides` may patch: the app's own objects. Not the Namespace, which every app of
    /// the environment shares (one project's patch would change it for all of them).
    public static let overridableKinds = ["ServiceAccount", "Deployment", "Service", "Ingress", "NetworkPolicy",
                                          "PodDisruptionBudget", "HorizontalPodAutoscaler", "ServiceMonitor"]

    public static func userConfigPath(environment: [String: String]) -> String {
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") {
            return xdg + "/platform/config.json"
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.config/platform/config.json"
    }

    /// `platform.json` in `directory` or the nearest parent that has one.
    public static func findProjectConfig(from directory: String) -> String? {
        var url = URL(fileURLWithPath: directory).standardizedFileURL
        while true {
            let candidate = url.appendingPathComponent(projectFileName).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            if url.path == "/" || url.path.isEmpty { return nil }
            url.deleteLastPathComponent()
        }
    }

    /// The `name` of the nearest platform.json (this folder or a parent); nil when there is none or it
    /// names no app. The one rule for "the app of this project" (NAME defaults, config show, completion).
    public static func projectAppName(from directory: String) throws -> String? {
        guard let path = findProjectConfig(from: directory) else { return nil }
        return try loadProjectConfig(at: path).name
    }

    /// The release command of `app` from the nearest platform.json, when that file is `app`'s project
    /// (its `name` is `app`): `[]` when the project has none (a command recorded on the Deployment
    /// earlier is then not run either); nil outside the project. Invalid is exit 64, before anything changes.
    public static func projectReleaseCommand(from directory: String, app: String) throws -> [String]? {
        guard let path = findProjectConfig(from: directory) else { return nil }
        let project = try loadProjectConfig(at: path)
        guard project.name == app else { return nil }
        return project.release ?? []
    }

    /// The one rule for where kubectl goes: `--kube-context`, else the config layers' `kube_context` of
    /// the environment, else kubeconfig's current context (nil). Every command that talks to the
    /// cluster (create, deploy, status, doctor, ...) resolves it here, so they all target the same one.
    public static func kubeContext(flag: String?, layers: ConfigLayers, environment: String) -> Sourced<String?> {
        if let flag { return Sourced(flag, .flag("kube-context")) }
        if let value = layers.merged.environments?[environment]?.kubeContext {
            return Sourced(value, layers.source(environment: environment, field: "kube_context") ?? .builtIn)
        }
        return Sourced(nil, .builtIn)
    }

    public static func loadUserConfig(at path: String) throws -> UserConfig? {
        guard let (document, _, text) = try loadConfigDocument(at: path, organisation: false) else { return nil }
        return try decode(UserConfig.self, .object(document), path: path, text: text)
    }

    /// A user or organisation config as its checked JSON object (without `locked`), the keys it locks
    /// (organisation files only) and its text; nil when the file does not exist.
    static func loadConfigDocument(at path: String, organisation: Bool) throws
        -> (document: [String: JSONValue], locked: [String], text: String)? {
        guard let text = try readIfPresent(path) else { return nil }
        var value = try parse(text, path: path)
        let allowed = organisation ? UserConfig.keys + ["locked"] : UserConfig.keys
        if !organisation, value["locked"] != nil {
            throw PlatformError.invalidInput(
                "\(path):\(line(of: "locked", in: text)): 'locked' belongs in an organisation config ($XDG_CONFIG_DIRS/platform/config.json or $PLATFORM_CONFIG), not in the user config")
        }
        try checkKeys(value, allowed: allowed, path: path, text: text, context: nil)
        if let environments = value["environments"]?.objectValue {
            for (name, entry) in environments.sorted(by: { $0.key < $1.key }) {
                try checkKeys(entry, allowed: UserConfig.Environment.keys, path: path, text: text, context: "environments.\(name)")
                if let tls = entry["tls"] {
                    try checkKeys(tls, allowed: IngressSettings.TLS.keys, path: path, text: text, context: "environments.\(name).tls")
                }
            }
        }
        if let network = value["network_policy"] {
            try checkKeys(network, allowed: NetworkPolicySettings.keys, path: path, text: text, context: "network_policy")
        }
        if let backend = value["backend"] {
            try checkKeys(backend, allowed: ["type", "config"], path: path, text: text, context: "backend")
        }
        if let resources = value["resources"] {
            try checkKeys(resources, allowed: ["requests", "limits"], path: path, text: text, context: "resources")
        }
        var locked: [String] = []
        if let list = value["locked"] {
            let lockable = UserConfig.keys
            guard let items = list.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else {
                throw PlatformError.invalidInput("\(path):\(line(of: "locked", in: text)): 'locked' must be a list of config keys (e.g. [\"domain\", \"backend\"])")
            }
            for item in items.compactMap(\.stringValue) {
                guard lockable.contains(item) else {
                    throw PlatformError.invalidInput(
                        "\(path):\(line(of: "locked", in: text)): unknown key \(Validate.quoted(item)) in 'locked' (allowed: \(lockable.joined(separator: ", ")))")
                }
                locked.append(item)
            }
            if case .object(var object) = value { object["locked"] = nil; value = .object(object) }
        }
        _ = try decode(UserConfig.self, value, path: path, text: text)
        return (value.objectValue ?? [:], locked, text)
    }

    public static func loadProjectConfig(at path: String) throws -> ProjectConfig {
        let text = try readIfPresent(path) ?? "{}"
        let value = try parse(text, path: path)
        try checkKeys(value, allowed: ProjectConfig.keys, path: path, text: text, context: nil)
        if let resources = value["resources"] {
            try checkKeys(resources, allowed: ["requests", "limits"], path: path, text: text, context: "resources")
        }
        if let autoscale = value["autoscale"] {
            try checkKeys(autoscale, allowed: AutoscaleSettings.keys, path: path, text: text, context: "autoscale")
        }
        if let overrides = value["overrides"] {
            guard let kinds = overrides.objectValue else {
                throw PlatformError.invalidInput("\(path):\(line(of: "overrides", in: text)): 'overrides' must be an object of merge patches per kind")
            }
            for (kind, patch) in kinds.sorted(by: { $0.key < $1.key }) {
                if kind == "Namespace" {
                    throw PlatformError.invalidInput(
                        "\(path):\(line(of: kind, in: text)): overrides.Namespace is not allowed: the namespace is shared by every app of the environment (allowed kinds: \(overridableKinds.joined(separator: ", ")))")
                }
                guard overridableKinds.contains(kind) else {
                    throw PlatformError.invalidInput(
                        "\(path):\(line(of: kind, in: text)): unknown kind \(Validate.quoted(kind)) in 'overrides' (allowed: \(overridableKinds.joined(separator: ", ")))")
                }
                guard patch.objectValue != nil else {
                    throw PlatformError.invalidInput("\(path):\(line(of: kind, in: text)): overrides.\(kind) must be a JSON object (a merge patch)")
                }
                if let key = OverridePolicy.forbiddenPath(in: patch, kind: kind) {
                    throw PlatformError.invalidInput(
                        "\(path):\(line(ofPath: ["overrides", kind] + key, in: text)): overrides.\(kind).\(key.joined(separator: ".")) is not allowed: \(OverridePolicy.allowedText)")
                }
            }
        }
        if let release = value["release"] {
            let argv = release.arrayValue?.compactMap(\.stringValue)
            guard let argv, argv.count == release.arrayValue?.count else {
                throw PlatformError.invalidInput("\(path):\(line(of: "release", in: text)): 'release' must be an array of strings (the command's argv, e.g. [\"python\", \"-m\", \"shop.migrate\"])")
            }
            if let problem = ReleaseCommand.problem(argv) {
                throw PlatformError.invalidInput("\(path):\(line(of: "release", in: text)): invalid 'release': \(problem)")
            }
        }
        return try decode(ProjectConfig.self, value, path: path, text: text)
    }

    /// Resolves every setting for `flags.name`; validates the merged values (nothing is touched).
    public static func resolve(flags: SettingsFlags, environment: [String: String], currentDirectory: String) throws -> AppSettings {
        let layers = try ConfigLayers.load(environment: environment)
        let user = layers.merged
        var project = ProjectConfig()
        var projectPath: String?
        if let found = findProjectConfig(from: currentDirectory) {
            let loaded = try loadProjectConfig(at: found)
            if loaded.name == nil || loaded.name == flags.name {
                project = loaded
                projectPath = found
            }
        }
        func env(_ key: String) -> String? {
            environment[key].flatMap { $0.isEmpty ? nil : $0 }
        }
        let projectSource = SettingSource.project(projectPath ?? projectFileName)
        let shownProject = projectPath ?? projectFileName

        // Environment
        let environmentName: Sourced<String>
        if let given = flags.environment { environmentName = Sourced(given, .flag("environment")) }
        else if let fromEnv = env("PLATFORM_ENVIRONMENT") { environmentName = Sourced(fromEnv, .environment("PLATFORM_ENVIRONMENT")) }
        else if let fromUser = layers.sourced("default_environment", user.defaultEnvironment) { environmentName = fromUser }
        else { environmentName = Sourced("development", .builtIn) }
        let envConfig = user.environments?[environmentName.value]
        func fromEnvironment(_ field: String) -> SettingSource {
            layers.source(environment: environmentName.value, field: field) ?? .builtIn
        }

        /// `key`: the config key (nil for settings the user/organisation configs do not hold).
        func pick<T: Encodable>(_ key: String?, _ flag: (T?, String), _ envKey: String?, parse: (String) throws -> T,
                                _ projectValue: T?, _ userValue: T?, _ builtIn: T) throws -> Sourced<T> {
            if let value = flag.0 {
                if let key { try layers.checkUnlocked(key, value, from: "--\(flag.1)") }
                return Sourced(value, .flag(flag.1))
            }
            if let envKey, let raw = env(envKey) {
                let value = try parse(raw)
                if let key { try layers.checkUnlocked(key, value, from: "the environment variable \(envKey)") }
                return Sourced(value, .environment(envKey))
            }
            if let value = projectValue {
                if let key { try layers.checkUnlocked(key, value, from: "the project config \(shownProject)") }
                return Sourced(value, projectSource)
            }
            if let key, let value = layers.sourced(key, userValue) { return value }
            return Sourced(builtIn, .builtIn)
        }

        let replicas = try pick("replicas", (flags.replicas, "replicas"), "PLATFORM_REPLICAS",
                                parse: { try Validate.positiveInteger($0, what: "PLATFORM_REPLICAS", range: replicaRange) },
                                project.replicas, user.replicas, 1)
        let port = try pick(nil, (flags.port, "port"), "PLATFORM_PORT",
                            parse: { try Validate.positiveInteger($0, what: "PLATFORM_PORT", range: 1...65535) },
                            project.port, nil, 8080)
        let instanceType = try pick("instance_type", (flags.instanceType, "instance-type"), "PLATFORM_INSTANCE_TYPE", parse: { $0 },
                                    project.instanceType, user.instanceType, "t3.medium")
        let image = try pick(nil, (flags.image, "image"), nil, parse: { $0 },
                             project.image.map { Validate.splitImage($0).tag == nil ? $0 + ":latest" : $0 }, nil,
                             flags.name + ":latest")
        let resources = try pick("resources", (nil, "resources"), nil, parse: { _ in ResourceSettings() },
                                 project.resources, user.resources, ResourceSettings.builtIn)
        let healthPath = try pick(nil, (nil, ""), nil, parse: { $0 }, project.healthPath, nil, "/healthz")
        let metricsPath = try pick(nil, (nil, ""), nil, parse: { $0 }, project.metricsPath, nil, "/metrics")
        let metricsPort = try pick(nil, (nil, ""), nil, parse: { Int($0) ?? 0 }, project.metricsPort, nil, port.value == 9090 ? 9091 : 9090)
        let autoscale: Sourced<AutoscaleSettings?> = project.autoscale.map { Sourced($0, projectSource) } ?? Sourced(nil, .builtIn)
        let ingress = IngressSettings(className: envConfig?.ingressClass ?? user.ingressClass ?? IngressSettings.defaultClassName,
                                      tls: envConfig?.tls)
        let ingressSource: SettingSource = envConfig?.tls != nil ? fromEnvironment("tls")
            : envConfig?.ingressClass != nil ? fromEnvironment("ingress_class")
            : (layers.source(of: "ingress_class") ?? .builtIn)
        let networkPolicy = Sourced(user.networkPolicy ?? NetworkPolicySettings(), layers.source(of: "network_policy") ?? .builtIn)

        let domain: Sourced<String>
        if let value = env("PLATFORM_DOMAIN") {
            try layers.checkUnlocked("domain", value, from: "the environment variable PLATFORM_DOMAIN")
            domain = Sourced(value, .environment("PLATFORM_DOMAIN"))
        }
        else if let value = envConfig?.domain { domain = Sourced(value, fromEnvironment("domain")) }
        else if let value = layers.sourced("domain", user.domain) { domain = value }
        else { domain = Sourced("example.com", .builtIn) }

        let moduleSource: Sourced<String?>
        if let value = env("PLATFORM_MODULE_SOURCE") {
            try layers.checkUnlocked("module_source", value, from: "the environment variable PLATFORM_MODULE_SOURCE")
            moduleSource = Sourced(value, .environment("PLATFORM_MODULE_SOURCE"))
        }
        else if let value = user.moduleSource { moduleSource = Sourced(value, layers.source(of: "module_source") ?? .builtIn) }
        else { moduleSource = Sourced(nil, .builtIn) }

        let kubeContext = Self.kubeContext(flag: flags.kubeContext, layers: layers, environment: environmentName.value)

        let templatesSource = Sourced<String?>(user.templatesSource, layers.source(of: "templates_source") ?? .builtIn)

        var settings = AppSettings(
            name: flags.name, environment: environmentName, image: image, replicas: replicas, port: port,
            instanceType: instanceType, domain: domain, moduleSource: moduleSource,
            backend: Sourced(user.backend, layers.source(of: "backend") ?? .builtIn), kubeContext: kubeContext,
            kubeconfig: flags.kubeconfig, resources: resources, healthPath: healthPath, metricsPath: metricsPath,
            overrides: project.overrides ?? [:], variables: flags.variables, userConfigPath: layers.user.path,
            projectConfigPath: projectPath, configLayers: layers.layers, templatesSource: templatesSource,
            metricsPort: metricsPort, autoscale: autoscale,
            serviceAccountToken: project.serviceAccountToken ?? false, ingress: Sourced(ingress, ingressSource),
            networkPolicy: networkPolicy)
        settings.releaseCommand = project.release
        try validate(settings)
        return settings
    }

    public static let replicaRange = 0...1000
    /// Terraform's module block meta-arguments (and `lifecycle`, reserved for later).
    public static let terraformReservedKeys: Set<String> = ["count", "source", "for_each", "version", "providers",
                                                            "depends_on", "lifecycle"]

    /// Checks every merged value, naming the value, what is allowed and where it came from.
    public static func validate(_ settings: AppSettings) throws {
        func from(_ source: SettingSource) -> String {
            if case .flag = source { return "" }
            return " (from \(source))"
        }
        try Validate.name(settings.name)
        do { try Validate.environment(settings.environment.value) } catch let PlatformError.invalidInput(message) {
            throw PlatformError.invalidInput(message + from(settings.environment.source))
        }
        do { try Validate.image(settings.image.value) } catch let PlatformError.invalidInput(message) {
            throw PlatformError.invalidInput(message + from(settings.image.source))
        }
        if !replicaRange.contains(settings.replicas.value) {
            throw PlatformError.invalidInput(
                "invalid replicas \(settings.replicas.value): use a whole number from \(replicaRange.lowerBound) to \(replicaRange.upperBound)" + from(settings.replicas.source))
        }
        if !(1...65535).contains(settings.port.value) {
            throw PlatformError.invalidInput("invalid port \(settings.port.value): use a whole number from 1 to 65535" + from(settings.port.source))
        }
        let instance = settings.instanceType.value
        if instance.isEmpty || instance.count > 64
            || !instance.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "." || $0 == "-" || $0 == "_" }) {
            throw PlatformError.invalidInput(
                "invalid instance type \(Validate.quoted(instance)): use letters, digits, '.', '-' or '_' (e.g. t3.medium)" + from(settings.instanceType.source))
        }
        let domain = settings.domain.value
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        if domain.count > 200 || labels.count < 1 || !labels.allSatisfy({ label in
            !label.isEmpty && label.count <= 63 && label.first != "-" && label.last != "-"
                && label.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }
        }) {
            throw PlatformError.invalidInput(
                "invalid domain \(Validate.quoted(domain)): use lowercase DNS labels separated by '.' (e.g. example.com)" + from(settings.domain.source))
        }
        if (settings.name + "." + settings.environment.value + "." + domain).count > 253 {
            throw PlatformError.invalidInput("host \(settings.host) is longer than 253 characters")
        }
        for (label, path) in [("healthPath", settings.healthPath), ("metricsPath", settings.metricsPath)] {
            if !path.value.hasPrefix("/") || path.value.contains(where: { $0.isWhitespace }) {
                throw PlatformError.invalidInput(
                    "invalid \(label) \(Validate.quoted(path.value)): use an absolute URL path such as /healthz" + from(path.source))
            }
        }
        if !(1...65535).contains(settings.metricsPort.value) || settings.metricsPort.value == settings.port.value {
            throw PlatformError.invalidInput(
                "invalid metricsPort \(settings.metricsPort.value): use a whole number from 1 to 65535 other than port \(settings.port.value)" + from(settings.metricsPort.source))
        }
        if let autoscale = settings.autoscale.value {
            if autoscale.min < 1 || autoscale.max < autoscale.min || autoscale.max > replicaRange.upperBound {
                throw PlatformError.invalidInput(
                    "invalid autoscale min \(autoscale.min) max \(autoscale.max): use 1 <= min <= max <= \(replicaRange.upperBound)" + from(settings.autoscale.source))
            }
            if !(1...100).contains(autoscale.cpu) {
                throw PlatformError.invalidInput(
                    "invalid autoscale cpu \(autoscale.cpu): use a target CPU utilisation from 1 to 100 (percent)" + from(settings.autoscale.source))
            }
        }
        for namespace in [settings.networkPolicy.value.ingressNamespace, settings.networkPolicy.value.monitoringNamespace] {
            if (try? Validate.environment(namespace)) == nil {
                throw PlatformError.invalidInput(
                    "invalid network_policy namespace \(Validate.quoted(namespace)): use a namespace name (lowercase letters, digits, '-')" + from(settings.networkPolicy.source))
            }
        }
        for (what, value) in [("ingress_class", settings.ingress.value.className),
                              ("tls.cluster_issuer", settings.ingress.value.tls?.clusterIssuer ?? "ok")] {
            let valid = value.count <= 253 && !value.isEmpty
                && value.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" || $0 == "." }
            if !valid {
                throw PlatformError.invalidInput(
                    "invalid \(what) \(Validate.quoted(value)): use a lowercase Kubernetes object name (letters, digits, '-', '.')" + from(settings.ingress.source))
            }
        }
        for key in settings.variables.keys.sorted() {
            if ["name", "environment", "domain", "instance_type", "replicas"].contains(key) {
                throw PlatformError.invalidInput(
                    "invalid --set key \(Validate.quoted(key)): the platform sets it; use --\(key == "instance_type" ? "instance-type" : key) or the config instead")
            }
            // Meta-arguments of a Terraform `module` block: a variable cannot have these names, and
            // with a module of one's own they used to fail only after main.tf.json and `terraform init`.
            if terraformReservedKeys.contains(key) {
                throw PlatformError.invalidInput(
                    "invalid --set key \(Validate.quoted(key)): Terraform reserves it in module blocks (\(terraformReservedKeys.sorted().joined(separator: ", "))); a module variable cannot have this name")
            }
        }
        if let backend = settings.backend.value, !Validate.isIdentifier(backend.type) {
            throw PlatformError.invalidInput("invalid backend type \(Validate.quoted(backend.type)): use a Terraform backend name such as s3, gcs or http" + from(settings.backend.source))
        }
    }

    // MARK: - Reading

    static func readIfPresent(_ path: String) throws -> String? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw PlatformError.invalidInput("\(path): cannot be read as UTF-8 text: \(error.localizedDescription)")
        }
    }

    static func parse(_ text: String, path: String) throws -> JSONValue {
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        } catch {
            // A number JSONDecoder cannot hold as a Double (1e309) fails as a type mismatch at its key.
            if case DecodingError.typeMismatch(_, let context)? = error as? DecodingError,
               let key = context.codingPath.last(where: { $0.intValue == nil })?.stringValue,
               let number = text.range(of: "\"\(key)\""), text[number.upperBound...].drop(while: { $0 == " " || $0 == ":" || $0 == "\n" || $0 == "\t" }).first.map({ $0.isNumber || $0 == "-" }) == true {
                throw PlatformError.invalidInput("\(path):\(line(of: key, in: text)): \(wholeNumberMessage(key))")
            }
            throw PlatformError.invalidInput("\(path): invalid JSON: \(describe(decodingError: error))")
        }
        guard value.objectValue != nil else {
            throw PlatformError.invalidInput("\(path):1: expected a JSON object at the top level")
        }
        return value
    }

    static func checkKeys(_ value: JSONValue, allowed: [String], path: String, text: String, context: String?) throws {
        guard let object = value.objectValue else {
            throw PlatformError.invalidInput("\(path):\(line(of: context?.split(separator: ".").last.map(String.init) ?? "", in: text)): '\(context ?? "")' must be a JSON object")
        }
        for key in object.keys.sorted() where !allowed.contains(key) {
            let place = context.map { " in '\($0)'" } ?? ""
            throw PlatformError.invalidInput(
                "\(path):\(line(of: key, in: text)): unknown key \(Validate.quoted(key))\(place) (allowed: \(allowed.joined(separator: ", ")))")
        }
    }

    /// The numbers of the config files and what they may be.
    static let wholeNumbers: [String: ClosedRange<Int>] = ["replicas": replicaRange, "port": 1...65535]

    /// The first key (depth first, sorted) of a whole-number setting holding a fraction or a number too large for an Int.
    static func firstNonWholeNumber(in value: JSONValue) -> String? {
        switch value {
        case .object(let object):
            for key in object.keys.sorted() {
                if wholeNumbers[key] != nil, case .number(let n)? = object[key], n.rounded() != n || abs(n) >= 9.2e18 { return key }
                if let found = firstNonWholeNumber(in: object[key]!) { return found }
            }
            return nil
        case .array(let items):
            return items.lazy.compactMap(firstNonWholeNumber).first
        default:
            return nil
        }
    }

    static func wholeNumberMessage(_ key: String) -> String {
        let range = wholeNumbers[key] ?? 0...Int(Int32.max)
        return "'\(key)' must be a whole number between \(range.lowerBound) and \(range.upperBound)"
    }

    static func decode<T: Decodable>(_ type: T.Type, _ value: JSONValue, path: String, text: String) throws -> T {
        do {
            return try value.decode(T.self)
        } catch let error as DecodingError {
            // 3.5 or 1e30 where a whole number belongs: say what is allowed, not "not valid JSON".
            // (JSONDecoder reports those as "not valid JSON" without a key: find the key ourselves.)
            if case .dataCorrupted = error, let key = firstNonWholeNumber(in: value) {
                throw PlatformError.invalidInput("\(path):\(line(of: key, in: text)): \(wholeNumberMessage(key))")
            }
            var key = ""
            switch error {
            case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
                key = context.codingPath.last(where: { $0.intValue == nil })?.stringValue ?? ""
            case .keyNotFound(let missing, _):
                key = missing.stringValue
            @unknown default:
                break
            }
            throw PlatformError.invalidInput("\(path):\(line(of: key, in: text)): \(describe(decodingError: error))")
        }
    }

    /// The 1-based line where `"key":` first appears (1 when not found).
    static func line(of key: String, in text: String) -> Int {
        line(ofPath: [key], in: text)
    }

    /// The 1-based line of the last key of `path`, each key looked for after the one before it
    /// (`["overrides", "Deployment", "metadata", "name"]`); array indexes are skipped.
    static func line(ofPath path: [String], in text: String) -> Int {
        var start = text.startIndex
        var found: Range<String.Index>?
        for key in path where !key.isEmpty && Int(key) == nil {
            let needle = "\"\(key)\""
            var search = start..<text.endIndex
            var hit: Range<String.Index>?
            while let candidate = text.range(of: needle, range: search) {
                let rest = text[candidate.upperBound...].drop { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
                if rest.first == ":" { hit = candidate; break }
                search = candidate.upperBound..<text.endIndex
            }
            guard let hit else { break }
            found = hit
            start = hit.upperBound
        }
        guard let found else { return 1 }
        return text[..<found.lowerBound].reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
    }
}
