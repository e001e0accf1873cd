/// A depthwise 2-D convolution layer (Keras' `DepthwiseConv2D`): every input
/// channel is convolved with its own `multiplier` filters.
///
/// Input and output are NHWC; the weight is `[kh, kw, 1, channels · multiplier]`
/// (Keras stores `[kh, kw, channels, multiplier]`, the same values in the same order).
public struct DepthwiseConv2D: Layer {
    let convolution: Conv2D

    /// Creates the layer for `channels` input channels and packs its weights.
    public init(
        weight: Tensor, bias: Tensor? = nil, channels: Int, stride: Spatial = 1, padding: Padding = .valid,
        dilation: Spatial = 1, activation: Activation = .none
    ) throws(FoveaError) {
        guard channels >= 1 else { throw .invalidParameter("a depthwise layer needs at least one channel") }
        guard weight.rank == 4, weight.shape[2] == 1, weight.shape[3] % channels == 0 else {
            throw .shapeMismatch(
                "a depthwise weight is [kh, kw, 1, channels · multiplier] with \(channels) channels, got \(describe(weight.shape))")
        }
        convolution = try Conv2D(
            weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: channels,
            activation: activation, algorithm: channels > 1 ? .depthwise : .auto)
    }

    /// The output shape for an NHWC input shape.
    public func outputShape(for inputShape: [Int]) throws(FoveaError) -> [Int] {
        try convolution.outputShape(for: inputShape)
    }

    /// Convolves an NHWC batch.
    public func callAsFunction(_ input: Tensor) throws(FoveaError) -> Tensor { try convolution(input) }

    /// `weight` and, when present, `bias`.
    public var parameters: [String: Tensor] { convolution.parameters }
}
