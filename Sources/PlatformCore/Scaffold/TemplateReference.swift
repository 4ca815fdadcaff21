import Foundation

/// Where a template comes from, as written after `--template`.
public enum TemplateReference: Sendable, Equatable {
    /// `python/flask`, looked up in the template store.
    case id(String)
    /// A local folder holding a template.json.
    case path(String)
    /// `git+URL[//SUBDIR][@REF]`, cloned with git.
    case git(url: String, subdirectory: String?, ref: String?)

    public static func parse(_ text: String) throws -> TemplateReference {
        if text.hasPrefix("git+") {
            return try parseGit(String(text.dropFirst(4)))
        }
        if text.hasPrefix("/") || text.hasPrefix("./") || text.hasPrefix("../") || text.hasPrefix("~/") || text == "." {
            return .path(text)
        }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        let segment = "^[a-z0-9][a-z0-9._-]*$"
        if parts.count == 2, parts.allSatisfy({ $0.range(of: segment, options: .regularExpression) != nil }) {
            return .id(text)
        }
        throw PlatformError.invalidInput(
            "invalid template \(Validate.quoted(text)): use LANG/FRAMEWORK (see 'platform templates'), a folder path (./my-template) or git+URL//SUBDIR@REF")
    }

    private static func parseGit(_ text: String) throws -> TemplateReference {
        guard let scheme = text.range(of: "://") else {
            throw PlatformError.invalidInput("invalid template git+\(text): expected git+SCHEME://HOST/REPO[//SUBDIR][@REF]")
        }
        var url = text
        var subdirectory: String?
        if let split = text.range(of: "//", range: scheme.upperBound..<text.endIndex) {
            url = String(text[..<split.lowerBound])
            subdirectory = String(text[split.upperBound...])
        }
        var ref: String?
        if var sub = subdirectory {
            if let at = sub.lastIndex(of: "@") {
                ref = String(sub[sub.index(after: at)...])
                sub = String(sub[..<at])
            }
            subdirectory = sub.isEmpty ? nil : sub
        } else if let at = url.lastIndex(of: "@"), let slash = url.lastIndex(of: "/"), at > slash {
            ref = String(url[url.index(after: at)...])
            url = String(url[..<at])
        }
        if let sub = subdirectory, !isSafeRelativePath(sub) {
            throw PlatformError.invalidInput("invalid template subfolder \(Validate.quoted(sub)): it must stay inside the repository")
        }
        if let ref, ref.isEmpty || ref.hasPrefix("-") {
            throw PlatformError.invalidInput("invalid template ref \(Validate.quoted(ref))")
        }
        return .git(url: url, subdirectory: subdirectory, ref: ref)
    }

    public var description: String {
        switch self {
        case .id(let id): return id
        case .path(let path): return path
        case .git(let url, let sub, let ref):
            return "git+" + url + (sub.map { "//" + $0 } ?? "") + (ref.map { "@" + $0 } ?? "")
        }
    }
}

/// A relative path with no `..`, no absolute start and no empty parts.
public func isSafeRelativePath(_ path: String) -> Bool {
    guard !path.isEmpty, !path.hasPrefix("/") else { return false }
    return path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { $0 != ".." && !$0.isEmpty }
}
