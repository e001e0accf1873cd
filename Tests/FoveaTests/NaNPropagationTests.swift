import Testing
@testable import Fovea

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
