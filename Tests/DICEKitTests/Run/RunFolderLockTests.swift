// RunFolderLock: one holder at a time, released with its holder, clear refusals.

@testable import DICEKit
import Foundation
import Testing

@Suite("Run folder lock")
struct RunFolderLockTests {
    @Test func secondHolderIsRefusedNamingTheFolderAndPID() throws {
        let folder = try ScratchFolder("lock")
        defer { folder.remove() }
        let run = folder.file("a/b/run")
        let first = try RunFolderLock(folder: run)
        #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent(RunFolderLock.fileName).path))
        // flock locks belong to the open file, so a second open in this process conflicts as a
        // second process would.
        let error = #expect(throws: RunFolderLockError.self) { try RunFolderLock(folder: run) }
        #expect(error == .held(folder: run.path, pid: getpid()))
        #expect(error?.description.contains("process \(getpid())") == true)
        first.release()
        let again = try RunFolderLock(folder: run)
        again.release()
    }

    @Test func deinitialisationReleases() throws {
        let folder = try ScratchFolder("lock")
        defer { folder.remove() }
        do { _ = try RunFolderLock(folder: folder.url) }
        _ = try RunFolderLock(folder: folder.url)
    }

    @Test func unusableFoldersAreNamed() throws {
        let folder = try ScratchFolder("lock")
        defer { folder.remove() }
        try Data("x".utf8).write(to: folder.file("file"))
        let onFile = #expect(throws: RunFolderLockError.self) { try RunFolderLock(folder: folder.file("file")) }
        #expect(onFile == .unusable(folder: folder.file("file").path, reason: "it is a file, not a folder"))
        let below = #expect(throws: RunFolderLockError.self) { try RunFolderLock(folder: folder.file("file/run")) }
        guard case .unusable(let path, let reason)? = below else { Issue.record("\(String(describing: below))"); return }
        #expect(path == folder.file("file/run").path && reason == String(cString: strerror(ENOTDIR)))
        let long = folder.file(String(repeating: "n", count: 256))
        let tooLong = #expect(throws: RunFolderLockError.self) { try RunFolderLock(folder: long) }
        guard case .unusable(_, let why)? = tooLong else { Issue.record("\(String(describing: tooLong))"); return }
        #expect(why == String(cString: strerror(ENAMETOOLONG)))
    }
}
