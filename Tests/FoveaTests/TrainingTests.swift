import Foundation
import Testing
@testable import Fovea

@Suite struct LossTests {
    /// Every loss's analytic gradient against central differences.
    @Test func gradientsMatchCentralDifferences() throws {
        var sweep = Sweep(seed: 31)
        let logits = try sweep.tensor([4, 5], scale: 2)
        let labels = [0, 3, 4, 1]
        let ce = try softmaxCrossEntropy(logits: logits, labels: labels)
        let ceNumeric = try numericalGradient(at: logits) { (x: Tensor) throws(FoveaError) in try softmaxCrossEntropy(logits: x, labels: labels).value }
        #expect(try gradientError(ce.gradient, ceNumeric) < 1e-3)

        let targets = try Tensor.randomUniform(shape: [4, 5], seed: 2)
        let bce = try binaryCrossEntropy(logits: logits, targets: targets, reduction: .sum)
        let bceNumeric = try numericalGradient(at: logits) { (x: Tensor) throws(FoveaError) in try binaryCrossEntropy(logits: x, targets: targets, reduction: .sum).value }
        #expect(try gradientError(bce.gradient, bceNumeric) < 1e-3)

        let mse = try meanSquaredError(predictions: logits, targets: targets)
        let mseNumeric = try numericalGradient(at: logits) { (x: Tensor) throws(FoveaError) in try meanSquaredError(predictions: x, targets: targets).value }
        #expect(try gradientError(mse.gradient, mseNumeric) < 1e-3)

        let l1 = try smoothL1(predictions: logits, targets: targets, beta: 0.5)
        let l1Numeric = try numericalGradient(at: logits, epsilon: 1e-3) { (x: Tensor) throws(FoveaError) in try smoothL1(predictions: x, targets: targets, beta: 0.5).value }
        #expect(try gradientError(l1.gradient, l1Numeric) < 2e-3)
    }

    @Test func valuesMatchTheirDefinitions() throws {
        // Two classes, logits (0, 0): log 2 for either label.
        let ce = try softmaxCrossEntropy(logits: try Tensor.zeros(shape: [1, 2]), labels: [1])
        #expect(abs(ce.value - Float(log(2.0))) < 1e-6)
        // Large logits stay finite.
        let big = try softmaxCrossEntropy(logits: try Tensor(shape: [1, 2], scalars: [1000, -1000]), labels: [1])
        #expect(abs(big.value - 2000) < 1e-2)
        let bce = try binaryCrossEntropy(logits: try Tensor(shape: [1], scalars: [100]), targets: try Tensor(shape: [1], scalars: [0]))
        #expect(abs(bce.value - 100) < 1e-4)
        let l1 = try smoothL1(predictions: try Tensor(shape: [2], scalars: [0.5, 3]), targets: try Tensor.zeros(shape: [2]), reduction: .sum)
        #expect(abs(l1.value - (0.125 + 2.5)) < 1e-6)
        #expect(throws: FoveaError.self) { try softmaxCrossEntropy(logits: try Tensor.zeros(shape: [1, 2]), labels: [2]) }
        #expect(throws: FoveaError.self) { try binaryCrossEntropy(logits: try Tensor.zeros(shape: [2]), targets: try Tensor.ones(shape: [3])) }
    }

