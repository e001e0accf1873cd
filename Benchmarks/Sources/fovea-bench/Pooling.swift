import Foundation
import Fovea

/// `fovea-bench pooling --threads N [--quick]`: pooling forward and backward
/// on the pooling layers of the case-study networks, one line each with the
/// median time and the bytes moved per second (input read plus output
/// written, gradients counted alike).
func benchmarkPooling(options: BenchmarkOptions) {
    let layers: [(name: String, shape: [Int], kernel: Int, stride: Int, padding: Padding)] = [
        ("vgg_block1_pool", [1, 224, 224, 64], 2, 2, .valid),
        ("r50_pool1", [1, 112, 112, 64], 3, 2, .explicit(begin: [1, 1], end: [1, 1])),
        ("alexnet_pool5", [1, 13, 13, 256], 3, 2, .valid),
        ("lenet5_pool1_b64", [64, 28, 28, 6], 2, 2, .valid),
        ("yolo_tiny_pool1", [1, 416, 416, 16], 2, 2, .valid),
        ("yolo_tiny_pool2", [1, 208, 208, 32], 2, 2, .valid),
    ]
    print("layer,operation,threads,median_ms,GB/s")
    for layer in layers {
        do {
            let x = try Tensor.randomUniform(shape: layer.shape, in: -1...1, seed: 1)
            let y = try pool(.max, x, spatialRank: 2, kernel: Spatial(layer.kernel), stride: Spatial(layer.stride), padding: layer.padding)
            let dy = try Tensor.randomUniform(shape: y.shape, in: -1...1, seed: 2)
            let bytes = Double(x.count + y.count) * 4
            let operations: [(String, Double, () throws -> Void)] = [
                ("max", bytes, { _ = try pool(.max, x, spatialRank: 2, kernel: Spatial(layer.kernel), stride: Spatial(layer.stride), padding: layer.padding) }),
                ("avg", bytes, { _ = try pool(.average(countIncludesPadding: false), x, spatialRank: 2, kernel: Spatial(layer.kernel), stride: Spatial(layer.stride), padding: layer.padding) }),
                ("lp2", bytes, { _ = try pool(.lp(p: 2), x, spatialRank: 2, kernel: Spatial(layer.kernel), stride: Spatial(layer.stride), padding: layer.padding) }),
                ("max_backward", bytes * 2, { _ = try poolBackward(.max, input: x, outputGradient: dy, spatialRank: 2, kernel: Spatial(layer.kernel), stride: Spatial(layer.stride), padding: layer.padding) }),
                ("avg_backward", bytes, { _ = try poolBackward(.average(countIncludesPadding: false), input: x, outputGradient: dy, spatialRank: 2, kernel: Spatial(layer.kernel), stride: Spatial(layer.stride), padding: layer.padding) }),
            ]
            for (operation, moved, body) in operations {
                let timing = try timeIt(quick: options.quick, body)
                print(String(format: "%@,%@,%d,%.4f,%.2f", layer.name, operation, options.threads, timing.median * 1e3,
                             moved / timing.median * 1e-9))
                fflush(nil)
            }
        } catch {
            print("\(layer.name),FAIL,\(options.threads),,\"\(error)\"")
        }
    }
}
