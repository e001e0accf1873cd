/// Batch normalisation with fixed statistics (inference), over the last axis.
public struct BatchNorm: Layer {
    /// `[channels]` each.
    public let mean: Tensor, variance: Tensor, scale: Tensor, offset: Tensor
    /// Added to the variance.
    public let epsilon: Float
    /// How much of the running statistics a training batch keeps (Keras' momentum).
    public let momentum: Float

    /// Creates the layer; the four tensors must share one `[channels]` shape.
    public init(
        mean: Tensor, variance: Tensor, scale: Tensor, offset: Tensor, epsilon: Float = 1e-3, momentum: Float = 0.99
    ) throws(FoveaError) {
        guard momentum >= 0, momentum <= 1 else { throw .invalidParameter("momentum must be in [0, 1], got \(momentum)") }
        self.momentum = momentum
        try requireRank(mean, 1, "mean", layout: "channels")
        for (tensor, name) in [(variance, "variance"), (scale, "scale"), (offset, "offset")] {
            try requireShape(tensor, mean.shape, name)
        }
        guard epsilon.isFinite, epsilon >= 0 else { throw .invalidParameter("epsilon must be finite and non-negative, got \(epsilon)") }
        self.mean = mean
        self.variance = variance
        self.scale = scale
        self.offset = offset
        self.epsilon = epsilon
    }

    /// The same shape; its last axis must be the channel count.
    public func outputShape(for inputShape: [Int]) throws(FoveaError) -> [Int] {
        guard inputShape.last == mean.shape[0] else {
            throw .shapeMismatch("batch norm over \(mean.shape[0]) channels, got shape \(describe(inputShape))")
        }
        return inputShape
    }

    /// Normalises.
    public func callAsFunction(_ input: Tensor) throws(FoveaError) -> Tensor {
        try batchNorm(input, mean: mean, variance: variance, scale: scale, offset: offset, epsilon: epsilon)
    }

    /// The four statistics and affine parameters (Keras counts all four).
    public var parameters: [String: Tensor] {
        ["moving_mean": mean, "moving_variance": variance, "gamma": scale, "beta": offset]
    }
}

/// Zeros around the height and width of an NHWC batch (Keras' `ZeroPadding2D`).
public struct ZeroPadding2D: Layer {
    let top: Int, left: Int, bottom: Int, right: Int

    /// Pads by the given amounts (non-negative).
    public init(top: Int, left: Int, bottom: Int, right: Int) throws(FoveaError) {
        guard [top, left, bottom, right].allSatisfy({ (0...Spatial.maximum).contains($0) }) else {
            throw .invalidParameter("padding lies in 0...\(Spatial.maximum), got \(top), \(left), \(bottom), \(right)")
        }
        (self.top, self.left, self.bottom, self.right) = (top, left, bottom, right)
    }

    /// The same padding on every side.
    public init(_ amount: Int) throws(FoveaError) { try self.init(top: amount, left: amount, bottom: amount, right: amount) }

    /// The padded NHWC shape.
    public func outputShape(for inputShape: [Int]) throws(FoveaError) -> [Int] {
        guard inputShape.count == 4 else { throw .shapeMismatch("expected NHWC, got \(describe(inputShape))") }
        return [
            inputShape[0], try extentSum(inputShape[1], top, bottom, for: "zero padding's height"),
            try extentSum(inputShape[2], left, right, for: "zero padding's width"), inputShape[3],
        ]
    }

    /// Pads.
    public func callAsFunction(_ input: Tensor) throws(FoveaError) -> Tensor {
        _ = try outputShape(for: input.shape)
        return try pad(input, begin: [0, top, left, 0], end: [0, bottom, right, 0])
    }

    /// None.
    public var parameters: [String: Tensor] { [:] }
}

/// Integer upsampling of an NHWC batch (Keras' `UpSampling2D`).
public struct Upsample2D: Layer {
    let factor: Int, method: ResizeMethod

    /// Repeats (nearest) or interpolates (bilinear) by `factor`.
    public init(factor: Int, method: ResizeMethod = .nearest(.floor)) throws(FoveaError) {
        guard factor >= 1 else { throw .invalidParameter("upsampling factor must be at least 1, got \(factor)") }
        self.factor = factor
        self.method = method
    }

    /// `[n, h·factor, w·factor, c]`.
    public func outputShape(for inputShape: [Int]) throws(FoveaError) -> [Int] {
        guard inputShape.count == 4 else { throw .shapeMismatch("expected NHWC, got \(describe(inputShape))") }
        return [
            inputShape[0], try extentProduct(inputShape[1], factor, for: "upsampling's height"),
            try extentProduct(inputShape[2], factor, for: "upsampling's width"), inputShape[3],
        ]
    }

    /// Upsamples.
    public func callAsFunction(_ input: Tensor) throws(FoveaError) -> Tensor {
        try upsample2d(input, factor: factor, method: method)
    }

    /// None.
    public var parameters: [String: Tensor] { [:] }
}

/// Dropout: the identity at inference (this library's layers run inference;
/// training drops units in the training loop).
public struct Dropout: Layer {
    /// The fraction of units dropped in training.
    public let rate: Float

    /// A dropout layer with `rate` in [0, 1).
    public init(rate: Float) throws(FoveaError) {
        guard rate >= 0, rate < 1 else { throw .invalidParameter("dropout rate must be in [0, 1), got \(rate)") }
        self.rate = rate
    }

    /// The same shape.
    public func outputShape(for inputShape: [Int]) throws(FoveaError) -> [Int] { inputShape }

    /// Returns the input unchanged.
    public func callAsFunction(_ input: Tensor) throws(FoveaError) -> Tensor { input }

    /// None.
    public var parameters: [String: Tensor] { [:] }
}

/// Softmax along the last axis as a layer.
public struct Softmax: Layer {
    /// The layer.
    public init() {}

    /// The same shape.
    public func outputShape(for inputShape: [Int]) throws(FoveaError) -> [Int] { inputShape }

    /// Applies softmax along the last axis.
    public func callAsFunction(_ input: Tensor) throws(FoveaError) -> Tensor { try softmax(input) }

    /// None.
    public var parameters: [String: Tensor] { [:] }
}
