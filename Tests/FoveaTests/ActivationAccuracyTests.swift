import CKernels
import Testing
@testable import Fovea

// The exp-based activations against double precision, under every ISA level:
// sigmoid and tanh within 2e-6 relative (absolute 1e-30 below that scale),
// softmax within 1e-5 relative — the bounds transcendental.h states.
extension ISASweep {
    @Suite struct ActivationAccuracyTests {
        static let inputs: [Float] = {
            var values: [Float] = [0, -0.0, 1e-8, -1e-8, 0.05, -0.05, 0.0999, 0.1, 0.1001, 0.5, -0.5, 1, -1, 3, -3,
                                   10, -10, 20, -20, 40, -40, 87, -87, 88.5, -88.5, 100, -100, 1e10, -1e10]
            var generator = SeededGenerator(seed: 21)
            for _ in 0..<4000 { values.append((generator.nextUnitFloat() - 0.5) * 60) }
            for _ in 0..<1000 { values.append((generator.nextUnitFloat() - 0.5) * 0.4) }
            return values
        }()

        @Test func sigmoidAndTanhWithinTheirBounds() throws {
            let x = Self.inputs
            forEachInstructionSet { level in
                for (kind, exact) in [(FOVEA_ACTIVATION_SIGMOID, { (v: Double) in 1 / (1 + Foundation.exp(-v)) }),
                                      (FOVEA_ACTIVATION_TANH, { (v: Double) in Foundation.tanh(v) })] {
                    var act = fovea_activation(kind: kind, alpha: 0, beta: 0)
                    var y = nanBuffer(x.count)
                    #expect(fovea_activation_forward(&act, Int64(x.count), x, &y) == FOVEA_STATUS_SUCCESS)
                    var worst = 0.0
                    for i in 0..<x.count {
                        let want = exact(Double(x[i]))
                        let error = abs(Double(y[i]) - want)
                        if error > 1e-30 { worst = max(worst, error / max(abs(want), 1e-30)) }
                    }
                    #expect(worst <= 2e-6, "\(level) \(kind): largest relative error \(worst)")
                }
            }
        }

        @Test func softmaxWithinItsBound() throws {
            var sweep = Sweep(seed: 22)
            try forEachInstructionSet { level in
                for (outer, axis, inner) in [(3, 1000, 1), (2, 17, 1), (4, 10, 35), (1, 1, 1), (2, 5, 7)] {
                    let x = try sweep.tensor([outer * axis * inner], scale: 20).scalars
                    var y = nanBuffer(x.count)
                    #expect(fovea_softmax_forward(Int64(outer), Int64(axis), Int64(inner), x, &y) == FOVEA_STATUS_SUCCESS)
                    var worst = 0.0
                    for o in 0..<outer {
                        for i in 0..<inner {
                            let row = (0..<axis).map { Double(x[(o * axis + $0) * inner + i]) }
                            let m = row.max()!
                            let total = row.reduce(0) { $0 + Foundation.exp($1 - m) }
                            for a in 0..<axis {
                                let want = Foundation.exp(row[a] - m) / total
                                let error = abs(Double(y[(o * axis + a) * inner + i]) - want)
                                if error > 1e-30 { worst = max(worst, error / max(want, 1e-30)) }
                            }
                        }
                    }
                    #expect(worst <= 1e-5, "\(level) softmax \(outer)x\(axis)x\(inner): \(worst)")
                }
            }
        }
    }
}

import Foundation
