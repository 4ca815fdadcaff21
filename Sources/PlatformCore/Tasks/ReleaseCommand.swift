import Foundation

/// The release phase (Heroku's `release:` process type, fly's `release_command`): a command that
/// `deploy` and `promote` run as a task with the **new** image before it takes traffic, e.g. the
/// database migrations. When it exits non-zero the image is not applied.
///
/// It is `release` in the project's platform.json (an argv array). `create` records it on the
/// Deployment (annotation `platform.dev/release-command`, a JSON array), so a deploy or promote run
/// outside the project folder (a CI job of another repository, a laptop) still runs it.
public enum ReleaseCommand {
    public static let annotation = "platform.dev/release-command"
    public static let maxArguments = 64
    public static let maxArgumentBytes = 4096
    /// Seconds the release command may take (its Job's activeDeadlineSeconds), unless --timeout is longer.
    public static let defaultTimeout: Double = 600

    /// Why `argv` is not a usable release command; nil when it is.
    public static func problem(_ argv: [String]) -> String? {
        guard let program = argv.first else { return "it is empty; give the command as an array, e.g. [\"python\", \"-m\", \"shop.migrate\"]" }
        if program.isEmpty { return "its program (the first element) is empty" }
        if argv.count > maxArguments { return "it has \(argv.count) elements (at most \(maxArguments))" }
        if let long = argv.first(where: { $0.utf8.count > maxArgumentBytes }) {
            return "the element \(Validate.quoted(String(long.prefix(20))))… is longer than \(maxArgumentBytes) bytes"
        }
        if argv.contains(where: { $0.utf8.contains(0) }) { return "an element contains a NUL byte" }
        return nil
    }

    /// The annotation's value: the argv as a JSON array.
    public static func encoded(_ argv: [String]) -> String {
        let data = (try? JSONEncoder().encode(argv)) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// The release command `create` recorded on the live Deployment; nil when there is none or it is
    /// not a usable argv (an edit by hand: then it is reported, not run).
    public static func recorded(in deployment: JSONValue) throws -> [String]? {
        guard let text = deployment["metadata", "annotations", annotation]?.stringValue else { return nil }
        guard let argv = try? JSONDecoder().decode([String].self, from: Data(text.utf8)) else {
            throw PlatformError.failed("the Deployment's annotation \(annotation) is not a JSON array of strings (\(Validate.quoted(String(text.prefix(60))))); fix it, or run 'platform create' again")
        }
        if let problem = problem(argv) {
            throw PlatformError.failed("the Deployment's annotation \(annotation) is not a usable command: \(problem)")
        }
        return argv
    }
}
