import Foundation
import Testing
@testable import Fovea

/// The repository's test fixtures (tests never read ../shared at run time).
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Support
        .deletingLastPathComponent()  // FoveaTests
        .deletingLastPathComponent()  // Tests
        .appendingPathComponent("Fixtures")
    static let conformance = root.appendingPathComponent("conformance")
    static let conformanceExtra = root.appendingPathComponent("conformance-extra")
    static let models = root.appendingPathComponent("models")
}

/// Runs `body` once per instruction-set level this machine has, restoring the
/// level afterwards. Tests that use it live in ``ISASweep`` so that they never
/// run concurrently with each other.
func forEachInstructionSet(_ body: (InstructionSet) throws -> Void) rethrows {
    let saved = CPU.instructionSet
    defer { CPU.instructionSet = saved }
    for level in CPU.availableInstructionSets {
        CPU.instructionSet = level
        #expect(CPU.instructionSet == level)
        try body(level)
    }
}

/// A reproducible source of random shapes and values for kernel sweeps.
struct Sweep {
    var generator: SeededGenerator

    init(seed: UInt64) { generator = SeededGenerator(seed: seed) }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &generator) }
    mutating func bool() -> Bool { Bool.random(using: &generator) }
    mutating func seed() -> UInt64 { generator.next() }

    mutating func tensor(_ shape: [Int], scale: Float = 1) throws -> Tensor {
        try Tensor.randomUniform(shape: shape, in: -scale...scale, seed: seed())
    }
}

/// Largest absolute difference, scaled like the conformance rule:
/// passes when every |a − b| ≤ atol·max(1, max|b|) + rtol·|b|.
func expectClose(
    _ got: [Float], _ expected: [Float], atol: Float = 1e-5, rtol: Float = 1e-4,
    _ context: @autoclosure () -> String, sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(got.count == expected.count, "\(context()): sizes differ", sourceLocation: sourceLocation)
    let magnitude = expected.reduce(Float(0)) { max($0, abs($1)) }
    var worst: Float = 0
    var worstIndex = -1
    for i in 0..<min(got.count, expected.count) {
        let difference = abs(got[i] - expected[i])
        let bound = atol * max(1, magnitude) + rtol * abs(expected[i])
        if !(difference <= bound) && (difference.isNaN || difference > worst || worstIndex < 0) {
            worst = difference.isNaN ? .nan : difference
            worstIndex = i
        }
    }
    #expect(
        worstIndex < 0,
        "\(context()): element \(worstIndex) is \(worstIndex >= 0 ? got[worstIndex] : 0), expected \(worstIndex >= 0 ? expected[worstIndex] : 0)",
        sourceLocation: sourceLocation)
}

/// A buffer pre-filled with NaN, so that an element a kernel forgets to
/// write shows up in the comparison.
func nanBuffer(_ count: Int) -> [Float] { [Float](repeating: .nan, count: max(count, 1)) }

/// The parent of every test that changes the global instruction-set cap or the
/// thread count: serialised so that no test sees another's setting.
@Suite(.serialized) struct ISASweep {}
