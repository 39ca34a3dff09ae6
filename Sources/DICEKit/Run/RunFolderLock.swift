// RunFolderLock: one run per output folder — an exclusive advisory lock held for the run.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Why a run folder could not be locked.
public enum RunFolderLockError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Another process holds the folder (its pid, when it wrote one).
    case held(folder: String, pid: Int32?)
    /// The folder or its lock file cannot be created or opened.
    case unusable(folder: String, reason: String)

    /// One line for the terminal: what is wrong and, where it applies, the file and line or
    /// the setting, and what was expected.
    public var description: String {
        switch self {
        case let .held(folder, pid):
            let holder = pid.map { "process \($0)" } ?? "another process"
            return "\(folder): another run is using this folder (\(holder)); wait for it to end or choose another folder"
        case let .unusable(folder, reason):
            return "\(folder): cannot use this folder as a run folder: \(reason)"
        }
    }
}

/// An exclusive lock on a run folder, so that two runs never write into one folder.
///
/// The lock is `flock(LOCK_EX | LOCK_NB)` on `<folder>/.lock`, a file that also holds the
/// holder's pid for the message another run gets. It is advisory (only DICEKit runs check it)
/// and belongs to the open file: the kernel releases it when the holder calls `release()`, when
/// the value is deinitialised, or when the process ends in any way (a crash or `SIGKILL`
/// included), so a stale lock file never blocks a later run. The descriptor is close-on-exec,
/// so child processes do not inherit the lock.
public final class RunFolderLock {
    /// The lock file's name inside the run folder.
    public static let fileName = ".lock"

    /// The locked folder.
    public let folder: URL
    private var descriptor: Int32

    /// Creates `folder` (and its parents) when missing, then takes its lock without waiting.
    /// - Throws: `RunFolderLockError.held` naming the folder and the holder's pid when another
    ///   run holds it; `.unusable` when the folder cannot be created or the lock file opened
    ///   (a read-only file system, a path below a regular file, a name too long), naming the
    ///   folder and the system's reason.
    public init(folder: URL) throws {
        self.folder = folder
        let path = folder.path
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) {
            guard isFolder.boolValue else { throw RunFolderLockError.unusable(folder: path, reason: "it is a file, not a folder") }
        } else if Self.mkdirAll(path) != 0 {
            throw RunFolderLockError.unusable(folder: path, reason: String(cString: strerror(errno)))
        }
        let lockPath = folder.appendingPathComponent(Self.fileName).path
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RunFolderLockError.unusable(folder: path, reason: String(cString: strerror(errno))) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            let pid = Self.readPID(fd)
            close(fd)
            if code == EWOULDBLOCK { throw RunFolderLockError.held(folder: path, pid: pid) }
            throw RunFolderLockError.unusable(folder: path, reason: String(cString: strerror(code)))
        }
        descriptor = fd
        let text = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    /// Releases the lock (at most once; deinitialisation releases it too).
    public func release() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }

    /// The pid a holder wrote into the lock file, if readable.
    private static func readPID(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = pread(fd, &buffer, buffer.count, 0)
        guard n > 0 else { return nil }
        return Int32(String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// `mkdir -p` with the system calls' `errno` kept for the message: 0 on success, −1 on
    /// failure.
    private static func mkdirAll(_ path: String) -> Int32 {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST { return -1 }
        }
        return 0
    }
}
