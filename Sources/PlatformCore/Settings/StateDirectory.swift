import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The platform's state folder: `$PLATFORM_STATE_DIR`, else `$XDG_STATE_HOME/platform`,
/// else `~/.local/state/platform`.
public enum StateDirectory {
    public static func resolve(environment: [String: String]) -> String {
        if let explicit = environment["PLATFORM_STATE_DIR"], !explicit.isEmpty { return explicit }
        if let xdg = environment["XDG_STATE_HOME"], xdg.hasPrefix("/") { return xdg + "/platform" }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.local/state/platform"
    }

    /// The shared Terraform provider cache, unless the user set `TF_PLUGIN_CACHE_DIR`.
    public static func pluginCache(stateDirectory: String) -> String {
        stateDirectory + "/plugin-cache"
    }
}
