import Foundation

/// Where the set-up scripts (`Scripts/fetch-models`, `Scripts/fetch-datasets`)
/// put the published files too large for the repository: `$FOVEA_CACHE`, else
/// `$XDG_CACHE_HOME/fovea`, else `~/.cache/fovea`, the same rule the scripts follow.
public enum FileCache {
    /// The cache folder.
    public static var directory: URL {
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment["FOVEA_CACHE"] { return URL(fileURLWithPath: explicit) }
        let base = environment["XDG_CACHE_HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
        return base.appendingPathComponent("fovea")
    }
}
