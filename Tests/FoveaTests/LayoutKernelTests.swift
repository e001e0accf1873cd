import CKernels
import Testing
@testable import Fovea

/// The block-copying data-movement kernels against the reference ones over
/// random ranks, shapes, permutations and paddings (empty axes, axes of length
/// one and all-padding lines included).
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

    /// Bit for bit: merged neighbouring axes, rows copied whole, 16 x 16 blocks
    /// with ragged edges (axes up to 37 long), on one thread and two.
    @Test func transposeMatchesTheReference() throws {
        var sweep = Sweep(seed: 22)
        let saved = Threads.count
        defer { try? Threads.setCount(saved) }
        for threads in [1, 2] {
            try Threads.setCount(threads)
            for trial in 0..<300 {
                let rank = sweep.int(1...6)
                let shape = (0..<rank).map { _ in sweep.bool() ? sweep.int(0...3) : sweep.int(1...37) }
                let count = shape.reduce(1, *)
                guard count <= 200_000 else { continue }
                var perm = Array(0..<rank)
                for i in stride(from: rank - 1, to: 0, by: -1) { perm.swapAt(i, sweep.int(0...i)) }
                let x = try sweep.tensor([count]).scalars
                var fast = nanBuffer(count), reference = nanBuffer(count)
                let s = shape.map(Int64.init), p = perm.map(Int32.init)
                #expect(fovea_transpose(Int32(rank), s, p, x, &fast) == FOVEA_STATUS_SUCCESS)
                #expect(fovea_reference_transpose(Int32(rank), s, p, x, &reference) == FOVEA_STATUS_SUCCESS)
                #expect(fast.map(\.bitPattern) == reference.map(\.bitPattern),
                        "\(threads) threads, trial \(trial) shape \(shape) perm \(perm)")
            }
        }
    }
}