    @Test func tripletAndContrastiveLossesAndTheirGradients() throws {
        var sweep = Sweep(seed: 32)
        let a = try sweep.tensor([3, 4]), p = try sweep.tensor([3, 4]), n = try sweep.tensor([3, 4])
        let triplet = try tripletLoss(anchor: a, positive: p, negative: n, margin: 0.5)
        for (index, input) in [a, p, n].enumerated() {
            let numeric = try numericalGradient(at: input, epsilon: 1e-3) { (x: Tensor) throws(FoveaError) in
                let args = [a, p, n].enumerated().map { $0.offset == index ? x : $0.element }
                return try tripletLoss(anchor: args[0], positive: args[1], negative: args[2], margin: 0.5).value
            }
            #expect(try gradientError(triplet.gradients[index], numeric) < 2e-3, "triplet input \(index)")
        }
        // One hand-made triplet: |a-p|² = 1, |a-n|² = 4, margin 0.2 → 0; margin 3.5 → 0.5.
        let one = try Tensor(shape: [1, 2], scalars: [0, 0])
        let pos = try Tensor(shape: [1, 2], scalars: [1, 0]), neg = try Tensor(shape: [1, 2], scalars: [0, 2])
        #expect(try tripletLoss(anchor: one, positive: pos, negative: neg, margin: 0.2).value == 0)
        #expect(abs(try tripletLoss(anchor: one, positive: pos, negative: neg, margin: 3.5).value - 0.5) < 1e-6)

        let embeddings = try sweep.tensor([6, 3])
        let labels = [0, 0, 1, 1, 2, 2]
        for mining in [TripletMining.batchAll, .batchHard] {
            let mined = try tripletLoss(embeddings: embeddings, labels: labels, margin: 1, mining: mining)
            #expect(mined.value > 0)
            let numeric = try numericalGradient(at: embeddings, epsilon: 1e-3) { (x: Tensor) throws(FoveaError) in
                try tripletLoss(embeddings: x, labels: labels, margin: 1, mining: mining).value
            }
            #expect(try gradientError(mined.gradient, numeric) < 5e-3, "\(mining)")
        }

        let same = [true, false, false]
        let contrastive = try contrastiveLoss(a, p, same: same, margin: 3)
        for (index, input) in [a, p].enumerated() {
            let numeric = try numericalGradient(at: input, epsilon: 1e-3) { (x: Tensor) throws(FoveaError) in
                try contrastiveLoss(index == 0 ? x : a, index == 1 ? x : p, same: same, margin: 3).value
            }
            #expect(try gradientError(contrastive.gradients[index], numeric) < 2e-3, "contrastive input \(index)")
        }
    }
}

@Suite struct OptimizerTests {
    struct Fixture: Decodable {
        struct Trajectory: Decodable {
            var options: [String: Double]
            var final: [Float]
        }
        var c: [Float], b: [Float], start: [Float], steps: Int
        var trajectories: [String: Trajectory]
    }

    /// Ten steps on `Σ 0.5·c·p² + b·p` end where PyTorch's optimizers end
    /// (Tests/Fixtures/training/README.md).
    @Test func stepsMatchPyTorch() throws {
        let url = Fixtures.root.appendingPathComponent("training/optimizers.json")
        let fixture = try JSONDecoder().decode(Fixture.self, from: try Data(contentsOf: url))
        for (name, trajectory) in fixture.trajectories.sorted(by: { $0.key < $1.key }) {
            let o = trajectory.options
            let lr = Float(o["lr"]!), decay = Float(o["weight_decay"] ?? 0), momentum = Float(o["momentum"] ?? 0)
            var optimizer: any Optimizer
            switch name {
            case let n where n.hasPrefix("sgd"):
                optimizer = try SGD(learningRate: lr, momentum: momentum, nesterov: (o["nesterov"] ?? 0) != 0, weightDecay: decay)
            case "rmsprop": optimizer = try RMSprop(learningRate: lr)
            case "adamw": optimizer = try Adam.adamW(learningRate: lr, weightDecay: decay)
            default: optimizer = try Adam(learningRate: lr, weightDecay: decay)
            }
            var parameters = ["p": try Tensor(shape: [fixture.start.count], scalars: fixture.start)]
            for _ in 0..<fixture.steps {
                let p = parameters["p"]!.scalars
                let gradient = (0..<p.count).map { fixture.c[$0] * p[$0] + fixture.b[$0] }
                try optimizer.update(&parameters, with: ["p": try Tensor(shape: [p.count], scalars: gradient)])
            }
            expectClose(parameters["p"]!.scalars, trajectory.final, atol: 2e-5, rtol: 0, name)
        }
    }

