import Foundation
import Testing
@testable import Fovea

/// Every layer's backward pass against central differences of
/// `L = Σ layer(x) · r` for a fixed random `r`, so that ∂L/∂y = r.
@Suite struct LayerGradientTests {
    static func check<L: TrainableLayer>(
        _ layer: L, input shape: [Int], seed: UInt64, tolerance: Float = 2e-3, awayFromZero: Bool = false,
        _ context: String
    ) throws {
        var sweep = Sweep(seed: seed)
        var x = try sweep.tensor(shape)
        // A finite difference must not straddle a kink at zero.
        if awayFromZero { x = try Tensor(shape: shape, scalars: x.scalars.map { $0 < 0 ? $0 - 0.05 : $0 + 0.05 }) }
        let y = try layer(x)
        let r = try sweep.tensor(y.shape)
        func loss(_ output: Tensor) -> Float {
            zip(output.scalars, r.scalars).reduce(Float(0)) { $0 + $1.0 * $1.1 }
        }
        let analytic = try layer.backward(input: x, output: y, outputGradient: r)
        let numericInput = try numericalGradient(at: x, epsilon: 1e-2) { (v: Tensor) throws(FoveaError) in loss(try layer(v)) }
        let inputError = try gradientError(analytic.input, numericInput)
        #expect(inputError < tolerance, "\(context): input gradient off by \(inputError)")
        #expect(Set(analytic.parameters.keys) == Set(layer.parameters.keys), "\(context): parameter gradients")
        for (name, parameter) in layer.parameters {
            let numeric = try numericalGradient(at: parameter, epsilon: 1e-2) { (v: Tensor) throws(FoveaError) in
                loss(try layer.replacingParameters([name: v])(x))
            }
            let error = try gradientError(analytic.parameters[name]!, numeric)
            #expect(error < tolerance, "\(context): \(name) gradient off by \(error)")
        }
    }

    @Test func depthwiseSeparableAndTransposedConvolutions() throws {
        var s = Sweep(seed: 7)
        try Self.check(
            try DepthwiseConv2D(weight: try s.tensor([3, 3, 1, 6]), bias: try s.tensor([6]), channels: 3, stride: 2,
                                padding: .same, activation: .tanh),
            input: [2, 7, 6, 3], seed: 1, "depthwise, multiplier 2, stride 2")
        try Self.check(
            try SeparableConv2D(depthwiseWeight: try s.tensor([3, 3, 1, 5]), depthwiseBias: try s.tensor([5]),
                                pointwiseWeight: try s.tensor([1, 1, 5, 4]), bias: try s.tensor([4]), channels: 5,
                                padding: .same, depthwiseActivation: .tanh, activation: .sigmoid),
            input: [2, 5, 6, 5], seed: 2, "separable")
        for (stride, padding, extra, groups) in [(2, Padding.same, 0, 1), (2, .valid, 1, 2), (3, .explicit(begin: [1, 0], end: [0, 2]), 0, 1),
                                                 (1, .explicit(begin: [-1, 0], end: [1, -2]), 0, 1)] {
            try Self.check(
                try Conv2DTranspose(weight: try s.tensor([3, 2, 6 / groups, 4]), bias: try s.tensor([6]), stride: Spatial(stride),
                                    padding: padding, outputPadding: Spatial(extra), groups: groups, activation: .tanh),
                input: [2, 3, 4, 4], seed: 3, "transposed, stride \(stride), \(padding), output padding \(extra), groups \(groups)")
        }
    }

    @Test func reshapingLayersAndPReLU() throws {
        for method in [ResizeMethod.nearest(.floor), .nearest(.roundPreferCeil), .linear] {
            for factor in [2, 3] {
                try Self.check(try Upsample2D(factor: factor, method: method), input: [2, 3, 4, 3], seed: 4, "upsample \(method) x\(factor)")
            }
        }
        var s = Sweep(seed: 8)
        try Self.check(try PReLU(slope: try s.tensor([5])), input: [2, 3, 3, 5], seed: 5, awayFromZero: true, "PReLU per channel")
        try Self.check(try PReLU(slope: try s.tensor([1])), input: [2, 3, 3, 5], seed: 6, awayFromZero: true, "PReLU shared")
        try Self.check(try PReLU(slope: try s.tensor([3, 3, 5])), input: [2, 3, 3, 5], seed: 10, awayFromZero: true, "PReLU per pixel (Keras)")
        try Self.check(try PReLU(slope: try s.tensor([3, 1, 1])), input: [2, 3, 3, 5], seed: 11, awayFromZero: true, "PReLU per row")
        try Self.check(try Permute([2, 3, 1]), input: [2, 3, 4, 5], seed: 7, "permute")
        try Self.check(try ChannelPadding(3), input: [2, 3, 4, 5], seed: 8, "channel padding")
        try Self.check(try Rescaling(scale: [0.5, -2, 3], offset: [1]), input: [2, 3, 4, 3], seed: 9, "rescaling")
    }

