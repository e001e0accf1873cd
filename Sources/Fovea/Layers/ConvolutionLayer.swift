/// The number of spatial axes of a convolution layer (see ``Convolution``).
public protocol SpatialRank: Sendable {
    /// 1, 2 or 3.
    static var axes: Int { get }
}

/// Signals: `[batch, length, channels]`.
public enum OneDimensional: SpatialRank {
    /// 1.
    public static var axes: Int { 1 }
}

/// Images: NHWC, `[batch, height, width, channels]`.
public enum TwoDimensional: SpatialRank {
    /// 2.
    public static var axes: Int { 2 }
}

/// Volumes: `[batch, depth, height, width, channels]`.
public enum ThreeDimensional: SpatialRank {
    /// 3.
    public static var axes: Int { 3 }
}

/// A 1-D convolution layer over `[batch, length, channels]`; weight `[kernel, in / groups, out]`.
public typealias Conv1D = Convolution<OneDimensional>
/// A 2-D convolution layer (Keras' `Conv2D`) over NHWC; weight HWIO `[kh, kw, in / groups, out]`.
public typealias Conv2D = Convolution<TwoDimensional>
/// A 3-D convolution layer over `[batch, depth, height, width, channels]`; weight `[kd, kh, kw, in / groups, out]`.
public typealias Conv3D = Convolution<ThreeDimensional>

/// A convolution layer with its weights packed once for the chosen algorithm.
///
/// Activations are channels-last (NHWC for 2-D); the weight is spatial-first,
/// then input channels per group, then output channels (HWIO for 2-D). A
/// layer is immutable and can be called from several threads at once.
///
/// ```swift
/// let conv = try Conv2D(weight: w, bias: b, padding: .same, activation: .relu)
/// let y = try conv(x)          // [n, h, w, outChannels]
/// ```
public struct Convolution<Rank: SpatialRank>: Layer {
    let core: ConvolutionCore

    /// Creates the layer and packs its weights.
    ///
    /// - Parameters:
    ///   - weight: `[kernel..., inChannels / groups, outChannels]` (HWIO in 2-D).
    ///   - bias: `[outChannels]`, or `nil`.
    ///   - stride, dilation: one value or one per spatial axis.
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
            spatialRank: Rank.axes, weight: weight, bias: bias, stride: stride, padding: padding,
            dilation: dilation, groups: groups, activation: activation, algorithm: algorithm)
    }

    init(core: ConvolutionCore) { self.core = core }

    /// The weight.
    public var weight: Tensor { core.weight }
    /// The bias, if any.
    public var bias: Tensor? { core.bias }
    /// The algorithm requested at creation.
    public var algorithm: ConvAlgorithm { core.algorithm }

    /// The output shape for a channels-last input shape.
    public func outputShape(for inputShape: [Int]) throws(FoveaError) -> [Int] {
        try core.geometry(for: inputShape).outputShape
    }

    /// The algorithm that runs for inputs of this shape on this CPU: the one
    /// the layer chose when it first ran at the shape, or the one it would
    /// choose now.
    public func algorithm(for inputShape: [Int]) throws(FoveaError) -> ConvAlgorithm {
        try core.algorithm(for: inputShape)
    }

    /// Convolves a channels-last batch.
    public func callAsFunction(_ input: Tensor) throws(FoveaError) -> Tensor {
        try core(input)
    }

    /// Convolves a channels-last batch into `output`, reusing its storage when
    /// it already has the right shape and is not shared (no allocation per call).
    /// Errors in the arguments leave `output` as it was; only a failure inside
    /// the kernel itself (out of memory) can leave reused storage part-written.
    public func callAsFunction(_ input: Tensor, into output: inout Tensor) throws(FoveaError) {
        try core(input, into: &output)
    }

    /// `weight` and, when present, `bias`.
    public var parameters: [String: Tensor] { core.parameters }
}
