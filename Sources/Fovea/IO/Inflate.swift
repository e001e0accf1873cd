/// DEFLATE decompression (RFC 1951) and the gzip wrapper (RFC 1952), so that
/// gzip-compressed datasets and compressed `.npz` entries read without a
/// compression library.
enum Inflate {
    /// The most `gunzip` decompresses unless told otherwise: far more than the
    /// datasets read through it (MNIST-sized IDX and CSV files), yet a bound
    /// on what a small deflate bomb can make it allocate: 1 GiB of bytes, which
    /// an IDX reader turns into 4 GiB of floats (4 GiB of bytes would ask for
    /// some 36 GB in all). The gzip trailer's size cannot be the bound: it is
    /// the size modulo 2^32, as the file claims it.
    static let defaultGunzipLimit = 1 << 30

    /// The bytes of a gzip file's first member.
    ///
    /// - Throws: ``FoveaError/fileFormat(_:)`` when the data is not gzip, is
    ///   corrupt, or decompresses to more than `limit` bytes.
    static func gunzip(_ data: [UInt8], name: String, limit: Int = Inflate.defaultGunzipLimit) throws(FoveaError) -> [UInt8] {
        guard data.count >= 18, data[0] == 0x1F, data[1] == 0x8B, data[2] == 8 else {
            throw .fileFormat("\(name) is not gzip data")
        }
        let flags = data[3]
        var offset = 10
        if flags & 0x04 != 0 {  // FEXTRA
            guard offset + 2 <= data.count else { throw .fileFormat("\(name): truncated gzip header") }
            offset += 2 + (Int(data[offset]) | Int(data[offset + 1]) << 8)
        }
        // The offset may now lie past the end; the loops below and the guard
        // after them check it before any byte is read.
        for flag in [UInt8(0x08), 0x10] where flags & flag != 0 {  // FNAME, FCOMMENT: zero-terminated
            while offset < data.count && data[offset] != 0 { offset += 1 }
            offset += 1
        }
        if flags & 0x02 != 0 { offset += 2 }  // FHCRC
        guard offset < data.count else { throw .fileFormat("\(name): truncated gzip header") }
        return try inflate(data, from: offset, name: name, limit: limit)
    }

    /// Decompresses a raw DEFLATE stream starting at byte `start`.
    ///
    /// - Throws: ``FoveaError/fileFormat(_:)`` when the stream is corrupt or
    ///   its output would pass `limit` bytes (DEFLATE expands up to about
    ///   1000-fold, so a small file could otherwise exhaust memory).
    static func inflate(_ data: [UInt8], from start: Int, name: String, limit: Int) throws(FoveaError) -> [UInt8] {
        var reader = BitReader(data: data, position: start)
        var output = [UInt8]()
        output.reserveCapacity(min(data.count * 4, max(limit, 0)))
        var last = false
        while !last {
            last = try reader.bits(1, name) == 1
            switch try reader.bits(2, name) {
            case 0:
                reader.alignToByte()
                let length = try reader.bits(16, name), complement = try reader.bits(16, name)
                guard length ^ 0xFFFF == complement else { throw .fileFormat("\(name): corrupt stored block") }
                try checkRoom(for: length, after: output.count, limit: limit, name)
                for _ in 0..<length { output.append(UInt8(try reader.bits(8, name))) }
            case 1:
                try inflateBlock(&reader, &output, Huffman.fixedLiterals, Huffman.fixedDistances, limit, name)
            case 2:
                let (literals, distances) = try dynamicTables(&reader, name)
                try inflateBlock(&reader, &output, literals, distances, limit, name)
            default:
                throw .fileFormat("\(name): invalid DEFLATE block type")
            }
        }
        return output
    }

