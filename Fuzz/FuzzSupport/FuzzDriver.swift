// FuzzDriver: the shared half of every fuzz target. Built with `-DFUZZING` (and
// `-sanitize=fuzzer`), a target's main hands its body to libFuzzer; in a normal build the same
// main replays files and folders through the body (a corpus replayer).

#if FUZZING
import CFuzzer
#endif
import Foundation

/// The entry point of the fuzz targets: each target's `main` calls `FuzzDriver.main(body)`.
public enum FuzzDriver {
    /// Runs `body` on inputs and exits.
    ///
    /// Built with `-DFUZZING`: libFuzzer with the process's command line (`-max_total_time=60`,
    /// corpus folders, …; see libFuzzer's `-help=1`). Otherwise: `body` once per file named on the
    /// command line and per regular file under each folder named there (recursively, sorted),
    /// exiting 0 when all ran and 2 when an argument names nothing readable. `body` must not
    /// fail on any input: a crash, a trap or a sanitizer report ends the process.
    public static func main(_ body: @escaping @Sendable (Data) -> Void) -> Never {
        #if FUZZING
        target = body
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { bytes, count in
            let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
            FuzzDriver.target?(data)
            return 0
        })
        #else
        exit(replay(body, arguments: Array(CommandLine.arguments.dropFirst())))
        #endif
    }

    #if FUZZING
    /// The body libFuzzer's C callback calls (set once, before the driver starts).
    nonisolated(unsafe) static var target: (@Sendable (Data) -> Void)?
    #endif

    /// Replays `body` over the inputs named in `arguments`, one line per input on stderr and a
    /// summary on stdout. Returns the exit status (0, or 2 for an unreadable argument).
    static func replay(_ body: (Data) -> Void, arguments: [String]) -> Int32 {
        guard !arguments.isEmpty else {
            FileHandle.standardError.write(Data("usage: \(CommandLine.arguments.first ?? "fuzz-target") FILE-OR-FOLDER...\n".utf8))
            return 2
        }
        var count = 0
        for argument in arguments {
            guard let files = inputs(argument) else {
                FileHandle.standardError.write(Data("cannot read \(argument)\n".utf8))
                return 2
            }
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else {
                    FileHandle.standardError.write(Data("cannot read \(file)\n".utf8))
                    return 2
                }
                FileHandle.standardError.write(Data("running \(file) (\(data.count) bytes)\n".utf8))
                body(data)
                count += 1
            }
        }
        FileHandle.standardError.write(Data("replayed \(count) input\(count == 1 ? "" : "s") without a crash\n".utf8))
        return 0
    }

    /// `path` itself when it is a file, the regular files below it (sorted) when it is a folder,
    /// nil when it does not exist.
    static func inputs(_ path: String) -> [String]? {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return nil }
        guard isFolder.boolValue else { return [path] }
        guard let walker = FileManager.default.enumerator(atPath: path) else { return nil }
        var files: [String] = []
        for case let relative as String in walker {
            let full = (path as NSString).appendingPathComponent(relative)
            var isSub: ObjCBool = false
            if FileManager.default.fileExists(atPath: full, isDirectory: &isSub), !isSub.boolValue {
                files.append(full)
            }
        }
        return files.sorted()
    }
}
