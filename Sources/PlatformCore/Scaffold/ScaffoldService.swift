import Foundation
#if canImport(Glibc)
import Glibc
#endif

public struct ScaffoldService: Sendable {
    public let runner: CommandRunner
    public let store: TemplateStore
    public let reporter: ProgressReporter
    public let signals: SignalForwarder
    public let version: String

    public init(runner: CommandRunner, store: TemplateStore, reporter: ProgressReporter,
                signals: SignalForwarder, version: String) {
        self.runner = runner
        self.store = store
        self.reporter = reporter
        self.signals = signals
        self.version = version
    }

    /// Plans and, unless `dryRun`, renders into a temporary sibling folder, commits, and renames it into place.
    /// A Ctrl-C or SIGTERM does not stop the process in the middle of writing: the render loop and the
    /// steps between git calls notice it (`checkInterrupted`), the temporary folder is removed on the
    /// normal error path, and the run ends as `interrupted` (exit 130/143, event recorded). Only a
    /// second signal stops at once, after the registered cleanup removed the folder.
    public func scaffold(_ request: ScaffoldRequest, dryRun: Bool) async throws -> (ScaffoldPlan, ScaffoldResult?) {
        try await signals.handlesInterruption { try await scaffoldSteps(request, dryRun: dryRun) }
    }

    private func scaffoldSteps(_ request: ScaffoldRequest, dryRun: Bool) async throws -> (ScaffoldPlan, ScaffoldResult?) {
        try Validate.name(request.name)
        let parent = URL(fileURLWithPath: request.parentDirectory).standardizedFileURL.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw PlatformError.invalidInput("folder \(Validate.quoted(parent)) does not exist; create it or choose another --dir")
        }
        let target = parent == "/" ? "/" + request.name : parent + "/" + request.name
        guard !FileManager.default.fileExists(atPath: target) && (try? FileManager.default.destinationOfSymbolicLink(atPath: target)) == nil else {
            throw PlatformError.invalidInput("\(target) already exists; choose another name or --dir (nothing was changed)")
        }

        let checkout = try await fetch(request.template)
        defer { if let clone = checkout.clone { try? FileManager.default.removeItem(atPath: clone) } }
        let plan = try makePlan(request, template: checkout.info, source: request.template.description, target: target,
                                version: checkout.version, commit: checkout.commit)
        if dryRun { return (plan, nil) }
        try signals.checkInterrupted()

