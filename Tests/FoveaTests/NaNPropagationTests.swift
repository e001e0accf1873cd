import Testing
@testable import Fovea
import CKernels

// A NaN in the input is a NaN in every output it reaches, on every path and
// every ISA level, exactly as in the reference kernels: activations and max
// pooling must not turn it into a number. (Winograd is left out: its
// transforms mix a tile's pixels, so a NaN or infinity reaches the whole
// output tile by design.)
extension ISASweep {
    @Suite struct NaNPropagationTests {
        static func input() throws -> Tensor {
            var x = try Tensor.randomUniform(shape: [1, 12, 12, 20], in: -1...1, seed: 50)
            try x.setValue(.nan, at: [0, 5, 6, 3])
            return x
        }

        @Test func convolutionActivationsKeepNaN() throws {
            let x = try Self.input()
            let w = try Tensor.randomUniform(shape: [3, 3, 20, 24], in: -1...1, seed: 51)
            for activation in [Activation.relu, .relu6, .leakyRelu(alpha: 0.1), .clamp(min: -0.5, max: 0.5)] {
                let reference = try Conv2D(weight: w, padding: .same, activation: activation, algorithm: .reference)(x)
                let expectedNaN = reference.scalars.map(\.isNaN)
                #expect(expectedNaN.contains(true))
                try forEachInstructionSet { level in
                    for algorithm in [ConvAlgorithm.direct, .gemm] {
                        let y = try Conv2D(weight: w, padding: .same, activation: activation, algorithm: algorithm)(x)
                        let same = y.scalars.map(\.isNaN) == expectedNaN
                        #expect(same, "\(level) \(algorithm) \(activation): NaN positions differ from the reference")
                    }
                }
            }
        }

        /// NaNs, infinities of both signs and signed zeros, bit for bit as the
        /// reference takes them (the first NaN of a window wins; of equal values
        /// the first is kept), on channel counts that fill vectors and that do not.
        @Test func maxPoolingTakesSpecialValuesAsTheReference() throws {
            let specials: [Float] = [.nan, .infinity, -.infinity, 0, -0.0, -.nan]
            for channels in [5, 8, 16, 24, 32] {
                for (kernel, step, pad) in [(2, 2, 0), (3, 2, 1), (3, 1, 1)] {
                    let g = try PoolingGeometry(
                        spatialRank: 2, input: [1, 9, 10, channels], kernel: Spatial(kernel), stride: Spatial(step),
                        padding: .explicit(begin: [pad, pad], end: [pad, pad]), dilation: Spatial(1), ceilMode: false)
                    var x = try Tensor.randomUniform(shape: [9 * 10 * channels], in: -1...1, seed: 52).scalars
                    for i in stride(from: 7, to: x.count, by: 11) { x[i] = specials[(i / 11) % specials.count] }
                    var desc = g.descriptor()
                    let outCount = g.outputShape.reduce(1, *)
                    var reference = nanBuffer(outCount)
                    #expect(fovea_reference_pool_max_forward(&desc, x, &reference) == FOVEA_STATUS_SUCCESS)
                    forEachInstructionSet { level in
                        var fast = nanBuffer(outCount)
                        #expect(fovea_pool_max_forward(&desc, x, &fast) == FOVEA_STATUS_SUCCESS)
                        let same = zip(fast, reference).allSatisfy { $0.isNaN ? $1.isNaN : $0.bitPattern == $1.bitPattern }
                        #expect(same, "\(level) c\(channels) k\(kernel) s\(step) p\(pad)")
                    }
                }
            }
        }

        @Test func maxPoolingKeepsNaN() throws {
            let x = try Self.input()
            let reference = try maxPool2d(x, kernel: 3, stride: 2, padding: .same)
            try forEachInstructionSet { level in
                let y = try maxPool2d(x, kernel: 3, stride: 2, padding: .same)
                let same = y.scalars.map(\.isNaN) == reference.scalars.map(\.isNaN)
                #expect(same, "\(level): NaN positions differ from the reference")
                #expect(y.scalars.map(\.isNaN).contains(true), "\(level)")
                #expect(try globalMaxPool(x).scalars.map(\.isNaN).contains(true), "\(level)")
            }
        }
    }
}
