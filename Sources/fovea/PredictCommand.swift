import ArgumentParser
import Foundation
import Fovea

struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Run one network on an input tensor and write every output.",
        discussion: """
            The input is a .npy file or a safetensors file (its tensor 'input', or its only tensor): \
            NHWC float32, already preprocessed as the model's document says. The output file holds \
            every output of the network, NHWC, under the model's output names (for example out.reg \
            and out.prob). Wrong inputs exit with status 2.
            """
    )

    @Argument(help: "The model's name (see 'fovea summary').")
    var model: String

    @Option(help: "A safetensors file of the model's weights (case-study models default to seeded random weights).")
    var weights: String?

    @Option(help: "The weight file's layouts: pytorch (OIHW, [out, in]) or fovea (HWIO, [in, out]); default: the model's own.")
    var layout: String?

    @Option(help: "With darknet .weights: the network's .cfg (default: the model's built-in description).")
    var config: String?

    @Option(help: "The input tensor (.npy or .safetensors).")
    var input: String

    @Option(help: "The tensor to read from a safetensors input (default: 'input', or its only tensor).")
    var tensor: String?

    @Flag(help: "The input is channels-first (NCHW, as PyTorch stores it): transpose it to NHWC.")
    var channelsFirst = false

    @Option(help: "Where to write the outputs (.safetensors).")
    var output: String

    func run() throws { try exitingOnFoveaError(execute) }

    private func execute() throws(FoveaError) {
        let name = try parseModelName(model)
        let graph: Graph
        if let weights, weights.lowercased().hasSuffix(".weights") {
            graph = try darknetNetwork(name, weights: URL(fileURLWithPath: weights))
        } else {
            graph = try name.build(weights: try loadWeights(for: name))
        }
        var x = try readInput(URL(fileURLWithPath: input))
        if channelsFirst {
            guard x.rank == 4 else { throw .shapeMismatch("--channels-first needs an NCHW input, got \(x.shape)") }
            x = try x.nchwToNHWC()
        }
        // A single image without its batch axis (HWC) gets one.
        if x.rank == name.defaultInputShape.count - 1 { x = try x.reshaped(to: [1] + x.shape) }
        let outputs = try graph.outputs(x)
        try SafeTensorsFile(tensors: outputs, metadata: ["model": name.rawValue]).write(to: URL(fileURLWithPath: output))
        for outputName in graph.outputNames {
            print("\(outputName) \(outputs[outputName]!.shape)")
        }
    }

    private func darknetNetwork(_ name: ModelName, weights: URL) throws(FoveaError) -> Graph {
        if let config { return try Darknet.load(configuration: URL(fileURLWithPath: config), weights: weights) }
        guard name == .yolov3Tiny else {
            throw .invalidParameter("darknet .weights need --config FILE.cfg (only yolov3-tiny has a built-in one)")
        }
        let data: Data
        do { data = try Data(contentsOf: weights) } catch { throw .io("cannot read \(weights.path): \(error.localizedDescription)") }
        return try name.build(weights: try Darknet.readWeights(data, configuration: try name.darknetConfiguration!))
    }

    private func loadWeights(for name: ModelName) throws(FoveaError) -> ModelWeights {
        guard let weights else {
            if name.needsPretrainedWeights {
                throw .invalidParameter("\(name) needs its pretrained weights: pass --weights FILE")
            }
            return .random()
        }
        let convention: ModelWeights.Convention
        switch layout?.lowercased() {
        case nil: convention = name.weightConvention
        case "pytorch": convention = .pytorch
        case "fovea", "keras": convention = .fovea
        case let other?: throw .invalidParameter("unknown layout '\(other)'; use pytorch or fovea")
        }
        return try ModelWeights.read(contentsOf: URL(fileURLWithPath: weights), convention: convention)
    }

    private func readInput(_ url: URL) throws(FoveaError) -> Tensor {
        switch url.pathExtension.lowercased() {
        case "npy": return try NumPyFile.read(contentsOf: url)
        case "safetensors":
            let file = try SafeTensorsFile.read(contentsOf: url)
            if let tensor { return try file.tensor(named: tensor) }
            if let tensor = file.tensors["input"] { return tensor }
            guard file.tensors.count == 1, let only = file.tensors.values.first else {
                throw .invalidParameter(
                    "\(url.lastPathComponent) holds \(file.tensors.count) tensors and none is named 'input'")
            }
            return only
        default:
            throw .invalidParameter("the input must be a .npy or .safetensors file, got '\(url.lastPathComponent)'")
        }
    }
}