    /// The layers the graph test of `BackpropagationTests` does not reach:
    /// 1-D and 3-D convolutions (strided, dilated, grouped, padded), global
    /// pooling, reshaping, and every activation (inputs kept off the kinks of
    /// the piecewise ones: their derivative jumps there).
    @Test func convolutionsOfOtherRanksPoolingReshapeAndActivations() throws {
        var s = Sweep(seed: 12)
        try Self.check(
            try Conv1D(weight: try s.tensor([3, 2, 6]), bias: try s.tensor([6]), stride: 2, padding: .same, dilation: 1,
                       groups: 2, activation: .tanh),
            input: [2, 9, 4], seed: 13, "conv1d")
        try Self.check(
            try Conv3D(weight: try s.tensor([2, 3, 2, 3, 4]), bias: try s.tensor([4]), padding: .explicit(begin: [1, 0, 1], end: [0, 1, 0]),
                       dilation: Spatial([1, 2, 1]), activation: .sigmoid),
            input: [2, 3, 5, 4, 3], seed: 14, "conv3d")
        try Self.check(GlobalAvgPool2D(), input: [2, 3, 5, 4], seed: 15, "global average pooling")
        try Self.check(try Reshape([6, 5]), input: [2, 3, 2, 5], seed: 16, "reshape")
        for activation in [Activation.tanh, .sigmoid, .relu, .relu6, .leakyRelu(alpha: 0.2), .clamp(min: -0.5, max: 0.5)] {
            var sweep = Sweep(seed: 17)
            // Magnitudes from 0.05 to 8 (both sides of ReLU6's and the clamp's
            // limits), kept off the kinks at 0, ±0.5 and 6.
            let values = try sweep.tensor([2, 3, 3, 4]).scalars.map { value -> Float in
                var magnitude = 0.05 + abs(value) * 8
                if [0.5, 6].contains(where: { abs(magnitude - $0) < 0.02 }) { magnitude += 0.05 }
                return value < 0 ? -magnitude : magnitude
            }
            let layer = try ActivationLayer(activation)
            let x = try Tensor(shape: [2, 3, 3, 4], scalars: values)
            let y = try layer(x)
            let r = try sweep.tensor(y.shape)
            let analytic = try layer.backward(input: x, output: y, outputGradient: r).input
            let numeric = try numericalGradient(at: x, epsilon: 1e-3) { (v: Tensor) throws(FoveaError) in
                zip(try layer(v).scalars, r.scalars).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            }
            #expect(try gradientError(analytic, numeric) < 2e-3, "\(activation)")
        }
    }

