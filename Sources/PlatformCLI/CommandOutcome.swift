import Foundation
import PlatformCore

/// What a command's `run` returns: the result for stdout, an error that still decides the exit code
/// after the result was printed (doctor's failed checks, create's pending changes, a deploy that rolled
/// back), what to say on stderr after the result, and what its event in events.jsonl records. The CLI
/// renders it, maps it to the exit code and records the event (PlatformCLI.run); a command never
/// writes its result or its exit status anywhere else.
public struct CommandOutcome: Sendable {
    /// The result for stdout.
    public enum Output: Sendable {
        case none
        /// Human text, ended with a newline when it has none. Control characters are escaped (lines
        /// kept): results show data we did not write (names, messages from the cluster and from files).
        case text(String)
        /// Text we generated ourselves, written as it is (help, completion scripts, metrics formats).
        case verbatim(String)
        /// One stable JSON document (sorted keys), for `-o json`.
        case json(any Encodable & Sendable)
    }

    /// Progress-stream lines printed after the result (the console drops them under `--quiet`).
    public enum Note: Sendable, Equatable {
        case success(String)
        case detail(String)
        case warning(String)
    }

    public var output: Output
    public var notes: [Note]
    /// Reported like a thrown error, and mapped to the exit code in the same place, once `output` is out.
    public var failure: (any Error)?
    public var event: EventDetails
    /// What the CI system is told (GitHub's step summary and outputs), for deploy, rollback, create.
    public var ci: CIReport?

    public init(_ output: Output = .none, notes: [Note] = [], failure: (any Error)? = nil,
                event: EventDetails = EventDetails()) {
        self.output = output
        self.notes = notes
        self.failure = failure
        self.event = event
    }

    /// Nothing to print: the command streamed its output, or had none.
    public static let done = CommandOutcome()

    public static func text(_ text: String, notes: [Note] = []) -> CommandOutcome {
        CommandOutcome(.text(text), notes: notes)
    }

    /// `value` as JSON under `-o json`, else the text `text` makes of it.
    public static func render<T: Encodable & Sendable>(_ value: T, as format: OutputFormat, notes: [Note] = [],
                                                       text: (T) -> String) -> CommandOutcome {
        CommandOutcome(format == .json ? .json(value) : .text(text(value)), notes: notes)
    }

    /// The bytes for stdout; nil when there is nothing to print.
    public func rendered() throws -> Data? {
        switch output {
        case .none: return nil
        case .text(let text):
            let shown = TerminalText.forHuman(text)
            return Data((shown.hasSuffix("\n") || shown.isEmpty ? shown : shown + "\n").utf8)
        case .verbatim(let text): return Data(text.utf8)
        case .json(let value): return try stableJSONDocument(value)
        }
    }

    public var isJSON: Bool {
        if case .json = output { return true }
        return false
    }
}

/// A failure the command's result and notes already explained (e.g. upgrade's conflicts): exit 1,
/// recorded, and no further error line.
public struct ReportedFailure: Error, Sendable {
    public init() {}
}

/// What a run's event records beyond the command line (docs/metrics.md). Every field defaults to
/// what the command line says (the app of NAME, the environment of `-e`, `--image`).
public struct EventDetails: Sendable, Equatable {
    /// Overrides the app recorded (default: the first positional of a command taking NAME).
    public var app: String?
    /// Overrides the environment recorded (default: the environment the command ran in, for commands using `-e`).
    public var environment: String?
    /// The image deployed (default: the `--image` option).
    public var image: String?
    /// The image a deploy or rollback applied to the Deployment: from then on the run is a deployment
    /// for the metrics, its outcome taken from how it ended. Runs that stopped before have none.
    public var appliedImage: String?
    /// `success`, `rolled_back` or `failed`: overrides the outcome of a deploy or rollback.
    public var outcome: String?
    /// Overrides the error type recorded for a `failure` (e.g. doctor's `checks_failed`).
    public var errorType: String?
    /// The commit the deployed image was built from (`deploy --commit`, or HEAD of the app's
    /// repository): lead time is measured from its time.
    public var commit: Release.Commit?

    public init(app: String? = nil, environment: String? = nil, image: String? = nil, appliedImage: String? = nil,
                outcome: String? = nil, errorType: String? = nil) {
        self.app = app
        self.environment = environment
        self.image = image
        self.appliedImage = appliedImage
        self.outcome = outcome
        self.errorType = errorType
    }
}
