// Where `dice dpo` keeps reference log-probs without --cache-dir: $XDG_CACHE_HOME/dicekit, else
// $HOME/.cache/dicekit, else a one-line error naming both variables before any work.

import DICEKit
import Foundation
import Testing

@Suite("dice dpo: reference cache location (XDG)")
struct CacheLocationTests {
    /// This process's environment with `changes` applied (nil removes a variable).
    static func environment(_ changes: [String: String?]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for (name, value) in changes { environment[name] = value }
        return environment
    }

    /// `dice dpo` on `dpoInputs`, 2 steps, without --cache-dir.
    static func arguments(_ folder: URL) -> [String] {
        FlagBoundsTests.removing("--cache-dir", from: ToyModelFolders.dpoArguments(folder, run: "run", steps: 2, saveEvery: 1))
    }

    /// The cache files (names) in `folder`, or [] when it does not exist.
    static func cacheFiles(_ folder: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".json") }
    }

    @Test("XDG_CACHE_HOME set: the cache is $XDG_CACHE_HOME/dicekit/reference-logprobs, HOME untouched")
    func xdgCacheHome() throws {
        let folder = try ScratchFolder("cache-xdg")
        defer { folder.remove() }
        try ToyModelFolders.dpoInputs(in: folder.url)
        try FileManager.default.createDirectory(at: folder.file("home"), withIntermediateDirectories: true)
        let environment = Self.environment(["XDG_CACHE_HOME": folder.file("xdg").path, "HOME": folder.file("home").path])
        guard let result = try DiceTool.run(Self.arguments(folder.url), in: folder.url, environment: environment) else { return }
        #expect(result.status == 0, "\(result.stderr)")
        #expect(Self.cacheFiles(folder.file("xdg/dicekit/reference-logprobs")).count == 1)
        #expect(!FileManager.default.fileExists(atPath: folder.file("home/.cache").path))

        // A second run reads the cache it wrote.
        let again = Self.arguments(folder.url).map { $0 == folder.file("run").path ? folder.file("run2").path : $0 }
        guard let second = try DiceTool.run(again, in: folder.url, environment: environment) else { return }
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("reference log-probs: cached (\(folder.file("xdg/dicekit/reference-logprobs").path)/"),
                "\(second.stderr)")
    }

    @Test("XDG_CACHE_HOME unset: the cache is $HOME/.cache/dicekit/reference-logprobs")
    func homeCache() throws {
        let folder = try ScratchFolder("cache-home")
        defer { folder.remove() }
        try ToyModelFolders.dpoInputs(in: folder.url)
        try FileManager.default.createDirectory(at: folder.file("home"), withIntermediateDirectories: true)
        let environment = Self.environment(["XDG_CACHE_HOME": nil, "HOME": folder.file("home").path])
        guard let result = try DiceTool.run(Self.arguments(folder.url), in: folder.url, environment: environment) else { return }
        #expect(result.status == 0, "\(result.stderr)")
        #expect(Self.cacheFiles(folder.file("home/.cache/dicekit/reference-logprobs")).count == 1)
    }

    @Test("neither variable gives a folder: one error line naming both, before any work",
          arguments: ["missing home", "no HOME", "relative HOME"])
    func noCacheFolder(_ situation: String) throws {
        let folder = try ScratchFolder("cache-none")
        defer { folder.remove() }
        try ToyModelFolders.dpoInputs(in: folder.url)
        let home: String? = switch situation {
        case "missing home": folder.file("nowhere").path
        case "relative HOME": "relative/home"
        default: nil
        }
        let environment = Self.environment(["XDG_CACHE_HOME": nil, "HOME": home])
        guard let result = try DiceTool.run(Self.arguments(folder.url), in: folder.url, environment: environment) else { return }
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines.first?.hasPrefix("error: ") == true, "\(result.stderr)")
        for fragment in ["reference log-prob cache", "XDG_CACHE_HOME", "HOME", "--cache-dir"] {
            #expect(result.stderr.contains(fragment), "'\(fragment)' not in: \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: folder.file("run").path))
        #expect(!FileManager.default.fileExists(atPath: folder.file("nowhere").path))
        #expect(!FileManager.default.fileExists(atPath: folder.file("relative").path))
    }

    @Test("the rule itself: absolute XDG_CACHE_HOME wins; empty or relative is ignored; HOME must exist")
    func defaultFolderRule() throws {
        let folder = try ScratchFolder("cache-rule")
        defer { folder.remove() }
        let home = folder.url.path
        let viaHome = folder.url.appendingPathComponent(".cache/dicekit/reference-logprobs").path
        #expect(try ReferenceLogProbCache.defaultFolder(environment: ["XDG_CACHE_HOME": "/x/cache"]).path
                == "/x/cache/dicekit/reference-logprobs")
        #expect(try ReferenceLogProbCache.defaultFolder(environment: ["XDG_CACHE_HOME": "/x/cache", "HOME": home]).path
                == "/x/cache/dicekit/reference-logprobs")
        #expect(try ReferenceLogProbCache.defaultFolder(environment: ["XDG_CACHE_HOME": "", "HOME": home]).path == viaHome)
        #expect(try ReferenceLogProbCache.defaultFolder(environment: ["XDG_CACHE_HOME": "rel", "HOME": home]).path == viaHome)
        #expect(try ReferenceLogProbCache.defaultFolder(environment: ["HOME": home]).path == viaHome)
        let unset = #expect(throws: ReferenceLogProbCache.LocationError.self) {
            try ReferenceLogProbCache.defaultFolder(environment: [:])
        }
        #expect(unset?.reason == "XDG_CACHE_HOME is not set and HOME is not set")
        let missing = #expect(throws: ReferenceLogProbCache.LocationError.self) {
            try ReferenceLogProbCache.defaultFolder(environment: ["XDG_CACHE_HOME": "rel", "HOME": home + "/nowhere"])
        }
        #expect(missing?.reason == "XDG_CACHE_HOME=rel is not an absolute path and HOME=\(home)/nowhere is not an existing folder")
    }
}
