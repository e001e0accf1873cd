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
