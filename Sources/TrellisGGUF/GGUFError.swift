/// What can be wrong with a GGUF file, with the offset, key or tensor involved.
public enum GGUFError: Error, CustomStringConvertible, Equatable {
    case notGGUF(path: String)
    case unsupportedVersion(path: String, version: UInt32)
    case truncated(path: String, offset: Int, needed: Int)
    case unknownValueType(path: String, key: String, type: UInt32)
    case invalidString(path: String, offset: Int)
    case implausibleCount(path: String, what: String, count: UInt64)
    case unknownTensorType(path: String, tensor: String, type: UInt32)
    case badTensorShape(path: String, tensor: String, reason: String)
    case tensorOutOfBounds(path: String, tensor: String)
    case missingKey(key: String)
    case wrongValueType(key: String, expected: String)
    case missingTensor(name: String)
    case unsupportedArchitecture(String)

    public var description: String {
        switch self {
        case .notGGUF(let path): return "\(path) is not a GGUF file (bad magic)"
        case .unsupportedVersion(let path, let v): return "\(path): GGUF version \(v) is not supported (only 2 and 3)"
        case .truncated(let path, let offset, let needed):
            return "\(path) is truncated: needed \(needed) bytes at offset \(offset)"
        case .unknownValueType(let path, let key, let type): return "\(path): metadata \(key) has unknown value type \(type)"
        case .invalidString(let path, let offset): return "\(path): invalid UTF-8 string at offset \(offset)"
        case .implausibleCount(let path, let what, let count): return "\(path): implausible \(what) count \(count)"
        case .unknownTensorType(let path, let tensor, let type):
            return "\(path): tensor \(tensor) has unsupported type \(type)"
        case .badTensorShape(let path, let tensor, let reason): return "\(path): tensor \(tensor): \(reason)"
        case .tensorOutOfBounds(let path, let tensor): return "\(path): tensor \(tensor) lies outside the file"
        case .missingKey(let key): return "GGUF metadata key \(key) is missing"
        case .wrongValueType(let key, let expected): return "GGUF metadata key \(key) is not \(expected)"
        case .missingTensor(let name): return "GGUF tensor \(name) is missing"
        case .unsupportedArchitecture(let arch):
            return "model architecture '\(arch)' is not supported (supported: llama, qwen2, smollm)"
        }
    }
}
