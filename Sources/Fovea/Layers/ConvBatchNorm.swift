/// A 2-D convolution followed by a batch normalisation (or a frozen
/// per-channel affine), folded into one convolution when the layer is made:
/// `conv(x, w', b')` with the normalisation's scale and shift in `w'` and
/// `b'`, so inference pays for one pass. The original weight and statistics
/// stay available as the layer's parameters, so summaries count them as
/// Keras does and saving writes what was loaded.
public struct ConvBatchNorm2D: Layer {
    /// Where a normalisation adds its epsilon.
    public enum Epsilon: Sendable, Hashable {
        /// `(x − mean) / sqrt(variance + ε)`: Keras, PyTorch, Caffe.
        case addedToVariance(Float)
        /// `(x − mean) / (sqrt(variance) + ε)`: darknet.
        case addedToStandardDeviation(Float)
    }

    /// The convolution's own weight (HWIO) and bias, before folding.
    public let weight: Tensor, bias: Tensor?
    /// The normalisation's statistics (`nil` for a frozen affine, `scale·x + offset`).
    public let mean: Tensor?, variance: Tensor?
    /// The normalisation's scale (gamma) and offset (beta), `[outChannels]` each.
    public let scale: Tensor, offset: Tensor
    /// Where the normalisation adds its epsilon, and how much.
    public let epsilon: Epsilon
    var folded: Conv2D

    /// Creates the layer and packs the folded weights.
    ///
    /// The convolution's configuration is as for ``Convolution``; `activation`
    /// follows the normalisation. Without `mean` and `variance` the
    /// normalisation is the affine `scale·x + offset` (dlib's frozen batch norm).
    public init(
        weight: Tensor, bias: Tensor? = nil, mean: Tensor?, variance: Tensor?, scale: Tensor, offset: Tensor,
        epsilon: Epsilon = .addedToVariance(1e-3), stride: Spatial = 1, padding: Padding = .valid,
        dilation: Spatial = 1, groups: Int = 1, activation: Activation = .none, algorithm: ConvAlgorithm = .auto
    ) throws(FoveaError) {
        guard (mean == nil) == (variance == nil) else {
            throw .invalidParameter("a batch norm needs both its mean and its variance, or neither (an affine)")
        }
        let channels = scale.shape.first ?? 0
        let zeros = try Tensor.zeros(shape: scale.shape)
        var effectiveVariance = try Tensor.ones(shape: scale.shape), epsilonValue: Float = 0
        if let variance {
            switch epsilon {
            case .addedToVariance(let value):
                effectiveVariance = variance
                epsilonValue = value
            case .addedToStandardDeviation(let value):
                // sqrt(v') == sqrt(v) + ε, so the ordinary fold applies with ε = 0.
                guard variance.shape == [channels], variance.scalars.allSatisfy({ $0 >= 0 }), value > 0 else {
                    throw .invalidParameter("darknet's batch norm needs [\(channels)] non-negative variances and a positive epsilon")
                }
                let deviations = variance.scalars.map { (Double($0).squareRoot() + Double(value)) }
                effectiveVariance = try Tensor(shape: [channels], scalars: deviations.map { Float($0 * $0) })
            }
        }
        let (w, b) = try foldBatchNorm(
            weight: weight, bias: bias, mean: mean ?? zeros, variance: effectiveVariance, scale: scale, offset: offset,
            epsilon: epsilonValue)
        folded = try Conv2D(
            weight: w, bias: b, stride: stride, padding: padding, dilation: dilation, groups: groups,
            activation: activation, algorithm: algorithm)
        self.weight = weight
        self.bias = bias
        self.epsilon = epsilon
        (self.mean, self.variance, self.scale, self.offset) = (mean, variance, scale, offset)
    }

    /// The output shape for an NHWC input shape.
    public func outputShape(for inputShape: [Int]) throws(FoveaError) -> [Int] {
        try folded.outputShape(for: inputShape)
    }

    /// Runs the folded convolution.
    public func callAsFunction(_ input: Tensor) throws(FoveaError) -> Tensor { try folded(input) }

    /// `weight`, `bias` (when present) and the normalisation's `bn.gamma`,
    /// `bn.beta`, and, unless it is an affine, `bn.moving_mean` and `bn.moving_variance`.
    public var parameters: [String: Tensor] {
        var all = ["weight": weight, "bn.gamma": scale, "bn.beta": offset]
        if let bias { all["bias"] = bias }
        if let mean, let variance {
            all["bn.moving_mean"] = mean
            all["bn.moving_variance"] = variance
        }
        return all
    }
}
