import Foundation

/// The IDX format of MNIST and Fashion-MNIST: a big-endian header (two zero
/// bytes, an element type, the rank, then each extent as a 32-bit integer)
/// followed by the elements. Files ending in `.gz` are decompressed on reading.
public enum IDXFile {
    /// Reads an unsigned-byte IDX file as a float tensor of the same shape (values 0…255).
    public static func read(contentsOf url: URL) throws(FoveaError) -> Tensor {
        var bytes = [UInt8](try readFile(url))
        if url.pathExtension == "gz" { bytes = try Inflate.gunzip(bytes, name: url.lastPathComponent) }
        return try decode(bytes, name: url.lastPathComponent)
    }

    /// Decodes the bytes of an unsigned-byte IDX file.
    public static func decode(_ bytes: [UInt8], name: String = "IDX data") throws(FoveaError) -> Tensor {
        guard bytes.count >= 4, bytes[0] == 0, bytes[1] == 0 else { throw .fileFormat("\(name) is not an IDX file") }
        guard bytes[2] == 0x08 else {
            throw .unsupported("\(name): IDX element type 0x\(String(bytes[2], radix: 16)); only unsigned bytes (0x08) are read")
        }
        let rank = Int(bytes[3])
        guard bytes.count >= 4 + 4 * rank else { throw .fileFormat("\(name): truncated IDX header") }
        let shape = (0..<rank).map { axis in
            (0..<4).reduce(0) { $0 << 8 | Int(bytes[4 + 4 * axis + $1]) }
        }
        let count = try Tensor.elementCount(of: shape)
        let start = 4 + 4 * rank
        guard bytes.count - start == count else {
            throw .fileFormat("\(name): shape \(describe(shape)) needs \(count) bytes, the file holds \(bytes.count - start)")
        }
        return try Tensor(shape: shape, scalars: bytes[start...].map(Float.init))
    }
}
