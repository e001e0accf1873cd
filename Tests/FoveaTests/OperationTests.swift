import Testing
@testable import Fovea

/// The functional API: shape arithmetic and validation. Numerical agreement
/// with the references is the conformance suite's job.
@Suite struct OperationTests {
    @Test func samePaddingFollowsTensorFlow() throws {
        let x = try Tensor.randomUniform(shape: [1, 7, 8, 3], seed: 1)
        let w = try Tensor.randomUniform(shape: [3, 3, 3, 4], seed: 2)
        #expect(try conv2d(x, weight: w, stride: 2, padding: .same).shape == [1, 4, 4, 4])
        #expect(try conv2d(x, weight: w, padding: .same).shape == [1, 7, 8, 4])
        #expect(try conv2d(x, weight: w, padding: .valid).shape == [1, 5, 6, 4])
        #expect(try conv2d(x, weight: w, padding: .uniform(1), dilation: 2).shape == [1, 5, 6, 4])
        // Stride 2 on an even input: total padding 1 goes to the end (asymmetric).
        let even = try Tensor.randomUniform(shape: [1, 8, 8, 1], seed: 3)
        let ones = try Tensor.ones(shape: [3, 3, 1, 1])
        let same = try conv2d(even, weight: ones, stride: 2, padding: .same)
        let explicit = try conv2d(even, weight: ones, stride: 2, padding: .explicit(top: 0, left: 0, bottom: 1, right: 1))
        #expect(same == explicit)
    }

    @Test func depthwiseWithMultiplier() throws {
        let x = try Tensor.randomUniform(shape: [2, 5, 5, 3], seed: 4)
        let w = try Tensor.randomUniform(shape: [3, 3, 1, 6], seed: 5)
        let y = try conv2d(x, weight: w, padding: .same, groups: 3, activation: .relu6)
        #expect(y.shape == [2, 5, 5, 6])
        #expect(y.scalars.allSatisfy { $0 >= 0 && $0 <= 6 })
    }

