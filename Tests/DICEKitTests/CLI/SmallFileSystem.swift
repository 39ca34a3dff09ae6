// SmallFileSystem: a place where writes run out of space, for the full-disk tests — a real
// tmpfs of a given size where the machine allows mounting one, else a per-file size limit.

import Foundation

/// How a test makes writes fail for lack of space, best first.
enum SmallFileSystem: String, CaseIterable, Sendable {
    /// `mount -t tmpfs -o size=…` (needs root): writes fail with ENOSPC, "No space left on device".
    case tmpfs
    /// The same tmpfs inside `unshare -rm` (an unprivileged user and mount namespace).
    case userNamespace
    /// No mount possible: `ulimit -f` (RLIMIT_FSIZE) with SIGXFSZ ignored, so that a write past
    /// the limit fails with EFBIG, "File too large". It limits each file, not their sum.
    case fileSizeLimit

    /// The ways to try, best first; `DICEKIT_SMALL_FS=<case name>` in the environment picks one
    /// (to exercise a fallback on a machine that allows the better ways).
    static var candidates: [SmallFileSystem] {
        ProcessInfo.processInfo.environment["DICEKIT_SMALL_FS"].flatMap { Self(rawValue: $0) }.map { [$0] } ?? allCases
    }

    /// The system's words for the failure each way produces (strerror of ENOSPC or EFBIG).
    var errorText: String { self == .fileSizeLimit ? "File too large" : "No space left on device" }

    /// Runs the sh `body` with `$MNT` a folder (inside `folder`) that holds at most `bytes`, and
    /// two shell functions: `limited CMD…` runs a command whose writes hit the limit (with
    /// `.fileSizeLimit`, the limit applies to commands run this way only, each file at most
    /// `bytes`), and `grow` frees space (remounts the tmpfs at 64 MiB; a no-op for the file
    /// size limit, which only `limited` commands have). The tmpfs is unmounted afterwards.
    /// - Returns: the body's exit status, or nil when this way cannot be set up here.
    func run(_ body: String, bytes: Int, in folder: URL) throws -> Int32? {
        let mount = folder.appendingPathComponent("mnt")
        try FileManager.default.createDirectory(at: mount, withIntermediateDirectories: true)
        let kilobytes = (bytes + 1023) / 1024, blocks = (bytes + 511) / 512
        let setup: String
        switch self {
        case .tmpfs, .userNamespace:
            setup = """
            mount -t tmpfs -o size=\(kilobytes)k tmpfs "$MNT" 2>/dev/null || exit 1
            trap 'umount "$MNT"' EXIT
            limited() { "$@"; }
            grow() { mount -o remount,size=64m "$MNT"; }
            """
        case .fileSizeLimit:
            setup = """
            limited() { (ulimit -f \(blocks) && trap '' XFSZ && exec "$@"); }
            grow() { :; }
            """
        }
        let ready = folder.appendingPathComponent("small-fs-ready")
        try? FileManager.default.removeItem(at: ready)
        let script = "MNT='\(mount.path)'\n" + setup + "\ntouch '\(ready.path)'\n" + body + "\n"
        let process = Process()
        switch self {
        case .tmpfs:
            guard getuid() == 0 else { return nil }
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", script]
        case .userNamespace:
            guard FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else { return nil }
            process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
            process.arguments = ["-rm", "/bin/sh", "-c", script]
        case .fileSizeLimit:
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", script]
        }
        process.currentDirectoryURL = folder
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return FileManager.default.fileExists(atPath: ready.path) ? process.terminationStatus : nil
    }
}
