import Testing
@testable import Fovea

extension ISASweep {
    @Suite struct RuntimeTests {
        @Test func instructionSetCapIsHonoured() {
            let saved = CPU.instructionSet
            defer { CPU.instructionSet = saved }
            #expect(CPU.availableInstructionSets.first == .scalar)
            #expect(CPU.availableInstructionSets.last == CPU.detectedInstructionSet)
            CPU.instructionSet = .scalar
            for family in KernelFamily.allCases { #expect(CPU.instructionSet(of: family) == .scalar) }
            CPU.instructionSet = .avx512
            // Clamped to what the machine has.
            #expect(CPU.instructionSet <= CPU.detectedInstructionSet)
            #expect(KernelFamily.allCases.allSatisfy { CPU.instructionSet(of: $0) <= CPU.instructionSet })
        }

        @Test func threadCountIsSettable() throws {
            let saved = Threads.count
            defer { try? Threads.setCount(saved) }
            try Threads.setCount(1)
            #expect(Threads.count == 1)
            try Threads.setCount(0)
            #expect(Threads.count == Threads.hardwareCount)
            #expect(throws: FoveaError.self) { try Threads.setCount(-1) }
        }

        @Test func concurrentCallersGetIdenticalResults() async throws {
            let x = try Tensor.randomUniform(shape: [2, 17, 19, 8], seed: 1)
            let w = try Tensor.randomUniform(shape: [3, 3, 8, 16], seed: 2)
            let expected = try conv2d(x, weight: w, padding: .same)
            try await withThrowingTaskGroup(of: Tensor.self) { group in
                for _ in 0..<8 { group.addTask { try conv2d(x, weight: w, padding: .same) } }
                for try await result in group { #expect(result == expected) }
            }
        }
    }
}