    @Test func invalidConvolutionsThrow() throws {
        let x = try Tensor.zeros(shape: [1, 4, 4, 3])
        let w = try Tensor.zeros(shape: [3, 3, 3, 8])
        #expect(throws: FoveaError.self) { try conv2d(try Tensor.zeros(shape: [4, 4, 3]), weight: w) }
        #expect(throws: FoveaError.self) { try conv2d(x, weight: try Tensor.zeros(shape: [3, 3, 2, 8])) }
        #expect(throws: FoveaError.self) { try conv2d(x, weight: w, groups: 2) }
        #expect(throws: FoveaError.self) { try conv2d(x, weight: w, stride: 0) }
        #expect(throws: FoveaError.self) { try conv2d(x, weight: w, stride: [1, 2, 3]) }
        #expect(throws: FoveaError.self) { try conv2d(x, weight: w, padding: .uniform(-1)) }
        #expect(throws: FoveaError.self) { try conv2d(x, weight: w, dilation: 3) }
        #expect(throws: FoveaError.self) { try conv2d(x, weight: w, bias: try Tensor.zeros(shape: [7])) }
        #expect(throws: FoveaError.self) { try conv2d(x, weight: w, activation: .clamp(min: 1, max: 0)) }
        do {
            _ = try conv2d(x, weight: try Tensor.zeros(shape: [3, 3, 2, 8]))
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("input channels"))
        }
    }

    @Test func poolingShapes() throws {
        let x = try Tensor.randomUniform(shape: [1, 7, 9, 2], seed: 6)
        #expect(try maxPool2d(x, kernel: 2).shape == [1, 3, 4, 2])
        #expect(try maxPool2d(x, kernel: 2, ceilMode: true).shape == [1, 4, 5, 2])
        #expect(try avgPool2d(x, kernel: 3, stride: 1, padding: .same).shape == [1, 7, 9, 2])
        #expect(try globalAvgPool(x).shape == [1, 2])
        #expect(throws: FoveaError.self) { try maxPool2d(x, kernel: 2, padding: .uniform(2)) }
        #expect(throws: FoveaError.self) { try maxPool2d(x, kernel: 10) }
        #expect(throws: FoveaError.self) { try pool(.lp(p: 0), x, spatialRank: 2, kernel: 2) }
        let pooled = try maxPool2d(try Tensor(shape: [1, 2, 2, 1], scalars: [1, 5, 3, 2]), kernel: 2)
        #expect(pooled.scalars == [5])
    }

    @Test func denseAndMatmul() throws {
        let x = try Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let w = try Tensor(shape: [3, 2], scalars: [1, 0, 0, 1, 1, 1])
        #expect(try dense(x, weight: w, bias: try Tensor(shape: [2], scalars: [10, 20])).scalars == [14, 25, 20, 31])
        #expect(try matmul(x, w).scalars == [4, 5, 10, 11])
        #expect(try matmul(try Tensor(shape: [3], scalars: [1, 1, 1]), w).shape == [2])
        #expect(throws: FoveaError.self) { try matmul(x, x) }
        #expect(throws: FoveaError.self) { try dense(x, weight: x) }
    }

    @Test func broadcastingArithmetic() throws {
        let a = try Tensor(shape: [2, 1], scalars: [1, 2])
        let b = try Tensor(shape: [3], scalars: [10, 20, 30])
        #expect(try add(a, b).scalars == [11, 21, 31, 12, 22, 32])
        #expect(try multiply(a, b).shape == [2, 3])
        #expect(throws: FoveaError.self) { try add(try Tensor.zeros(shape: [2, 3]), try Tensor.zeros(shape: [4])) }
    }

    @Test func dataMovement() throws {
        let x = try Tensor(shape: [1, 2, 2, 4], scalars: (0..<16).map(Float.init))
        let up = try depthToSpace(x, blockSize: 2)
        #expect(up.shape == [1, 4, 4, 1])
        #expect(try spaceToDepth(up, blockSize: 2) == x)
        let crd = try depthToSpace(x, blockSize: 2, mode: .columnRowDepth)
        #expect(try spaceToDepth(crd, blockSize: 2, mode: .columnRowDepth) == x)
        let padded = try pad(try Tensor(shape: [3], scalars: [1, 2, 3]), begin: [2], end: [1], mode: .reflect)
        #expect(padded.scalars == [3, 2, 1, 2, 3, 2])
        #expect(throws: FoveaError.self) { try pad(try Tensor(shape: [2], scalars: [1, 2]), begin: [2], end: [0], mode: .reflect) }
        let joined = try concatenate([try Tensor.zeros(shape: [1, 2]), try Tensor.ones(shape: [1, 3])], axis: 1)
        #expect(joined.scalars == [0, 0, 1, 1, 1])
        #expect(throws: FoveaError.self) { try concatenate([try Tensor.zeros(shape: [1, 2]), try Tensor.ones(shape: [2, 3])], axis: 1) }
        #expect(try flatten(try Tensor.zeros(shape: [2, 3, 4]), axis: 1).shape == [2, 12])
    }

    @Test func gramAndStyleLoss() throws {
        let x = try Tensor.randomUniform(shape: [1, 4, 5, 3], seed: 7)
        let g = try gramMatrix(x, normalization: .byElementCount)
        #expect(g.shape == [1, 3, 3])
        // Symmetric.
        for i in 0..<3 {
            for j in 0..<3 { #expect(try g.value(at: [0, i, j]) == g.value(at: [0, j, i])) }
        }
        let target = try gramMatrix(try Tensor.randomUniform(shape: [1, 4, 5, 3], seed: 8))
        let (loss, gradient) = try styleLoss(x, target: target)
        #expect(loss > 0)
        #expect(gradient.shape == x.shape)
        // Central differences on a few pixels agree with the analytic gradient.
        for index in [[0, 0, 0, 0], [0, 2, 3, 1], [0, 3, 4, 2]] {
            var plus = x, minus = x
            let h: Float = 1e-2
            try plus.setValue(try x.value(at: index) + h, at: index)
            try minus.setValue(try x.value(at: index) - h, at: index)
            let numeric = (try styleLoss(plus, target: target).loss - styleLoss(minus, target: target).loss) / (2 * h)
            let analytic = try gradient.value(at: index)
            #expect(abs(numeric - analytic) <= 1e-2 * max(1, abs(analytic)))
        }
    }

    @Test func resizeModes() throws {
        let x = try Tensor(shape: [1, 2, 2, 1], scalars: [1, 2, 3, 4])
        let nearest = try upsample2d(x, factor: 2)
        #expect(nearest.scalars == [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4])
        let corners = try resize(x, height: 3, width: 3, method: .linear, coordinates: .alignCorners)
        #expect(corners.scalars == [1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4])
        #expect(throws: FoveaError.self) { try resize(x, height: 0, width: 3) }
    }

    @Test func normalisationAndActivations() throws {
        let x = try Tensor.randomNormal(shape: [4, 3, 3, 2], mean: 5, standardDeviation: 2, seed: 9)
        let stats = try batchNormStatistics(x)
        let normalized = try batchNorm(
            x, mean: stats.mean, variance: stats.variance, scale: try Tensor.ones(shape: [2]),
            offset: try Tensor.zeros(shape: [2]), epsilon: 0)
        let again = try batchNormStatistics(normalized)
        #expect(again.mean.scalars.allSatisfy { abs($0) < 1e-4 })
        #expect(again.variance.scalars.allSatisfy { abs($0 - 1) < 1e-3 })
        #expect(throws: FoveaError.self) {
            try batchNorm(x, mean: stats.mean, variance: stats.variance, scale: try Tensor.ones(shape: [3]), offset: stats.mean)
        }
        let s = try softmax(try Tensor(shape: [2, 3], scalars: [1, 2, 3, 1000, 1000, 1000]))
        #expect(abs(s.scalars[0..<3].reduce(0, +) - 1) < 1e-6)
        #expect(s.scalars[3..<6].allSatisfy { abs($0 - 1.0 / 3) < 1e-6 })
        #expect(throws: FoveaError.self) { try softmax(s, axis: 2) }
        #expect(try relu6(try Tensor(shape: [3], scalars: [-1, 3, 9])).scalars == [0, 3, 6])
        #expect(try prelu(try Tensor(shape: [2, 2], scalars: [-1, -1, 1, 1]), slope: try Tensor(shape: [2], scalars: [0.5, 0.25])).scalars == [-0.5, -0.25, 1, 1])
    }

    /// Slopes broadcast NumPy-style: per channel, shared, Keras' per
    /// `[height, width, channels]` value, ONNX's `[channels, 1, 1]`.
    @Test func preluSlopesBroadcastLikeNumPy() throws {
        let x = try Tensor.randomUniform(shape: [2, 3, 4, 5], in: -1...1, seed: 40)
        func expected(_ slope: Tensor) throws -> [Float] {
            let full = try slope.broadcast(to: x.shape).scalars
            return zip(x.scalars, full).map { $0 < 0 ? $0 * $1 : $0 }
        }
        for shape in [[5], [1], [4, 5], [3, 4, 5], [1, 1, 5], [3, 1, 1], [2, 1, 4, 1], [2, 3, 4, 5], [1, 4, 1]] {
            let slope = try Tensor.randomUniform(shape: shape, in: 0...1, seed: 41)
            #expect(try prelu(x, slope: slope).scalars == (try expected(slope)), "slope \(shape)")
            #expect(try PReLU(slope: slope)(x).scalars == (try expected(slope)), "layer, slope \(shape)")
        }
        // Slopes that would enlarge the input, or that do not line up, are refused with a message.
        for shape in [[4], [3], [2, 2, 3, 4, 5], [6, 5], [0]] {
            let slope = try Tensor.zeros(shape: shape)
            #expect(throws: FoveaError.self, "slope \(shape)") { try prelu(x, slope: slope) }
        }
        #expect(throws: FoveaError.self) { try PReLU(slope: try Tensor.zeros(shape: [4])).outputShape(for: [2, 3, 4, 5]) }
        #expect(throws: FoveaError.self) { try prelu(try Tensor(shape: [], scalars: [1]), slope: try Tensor(shape: [1], scalars: [1])) }
    }
}

