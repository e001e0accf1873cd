internal import CKernels

/// What a layer's backward pass returns: the gradient with respect to its
/// input and to each of its parameters (named as ``Layer/parameters`` names them).
public struct LayerGradients: Sendable {
    /// ∂L/∂input, shaped like the input.
    public var input: Tensor
    /// ∂L/∂parameter, by parameter name.
    public var parameters: [String: Tensor]

    /// Gradients of a layer.
    public init(input: Tensor, parameters: [String: Tensor] = [:]) {
        self.input = input
        self.parameters = parameters
    }
}

/// A layer that can be trained: its backward pass, and a copy of it with new
/// parameter values (layers are immutable; an optimizer step makes new ones).
public protocol TrainableLayer: Layer {
    /// The gradients given the forward pass's input and output and ∂L/∂output.
    func backward(input: Tensor, output: Tensor, outputGradient: Tensor) throws(FoveaError) -> LayerGradients

    /// The same layer with the given parameters replaced (names as in ``Layer/parameters``).
    func replacingParameters(_ parameters: [String: Tensor]) throws(FoveaError) -> Self

    /// Only the parameters' gradients: what a network's first layer needs,
    /// whose input gradient nobody reads.
    func parameterGradients(input: Tensor, output: Tensor, outputGradient: Tensor) throws(FoveaError) -> [String: Tensor]

    /// The forward pass in training mode (dropout drops units, batch norm
    /// uses the batch's statistics); `seed` draws any randomness.
    func trainingForward(_ input: Tensor, seed: UInt64) throws(FoveaError) -> Tensor

    /// The backward pass of ``trainingForward(_:seed:)``, given the same seed.
    func trainingBackward(input: Tensor, output: Tensor, outputGradient: Tensor, seed: UInt64) throws(FoveaError) -> LayerGradients

    /// Parameters that are not learned by gradient but follow the data
    /// (batch norm's running statistics): their values after a training batch.
    func updatedStatistics(afterTrainingOn input: Tensor) throws(FoveaError) -> [String: Tensor]

    /// Whether training mode changes nothing (true but for dropout and batch norm).
    var behavesAlikeInTraining: Bool { get }
}

extension TrainableLayer {
    /// The inference pass: layers that behave alike in training.
    public func trainingForward(_ input: Tensor, seed: UInt64) throws(FoveaError) -> Tensor { try self(input) }

    /// ``backward(input:output:outputGradient:)``.
    public func trainingBackward(
        input: Tensor, output: Tensor, outputGradient: Tensor, seed: UInt64
    ) throws(FoveaError) -> LayerGradients {
        try backward(input: input, output: output, outputGradient: outputGradient)
    }

    /// None.
    public func updatedStatistics(afterTrainingOn input: Tensor) throws(FoveaError) -> [String: Tensor] { [:] }

    /// True: most layers compute the same in training and inference.
    public var behavesAlikeInTraining: Bool { true }

    /// The parameter part of ``backward(input:output:outputGradient:)``.
    public func parameterGradients(input: Tensor, output: Tensor, outputGradient: Tensor) throws(FoveaError) -> [String: Tensor] {
        try backward(input: input, output: output, outputGradient: outputGradient).parameters
    }

    /// Layers without parameters are themselves after any update.
    public func replacingParameters(_ parameters: [String: Tensor]) throws(FoveaError) -> Self { self }
}

extension Layer {
    /// Checks that `output` and `outputGradient` have the shape this layer
    /// makes from `input`: the backward kernels read them by the input's
    /// geometry, so a smaller tensor would be read past its end.
    func requireBackwardShapes(input: Tensor, output: Tensor, outputGradient: Tensor) throws(FoveaError) {
        let expected = try outputShape(for: input.shape)
        try requireShape(output, expected, "output")
        try requireShape(outputGradient, expected, "output gradient")
    }
}

/// ∂L/∂(pre-activation) from ∂L/∂output and the output itself: every fused
/// activation's derivative can be written in terms of its output.
func activationBackward(_ activation: Activation, output: Tensor, outputGradient: Tensor) throws(FoveaError) -> Tensor {
    if activation == .none { return outputGradient }
    try requireShape(outputGradient, output.shape, "output gradient")
    let result = try Tensor(uninitializedShape: output.shape)
    let y = output.readPointer, g = outputGradient.readPointer, d = result.writePointer
    let count = output.count
    switch activation {
    case .none: break
    case .relu: for i in 0..<count { d[i] = y[i] > 0 ? g[i] : 0 }
    case .relu6: for i in 0..<count { d[i] = y[i] > 0 && y[i] < 6 ? g[i] : 0 }
    case .leakyRelu(let alpha): for i in 0..<count { d[i] = y[i] > 0 ? g[i] : alpha * g[i] }
    case .clamp(let low, let high): for i in 0..<count { d[i] = y[i] > low && y[i] < high ? g[i] : 0 }
    case .sigmoid: for i in 0..<count { d[i] = g[i] * y[i] * (1 - y[i]) }
    case .tanh: for i in 0..<count { d[i] = g[i] * (1 - y[i] * y[i]) }
    }
    return result
}

