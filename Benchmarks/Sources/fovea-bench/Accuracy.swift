import Foundation
import Fovea

/// For every 3x3 stride-1 layer: the largest error of each algorithm over the
/// whole output against a float64 direct convolution, relative to the largest
/// output magnitude (max |y - ref| / max |ref|). Prints a markdown table.
func measureWinogradAccuracy(_ layers: [LayerSpec]) {
    let algorithms: [(String, ConvAlgorithm)] = [
        ("direct", .direct), ("F(2x2,3x3)", .winograd(tile: 2)), ("F(4x4,3x3)", .winograd(tile: 4)),
        ("F(6x6,3x3)", .winograd(tile: 6)),
    ]
    print("| layer | " + algorithms.map(\.0).joined(separator: " | ") + " |")
    print("|---|" + String(repeating: "--:|", count: algorithms.count))
    for layer in layers where layer.kind == "conv" && layer.r == 3 && layer.s == 3 && layer.stride == 1 {
        do {
            var x = [Float](repeating: 0, count: layer.h * layer.w * layer.c)
            for h in 0..<layer.h { for w in 0..<layer.w { for c in 0..<layer.c { x[(h * layer.w + w) * layer.c + c] = xval(c, h, w) } } }
            var wt = [Float](repeating: 0, count: 9 * layer.c * layer.k)
            for r in 0..<3 { for s in 0..<3 { for c in 0..<layer.c { for k in 0..<layer.k {
                wt[((r * 3 + s) * layer.c + c) * layer.k + k] = wval(k, c, r, s)
            } } } }
            let reference = float64Convolution(layer, x: x, w: wt)
            let scale = reference.reduce(0.0) { max($0, abs($1)) }
            let input = try Tensor(shape: [1, layer.h, layer.w, layer.c], scalars: x)
            let weight = try Tensor(shape: [3, 3, layer.c, layer.k], scalars: wt)
            var cells = [String]()
            for (_, algorithm) in algorithms {
                let y = try Conv2D(weight: weight, padding: .uniform(layer.pad), algorithm: algorithm)(input).scalars
                var worst = 0.0
                for i in 0..<y.count { worst = max(worst, abs(Double(y[i]) - reference[i])) }
                cells.append(String(format: "%.1e", worst / scale))
            }
            print("| \(layer.name) | " + cells.joined(separator: " | ") + " |")
        } catch {
            print("| \(layer.name) | FAIL: \(error) |")
        }
    }
}

/// Direct convolution in double precision (NHWC, HWIO, batch 1, groups 1).
func float64Convolution(_ layer: LayerSpec, x: [Float], w: [Float]) -> [Double] {
    let (oh, ow) = (layer.outH, layer.outW)
    var y = [Double](repeating: 0, count: oh * ow * layer.k)
    var accumulator = [Double](repeating: 0, count: layer.k)
    for i in 0..<oh {
        for j in 0..<ow {
            for k in 0..<layer.k { accumulator[k] = 0 }
            for r in 0..<layer.r {
                let ih = i * layer.stride - layer.pad + r
                if ih < 0 || ih >= layer.h { continue }
                for s in 0..<layer.s {
                    let iw = j * layer.stride - layer.pad + s
                    if iw < 0 || iw >= layer.w { continue }
                    for c in 0..<layer.c {
                        let xv = Double(x[(ih * layer.w + iw) * layer.c + c])
                        let base = ((r * layer.s + s) * layer.c + c) * layer.k
                        for k in 0..<layer.k { accumulator[k] += xv * Double(w[base + k]) }
                    }
                }
            }
            for k in 0..<layer.k { y[(i * ow + j) * layer.k + k] = accumulator[k] }
        }
    }
    return y
}