    @Test func badHyperparametersAndGradientsAreRefused() throws {
        #expect(throws: FoveaError.self) { try SGD(learningRate: 0) }
        #expect(throws: FoveaError.self) { try SGD(learningRate: 0.1, nesterov: true) }
        #expect(throws: FoveaError.self) { try Adam(beta1: 1) }
        var sgd = try SGD(learningRate: 0.1)
        var parameters = ["w": try Tensor.ones(shape: [2])]
        let before = parameters
        #expect(throws: FoveaError.self) { try sgd.update(&parameters, with: ["w": try Tensor.ones(shape: [3])]) }
        #expect(throws: FoveaError.self) { try sgd.update(&parameters, with: ["v": try Tensor.ones(shape: [2])]) }
        #expect(parameters["w"] == before["w"])
    }

    @Test func schedulesAndInitializers() throws {
        #expect(LearningRateSchedule.step(every: 2, factor: 0.5).rate(at: 5, base: 1) == 0.25)
        #expect(abs(LearningRateSchedule.exponential(factor: 0.9).rate(at: 2, base: 1) - 0.81) < 1e-6)
        #expect(abs(LearningRateSchedule.cosine(epochs: 10, minimum: 0.1).rate(at: 10, base: 1) - 0.1) < 1e-6)
        #expect(LearningRateSchedule.cosine(epochs: 10, minimum: 0).rate(at: 5, base: 1) == 0.5)
        #expect(LearningRateSchedule.warmup(epochs: 4, then: .constant).rate(at: 1, base: 1) == 0.5)
        #expect(LearningRateSchedule.warmup(epochs: 4, then: .constant).rate(at: 7, base: 1) == 1)

        // He-normal over a 3x3x64 -> 128 convolution: variance 2 / 576.
        let he = try Initializer.heNormal.tensor(shape: [3, 3, 64, 128], seed: 1).scalars
        let variance = he.reduce(0) { $0 + $1 * $1 } / Float(he.count)
        #expect(abs(variance - 2 / 576) / (2 / 576) < 0.05)
        let glorot = try Initializer.glorotUniform.tensor(shape: [100, 50], seed: 2).scalars
        let limit = (6 / Float(150)).squareRoot()
        #expect(glorot.allSatisfy { abs($0) <= limit } && (glorot.map(abs).max() ?? 0) > 0.9 * limit)
        #expect(try Initializer.heUniform.tensor(shape: [4, 4], seed: 3) == Initializer.heUniform.tensor(shape: [4, 4], seed: 3))
        #expect(throws: FoveaError.self) { try Initializer.heNormal.tensor(shape: [5], seed: 1) }
    }
}

@Suite struct BackpropagationTests {
    /// A small graph with every kind of layer that has a backward pass; the
    /// smooth variant swaps ReLU, leaky ReLU and max pooling for tanh, sigmoid
    /// and average pooling.
    static func network(seed: UInt64, smooth: Bool = false) throws -> Graph {
        var sweep = Sweep(seed: seed)
        var g = GraphBuilder()
        let padded = g.add(try ZeroPadding2D(1), named: "pad", to: g.input)
        let c1 = g.add(try Conv2D(weight: try sweep.tensor([3, 3, 2, 4], scale: 0.5), bias: try sweep.tensor([4], scale: 0.1),
                                  activation: .tanh), named: "c1", to: padded)
        let c2 = g.add(try Conv2D(weight: try sweep.tensor([3, 3, 4, 4], scale: 0.5), padding: .same, activation: smooth ? .tanh : .relu),
                       named: "c2", to: c1)
        let sum = g.merge(try Add(activation: smooth ? .sigmoid : .leakyRelu(alpha: 0.1)), named: "sum", c1, c2)
        let pooled = g.add(smooth ? try AvgPool2D(size: 2) as any Layer : try MaxPool2D(size: 2), named: "pool", to: sum)
        let averaged = g.add(try AvgPool2D(size: 2), named: "avg", to: c1)
        let joined = g.merge(Concatenate(), named: "join", pooled, averaged)
        let flat = g.add(Flatten(), named: "flat", to: joined)
        let fc = g.add(try Dense(weight: try sweep.tensor([2 * 2 * 8, 3], scale: 0.3), bias: try sweep.tensor([3]),
                                 activation: .sigmoid), named: "fc", to: flat)
        let out = g.add(Softmax(), named: "softmax", to: fc)
        return try g.build(outputs: ["probabilities": out])
    }