    /// A resize's adjoint at sizes that are not multiples: `<resize(x), g> == <x, resizeBackward(g)>`.
    @Test func resizeBackwardIsTheAdjoint() throws {
        var s = Sweep(seed: 10)
        for (method, coordinates) in [(ResizeMethod.linear, CoordinateTransform.halfPixel), (.linear, .alignCorners),
                                      (.nearest(.roundPreferFloor), .halfPixel), (.linear, .pytorchHalfPixel)] {
            let x = try s.tensor([2, 5, 7, 3]), g = try s.tensor([2, 8, 4, 3])
            let y = try resize(x, height: 8, width: 4, method: method, coordinates: coordinates)
            let dx = try resizeBackward(outputGradient: g, inputShape: x.shape, method: method, coordinates: coordinates)
            let left = zip(y.scalars, g.scalars).reduce(Double(0)) { $0 + Double($1.0 * $1.1) }
            let right = zip(x.scalars, dx.scalars).reduce(Double(0)) { $0 + Double($1.0 * $1.1) }
            #expect(abs(left - right) < 1e-4 * max(1, abs(left)), "\(method) \(coordinates): \(left) vs \(right)")
        }
        #expect(throws: FoveaError.self) {
            try resizeBackward(outputGradient: try Tensor.zeros(shape: [1, 4, 4, 2]), inputShape: [1, 2, 2, 3])
        }
    }

    /// Long axes (a signal as a one-pixel-wide image): the taps are found in
    /// O(n log n), where one probe per input position took O(n²).
    @Test func resizeBackwardOfLongAxes() throws {
        var s = Sweep(seed: 12)
        for (method, input, output) in [(ResizeMethod.linear, [1, 100_003, 1, 2], [150_001, 1]),
                                        (.nearest(.floor), [1, 1, 90_001, 1], [1, 30_000]),
                                        (.linear, [1, 2, 65_537, 1], [3, 65_536])] {
            let x = try s.tensor(input), g = try s.tensor([1, output[0], output[1], input[3]])
            let y = try resize(x, height: output[0], width: output[1], method: method)
            let dx = try resizeBackward(outputGradient: g, inputShape: x.shape, method: method)
            let left = zip(y.scalars, g.scalars).reduce(Double(0)) { $0 + Double($1.0) * Double($1.1) }
            let right = zip(x.scalars, dx.scalars).reduce(Double(0)) { $0 + Double($1.0) * Double($1.1) }
            #expect(abs(left - right) < 1e-4 * max(1, abs(left)), "\(method) \(input): \(left) vs \(right)")
        }
    }

    /// A graph with folded batch norms, a cropping concatenation and an
    /// up-convolution: input and parameter gradients through `gradients(at:)`.
    @Test func foldedBatchNormsAndCroppingConcatenation() throws {
        var s = Sweep(seed: 11)
        var g = GraphBuilder()
        let a = g.add(try ConvBatchNorm2D(
            weight: try s.tensor([3, 3, 2, 4]), bias: try s.tensor([4]), mean: try s.tensor([4], scale: 0.2),
            variance: try Tensor(shape: [4], scalars: [0.5, 1, 1.5, 2]), scale: try s.tensor([4]), offset: try s.tensor([4]),
            activation: .tanh), named: "a", to: g.input)
        let down = g.add(try AvgPool2D(size: 2), named: "down", to: a)
        let up = g.add(try Conv2DTranspose(weight: try s.tensor([2, 2, 3, 4]), stride: 2), named: "up", to: down)
        let joined = g.merge(CroppingConcatenate(), named: "join", a, up)
        let out = g.add(try ConvBatchNorm2D(
            weight: try s.tensor([1, 1, 7, 2]), mean: try s.tensor([2], scale: 0.2),
            variance: try Tensor(shape: [2], scalars: [0.7, 1.3]), scale: try s.tensor([2]), offset: try s.tensor([2])),
            named: "out", to: joined)
        let model = try g.build(outputs: ["y": out])
        let x = try s.tensor([2, 7, 7, 2])
        let r = try s.tensor(try model.outputShape(for: x.shape))
        func loss(_ graph: Graph, _ input: Tensor) throws(FoveaError) -> Float {
            zip(try graph(input).scalars, r.scalars).reduce(Float(0)) { $0 + $1.0 * $1.1 }
        }
        let result = try model.gradients(at: x) { _ in ["y": r] }
        #expect(result.outputs["y"]!.shape == r.shape)
        let numericInput = try numericalGradient(at: x) { (v: Tensor) throws(FoveaError) in try loss(model, v) }
        #expect(try gradientError(result.input, numericInput) < 3e-3)
        #expect(Set(result.parameters.keys) == Set(model.parameters.keys.filter { !$0.contains("moving") }))
        for name in ["a.weight", "a.bn.gamma", "a.bn.beta", "up.weight", "out.weight", "out.bn.gamma"] {
            let numeric = try numericalGradient(at: model.parameters[name]!) { (v: Tensor) throws(FoveaError) in
                try loss(try model.replacingParameters([name: v]), x)
            }
            #expect(try gradientError(result.parameters[name]!, numeric) < 3e-3, "\(name)")
        }
        #expect(throws: FoveaError.self) { try model.gradients(at: x) { _ in ["z": r] } }
        // Two names for one output node: their gradients add.
        let twice = Graph(nodes: model.nodes, outputs: [("y", model.outputIndices[0].node), ("y2", model.outputIndices[0].node)])
        let doubled = try twice.gradients(at: x) { _ in ["y": r, "y2": r] }
        expectClose(doubled.input.scalars, result.input.scalars.map { 2 * $0 }, "two names for one output")
        // A layer already named as an unfolded part would be: refused, not a crash.
        guard case .layer(let first) = model.nodes[1].operation else { Issue.record("no first layer"); return }
        var clash = GraphBuilder()
        let folded = clash.add(first, named: "a", to: clash.input)
        let other = clash.add(try ActivationLayer(.relu), named: "a.bn", to: folded)
        #expect(throws: FoveaError.self) { try clash.build(outputs: ["y": other]).unfoldedForTraining() }
        #expect(throws: FoveaError.self) {
            try Rescaling(scale: [1, 2, 3], offset: [0]).backward(
                input: try Tensor.zeros(shape: [1, 2, 2, 4]), output: try Tensor.zeros(shape: [1, 2, 2, 4]),
                outputGradient: try Tensor.zeros(shape: [1, 2, 2, 4]))
        }
    }

    /// The case-study networks with folded batch norms train: one step each
    /// changes their weights, moves their batch-norm statistics, and folds back.
    @Test func caseStudyNetworksTakeATrainingStep() throws {
        let networks: [(String, Graph, [Int])] = [
            // Large enough that the last stage's batch norms see more than two values per channel.
            ("resnet50", try CaseStudies.resnet50(classes: 10), [2, 64, 64, 3]),
            ("mobilenet-v2", try CaseStudies.mobilenetV2(classes: 10), [2, 32, 32, 3]),
        ]
        for (name, model, shape) in networks {
            var trainer = try ClassifierTrainer(model: model, optimizer: try SGD(learningRate: 0.01, momentum: 0.9))
            let x = try Tensor.randomUniform(shape: shape, in: 0...1, seed: 5)
            let metrics = try trainer.step(images: x, labels: [1, 7])
            #expect(metrics.loss.isFinite, "\(name)")
            let trained = try trainer.trainedModel()
            #expect(trained.layerNames == model.layerNames, "\(name)")
            #expect(trained.parameters.values.allSatisfy { $0.scalars.allSatisfy(\.isFinite) }, "\(name): finite")
            let changed = trained.parameters.filter { model.parameters[$0.key] != $0.value }.map(\.key)
            #expect(changed.contains { $0.hasSuffix("bn.moving_mean") }, "\(name): statistics")
            #expect(changed.contains { $0.hasSuffix(".weight") }, "\(name): weights")
            // Folded and unfolded models agree at inference.
            expectClose(try trained(x).scalars, try trainer.model(x).scalars, atol: 1e-4, rtol: 1e-3, name)
        }
    }

    /// The networks without batch norms: Inception trains through its
    /// concatenated branches, U-Net back-propagates through its
    /// up-convolutions and cropped skip connections.
    @Test func inceptionTrainsAndUNetBackpropagates() throws {
        let inception = try CaseStudies.inceptionV1(classes: 10)
        var trainer = try ClassifierTrainer(model: inception, optimizer: try Adam(learningRate: 1e-3))
        let x = try Tensor.randomUniform(shape: [2, 64, 64, 3], in: 0...1, seed: 6)
        #expect(try trainer.step(images: x, labels: [3, 4]).loss.isFinite)
        let trained = try trainer.trainedModel()
        #expect(trained.parameters.allSatisfy { $0.value != inception.parameters[$0.key] })

        let unet = try CaseStudies.unet(depth: 2, baseFilters: 4)
        let image = try Tensor.randomUniform(shape: [1, 44, 44, 1], in: 0...1, seed: 7)
        let result = try unet.gradients(at: image) { (outputs: [String: Tensor]) throws(FoveaError) in
            outputs.mapValues { (output: Tensor) in output }
        }
        #expect(result.input.shape == image.shape)
        #expect(result.input.scalars.allSatisfy(\.isFinite) && result.input.scalars.contains { $0 != 0 })
        #expect(Set(result.parameters.keys) == Set(unet.parameters.keys))
    }
}
