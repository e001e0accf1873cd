import Foundation

/// Reading and writing NumPy `.npz` archives: a ZIP file of `.npy` arrays,
/// as `numpy.savez` writes them.
///
/// Reads stored and deflated entries (`numpy.savez` and
/// `numpy.savez_compressed`), ZIP64 ones included. Writes stored entries.
public enum NumPyArchive {
    /// Reads every array of an `.npz` file, named without the `.npy` suffix.
    public static func read(contentsOf url: URL) throws(FoveaError) -> [String: Tensor] {
        try decode(try readFile(url), name: url.lastPathComponent)
    }

    /// Writes tensors as a `.npz` archive of float32 arrays.
    public static func write(_ tensors: [String: Tensor], to url: URL) throws(FoveaError) {
        try writeFile(encode(tensors), to: url)
    }

    /// Decodes the bytes of an `.npz` file.
    public static func decode(_ data: Data, name: String = "npz data") throws(FoveaError) -> [String: Tensor] {
        let bytes = [UInt8](data)
        let entries = try withBytes(bytes) { (raw) throws(FoveaError) -> [Entry] in
            try centralDirectory(raw, name: name)
        }
        var tensors = [String: Tensor]()
        for entry in entries {
            let arrayName = entry.name.hasSuffix(".npy") ? String(entry.name.dropLast(4)) : entry.name
            guard tensors[arrayName] == nil else { throw .fileFormat("\(name) holds \"\(arrayName)\" twice") }
            var payload = Array(bytes[entry.data])
            if entry.deflated {
                // The declared size bounds the output, so a deflate bomb stops
                // there; and as the file chooses that size, so does DEFLATE's
                // own ceiling (258 bytes from a code of at least 2 bits: 1032x).
                let (product, overflow) = payload.count.multipliedReportingOverflow(by: 1032)
                guard overflow || entry.size <= product + 1024 else {
                    throw .fileFormat("\(name)/\(entry.name) claims \(entry.size) bytes from \(payload.count) compressed, more than DEFLATE can make")
                }
                payload = try Inflate.inflate(payload, from: 0, name: "\(name)/\(entry.name)", limit: entry.size)
                guard payload.count == entry.size else {
                    throw .fileFormat("\(name)/\(entry.name) inflates to \(payload.count) bytes, the archive says \(entry.size)")
                }
            }
            tensors[arrayName] = try NumPyFile.decode(Data(payload), name: "\(name)/\(entry.name)")
        }
        return tensors
    }

    /// One archive member: where its (possibly deflated) bytes lie and its size once inflated.
    private struct Entry {
        var name: String
        var data: Range<Int>
        var deflated: Bool
        var size: Int
    }

