import Foundation

/// A set of named tensors in the safetensors format.
///
/// The file is an 8-byte little-endian header length, a JSON header naming
/// every tensor's element type, shape and byte range, then the data. Reading
/// checks all of it — sizes, offsets, overlaps, element counts — before any
/// tensor is built, so a malformed file is reported, never half-read.
public struct SafeTensorsFile: Sendable {
    /// The tensors by name, converted to float32.
    public var tensors: [String: Tensor]
    /// The element type each tensor had in the file it was read from, or
    /// will have when written (float32 unless set).
    public var elementTypes: [String: ElementType]
    /// Free-form string metadata (`__metadata__`).
    public var metadata: [String: String]

    private static let maximumHeaderBytes = 100_000_000

    /// A set of tensors to be written, all as float32 unless `elementTypes` says otherwise.
    public init(
        tensors: [String: Tensor], elementTypes: [String: ElementType] = [:],
        metadata: [String: String] = [:]
    ) {
        self.tensors = tensors
        self.elementTypes = elementTypes
        self.metadata = metadata
    }

    /// The tensor called `name`.
    ///
    /// - Throws: ``FoveaError/fileFormat(_:)`` naming the missing tensor.
    public func tensor(named name: String) throws(FoveaError) -> Tensor {
        guard let tensor = tensors[name] else {
            throw .fileFormat("no tensor named '\(name)' (the file has \(tensors.count) tensors)")
        }
        return tensor
    }

    /// Reads a safetensors file.
    public static func read(contentsOf url: URL) throws(FoveaError) -> SafeTensorsFile {
        try decode(try readFile(url), name: url.lastPathComponent)
    }

    /// Writes the tensors to a safetensors file, atomically.
    public func write(to url: URL) throws(FoveaError) {
        try writeFile(try encoded(), to: url)
    }

    private static let typeNames: [String: ElementType] = [
        "F64": .float64, "F32": .float32, "F16": .float16, "BF16": .bfloat16, "I64": .int64,
        "I32": .int32, "I16": .int16, "I8": .int8, "U8": .uint8, "BOOL": .bool,
    ]

    private static func typeName(_ type: ElementType) -> String {
        typeNames.first { $0.value == type }!.key
    }

