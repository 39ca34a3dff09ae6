// TensorBoardWriter: scalars appended to a TensorBoard event file, one record per scalar as
// TensorBoard's own `add_scalar` writes them, each append reaching the file before `add`
// returns — and a run resumed from a checkpoint starts a new file from the history it keeps.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes TensorBoard scalars into one event file of a folder (a TensorBoard "run").
///
/// The folder belongs to the writer: starting one writes a new file,
/// `events.out.tfevents.<unix seconds>.<host>`, atomically (`AtomicFile`) with the
/// `file_version` record and the `history` to keep, and then removes the other event files
/// there. So a run resumed from a checkpoint passes the history up to the checkpoint's step and
/// its event file reads back with no stale or repeated steps; the kept records keep the wall
/// times the replaced files gave their steps.
///
/// `add` appends with one `write(2)` loop and no buffering: a process killed at any moment
/// leaves a file whose complete records all read back (at most a last record cut short, which
/// TensorBoard's reader and `events(inFile:)` leave out). Appends are not fsynced: a power cut
/// may lose the last ones.
public final class TensorBoardWriter {
    /// The scalars of one step, e.g. one row of a metrics log.
    public struct Row: Sendable, Hashable {
        /// The step (the x axis in TensorBoard).
        public var step: Int
        /// The values at that step, written in this order.
        public var scalars: [TensorBoardScalar]

        /// The `scalars` of `step`.
        public init(step: Int, scalars: [TensorBoardScalar]) {
            self.step = step
            self.scalars = scalars
        }
    }

    /// The `file_version` of the first record: the event format TensorBoard reads.
    public static let fileVersion = "brain.Event:2"
    /// What event file names start with.
    public static let fileNamePrefix = "events.out.tfevents."

    /// The folder (TensorBoard shows it as one run).
    public let directory: URL
    /// The event file being written.
    public let file: URL
    private let clock: () -> Double
    private let descriptor: Int32

    /// Starts a new event file in `directory` holding `history`, and removes the folder's
    /// other event files.
    ///
    /// - Parameters:
    ///   - directory: the folder, created when missing.
    ///   - history: rows written into the new file before anything is added (e.g. a resumed
    ///     run's rows up to its checkpoint); each is stamped with the earliest wall time the
    ///     folder's existing event files record for its step, else the clock's time.
    ///   - host: the host name in the file name (default: this machine's).
    ///   - clock: the wall time in seconds since 1970 (default: the system clock); inject a
    ///     fixed one for reproducible bytes.
    /// - Throws: `FormatError.io` naming the folder or file that could not be created,
    ///   written, opened or removed. Existing files that cannot be read are replaced all the
    ///   same (their wall times are lost).
    public init(directory: URL, history: [Row] = [], host: String = TensorBoardWriter.hostName,
                clock: @escaping () -> Double = { Date().timeIntervalSince1970 }) throws {
        let fm = FileManager.default
        do {
            try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw FormatError.io(path: directory.path, reason: "cannot create the TensorBoard folder: \(error.localizedDescription)")
        }
        let existing = try Self.eventFiles(in: directory)
        var wallTimes: [Int64: Double] = [:]
        for url in existing {
            for event in (try? Self.events(inFile: url)) ?? [] {
                guard case .scalars = event.content else { continue }
                wallTimes[event.step] = min(wallTimes[event.step] ?? event.wallTime, event.wallTime)
            }
        }
        let now = clock()
        let file = directory.appendingPathComponent(Self.fileName(wallTime: now, host: host))
        var contents = TFRecord.framed(TensorBoardEvent(wallTime: now, step: 0,
                                                        content: .fileVersion(Self.fileVersion)).protobuf)
        for row in history {
            contents.append(Self.records(row.scalars, step: row.step, wallTime: wallTimes[Int64(row.step)] ?? now))
        }
        try AtomicFile.write(contents, to: file)
        for url in existing where url.lastPathComponent != file.lastPathComponent {
            guard unlink(url.path) == 0 || errno == ENOENT else {
                throw FormatError.io(path: url.path, reason: "cannot remove the replaced event file: \(String(cString: strerror(errno)))")
            }
        }
        let descriptor = open(file.path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw FormatError.io(path: file.path, reason: "cannot open for appending: \(String(cString: strerror(errno)))")
        }
        self.directory = directory
        self.file = file
        self.clock = clock
        self.descriptor = descriptor
    }

