import ArgumentParser

@main
struct FoveaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fovea",
        abstract: "Convolutional networks on the CPU: kernels, models, detection, faces and style.",
        subcommands: [InfoCommand.self, SummaryCommand.self, PredictCommand.self, TrainCommand.self, ConformanceCommand.self]
    )
}
