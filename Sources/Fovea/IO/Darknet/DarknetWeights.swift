import Foundation

extension Darknet {
    /// Reads darknet's `.weights` format for the network `configuration`
    /// describes: a header (major, minor, revision, images seen), then for each
    /// convolutional layer in order either the batch norm's beta, gamma, mean
    /// and variance or the bias, then the OIHW weights. The tensors are named
    /// as the published safetensors conversion names them
    /// (`layers.<i>.conv.weight`, `layers.<i>.bn.running_mean`, …), in PyTorch's layouts.
    ///
    /// - Throws: ``FoveaError/fileFormat(_:)`` when the file is shorter or
    ///   longer than the configuration requires.
    public static func readWeights(_ data: Data, configuration: DarknetConfiguration) throws(FoveaError) -> ModelWeights {
        let layers = try describeLayers(configuration)
        var reader = LittleEndianReader(data: data)
        let major = try reader.int32(), minor = try reader.int32()
        _ = try reader.int32()  // revision
        if major * 10 + minor >= 2 && major < 1000 && minor < 1000 { _ = try reader.int64() } else { _ = try reader.int32() }
        var tensors = [String: Tensor]()
        for (index, layer) in layers.enumerated() {
            guard case .convolution(let c) = layer.kind else { continue }
            let name = "layers.\(index)"
            let n = c.filters
            if c.batchNormalize {
                tensors["\(name).bn.bias"] = try reader.tensor([n], "\(name).bn.bias")
                tensors["\(name).bn.weight"] = try reader.tensor([n], "\(name).bn.weight")
                tensors["\(name).bn.running_mean"] = try reader.tensor([n], "\(name).bn.running_mean")
                tensors["\(name).bn.running_var"] = try reader.tensor([n], "\(name).bn.running_var")
            } else {
                tensors["\(name).conv.bias"] = try reader.tensor([n], "\(name).conv.bias")
            }
            tensors["\(name).conv.weight"] = try reader.tensor(
                [n, layer.inputChannels / c.groups, c.size, c.size], "\(name).conv.weight")
        }
        guard reader.remaining == 0 else {
            throw .fileFormat(
                "the darknet weights hold \(reader.remaining) bytes more than the configuration's \(tensors.count) tensors need")
        }
        return ModelWeights(tensors: tensors, convention: .pytorch)
    }
}

/// Reads little-endian numbers from a byte buffer, refusing to read past its end.
struct LittleEndianReader {
    let data: Data
    var offset: Int

    init(data: Data) {
        self.data = data
        offset = data.startIndex
    }

    var remaining: Int { data.endIndex - offset }

    private mutating func take(_ count: Int, _ what: String) throws(FoveaError) -> Data {
        guard count >= 0, remaining >= count else {
            throw .fileFormat("the darknet weights end early: \(what) needs \(count) bytes, \(remaining) are left")
        }
        defer { offset += count }
        return data[offset..<offset + count]
    }

    mutating func int32() throws(FoveaError) -> Int {
        let bytes = try take(4, "the header")
        return Int(Int32(littleEndian: bytes.withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }))
    }

    mutating func int64() throws(FoveaError) -> Int {
        let bytes = try take(8, "the header")
        return Int(Int64(littleEndian: bytes.withUnsafeBytes { $0.loadUnaligned(as: Int64.self) }))
    }

    mutating func tensor(_ shape: [Int], _ name: String) throws(FoveaError) -> Tensor {
        let count = try Tensor.elementCount(of: shape)
        // The shape comes from the .cfg, so its byte count may not fit in an Int.
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: 4)
        guard !overflow else {
            throw .fileFormat("the darknet configuration asks for tensor \"\(name)\" of shape \(describe(shape)), too large for any weights file")
        }
        let bytes = try take(byteCount, "tensor \"\(name)\"")
        var tensor = try Tensor.zeros(shape: shape)
        tensor.withUnsafeMutableBufferPointer { destination in
            bytes.withUnsafeBytes { source in
                for i in 0..<count {
                    destination[i] = Float(bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                }
            }
        }
        return tensor
    }
}