    /// The archive's entries and where each one's data lies.
    private static func centralDirectory(_ raw: UnsafeRawBufferPointer, name: String) throws(FoveaError) -> [Entry] {
        func u16(_ at: Int) -> Int { Int(raw.littleEndian(UInt16.self, at: at)) }
        func u32(_ at: Int) -> Int { Int(raw.littleEndian(UInt32.self, at: at)) }
        // Values of 2^63 and above read as negative, which `fits` rejects.
        func u64(_ at: Int) -> Int { Int(truncatingIfNeeded: raw.littleEndian(UInt64.self, at: at)) }
        func corrupt(_ what: String) -> FoveaError { .fileFormat("\(name) is not a valid .npz archive: \(what)") }
        // Whether `value` (an offset, size or count from the file) and `reserve`
        // bytes after it lie within the archive; checked before any arithmetic,
        // so that ZIP64's 64-bit values cannot overflow it.
        func fits(_ value: Int, reserving reserve: Int = 0) -> Bool { value >= 0 && value <= raw.count - reserve }

        // The end-of-central-directory record: 22 bytes plus a comment of up to 64 KiB.
        var end = -1
        var position = raw.count - 22
        while position >= max(0, raw.count - 22 - 65_535) {
            if u32(position) == 0x0605_4B50 { end = position; break }
            position -= 1
        }
        guard end >= 0 else { throw corrupt("no end-of-central-directory record (truncated?)") }
        var count = u16(end + 10), directory = u32(end + 16)
        if (count == 0xFFFF || directory == 0xFFFF_FFFF) && end >= 20 && u32(end - 20) == 0x0706_4B50 {
            let record = u64(end - 20 + 8)
            guard fits(record, reserving: 56), u32(record) == 0x0606_4B50 else { throw corrupt("bad ZIP64 record") }
            count = u64(record + 32)
            directory = u64(record + 48)
        }
        guard fits(count) else { throw corrupt("the directory claims \(count) entries, more than a file of \(raw.count) bytes can hold") }
        var entries = [Entry]()
        var cursor = directory
        for _ in 0..<count {
            guard fits(cursor, reserving: 46), u32(cursor) == 0x0201_4B50 else {
                throw corrupt("a central-directory entry is missing")
            }
            let method = u16(cursor + 10)
            var compressed = u32(cursor + 20), uncompressed = u32(cursor + 24)
            let nameLength = u16(cursor + 28), extraLength = u16(cursor + 30), commentLength = u16(cursor + 32)
            var local = u32(cursor + 42)
            guard cursor + 46 + nameLength + extraLength <= raw.count,
                  let entryName = String(bytes: raw[(cursor + 46)..<(cursor + 46 + nameLength)], encoding: .utf8)
            else { throw corrupt("an entry name is unreadable") }
            // ZIP64 extra field: the 64-bit values of the fields that read 0xFFFFFFFF, in order.
            var extra = cursor + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let id = u16(extra), size = u16(extra + 2)
                if id == 0x0001 {
                    var field = extra + 4
                    if uncompressed == 0xFFFF_FFFF, field + 8 <= extraEnd { uncompressed = u64(field); field += 8 }
                    if compressed == 0xFFFF_FFFF, field + 8 <= extraEnd { compressed = u64(field); field += 8 }
                    if local == 0xFFFF_FFFF, field + 8 <= extraEnd { local = u64(field) }
                }
                extra += 4 + size
            }
            guard method == 0 || method == 8 else {
                throw .unsupported("\(name): \"\(entryName)\" uses ZIP compression method \(method); only stored and deflated entries are read")
            }
            guard fits(local, reserving: 30), u32(local) == 0x0403_4B50 else {
                throw corrupt("the local header of \"\(entryName)\" is missing")
            }
            let start = local + 30 + u16(local + 26) + u16(local + 28)
            guard method == 8 || compressed == uncompressed, fits(compressed, reserving: start) else {
                throw corrupt("the data of \"\(entryName)\" runs past the end of the file")
            }
            guard uncompressed >= 0 else { throw corrupt("\"\(entryName)\" has a negative size") }
            entries.append(Entry(name: entryName, data: start..<(start + compressed), deflated: method == 8, size: uncompressed))
            cursor += 46 + nameLength + extraLength + commentLength
        }
        return entries
    }

    /// Encodes tensors as a stored ZIP of `.npy` files (sorted by name).
    ///
    /// - Throws: what ``NumPyFile/encode(_:)`` throws, and
    ///   ``FoveaError/unsupported(_:)`` for archives that would need ZIP64
    ///   (4 GiB or more, or more than 65535 tensors), which this writer does
    ///   not produce: safetensors has no such limits.
    public static func encode(_ tensors: [String: Tensor]) throws(FoveaError) -> Data {
        var archive = Data(), directory = Data()
        func append16(_ data: inout Data, _ value: Int) { withUnsafeBytes(of: UInt16(truncatingIfNeeded: value).littleEndian) { data.append(contentsOf: $0) } }
        func append32(_ data: inout Data, _ value: Int) { withUnsafeBytes(of: UInt32(truncatingIfNeeded: value).littleEndian) { data.append(contentsOf: $0) } }
        let names = tensors.keys.sorted()
        let zip64 = FoveaError.unsupported("an .npz of these tensors would need ZIP64 (4 GiB or more, or more than 65535 tensors or a name over 64 KiB); save them as safetensors")
        guard names.count <= 0xFFFF else { throw zip64 }
        for name in names {
            let payload = try NumPyFile.encode(tensors[name]!)
            let fileName = Data((name + ".npy").utf8)
            // The sizes and offsets below are 32-bit fields (16-bit for the name).
            guard fileName.count <= 0xFFFF, archive.count + 30 + fileName.count + payload.count <= 0xFFFF_FFFF else { throw zip64 }
            let checksum = crc32(payload)
            let offset = archive.count
            append32(&archive, 0x0403_4B50)
            append16(&archive, 20); append16(&archive, 0); append16(&archive, 0)  // version, flags, stored
            append16(&archive, 0); append16(&archive, 0x21)                        // time, date (1980-01-01)
            append32(&archive, Int(checksum)); append32(&archive, payload.count); append32(&archive, payload.count)
            append16(&archive, fileName.count); append16(&archive, 0)
            archive.append(fileName)
            archive.append(payload)
            append32(&directory, 0x0201_4B50)
            append16(&directory, 20); append16(&directory, 20); append16(&directory, 0); append16(&directory, 0)
            append16(&directory, 0); append16(&directory, 0x21)
            append32(&directory, Int(checksum)); append32(&directory, payload.count); append32(&directory, payload.count)
            append16(&directory, fileName.count); append16(&directory, 0); append16(&directory, 0)
            append16(&directory, 0); append16(&directory, 0); append32(&directory, 0); append32(&directory, offset)
            directory.append(fileName)
        }
        let directoryOffset = archive.count
        guard directoryOffset + directory.count <= 0xFFFF_FFFF else { throw zip64 }
        archive.append(directory)
        append32(&archive, 0x0605_4B50)
        append16(&archive, 0); append16(&archive, 0)
        append16(&archive, names.count); append16(&archive, names.count)
        append32(&archive, directory.count); append32(&archive, directoryOffset); append16(&archive, 0)
        return archive
    }
}

/// The ZIP (IEEE) CRC-32 of some bytes.
func crc32(_ data: Data) -> UInt32 {
    var table = [UInt32](repeating: 0, count: 256)
    for i in 0..<256 {
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        table[i] = c
    }
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in data { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
    return crc ^ 0xFFFF_FFFF
}
