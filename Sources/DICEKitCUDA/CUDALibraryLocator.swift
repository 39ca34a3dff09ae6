import CCUDAShim
import Foundation

/// Where the CUDA libraries are looked for, in order:
///
/// 1. The library's environment variable (`DICEKIT_LIBCUDA`, `DICEKIT_LIBCUBLAS`,
///    `DICEKIT_LIBNVRTC`): a file, or a folder holding `libX.so*`. When set, only it is tried.
/// 2. The system's own search by name (`LD_LIBRARY_PATH`, the ld.so cache), newest major first.
/// 3. cuBLAS and NVRTC: `$CUDA_HOME`, `$CUDA_PATH`, `/usr/local/cuda` (`lib64/`, `lib/`).
/// 4. cuBLAS and NVRTC: Python site-packages (`nvidia/<package>/lib/`, then any
///    `nvidia/*/lib/`), found from `PYTHONPATH`, `VIRTUAL_ENV`, `CONDA_PREFIX`, the
///    interpreters on `PATH`, `~/.local` and the system prefixes.
/// 5. The driver: WSL's `/usr/lib/wsl/lib`.
public struct CUDALibraryLocator: Sendable {
    /// The environment the search reads.
    public var environment: [String: String]

    /// A locator reading `environment` (default: this process's).
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// The paths or names to hand to `dlopen` for `library`, in search order, without
    /// duplicates. Only files that exist are listed, except the bare names of step 2 and an
    /// explicit environment override (which is reported as tried even when it is absent).
    public func candidates(for library: CUDALibrary) -> [String] {
        if let override = environment[library.environmentVariable], !override.isEmpty {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: override, isDirectory: &isFolder), isFolder.boolValue {
                let found = Self.matchingFiles(in: override, stem: library.fileStem)
                return found.isEmpty ? [override + "/" + library.fileStem] : found
            }
            return [override]
        }
        var list = library.systemNames
        if let package = library.pythonPackage {
            for root in toolkitRoots() {
                for sub in ["lib64", "lib"] {
                    list += Self.matchingFiles(in: root + "/" + sub, stem: library.fileStem)
                }
            }
            for site in pythonSiteFolders() {
                list += Self.matchingFiles(in: site + "/nvidia/" + package + "/lib", stem: library.fileStem)
                for other in Self.listing(site + "/nvidia") where other != package {
                    list += Self.matchingFiles(in: site + "/nvidia/" + other + "/lib", stem: library.fileStem)
                }
            }
        } else {
            list += Self.matchingFiles(in: "/usr/lib/wsl/lib", stem: library.fileStem)
        }
        var seen = Set<String>()
        return list.filter { seen.insert($0).inserted }
    }

    /// CUDA toolkit folders named by the environment, then the conventional one.
    func toolkitRoots() -> [String] {
        ["CUDA_HOME", "CUDA_PATH"].compactMap { environment[$0] }.filter { !$0.isEmpty } + ["/usr/local/cuda"]
    }

    /// Python site-packages folders that exist, most specific first.
    func pythonSiteFolders() -> [String] {
        var folders: [String] = []
        let pythonPath = environment["PYTHONPATH"] ?? ""
        folders += pythonPath.split(separator: ":").map(String.init)
        var prefixes: [String] = ["VIRTUAL_ENV", "CONDA_PREFIX"].compactMap { environment[$0] }.filter { !$0.isEmpty }
        for dir in (environment["PATH"] ?? "").split(separator: ":") {
            let bin = URL(fileURLWithPath: String(dir))
            if FileManager.default.isExecutableFile(atPath: bin.appendingPathComponent("python3").path) {
                prefixes.append(bin.deletingLastPathComponent().path)
            }
        }
        if let home = environment["HOME"], !home.isEmpty { prefixes.append(home + "/.local") }
        prefixes += ["/usr/local", "/usr", "/opt/conda"]
        for prefix in prefixes {
            for version in Self.listing(prefix + "/lib").filter({ $0.hasPrefix("python3") }).sorted(by: >) {
                for kind in ["site-packages", "dist-packages"] {
                    folders.append(prefix + "/lib/" + version + "/" + kind)
                }
            }
        }
        folders.append("/usr/lib/python3/dist-packages")
        var seen = Set<String>()
        return folders.filter { seen.insert($0).inserted && Self.isFolder($0) }
    }

    /// Files in `folder` named `stem` or `stem.<digits and dots>`, highest version first.
    static func matchingFiles(in folder: String, stem: String) -> [String] {
        let names = listing(folder).filter { name in
            guard name.hasPrefix(stem) else { return false }
            let rest = name.dropFirst(stem.count)
            return rest.isEmpty || (rest.first == "." && rest.dropFirst().allSatisfy { $0.isNumber || $0 == "." })
        }
        let version = { (name: String) -> [Int] in
            name.dropFirst(stem.count).split(separator: ".").compactMap { Int($0) }
        }
        return names.sorted { version($1).lexicographicallyPrecedes(version($0)) }
            .map { folder + "/" + $0 }
    }

    static func listing(_ folder: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    }

    static func isFolder(_ path: String) -> Bool {
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue
    }

    /// Opens the first candidate of `library` that loads.
    /// - Throws: `CUDAError.libraryNotFound` naming every candidate tried.
    func open(_ library: CUDALibrary) throws -> (handle: UnsafeMutableRawPointer, path: String) {
        let tried = candidates(for: library)
        var reason = "no candidate file found"
        for path in tried {
            if let handle = dk_open(path) { return (handle, path) }
            reason = dk_last_error().map { String(cString: $0) } ?? "dlopen failed"
        }
        throw CUDAError.libraryNotFound(library, tried: tried, reason: reason)
    }
}
