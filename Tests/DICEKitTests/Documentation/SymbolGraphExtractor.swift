// SymbolGraphExtractor: runs swift-symbolgraph-extract on a module that the test build already
// produced, and finds what it needs (the tool, the module folder, the C modules' module maps).

import Foundation

/// Extracts a built module's symbol graph with the toolchain's `swift-symbolgraph-extract`.
struct SymbolGraphExtractor {
    /// The tool: `$SWIFT_SYMBOLGRAPH_EXTRACT`, else the one beside `swift` on `PATH`, else
    /// /opt/swift/usr/bin's.
    var tool: URL
    /// The build's `Modules` folder (the `.swiftmodule` files the test build wrote).
    var modules: URL
    /// The package root (its `Sources/` is what the checked symbols must be in).
    var packageRoot: URL
    /// Module maps of the C modules the Swift modules import: SwiftPM's generated ones beside
    /// the modules (`<Target>.build/module.modulemap`).
    var moduleMaps: [URL] = []
    /// Folders holding a system-library target's own `module.modulemap` (`Sources/CBLAS`).
    var includeFolders: [URL] = []

    /// Why no extractor could be made, for a skipped test's message; nil when one can.
    static let unavailableReason: String? = {
        switch locate() {
        case .success: return nil
        case .failure(let why): return why.reason
        }
    }()

    /// The extractor of this test run, if the tool and the built modules are found.
    static var current: SymbolGraphExtractor? { try? locate().get() }

    struct Unavailable: Error { var reason: String }

    static func locate() -> Result<SymbolGraphExtractor, Unavailable> {
        let fm = FileManager.default
        let environment = ProcessInfo.processInfo.environment
        var candidates: [String] = []
        if let explicit = environment["SWIFT_SYMBOLGRAPH_EXTRACT"] { candidates.append(explicit) }
        for folder in (environment["PATH"] ?? "").split(separator: ":") {
            candidates.append("\(folder)/swift-symbolgraph-extract")
        }
        candidates.append("/opt/swift/usr/bin/swift-symbolgraph-extract")
        guard let tool = candidates.first(where: { fm.isExecutableFile(atPath: $0) }) else {
            return .failure(Unavailable(reason: "swift-symbolgraph-extract is not on PATH nor in /opt/swift/usr/bin (set SWIFT_SYMBOLGRAPH_EXTRACT)"))
        }
        // The package root: walk up from this file to the folder holding Package.swift.
        var root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while root.path != "/", !fm.fileExists(atPath: root.appendingPathComponent("Package.swift").path) {
            root = root.deletingLastPathComponent()
        }
        // The Modules folder: beside the running test bundle (.build/<triple>/<config>/), else
        // under the package's .build/release or .build/debug.
        var folders: [URL] = []
        if let executable = try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            var url = URL(fileURLWithPath: executable).deletingLastPathComponent()
            for _ in 0..<4 {
                folders.append(url.appendingPathComponent("Modules"))
                url = url.deletingLastPathComponent()
            }
        }
        for configuration in ["release", "debug"] {
            folders.append(root.appendingPathComponent(".build/\(configuration)/Modules"))
        }
        guard let modules = folders.first(where: {
            fm.fileExists(atPath: $0.appendingPathComponent("DICEKit.swiftmodule").path)
        }) else {
            return .failure(Unavailable(reason: "no built DICEKit.swiftmodule beside the test bundle or under .build/{release,debug}/Modules"))
        }
        let resolved = modules.resolvingSymlinksInPath()
        let buildFolder = resolved.deletingLastPathComponent()
        let maps = ((try? fm.contentsOfDirectory(atPath: buildFolder.path)) ?? []).filter { $0.hasSuffix(".build") }.sorted()
            .map { buildFolder.appendingPathComponent($0).appendingPathComponent("module.modulemap") }
            .filter { fm.fileExists(atPath: $0.path) }
        let sources = root.appendingPathComponent("Sources")
        let includes = ((try? fm.contentsOfDirectory(atPath: sources.path)) ?? []).sorted()
            .map { sources.appendingPathComponent($0) }
            .filter { fm.fileExists(atPath: $0.appendingPathComponent("module.modulemap").path) }
        return .success(SymbolGraphExtractor(tool: URL(fileURLWithPath: tool), modules: resolved, packageRoot: root,
                                             moduleMaps: maps, includeFolders: includes))
    }

    /// The target triple of the build: the name of the folder above the configuration folder
    /// (`.build/x86_64-unknown-linux-gnu/release/Modules`), else this machine's Linux triple.
    var triple: String {
        let name = modules.deletingLastPathComponent().deletingLastPathComponent().lastPathComponent
        if name.split(separator: "-").count >= 3 { return name }
        var system = utsname()
        uname(&system)
        let machine = withUnsafeBytes(of: &system.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return "\(machine)-unknown-linux-gnu"
    }

    /// The symbol-graph files of `module` (its own and its extensions of other modules' types),
    /// at `minimumAccessLevel`, written into a fresh temporary folder and decoded.
    /// - Throws: when the tool fails (with its output) or writes nothing decodable.
    func symbolGraphs(of module: String, minimumAccessLevel: String = "public") throws -> [SymbolGraphFile] {
        let fm = FileManager.default
        let output = fm.temporaryDirectory.appendingPathComponent("symbolgraph-\(UUID().uuidString)")
        try fm.createDirectory(at: output, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: output) }
        var arguments = ["-module-name", module, "-target", triple, "-I", modules.path,
                         "-minimum-access-level", minimumAccessLevel, "-output-dir", output.path]
        for map in moduleMaps { arguments += ["-Xcc", "-fmodule-map-file=\(map.path)"] }
        for folder in includeFolders { arguments += ["-I", folder.path] }
        let (status, log) = try Self.run(tool, arguments)
        guard status == 0 else {
            throw Unavailable(reason: "swift-symbolgraph-extract failed (\(status)) for \(module): \(log)")
        }
        let files = try fm.contentsOfDirectory(atPath: output.path).filter { $0.hasSuffix(".symbols.json") }.sorted()
        guard !files.isEmpty else { throw Unavailable(reason: "swift-symbolgraph-extract wrote no symbol graph for \(module)") }
        return try files.map {
            try JSONDecoder().decode(SymbolGraphFile.self, from: Data(contentsOf: output.appendingPathComponent($0)))
        }
    }

    /// Runs `tool` with `arguments`; its exit status and its stdout and stderr together.
    static func run(_ tool: URL, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = tool
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
