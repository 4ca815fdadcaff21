import Foundation

/// How services tell the user what they are doing. The core never prints by itself: the CLI passes a
/// reporter that writes to stderr (or nowhere, with --quiet).
public protocol ProgressReporter: Sendable {
    /// A step starts ("Applying 5 objects").
    func progress(_ message: String)
    /// A line of detail under the current step.
    func detail(_ message: String)
    func warning(_ message: String)
    /// A phase of a long command starts (`Terraform apply`): one line that ends with its outcome.
    func phaseStarted(_ phase: ProgressPhase)
    /// The running phase moved on ("2/3 ready"): counts for `--progress=json`, the text for people.
    func phaseUpdated(_ phase: ProgressPhase, _ text: String, counts: [String: Int])
    /// The phase ended: `summary` ("1 added, 0 changed"), `counts`, how long it took.
    func phaseFinished(_ phase: ProgressPhase, summary: String?, counts: [String: Int], seconds: Double)
    func phaseFailed(_ phase: ProgressPhase, seconds: Double)
    /// One line of a tool's own output (Terraform, kubectl): shown with `-v`, kept for failure messages.
    func toolOutput(_ line: String)
}

/// A named phase: `id` for machines (`terraform_apply`), `title` for people (`Terraform apply`).
public struct ProgressPhase: Sendable, Equatable {
    public var id: String
    public var title: String

    public init(_ id: String, _ title: String) {
        self.id = id
        self.title = title
    }

    public static let terraformInit = ProgressPhase("terraform_init", "Terraform init")
    public static let terraformApply = ProgressPhase("terraform_apply", "Terraform apply")
    public static let terraformPlan = ProgressPhase("terraform_plan", "Terraform plan")
    public static let kubernetesApply = ProgressPhase("kubernetes_apply", "Kubernetes apply")
    public static let rollout = ProgressPhase("rollout", "Rollout")
}

public extension ProgressReporter {
    // The defaults keep a plain reporter's lines: a phase is a progress line, tool output a detail.
    func phaseStarted(_ phase: ProgressPhase) { progress(phase.title) }
    func phaseUpdated(_ phase: ProgressPhase, _ text: String, counts: [String: Int]) { detail("  " + text) }
    func phaseFinished(_ phase: ProgressPhase, summary: String?, counts: [String: Int], seconds: Double) {}
    func phaseFailed(_ phase: ProgressPhase, seconds: Double) {}
    func toolOutput(_ line: String) { detail(line) }

    /// Runs `body` as `phase`, timing it; `summary` describes the result (counts and text).
    func phase<T: Sendable>(_ phase: ProgressPhase, summary: (T) -> (String?, [String: Int]) = { _ in (nil, [:]) },
                            _ body: () async throws -> T) async throws -> T {
        let started = Date()
        phaseStarted(phase)
        do {
            let value = try await body()
            let (text, counts) = summary(value)
            phaseFinished(phase, summary: text, counts: counts, seconds: Date().timeIntervalSince(started))
            return value
        } catch {
            phaseFailed(phase, seconds: Date().timeIntervalSince(started))
            throw error
        }
    }
}

public struct SilentReporter: ProgressReporter {
    public init() {}
    public func progress(_ message: String) {}
    public func detail(_ message: String) {}
    public func warning(_ message: String) {}
}
