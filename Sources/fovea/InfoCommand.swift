import ArgumentParser
import Fovea

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show the CPU features found, the kernels chosen and the thread count."
    )

    func run() throws {
        print("CPU features:      \(CPU.features.isEmpty ? "(none)" : CPU.features.joined(separator: " "))")
        print("detected level:    \(CPU.detectedInstructionSet)")
        print("active level:      \(CPU.instructionSet)  (cap with FOVEA_ISA=avx512|avx2|neon|scalar)")
        print("threads:           \(Threads.count) of \(Threads.hardwareCount) cores")
        print("kernel families:")
        for family in KernelFamily.allCases {
            let name = family.description.padding(toLength: 16, withPad: " ", startingAt: 0)
            print("  \(name)\(CPU.instructionSet(of: family))")
        }
    }
}
