// The benchmark protocol of shared/peers (README "Putting Fovea in the same
// table"): `fovea-bench conv-layers --threads N [--quick] --layers-file PATH
// [--only a,b]` prints one CSV row per layer and variant:
//   peer,variant,layer,threads,median_ms,median_gflops,best_gflops,samples,"note"
// Inputs and weights are the harness's deterministic values, outputs are
// spot-checked against a float64 reference, weight packing happens before
// timing, and input and output buffers are allocated once.
import Foundation
import Fovea

let arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first, ["conv-layers", "winograd-accuracy", "models", "profile", "pooling", "gemm"].contains(command) else {
    FileHandle.standardError.write("""
        usage: fovea-bench conv-layers --threads N [--quick] --layers-file PATH [--only a,b]
                   [--all-tiles] [--variants direct,winograd-f4,...] [--cycles]
               fovea-bench winograd-accuracy --layers-file PATH [--only a,b]
               fovea-bench models|profile --threads N [--quick] [--only resnet50,...] [--cycles]
                   [--no-winograd]
               fovea-bench pooling --threads N [--quick]
               fovea-bench gemm --threads N [--quick]

        """.data(using: .utf8)!)
    exit(2)
}
let options = BenchmarkOptions(arguments.dropFirst())
countCycles = options.cycles
ConvAlgorithm.winogradEnabled = options.winograd
do {
    try Threads.setCount(options.threads)
} catch {
    FileHandle.standardError.write("\(error)\n".data(using: .utf8)!)
    exit(2)
}
if command == "profile" {
    profileModels(options: options)
    exit(0)
}
if command == "gemm" {
    benchmarkGemm(options: options)
    exit(0)
}
if command == "pooling" {
    benchmarkPooling(options: options)
    exit(0)
}
if command == "models" {
    benchmarkModels(options: options)
    exit(0)
}
let layers: [LayerSpec]
do {
    layers = try LayerSpec.load(from: options.layersFile, quick: options.quick, only: options.only)
} catch {
    FileHandle.standardError.write("cannot read \(options.layersFile): \(error)\n".data(using: .utf8)!)
    exit(2)
}
if command == "winograd-accuracy" {
    measureWinogradAccuracy(layers)
    exit(0)
}
for layer in layers {
    switch layer.kind {
    case "conv", "dw": benchmarkConvolution(layer, options: options)
    case "gram": benchmarkGram(layer, options: options)
    default: emitFailure(layer, variant: "auto", threads: options.threads, why: "unknown kind \(layer.kind)")
    }
}
