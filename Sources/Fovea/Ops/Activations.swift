internal import CKernels

/// Applies an activation to every element.
public func activate(_ input: Tensor, _ activation: Activation) throws(FoveaError) -> Tensor {
    var act = try activation.validated().cValue
    let output = try Tensor(uninitializedShape: input.shape)
    try check(
        fovea_activation_forward(&act, Int64(input.count), input.readPointer, output.writePointer),
        "activation")
    return output
}

/// Applies an activation to every element of a tensor this module just made
/// and has not handed out yet.
func activateInPlace(_ tensor: Tensor, _ activation: Activation) throws(FoveaError) {
    var act = try activation.validated().cValue
    try check(
        fovea_activation_forward(&act, Int64(tensor.count), tensor.writePointer, tensor.writePointer),
        "activation")
}

/// `max(x, 0)` elementwise.
public func relu(_ input: Tensor) throws(FoveaError) -> Tensor { try activate(input, .relu) }

/// `min(max(x, 0), 6)` elementwise.
public func relu6(_ input: Tensor) throws(FoveaError) -> Tensor { try activate(input, .relu6) }

/// `x < 0 ? alpha·x : x` elementwise.
public func leakyRelu(_ input: Tensor, alpha: Float = 0.01) throws(FoveaError) -> Tensor {
    try activate(input, .leakyRelu(alpha: alpha))
}

/// `1 / (1 + exp(−x))` elementwise.
public func sigmoid(_ input: Tensor) throws(FoveaError) -> Tensor { try activate(input, .sigmoid) }

/// The hyperbolic tangent elementwise.
public func tanh(_ input: Tensor) throws(FoveaError) -> Tensor { try activate(input, .tanh) }

/// Parametric ReLU: `x < 0 ? slope·x : x`, with a learned slope per channel.
///
/// - Parameters:
///   - input: channels-last, `[..., channels]`.
///   - slope: `[channels]`, or a single value shared by every channel.
public func prelu(_ input: Tensor, slope: Tensor) throws(FoveaError) -> Tensor {
    guard input.rank >= 1 else { throw .shapeMismatch("PReLU needs at least one axis, got a scalar") }
    let channels = input.shape[input.rank - 1]
    let shared = slope.count == 1
    guard shared || slope.shape == [channels] else {
        throw .shapeMismatch(
            "PReLU slope must have shape [\(channels)] (one per channel) or one element, got \(describe(slope.shape))")
    }
    let width = shared ? 1 : channels
    let output = try Tensor(uninitializedShape: input.shape)
    try check(
        fovea_prelu_forward(
            Int64(width == 0 ? 0 : input.count / width), Int64(width), input.readPointer,
            slope.readPointer, output.writePointer), "PReLU")
    return output
}

/// Softmax along one axis (the last by default; negative values count from the end).
public func softmax(_ input: Tensor, axis: Int = -1) throws(FoveaError) -> Tensor {
    let resolved = try resolveAxis(axis, rank: input.rank)
    let outer = input.shape[..<resolved].reduce(1, *)
    let inner = input.shape[(resolved + 1)...].reduce(1, *)
    let output = try Tensor(uninitializedShape: input.shape)
    try check(
        fovea_softmax_forward(
            Int64(outer), Int64(input.shape[resolved]), Int64(inner), input.readPointer,
            output.writePointer), "softmax")
    return output
}

/// A non-negative axis from one that may count from the end.
func resolveAxis(_ axis: Int, rank: Int) throws(FoveaError) -> Int {
    let resolved = axis < 0 ? axis + rank : axis
    guard resolved >= 0 && resolved < rank else {
        throw .invalidParameter("axis \(axis) is out of range for rank \(rank)")
    }
    return resolved
}
