import EigenPeer
import Foundation
import Fovea

/// `fovea-bench gemm --threads N [--quick]`: Fovea's `matmul` (the general
/// GEMM, `fovea_gemm`) beside Eigen's product on the same matrices, on shapes
/// from a matrix-vector product to square ones: dense layers at batch 1 to
/// 256, a ResNet 1x1 convolution as a product, and 1024 cubed. The two run in
/// turn, shape by shape, `rounds` times, and each prints its median over the
/// rounds of its median time. Eigen is built without OpenMP, so its figures
/// are one thread's whatever N is; Fovea's output is a new tensor each call,
/// as a user gets it, Eigen's a buffer allocated once.
func benchmarkGemm(options: BenchmarkOptions) {
    let shapes: [(m: Int, n: Int, k: Int, what: String)] = [
        (1, 4096, 4096, "matrix-vector (VGG fc at batch 1)"),
        (8, 1000, 2048, "ResNet-50 classifier, batch 8"),
        (16, 4096, 4096, "VGG fc, batch 16"),
        (64, 1000, 2048, "ResNet-50 classifier, batch 64"),
        (64, 4096, 4096, "VGG fc, batch 64"),
        (256, 4096, 4096, "VGG fc, batch 256"),
        (128, 512, 512, "small square-ish"),
        (512, 512, 2048, "deep"),
        (3136, 64, 576, "ResNet 3x3 56x56x64 as im2col"),
        (1024, 1024, 1024, "square"),
    ]
    let rounds = options.quick ? 1 : 3
    print("m,n,k,threads,fovea_ms,fovea_gflops,eigen_ms,eigen_gflops,fovea_over_eigen,max_difference,\"shape\"")
    for shape in shapes {
        do {
            let a = try Tensor.randomUniform(shape: [shape.m, shape.k], in: -1...1, seed: 1)
            let b = try Tensor.randomUniform(shape: [shape.k, shape.n], in: -1...1, seed: 2)
            let aValues = a.scalars, bValues = b.scalars
            var eigenOutput = [Float](repeating: 0, count: shape.m * shape.n)
            var foveaMedians = [Double](), eigenMedians = [Double]()
            var product = try matmul(a, b)
            for _ in 0..<rounds {
                foveaMedians.append(try timeIt(quick: options.quick) { product = try matmul(a, b) }.median)
                eigenMedians.append(timeIt(quick: options.quick) {
                    fovea_bench_eigen_sgemm(Int64(shape.m), Int64(shape.n), Int64(shape.k), aValues, bValues, &eigenOutput)
                }.median)
            }
            let difference = zip(product.scalars, eigenOutput).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
            let flops = 2 * Double(shape.m) * Double(shape.n) * Double(shape.k)
            let fovea = median(foveaMedians), eigen = median(eigenMedians)
            print(String(format: "%d,%d,%d,%d,%.4f,%.1f,%.4f,%.1f,%.2f,%.1e,\"%@\"", shape.m, shape.n, shape.k,
                         options.threads, fovea * 1e3, flops / fovea * 1e-9, eigen * 1e3, flops / eigen * 1e-9,
                         eigen / fovea, Double(difference), shape.what))
            fflush(nil)
        } catch {
            print("\(shape.m),\(shape.n),\(shape.k),\(options.threads),FAIL,,,,,,\"\(error)\"")
        }
    }
}

private func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? .nan : sorted[sorted.count / 2]
}