extension Convolution: TrainableLayer {
    /// Weight, bias and input gradients through the fused activation.
    public func backward(input: Tensor, output: Tensor, outputGradient: Tensor) throws(FoveaError) -> LayerGradients {
        try requireBackwardShapes(input: input, output: output, outputGradient: outputGradient)
        let pre = try activationBackward(core.activation, output: output, outputGradient: outputGradient)
        let g = try convolutionBackward(
            spatialRank: Rank.axes, input: input, weight: core.weight, outputGradient: pre, stride: core.stride,
            padding: core.padding, dilation: core.dilation, groups: core.groups)
        var parameters = ["weight": g.weight]
        if core.bias != nil { parameters["bias"] = g.bias }
        return LayerGradients(input: g.input, parameters: parameters)
    }

    /// Weight and bias gradients only (no input gradient).
    public func parameterGradients(input: Tensor, output: Tensor, outputGradient: Tensor) throws(FoveaError) -> [String: Tensor] {
        try requireBackwardShapes(input: input, output: output, outputGradient: outputGradient)
        let pre = try activationBackward(core.activation, output: output, outputGradient: outputGradient)
        let geometry = try ConvolutionGeometry.forward(
            spatialRank: Rank.axes, input: input.shape, weight: core.weight.shape, stride: core.stride,
            padding: core.padding, dilation: core.dilation, groups: core.groups)
        var desc = geometry.descriptor()
        let dw = try Tensor(uninitializedShape: core.weight.shape)
        try check(fovea_conv_backward_filter(&desc, input.readPointer, pre.readPointer, dw.writePointer),
                  "convolution backward (weight)")
        var parameters = ["weight": dw]
        if core.bias != nil {
            let db = try Tensor(uninitializedShape: [geometry.outChannels])
            try check(fovea_conv_backward_bias(&desc, pre.readPointer, db.writePointer), "convolution backward (bias)")
            parameters["bias"] = db
        }
        return parameters
    }

    /// The layer with a new weight and/or bias (packed anew).
    public func replacingParameters(_ parameters: [String: Tensor]) throws(FoveaError) -> Self {
        Self(core: try ConvolutionCore(
            spatialRank: Rank.axes, weight: parameters["weight"] ?? core.weight, bias: parameters["bias"] ?? core.bias,
            stride: core.stride, padding: core.padding, dilation: core.dilation, groups: core.groups,
            activation: core.activation, algorithm: core.algorithm))
    }
}

extension Dense: TrainableLayer {
    /// `∂W = xᵀ·δ`, `∂b = Σ δ`, `∂x = δ·Wᵀ` with `δ` through the activation.
    public func backward(input: Tensor, output: Tensor, outputGradient: Tensor) throws(FoveaError) -> LayerGradients {
        try requireBackwardShapes(input: input, output: output, outputGradient: outputGradient)
        let delta = try activationBackward(activation, output: output, outputGradient: outputGradient)
        let (inFeatures, outFeatures) = (weight.shape[0], weight.shape[1])
        let rows = input.count / max(inFeatures, 1)
        let x = try input.reshaped(to: [rows, inFeatures]), d = try delta.reshaped(to: [rows, outFeatures])
        var parameters = ["weight": try gemm(x, d, transposeA: true)]
        if bias != nil {
            let values = d.scalars
            var sums = [Float](repeating: 0, count: outFeatures)
            for r in 0..<rows { for j in 0..<outFeatures { sums[j] += values[r * outFeatures + j] } }
            parameters["bias"] = try Tensor(shape: [outFeatures], scalars: sums)
        }
        let dx = try gemm(d, weight, transposeB: true).reshaped(to: input.shape)
        return LayerGradients(input: dx, parameters: parameters)
    }

    /// The layer with a new weight and/or bias.
    public func replacingParameters(_ parameters: [String: Tensor]) throws(FoveaError) -> Dense {
        try Dense(weight: parameters["weight"] ?? weight, bias: parameters["bias"] ?? bias, activation: activation)
    }
}

extension ActivationLayer: TrainableLayer {
    /// ∂L/∂x through the activation.
    public func backward(input: Tensor, output: Tensor, outputGradient: Tensor) throws(FoveaError) -> LayerGradients {
        try requireBackwardShapes(input: input, output: output, outputGradient: outputGradient)
        return LayerGradients(input: try activationBackward(activation, output: output, outputGradient: outputGradient))
    }
}

