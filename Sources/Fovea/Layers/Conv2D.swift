/// A 2-D convolution layer with its weights packed once for the chosen
/// algorithm (Keras' `Conv2D`).
///
/// Input and output are NHWC; the weight is HWIO,
/// `[kernelHeight, kernelWidth, inChannels / groups, outChannels]`. A layer is
/// immutable and can be called from several threads at once.
///
/// ```swift
/// let conv = try Conv2D(weight: w, bias: b, padding: .same, activation: .relu)
/// let y = try conv(x)          // [n, h, w, outChannels]
/// ```
public struct Conv2D: Sendable {
    let core: ConvolutionCore

    /// Creates the layer and packs its weights.
    ///
    /// - Parameters:
    ///   - weight: HWIO, `[kh, kw, inChannels / groups, outChannels]`.
    ///   - bias: `[outChannels]`, or `nil`.
    ///   - stride, dilation: one value or `[height, width]`.
    ///   - padding: `.valid`, `.same` (TensorFlow's rule) or explicit.
    ///   - groups: channel groups; `groups == inChannels` is depthwise.
    ///   - activation: fused into the output stage.
    ///   - algorithm: `.auto` by default; an explicit algorithm the layer cannot
    ///     use throws ``FoveaError/unsupported(_:)`` here.
    public init(
        weight: Tensor, bias: Tensor? = nil, stride: Spatial = 1, padding: Padding = .valid,
        dilation: Spatial = 1, groups: Int = 1, activation: Activation = .none, algorithm: ConvAlgorithm = .auto
    ) throws(FoveaError) {
        core = try ConvolutionCore(
            spatialRank: 2, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation,
            groups: groups, activation: activation, algorithm: algorithm)
    }

    /// The HWIO weight.
    public var weight: Tensor { core.weight }
    /// The bias, if any.
    public var bias: Tensor? { core.bias }
    /// The algorithm requested at creation.
    public var algorithm: ConvAlgorithm { core.algorithm }

    /// The output shape for an NHWC input shape.
    public func outputShape(for inputShape: [Int]) throws(FoveaError) -> [Int] {
        try core.geometry(for: inputShape).outputShape
    }

    /// The algorithm that runs for inputs of this NHWC shape on this CPU.
    public func algorithm(for inputShape: [Int]) throws(FoveaError) -> ConvAlgorithm {
        let g = try core.geometry(for: inputShape)
        return ConvAlgorithm(try core.resolvedAlgorithm(g.descriptor(activation: core.activation)))
    }

    /// Convolves an NHWC batch.
    public func callAsFunction(_ input: Tensor) throws(FoveaError) -> Tensor {
        try core(input)
    }

    /// Convolves an NHWC batch into `output`, reusing its storage when it
    /// already has the right shape and is not shared (no allocation per call).
    public func callAsFunction(_ input: Tensor, into output: inout Tensor) throws(FoveaError) {
        try core(input, into: &output)
    }
}
