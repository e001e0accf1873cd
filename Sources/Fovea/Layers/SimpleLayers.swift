/// A fully connected layer: `activation(x · weight + bias)` over the last axis.
///
/// The weight is `[inFeatures, outFeatures]` (Keras' layout). It is packed
/// once, when the layer is made, for the same microkernels as a 1x1
/// convolution: at batch 1 the layer then streams its weights once per call.
public struct Dense: Layer {
    /// `[inFeatures, outFeatures]`.
    public let weight: Tensor
    /// `[outFeatures]`, or `nil`.
    public let bias: Tensor?
    /// Applied to the output.
    public let activation: Activation
    // A pointwise 1-D convolution over rows of length 1 computes the product.
    let core: ConvolutionCore

    /// Creates the layer and packs its weight; the shapes are checked here.
    public init(weight: Tensor, bias: Tensor? = nil, activation: Activation = .none) throws(FoveaError) {
        try requireRank(weight, 2, "weight", layout: "inFeatures, outFeatures")
        try validateBias(bias, channels: weight.shape[1])
        self.weight = weight
        self.bias = bias
        self.activation = try activation.validated()
        core = try ConvolutionCore(
            spatialRank: 1, weight: try weight.reshaped(to: [1] + weight.shape), bias: bias, stride: 1,
            padding: .valid, dilation: 1, groups: 1, activation: activation, algorithm: .gemm)
    }

    /// `[..., outFeatures]` for `[..., inFeatures]`.
    public func outputShape(for inputShape: [Int]) throws(FoveaError) -> [Int] {
        guard let last = inputShape.last, last == weight.shape[0] else {
            throw .shapeMismatch("dense expects \(weight.shape[0]) input features, got shape \(describe(inputShape))")
        }
        return Array(inputShape.dropLast()) + [weight.shape[1]]
    }

    /// Applies the layer.
    public func callAsFunction(_ input: Tensor) throws(FoveaError) -> Tensor {
        let shape = try outputShape(for: input.shape)
        let rows = input.shape.dropLast().reduce(1, *)
        guard rows > 0 else { return try Tensor(uninitializedShape: shape) }
        let y = try core(try input.reshaped(to: [rows, 1, weight.shape[0]]))
        return try y.reshaped(to: shape)
    }

    /// `weight` and, when present, `bias`.
    public var parameters: [String: Tensor] {
        var all = ["weight": weight]
        if let bias { all["bias"] = bias }
        return all
    }
}

/// 2-D max pooling of NHWC input (Keras' `MaxPooling2D`).
public struct MaxPool2D: Layer {
    let kernel: Spatial, stride: Spatial?, padding: Padding, ceilMode: Bool

    /// Pools `size` windows; the stride defaults to the window size.
    public init(size: Spatial, stride: Spatial? = nil, padding: Padding = .valid, ceilMode: Bool = false) throws(FoveaError) {
        _ = try size.resolved(rank: 2, name: "pool size")
        kernel = size
        self.stride = stride
        self.padding = padding
        self.ceilMode = ceilMode
    }

    /// The pooled NHWC shape.
    public func outputShape(for inputShape: [Int]) throws(FoveaError) -> [Int] {
        try pooledShape(inputShape, kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode)
    }

    /// Pools an NHWC batch.
    public func callAsFunction(_ input: Tensor) throws(FoveaError) -> Tensor {
        try maxPool2d(input, kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode)
    }

    /// None.
    public var parameters: [String: Tensor] { [:] }
}

/// 2-D average pooling of NHWC input (Keras' `AveragePooling2D`).
public struct AvgPool2D: Layer {
    let kernel: Spatial, stride: Spatial?, padding: Padding, countIncludesPadding: Bool, ceilMode: Bool

    /// Averages `size` windows; the stride defaults to the window size.
    public init(
        size: Spatial, stride: Spatial? = nil, padding: Padding = .valid, countIncludesPadding: Bool = false,
        ceilMode: Bool = false
    ) throws(FoveaError) {
        _ = try size.resolved(rank: 2, name: "pool size")
        kernel = size
        self.stride = stride
        self.padding = padding
        self.countIncludesPadding = countIncludesPadding
        self.ceilMode = ceilMode
    }

    /// The pooled NHWC shape.
    public func outputShape(for inputShape: [Int]) throws(FoveaError) -> [Int] {
        try pooledShape(inputShape, kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode)
    }

    /// Pools an NHWC batch.
    public func callAsFunction(_ input: Tensor) throws(FoveaError) -> Tensor {
        try avgPool2d(
            input, kernel: kernel, stride: stride, padding: padding, countIncludesPadding: countIncludesPadding,
            ceilMode: ceilMode)
    }

    /// None.
    public var parameters: [String: Tensor] { [:] }
}

/// The mean of every channel over space: NHWC `[n, h, w, c]` to `[n, c]`.
public struct GlobalAvgPool2D: Layer {
    /// The layer.
    public init() {}