    /// Decodes the bytes of a safetensors file.
    public static func decode(_ data: Data, name: String = "safetensors data") throws(FoveaError) -> SafeTensorsFile {
        guard data.count >= 8 else {
            throw .fileFormat("\(name) is too short to be a safetensors file (\(data.count) bytes)")
        }
        let headerLength = data.withUnsafeBytes { $0.littleEndian(UInt64.self, at: 0) }
        guard headerLength <= UInt64(maximumHeaderBytes), headerLength <= UInt64(data.count - 8) else {
            throw .fileFormat("\(name): the header claims \(headerLength) bytes but the file has \(data.count - 8) after the length")
        }
        let headerEnd = 8 + Int(headerLength)
        let json: Any
        do {
            // Indexed from startIndex: `data` may be a slice of a larger buffer.
            json = try JSONSerialization.jsonObject(
                with: data.subdata(in: (data.startIndex + 8)..<(data.startIndex + headerEnd)))
        } catch {
            throw .fileFormat("\(name): the header is not valid JSON")
        }
        guard let header = json as? [String: Any] else {
            throw .fileFormat("\(name): the header is not a JSON object")
        }
        let dataLength = data.count - headerEnd
        var metadata = [String: String]()
        var entries = [(name: String, type: ElementType, shape: [Int], begin: Int, end: Int)]()
        for (key, value) in header {
            if key == "__metadata__" {
                guard let pairs = value as? [String: Any] else {
                    throw .fileFormat("\(name): __metadata__ is not an object")
                }
                for (k, v) in pairs {
                    guard let text = v as? String else {
                        throw .fileFormat("\(name): metadata value for '\(k)' is not a string")
                    }
                    metadata[k] = text
                }
                continue
            }
            guard let info = value as? [String: Any] else {
                throw .fileFormat("\(name): entry '\(key)' is not an object")
            }
            guard let dtype = info["dtype"] as? String, let type = typeNames[dtype] else {
                throw .unsupported("\(name): tensor '\(key)' has unsupported dtype \(info["dtype"] ?? "none")")
            }
            guard let shapeValues = info["shape"] as? [Any],
                let shape = integers(shapeValues), shape.allSatisfy({ $0 >= 0 })
            else { throw .fileFormat("\(name): tensor '\(key)' has a malformed shape") }
            guard let offsetValues = info["data_offsets"] as? [Any], let offsets = integers(offsetValues),
                offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataLength
            else {
                throw .fileFormat(
                    "\(name): tensor '\(key)' has data offsets outside the \(dataLength) bytes of data (file truncated?)")
            }
            let count: Int
            do { count = try Tensor.elementCount(of: shape) } catch {
                throw .fileFormat("\(name): tensor '\(key)': \(error.message)")
            }
            let (needed, overflow) = count.multipliedReportingOverflow(by: type.size)
            guard !overflow, offsets[1] - offsets[0] == needed else {
                let size = overflow ? "more than \(Int.max)" : "\(needed)"
                throw .fileFormat(
                    "\(name): tensor '\(key)' of shape \(describe(shape)) and type \(dtype) needs \(size) bytes, its offsets span \(offsets[1] - offsets[0])")
            }
            entries.append((key, type, shape, offsets[0], offsets[1]))
        }
        // The byte ranges must tile the data without gaps or overlaps.
        var position = 0
        for entry in entries.sorted(by: { ($0.begin, $0.end) < ($1.begin, $1.end) }) {
            guard entry.begin == position else {
                throw .fileFormat(
                    entry.begin < position
                        ? "\(name): tensor '\(entry.name)' overlaps another tensor's data"
                        : "\(name): there is a gap in the data before tensor '\(entry.name)'")
            }
            position = entry.end
        }
        guard position == dataLength else {
            throw .fileFormat("\(name): \(dataLength - position) bytes after the last tensor are not described by the header")
        }
        var tensors = [String: Tensor]()
        var types = [String: ElementType]()
        for entry in entries {
            let tensor = try Tensor(uninitializedShape: entry.shape)
            let out = tensor.writePointer
            data.withUnsafeBytes { raw in
                let payload = UnsafeRawBufferPointer(rebasing: raw[(headerEnd + entry.begin)..<(headerEnd + entry.end)])
                if entry.type == .float32 {
                    // The common case: one copy (files are little-endian, as are our targets).
                    UnsafeMutableRawPointer(out).copyMemory(from: payload.baseAddress!, byteCount: payload.count)
                } else {
                    for i in 0..<tensor.count { out[i] = entry.type.load(from: payload, index: i) }
                }
            }
            tensors[entry.name] = tensor
            types[entry.name] = entry.type
        }
        return SafeTensorsFile(tensors: tensors, elementTypes: types, metadata: metadata)
    }

    /// Encodes the tensors, sorted by name, each in its element type.
    ///
    /// - Throws: ``FoveaError/invalidParameter(_:)`` when a tensor holds values
    ///   its integer element type cannot represent (NaN or infinity).
    public func encoded() throws(FoveaError) -> Data {
        var header = [String: Any]()
        var payload = [UInt8]()
        for name in tensors.keys.sorted() {
            let tensor = tensors[name]!
            let type = elementTypes[name] ?? .float32
            if !type.isFloatingPoint, tensor.scalars.contains(where: { !$0.isFinite }) {
                throw .invalidParameter("tensor '\(name)' holds non-finite values and cannot be stored as \(type)")
            }
            let begin = payload.count
            tensor.withUnsafeBufferPointer { values in
                for v in values { type.append(v, to: &payload) }
            }
            header[name] = [
                "dtype": Self.typeName(type), "shape": tensor.shape, "data_offsets": [begin, payload.count],
            ] as [String: Any]
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json: Data
        do {
            json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        } catch {
            throw .invalidParameter("tensor names cannot be encoded as JSON")
        }
        // Pad the header with spaces to a multiple of 8 so the data stays aligned.
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))
        var bytes = [UInt8]()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes.append(contentsOf: $0) }
        return Data(bytes) + json + Data(payload)
    }

    private static func integers(_ values: [Any]) -> [Int]? {
        var result = [Int]()
        for value in values {
            guard let number = value as? NSNumber, let exact = Int(exactly: number.doubleValue),
                Double(exact) == number.doubleValue
            else { return nil }
            result.append(exact)
        }
        return result
    }
}
