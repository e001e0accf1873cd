internal import CKernels

/// The normalisation of a Gram matrix.
public enum GramNormalization: Sendable, Hashable {
    /// `F·Fᵀ` as is (Gatys et al., eq. 3).
    case none
    /// Divided by `channels · height · width`.
    case byElementCount
    /// Divided by `height · width`.
    case bySpatialSize
    /// Multiplied by a given factor.
    case scaled(by: Float)

    func factor(channels: Int, spatial: Int) -> Float {
        switch self {
        case .none: return 1
        case .byElementCount: return 1 / Float(channels * spatial)
        case .bySpatialSize: return 1 / Float(spatial)
        case .scaled(let s): return s
        }
    }
}

private func gramDimensions(_ input: Tensor) throws(FoveaError) -> (batch: Int, spatial: Int, channels: Int) {
    guard input.rank >= 3 else {
        throw .shapeMismatch("a Gram matrix needs [batch, spatial..., channels], got \(describe(input.shape))")
    }
    let spatial = input.shape[1..<(input.rank - 1)].reduce(1, *)
    guard spatial >= 1 else { throw .shapeMismatch("a Gram matrix of an empty input \(describe(input.shape))") }
    return (input.shape[0], spatial, input.shape[input.rank - 1])
}

/// The Gram matrix of channel activations, the style representation of neural
/// style transfer: with `F` the `channels × (height·width)` matrix of one item,
/// `G = scale · F·Fᵀ`.
///
/// - Parameter input: NHWC (or any `[batch, spatial..., channels]`).
/// - Returns: `[batch, channels, channels]`.
public func gramMatrix(
    _ input: Tensor, normalization: GramNormalization = .none
) throws(FoveaError) -> Tensor {
    let (batch, spatial, channels) = try gramDimensions(input)
    let scale = normalization.factor(channels: channels, spatial: spatial)
    guard scale.isFinite else { throw .invalidParameter("Gram scale must be finite, got \(scale)") }
    let output = try Tensor(uninitializedShape: [batch, channels, channels])
    var bytes = 0
    try check(fovea_gram_forward_workspace_size(Int64(spatial), Int64(channels), &bytes), "Gram matrix")
    let workspace = try Workspace(bytes: bytes)
    try check(
        fovea_gram_forward(
            Int64(batch), Int64(spatial), Int64(channels), scale, input.readPointer, output.writePointer,
            workspace.pointer, bytes),
        "Gram matrix")
    return output
}

/// The gradient of ``gramMatrix(_:normalization:)`` with respect to its input:
/// `scale · (dG + dGᵀ) · F`, laid out like the input.
public func gramMatrixBackward(
    input: Tensor, outputGradient: Tensor, normalization: GramNormalization = .none
) throws(FoveaError) -> Tensor {
    let (batch, spatial, channels) = try gramDimensions(input)
    try requireShape(outputGradient, [batch, channels, channels], "output gradient")
    let scale = normalization.factor(channels: channels, spatial: spatial)
    let output = try Tensor(uninitializedShape: input.shape)
    try check(
        fovea_gram_backward(
            Int64(batch), Int64(spatial), Int64(channels), scale, input.readPointer,
            outputGradient.readPointer, output.writePointer),
        "Gram matrix backward")
    return output
}

/// The style cost of one layer (Gatys et al., eq. 4) and its gradient.
///
/// With `N` channels, `M = height·width` and the unnormalised Gram matrix `G`
/// of `input`: `E = weight · Σ (G − target)² / (4·N²·M²)`.
///
/// - Parameters:
///   - input: `[1, height, width, channels]` activations of the generated image.
///   - target: `[1, channels, channels]`, the unnormalised Gram matrix of the style image.
/// - Returns: the cost and `∂E/∂input`, shaped like `input`.
public func styleLoss(
    _ input: Tensor, target: Tensor, weight: Float = 1
) throws(FoveaError) -> (loss: Float, gradient: Tensor) {
    let (batch, spatial, channels) = try gramDimensions(input)
    guard batch == 1 else { throw .shapeMismatch("style loss takes one image, got a batch of \(batch)") }
    try requireShape(target, [1, channels, channels], "target Gram matrix")
    let gram = try gramMatrix(input)
    let difference = try subtract(gram, target)
    let n = Double(channels), m = Double(spatial)
    let sumOfSquares = difference.scalars.reduce(0.0) { $0 + Double($1) * Double($1) }
    let loss = Double(weight) * sumOfSquares / (4 * n * n * m * m)
    // dE/dG = weight·(G − A)/(2N²M²); the Gram backward adds its transpose.
    let gradientScale = Float(Double(weight) / (2 * n * n * m * m))
    let gramGradient = try multiply(difference, Tensor(scalar: gradientScale))
    let gradient = try gramMatrixBackward(input: input, outputGradient: gramGradient)
    return (Float(loss), gradient)
}
