import Foundation

/// Optimistic writes of a whole object (the release history, the configuration state): `create` when
/// the object did not exist, else `replace` carrying the resourceVersion that was read, so a write
/// that raced another one fails instead of overwriting it; the caller reads again and retries.
public extension Kubectl {
    /// Writes `document` over `current` (nil: it did not exist): true when written, false when the
    /// write lost a race (read again and retry); throws on any other failure, and on a lost race when
    /// this was the `finalAttempt`.
    func guardedWrite(_ document: JSONValue, over current: JSONValue?, finalAttempt: Bool) async throws -> Bool {
        var document = document
        let verb: String
        if let version = current?["metadata", "resourceVersion"] {
            document = document.merging(patch: .object(["metadata": .object(["resourceVersion": version])]))
            verb = "replace"
        } else {
            verb = "create"
        }
        let command = command(
            [verb, "--field-manager=\(AppConventions.deployFieldManager)", "-f", "-"], input: try document.encoded())
        let result = try await runner.capture(command)
        if result.succeeded { return true }
        let error = result.stderrText
        let raced = ["AlreadyExists", "already exists", "Conflict", "the object has been modified"].contains {
            error.contains($0)
        }
        guard raced, !finalAttempt else {
            throw PlatformError.toolFailed(argv: command.argv, status: result.status, stderrTail: tail(of: error))
        }
        return false
    }
}
