import Foundation
import Testing
@testable import Fovea

extension ISASweep {
    @Suite struct ConformanceTests {
        @Test func everyCasePassesUnderEveryInstructionSet() throws {
            let folders = try ConformanceCase.directories(in: Fixtures.conformance)
            #expect(folders.count == 218)
            let cases = try folders.map { try ConformanceCase(directory: $0) }
            forEachInstructionSet { level in
                var failures = [String]()
                for testCase in cases {
                    let result = testCase.run()
                    if !result.passed { failures.append("\(result.name): \(result.failure ?? "?")") }
                }
                #expect(failures.isEmpty, "\(level): \(failures.count) failed: \(failures.prefix(10))")
            }
        }

        /// More ONNX node tests (onnx 1.17) and random PyTorch cases, with the
        /// shapes the first set lacks: PReLU slopes along several axes,
        /// Resize on 3-D and 5-D tensors and along the channel axis, Pad's
        /// edge, reflect and wrap modes.
        @Test func extraCasesPassUnderEveryInstructionSet() throws {
            let folders = try ConformanceCase.directories(in: Fixtures.conformanceExtra)
            #expect(folders.count == 288)
            let cases = try folders.map { try ConformanceCase(directory: $0) }
            forEachInstructionSet { level in
                let failures = cases.map { $0.run() }.filter { !$0.passed }.map { "\($0.name): \($0.failure ?? "?")" }
                #expect(failures.isEmpty, "\(level): \(failures.count) failed: \(failures.prefix(10))")
            }
        }

        @Test func resultsAreBitIdenticalForOneAndTwoThreads() throws {
            let saved = Threads.count
            defer { try? Threads.setCount(saved) }
            let folders = try ConformanceCase.directories(in: Fixtures.conformance)
            let cases = try folders.map { try ConformanceCase(directory: $0) }
                .filter { ["Conv", "ConvTranspose", "MaxPool", "AveragePool", "Gemm", "GramMatrix"].contains($0.op) }
            try Threads.setCount(1)
            let single = try cases.map { try $0.execute() }
            try Threads.setCount(2)
            let double = try cases.map { try $0.execute() }
            for (index, testCase) in cases.enumerated() {
                for (name, tensor) in single[index] {
                    #expect(double[index][name] == tensor, "\(testCase.name) \(name) differs between thread counts")
                }
            }
        }

        @Test func malformedCaseIsAFailureNotACrash() throws {
            let folder = FileManager.default.temporaryDirectory
                .appendingPathComponent("fovea-bad-case-\(UInt64.random(in: 0...UInt64.max))")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            // Valid JSON naming a tensor file that does not exist.
            let json = #"{"name": "bad", "op": "Relu", "family": "relu", "inputs": [{"name": "X"}], "outputs": [{"name": "Y"}]}"#
            try json.write(to: folder.appendingPathComponent("case.json"), atomically: true, encoding: .utf8)
            let result = try ConformanceCase(directory: folder).run()
            #expect(!result.passed)
            #expect(result.failure?.contains("cannot read") == true)
            try "{ not json".write(to: folder.appendingPathComponent("case.json"), atomically: true, encoding: .utf8)
            #expect(throws: FoveaError.self) { try ConformanceCase(directory: folder) }
        }
    }
}
