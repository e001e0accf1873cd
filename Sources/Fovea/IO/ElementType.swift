/// The element types files may store. Tensors are float32 in memory; other
/// types are converted when read and when written.
public enum ElementType: String, Sendable, CaseIterable {
    case float64, float32, float16, bfloat16
    case int64, int32, int16, int8, uint8, bool

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .float16, .bfloat16, .int16: return 2
        case .int8, .uint8, .bool: return 1
        }
    }

    /// Reads element `index` of little-endian data as a float.
    func load(from bytes: UnsafeRawBufferPointer, index: Int) -> Float {
        let offset = index * size
        switch self {
        case .float64: return Float(Double(bitPattern: bytes.littleEndian(UInt64.self, at: offset)))
        case .float32: return Float(bitPattern: bytes.littleEndian(UInt32.self, at: offset))
        case .float16: return HalfFloat.toFloat(bytes.littleEndian(UInt16.self, at: offset))
        case .bfloat16: return BFloat16.toFloat(bytes.littleEndian(UInt16.self, at: offset))
        case .int64: return Float(bytes.littleEndian(Int64.self, at: offset))
        case .int32: return Float(bytes.littleEndian(Int32.self, at: offset))
        case .int16: return Float(bytes.littleEndian(Int16.self, at: offset))
        case .int8: return Float(Int8(bitPattern: bytes[offset]))
        case .uint8: return Float(bytes[offset])
        case .bool: return bytes[offset] != 0 ? 1 : 0
        }
    }

    /// Appends `value` in this type, little-endian. Integer types round to
    /// nearest and saturate; the caller has checked that values are finite.
    func append(_ value: Float, to bytes: inout [UInt8]) {
        func put<T: FixedWidthInteger>(_ v: T) {
            withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
        }
        func integer<T: FixedWidthInteger>(_: T.Type) -> T {
            let r = value.rounded(.toNearestOrEven)
            if r <= Float(T.min) { return T.min }
            if r >= Float(T.max) { return T.max }
            return T(r)
        }
        switch self {
        case .float64: put(Double(value).bitPattern)
        case .float32: put(value.bitPattern)
        case .float16: put(HalfFloat.fromFloat(value))
        case .bfloat16: put(BFloat16.fromFloat(value))
        case .int64: put(integer(Int64.self))
        case .int32: put(integer(Int32.self))
        case .int16: put(integer(Int16.self))
        case .int8: put(integer(Int8.self))
        case .uint8: put(integer(UInt8.self))
        case .bool: bytes.append(value != 0 ? 1 : 0)
        }
    }

    /// Whether the type can hold non-integer values.
    var isFloatingPoint: Bool { [.float64, .float32, .float16, .bfloat16].contains(self) }
}
