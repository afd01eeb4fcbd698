import Foundation

/// Errors reading evaluation data, with the file and line involved.
public enum EvalDataError: Error, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case badLine(path: String, line: Int, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "cannot read \(path): \(reason)"
        case .badLine(let path, let line, let reason): return "\(path):\(line): \(reason)"
        }
    }
}

/// Reads a JSON Lines file into decoded values, naming the line of any malformed record.
public enum JSONLines {
    public static func read<T: Decodable>(_ type: T.Type, from path: String, limit: Int? = nil) throws -> [T] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw EvalDataError.unreadable(path: path, reason: error.localizedDescription)
        }
        let decoder = JSONDecoder()
        var out: [T] = []
        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
            do { out.append(try decoder.decode(T.self, from: Data(line))) } catch {
                throw EvalDataError.badLine(path: path, line: lineNumber, reason: "\(error)")
            }
            if let limit, out.count >= limit { break }
        }
        return out
    }
}
