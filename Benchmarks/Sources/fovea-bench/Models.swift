import Foundation
import Fovea

/// Whole-network latency: `fovea-bench models --threads N [--quick] [--only a,b]`
/// prints `fovea,model,<network>,<threads>,median_ms,,best_ms,samples,"note"`.
/// The case-study networks run on seeded random weights; the real networks on
/// their published weights (the repository's fixtures, and darknet's files in
/// the cache Scripts/fetch-models fills).
struct ModelBenchmark: Sendable {
    var name: ModelName
    var batch: Int
    var weights: @Sendable () throws -> ModelWeights

    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Tests/Fixtures/models")

    static var darknetWeights: URL {
        FileCache.directory.appendingPathComponent("yolov3-tiny/yolov3-tiny.weights")
    }

    static let all: [ModelBenchmark] = [
        ModelBenchmark(name: .resnet50, batch: 1) { .random(seed: 1) },
        ModelBenchmark(name: .mobilenetV2, batch: 1) { .random(seed: 1) },
        ModelBenchmark(name: .vgg16, batch: 1) { .random(seed: 1) },
        ModelBenchmark(name: .yolov3Tiny, batch: 1) {
            try Darknet.readWeights(
                try Data(contentsOf: darknetWeights), configuration: try ModelName.yolov3Tiny.darknetConfiguration!)
        },
        ModelBenchmark(name: .mtcnnONet, batch: 16) {
            try .read(contentsOf: fixtures.appendingPathComponent("mtcnn.safetensors"), convention: .pytorch)
        },
        ModelBenchmark(name: .dlibFaceResNet, batch: 1) {
            try .read(contentsOf: fixtures.appendingPathComponent("dlib_face_resnet_v1.safetensors"), convention: .pytorch)
        },
        // The other case studies, Fovea alone (no onnxruntime counterpart in run-models.sh).
        ModelBenchmark(name: .lenet5, batch: 1) { .random(seed: 1) },
        ModelBenchmark(name: .alexnet, batch: 1) { .random(seed: 1) },
        ModelBenchmark(name: .vgg19, batch: 1) { .random(seed: 1) },
        ModelBenchmark(name: .inceptionV1, batch: 1) { .random(seed: 1) },
        ModelBenchmark(name: .mobilenetV1, batch: 1) { .random(seed: 1) },
        ModelBenchmark(name: .unet, batch: 1) { .random(seed: 1) },
        ModelBenchmark(name: .mtcnnPNet, batch: 1) {
            try .read(contentsOf: fixtures.appendingPathComponent("mtcnn.safetensors"), convention: .pytorch)
        },
        ModelBenchmark(name: .mtcnnRNet, batch: 16) {
            try .read(contentsOf: fixtures.appendingPathComponent("mtcnn.safetensors"), convention: .pytorch)
        },
        ModelBenchmark(name: .blazeface, batch: 1) {
            try .read(contentsOf: fixtures.appendingPathComponent("blazeface_short_range.safetensors"), convention: .pytorch)
        },
    ]
}

extension ModelBenchmark {
    /// The benchmarks `--only` selects (all without it).
    static func selected(_ options: BenchmarkOptions) -> [ModelBenchmark] {
        all.filter { options.only.isEmpty || options.only.contains($0.name.rawValue) }
    }

    /// The network with its weights, and a seeded input of its batch.
    func prepare() throws -> (model: Graph, input: Tensor, shape: [Int]) {
        let model = try name.build(weights: try weights())
        var shape = name.defaultInputShape
        shape[0] = batch
        return (model, try Tensor.randomUniform(shape: shape, in: 0...1, seed: 5), shape)
    }
}

/// onnxruntime/models.py's timing rule, so that both sides of a ratio are
/// sampled alike: three warm-up runs, one run to size the count, then 5 to 50
/// single runs filling about 2 s (0.5 s quick). The layer harness's shorter
/// 0.35 s window let one burst of the shared host's load move a network's
/// median that onnxruntime's longer window absorbed.
func timeNetwork(quick: Bool, _ body: () throws -> Void) rethrows -> Timing {
    for _ in 0..<3 { try body() }
    let start = now()
    try body()
    let one = now() - start
    let budget = quick ? 0.5 : 2.0
    let count = max(5, min(50, Int(budget / max(one, 1e-6))))
    return try sample(count: count, inner: 1, body)
}

func benchmarkModels(options: BenchmarkOptions) {
    for benchmark in ModelBenchmark.selected(options) {
        do {
            let (model, input, shape) = try benchmark.prepare()
            let timing = try timeNetwork(quick: options.quick) { _ = try model.outputs(input) }
            let cycles = timing.cycles.map { String(format: " cycles=%.0f", $0) } ?? ""
            print(String(
                format: "fovea,model,%@,%d,%.4f,,%.4f,%d,\"batch %d, input %@%@\"", benchmark.name.rawValue,
                options.threads, timing.median * 1e3, timing.best * 1e3, timing.samples, benchmark.batch,
                shape.map(String.init).joined(separator: "x"), cycles))
            fflush(nil)
        } catch {
            print("fovea,model,\(benchmark.name.rawValue),\(options.threads),,,,0,\"FAIL: \(error)\"")
        }
    }
}

/// `fovea-bench profile --only NAME`: each layer's lower-quartile time over
/// many runs (after a warm-up) and its share of their sum. The quartile, not
/// the mean, because a shared host's stalls land on whichever layer is running.
func profileModels(options: BenchmarkOptions) {
    let runs = options.quick ? 5 : 40
    for benchmark in ModelBenchmark.selected(options) {
        do {
            let (model, input, _) = try benchmark.prepare()
            for _ in 0..<3 { _ = try model.outputs(input) }
            var samples = [String: [Double]](), order = [String]()
            let faultsBefore = minorPageFaults()
            for _ in 0..<runs {
                for (layer, seconds) in try model.profile(input) {
                    if samples[layer] == nil { order.append(layer) }
                    samples[layer, default: []].append(seconds)
                }
            }
            let faults = (minorPageFaults() - faultsBefore) / runs
            let quartile = samples.mapValues { $0.sorted()[$0.count / 4] }
            let sum = quartile.values.reduce(0, +)
            print("\(benchmark.name): \(String(format: "%.3f", sum * 1e3)) ms (sum of lower quartiles over \(runs) runs), \(faults) page faults per run")
            for layer in order.sorted(by: { quartile[$0]! > quartile[$1]! }).prefix(options.quick ? 25 : 400) {
                print("  " + layer.padding(toLength: 34, withPad: " ", startingAt: 0) + String(format: "%8.3f ms  %5.1f%%", quartile[layer]! * 1e3, 100 * quartile[layer]! / sum))
            }
        } catch {
            print("\(benchmark.name): \(error)")
        }
    }
}

/// Minor page faults of this process so far: fresh pages an inference touches
/// (each costs a fault and a zeroing).
func minorPageFaults() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_minflt
}
