#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// An HTTP/1.1 response as read off the wire.
public struct HTTPResponseMessage: Sendable {
    public var status: Int
    /// Header names lowercased; a repeated header keeps its last value.
    public var headers: [String: String]
    public var body: [UInt8]
    /// Whether the body came with `Transfer-Encoding: chunked`.
    public var chunked: Bool

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// Failures of `LoopbackHTTPConnection`, naming what went wrong.
public enum LoopbackHTTPError: Error, CustomStringConvertible, Equatable {
    case notLoopback(String)
    case socket(operation: String, errno: Int32)
    case timedOut(operation: String)
    case closedEarly(receivedBytes: Int)
    case malformed(String)

    public var description: String {
        switch self {
        case .notLoopback(let host): return "refusing \(host): only loopback addresses (127.0.0.0/8, localhost) are allowed"
        case .socket(let operation, let code): return "\(operation) failed: \(String(cString: strerror(code)))"
        case .timedOut(let operation): return "\(operation) timed out"
        case .closedEarly(let n): return "server closed the connection after \(n) bytes of the response"
        case .malformed(let what): return "malformed response: \(what)"
        }
    }
}

/// A small blocking HTTP/1.1 client over one keep-alive TCP connection to a loopback address,
/// written for the server's tests and `ServeBenchmark`: it sends bytes exactly as given (so tests
/// can send malformed requests) and parses responses strictly (status line, headers,
/// Content-Length or chunked body), so a malformed answer is an error rather than a guess.
///
/// One connection is used by one thread at a time. Only 127.0.0.0/8 and `localhost` are accepted.
public final class LoopbackHTTPConnection {
    public let host: String
    public let port: Int
    public let timeout: TimeInterval
    private var fd: Int32 = -1
    private var buffer: [UInt8] = []
    private var readOffset = 0

    /// Largest response head and body accepted.
    static let maxHeadBytes = 64 * 1024
    static let maxBodyBytes = 64 * 1024 * 1024

    public init(host: String = "127.0.0.1", port: Int, timeout: TimeInterval = 30) throws {
        let address = host == "localhost" ? "127.0.0.1" : host
        var probe = in_addr()
        guard inet_pton(AF_INET, address, &probe) == 1, address.hasPrefix("127.") else {
            throw LoopbackHTTPError.notLoopback(host)
        }
        self.host = address
        self.port = port
        self.timeout = timeout
    }

    deinit { close() }

    public func close() {
        if fd >= 0 {
            _ = systemClose(fd)
            fd = -1
        }
        buffer.removeAll(keepingCapacity: true)
        readOffset = 0
    }

    /// Sends one request and reads its response. The connection is reused unless the server
    /// asked to close it; a reused connection the server had closed is reopened once.
    public func send(method: String, path: String, body: [UInt8]? = nil,
                     headers: [(String, String)] = [("Content-Type", "application/json")]) throws -> HTTPResponseMessage {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        var bytes = Array(head.utf8)
        if let body { bytes += body }
        return try sendRaw(bytes)
    }

    /// Sends `bytes` as they are and reads one response.
    public func sendRaw(_ bytes: [UInt8]) throws -> HTTPResponseMessage {
        let reused = fd >= 0
        do {
            try ensureConnected()
            try writeAll(bytes)
            return try readResponse()
        } catch LoopbackHTTPError.closedEarly(let n) where reused && n == 0 {
            close()
            try ensureConnected()
            try writeAll(bytes)
            return try readResponse()
        } catch LoopbackHTTPError.socket(let op, let code) where reused && (code == EPIPE || code == ECONNRESET) && op != "connect" {
            close()
            try ensureConnected()
            try writeAll(bytes)
            return try readResponse()
        }
    }

    /// Sends `bytes` without reading an answer; `close()` later is a client that disconnects.
    public func sendOnly(_ bytes: [UInt8]) throws {
        try ensureConnected()
        try writeAll(bytes)
    }

    /// Sends `bytes` and closes at once, without reading (a client that disconnects).
    public func sendAndHangUp(_ bytes: [UInt8]) throws {
        try ensureConnected()
        try writeAll(bytes)
        close()
    }

    // MARK: Socket

    private func ensureConnected() throws {
        if fd >= 0 { return }
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { throw LoopbackHTTPError.socket(operation: "socket", errno: errno) }
        var tv = timeval()
        tv.tv_sec = .init(Int(timeout))
        tv.tv_usec = .init(Int((timeout - timeout.rounded(.down)) * 1e6))
        setsockopt(socketFD, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(socketFD, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(socketFD, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            _ = systemClose(socketFD)
            throw LoopbackHTTPError.socket(operation: "connect", errno: code)
        }
        fd = socketFD
        buffer.removeAll(keepingCapacity: true)
        readOffset = 0
    }

    private func writeAll(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                systemSend(fd, raw.baseAddress! + sent, raw.count - sent)
            }
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                if code == EAGAIN || code == EWOULDBLOCK { throw LoopbackHTTPError.timedOut(operation: "send") }
                throw LoopbackHTTPError.socket(operation: "send", errno: code)
            }
            sent += n
        }
    }

