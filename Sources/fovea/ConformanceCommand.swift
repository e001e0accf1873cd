import ArgumentParser
import Foundation
import Fovea

struct ConformanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conformance",
        abstract: "Check every conformance case under a folder against the library.",
        discussion: """
            Each case folder holds case.json and .npy tensors (channels-first, as ONNX \
            and PyTorch store them). Prints one line per case and a last line \
            'N passed, M failed'; exits with status 1 if any case fails or cannot be read.
            """
    )

    @Argument(help: "A folder of case folders.")
    var directory: String

    @Option(help: "Cap the instruction set (avx512, avx2, neon, scalar).")
    var isa: String?

    @Option(help: "Threads to use (0 = one per core).")
    var threads: Int?

    func run() throws {
        if let isa {
            guard let level = InstructionSet(rawValue: isa) else {
                throw ValidationError("unknown instruction set '\(isa)'; use avx512, avx2, neon or scalar")
            }
            CPU.instructionSet = level
        }
        if let threads {
            do { try Threads.setCount(threads) } catch { throw ValidationError(error.message) }
        }
        let root = URL(fileURLWithPath: directory)
        let folders: [URL]
        do { folders = try ConformanceCase.directories(in: root) } catch {
            print("error: \(error.message)")
            throw ExitCode(1)
        }
        if folders.isEmpty {
            print("error: no case folders (with case.json) under \(directory)")
            throw ExitCode(1)
        }
        var passed = 0, failed = 0
        for folder in folders {
            let result: ConformanceResult
            do {
                result = try ConformanceCase(directory: folder).run()
            } catch {
                result = ConformanceResult(
                    name: folder.lastPathComponent, passed: false, maxError: .nan, failure: error.message)
            }
            let error = result.maxError.isNaN ? "-" : String(format: "%.3g", result.maxError)
            var line = "\(result.name) \(result.passed ? "PASS" : "FAIL") max_err=\(error)"
            if let failure = result.failure { line += " (\(failure))" }
            print(line)
            if result.passed { passed += 1 } else { failed += 1 }
        }
        print("\(passed) passed, \(failed) failed")
        if failed > 0 { throw ExitCode(1) }
    }
}