    /// Every parameter's gradient against central differences of the loss.
    /// Where the network has kinks (ReLU, leaky ReLU, max pooling) a finite
    /// difference may straddle one, hence the looser bound there.
    @Test(arguments: [(true, Float(2e-3)), (false, Float(1e-2))])
    func parameterGradientsMatchCentralDifferences(smooth: Bool, tolerance: Float) throws {
        let model = try Self.network(seed: 41, smooth: smooth)
        var inputs = Sweep(seed: 42)
        let x = try inputs.tensor([3, 4, 4, 2])
        let labels = [0, 2, 1]
        func loss(_ graph: Graph) throws(FoveaError) -> Float {
            let p = try graph.outputs(x)["probabilities"]!.scalars
            var total: Float = 0
            for (row, label) in labels.enumerated() { total -= Foundation.log(p[row * 3 + label]) }
            return total / Float(labels.count)
        }
        let values = try model.trainingValues(x)
        let output = model.outputIndices[0].node
        // dL/dp for the mean negative log-likelihood, pushed through the softmax layer too.
        let p = values[output].scalars
        var seed = [Float](repeating: 0, count: p.count)
        for (row, label) in labels.enumerated() { seed[row * 3 + label] = -1 / (p[row * 3 + label] * Float(labels.count)) }
        let gradients = try model.backpropagate(values: values, seeds: [output: try Tensor(shape: [3, 3], scalars: seed)])
        #expect(Set(gradients.parameters.keys) == Set(model.parameters.keys))
        for (name, parameter) in model.parameters {
            // A small step: a larger one crosses the kinks of ReLU and max pooling.
            let numeric = try numericalGradient(at: parameter, epsilon: 1e-3) { (value: Tensor) throws(FoveaError) in
                try loss(try model.replacingParameters([name: value]))
            }
            let error = try gradientError(gradients.parameters[name]!, numeric)
            #expect(error < tolerance, "\(name): \(error)")
        }
        // And the input's gradient.
        let numericInput = try numericalGradient(at: x, epsilon: 1e-3) { (value: Tensor) throws(FoveaError) in
            let q = try model.outputs(value)["probabilities"]!.scalars
            var total: Float = 0
            for (row, label) in labels.enumerated() { total -= Foundation.log(q[row * 3 + label]) }
            return total / Float(labels.count)
        }
        #expect(try gradientError(gradients.input!, numericInput) < tolerance)
    }