@Suite struct BatchNormFoldingTests {
    @Test func foldedConvolutionEqualsConvolutionThenBatchNorm() throws {
        let x = try Tensor.randomUniform(shape: [2, 9, 11, 5], in: -1...1, seed: 30)
        let w = try Tensor.randomUniform(shape: [3, 3, 5, 7], in: -1...1, seed: 31)
        let b = try Tensor.randomUniform(shape: [7], in: -1...1, seed: 32)
        let mean = try Tensor.randomUniform(shape: [7], in: -1...1, seed: 33)
        let variance = try Tensor.randomUniform(shape: [7], in: 0.1...2, seed: 34)
        let scale = try Tensor.randomUniform(shape: [7], in: 0.5...1.5, seed: 35)
        let offset = try Tensor.randomUniform(shape: [7], in: -1...1, seed: 36)
        let separate = try batchNorm(
            try conv2d(x, weight: w, bias: b, padding: .same), mean: mean, variance: variance, scale: scale,
            offset: offset, epsilon: 1e-3)
        let folded = try foldBatchNorm(
            weight: w, bias: b, mean: mean, variance: variance, scale: scale, offset: offset, epsilon: 1e-3)
        let fused = try conv2d(x, weight: folded.weight, bias: folded.bias, padding: .same)
        let worst = zip(fused.scalars, separate.scalars).map { abs($0 - $1) }.max() ?? 0
        #expect(worst < 1e-4)
        #expect(throws: FoveaError.self) {
            try foldBatchNorm(weight: w, bias: nil, mean: mean, variance: variance, scale: scale, offset: try Tensor.zeros(shape: [6]))
        }
    }
}

@Suite struct SeparableConvolutionTests {
    @Test func equalsDepthwiseThenPointwise() throws {
        let x = try Tensor.randomUniform(shape: [2, 15, 13, 24], in: -1...1, seed: 40)
        let dw = try Tensor.randomUniform(shape: [3, 3, 1, 48], in: -1...1, seed: 41)
        let db = try Tensor.randomUniform(shape: [48], in: -1...1, seed: 42)
        let pw = try Tensor.randomUniform(shape: [1, 1, 48, 19], in: -1...1, seed: 43)
        let pb = try Tensor.randomUniform(shape: [19], in: -1...1, seed: 44)
        let middle = try conv2d(x, weight: dw, bias: db, stride: 2, padding: .same, groups: 24, activation: .relu6)
        let expected = try conv2d(middle, weight: pw, bias: pb, activation: .relu)
        let fused = try separableConv2d(
            x, depthwiseWeight: dw, depthwiseBias: db, pointwiseWeight: pw, pointwiseBias: pb, stride: 2,
            padding: .same, depthwiseActivation: .relu6, activation: .relu)
        #expect(fused.shape == expected.shape)
        let worst = zip(fused.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? 0
        #expect(worst < 1e-4)
        #expect(throws: FoveaError.self) {
            try separableConv2d(x, depthwiseWeight: dw, pointwiseWeight: try Tensor.zeros(shape: [3, 3, 48, 19]))
        }
    }
}
