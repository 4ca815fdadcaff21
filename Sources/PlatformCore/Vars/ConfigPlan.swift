import Foundation

/// What a `vars`/`secrets` change (set, unset, apply) will do, worked out from what the cluster holds
/// before anything changes: `--dry-run` prints it, the real run executes the same value (built again
/// once it holds the lease). Never a secret value: the Secret shows up by name, keys and fingerprints.
public struct ConfigPlan: Codable, Sendable, Equatable {
    public enum Action: String, Codable, Sendable, Equatable {
        /// A release: the patch is applied and the rollout watched (deploy's rules and rollback).
        case rollOut = "roll-out"
        /// `--stage`: the version is created and remembered in `platform-config-NAME`, not rolled out.
        case stage
        /// Nothing to do: the keys already have these values, or (apply) nothing is staged.
        case none
    }

    public var app: String
    public var environment: String
    public var part: ConfigChangeRequest.Part
    public var action: Action
    /// The version the change builds on: the staged one when there is one, else the running one.
    public var base: ConfigReference
    /// The version after the change, with its key fingerprints.
    public var config: ConfigReference
    /// What changes against `base` (for `apply`: against the running version).
    public var diff: ConfigDiff
    /// The immutable objects it creates, `configmap/NAME-vars-HASH` or `secret/NAME-secrets-HASH`
    /// (content-named: one that exists already is kept as it is).
    public var creates: [String]
    /// The new ConfigMap as applied (vars only: values show, as in `vars list`; the Secret never).
    public var configMap: JSONValue?
    /// The partial Deployment applied with `fieldManager` for a roll-out: the running image and the
    /// new `envFrom` (Kubectl.imagePatch, the document of a deploy).
    public var patch: JSONValue?
    public var fieldManager: String
    /// The roll-out's options: how long it waits, whether it waits and rolls back.
    public var timeout: Double
    public var wait: Bool
    public var rollback: Bool
}

/// A plan with what executing it needs besides the plan itself (never encoded).
struct PlannedChange: Sendable {
    var plan: ConfigPlan
    /// The new version's content (secret values in memory only), nil for `apply`.
    var content: ConfigSet?
    var deployment: JSONValue
    var state: ConfigState
    /// What runs now, with the key fingerprints from the history.
    var live: ConfigReference
}
