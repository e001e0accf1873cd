import Testing
@testable import Fovea

// Results do not depend on the thread count: every kernel splits its work into
// chunks fixed by the problem, and every output element is summed by one chunk
// in a fixed order. Shapes here are large enough for the work to be split.
extension ISASweep {
    @Suite struct DeterminismTests {
        func compareThreadCounts(_ body: () throws -> [Tensor]) throws -> Bool {
            let saved = Threads.count
            defer { try? Threads.setCount(saved) }
            try Threads.setCount(1)
            let one = try body()
            try Threads.setCount(2)
            let two = try body()
            return one == two
        }

        @Test func everyFastPathIsBitIdenticalForOneAndTwoThreads() throws {
            let x = try Tensor.randomUniform(shape: [2, 30, 33, 40], in: -1...1, seed: 60)
            let w = try Tensor.randomUniform(shape: [3, 3, 40, 72], in: -1...1, seed: 61)
            let big = try Tensor.randomUniform(shape: [3, 3, 200, 150], in: -1...1, seed: 62)
            let xBig = try Tensor.randomUniform(shape: [1, 12, 12, 200], in: -1...1, seed: 63)
            // Weights beyond the cache at F(2x2) and F(4x4), with enough tiles that each thread
            // runs all three Winograd phases on its own tiles (F(4x4)'s 49 tiles make an odd number
            // of microkernel row groups on AVX-512 and AVX2, so the threads' shares differ).
            let wide3x3 = try Tensor.randomUniform(shape: [3, 3, 130, 136], in: -1...1, seed: 68)
            let xWide = try Tensor.randomUniform(shape: [1, 26, 27, 130], in: -1...1, seed: 69)
            // Weight panels larger than L1 go slice by slice, which changes the order of the sums
            // of one- and two-row microkernel calls, so they must slice alike on one thread and
            // two: 256 -> 64 channels on 12x12 (F(2x2) weights that stay in cache, four blocks of
            // 9 tiles, each ending in a 2-row call) and 256 -> 256 on 20x24 (streamed; 120 tiles,
            // which two threads share as 63 and 57, the last call of one row).
            let cachedSliced = try Tensor.randomUniform(shape: [3, 3, 256, 64], in: -1...1, seed: 70)
            let xCachedSliced = try Tensor.randomUniform(shape: [1, 12, 12, 256], in: -1...1, seed: 71)
            let streamedSliced = try Tensor.randomUniform(shape: [3, 3, 256, 256], in: -1...1, seed: 72)
            let xStreamedSliced = try Tensor.randomUniform(shape: [1, 20, 24, 256], in: -1...1, seed: 73)
            let dw = try Tensor.randomUniform(shape: [5, 5, 1, 40], in: -1...1, seed: 64)
            // 3x3 depthwise: rows in pairs (chunks of an even number of rows) and a map at most
            // 8 wide (one chunk per core), both split differently from the 5x5 one.
            let dw3 = try Tensor.randomUniform(shape: [3, 3, 1, 40], in: -1...1, seed: 74)
            let dwNarrow = try Tensor.randomUniform(shape: [3, 3, 1, 240], in: -1...1, seed: 75)
            let xNarrow = try Tensor.randomUniform(shape: [2, 7, 7, 240], in: -1...1, seed: 76)
            let pw = try Tensor.randomUniform(shape: [1, 1, 40, 33], in: -1...1, seed: 65)
            // 260 channels: the AVX2 Gram packs its blocks on one thread and reads them in place on two.
            let wide = try Tensor.randomUniform(shape: [1, 20, 30, 260], in: -1...1, seed: 67)
            try forEachInstructionSet { level in
                let same = try compareThreadCounts {
                    var outputs = [Tensor]()
                    for algorithm in [ConvAlgorithm.direct, .gemm, .winograd(tile: 2), .winograd(tile: 4), .winograd(tile: 6)] {
                        outputs.append(try Conv2D(weight: w, padding: .same, activation: .relu, algorithm: algorithm)(x))
                        outputs.append(try Conv2D(weight: big, padding: .same, algorithm: algorithm)(xBig))
                        outputs.append(try Conv2D(weight: wide3x3, padding: .same, algorithm: algorithm)(xWide))
                        outputs.append(try Conv2D(weight: cachedSliced, padding: .same, algorithm: algorithm)(xCachedSliced))
                        outputs.append(try Conv2D(weight: streamedSliced, padding: .same, algorithm: algorithm)(xStreamedSliced))
                    }
                    outputs.append(try conv2d(x, weight: dw, stride: 2, padding: .same, groups: 40))
                    outputs.append(try conv2d(x, weight: dw3, padding: .same, groups: 40))
                    outputs.append(try conv2d(x, weight: dw3, stride: 2, padding: .same, groups: 40))
                    outputs.append(try conv2d(xNarrow, weight: dwNarrow, padding: .same, groups: 240))
                    outputs.append(try separableConv2d(x, depthwiseWeight: dw, pointwiseWeight: pw, padding: .same))
                    outputs.append(try conv2dTransposed(x, weight: try Tensor.randomUniform(shape: [2, 2, 16, 40], seed: 66), stride: 2))
                    outputs.append(try gramMatrix(x))
                    outputs.append(try gramMatrix(wide))
                    outputs.append(try maxPool2d(x, kernel: 3, stride: 2, padding: .same))
                    outputs.append(try batchNormStatistics(x).variance)
                    outputs.append(try softmax(x))
                    outputs.append(try resize(x, height: 47, width: 51))
                    return outputs
                }
                #expect(same, "\(level): results differ between one and two threads")
            }
        }
    }
}
