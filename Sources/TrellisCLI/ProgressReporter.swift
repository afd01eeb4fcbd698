import Foundation

/// Progress for long work on stderr: a redrawn bar on a terminal, a line every few seconds
/// otherwise (logs stay readable), nothing when quiet.
final class ProgressReporter: @unchecked Sendable {
    private let label: String
    private let quiet: Bool
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private let started = Date()
    private var lastDraw = Date.distantPast
    private let lock = NSLock()

    init(_ label: String, quiet: Bool = false) {
        self.label = label
        self.quiet = quiet
    }

    func update(_ done: Int, _ total: Int?) {
        guard !quiet else { return }
        lock.lock(); defer { lock.unlock() }
        let now = Date()
        let interval = isTerminal ? 0.1 : 5.0
        guard now.timeIntervalSince(lastDraw) >= interval || done == total else { return }
        lastDraw = now
        let elapsed = now.timeIntervalSince(started)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        var line: String
        if let total, total > 0 {
            let fraction = min(1, Double(done) / Double(total))
            let width = 30
            let filled = Int(fraction * Double(width))
            let eta = rate > 0 ? Double(total - done) / rate : 0
            line = "\(label) [" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
                + "] \(done)/\(total) \(String(format: "%.0f%%", fraction * 100)) \(String(format: "%.0f/s", rate)) eta \(Self.clock(eta))"
        } else {
            line = "\(label) \(done) \(String(format: "%.0f/s", rate)) \(Self.clock(elapsed))"
        }
        if isTerminal {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
        } else {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    /// Ends the bar with a summary line.
    func finish(_ summary: String) {
        guard !quiet else { return }
        let elapsed = Date().timeIntervalSince(started)
        let prefix = isTerminal ? "\r\u{1B}[K" : ""
        FileHandle.standardError.write(Data((prefix + "\(label): \(summary) (\(String(format: "%.1f", elapsed)) s)\n").utf8))
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