extension Softmax: TrainableLayer {
    /// `y ⊙ (δ − Σ δ ⊙ y)` along the last axis.
    public func backward(input: Tensor, output: Tensor, outputGradient: Tensor) throws(FoveaError) -> LayerGradients {
        try requireBackwardShapes(input: input, output: output, outputGradient: outputGradient)
        let y = output.scalars, g = outputGradient.scalars
        let width = max(output.shape.last ?? 1, 1)
        var result = [Float](repeating: 0, count: y.count)
        for row in stride(from: 0, to: y.count, by: width) {
            var dot: Float = 0
            for j in 0..<width { dot += g[row + j] * y[row + j] }
            for j in 0..<width { result[row + j] = y[row + j] * (g[row + j] - dot) }
        }
        return LayerGradients(input: try Tensor(shape: output.shape, scalars: result))
    }
}

extension Flatten: TrainableLayer {
    /// The gradient reshaped back.
    public func backward(input: Tensor, output: Tensor, outputGradient: Tensor) throws(FoveaError) -> LayerGradients {
        try requireBackwardShapes(input: input, output: output, outputGradient: outputGradient)
        return LayerGradients(input: try outputGradient.reshaped(to: input.shape))
    }
}

extension Reshape: TrainableLayer {
    /// The gradient reshaped back.
    public func backward(input: Tensor, output: Tensor, outputGradient: Tensor) throws(FoveaError) -> LayerGradients {
        try requireBackwardShapes(input: input, output: output, outputGradient: outputGradient)
        return LayerGradients(input: try outputGradient.reshaped(to: input.shape))
    }
}

extension Dropout: TrainableLayer {
    /// The identity (at inference nothing is dropped).
    public func backward(input: Tensor, output: Tensor, outputGradient: Tensor) throws(FoveaError) -> LayerGradients {
        try requireBackwardShapes(input: input, output: output, outputGradient: outputGradient)
        return LayerGradients(input: outputGradient)
    }

    /// False: training drops units.
    public var behavesAlikeInTraining: Bool { false }

    /// Inverted dropout: each unit kept with probability `1 − rate` and scaled by `1 / (1 − rate)`.
    public func trainingForward(_ input: Tensor, seed: UInt64) throws(FoveaError) -> Tensor {
        try masked(input, seed: seed)
    }

    /// The gradient through the same units (the mask is drawn again from the seed).
    public func trainingBackward(
        input: Tensor, output: Tensor, outputGradient: Tensor, seed: UInt64
    ) throws(FoveaError) -> LayerGradients {
        try requireBackwardShapes(input: input, output: output, outputGradient: outputGradient)
        return LayerGradients(input: try masked(outputGradient, seed: seed))
    }

    private func masked(_ x: Tensor, seed: UInt64) throws(FoveaError) -> Tensor {
        guard rate > 0 else { return x }
        var generator = SeededGenerator(seed: seed)
        let keep = 1 / (1 - rate)
        let result = try Tensor(uninitializedShape: x.shape)
        let source = x.readPointer, destination = result.writePointer
        for i in 0..<x.count { destination[i] = generator.nextUnitFloat() < rate ? 0 : source[i] * keep }
        return result
    }
}

extension BatchNorm: TrainableLayer {
    /// The inference pass's gradients (fixed statistics): a per-channel scale.
    public func backward(input: Tensor, output: Tensor, outputGradient: Tensor) throws(FoveaError) -> LayerGradients {
        try requireBackwardShapes(input: input, output: output, outputGradient: outputGradient)
        return try gradients(input, outputGradient, mean: mean, variance: variance, batchStatistics: false)
    }

    /// False: training uses the batch's statistics.
    public var behavesAlikeInTraining: Bool { false }

    /// Normalises with the batch's own mean and (biased) variance per channel.
    public func trainingForward(_ input: Tensor, seed: UInt64) throws(FoveaError) -> Tensor {
        let (batchMean, batchVariance) = try batchNormStatistics(input)
        return try batchNorm(input, mean: batchMean, variance: batchVariance, scale: scale, offset: offset, epsilon: epsilon)
    }

    /// The gradient of batch normalisation with batch statistics (the
    /// statistics depend on every input of the channel).
    public func trainingBackward(
        input: Tensor, output: Tensor, outputGradient: Tensor, seed: UInt64
    ) throws(FoveaError) -> LayerGradients {
        try requireBackwardShapes(input: input, output: output, outputGradient: outputGradient)
        let (batchMean, batchVariance) = try batchNormStatistics(input)
        return try gradients(input, outputGradient, mean: batchMean, variance: batchVariance, batchStatistics: true)
    }