    private static let lengthBase: [Int] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    private static let lengthExtra: [Int] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    private static let distanceBase: [Int] = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    private static let distanceExtra: [Int] = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]

    /// Throws unless `count` more bytes after the `written` ones stay within `limit`.
    private static func checkRoom(for count: Int, after written: Int, limit: Int, _ name: String) throws(FoveaError) {
        guard written <= limit, count <= limit - written else {
            throw .fileFormat("\(name) decompresses to more than the \(limit) bytes allowed")
        }
    }

    private static func inflateBlock(
        _ reader: inout BitReader, _ output: inout [UInt8], _ literals: Huffman, _ distances: Huffman,
        _ limit: Int, _ name: String
    ) throws(FoveaError) {
        while true {
            let symbol = try literals.decode(&reader, name)
            if symbol < 256 {
                try checkRoom(for: 1, after: output.count, limit: limit, name)
                output.append(UInt8(symbol))
            } else if symbol == 256 {
                return
            } else {
                let index = symbol - 257
                guard index < lengthBase.count else { throw .fileFormat("\(name): invalid DEFLATE length code") }
                let length = lengthBase[index] + (try reader.bits(lengthExtra[index], name))
                let code = try distances.decode(&reader, name)
                guard code < distanceBase.count else { throw .fileFormat("\(name): invalid DEFLATE distance code") }
                let distance = distanceBase[code] + (try reader.bits(distanceExtra[code], name))
                guard distance <= output.count else { throw .fileFormat("\(name): DEFLATE distance past the start") }
                try checkRoom(for: length, after: output.count, limit: limit, name)
                let from = output.count - distance
                for i in 0..<length { output.append(output[from + i]) }
            }
        }
    }

    private static func dynamicTables(_ reader: inout BitReader, _ name: String) throws(FoveaError) -> (Huffman, Huffman) {
        let literalCount = try reader.bits(5, name) + 257, distanceCount = try reader.bits(5, name) + 1
        let codeCount = try reader.bits(4, name) + 4
        let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
        var codeLengths = [Int](repeating: 0, count: 19)
        for i in 0..<codeCount { codeLengths[order[i]] = try reader.bits(3, name) }
        let codeTable = try Huffman(lengths: codeLengths, name)
        var lengths = [Int]()
        while lengths.count < literalCount + distanceCount {
            let symbol = try codeTable.decode(&reader, name)
            switch symbol {
            case 0...15: lengths.append(symbol)
            case 16:
                guard let previous = lengths.last else { throw .fileFormat("\(name): DEFLATE repeat with nothing before") }
                lengths += Array(repeating: previous, count: 3 + (try reader.bits(2, name)))
            case 17: lengths += Array(repeating: 0, count: 3 + (try reader.bits(3, name)))
            default: lengths += Array(repeating: 0, count: 11 + (try reader.bits(7, name)))
            }
        }
        guard lengths.count == literalCount + distanceCount else { throw .fileFormat("\(name): corrupt DEFLATE code lengths") }
        return (try Huffman(lengths: Array(lengths[0..<literalCount]), name),
                try Huffman(lengths: Array(lengths[literalCount...]), name))
    }
}

/// Reads a byte buffer least significant bit first, as DEFLATE packs it.
struct BitReader {
    let data: [UInt8]
    var position: Int
    var buffer: UInt64 = 0
    var available = 0

    init(data: [UInt8], position: Int) {
        self.data = data
        self.position = position
    }

    mutating func bits(_ count: Int, _ name: String) throws(FoveaError) -> Int {
        guard count > 0 else { return 0 }
        while available < count {
            guard position < data.count else { throw .fileFormat("\(name): compressed data ends early") }
            buffer |= UInt64(data[position]) << UInt64(available)
            position += 1
            available += 8
        }
        let value = Int(buffer & ((1 << UInt64(count)) - 1))
        buffer >>= UInt64(count)
        available -= count
        return value
    }

    mutating func alignToByte() {
        buffer >>= UInt64(available % 8)
        available -= available % 8
    }
}

/// A canonical Huffman code, decoded by walking code lengths (counts per length).
struct Huffman {
    var counts = [Int](repeating: 0, count: 16)
    var symbols = [Int]()

    init(lengths: [Int], _ name: String) throws(FoveaError) {
        for length in lengths { counts[length] += 1 }
        counts[0] = 0
        var offsets = [Int](repeating: 0, count: 16)
        for length in 1..<16 { offsets[length] = offsets[length - 1] + counts[length - 1] }
        symbols = [Int](repeating: 0, count: lengths.count)
        for (symbol, length) in lengths.enumerated() where length > 0 {
            symbols[offsets[length]] = symbol
            offsets[length] += 1
        }
    }

    func decode(_ reader: inout BitReader, _ name: String) throws(FoveaError) -> Int {
        var code = 0, first = 0, index = 0
        for length in 1..<16 {
            code |= try reader.bits(1, name)
            let count = counts[length]
            if code - first < count { return symbols[index + code - first] }
            index += count
            first = (first + count) << 1
            code <<= 1
        }
        throw .fileFormat("\(name): invalid Huffman code in compressed data")
    }

    static let fixedLiterals: Huffman = {
        var lengths = [Int](repeating: 8, count: 288)
        for i in 144..<256 { lengths[i] = 9 }
        for i in 256..<280 { lengths[i] = 7 }
        return try! Huffman(lengths: lengths, "fixed code")  // a valid code by construction
    }()

    static let fixedDistances: Huffman = try! Huffman(lengths: Array(repeating: 5, count: 30), "fixed code")
}
