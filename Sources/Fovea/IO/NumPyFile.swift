import Foundation

/// Reading and writing NumPy `.npy` files.
///
/// Reads versions 1.0 to 3.0 with little-endian float, integer or bool
/// elements in C or Fortran order (converted to float32, row-major). Writes
/// float32, C order, as version 1.0 (2.0 when the header needs it).
public enum NumPyFile {
    private static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY

    /// Reads a tensor from an `.npy` file.
    public static func read(contentsOf url: URL) throws(FoveaError) -> Tensor {
        try decode(try readFile(url), name: url.lastPathComponent)
    }

    /// Writes a tensor as a float32 `.npy` file.
    public static func write(_ tensor: Tensor, to url: URL) throws(FoveaError) {
        try writeFile(encode(tensor), to: url)
    }

    /// Decodes the bytes of an `.npy` file.
    public static func decode(_ data: Data, name: String = "npy data") throws(FoveaError) -> Tensor {
        let bytes = [UInt8](data)
        return try withBytes(bytes) { (raw) throws(FoveaError) -> Tensor in
            guard raw.count >= 10, Array(raw[0..<6]) == magic else {
                throw .fileFormat("\(name) is not a NumPy file (no \\x93NUMPY magic)")
            }
            let major = raw[6]
            let headerLength: Int
            let headerStart: Int
            switch major {
            case 1:
                headerLength = Int(raw.littleEndian(UInt16.self, at: 8))
                headerStart = 10
            case 2, 3:
                guard raw.count >= 12 else { throw .fileFormat("\(name): truncated NumPy header") }
                headerLength = Int(raw.littleEndian(UInt32.self, at: 8))
                headerStart = 12
            default:
                throw .fileFormat("\(name): unsupported NumPy format version \(major).\(raw[7])")
            }
            guard headerStart + headerLength <= raw.count else {
                throw .fileFormat("\(name): the header says \(headerLength) bytes but the file ends first")
            }
            guard let header = String(bytes: raw[headerStart..<(headerStart + headerLength)], encoding: major == 3 ? .utf8 : .isoLatin1) else {
                throw .fileFormat("\(name): the header is not text")
            }
            let (type, fortranOrder, shape) = try parseHeader(header, name: name)
            let count = try Tensor.elementCount(of: shape)
            let dataStart = headerStart + headerLength
            let (needed, overflow) = count.multipliedReportingOverflow(by: type.size)
            guard !overflow, raw.count - dataStart >= needed else {
                throw .fileFormat(
                    "\(name): shape \(describe(shape)) needs \(count) elements (\(needed) bytes), the file holds \(raw.count - dataStart) bytes of data")
            }
            let payload = UnsafeRawBufferPointer(rebasing: raw[dataStart...])
            var tensor = try Tensor(uninitializedShape: fortranOrder ? shape.reversed() : shape)
            let out = tensor.writePointer
            for i in 0..<count { out[i] = type.load(from: payload, index: i) }
            if fortranOrder && shape.count > 1 {
                tensor = try tensor.transposed(Array((0..<shape.count).reversed()))
            }
            return tensor
        }
    }