    private func gradients(
        _ input: Tensor, _ outputGradient: Tensor, mean: Tensor, variance: Tensor, batchStatistics: Bool
    ) throws(FoveaError) -> LayerGradients {
        let channels = mean.count  // both callers have checked the shapes (requireBackwardShapes)
        let dx = try Tensor(uninitializedShape: input.shape)
        let dScale = try Tensor(uninitializedShape: [channels]), dOffset = try Tensor(uninitializedShape: [channels])
        try check(
            fovea_batchnorm_backward(
                Int64(input.count / max(channels, 1)), Int64(channels), input.readPointer, outputGradient.readPointer,
                mean.readPointer, variance.readPointer, scale.readPointer, epsilon, batchStatistics ? 1 : 0,
                dx.writePointer, dScale.writePointer, dOffset.writePointer),
            "batch norm backward")
        return LayerGradients(input: dx, parameters: ["gamma": dScale, "beta": dOffset])
    }

    /// The running statistics moved towards the batch's: `momentum·old + (1 − momentum)·batch`
    /// (Keras' rule, with the unbiased batch variance).
    public func updatedStatistics(afterTrainingOn input: Tensor) throws(FoveaError) -> [String: Tensor] {
        _ = try outputShape(for: input.shape)  // the input's channels must be the layer's
        let (batchMean, batchVariance) = try batchNormStatistics(input)
        let n = Float(input.count / max(mean.count, 1))
        let unbiased = n > 1 ? n / (n - 1) : 1
        let (oldMean, oldVariance, newMean, newVariance) = (mean.scalars, variance.scalars, batchMean.scalars, batchVariance.scalars)
        let a = momentum
        return [
            "moving_mean": try Tensor(shape: mean.shape, scalars: (0..<mean.count).map { a * oldMean[$0] + (1 - a) * newMean[$0] }),
            "moving_variance": try Tensor(
                shape: mean.shape, scalars: (0..<mean.count).map { a * oldVariance[$0] + (1 - a) * newVariance[$0] * unbiased }),
        ]
    }

    /// The layer with new statistics, scale or offset.
    public func replacingParameters(_ parameters: [String: Tensor]) throws(FoveaError) -> BatchNorm {
        try BatchNorm(
            mean: parameters["moving_mean"] ?? mean, variance: parameters["moving_variance"] ?? variance,
            scale: parameters["gamma"] ?? scale, offset: parameters["beta"] ?? offset, epsilon: epsilon,
            momentum: momentum)
    }
}

extension MaxPool2D: TrainableLayer {
    /// Each output's gradient to the first largest input of its window.
    public func backward(input: Tensor, output: Tensor, outputGradient: Tensor) throws(FoveaError) -> LayerGradients {
        try requireBackwardShapes(input: input, output: output, outputGradient: outputGradient)
        return LayerGradients(input: try poolBackward(
            .max, input: input, outputGradient: outputGradient, spatialRank: 2, kernel: kernel, stride: stride,
            padding: padding, ceilMode: ceilMode))
    }
}

extension AvgPool2D: TrainableLayer {
    /// Each output's gradient spread evenly over its window.
    public func backward(input: Tensor, output: Tensor, outputGradient: Tensor) throws(FoveaError) -> LayerGradients {
        try requireBackwardShapes(input: input, output: output, outputGradient: outputGradient)
        return LayerGradients(input: try poolBackward(
            .average(countIncludesPadding: countIncludesPadding), input: input, outputGradient: outputGradient,
            spatialRank: 2, kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode))
    }
}

extension GlobalAvgPool2D: TrainableLayer {
    /// Each channel's gradient spread over the image.
    public func backward(input: Tensor, output: Tensor, outputGradient: Tensor) throws(FoveaError) -> LayerGradients {
        try requireBackwardShapes(input: input, output: output, outputGradient: outputGradient)
        guard input.count > 0 else { return LayerGradients(input: input) }
        let (n, h, w, c) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let g = outputGradient.scalars
        var result = [Float](repeating: 0, count: input.count)
        let scale = 1 / Float(max(h * w, 1))
        for image in 0..<n {
            for pixel in 0..<(h * w) {
                for channel in 0..<c { result[(image * h * w + pixel) * c + channel] = g[image * c + channel] * scale }
            }
        }
        return LayerGradients(input: try Tensor(shape: input.shape, scalars: result))
    }
}

extension ZeroPadding2D: TrainableLayer {
    /// The gradient with the padded border cut away.
    public func backward(input: Tensor, output: Tensor, outputGradient: Tensor) throws(FoveaError) -> LayerGradients {
        try requireBackwardShapes(input: input, output: output, outputGradient: outputGradient)
        return LayerGradients(input: try centreCrop(
            outputGradient, top: top, left: left, height: input.shape[1], width: input.shape[2]))
    }
}
