import Foundation
import Testing
@testable import Fovea

/// Parameters and shapes at the edges of `Int` (and of `Float`) throw a
/// `FoveaError`: Swift traps on an overflowing `+` or `*`, so every formula
/// that takes a user's size is either bounded first or checked.
@Suite struct HostileParameterTests {
    let x = try! Tensor.randomUniform(shape: [1, 4, 4, 2], in: -1...1, seed: 1)
    let w = try! Tensor.randomUniform(shape: [2, 2, 2, 3], in: -1...1, seed: 2)

    @Test func windowGeometryNeverOverflows() throws {
        #expect(throws: FoveaError.self) { try conv2d(x, weight: w, dilation: Spatial(Int.max)) }
        #expect(throws: FoveaError.self) { try conv2d(x, weight: w, padding: .uniform(Int.max)) }
        #expect(throws: FoveaError.self) { try conv2d(x, weight: w, stride: Spatial(Int.max), padding: .same) }
        #expect(throws: FoveaError.self) { try maxPool2d(x, kernel: 1, stride: Spatial(Int.max), ceilMode: true) }
        #expect(throws: FoveaError.self) { try conv2dTransposed(x, weight: try Tensor.zeros(shape: [2, 2, 3, 2]), stride: Spatial(Int.max)) }
        #expect(throws: FoveaError.self) {
            try conv2dTransposed(x, weight: try Tensor.zeros(shape: [2, 2, 3, 2]), padding: .explicit(begin: [Int.min], end: [0]))
        }
        #expect(throws: FoveaError.self) { try Conv2D(weight: w, dilation: Spatial(Int.max), algorithm: .direct) }
        #expect(throws: FoveaError.self) { try Conv2D(weight: w, groups: Int.max) }
        #expect(throws: FoveaError.self) { try Conv2D(weight: w, padding: .same).outputShape(for: [1, Int.max, 4, 2]) }
        // Four spatial axes: the kernels take one to three.
        #expect(throws: FoveaError.self) {
            try convolution(
                spatialRank: 4, try Tensor.zeros(shape: [1, 2, 2, 2, 2, 1]), weight: try Tensor.zeros(shape: [1, 1, 1, 1, 1, 1]),
                bias: nil, stride: 1, padding: .valid, dilation: 1, groups: 1, activation: .none)
        }
        // The largest values still allowed work.
        #expect(try conv2d(x, weight: w, padding: .uniform(1)).shape == [1, 5, 5, 3])
    }

    @Test func shapeParametersNeverOverflow() throws {
        #expect(throws: FoveaError.self) { try pad(x, begin: [0, Int.max, 0, 0], end: [0, 1, 0, 0]) }
        #expect(throws: FoveaError.self) { try ZeroPadding2D(Int.max)(x) }
        #expect(throws: FoveaError.self) { try depthToSpace(x, blockSize: 1 << 32) }
        #expect(throws: FoveaError.self) { try spaceToDepth(try Tensor.zeros(shape: [1, 0, 0, 1]), blockSize: 1 << 32) }
        #expect(throws: FoveaError.self) { try upsample2d(x, factor: Int.max) }
        #expect(throws: FoveaError.self) { try Upsample2D(factor: Int.max)(x) }
        #expect(throws: FoveaError.self) { try ChannelSlice(start: Int.max, count: 1)(x) }
        #expect(throws: FoveaError.self) { try ChannelPadding(Int.max)(x) }
        #expect(throws: FoveaError.self) { try Reshape([1 << 32, 1 << 32])(x) }
        #expect(throws: FoveaError.self) { try YOLOActivation(anchors: 1, classes: Int.max) }
        #expect(throws: FoveaError.self) { try x.batch(Int.max) }
        #expect(throws: FoveaError.self) { try Initializer.heNormal.tensor(shape: [1 << 32, 1 << 32, 3, 3], seed: 0) }
        #expect(throws: FoveaError.self) {
            try resizeBackward(outputGradient: try Tensor.zeros(shape: [1, 1, 1, 1]), inputShape: [1, Int.max, 2, 1])
        }
        // Zero elements, but extents no shape arithmetic could carry.
        #expect(throws: FoveaError.self) { try Tensor.zeros(shape: [0, Int.max, 2]) }
        #expect(try Tensor.zeros(shape: [0, 1 << 20, 3]).count == 0)
        var weights = ModelWeights.random()
        #expect(throws: FoveaError.self) { try weights.tensor("x", shape: [], kind: .dense) }
        // A warm-up of no epochs hands over at once, whatever the epoch.
        let schedule = LearningRateSchedule.warmup(epochs: -1, then: .constant)
        #expect(schedule.rate(at: .max, base: 0.5) == 0.5)
        #expect(schedule.rate(at: 0, base: 0.5) == 0.5)
    }

    @Test func shapesOfLayersAndGraphsStayBounded() throws {
        var g = GraphBuilder()
        #expect(throws: FoveaError.self) { try ZeroPadding2D(Int.max) }
        let padded = g.add(try ZeroPadding2D(Spatial.maximum), to: g.input)
        let conv = g.add(try Conv2D(weight: try Tensor.zeros(shape: [1, 1, 1, 1]), padding: .uniform(1)), to: padded)
        let graph = try g.build(outputs: ["y": conv])
        #expect(throws: FoveaError.self) { try graph.outputShape(for: [1, Int.max, 1, 1]) }
        #expect(throws: FoveaError.self) { try graph.summary(inputShape: [1, -5, 4, 1]) }
        #expect(throws: FoveaError.self) { try Concatenate(axis: 0).outputShape(for: [[Int.max], [1]]) }
        #expect(throws: FoveaError.self) { try Flatten().outputShape(for: [1, 1 << 32, 1 << 32]) }
        let wide = Sequential(layers: [try Conv2D(weight: try Tensor.zeros(shape: [1, 1, 1, 65536])), Flatten()])
        #expect(throws: FoveaError.self) { try wide.outputShape(for: [1, 1 << 24, 1 << 24, 1]) }
        #expect(throws: FoveaError.self) { try Sequential(layers: [Flatten()]).summary(inputShape: [1, Int.max, 2]) }
        #expect(throws: FoveaError.self) { try PReLU(slope: try Tensor.ones(shape: [2, 1, 1])).outputShape(for: [1, 2, 1 << 40, 1 << 40]) }
        #expect(throws: FoveaError.self) { try Conv2DTranspose(weight: try Tensor.zeros(shape: [1, 1, 2, 0]), groups: .max) }
        #expect(throws: FoveaError.self) { try Tensor(shape: [], scalars: [1]).batch(.max) }
        let norm = try BatchNorm(
            mean: try Tensor.zeros(shape: [4]), variance: try Tensor.ones(shape: [4]),
            scale: try Tensor.ones(shape: [4]), offset: try Tensor.zeros(shape: [4]))
        #expect(throws: FoveaError.self) { try norm.updatedStatistics(afterTrainingOn: try Tensor.zeros(shape: [2, 2])) }
    }

    /// Zero elements along extents that would size tables of petabytes: the
    /// result is empty, at once.
    @Test func emptyTensorsWithHugeExtentsAllocateNothing() throws {
        let wide = try Tensor.zeros(shape: [0, 1 << 40])
        #expect(try Rescaling(scale: [2], offset: [1])(wide).shape == wide.shape)
        #expect(try prelu(try Tensor.zeros(shape: [0, 4, 1 << 20, 1 << 20]), slope: try Tensor.ones(shape: [4, 1, 1])).count == 0)
        #expect(try resizeBackward(outputGradient: try Tensor.zeros(shape: [0, 1, 1, 1]), inputShape: [0, 1 << 40, 1, 1]).count == 0)
        #expect(try matmul(try Tensor.zeros(shape: [1 << 40, 0, 1]), try Tensor.ones(shape: [1, 1])).count == 0)
        #expect(try Augmenter([.elastic(alpha: 1, sigma: 2)])(try Tensor.zeros(shape: [1, 1 << 24, 1 << 24, 0]), seed: 1).count == 0)
        #expect(throws: FoveaError.self) {
            try tripletLoss(embeddings: try Tensor.zeros(shape: [1 << 16, 0]), labels: Array(repeating: 0, count: 1 << 16), mining: .batchAll)
        }
    }

    @Test func emptyChannelsNeitherHangNorDivideByZero() throws {
        let empty = try Tensor.zeros(shape: [1, 0])
        #expect(try Rescaling(scale: [2], offset: [1])(empty).shape == [1, 0])
    }

    @Test func augmentationsRefuseNonFiniteParameters() throws {
        #expect(throws: FoveaError.self) { try Augmenter([.elastic(alpha: 1, sigma: .nan)]) }
        #expect(throws: FoveaError.self) { try Augmenter([.elastic(alpha: 1, sigma: .infinity)]) }
        #expect(throws: FoveaError.self) { try Augmenter([.elastic(alpha: .infinity, sigma: 1)]) }
        #expect(throws: FoveaError.self) { try Augmenter([.rotation(maximumDegrees: .nan)]) }
        #expect(throws: FoveaError.self) { try Augmenter([.shear(maximum: .infinity)]) }
        #expect(throws: FoveaError.self) { try Augmenter([.randomCrop(padding: Int.max)]) }
        // Finite but extreme: the warped image samples outside itself (zeros).
        let image = try Tensor.randomUniform(shape: [1, 5, 5, 1], in: 0...1, seed: 3)
        let sheared = try Augmenter([.shear(maximum: 1e30)])(image, seed: 4)
        #expect(sheared.shape == image.shape)
        #expect(sheared.scalars.allSatisfy { $0.isFinite })
    }

    /// A backward pass reads ∂L/∂output by the input's geometry: one of
    /// another shape must be refused before any kernel reads it.
    @Test func backwardPassesCheckTheGradientsShape() throws {
        let small = try Tensor.zeros(shape: [1])
        let input = try Tensor.zeros(shape: [1, 8, 8, 2])
        let conv = try Conv2D(weight: w)
        #expect(throws: FoveaError.self) { try conv.parameterGradients(input: input, output: small, outputGradient: small) }
        #expect(throws: FoveaError.self) { try conv.backward(input: input, output: small, outputGradient: small) }
        let depthwise = try DepthwiseConv2D(weight: try Tensor.zeros(shape: [3, 3, 1, 2]), channels: 2)
        #expect(throws: FoveaError.self) { try depthwise.parameterGradients(input: input, output: small, outputGradient: small) }
        let layers: [any TrainableLayer] = [
            try ZeroPadding2D(1), try ChannelPadding(2), Softmax(), GlobalAvgPool2D(), try MaxPool2D(size: 2), try Dropout(rate: 0.5),
            try PReLU(slope: try Tensor.zeros(shape: [2])), try Upsample2D(factor: 2),
        ]
        for layer in layers {
            let output = try layer(input)
            #expect(throws: FoveaError.self, "\(type(of: layer))") {
                try layer.backward(input: input, output: output, outputGradient: small)
            }
            #expect(throws: FoveaError.self, "\(type(of: layer))") {
                try layer.trainingBackward(input: input, output: small, outputGradient: small, seed: 1)
            }
            // The right shapes still go through.
            let gradient = try Tensor.zeros(shape: output.shape)
            #expect(try layer.backward(input: input, output: output, outputGradient: gradient).input.shape == input.shape)
        }
    }

    @Test func aFailedTrainingStepLeavesTheTrainerAsItWas() throws {
        var builder = GraphBuilder()
        let flat = builder.add(Flatten(), to: builder.input)
        let logits = builder.add(try Dense(weight: try Tensor.randomUniform(shape: [4, 3], in: -1...1, seed: 5)), to: flat)
        var trainer = try ClassifierTrainer(model: try builder.build(outputs: ["logits": logits]), optimizer: try Adam(learningRate: 0.1))
        let images = try Tensor.randomUniform(shape: [2, 2, 2, 1], in: 0...1, seed: 6)
        _ = try trainer.step(images: images, labels: [0, 2])
        let (steps, parameters) = (trainer.steps, trainer.model.parameters)
        #expect(throws: FoveaError.self) { try trainer.step(images: images, labels: [0, 7]) }
        #expect(throws: FoveaError.self) { try trainer.step(images: try Tensor.zeros(shape: [2, 2, 2, 2]), labels: [0, 1]) }
        #expect(trainer.steps == steps)
        #expect(trainer.model.parameters == parameters)
        // An epoch whose last batch holds a label the model has no class for.
        let data = try LabelledImages(
            images: try Tensor.randomUniform(shape: [4, 2, 2, 1], in: 0...1, seed: 7), labels: [0, 1, 2, 9], classes: 10)
        #expect(throws: FoveaError.self) { try trainer.trainEpoch(data, batchSize: 1, seed: 3) }
        #expect(trainer.steps == steps)
        #expect(trainer.model.parameters == parameters)
        // The next step is the one the failed ones would have been.
        var twin = trainer
        _ = try trainer.step(images: images, labels: [1, 1])
        _ = try twin.step(images: images, labels: [1, 1])
        #expect(trainer.model.parameters == twin.model.parameters)
    }
}
