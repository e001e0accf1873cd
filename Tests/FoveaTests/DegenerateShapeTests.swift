import Testing
@testable import Fovea

// Empty batches and empty channel axes either give empty results or throw a
// FoveaError; nothing crashes or reads out of bounds.
extension ISASweep {
    @Suite struct DegenerateShapeTests {
        @Test func emptyInputsNeverCrash() throws {
            let emptyBatch = try Tensor.zeros(shape: [0, 8, 8, 4])
            let w = try Tensor.zeros(shape: [3, 3, 4, 6])
            try forEachInstructionSet { _ in
                for algorithm in [ConvAlgorithm.auto, .direct, .gemm, .winograd(tile: 4), .reference] {
                    let y = try? Conv2D(weight: w, padding: .same, algorithm: algorithm)(emptyBatch)
                    #expect(y == nil || y?.shape == [0, 8, 8, 6])
                }
                #expect((try? maxPool2d(emptyBatch, kernel: 2))?.count ?? 0 == 0)
                #expect((try? globalAvgPool(emptyBatch))?.shape ?? [0, 4] == [0, 4])
                #expect((try? relu(emptyBatch))?.count ?? 0 == 0)
                #expect((try? softmax(emptyBatch))?.count ?? 0 == 0)
                #expect((try? resize(emptyBatch, height: 4, width: 4))?.count ?? 0 == 0)
                #expect((try? gramMatrix(emptyBatch))?.count ?? 0 == 0)
                #expect((try? conv2dTransposed(emptyBatch, weight: try Tensor.zeros(shape: [2, 2, 3, 4]), stride: 2))?.count ?? 0 == 0)
                let noChannels = try Tensor.zeros(shape: [1, 4, 4, 0])
                _ = try? conv2d(noChannels, weight: try Tensor.zeros(shape: [3, 3, 0, 2]), padding: .same)
                _ = try? maxPool2d(noChannels, kernel: 2)
                _ = try? gramMatrix(noChannels)
                _ = try? batchNormStatistics(noChannels)
                _ = try? dense(try Tensor.zeros(shape: [0, 5]), weight: try Tensor.zeros(shape: [5, 3]))
                _ = try? matmul(try Tensor.zeros(shape: [2, 0]), try Tensor.zeros(shape: [0, 3]))
            }
        }
    }
}
