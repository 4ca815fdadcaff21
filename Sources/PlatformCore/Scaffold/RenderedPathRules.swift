import Foundation

/// What a template may render. Templates come from other teams' repositories, so their paths are
/// untrusted: a rendered `.git` folder (or a symlink into one) would let the template plant
/// `core.fsmonitor` or hooks that git runs during scaffold's own `git add/commit` and on every later
/// `git status`. Pure functions over the planned paths; the scaffold plan is refused (exit 64) before
/// anything is written.
public enum RenderedPathRules {
    /// The folders and files the scaffold itself writes into every new project.
    public static let ownPaths: Set<String> = [".platform", ".platform/template.json"]

    /// True for a path component git would take as its own folder. git's `verify_path` (read-tree.c,
    /// `is_ntfs_dotgit`/`is_hfs_dotgit` in path.c/utf8.c) refuses the same family: `.git` in any case,
    /// with NTFS' trailing dots and spaces or its short name `git~1`, and with the Unicode code points
    /// HFS+ ignores when comparing names.
    public static func isGitComponent(_ component: Substring) -> Bool {
        var scalars = String.UnicodeScalarView()
        for scalar in component.unicodeScalars where !hfsIgnorable(scalar) { scalars.append(scalar) }
        var name = String(scalars).lowercased()
        while let last = name.last, last == "." || last == " " { name.removeLast() }
        return name == ".git" || name == "git~1"
    }

    /// True when some component of a `/`-separated path is a git folder name.
    public static func hasGitComponent(_ path: String) -> Bool {
        path.split(separator: "/").contains { isGitComponent($0) }
    }

    /// Code points HFS+ drops when comparing names (git's `next_hfs_char` list): zero-width joiners,
    /// directional marks and the byte order mark.
    private static func hfsIgnorable(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x200c, 0x200d, 0x200e, 0x200f, 0x202a...0x202e, 0x206a...0x206f, 0xfeff: return true
        default: return false
        }
    }

    /// Where a symlink at `linkPath` (relative to the project) points, as a project-relative path
    /// without `.`/`..`, or nil when it leaves the project.
    public static func linkTarget(_ destination: String, at linkPath: String) -> String? {
        guard !destination.hasPrefix("/") else { return nil }
        var parts = linkPath.split(separator: "/").dropLast().map(String.init)
        for component in destination.split(separator: "/") {
            if component == "." { continue }
            if component == ".." {
                guard !parts.isEmpty else { return nil }
                parts.removeLast()
            } else {
                parts.append(String(component))
            }
        }
        return parts.joined(separator: "/")
    }

    /// Checks every planned entry (rendered path, symlink destination): no git folder anywhere, no two
    /// entries on the same path, nothing written below a file or a symlink (which would write through
    /// the link), nothing on the paths the scaffold writes itself. Throws `invalidInput` naming the entry.
    public static func check(_ files: [PlannedFile], template: String) throws {
        var owners: [String: String] = [:]
        var leaves: [String: PlannedFile] = [:]
        for file in files {
            if hasGitComponent(file.target) {
                throw PlatformError.invalidInput(
                    "template \(template): file \(Validate.quoted(file.source)) renders to \(Validate.quoted(file.target)), inside a git folder; refused (a template may not write .git)")
            }
            if let link = file.symlink {
                let resolved = linkTarget(link, at: file.target)
                if hasGitComponent(link) || resolved.map(hasGitComponent) ?? true {
                    throw PlatformError.invalidInput(
                        "template \(template): symlink \(Validate.quoted(file.source)) points to \(Validate.quoted(link)), into a git folder or out of the project; refused")
                }
            }
            if ownPaths.contains(file.target) {
                throw PlatformError.invalidInput(
                    "template \(template): file \(Validate.quoted(file.source)) renders to \(Validate.quoted(file.target)), which scaffold writes itself; choose other values")
            }
            if let other = owners[file.target] {
                throw PlatformError.invalidInput(
                    "template \(template): \(Validate.quoted(other)) and \(Validate.quoted(file.source)) both render to \(Validate.quoted(file.target)); choose other values")
            }
            owners[file.target] = file.source
            leaves[file.target] = file
        }
        for file in files {
            var prefix = ""
            for component in file.target.split(separator: "/").dropLast() {
                prefix = prefix.isEmpty ? String(component) : prefix + "/" + component
                if let leaf = leaves[prefix] {
                    throw PlatformError.invalidInput(
                        "template \(template): \(Validate.quoted(file.source)) renders to \(Validate.quoted(file.target)), below \(Validate.quoted(prefix)) which \(Validate.quoted(leaf.source)) makes a \(leaf.symlink == nil ? "file" : "symlink"); choose other values")
                }
                if ownPaths.contains(prefix) && prefix != ".platform" {
                    throw PlatformError.invalidInput(
                        "template \(template): file \(Validate.quoted(file.source)) renders to \(Validate.quoted(file.target)), below \(Validate.quoted(prefix)) which scaffold writes itself; choose other values")
                }
            }
        }
    }
}
