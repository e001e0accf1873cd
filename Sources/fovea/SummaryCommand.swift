import ArgumentParser
import Foundation
import Fovea

struct SummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Print a model's layers, output shapes and parameter counts.",
        discussion: "Models: \(ModelName.allCases.map(\.rawValue).joined(separator: ", ")). Weights are not needed."
    )

    @Argument(help: "The model's name.")
    var model: String

    @Option(help: "The input shape, NHWC, comma-separated (default: the model's usual input).")
    var inputShape: String?

    func run() throws { try exitingOnFoveaError(execute) }

    private func execute() throws(FoveaError) {
        let name = try parseModelName(model)
        let shape = try inputShape.map(parseShape) ?? name.defaultInputShape
        let graph = try name.build()
        print("\(name) on input \(shape)")
        print(try graph.summary(inputShape: shape))
    }
}

func parseModelName(_ text: String) throws(FoveaError) -> ModelName {
    guard let name = ModelName(rawValue: text.lowercased()) else {
        throw .invalidParameter(
            "unknown model '\(text)'; the models are \(ModelName.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return name
}

func parseShape(_ text: String) throws(FoveaError) -> [Int] {
    let parts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? 0) > 0 }) else {
        throw .invalidParameter("a shape is positive integers separated by commas, like 1,224,224,3; got '\(text)'")
    }
    return parts.map { $0! }
}

/// Runs a command's body; a library error is printed (for a person) and
/// exits with status 2, the tool's status for bad input.
func exitingOnFoveaError(_ body: () throws(FoveaError) -> Void) throws {
    do { try body() } catch {
        printError(error.message)
        throw ExitCode(2)
    }
}

func printError(_ message: String) {
    var standardError = StandardError()
    print("error: \(message)", to: &standardError)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) { FileHandle.standardError.write(Data(string.utf8)) }
}