    @Test func aTrainerLowersTheLossAndReplacesOnlyParameters() throws {
        // Two blobs of 4x4 images, told apart by their mean brightness.
        var sweep = Sweep(seed: 43)
        var images = [Float](), labels = [Int]()
        for i in 0..<64 {
            let label = i % 2
            labels.append(label)
            for _ in 0..<16 { images.append(Float(label) - 0.5 + Float(sweep.int(-100...100)) / 400) }
        }
        let data = try LabelledImages(images: try Tensor(shape: [64, 4, 4, 1], scalars: images), labels: labels, classes: 2)
        var g = GraphBuilder()
        let conv = g.add(try Conv2D(weight: try Initializer.heNormal.tensor(shape: [3, 3, 1, 4], seed: 1),
                                    bias: try Tensor.zeros(shape: [4]), activation: .relu), named: "conv", to: g.input)
        let flat = g.add(Flatten(), named: "flat", to: conv)
        let logits = g.add(try Dense(weight: try Initializer.glorotUniform.tensor(shape: [16, 2], seed: 2)), named: "fc", to: flat)
        let probabilities = g.add(Softmax(), named: "softmax", to: logits)
        let model = try g.build(outputs: ["probabilities": probabilities])
        var trainer = try ClassifierTrainer(model: model, optimizer: try SGD(learningRate: 0.1, momentum: 0.9))
        let before = try trainer.evaluate(data)
        for epoch in 0..<10 { _ = try trainer.trainEpoch(data, batchSize: 16, seed: UInt64(epoch)) }
        let after = try trainer.evaluate(data)
        #expect(after.loss < before.loss / 4)
        #expect(after.accuracy == 1)
        #expect(trainer.model.layerNames == model.layerNames)
        #expect(trainer.model.parameters["conv.weight"] != model.parameters["conv.weight"])
        #expect(throws: FoveaError.self) { try model.replacingParameters(["nope.weight": try Tensor.zeros(shape: [1])]) }
        #expect(throws: FoveaError.self) { try model.replacingParameters(["fc.weight": try Tensor.zeros(shape: [2, 16])]) }
    }
}

@Suite struct TransferLearningTests {
    @Test func ensemblesAverageAndTenCropsCoverCornersCentreAndMirror() throws {
        let a = try ModelName.lenet5.build(weights: .random(seed: 1)), b = try ModelName.lenet5.build(weights: .random(seed: 2))
        let x = try Tensor.randomUniform(shape: [2, 32, 32, 1], seed: 3)
        let mean = try Ensemble([a, b])(x)
        expectClose(mean.scalars, try multiply(try add(a(x), b(x)), Tensor(scalar: 0.5)).scalars, "ensemble")
        #expect(throws: FoveaError.self) { try Ensemble([]) }

        let image = try Tensor(shape: [1, 3, 4, 1], scalars: (0..<12).map(Float.init))
        let crops = try tenCrops(image, height: 2, width: 2)
        #expect(crops.count == 10)
        #expect(crops[0].scalars == [0, 1, 4, 5] && crops[3].scalars == [6, 7, 10, 11] && crops[4].scalars == [1, 2, 5, 6])
        #expect(crops[5].scalars == [3, 2, 7, 6])  // the mirror's top-left corner
        #expect(throws: FoveaError.self) { try tenCrops(image, height: 4, width: 2) }
        let big = try Tensor.randomUniform(shape: [1, 36, 36, 1], seed: 4)
        #expect(try multiCropPrediction(a, big, height: 32, width: 32).shape == [1, 10])
    }

