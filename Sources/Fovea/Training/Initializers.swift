/// How a layer's weights start before training.
public enum Initializer: Sendable, Hashable {
    /// He et al. (2015), for ReLU networks: normal with variance `2 / fanIn`.
    case heNormal
    /// He et al.: uniform in `±sqrt(6 / fanIn)`.
    case heUniform
    /// Glorot and Bengio (2010): normal with variance `2 / (fanIn + fanOut)`.
    case glorotNormal
    /// Glorot and Bengio (Keras' default): uniform in `±sqrt(6 / (fanIn + fanOut))`.
    case glorotUniform
    /// Every value zero (biases).
    case zeros

    /// A weight of `shape`, reproducible from `seed`. Fans follow Keras: for a
    /// convolution weight `[kernel..., in, out]` fanIn = kernel volume × in and
    /// fanOut = kernel volume × out; for a dense weight `[in, out]`, in and out.
    public func tensor(shape: [Int], seed: UInt64) throws(FoveaError) -> Tensor {
        guard self != .zeros else { return try Tensor.zeros(shape: shape) }
        _ = try Tensor.elementCount(of: shape)  // bounds the fan products below
        guard shape.count >= 2 else {
            throw .invalidParameter("\(self) needs a weight of rank 2 or more, got \(describe(shape))")
        }
        let receptive = shape.dropLast(2).reduce(1, *)
        let fanIn = Float(max(1, receptive * shape[shape.count - 2]))
        let fanOut = Float(max(1, receptive * shape[shape.count - 1]))
        switch self {
        case .heNormal:
            return try Tensor.randomNormal(shape: shape, standardDeviation: (2 / fanIn).squareRoot(), seed: seed)
        case .heUniform:
            let limit = (6 / fanIn).squareRoot()
            return try Tensor.randomUniform(shape: shape, in: -limit...limit, seed: seed)
        case .glorotNormal:
            return try Tensor.randomNormal(shape: shape, standardDeviation: (2 / (fanIn + fanOut)).squareRoot(), seed: seed)
        case .glorotUniform:
            let limit = (6 / (fanIn + fanOut)).squareRoot()
            return try Tensor.randomUniform(shape: shape, in: -limit...limit, seed: seed)
        case .zeros:
            return try Tensor.zeros(shape: shape)
        }
    }
}