    /// Reads more bytes into the buffer; false at end of stream.
    private func fill() throws -> Bool {
        if readOffset > 0 && readOffset == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readOffset = 0
        }
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                buffer.append(contentsOf: chunk[0..<n])
                return true
            }
            if n == 0 { return false }
            let code = errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK { throw LoopbackHTTPError.timedOut(operation: "receive") }
            throw LoopbackHTTPError.socket(operation: "receive", errno: code)
        }
    }

    // MARK: Parsing

    private func readLine(limit: Int) throws -> String {
        var consumedBefore = 0
        while true {
            if let end = findCRLF(from: readOffset) {
                let line = String(decoding: buffer[readOffset..<end], as: UTF8.self)
                readOffset = end + 2
                return line
            }
            if buffer.count - readOffset > limit { throw LoopbackHTTPError.malformed("line longer than \(limit) bytes") }
            consumedBefore = buffer.count - readOffset
            guard try fill() else { throw LoopbackHTTPError.closedEarly(receivedBytes: consumedBefore) }
        }
    }

    private func findCRLF(from start: Int) -> Int? {
        var i = start
        while i + 1 < buffer.count {
            if buffer[i] == 13 && buffer[i + 1] == 10 { return i }
            i += 1
        }
        return nil
    }

    private func readExactly(_ count: Int) throws -> [UInt8] {
        while buffer.count - readOffset < count {
            guard try fill() else { throw LoopbackHTTPError.closedEarly(receivedBytes: buffer.count - readOffset) }
        }
        let out = Array(buffer[readOffset..<readOffset + count])
        readOffset += count
        return out
    }

    private func readResponse() throws -> HTTPResponseMessage {
        let statusLine = try readLine(limit: Self.maxHeadBytes)
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0] == "HTTP/1.1" || parts[0] == "HTTP/1.0",
              let status = Int(parts[1]), (100..<600).contains(status) else {
            throw LoopbackHTTPError.malformed("status line `\(statusLine)`")
        }
        var headers: [String: String] = [:]
        var headBytes = statusLine.utf8.count
        while true {
            let line = try readLine(limit: Self.maxHeadBytes)
            headBytes += line.utf8.count + 2
            if headBytes > Self.maxHeadBytes { throw LoopbackHTTPError.malformed("head over \(Self.maxHeadBytes) bytes") }
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { throw LoopbackHTTPError.malformed("header line `\(line)`") }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = value
        }
        var body: [UInt8] = []
        let chunked = headers["transfer-encoding"]?.lowercased().contains("chunked") == true
        if chunked {
            while true {
                let sizeLine = try readLine(limit: 1024)
                guard let size = Int(sizeLine.split(separator: ";")[0].trimmingCharacters(in: .whitespaces), radix: 16),
                      size >= 0 else {
                    throw LoopbackHTTPError.malformed("chunk size `\(sizeLine)`")
                }
                if size == 0 {
                    while try !readLine(limit: Self.maxHeadBytes).isEmpty {}  // trailers
                    break
                }
                if body.count + size > Self.maxBodyBytes { throw LoopbackHTTPError.malformed("body over \(Self.maxBodyBytes) bytes") }
                body += try readExactly(size)
                guard try readLine(limit: 2).isEmpty else { throw LoopbackHTTPError.malformed("chunk not followed by CRLF") }
            }
        } else if let lengthText = headers["content-length"] {
            guard let length = Int(lengthText), length >= 0, length <= Self.maxBodyBytes else {
                throw LoopbackHTTPError.malformed("content-length `\(lengthText)`")
            }
            body = try readExactly(length)
        } else if status >= 200 && status != 204 && status != 304 {
            // No length: the body runs to the end of the connection.
            while try fill() {}
            body = Array(buffer[readOffset...])
            readOffset = buffer.count
            close()
        }
        if headers["connection"]?.lowercased() == "close" { close() }
        return HTTPResponseMessage(status: status, headers: headers, body: body, chunked: chunked)
    }
}

private func systemClose(_ fd: Int32) -> Int32 {
    #if canImport(Glibc)
    return Glibc.close(fd)
    #elseif canImport(Musl)
    return Musl.close(fd)
    #else
    return Darwin.close(fd)
    #endif
}

/// `send` without SIGPIPE when the server has closed the connection.
private func systemSend(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Darwin)
    return Darwin.send(fd, bytes, count, 0)
    #else
    return send(fd, bytes, count, Int32(MSG_NOSIGNAL))
    #endif
}
