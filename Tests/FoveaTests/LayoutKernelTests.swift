import CKernels
import Testing
@testable import Fovea

/// The block-copying data-movement kernels against the reference ones over
/// random ranks, shapes and paddings (empty axes and all-padding lines included).
@Suite struct LayoutKernelTests {
    @Test func constantPaddingMatchesTheReference() throws {
        var sweep = Sweep(seed: 21)
        for trial in 0..<200 {
            let rank = sweep.int(1...5)
            let shape = (0..<rank).map { _ in sweep.int(0...5) }
            let begin = (0..<rank).map { _ in sweep.bool() ? 0 : sweep.int(0...3) }
            let end = (0..<rank).map { _ in sweep.bool() ? 0 : sweep.int(0...3) }
            let count = shape.reduce(1, *)
            let outCount = (0..<rank).map { shape[$0] + begin[$0] + end[$0] }.reduce(1, *)
            let x = try sweep.tensor([count]).scalars
            let value: Float = sweep.bool() ? 0 : -1.5
            var fast = nanBuffer(outCount), reference = nanBuffer(outCount)
            let s = shape.map(Int64.init), b = begin.map(Int64.init), e = end.map(Int64.init)
            #expect(fovea_pad_forward(FOVEA_PAD_CONSTANT, Int32(rank), s, b, e, value, x, &fast) == FOVEA_STATUS_SUCCESS)
            #expect(fovea_reference_pad_forward(FOVEA_PAD_CONSTANT, Int32(rank), s, b, e, value, x, &reference) == FOVEA_STATUS_SUCCESS)
            #expect(Array(fast.prefix(outCount)) == Array(reference.prefix(outCount)),
                    "trial \(trial) shape \(shape) pad \(begin)/\(end)")
        }
    }
}