    /// Freeze a backbone, cache its features, train a new head on the cache,
    /// then unfreeze and fine-tune end to end.
    @Test func frozenBackboneCachedFeaturesAndFineTuning() throws {
        var sweep = Sweep(seed: 44)
        var images = [Float](), labels = [Int]()
        for i in 0..<48 {
            labels.append(i % 3)
            for pixel in 0..<64 { images.append(Float((pixel / 8 + i % 3) % 3 == 0 ? 1 : 0) + Float(sweep.int(-50...50)) / 500) }
        }
        let data = try LabelledImages(images: try Tensor(shape: [48, 8, 8, 1], scalars: images), labels: labels, classes: 3)
        var g = GraphBuilder()
        let conv = g.add(try Conv2D(weight: try Initializer.heNormal.tensor(shape: [3, 3, 1, 6], seed: 1),
                                    bias: try Tensor.zeros(shape: [6]), activation: .relu), named: "conv", to: g.input)
        let pooled = g.add(GlobalAvgPool2D(), named: "features", to: conv)
        let logits = g.add(try Dense(weight: try Initializer.glorotUniform.tensor(shape: [6, 3], seed: 2)), named: "head", to: pooled)
        let probabilities = g.add(Softmax(), named: "softmax", to: logits)
        let model = try g.build(outputs: ["probabilities": probabilities])

        // Features once, saved and read back.
        let backbone = try model.truncated(at: "features")
        #expect(backbone.outputNames == ["features"])
        let cache = try FeatureCache(backbone: backbone, dataset: data, batchSize: 10)
        #expect(cache.data.images.shape == [48, 1, 1, 6])
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fovea-features-\(UInt32.random(in: 0...UInt32.max)).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try cache.save(to: url)
        let loaded = try FeatureCache.load(from: url)
        #expect(loaded.data.images == cache.data.images && loaded.data.labels == cache.data.labels)

        // A head trained on the cache.
        var h = GraphBuilder()
        let flat = h.add(Flatten(), named: "flat", to: h.input)
        let headLogits = h.add(try Dense(weight: try Initializer.glorotUniform.tensor(shape: [6, 3], seed: 5)), named: "head", to: flat)
        let headOut = h.add(Softmax(), named: "softmax", to: headLogits)
        var headTrainer = try ClassifierTrainer(model: try h.build(outputs: ["p": headOut]), optimizer: try Adam(learningRate: 0.05))
        let before = try headTrainer.evaluate(loaded.data)
        for epoch in 0..<30 { _ = try headTrainer.trainEpoch(loaded.data, batchSize: 16, seed: UInt64(epoch)) }
        #expect(try headTrainer.evaluate(loaded.data).loss < before.loss)

        // The full model with its backbone frozen: the convolution does not move.
        var trainer = try ClassifierTrainer(model: model, optimizer: try Adam(learningRate: 0.01))
        trainer.frozenLayers = ["conv"]
        _ = try trainer.trainEpoch(data, batchSize: 16, seed: 1)
        #expect(trainer.model.parameters["conv.weight"] == model.parameters["conv.weight"])
        #expect(trainer.model.parameters["head.weight"] != model.parameters["head.weight"])
        // Unfrozen, it fine-tunes.
        trainer.frozenLayers = []
        _ = try trainer.trainEpoch(data, batchSize: 16, seed: 2)
        #expect(trainer.model.parameters["conv.weight"] != model.parameters["conv.weight"])
        #expect(throws: FoveaError.self) { try model.truncated(at: "nope") }
    }

    @Test func aFeatureCacheWithLabelsThatAreNotClassIndicesIsRefused() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fovea-labels-\(UInt32.random(in: 0...UInt32.max)).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        let features = try Tensor.zeros(shape: [1, 1, 1, 2])
        // The first is a valid label; the others have no Int, or no class.
        for label in [2, Float.nan, Float.infinity, -Float.infinity, 1e30, -1, 3, 0.5] as [Float] {
            try SafeTensorsFile(
                tensors: ["features": features, "labels": try Tensor(shape: [1], scalars: [label])],
                metadata: ["classes": "3"]
            ).write(to: url)
            if label == 2 {
                #expect(try FeatureCache.load(from: url).data.labels == [2])
                continue
            }
            do {
                _ = try FeatureCache.load(from: url)
                Issue.record("label \(label) was accepted")
            } catch {
                #expect(error.message.contains("not a class index"), "\(label): \(error.message)")
            }
        }
    }
}

