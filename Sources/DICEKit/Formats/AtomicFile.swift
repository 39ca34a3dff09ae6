// AtomicFile: write a whole file so that a reader (or a run resumed after a crash) sees either
// the old contents or the new ones, never a mixture: temp file in the same folder, fsync,
// rename over the destination, fsync the folder.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Atomic whole-file writes (temp file in the same folder → fsync → rename → fsync folder).
///
/// Every artifact DICEKit writes (checkpoints, model directories, JSONL, reports) goes through
/// `AtomicFile.write(_:to:)` or, piece by piece, `AtomicFile.write(to:producing:)`.
public enum AtomicFile {
    /// Writes `data` to `url` atomically, replacing any existing file.
    ///
    /// The bytes go to a temporary file `.<name>.tmp-<random>` in the destination's folder
    /// (same file system, so the rename is atomic; `<name>` is shortened when the whole would
    /// pass the 255-byte limit on a name), which is fsynced, renamed over `url`, and then the
    /// folder is fsynced so the rename itself survives a power cut. On failure the temporary
    /// file is removed and the destination is untouched. The folder must exist. The new file
    /// gets mode 0644.
    ///
    /// - Throws: `FormatError.io` naming the path and the failing system call, or, before
    ///   anything is written, a name longer than `maxNameBytes`.
    public static func write(_ data: Data, to url: URL) throws {
        try write(to: url) { append in try data.withUnsafeBytes { try append($0) } }
    }

    /// Writes the bytes that `produce` hands, piece by piece and in order, to its `append`
    /// argument, to `url` atomically, exactly as `write(_:to:)` writes one `Data`: a large file
    /// (a model's weights) need never be whole in memory.
    ///
    /// - Parameters:
    ///   - url: the destination (its folder must exist).
    ///   - produce: called once; each call of `append` writes the bytes given (they may be
    ///     reused as soon as `append` returns). What `produce` throws aborts the write: the
    ///     temporary file is removed and the destination is untouched.
    /// - Throws: `FormatError.io` as `write(_:to:)`, or what `produce` throws.
    public static func write(to url: URL,
                             producing produce: (_ append: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let destination = url.standardizedFileURL
        let path = destination.path
        let folder = destination.deletingLastPathComponent().path
        let name = destination.lastPathComponent
        guard name.utf8.count <= maxNameBytes else {
            throw FormatError.io(path: path, reason: "the file name is \(name.utf8.count) bytes long; file systems allow at most \(maxNameBytes)")
        }
        let suffix = String(UInt64.random(in: 0 ... UInt64.max), radix: 36)
        let temporary = folder + "/" + temporaryName(for: name, suffix: suffix)

        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw ioError(path, "cannot create temporary file \(temporary)") }
        var closed = false
        defer {
            if !closed { _ = close(fd) }
        }
        do {
            var total = 0
            try produce { raw in
                guard let base = raw.baseAddress else { return }
                var offset = 0
                while offset < raw.count {
                    let n = Foundation.write(fd, base + offset, raw.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw ioError(path, "write failed after \(total + offset) bytes")
                    }
                    offset += n
                }
                total += raw.count
            }
            guard fsync(fd) == 0 else { throw ioError(path, "fsync failed") }
            closed = true
            guard close(fd) == 0 else { throw ioError(path, "close failed") }
            guard rename(temporary, path) == 0 else { throw ioError(path, "rename from \(temporary) failed") }
        } catch {
            _ = unlink(temporary)
            throw error
        }
        syncFolder(folder)
    }

    /// Removes the temporary files (`.<name>.tmp-<random>`) that writes into `folder` left
    /// behind when their process was killed before the rename. Only call this while no other
    /// write into `folder` is in flight (e.g. when a run starts or resumes); best effort: what
    /// cannot be removed stays.
    public static func removeLeftovers(in folder: URL) {
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: folder.path)) ?? [] where isTemporaryName(name) {
            _ = unlink(folder.appendingPathComponent(name).path)
        }
    }

    /// The longest file name, in bytes, that the file systems DICEKit writes to allow
    /// (`NAME_MAX` of ext4, XFS, Btrfs, tmpfs, APFS).
    public static let maxNameBytes = 255

    /// `.<name>.tmp-<suffix>`, with `name` cut (at a character boundary) so that the whole
    /// fits in `maxNameBytes`: a destination name of up to 255 bytes gets a usable temporary.
    static func temporaryName(for name: String, suffix: String) -> String {
        let fixed = ".".utf8.count + ".tmp-".utf8.count + suffix.utf8.count
        var kept = Substring(name)
        while !kept.isEmpty && kept.utf8.count + fixed > maxNameBytes { kept = kept.dropLast() }
        return "." + String(kept) + ".tmp-" + suffix
    }

    /// Whether `name` has the form of this type's temporary files, `.<name>.tmp-<random>`.
    static func isTemporaryName(_ name: String) -> Bool {
        guard name.hasPrefix("."), let range = name.range(of: ".tmp-", options: .backwards) else { return false }
        return range.lowerBound > name.startIndex && range.upperBound < name.endIndex
    }

    /// Best-effort fsync of a folder so that a rename inside it is durable.
    static func syncFolder(_ folder: String) {
        let dfd = open(folder, O_RDONLY)
        if dfd >= 0 {
            _ = fsync(dfd)
            _ = close(dfd)
        }
    }

    private static func ioError(_ path: String, _ what: String) -> FormatError {
        let code = errno
        return .io(path: path, reason: "\(what): \(String(cString: strerror(code)))")
    }
}
