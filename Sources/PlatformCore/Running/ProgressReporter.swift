/// How services tell the user what they are doing. The core never prints by itself: the CLI passes a
/// reporter that writes to stderr (or nowhere, with --quiet).
public protocol ProgressReporter: Sendable {
    /// A step starts ("Applying 5 objects").
    func progress(_ message: String)
    /// A line of detail under the current step.
    func detail(_ message: String)
    func warning(_ message: String)
}

public struct SilentReporter: ProgressReporter {
    public init() {}
    public func progress(_ message: String) {}
    public func detail(_ message: String) {}
    public func warning(_ message: String) {}
}
