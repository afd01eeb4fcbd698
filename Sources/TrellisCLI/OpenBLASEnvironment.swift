import Foundation

/// Debian's OpenBLAS 0.3.21 does not recognise recent Xeons and falls back to SSE3 kernels, 4-7x
/// slower. The core type is read when the library loads, which is before `main`, so when the user
/// has not chosen one we set it and re-execute ourselves once.
enum OpenBLASEnvironment {
    static func ensureCoreType() {
        #if os(Linux) && arch(x86_64)
        let env = ProcessInfo.processInfo.environment
        guard env["OPENBLAS_CORETYPE"] == nil, env["TRELLIS_NO_REEXEC"] == nil else { return }
        guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flags = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              flags.split(separator: " ").contains("avx2") else { return }
        setenv("OPENBLAS_CORETYPE", "Haswell", 1)
        setenv("TRELLIS_NO_REEXEC", "1", 1)
        let args = CommandLine.arguments
        var cargs: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) }
        cargs.append(nil)
        execv("/proc/self/exe", &cargs)
        // execv only returns on failure: carry on with whatever kernels OpenBLAS picked.
        #endif
    }
}
