import Foundation
import TrellisCore

/// Finds the model file: an explicit path first, then `TRELLIS_MODEL`, then the default model
/// in the models folder (`TRELLIS_HOME/models`, else `./models`).
public enum ModelLocator {
    public static let defaultFileName = "SmolLM2-135M-Instruct.Q4_1.gguf"
    public static let fetchHint = "Fetch the default model with `trellis model fetch` (or `Scripts/fetch-model`), or pass --model PATH / set TRELLIS_MODEL."

    /// The folder where `trellis model fetch` puts models.
    public static var modelsFolder: String {
        let env = ProcessInfo.processInfo.environment
        if let home = env["TRELLIS_HOME"], !home.isEmpty { return home + "/models" }
        return FileManager.default.currentDirectoryPath + "/models"
    }

    public static func resolve(explicit: String?) throws -> String {
        if let explicit, !explicit.isEmpty {
            guard FileManager.default.fileExists(atPath: explicit) else {
                throw TrellisError.fileNotFound(path: explicit, hint: "Check the --model path.")
            }
            return explicit
        }
        if let env = ProcessInfo.processInfo.environment["TRELLIS_MODEL"], !env.isEmpty {
            guard FileManager.default.fileExists(atPath: env) else {
                throw TrellisError.fileNotFound(path: env, hint: "TRELLIS_MODEL points to a missing file.")
            }
            return env
        }
        let path = modelsFolder + "/" + defaultFileName
        guard FileManager.default.fileExists(atPath: path) else {
            throw TrellisError.fileNotFound(path: path, hint: fetchHint)
        }
        return path
    }
}
