import Testing
@testable import Fovea

@Suite struct SequentialTests {
    /// LeNet-5 as in LeCun et al. (1998), in the course's form: 32x32x1 input,
    /// 5x5 convolutions of 6 and 16 channels, average pooling, 120-84-10.
    static func leNet5(seed: UInt64 = 1) throws -> Sequential {
        func weights(_ shape: [Int], _ offset: UInt64) throws -> Tensor {
            try Tensor.randomNormal(shape: shape, standardDeviation: 0.1, seed: seed &+ offset)
        }
        return try Sequential {
            try Conv2D(weight: try weights([5, 5, 1, 6], 1), bias: try weights([6], 2), activation: .tanh)
            try AvgPool2D(size: 2)
            try Conv2D(weight: try weights([5, 5, 6, 16], 3), bias: try weights([16], 4), activation: .tanh)
            try AvgPool2D(size: 2)
            Flatten()
            try Dense(weight: try weights([400, 120], 5), bias: try weights([120], 6), activation: .tanh)
            try Dense(weight: try weights([120, 84], 7), bias: try weights([84], 8), activation: .tanh)
            try Dense(weight: try weights([84, 10], 9), bias: try weights([10], 10))
            try ActivationLayer(.sigmoid)
        }
    }

    @Test func leNet5RunsAndCountsItsParameters() throws {
        let model = try Self.leNet5()
        #expect(model.parameterCount == 61_706)
        #expect(try model.outputShape(for: [3, 32, 32, 1]) == [3, 10])
        let y = try model(try Tensor.randomUniform(shape: [3, 32, 32, 1], seed: 9))
        #expect(y.shape == [3, 10])
        #expect(y.scalars.allSatisfy { $0 > 0 && $0 < 1 })
        let summary = try model.summary(inputShape: [1, 32, 32, 1])
        #expect(summary.contains("[1, 28, 28, 6]"))
        #expect(summary.contains("Total params: 61,706"))
        #expect(throws: FoveaError.self) { try model.outputShape(for: [1, 28, 28, 1]) }
        #expect(model.parameters["0.weight"]?.shape == [5, 5, 1, 6])
    }

    /// As a graph (nested models flattened) it computes the same, keeps the
    /// parameter names, and trains.
    @Test func aSequentialModelBecomesATrainableGraph() throws {
        let inner = try Self.leNet5()
        let model = Sequential(layers: [try ZeroPadding2D(2), inner])
        let graph = try model.graph()
        let x = try Tensor.randomUniform(shape: [4, 28, 28, 1], seed: 5)
        #expect(try graph(x).scalars == (try model(x)).scalars)
        #expect(Set(graph.parameters.keys) == Set(model.parameters.keys))
        var trainer = try ClassifierTrainer(model: graph, optimizer: try SGD(learningRate: 0.1))
        _ = try trainer.step(images: x, labels: [0, 1, 2, 3])
        #expect(trainer.model.parameters["1.0.weight"] != model.parameters["1.0.weight"])
    }
}

@Suite struct MoreLayerTests {
    @Test func layersBehaveAsTheirFunctions() throws {
        let x = try Tensor.randomUniform(shape: [2, 5, 6, 3], in: -1...1, seed: 80)
        let stats = try batchNormStatistics(x)
        let norm = try BatchNorm(
            mean: stats.mean, variance: stats.variance, scale: try Tensor.ones(shape: [3]), offset: try Tensor.zeros(shape: [3]))
        #expect(try norm(x) == batchNorm(x, mean: stats.mean, variance: stats.variance, scale: try Tensor.ones(shape: [3]), offset: try Tensor.zeros(shape: [3]), epsilon: 1e-3))
        #expect(norm.parameterCount == 12)
        let padded = try ZeroPadding2D(top: 1, left: 2, bottom: 0, right: 1)(x)
        #expect(padded.shape == [2, 6, 9, 3])
        #expect(try Upsample2D(factor: 2)(x).shape == [2, 10, 12, 3])
        #expect(try Dropout(rate: 0.5)(x) == x)
        let probabilities = try Softmax()(x)
        #expect(abs(probabilities.scalars[0..<3].reduce(0, +) - 1) < 1e-5)
        #expect(throws: FoveaError.self) { try Dropout(rate: 1) }
        #expect(throws: FoveaError.self) { try ZeroPadding2D(-1) }
        #expect(throws: FoveaError.self) { try norm(try Tensor.zeros(shape: [1, 2, 2, 4])) }
    }

    /// PaddedAdd in one pass gives what padding every input with zeros,
    /// summing left to right and activating give, bit for bit: inputs smaller
    /// on any axis (the first one too), equal shapes, rank 2 and 4.
    @Test func paddedAddMatchesPadThenAdd() throws {
        var sweep = Sweep(seed: 33)
        let cases: [([[Int]], Activation)] = [
            ([[1, 3, 3, 64], [1, 4, 4, 32]], .relu), ([[2, 5, 4, 8], [2, 5, 4, 8]], .none),
            ([[2, 3, 5, 7], [2, 4, 2, 9], [1, 4, 5, 3]], .leakyRelu(alpha: 0.1)), ([[3, 5], [4, 2]], .relu6),
        ]
        for (shapes, activation) in cases {
            var inputs: [Tensor] = []
            for shape in shapes { inputs.append(try sweep.tensor(shape)) }
            let layer = try PaddedAdd(activation: activation)
            let shape = try layer.outputShape(for: shapes)
            var sum: Tensor?
            for input in inputs {
                let padded = try pad(input, begin: Array(repeating: 0, count: shape.count),
                                     end: shape.indices.map { shape[$0] - input.shape[$0] })
                sum = try sum.map { (partial: Tensor) throws(FoveaError) -> Tensor in try add(partial, padded) } ?? padded
            }
            let expected = try activate(sum!, activation)
            let got = try layer(inputs)
            #expect(got.shape == shape)
            #expect(got.scalars.map(\.bitPattern) == expected.scalars.map(\.bitPattern), "\(shapes)")
        }
        #expect(throws: FoveaError.self) { try PaddedAdd()([try Tensor.zeros(shape: [2, 2]), try Tensor.zeros(shape: [2])]) }
    }

    /// Rescaling works sixteen values at a time over a repeating pattern of
    /// its per-channel values: every channel count and a tail that is not a
    /// whole pattern give x * scale + offset, bit for bit.
    @Test func rescalingMatchesItsDefinition() throws {
        for (channels, pixels) in [(1, 37), (3, 150 * 150), (3, 5), (5, 19), (16, 3), (17, 11), (48, 7), (100, 3)] {
            let x = try Tensor.randomUniform(shape: [1, pixels, 1, channels], in: -300...300, seed: UInt64(channels * 1000 + pixels))
            let scale = (0..<channels).map { Float($0) * 0.37 - 1.1 }, offset = (0..<channels).map { 3 - Float($0) * 0.9 }
            for (s, o) in [(scale, offset), ([0.0039], offset), (scale, [-0.5])] {
                let y = try Rescaling(scale: s, offset: o)(x)
                let expected = x.scalars.indices.map { i -> Float in
                    let c = i % channels
                    return x.scalars[i] * s[s.count == 1 ? 0 : c] + o[o.count == 1 ? 0 : c]
                }
                #expect(y.scalars.map(\.bitPattern) == expected.map(\.bitPattern), "\(channels) channels, \(pixels) pixels")
            }
        }
    }
}
