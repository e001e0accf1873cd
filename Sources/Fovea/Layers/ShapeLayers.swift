/// Gives each batch item a new shape (Keras' `Reshape`): `shape` excludes the
/// batch axis and may hold one `-1`, inferred from the element count.
public struct Reshape: Layer {
    /// The shape of one batch item.
    public let shape: [Int]

    /// A reshape to `shape` per batch item.
    public init(_ shape: [Int]) throws(FoveaError) {
        guard shape.filter({ $0 == -1 }).count <= 1, shape.allSatisfy({ $0 == -1 || $0 >= 0 }) else {
            throw .invalidParameter("a reshape target has non-negative extents and at most one -1, got \(describe(shape))")
        }
        self.shape = shape
    }

    /// `[batch] + shape`, with the `-1` resolved.
    public func outputShape(for inputShape: [Int]) throws(FoveaError) -> [Int] {
        guard let batch = inputShape.first else { throw .shapeMismatch("cannot reshape a scalar") }
        let count = try Tensor.elementCount(of: Array(inputShape.dropFirst()))
        let known = try extentProduct(of: shape.filter { $0 != -1 }, for: "reshaping to \(describe(shape))")
        var resolved = shape
        if let hole = shape.firstIndex(of: -1) {
            guard known > 0, count % known == 0 else {
                throw .shapeMismatch("cannot reshape \(describe(inputShape)) to [\(batch)] + \(describe(shape))")
            }
            resolved[hole] = count / known
        }
        guard resolved.reduce(1, *) == count else {
            throw .shapeMismatch("cannot reshape \(describe(inputShape)) to [\(batch)] + \(describe(shape))")
        }
        return [batch] + resolved
    }

    /// Reshapes (no copy).
    public func callAsFunction(_ input: Tensor) throws(FoveaError) -> Tensor {
        try input.reshaped(to: try outputShape(for: input.shape))
    }

    /// None.
    public var parameters: [String: Tensor] { [:] }
}

/// Zero channels appended after the existing ones of a channels-last tensor:
/// how BlazeFace widens a residual shortcut.
public struct ChannelPadding: Layer {
    /// The channels added.
    public let count: Int

    /// Appends `count` zero channels.
    public init(_ count: Int) throws(FoveaError) {
        guard count >= 0 else { throw .invalidParameter("channel padding must be non-negative, got \(count)") }
        self.count = count
    }

    /// The same shape with `count` more channels.
    public func outputShape(for inputShape: [Int]) throws(FoveaError) -> [Int] {
        guard let channels = inputShape.last else { throw .shapeMismatch("cannot pad the channels of a scalar") }
        return inputShape.dropLast() + [try extentSum(channels, count, for: "channel padding")]
    }

    /// Pads.
    public func callAsFunction(_ input: Tensor) throws(FoveaError) -> Tensor {
        _ = try outputShape(for: input.shape)
        guard count > 0 else { return input }
        return try pad(
            input, begin: Array(repeating: 0, count: input.rank),
            end: Array(repeating: 0, count: input.rank - 1) + [count])
    }

    /// None.
    public var parameters: [String: Tensor] { [:] }
}

/// `x · scale + offset` per channel (Keras' `Rescaling`, with per-channel
/// values allowed): a model's own input normalisation.
public struct Rescaling: Layer {
    /// One value, or one per channel.
    public let scale: [Float], offset: [Float]

    /// A rescaling by `scale` and `offset` (one value each, or one per channel).
    public init(scale: [Float], offset: [Float]) throws(FoveaError) {
        guard !scale.isEmpty, !offset.isEmpty, (scale + offset).allSatisfy(\.isFinite) else {
            throw .invalidParameter("rescaling needs finite scales and offsets")
        }
        self.scale = scale
        self.offset = offset
    }

