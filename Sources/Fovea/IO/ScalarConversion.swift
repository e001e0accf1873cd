// Conversions between float32 and the narrow float formats files use. Written
// out by hand because Swift's Float16 is not available on every platform the
// package builds for.

enum HalfFloat {
    /// IEEE 754 binary16 bits to float.
    static func toFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = Int((h >> 10) & 0x1F)
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0 {
            // Zero or subnormal: mantissa · 2^-24.
            let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign != 0 ? -magnitude : magnitude
        }
        if exponent == 31 {
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
    }

    /// Float to binary16 bits, rounding to nearest even; overflow gives infinity.
    static func fromFloat(_ f: Float) -> UInt16 {
        let bits = f.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        if f.isNaN { return sign | 0x7E00 }
        let magnitude = abs(f)
        if magnitude >= 65520 { return sign | 0x7C00 }  // rounds to infinity
        if magnitude < Float(sign: .plus, exponent: -14, significand: 1) {
            // Subnormal half: round magnitude / 2^-24 to an integer (ties to even).
            let scaled = (magnitude * Float(sign: .plus, exponent: 24, significand: 1)).rounded(.toNearestOrEven)
            return sign | UInt16(scaled)
        }
        let exponent = Int((bits >> 23) & 0xFF) - 127 + 15
        var mantissa = bits & 0x7F_FFFF
        var halfExponent = UInt32(exponent)
        // Round the 23-bit mantissa to 10 bits, ties to even.
        let remainder = mantissa & 0x1FFF
        mantissa >>= 13
        if remainder > 0x1000 || (remainder == 0x1000 && (mantissa & 1) == 1) {
            mantissa += 1
            if mantissa == 0x400 {
                mantissa = 0
                halfExponent += 1
            }
        }
        return sign | UInt16(halfExponent << 10) | UInt16(mantissa)
    }
}

enum BFloat16 {
    static func toFloat(_ b: UInt16) -> Float { Float(bitPattern: UInt32(b) << 16) }

    /// Rounds to nearest even; NaN stays NaN.
    static func fromFloat(_ f: Float) -> UInt16 {
        if f.isNaN { return UInt16(f.bitPattern >> 16) | 0x0040 }
        let bits = f.bitPattern
        let rounding = 0x7FFF + ((bits >> 16) & 1)
        return UInt16((bits &+ rounding) >> 16)
    }
}

/// Little-endian reads from raw bytes (the file formats here are all little-endian).
extension UnsafeRawBufferPointer {
    func littleEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
