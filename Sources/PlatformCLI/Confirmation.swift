import Foundation
import PlatformCore

/// Asking before a destructive or production action: a person at a terminal types a name; a script
/// passes `--yes` (docs/ci.md). Checked before anything changes.
enum Confirmation {
    /// `--yes`, for the commands that change a protected environment.
    static let yesOption = OptionSpec("yes", short: "y", help: "Do not ask for confirmation (a protected environment needs it without a terminal)")

    /// Whether a person can be asked: stdin and stdout are terminals and `CI` is not `true` (CI systems
    /// set it; a pipeline must never hang on a prompt).
    static func canAsk(_ context: CommandContext) -> Bool {
        context.io.canPrompt && !isCI(context.environment)
    }

    static func isCI(_ environment: [String: String]) -> Bool {
        ["true", "1"].contains(environment["CI"]?.lowercased() ?? "")
    }

    /// Shows `prompt` and reads a line; throws unless the person typed `expected`.
    static func ask(_ prompt: String, expected: String, refused: String, _ context: CommandContext) throws {
        context.io.stderr.write(prompt)
        let answer = context.io.readLine()?.trimmingCharacters(in: .whitespacesAndNewlines)
        guard answer == expected else { throw PlatformError.failed("not confirmed; \(refused)") }
    }

    /// A change to `environment` (deploy, promote, rollback, vars/secrets): nothing to do unless the
    /// config marks it `protected` and `--yes` was not given; then the person types the environment's
    /// name, or, with nobody to ask, exit 64 with nothing changed.
    static func protectedEnvironment(_ environment: String, protected: Bool, yes: Bool, action: String,
                                     command: String, _ context: CommandContext) throws {
        guard protected, !yes else { return }
        guard canAsk(context) else {
            throw PlatformError.usage(
                "\(environment) is a protected environment: pass --yes to \(action) (no terminal to ask on); nothing was changed",
                command: command)
        }
        try ask("\(environment) is a protected environment: this will \(action).\n"
                    + "Type the environment name (\(environment)) to confirm: ",
                expected: environment, refused: "nothing was changed", context)
    }
}
