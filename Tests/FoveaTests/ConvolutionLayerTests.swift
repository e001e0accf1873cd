import Testing
@testable import Fovea

@Suite struct ConvolutionLayerTests {
    @Test func layersMatchTheFunctionalCalls() throws {
        let signal = try Tensor.randomUniform(shape: [2, 37, 6], in: -1...1, seed: 70)
        let w1 = try Tensor.randomUniform(shape: [5, 6, 9], in: -1...1, seed: 71)
        let conv1 = try Conv1D(weight: w1, stride: 2, padding: .same, activation: .relu)
        #expect(try conv1(signal) == conv1d(signal, weight: w1, stride: 2, padding: .same, activation: .relu))
        #expect(try conv1.outputShape(for: [2, 37, 6]) == [2, 19, 9])
        #expect(conv1.parameterCount == 5 * 6 * 9)

        let volume = try Tensor.randomUniform(shape: [1, 6, 7, 8, 3], in: -1...1, seed: 72)
        let w3 = try Tensor.randomUniform(shape: [3, 3, 3, 3, 4], in: -1...1, seed: 73)
        let b3 = try Tensor.randomUniform(shape: [4], in: -1...1, seed: 74)
        let conv3 = try Conv3D(weight: w3, bias: b3, padding: .same)
        #expect(try conv3(volume) == conv3d(volume, weight: w3, bias: b3, padding: .same))
        #expect(conv3.parameterCount == 27 * 12 + 4)

        let image = try Tensor.randomUniform(shape: [1, 17, 19, 12], in: -1...1, seed: 75)
        let wd = try Tensor.randomUniform(shape: [3, 3, 1, 24], in: -1...1, seed: 76)
        let depthwise = try DepthwiseConv2D(weight: wd, channels: 12, stride: 2, padding: .same, activation: .relu6)
        let expected = try conv2d(image, weight: wd, stride: 2, padding: .same, groups: 12, activation: .relu6)
        let worst = zip(try depthwise(image).scalars, expected.scalars).map { abs($0 - $1) }.max() ?? 0
        #expect(worst < 1e-5)
        #expect(throws: FoveaError.self) { try DepthwiseConv2D(weight: wd, channels: 5) }

        let conv2 = try Conv2D(weight: try Tensor.zeros(shape: [3, 3, 12, 8]), bias: try Tensor.zeros(shape: [8]))
        #expect(conv2.parameterCount == 3 * 3 * 12 * 8 + 8)
        #expect(Set(conv2.parameters.keys) == ["weight", "bias"])
    }
}
