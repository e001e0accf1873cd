/// A 2-D convolution followed by a batch normalisation, folded into one
/// convolution when the layer is made (`conv(x, w', b')` with the
/// normalisation's scale and shift in `w'` and `b'`), so inference pays for
/// one pass. The original weight and statistics stay available as the
/// layer's parameters, so summaries count them as Keras does and saving
/// writes what was loaded.
public struct ConvBatchNorm2D: Layer {
    /// The convolution's own weight (HWIO) and bias, before folding.
    public let weight: Tensor, bias: Tensor?
    /// The normalisation: `[outChannels]` each.
    public let mean: Tensor, variance: Tensor, scale: Tensor, offset: Tensor
    let folded: Conv2D

    /// Creates the layer and packs the folded weights.
    ///
    /// The convolution's configuration is as for ``Convolution``; `activation`
    /// follows the normalisation.
    public init(
        weight: Tensor, bias: Tensor? = nil, mean: Tensor, variance: Tensor, scale: Tensor, offset: Tensor,
        epsilon: Float = 1e-3, stride: Spatial = 1, padding: Padding = .valid, dilation: Spatial = 1,
        groups: Int = 1, activation: Activation = .none, algorithm: ConvAlgorithm = .auto
    ) throws(FoveaError) {
        let (w, b) = try foldBatchNorm(
            weight: weight, bias: bias, mean: mean, variance: variance, scale: scale, offset: offset,
            epsilon: epsilon)
        folded = try Conv2D(
            weight: w, bias: b, stride: stride, padding: padding, dilation: dilation, groups: groups,
            activation: activation, algorithm: algorithm)
        self.weight = weight
        self.bias = bias
        (self.mean, self.variance, self.scale, self.offset) = (mean, variance, scale, offset)
    }

    /// The output shape for an NHWC input shape.
    public func outputShape(for inputShape: [Int]) throws(FoveaError) -> [Int] {
        try folded.outputShape(for: inputShape)
    }

    /// Runs the folded convolution.
    public func callAsFunction(_ input: Tensor) throws(FoveaError) -> Tensor { try folded(input) }

    /// `weight`, `bias` (when present) and the normalisation's `bn.gamma`,
    /// `bn.beta`, `bn.moving_mean` and `bn.moving_variance`.
    public var parameters: [String: Tensor] {
        var all = [
            "weight": weight, "bn.gamma": scale, "bn.beta": offset, "bn.moving_mean": mean,
            "bn.moving_variance": variance,
        ]
        if let bias { all["bias"] = bias }
        return all
    }
}
