// Output folders that cannot be used: `dice dpo --output` (and `dice bootstrap --output`) on an
// existing regular file, a path below a file, a 256-byte name or a read-only file system fail
// with one line `error: <path>: <the system's reason>` before the reference pass (no cache entry
// is made); output names of up to 255 bytes work (the atomic writes' temporary names fit).

import DICEKit
import Foundation
import Testing

@Suite("unusable output folders", .serialized)
struct OutputFolderTests {
    /// One way an output folder cannot be used.
    enum Unusable: String, CaseIterable, CustomStringConvertible {
        case regularFile, belowAFile, nameTooLong
        var description: String { rawValue }
    }

    /// The one error line of a failed run, checked to name `path` and `reason`, and that no
    /// reference pass ran (the cache folder was not made).
    static func expectEarlyFailure(_ result: DiceTool.Result, path: String, reason: String, cache: URL,
                                   sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status == 1, "\(result.stderr)", sourceLocation: sourceLocation)
        let errors = result.stderr.split(separator: "\n").filter { $0.hasPrefix("error: ") }
        #expect(errors.count == 1, "\(result.stderr)", sourceLocation: sourceLocation)
        let line = String(errors.first ?? "")
        #expect(line.hasPrefix("error: \(path): ") && line.hasSuffix(reason), "\(line)", sourceLocation: sourceLocation)
        #expect(!line.contains("NSCocoaErrorDomain") && !line.contains("could not be completed"), "\(line)",
                sourceLocation: sourceLocation)
        #expect(!FileManager.default.fileExists(atPath: cache.path), "the reference pass ran", sourceLocation: sourceLocation)
    }

    @Test(arguments: Unusable.allCases)
    func dpoRefusesBeforeWork(_ unusable: Unusable) throws {
        let folder = try ScratchFolder("output-unusable")
        defer { folder.remove() }
        try ToyModelFolders.dpoInputs(in: folder.url)
        try Data("x\n".utf8).write(to: folder.file("file"))
        let output: URL, reason: String
        switch unusable {
        case .regularFile:
            output = folder.file("file")
            reason = "cannot use this folder as a run folder: it is a file, not a folder"
        case .belowAFile:
            output = folder.file("file/run")
            reason = "cannot use this folder as a run folder: " + String(cString: strerror(ENOTDIR))
        case .nameTooLong:
            output = folder.file(String(repeating: "n", count: 256))
            reason = "cannot use this folder as a run folder: " + String(cString: strerror(ENAMETOOLONG))
        }
        let arguments = BootstrapErrorTests.setting("--output", output.path, in: ToyModelFolders.dpoArguments(folder.url, run: "run"))
        guard let result = try DiceTool.run(arguments, in: folder.url) else { return }
        Self.expectEarlyFailure(result, path: output.path, reason: reason, cache: folder.file("cache"))
        #expect(try Data(contentsOf: folder.file("file")) == Data("x\n".utf8))
    }

    @Test("dice bootstrap --output on a regular file: one line naming it, before any sampling")
    func bootstrapRefusesAFile() throws {
        let folder = try ScratchFolder("output-unusable-bootstrap")
        defer { folder.remove() }
        try ToyModelFolders.bootstrapInputs(in: folder.url)
        try Data("x\n".utf8).write(to: folder.file("run"))
        guard let result = try DiceTool.run(ToyModelFolders.bootstrapArguments(folder.url, run: "run"), in: folder.url) else { return }
        #expect(result.status == 1)
        #expect(result.stderr == "error: \(folder.file("run").path): cannot use this folder as a run folder: it is a file, not a folder\n",
                "\(result.stderr)")
        #expect(try Data(contentsOf: folder.file("run")) == Data("x\n".utf8))
    }

    /// How a test gets a read-only file system, best first.
    enum ReadOnlyWay: String {
        /// `mount -o ro` of a tmpfs (as root).
        case mount
        /// The same inside `unshare -rm` (a user and mount namespace).
        case userNamespace
        /// A folder without write permission: EACCES instead of EROFS (only for a user other
        /// than root, whom permissions do not stop).
        case permissions
    }

    @Test("dice dpo --output on a read-only file system: one line naming the path and the reason, before any work")
    func dpoOnAReadOnlyFileSystem() throws {
        guard let dice = DiceTool.url else {
            Issue.record("the dice executable was not found beside the test runner")
            return
        }
        let folder = try ScratchFolder("output-read-only")
        defer { folder.remove() }
        try ToyModelFolders.dpoInputs(in: folder.url)
        let mount = folder.file("mnt")
        try FileManager.default.createDirectory(at: mount, withIntermediateDirectories: true)
        let output = mount.appendingPathComponent("run")
        let arguments = BootstrapErrorTests.setting("--output", output.path, in: ToyModelFolders.dpoArguments(folder.url, run: "run"))
        let quoted = ([dice.path] + arguments).map { "'\($0)'" }.joined(separator: " ")
        // The command runs inside the shell that mounted the file system; its stderr and status
        // land in files.
        let body = """
        \(quoted) >'\(folder.file("out").path)' 2>'\(folder.file("err").path)'
        echo $? >'\(folder.file("status").path)'
        """
        var used: ReadOnlyWay?
        for way in [ReadOnlyWay.mount, .userNamespace] {
            let script = "mount -t tmpfs -o ro,size=64k tmpfs '\(mount.path)' || exit 97\n" + body + "\numount '\(mount.path)'\n"
            let process = Process()
            if way == .mount {
                guard getuid() == 0 else { continue }
                process.executableURL = URL(fileURLWithPath: "/bin/sh")
                process.arguments = ["-c", script]
            } else {
                guard FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else { continue }
                process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
                process.arguments = ["-rm", "/bin/sh", "-c", script]
            }
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            if process.terminationStatus != 97, FileManager.default.fileExists(atPath: folder.file("status").path) {
                used = way
                break
            }
        }
        if used == nil, getuid() != 0 {
            try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: mount.path)
            defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: mount.path) }
            guard let result = try DiceTool.run(arguments, in: folder.url) else { return }
            try Data(result.stderr.utf8).write(to: folder.file("err"))
            try Data("\(result.status)\n".utf8).write(to: folder.file("status"))
            used = .permissions
        }
        guard let way = used else {
            // Root without mount rights: permissions do not stop root, so nothing here is
            // read-only.
            print("read-only output: skipped (root, and no tmpfs could be mounted read-only)")
            return
        }
        let stderr = try String(contentsOf: folder.file("err"), encoding: .utf8)
        let status = Int32(try String(contentsOf: folder.file("status"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines))
        let code = way == .permissions ? EACCES : EROFS
        Self.expectEarlyFailure(DiceTool.Result(status: status ?? -1, stdout: "", stderr: stderr), path: output.path,
                                reason: "cannot use this folder as a run folder: " + String(cString: strerror(code)),
                                cache: folder.file("cache"))
    }

    @Test("output names of 236 to 255 bytes are written (their temporary names fit); 256 bytes are refused before writing")
    func longFileNames() throws {
        let folder = try ScratchFolder("output-long-name")
        defer { folder.remove() }
        for length in [236, 237, 250, 255] {
            let url = folder.file(String(repeating: "é", count: (length - 6) / 2) + String(repeating: "n", count: (length - 6) % 2)
                                  + ".jsonl")
            #expect(url.lastPathComponent.utf8.count == length)
            try AtomicFile.write(Data("{}\n".utf8), to: url)
            #expect(try Data(contentsOf: url) == Data("{}\n".utf8))
        }
        #expect(KilledRun.temporaries(under: folder.url) == [])
        let tooLong = folder.file(String(repeating: "n", count: 256))
        let error = #expect(throws: FormatError.self) { try AtomicFile.write(Data(), to: tooLong) }
        #expect(error.map { "\($0)" }?.contains(tooLong.path) == true && error.map { "\($0)" }?.contains("255") == true,
                "\(String(describing: error))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).count == 4)
    }

    @Test("dice logprobs --output with a 250-byte name: written whole, no temporary left")
    func logprobsWithALongOutputName() throws {
        let folder = try ScratchFolder("output-long-logprobs")
        defer { folder.remove() }
        try ToyModelFolders.writeModel(seed: 1, to: folder.file("model"))
        try Data("{\"prompt_ids\": [1, 2], \"response_ids\": [3, 0]}\n".utf8).write(to: folder.file("in.jsonl"))
        let output = folder.file(String(repeating: "o", count: 244) + ".jsonl")
        guard let result = try DiceTool.run(["logprobs", "--model", folder.file("model").path, "--input", folder.file("in.jsonl").path,
                                             "--output", output.path], in: folder.url) else { return }
        #expect(result.status == 0, "\(result.stderr)")
        let text = try String(contentsOf: output, encoding: .utf8)
        #expect(text.contains("\"logprob\""), "\(text)")
        #expect(KilledRun.temporaries(under: folder.url) == [])
    }
}