    deinit {
        _ = close(descriptor)
    }

    /// Appends `scalars` at `step` (one record each, stamped with the clock's time) and
    /// returns once the bytes are in the file.
    /// - Throws: `FormatError.io` naming the file and the system's reason (a full disk, a
    ///   file-size limit); a record cut short by the failure is left out when the file is read.
    public func add(_ scalars: [TensorBoardScalar], step: Int) throws {
        let bytes = Self.records(scalars, step: step, wallTime: clock())
        try bytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            guard let base = raw.baseAddress else { return }
            var offset = 0
            while offset < raw.count {
                let n = write(descriptor, base + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw FormatError.io(path: file.path, reason: "append failed after \(offset) of \(raw.count) bytes: \(String(cString: strerror(errno)))")
                }
                offset += n
            }
        }
    }

    // MARK: - Names and reading

    /// `events.out.tfevents.<unix seconds, 10 digits>.<host>`, as TensorBoard's writer names
    /// its files (without its pid and counter suffix).
    public static func fileName(wallTime: Double, host: String) -> String {
        fileNamePrefix + String(format: "%010lld", Int64(wallTime.rounded(.down))) + "." + host.replacingOccurrences(of: "/", with: "_")
    }

    /// This machine's host name (`gethostname`), or `localhost` when it has none.
    public static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "localhost" : name
    }

    /// The event files in `directory` (names starting `events.out.tfevents.`), in name order —
    /// the order TensorBoard reads them in; empty when the folder does not exist.
    /// - Throws: `FormatError.io` when the folder exists but cannot be listed.
    public static func eventFiles(in directory: URL) throws -> [URL] {
        let fm = FileManager.default
        guard fm.fileExists(atPath: directory.path) else { return [] }
        do {
            return try fm.contentsOfDirectory(atPath: directory.path)
                .filter { $0.hasPrefix(fileNamePrefix) }
                .sorted()
                .map { directory.appendingPathComponent($0) }
        } catch {
            throw FormatError.io(path: directory.path, reason: "cannot list the folder: \(error.localizedDescription)")
        }
    }

    /// Every event of the file at `url`, in order (a last record cut short is left out).
    /// - Throws: `FormatError.io` when the file cannot be read; `TensorBoardError.damaged` for
    ///   a record whose CRC does not match or that is no `Event`.
    public static func events(inFile url: URL) throws -> [TensorBoardEvent] {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw FormatError.io(path: url.path, reason: "cannot read: \(error.localizedDescription)")
        }
        var offset = 0
        return try TFRecord.records(in: data, path: url.path).records.map { record in
            defer { offset += record.count + TFRecord.overhead }
            return try TensorBoardEvent(protobuf: record, path: url.path, offset: offset)
        }
    }

    /// Every event of the event files in `directory`, file by file in name order.
    /// - Throws: as `eventFiles(in:)` and `events(inFile:)`.
    public static func events(in directory: URL) throws -> [TensorBoardEvent] {
        try eventFiles(in: directory).flatMap { try events(inFile: $0) }
    }

    /// One framed `Event` record per scalar, all at `step` and `wallTime`.
    private static func records(_ scalars: [TensorBoardScalar], step: Int, wallTime: Double) -> Data {
        var out = Data()
        for scalar in scalars {
            out.append(TFRecord.framed(TensorBoardEvent(wallTime: wallTime, step: Int64(step),
                                                        content: .scalars([scalar])).protobuf))
        }
        return out
    }
}
