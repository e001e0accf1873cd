/// A 1-D convolution layer over signals, `[batch, length, channels]`
/// (channels-last), with its weights packed once.
///
/// The weight is `[kernel, inChannels / groups, outChannels]`.
public struct Conv1D: Layer {
    let core: ConvolutionCore

    /// Creates the layer and packs its weights (see ``Conv2D`` for the parameters).
    public init(
        weight: Tensor, bias: Tensor? = nil, stride: Spatial = 1, padding: Padding = .valid,
        dilation: Spatial = 1, groups: Int = 1, activation: Activation = .none, algorithm: ConvAlgorithm = .auto
    ) throws(FoveaError) {
        core = try ConvolutionCore(
            spatialRank: 1, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation,
            groups: groups, activation: activation, algorithm: algorithm)
    }

    /// The output shape for a `[batch, length, channels]` input shape.
    public func outputShape(for inputShape: [Int]) throws(FoveaError) -> [Int] {
        try core.geometry(for: inputShape).outputShape
    }

    /// Convolves a batch of signals.
    public func callAsFunction(_ input: Tensor) throws(FoveaError) -> Tensor { try core(input) }

    /// `weight` and, when present, `bias`.
    public var parameters: [String: Tensor] { core.parameters }
}

/// A 3-D convolution layer over volumes, `[batch, depth, height, width, channels]`
/// (channels-last), with its weights packed once.
///
/// The weight is `[kd, kh, kw, inChannels / groups, outChannels]`.
public struct Conv3D: Layer {
    let core: ConvolutionCore

    /// Creates the layer and packs its weights (see ``Conv2D`` for the parameters).
    public init(
        weight: Tensor, bias: Tensor? = nil, stride: Spatial = 1, padding: Padding = .valid,
        dilation: Spatial = 1, groups: Int = 1, activation: Activation = .none, algorithm: ConvAlgorithm = .auto
    ) throws(FoveaError) {
        core = try ConvolutionCore(
            spatialRank: 3, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation,
            groups: groups, activation: activation, algorithm: algorithm)
    }

    /// The output shape for a `[batch, depth, height, width, channels]` input shape.
    public func outputShape(for inputShape: [Int]) throws(FoveaError) -> [Int] {
        try core.geometry(for: inputShape).outputShape
    }

    /// Convolves a batch of volumes.
    public func callAsFunction(_ input: Tensor) throws(FoveaError) -> Tensor { try core(input) }

    /// `weight` and, when present, `bias`.
    public var parameters: [String: Tensor] { core.parameters }
}

/// A depthwise 2-D convolution layer (Keras' `DepthwiseConv2D`): every input
/// channel is convolved with its own `multiplier` filters.
///
/// Input and output are NHWC; the weight is `[kh, kw, 1, channels · multiplier]`
/// (Keras stores `[kh, kw, channels, multiplier]`, the same values in the same order).
public struct DepthwiseConv2D: Layer {
    let core: ConvolutionCore

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
        core = try ConvolutionCore(
            spatialRank: 2, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation,
            groups: channels, activation: activation, algorithm: channels > 1 ? .depthwise : .auto)
    }

    /// The output shape for an NHWC input shape.
    public func outputShape(for inputShape: [Int]) throws(FoveaError) -> [Int] {
        try core.geometry(for: inputShape).outputShape
    }

    /// Convolves an NHWC batch.
    public func callAsFunction(_ input: Tensor) throws(FoveaError) -> Tensor { try core(input) }

    /// `weight` and, when present, `bias`.
    public var parameters: [String: Tensor] { core.parameters }
}