        let temporary = try makeTemporaryFolder(in: parent, name: request.name)
        let cleanup = signals.addCleanup { try? FileManager.default.removeItem(atPath: temporary) }
        defer { signals.removeCleanup(cleanup) }
        do {
            reporter.progress("Rendering \(plan.files.count) files from \(plan.template)")
            try render(plan, from: checkout.info.directory, into: temporary)
            try writeRecord(plan, into: temporary)
            var commit: String?
            if request.git {
                try signals.checkInterrupted()
                reporter.progress("Creating git repository")
                let git = Git(runner: runner)
                try await git.initialize(temporary)
                try await git.addAll(temporary)
                commit = try await git.commit(temporary, message: plan.commitMessage)
                // The scaffold commit is the pristine render `platform upgrade` merges from (docs/templates.md).
                try await git.updateRef(UpgradeService.pristineRef, to: "HEAD", in: temporary,
                                        reason: "platform scaffold \(plan.template)")
            }
            try signals.checkInterrupted()
            try moveIntoPlace(temporary, target)
            return (plan, ScaffoldResult(name: plan.name, path: target, template: plan.template, files: plan.files.count,
                                         commit: commit, variables: plan.variables))
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            // A git child stopped by the forwarded signal fails; the run was interrupted, not broken.
            try signals.checkInterrupted()
            throw error
        }
    }

    struct Checkout {
        var info: TemplateInfo
        var clone: String?
        var version: String?
        var commit: String?
    }

    private func fetch(_ reference: TemplateReference) async throws -> Checkout {
        switch reference {
        case .id(let id):
            let info = try store.find(id)
            return Checkout(info: info, clone: nil, version: info.manifest.version)
        case .path(let path):
            let expanded = (path as NSString).expandingTildeInPath
            let directory = URL(fileURLWithPath: expanded).standardizedFileURL.path
            let manifest = try TemplateManifest.load(from: directory)
            return Checkout(info: TemplateInfo(id: path, directory: directory, manifest: manifest), clone: nil,
                            version: manifest.version)
        case .git(let url, let subdirectory, let ref):
            let clone = FileManager.default.temporaryDirectory.appendingPathComponent("platform-template-\(UUID().uuidString)").path
            reporter.progress("Cloning template \(reference.description)")
            do {
                let git = Git(runner: runner)
                let commit = try await git.clone(url, into: clone, ref: ref)
                let directory = try Self.confine(subdirectory, to: clone, url: url)
                let id = subdirectory ?? URL(fileURLWithPath: url).deletingPathExtension().lastPathComponent
                return Checkout(info: TemplateInfo(id: id, directory: directory,
                                                   manifest: try TemplateManifest.load(from: directory)), clone: clone,
                                version: try await git.versionTag(in: clone, ref: ref, commit: commit), commit: commit)
            } catch {
                try? FileManager.default.removeItem(atPath: clone)
                throw error
            }
        }
    }

    /// The template folder of a clone: SUBDIR with every symlink resolved, which must stay inside the
    /// clone and outside its `.git` (a SUBDIR that is a symlink could otherwise copy any folder of the
    /// developer's disk into the new project).
    static func confine(_ subdirectory: String?, to clone: String, url: String) throws -> String {
        let root = URL(fileURLWithPath: clone).resolvingSymlinksInPath().path
        guard let subdirectory else { return root }
        let shown = Validate.quoted(subdirectory)
        guard let resolved = realpath(clone + "/" + subdirectory, nil) else {
            throw PlatformError.invalidInput("template subfolder \(shown) not found in \(url)")
        }
        defer { free(resolved) }
        let path = String(cString: resolved)
        guard path.hasPrefix(root + "/") else {
            throw PlatformError.invalidInput("template subfolder \(shown) leads outside the repository \(url) (through a symlink); refused")
        }
        guard !RenderedPathRules.hasGitComponent(String(path.dropFirst(root.count + 1))) else {
            throw PlatformError.invalidInput("template subfolder \(shown) leads into the repository's .git folder; refused")
        }
        return path
    }

    /// Resolves variables and lists every file with its rendered target path. Touches nothing.
    func makePlan(_ request: ScaffoldRequest, template: TemplateInfo, source: String, target: String,
                  version: String? = nil, commit: String? = nil) throws -> ScaffoldPlan {
        let builtins = PlaceholderRenderer.builtins(name: request.name)
        let manifest = template.manifest
        if manifest.reservedNames.contains(request.name) || manifest.reservedNames.contains(builtins["name_snake"] ?? "") {
            throw PlatformError.invalidInput(
                "name \(Validate.quoted(request.name)) clashes with a package the \(template.id) template uses; choose another name")
        }
        for key in request.variables.keys.sorted() where manifest.variables[key] == nil {
            let known = manifest.variables.keys.sorted()
            throw PlatformError.invalidInput(
                "unknown variable \(Validate.quoted(key)) for template \(template.id); "
                    + (known.isEmpty ? "it takes none" : "it takes: " + known.joined(separator: ", ")))
        }
        var variables = builtins
        for (key, spec) in manifest.variables {
            guard Validate.isIdentifier(key), builtins[key] == nil else {
                throw PlatformError.invalidInput("template \(template.id) declares an invalid variable name \(Validate.quoted(key))")
            }
            guard let value = request.variables[key] ?? request.defaults[key]
                    ?? spec.default.map({ PlaceholderRenderer(variables: builtins).render($0) }) else {
                throw PlatformError.invalidInput("template \(template.id) needs --set \(key)=VALUE (\(spec.description ?? "no default"))")
            }
            let accepted: Bool
            do {
                accepted = try spec.accepts(value)
            } catch {
                throw PlatformError.invalidInput("template \(template.id): variable \(key) has an invalid pattern \(Validate.quoted(spec.pattern ?? ""))")
            }
            guard accepted else {
                throw PlatformError.invalidInput("invalid value \(Validate.quoted(value)) for \(key): "
                    + (spec.pattern.map { "must match \($0)" } ?? "") + (spec.allowControlCharacters == true ? "" : (spec.pattern == nil ? "" : ", ") + "without control characters"))
            }
            variables[key] = value
        }
        for condition in manifest.conditionalFiles {
            for key in condition.when.keys.sorted() where manifest.variables[key] == nil {
                throw PlatformError.invalidInput(
                    "template \(template.id): conditionalFiles names \(Validate.quoted(key)), which is not one of its variables")
            }
        }
        let renderer = PlaceholderRenderer(variables: variables)
        let root = URL(fileURLWithPath: template.directory).resolvingSymlinksInPath().path
        var files: [PlannedFile] = []
        var hasher = SHA256()
        for relative in try listFiles(root) where manifest.includes(relative, variables: variables) {
            let renderedPath = renderer.render(relative)
            let components = renderedPath.split(separator: "/", omittingEmptySubsequences: false)
            guard isSafeRelativePath(renderedPath), !components.contains("."), components.count == relative.split(separator: "/", omittingEmptySubsequences: false).count else {
                throw PlatformError.invalidInput("template file \(Validate.quoted(relative)) renders to an unsafe path \(Validate.quoted(renderedPath))")
            }
            let full = root + "/" + relative
            let status = try FileStatus(full)
            if status.kind == .symlink {
                let destination = try FileManager.default.destinationOfSymbolicLink(atPath: full)
                let resolved = URL(fileURLWithPath: destination, relativeTo: URL(fileURLWithPath: full).deletingLastPathComponent())
                    .standardizedFileURL.resolvingSymlinksInPath().path
                guard destination.first != "/", resolved == root || resolved.hasPrefix(root + "/") else {
                    throw PlatformError.invalidInput("template file \(Validate.quoted(relative)) links outside the template (\(destination)); refused")
                }
                hasher.update("L\(relative)\0\(destination)\0")
                files.append(PlannedFile(source: relative, target: renderedPath, binary: false, symlink: destination,
                                         mode: status.mode))
                continue
            }
            let data = FileManager.default.contents(atPath: full) ?? Data()
            hasher.update("F\(relative)\0\(status.mode)\0\(data.count)\0")
            hasher.update(data)
            files.append(PlannedFile(source: relative, target: renderedPath, binary: isBinary(data), symlink: nil,
                                     mode: status.mode))
        }
        try RenderedPathRules.check(files, template: template.id)
        guard !files.isEmpty else {
            throw PlatformError.invalidInput("template \(template.id) has no files besides \(TemplateManifest.fileName)")
        }
        let sortedVariables = variables.filter { builtins[$0.key] == nil || $0.key == "name" }
        return ScaffoldPlan(name: request.name, path: target, template: template.id, source: source,
                            templateHash: "sha256:" + hasher.finalize(), version: version, commit: commit,
                            variables: sortedVariables, files: files,
                            git: request.git, commitMessage: "Scaffold \(request.name) from \(template.id)")
    }

    /// Relative paths of every file and symlink below `root`, sorted; skips template.json and .git.
    private func listFiles(_ root: String) throws -> [String] {
        var result: [String] = []
        let files = FileManager.default
        func walk(_ relative: String) throws {
            let folder = relative.isEmpty ? root : root + "/" + relative
            for entry in try files.contentsOfDirectory(atPath: folder).sorted() {
                let path = relative.isEmpty ? entry : relative + "/" + entry
                if relative.isEmpty && (entry == TemplateManifest.fileName || entry == ".git" || entry == TemplateChangelog.fileName) { continue }
                switch try FileStatus(root + "/" + path).kind {
                case .directory: try walk(path)
                case .regular, .symlink: result.append(path)
                default: throw PlatformError.invalidInput("template entry \(Validate.quoted(path)) is not a file or folder")
                }
            }
        }
        try walk("")
        return result
    }

    private func isBinary(_ data: Data) -> Bool {
        let hasNUL = data.prefix(8192).withUnsafeBytes { raw in
            raw.baseAddress.map { memchr($0, 0, raw.count) != nil } ?? false
        }
        return hasNUL || String(data: data, encoding: .utf8) == nil
    }

    private func render(_ plan: ScaffoldPlan, from root: String, into folder: String) throws {
        let renderer = PlaceholderRenderer(variables: plan.variables.merging(PlaceholderRenderer.builtins(name: plan.name)) { a, _ in a })
        let files = FileManager.default
        var folders: Set<String> = [folder]
        for file in plan.files {
            try signals.checkInterrupted()
            let destination = folder + "/" + file.target
            let parent = (destination as NSString).deletingLastPathComponent
            if folders.insert(parent).inserted {
                try files.createDirectory(atPath: parent, withIntermediateDirectories: true)
            }
            if let link = file.symlink {
                try files.createSymbolicLink(atPath: destination, withDestinationPath: link)
                continue
            }
            let source = root + "/" + file.source
            let data = files.contents(atPath: source) ?? Data()
            let output = file.binary ? data : renderer.render(data)
            try writeNewFile(destination, output, mode: file.mode)
        }
    }

    /// Writes a file that must not exist yet, with the template file's mode. No fsync: the project
    /// only becomes visible when the whole folder is renamed into place.
    private func writeNewFile(_ path: String, _ data: Data, mode: Int) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw PlatformError.failed("could not write \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let failure = FileDescriptorIO.writeAll(fd, data)
        if failure != 0 {
            throw PlatformError.failed("could not write \(path): \(String(cString: strerror(failure)))")
        }
        guard fchmod(fd, mode_t(mode & 0o7777)) == 0 else {
            throw PlatformError.failed("could not set the mode of \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Renders a plan into an existing empty folder with the given record: the pristine tree
    /// `platform upgrade` commits for a template version.
    func renderPristine(_ plan: ScaffoldPlan, from root: String, into folder: String, record: TemplateRecord) throws {
        try render(plan, from: root, into: folder)
        try writeRecord(record, into: folder)
    }

    func record(for plan: ScaffoldPlan) -> TemplateRecord {
        TemplateRecord(template: plan.template, source: plan.source, templateHash: plan.templateHash,
                       variables: plan.variables, platformVersion: version, version: plan.version, commit: plan.commit)
    }

    private func writeRecord(_ plan: ScaffoldPlan, into folder: String) throws {
        try writeRecord(record(for: plan), into: folder)
    }

    private func writeRecord(_ record: TemplateRecord, into folder: String) throws {
        let data = try stableJSONDocument(record)
        try FileManager.default.createDirectory(atPath: folder + "/.platform", withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: folder + "/.platform/template.json"))
    }

    private func makeTemporaryFolder(in parent: String, name: String) throws -> String {
        var template = Array("\(parent)/.\(name).platform-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer in mkdtemp(buffer.baseAddress!).map { String(cString: $0) } }
        guard let path = created else {
            throw PlatformError.failed("cannot create a folder in \(parent): \(String(cString: strerror(errno)))")
        }
        // mkdtemp makes it 0700; a project folder gets the usual mode.
        let mask = umask(0)
        umask(mask)
        chmod(path, 0o777 & ~mask)
        return path
    }

    /// Renames without ever replacing something that appeared at the target meanwhile
    /// (renameat2 with RENAME_NOREPLACE; Linux' plain rename would replace an empty folder).
    private func moveIntoPlace(_ temporary: String, _ target: String) throws {
        typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
        let noReplace: UInt32 = 1  // RENAME_NOREPLACE
        let status: Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2") {
            status = unsafeBitCast(symbol, to: RenameAt2.self)(AT_FDCWD, temporary, AT_FDCWD, target, noReplace)
        } else {
            status = FileManager.default.fileExists(atPath: target) ? { errno = EEXIST; return -1 }() : rename(temporary, target)
        }
        guard status == 0 else {
            if errno == EEXIST {
                throw PlatformError.invalidInput("\(target) appeared while scaffolding; nothing was changed")
            }
            throw PlatformError.failed("could not move the new project to \(target): \(String(cString: strerror(errno)))")
        }
    }
}
