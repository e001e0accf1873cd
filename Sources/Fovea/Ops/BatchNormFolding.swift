/// A convolution's weight and bias with the batch normalisation that follows
/// it folded in: `conv(x, w', b') == batchNorm(conv(x, w, b))`.
///
/// With `s = scale / sqrt(variance + epsilon)` per output channel:
/// `w' = w · s` (over the last, output-channel axis of an HWIO weight) and
/// `b' = (b − mean) · s + offset`. Inference then runs one convolution instead
/// of a convolution and a normalisation pass.
///
/// - Parameters:
///   - weight: `[kernel..., inChannels / groups, outChannels]` (HWIO and its 1-D / 3-D forms).
///   - bias: `[outChannels]`, or `nil` for a convolution without one.
///   - mean, variance, scale, offset: the batch normalisation's `[outChannels]` parameters.
public func foldBatchNorm(
    weight: Tensor, bias: Tensor?, mean: Tensor, variance: Tensor, scale: Tensor, offset: Tensor,
    epsilon: Float = 1e-5
) throws(FoveaError) -> (weight: Tensor, bias: Tensor) {
    guard weight.rank >= 2 else {
        throw .shapeMismatch("a convolution weight has rank 2 or more, got \(describe(weight.shape))")
    }
    let channels = weight.shape[weight.rank - 1]
    try validateBias(bias, channels: channels)
    for (tensor, name) in [(mean, "mean"), (variance, "variance"), (scale, "scale"), (offset, "offset")] {
        try requireShape(tensor, [channels], name)
    }
    guard epsilon.isFinite, epsilon >= 0 else {
        throw .invalidParameter("epsilon must be finite and non-negative, got \(epsilon)")
    }
    let v = variance.scalars, s0 = scale.scalars, m = mean.scalars, o = offset.scalars
    guard v.allSatisfy({ $0 + epsilon > 0 }) else {
        throw .invalidParameter("variance + epsilon must be positive for every channel")
    }
    let factors = (0..<channels).map { Double(s0[$0]) / (Double(v[$0]) + Double(epsilon)).squareRoot() }
    var folded = weight
    // Row by row of `channels` values: a remainder per value cost two thirds
    // of building dlib's network from its file.
    folded.withUnsafeMutableBufferPointer { w in
        factors.withUnsafeBufferPointer { buffer in
            guard var row = w.baseAddress, let factor = buffer.baseAddress, channels > 0 else { return }
            for _ in 0..<(w.count / channels) {
                for c in 0..<channels { row[c] = Float(Double(row[c]) * factor[c]) }
                row += channels
            }
        }
    }
    let b = bias?.scalars ?? [Float](repeating: 0, count: channels)
    let foldedBias = try Tensor(
        shape: [channels],
        scalars: (0..<channels).map { Float((Double(b[$0]) - Double(m[$0])) * factors[$0] + Double(o[$0])) })
    return (folded, foldedBias)
}
