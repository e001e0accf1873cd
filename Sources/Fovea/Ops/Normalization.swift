internal import CKernels

/// Channels-last input viewed as `[rows, channels]`.
private func channelRows(_ input: Tensor, _ name: String) throws(FoveaError) -> (rows: Int, channels: Int) {
    guard input.rank >= 2 else {
        throw .shapeMismatch("\(name) needs [batch, ..., channels], got \(describe(input.shape))")
    }
    let channels = input.shape[input.rank - 1]
    return (channels == 0 ? 0 : input.count / channels, channels)
}

private func requireEpsilon(_ epsilon: Float) throws(FoveaError) {
    guard epsilon.isFinite, epsilon >= 0 else {
        throw .invalidParameter("epsilon must be finite and non-negative, got \(epsilon)")
    }
}

/// Batch normalisation with fixed statistics (inference):
/// `(x − mean) / sqrt(variance + epsilon) · scale + offset` per channel.
///
/// - Parameters:
///   - input: channels-last, `[batch, ..., channels]`.
///   - mean, variance, scale, offset: `[channels]` each.
public func batchNorm(
    _ input: Tensor, mean: Tensor, variance: Tensor, scale: Tensor, offset: Tensor,
    epsilon: Float = 1e-5
) throws(FoveaError) -> Tensor {
    let (rows, channels) = try channelRows(input, "batch normalisation")
    for (tensor, name) in [(mean, "mean"), (variance, "variance"), (scale, "scale"), (offset, "offset")] {
        try requireShape(tensor, [channels], name)
    }
    try requireEpsilon(epsilon)
    let output = try Tensor(uninitializedShape: input.shape)
    try check(
        fovea_batchnorm_forward_inference(
            Int64(rows), Int64(channels), input.readPointer, mean.readPointer, variance.readPointer,
            scale.readPointer, offset.readPointer, epsilon, output.writePointer),
        "batch normalisation")
    return output
}

/// The mean and the biased variance of every channel over all other axes:
/// the statistics batch normalisation uses in training.
public func batchNormStatistics(_ input: Tensor) throws(FoveaError) -> (mean: Tensor, variance: Tensor) {
    let (rows, channels) = try channelRows(input, "batch statistics")
    guard rows >= 1 else { throw .shapeMismatch("batch statistics of an empty input \(describe(input.shape))") }
    let mean = try Tensor(uninitializedShape: [channels])
    let variance = try Tensor(uninitializedShape: [channels])
    try check(
        fovea_batchnorm_statistics(
            Int64(rows), Int64(channels), input.readPointer, mean.writePointer, variance.writePointer),
        "batch statistics")
    return (mean, variance)
}

/// Instance normalisation: every (item, channel) pair normalised over space
/// with its own mean and biased variance, then scaled and offset per channel.
///
/// - Parameters:
///   - input: `[batch, spatial..., channels]`.
///   - scale, offset: `[channels]`.
public func instanceNorm(
    _ input: Tensor, scale: Tensor, offset: Tensor, epsilon: Float = 1e-5
) throws(FoveaError) -> Tensor {
    guard input.rank >= 3 else {
        throw .shapeMismatch("instance normalisation needs [batch, spatial..., channels], got \(describe(input.shape))")
    }
    let batch = input.shape[0], channels = input.shape[input.rank - 1]
    let spatial = input.shape[1..<(input.rank - 1)].reduce(1, *)
    try requireShape(scale, [channels], "scale")
    try requireShape(offset, [channels], "offset")
    try requireEpsilon(epsilon)
    let output = try Tensor(uninitializedShape: input.shape)
    try check(
        fovea_instancenorm_forward(
            Int64(batch), Int64(spatial), Int64(channels), input.readPointer, scale.readPointer,
            offset.readPointer, epsilon, output.writePointer),
        "instance normalisation")
    return output
}