    /// The same shape; its channels must match per-channel values.
    public func outputShape(for inputShape: [Int]) throws(FoveaError) -> [Int] {
        guard let channels = inputShape.last,
              [1, channels].contains(scale.count), [1, channels].contains(offset.count) else {
            throw .shapeMismatch(
                "rescaling has \(scale.count) scales and \(offset.count) offsets, got shape \(describe(inputShape))")
        }
        return inputShape
    }

    /// Rescales.
    public func callAsFunction(_ input: Tensor) throws(FoveaError) -> Tensor {
        _ = try outputShape(for: input.shape)
        let channels = input.shape.last ?? 1
        let output = try Tensor(uninitializedShape: input.shape)
        guard input.count > 0 else { return output }  // the tables below are sized by the channels
        let x = input.readPointer, y = output.writePointer
        // Sixteen values at a time: the per-channel values repeat every
        // lcm(channels, 16) floats, a whole number of vectors (three for RGB),
        // where a loop over the channels of each pixel did three values at a
        // time (dlib's 150x150 input: 37 µs, now 17).
        typealias Vector = SIMD16<Float>
        // The value of a per-channel list (or its single value) at flat index i.
        func at(_ values: [Float], _ i: Int) -> Float { values[values.count == 1 ? 0 : i % channels] }
        let period = Self.leastCommonMultiple(channels, Vector.scalarCount)
        let vectors = period / Vector.scalarCount
        let scales = (0..<vectors).map { v in Vector((0..<Vector.scalarCount).map { at(scale, v * Vector.scalarCount + $0) }) }
        let offsets = (0..<vectors).map { v in Vector((0..<Vector.scalarCount).map { at(offset, v * Vector.scalarCount + $0) }) }
        var index = 0
        while index + period <= input.count {
            for v in 0..<vectors {
                let at = index + v * Vector.scalarCount
                let value = UnsafeRawPointer(x + at).loadUnaligned(as: Vector.self)
                UnsafeMutableRawPointer(y + at).storeBytes(of: value * scales[v] + offsets[v], as: Vector.self)
            }
            index += period
        }
        while index < input.count {
            y[index] = x[index] * at(scale, index) + at(offset, index)
            index += 1
        }
        return output
    }

    private static func leastCommonMultiple(_ a: Int, _ b: Int) -> Int {
        var (p, q) = (a, b)
        while q != 0 { (p, q) = (q, p % q) }
        return a / p * b
    }

    /// None (the values are fixed preprocessing).
    public var parameters: [String: Tensor] { [:] }
}

/// A run of consecutive channels of a channels-last tensor: `count` channels
/// from `start`. Darknet's `[route]` with `groups` uses it (YOLOv4-tiny's
/// cross-stage blocks keep the second half of a layer's channels).
public struct ChannelSlice: Layer {
    /// The first channel kept and how many are kept.
    public let start: Int, count: Int

    /// Keeps channels `start ..< start + count`.
    public init(start: Int, count: Int) throws(FoveaError) {
        guard start >= 0, count >= 1 else {
            throw .invalidParameter("a channel slice starts at 0 or later and keeps at least one channel, got start \(start), count \(count)")
        }
        self.start = start
        self.count = count
    }

    /// The same shape with `count` channels; the input must hold them all.
    public func outputShape(for inputShape: [Int]) throws(FoveaError) -> [Int] {
        guard let channels = inputShape.last, inputShape.count >= 2 else {
            throw .shapeMismatch("a channel slice needs a batch axis and a channel axis, got \(describe(inputShape))")
        }
        guard count <= channels, start <= channels - count else {
            throw .shapeMismatch(
                "a slice of \(count) channels from channel \(start) needs more than the input's, got \(describe(inputShape))")
        }
        return inputShape.dropLast() + [count]
    }

    /// Copies the channels, one contiguous run per pixel.
    public func callAsFunction(_ input: Tensor) throws(FoveaError) -> Tensor {
        try slice(input, to: try outputShape(for: input.shape), axis: input.rank - 1, offset: start)
    }

    /// None.
    public var parameters: [String: Tensor] { [:] }
}