    /// `[n, c]`.
    public func outputShape(for inputShape: [Int]) throws(FoveaError) -> [Int] {
        guard inputShape.count == 4 else { throw .shapeMismatch("expected NHWC, got \(describe(inputShape))") }
        return [inputShape[0], inputShape[3]]
    }

    /// Pools an NHWC batch.
    public func callAsFunction(_ input: Tensor) throws(FoveaError) -> Tensor { try globalAvgPool(input) }

    /// None.
    public var parameters: [String: Tensor] { [:] }
}

/// Collapses every axis after the batch into one, `[n, ...]` to `[n, features]`
/// (NHWC order, as Keras flattens).
public struct Flatten: Layer {
    /// The layer.
    public init() {}

    /// `[n, product of the rest]`.
    public func outputShape(for inputShape: [Int]) throws(FoveaError) -> [Int] {
        guard let batch = inputShape.first else { throw .shapeMismatch("cannot flatten a scalar") }
        return [batch, try Tensor.elementCount(of: Array(inputShape.dropFirst()))]
    }

    /// Reshapes (no copy).
    public func callAsFunction(_ input: Tensor) throws(FoveaError) -> Tensor {
        try input.reshaped(to: try outputShape(for: input.shape))
    }

    /// None.
    public var parameters: [String: Tensor] { [:] }
}

/// An elementwise activation as a layer.
public struct ActivationLayer: Layer {
    /// The activation applied.
    public let activation: Activation

    /// A layer applying `activation`.
    public init(_ activation: Activation) throws(FoveaError) { self.activation = try activation.validated() }

    /// The same shape.
    public func outputShape(for inputShape: [Int]) throws(FoveaError) -> [Int] { inputShape }

    /// Applies the activation.
    public func callAsFunction(_ input: Tensor) throws(FoveaError) -> Tensor { try activate(input, activation) }

    /// None.
    public var parameters: [String: Tensor] { [:] }
}

/// The NHWC shape a 2-D pooling layer produces.
private func pooledShape(
    _ inputShape: [Int], kernel: Spatial, stride: Spatial?, padding: Padding, ceilMode: Bool
) throws(FoveaError) -> [Int] {
    try PoolingGeometry(
        spatialRank: 2, input: inputShape, kernel: kernel, stride: stride, padding: padding, dilation: 1,
        ceilMode: ceilMode
    ).outputShape
}

/// Parametric ReLU (`x < 0 ? slope·x : x`) with learned slopes: one per
/// channel (the last axis), one shared by all, or, as Keras has them by
/// default, one per value of the non-batch axes.
public struct PReLU: Layer {
    /// `[channels]`, one element shared by every channel, or any shape that
    /// broadcasts to the input's without enlarging it (`[height, width,
    /// channels]`, `[1, 1, channels]`, ...).
    public let slope: Tensor

    /// A PReLU with the given slopes.
    public init(slope: Tensor) throws(FoveaError) {
        guard slope.count >= 1 else {
            throw .shapeMismatch("PReLU needs at least one slope, got shape \(describe(slope.shape))")
        }
        self.slope = slope
    }

    /// The same shape, which the slopes must broadcast to.
    public func outputShape(for inputShape: [Int]) throws(FoveaError) -> [Int] {
        _ = try PReLURow(slope: slope.shape, input: inputShape)
        return inputShape
    }

    /// Applies the activation.
    public func callAsFunction(_ input: Tensor) throws(FoveaError) -> Tensor {
        try prelu(input, slope: slope.count == 1 ? slope.reshaped(to: [1]) : slope)
    }

    /// `weight`: the slopes (PyTorch's name).
    public var parameters: [String: Tensor] { ["weight": slope] }
}

/// Reorders the axes after the batch axis (Keras' `Permute`): `dims` lists
/// them 1-based, so `Permute([2, 1, 3])` turns NHWC into NWHC.
public struct Permute: Layer {
    /// The new order of the non-batch axes, 1-based.
    public let dims: [Int]

    /// A permutation of `1...dims.count`.
    public init(_ dims: [Int]) throws(FoveaError) {
        guard dims.sorted() == Array(1...max(dims.count, 1)), !dims.isEmpty else {
            throw .invalidParameter("Permute needs a permutation of 1...\(dims.count), got \(dims)")
        }
        self.dims = dims
    }

    /// The permuted shape.
    public func outputShape(for inputShape: [Int]) throws(FoveaError) -> [Int] {
        guard inputShape.count == dims.count + 1 else {
            throw .shapeMismatch("Permute of \(dims.count) axes expects rank \(dims.count + 1), got \(describe(inputShape))")
        }
        return [inputShape[0]] + dims.map { inputShape[$0] }
    }

    /// Copies the input into the new order.
    public func callAsFunction(_ input: Tensor) throws(FoveaError) -> Tensor {
        _ = try outputShape(for: input.shape)
        return try input.transposed([0] + dims)
    }

    /// None.
    public var parameters: [String: Tensor] { [:] }
}
