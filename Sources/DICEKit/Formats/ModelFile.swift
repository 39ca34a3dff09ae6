// ModelFile: reading a file of a model (weights, config.json, tokenizer.json, a GGUF) only when
// it is a regular file. A FIFO, /dev/zero, a directory or a socket in its place is refused by
// name before a byte is read, and opening never blocks (O_NONBLOCK), so a FIFO cannot hang a run.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads the files a model is made of, refusing anything that is not a regular file.
enum ModelFile {
    /// The bytes of the regular file at `url` (following symbolic links), memory-mapped when
    /// `mapped` and the file is not empty, else read whole.
    ///
    /// The file is opened with `O_NONBLOCK` and its type checked on the open descriptor
    /// (`fstat`), so a FIFO is refused without waiting for a writer and a file swapped in after
    /// the check cannot be read by mistake.
    ///
    /// - Parameter expected: what the file should be, for `.missingFile` ("config.json").
    /// - Throws: `FormatError.missingFile` when nothing is at `url`, `.notRegularFile` naming
    ///   what is there (a directory, a FIFO, a character device, a socket, …), `.io` when it
    ///   cannot be opened or read.
    static func contents(of url: URL, expected: String, mapped: Bool = false) throws -> Data {
        try contentsAndMapping(of: url, expected: expected, mapped: mapped).data
    }

    /// `contents(of:expected:mapped:)`, and whether the bytes are a read-only private mapping
    /// of the file (whose pages can be dropped and read again: `SafeTensorsFile.releasePages`).
    /// - Throws: as `contents(of:expected:mapped:)`.
    static func contentsAndMapping(of url: URL, expected: String, mapped: Bool) throws -> (data: Data, mapped: Bool) {
        let path = url.path
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            var info = stat()
            if code == ENOENT { throw FormatError.missingFile(path: path, expected: expected) }
            if stat(path, &info) == 0, let kind = kindName(info.st_mode) {
                throw FormatError.notRegularFile(path: path, found: kind)
            }
            throw FormatError.io(path: path, reason: "cannot open: \(String(cString: strerror(code)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw FormatError.io(path: path, reason: "cannot inspect: \(String(cString: strerror(errno)))")
        }
        if let kind = kindName(info.st_mode) { throw FormatError.notRegularFile(path: path, found: kind) }
        let size = Int(info.st_size)
        if mapped && size > 0, let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0),
           base != UnsafeMutableRawPointer(bitPattern: -1) {
            return (Data(bytesNoCopy: base, count: size, deallocator: .custom { pointer, count in
                munmap(pointer, count)
            }), true)
        }
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n == 0 { return (data, false) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FormatError.io(path: path, reason: "read failed after \(data.count) bytes: \(String(cString: strerror(errno)))")
            }
            data.append(contentsOf: chunk[0 ..< n])
        }
    }

    /// What a file of mode `mode` is, in words, when it is not a regular file; nil when it is.
    static func kindName(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        default: return "a special file"
        }
    }
}