    /// Encodes a tensor as a float32 `.npy` file: version 1.0, or 2.0 when
    /// the header (the shape, for a tensor of very high rank) is longer than
    /// version 1.0's 2-byte length can say.
    ///
    /// - Throws: ``FoveaError/unsupported(_:)`` when even version 2.0 cannot
    ///   hold the header (over 4 GiB).
    public static func encode(_ tensor: Tensor) throws(FoveaError) -> Data {
        let shapeText: String
        switch tensor.rank {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(tensor.shape[0]),)"
        default: shapeText = "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")"
        }
        let dictionary = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
        // Pad with spaces so that the data starts on a 64-byte boundary.
        func padded(after prefix: Int) -> [UInt8] {
            let unpadded = prefix + dictionary.utf8.count + 1
            return Array(dictionary.utf8) + [UInt8](repeating: 0x20, count: (64 - unpadded % 64) % 64) + [0x0A]
        }
        var header = padded(after: 10)
        var bytes: [UInt8]
        if header.count <= Int(UInt16.max) {
            bytes = magic + [1, 0]
            bytes += [UInt8(header.count & 0xFF), UInt8(header.count >> 8)]
        } else {
            header = padded(after: 12)
            guard let length = UInt32(exactly: header.count) else {
                throw .unsupported("a tensor of rank \(tensor.rank) has a .npy header of \(header.count) bytes, more than the format's 4 GiB")
            }
            bytes = magic + [2, 0]
            withUnsafeBytes(of: length.littleEndian) { bytes += $0 }
        }
        bytes += header
        bytes.reserveCapacity(bytes.count + tensor.count * 4)
        tensor.withUnsafeBufferPointer { values in
            for v in values { ElementType.float32.append(v, to: &bytes) }
        }
        return Data(bytes)
    }

    private static func parseHeader(_ header: String, name: String) throws(FoveaError) -> (ElementType, Bool, [Int]) {
        func value(of key: String) -> Substring? {
            guard let range = header.range(of: "'\(key)':") else { return nil }
            return header[range.upperBound...].drop(while: { $0 == " " })
        }
        guard let descrText = value(of: "descr"), descrText.first == "'",
            let close = descrText.dropFirst().firstIndex(of: "'")
        else { throw .fileFormat("\(name): the header has no 'descr'") }
        let descr = String(descrText[descrText.index(after: descrText.startIndex)..<close])
        let types: [String: ElementType] = [
            "<f8": .float64, "<f4": .float32, "<f2": .float16, "<i8": .int64, "<i4": .int32,
            "<i2": .int16, "|i1": .int8, "|u1": .uint8, "|b1": .bool,
        ]
        guard let type = types[descr] else {
            throw .unsupported("\(name): element type '\(descr)' is not supported (little-endian float, int, uint8 or bool)")
        }
        guard let orderText = value(of: "fortran_order") else {
            throw .fileFormat("\(name): the header has no 'fortran_order'")
        }
        let fortran: Bool
        if orderText.hasPrefix("False") { fortran = false }
        else if orderText.hasPrefix("True") { fortran = true }
        else { throw .fileFormat("\(name): 'fortran_order' is neither True nor False") }
        guard let shapeText = value(of: "shape"), shapeText.first == "(",
            let end = shapeText.firstIndex(of: ")")
        else { throw .fileFormat("\(name): the header has no 'shape' tuple") }
        let inside = shapeText[shapeText.index(after: shapeText.startIndex)..<end]
        var shape = [Int]()
        for part in inside.split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "L", with: "")
            if trimmed.isEmpty { continue }
            guard let extent = Int(trimmed), extent >= 0 else {
                throw .fileFormat("\(name): shape entry '\(trimmed)' is not a non-negative integer")
            }
            shape.append(extent)
        }
        return (type, fortran, shape)
    }
}

/// Reads a whole file, turning Foundation's errors into ``FoveaError/io(_:)``.
func readFile(_ url: URL) throws(FoveaError) -> Data {
    do {
        return try Data(contentsOf: url)
    } catch {
        throw .io("cannot read \(url.path): \(error.localizedDescription)")
    }
}

/// Writes a whole file atomically, turning Foundation's errors into ``FoveaError/io(_:)``.
func writeFile(_ data: Data, to url: URL) throws(FoveaError) {
    do {
        try data.write(to: url, options: .atomic)
    } catch {
        throw .io("cannot write \(url.path): \(error.localizedDescription)")
    }
}

/// `withUnsafeBytes` for a body with typed throws (the standard library's
/// version rethrows untyped errors).
func withBytes<R>(
    _ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(FoveaError) -> R
) throws(FoveaError) -> R {
    let result: Result<R, FoveaError> = bytes.withUnsafeBytes { raw in
        do throws(FoveaError) { return .success(try body(raw)) } catch { return .failure(error) }
    }
    return try result.get()
}
