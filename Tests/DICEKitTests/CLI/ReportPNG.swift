// ReportPNG: just enough of PNG (chunks, zlib's DEFLATE, scanline filters) to read the pixels of
// a headless browser's screenshot (8-bit RGB or RGBA, not interlaced), so that a test can tell
// a rendered page from a blank one by its colours.

import Foundation

/// A decoded 8-bit RGB(A) PNG image.
struct ReportPNG {
    /// Width and height in pixels.
    var width: Int
    var height: Int
    /// Pixels as 0xRRGGBB, row by row (alpha dropped).
    var pixels: [UInt32]

    /// Why an image could not be decoded.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Decodes `data`.
    /// - Throws: `Failure` for anything but a non-interlaced 8-bit RGB/RGBA PNG, or damaged data.
    init(_ data: Data) throws {
        let bytes = [UInt8](data)
        guard bytes.count > 8, bytes[0 ..< 8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else {
            throw Failure(description: "not a PNG (bad signature)")
        }
        var position = 8, idat: [UInt8] = []
        var header: [UInt8] = []
        func u32(_ i: Int) -> Int { Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3]) }
        while position + 8 <= bytes.count {
            let length = u32(position), type = String(decoding: bytes[position + 4 ..< position + 8], as: UTF8.self)
            guard position + 12 + length <= bytes.count else { throw Failure(description: "chunk \(type) runs past the end") }
            let body = Array(bytes[position + 8 ..< position + 8 + length])
            if type == "IHDR" { header = body }
            if type == "IDAT" { idat += body }
            if type == "IEND" { break }
            position += 12 + length
        }
        guard header.count == 13 else { throw Failure(description: "no IHDR") }
        width = Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
        height = Int(header[4]) << 24 | Int(header[5]) << 16 | Int(header[6]) << 8 | Int(header[7])
        let depth = header[8], colour = header[9], interlace = header[12]
        guard depth == 8, colour == 2 || colour == 6, interlace == 0 else {
            throw Failure(description: "unsupported PNG (bit depth \(depth), colour type \(colour), interlace \(interlace))")
        }
        guard idat.count > 2 else { throw Failure(description: "no image data") }
        var inflater = Inflater(Array(idat[2...]))  // after the 2-byte zlib header
        let raw = try inflater.inflate()
        let channels = colour == 6 ? 4 : 3, stride = width * channels
        guard raw.count >= height * (stride + 1) else { throw Failure(description: "image data too short") }
        var previous = [UInt8](repeating: 0, count: stride), current = previous
        pixels = []
        pixels.reserveCapacity(width * height)
        for row in 0 ..< height {
            let start = row * (stride + 1), filter = raw[start]
            for i in 0 ..< stride {
                let x = raw[start + 1 + i]
                let a = i >= channels ? Int(current[i - channels]) : 0, b = Int(previous[i])
                let c = i >= channels ? Int(previous[i - channels]) : 0
                let predicted: Int
                switch filter {
                case 0: predicted = 0
                case 1: predicted = a
                case 2: predicted = b
                case 3: predicted = (a + b) / 2
                case 4:
                    let p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c
                default: throw Failure(description: "bad filter \(filter) on row \(row)")
                }
                current[i] = UInt8((Int(x) + predicted) & 0xFF)
            }
            for p in 0 ..< width {
                let o = p * channels
                pixels.append(UInt32(current[o]) << 16 | UInt32(current[o + 1]) << 8 | UInt32(current[o + 2]))
            }
            swap(&previous, &current)
        }
    }

    /// DEFLATE (RFC 1951): stored, fixed and dynamic Huffman blocks.
    struct Inflater {
        private let input: [UInt8]
        private var position = 0, bitBuffer = 0, bitCount = 0
        private var output: [UInt8] = []

        init(_ input: [UInt8]) { self.input = input }

        private mutating func bits(_ n: Int) throws -> Int {
            while bitCount < n {
                guard position < input.count else { throw Failure(description: "deflate data ends early") }
                bitBuffer |= Int(input[position]) << bitCount
                position += 1
                bitCount += 8
            }
            let value = bitBuffer & ((1 << n) - 1)
            bitBuffer >>= n
            bitCount -= n
            return value
        }

        /// A canonical Huffman code: codes per length and symbols in code order.
        private struct Code {
            var counts = [Int](repeating: 0, count: 16)
            var symbols: [Int] = []
            init(_ lengths: [Int]) {
                for l in lengths { counts[l] += 1 }
                counts[0] = 0
                var offsets = [Int](repeating: 0, count: 16)
                for l in 1 ..< 16 { offsets[l] = offsets[l - 1] + counts[l - 1] }
                symbols = [Int](repeating: 0, count: lengths.count)
                for (symbol, l) in lengths.enumerated() where l != 0 {
                    symbols[offsets[l]] = symbol
                    offsets[l] += 1
                }
            }
        }

        private mutating func decode(_ code: Code) throws -> Int {
            var value = 0, first = 0, index = 0
            for length in 1 ..< 16 {
                value |= try bits(1)
                let count = code.counts[length]
                if value - first < count { return code.symbols[index + value - first] }
                index += count
                first = (first + count) << 1
                value <<= 1
            }
            throw Failure(description: "bad Huffman code")
        }

        private static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99,
                                         115, 131, 163, 195, 227, 258]
        private static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
        private static let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025,
                                           1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
        private static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11,
                                            12, 12, 13, 13]

        private mutating func codes(_ literals: Code, _ distances: Code) throws {
            while true {
                let symbol = try decode(literals)
                if symbol < 256 {
                    output.append(UInt8(symbol))
                } else if symbol == 256 {
                    return
                } else {
                    let k = symbol - 257
                    guard k < 29 else { throw Failure(description: "bad length symbol") }
                    let length = Self.lengthBase[k] + (try bits(Self.lengthExtra[k]))
                    let d = try decode(distances)
                    guard d < 30 else { throw Failure(description: "bad distance symbol") }
                    let distance = Self.distanceBase[d] + (try bits(Self.distanceExtra[d]))
                    guard distance <= output.count else { throw Failure(description: "distance too far back") }
                    let from = output.count - distance
                    for i in 0 ..< length { output.append(output[from + i]) }
                }
            }
        }

        /// The whole stream, inflated.
        mutating func inflate() throws -> [UInt8] {
            var last = 0
            repeat {
                last = try bits(1)
                switch try bits(2) {
                case 0:
                    bitBuffer = 0
                    bitCount = 0
                    guard position + 4 <= input.count else { throw Failure(description: "stored block header cut") }
                    let length = Int(input[position]) | Int(input[position + 1]) << 8
                    position += 4
                    guard position + length <= input.count else { throw Failure(description: "stored block cut") }
                    output += input[position ..< position + length]
                    position += length
                case 1:
                    let literal = Code((0 ..< 288).map { $0 < 144 ? 8 : $0 < 256 ? 9 : $0 < 280 ? 7 : 8 })
                    try codes(literal, Code([Int](repeating: 5, count: 30)))
                case 2:
                    let nLiteral = try bits(5) + 257, nDistance = try bits(5) + 1, nCode = try bits(4) + 4
                    let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
                    var codeLengths = [Int](repeating: 0, count: 19)
                    for i in 0 ..< nCode { codeLengths[order[i]] = try bits(3) }
                    let lengthCode = Code(codeLengths)
                    var lengths: [Int] = []
                    while lengths.count < nLiteral + nDistance {
                        let symbol = try decode(lengthCode)
                        switch symbol {
                        case 0 ..< 16: lengths.append(symbol)
                        case 16:
                            guard let previous = lengths.last else { throw Failure(description: "repeat with no length") }
                            lengths += [Int](repeating: previous, count: 3 + (try bits(2)))
                        case 17: lengths += [Int](repeating: 0, count: 3 + (try bits(3)))
                        default: lengths += [Int](repeating: 0, count: 11 + (try bits(7)))
                        }
                    }
                    guard lengths.count == nLiteral + nDistance else { throw Failure(description: "code lengths overrun") }
                    try codes(Code(Array(lengths[..<nLiteral])), Code(Array(lengths[nLiteral...])))
                default:
                    throw Failure(description: "bad block type")
                }
            } while last == 0
            return output
        }
    }
}