@Suite struct TrainingModeTests {
    @Test func batchNormTrainsOnBatchStatistics() throws {
        var sweep = Sweep(seed: 51)
        let layer = try BatchNorm(
            mean: try sweep.tensor([3]), variance: try Tensor.ones(shape: [3]), scale: try sweep.tensor([3]),
            offset: try sweep.tensor([3]), epsilon: 1e-3, momentum: 0.9)
        let x = try sweep.tensor([4, 2, 2, 3], scale: 2)
        let y = try layer.trainingForward(x, seed: 0)
        // Each channel's output has mean beta (the batch mean is removed).
        let out = y.scalars, beta = layer.offset.scalars
        for c in 0..<3 {
            let values = stride(from: c, to: out.count, by: 3).map { out[$0] }
            #expect(abs(values.reduce(0, +) / Float(values.count) - beta[c]) < 1e-4)
        }
        // Gradients against central differences of a weighted sum of the outputs.
        let weights = try sweep.tensor(x.shape)
        func loss(_ layer: BatchNorm, _ input: Tensor) throws(FoveaError) -> Float {
            try multiply(try layer.trainingForward(input, seed: 0), weights).scalars.reduce(0, +)
        }
        let g = try layer.trainingBackward(input: x, output: y, outputGradient: weights, seed: 0)
        let dx = try numericalGradient(at: x, epsilon: 1e-2) { (v: Tensor) throws(FoveaError) in try loss(layer, v) }
        #expect(try gradientError(g.input, dx) < 2e-3)
        let dGamma = try numericalGradient(at: layer.scale, epsilon: 1e-2) { (v: Tensor) throws(FoveaError) in
            try loss(try layer.replacingParameters(["gamma": v]), x)
        }
        #expect(try gradientError(g.parameters["gamma"]!, dGamma) < 2e-3)
        // The running mean moves a tenth of the way to the batch mean.
        let (batchMean, _) = try batchNormStatistics(x)
        let updated = try layer.updatedStatistics(afterTrainingOn: x)["moving_mean"]!.scalars
        for c in 0..<3 {
            #expect(abs(updated[c] - (0.9 * layer.mean.scalars[c] + 0.1 * batchMean.scalars[c])) < 1e-6)
        }
    }

    @Test func dropoutDropsReproduciblyAndRoutesGradientsThroughKeptUnits() throws {
        let layer = try Dropout(rate: 0.25)
        let x = try Tensor.ones(shape: [1000])
        let y = try layer.trainingForward(x, seed: 5)
        #expect(try layer.trainingForward(x, seed: 5) == y)
        let kept = y.scalars.filter { $0 != 0 }
        #expect(abs(Float(kept.count) / 1000 - 0.75) < 0.05)
        #expect(kept.allSatisfy { abs($0 - 4.0 / 3.0) < 1e-6 })
        let g = try layer.trainingBackward(input: x, output: y, outputGradient: x, seed: 5)
        #expect(g.input == y)
        #expect(try layer(x) == x)  // inference: the identity
    }

    @Test func aTrainerUpdatesRunningStatisticsAndUsesDropout() throws {
        var g = GraphBuilder()
        let conv = g.add(try Conv2D(weight: try Initializer.heNormal.tensor(shape: [3, 3, 1, 4], seed: 1)), named: "conv", to: g.input)
        let norm = g.add(try BatchNorm(mean: try Tensor.zeros(shape: [4]), variance: try Tensor.ones(shape: [4]),
                                       scale: try Tensor.ones(shape: [4]), offset: try Tensor.zeros(shape: [4])), named: "bn", to: conv)
        let act = g.add(try ActivationLayer(.relu), named: "relu", to: norm)
        let flat = g.add(Flatten(), named: "flat", to: act)
        let drop = g.add(try Dropout(rate: 0.3), named: "drop", to: flat)
        let logits = g.add(try Dense(weight: try Initializer.glorotUniform.tensor(shape: [16, 2], seed: 2)), named: "fc", to: drop)
        let model = try g.build(outputs: ["logits": logits])
        var sweep = Sweep(seed: 52)
        let data = try LabelledImages(images: try sweep.tensor([16, 4, 4, 1]), labels: (0..<16).map { $0 % 2 }, classes: 2)
        var trainer = try ClassifierTrainer(model: model, optimizer: try SGD(learningRate: 0.05))
        _ = try trainer.trainEpoch(data, batchSize: 8, seed: 1)
        #expect(trainer.steps == 2)
        #expect(trainer.model.parameters["bn.moving_mean"] != model.parameters["bn.moving_mean"])
        #expect(trainer.model.parameters["bn.gamma"] != model.parameters["bn.gamma"])
    }
}
