import Foundation
import Fovea

/// Spot-checks 48 outputs against a float64 reference, with the harness's
/// error measure (relative to sqrt(Cg·R·S)·0.1). Returns the error.
func convolutionError(_ layer: LayerSpec, output: Tensor) -> Double {
    let values = output.scalars
    var worst = 0.0
    for t in 0..<48 {
        let h = UInt64(Double(hval(UInt64(t * 7919 + 13))) * 1e6 + 1e6)
        var k = Int(h % UInt64(layer.k)), oh = Int((h / 977) % UInt64(layer.outH)), ow = Int((h / 977 / 977) % UInt64(layer.outW))
        if t == 0 { (oh, ow) = (0, 0) }
        if t == 1 { (k, oh, ow) = (layer.k - 1, layer.outH - 1, layer.outW - 1) }
        let g = k / layer.kg
        var reference = 0.0
        for cg in 0..<layer.cg {
            for r in 0..<layer.r {
                for s in 0..<layer.s {
                    let ih = oh * layer.stride - layer.pad + r, iw = ow * layer.stride - layer.pad + s
                    if ih < 0 || ih >= layer.h || iw < 0 || iw >= layer.w { continue }
                    reference += Double(xval(g * layer.cg + cg, ih, iw)) * Double(wval(k, cg, r, s))
                }
            }
        }
        let got = Double(values[(oh * layer.outW + ow) * layer.k + k])
        let scale = (Double(layer.cg * layer.r * layer.s)).squareRoot() * 0.1
        worst = max(worst, abs(got - reference) / (scale + 1e-30))
    }
    return worst
}

func benchmarkConvolution(_ layer: LayerSpec, options: BenchmarkOptions) {
    do {
        var input = try Tensor.zeros(shape: [1, layer.h, layer.w, layer.c])
        input.withUnsafeMutableBufferPointer { x in
            for h in 0..<layer.h { for w in 0..<layer.w { for c in 0..<layer.c { x[(h * layer.w + w) * layer.c + c] = xval(c, h, w) } } }
        }
        var weight = try Tensor.zeros(shape: [layer.r, layer.s, layer.cg, layer.k])
        weight.withUnsafeMutableBufferPointer { w in
            for r in 0..<layer.r { for s in 0..<layer.s { for cg in 0..<layer.cg { for k in 0..<layer.k {
                w[((r * layer.s + s) * layer.cg + cg) * layer.k + k] = wval(k, cg, r, s)
            } } } }
        }
        var variants: [(String, ConvAlgorithm)] =
            layer.kind == "dw" ? [("depthwise", .depthwise)] : [("direct", .direct), ("gemm", .gemm)]
        if layer.kind == "conv" && layer.r == 3 && layer.s == 3 && layer.stride == 1 {
            // The harness reports one Winograd row per library ("winograd"): the
            // fastest tile for the layer, found as the autotuner would. With
            // --all-tiles every tile also gets its own row.
            let tiles = [2, 4, 6]
            if options.allTiles {
                variants += tiles.map { ("winograd-f\($0)", ConvAlgorithm.winograd(tile: $0)) }
            }
            var output = try Tensor.zeros(shape: [1, layer.outH, layer.outW, layer.k])
            var fastest = (tile: 4, seconds: Double.infinity)
            for tile in tiles {
                let conv = try Conv2D(weight: weight, padding: .uniform(layer.pad), algorithm: .winograd(tile: tile))
                let timing = try timeIt(quick: true) { try conv(input, into: &output) }
                if timing.median < fastest.seconds { fastest = (tile, timing.median) }
            }
            variants.append(("winograd", .winograd(tile: fastest.tile)))
        }
        variants.append(("auto", .auto))
        if !options.variants.isEmpty { variants = variants.filter { options.variants.contains($0.0) } }
        var output = try Tensor.zeros(shape: [1, layer.outH, layer.outW, layer.k])
        for (name, algorithm) in variants {
            do {
                let conv = try Conv2D(weight: weight, stride: Spatial(layer.stride), padding: .uniform(layer.pad), groups: layer.groups, algorithm: algorithm)
                try conv(input, into: &output)
                let error = convolutionError(layer, output: output)
                guard error < 1e-3 else {
                    emitFailure(layer, variant: name, threads: options.threads, why: String(format: "err=%.1e", error))
                    continue
                }
                let timing = try timeIt(quick: options.quick) { try conv(input, into: &output) }
                var note = String(format: "err=%.1e", error)
                if algorithm == .auto || name == "winograd" { note += " \(try conv.algorithm(for: input.shape))" }
                emit(layer, variant: name, threads: options.threads, timing: timing, note: note)
            } catch {
                emitFailure(layer, variant: name, threads: options.threads, why: "\(error)")
            }
        }
    } catch {
        emitFailure(layer, variant: "auto", threads: options.threads, why: "\(error)")
    }
}

func benchmarkGram(_ layer: LayerSpec, options: BenchmarkOptions) {
    do {
        var input = try Tensor.zeros(shape: [1, layer.h, layer.w, layer.c])
        input.withUnsafeMutableBufferPointer { x in
            for h in 0..<layer.h { for w in 0..<layer.w { for c in 0..<layer.c { x[(h * layer.w + w) * layer.c + c] = xval(c, h, w) } } }
        }
        var gram = try gramMatrix(input)
        var worst = 0.0
        for t in 0..<48 {
            let h = UInt64(Double(hval(UInt64(t * 7919 + 13))) * 1e6 + 1e6)
            var i = Int(h % UInt64(layer.c)), j = Int((h / 977) % UInt64(layer.c))
            if t == 0 { (i, j) = (0, layer.c - 1) }
            var reference = 0.0
            for y in 0..<layer.h { for x in 0..<layer.w { reference += Double(xval(i, y, x)) * Double(xval(j, y, x)) } }
            let got = Double(try gram.value(at: [0, i, j]))
            worst = max(worst, abs(got - reference) / (Double(layer.h * layer.w).squareRoot() + 1e-30))
        }
        guard worst < 1e-3 else {
            emitFailure(layer, variant: "auto", threads: options.threads, why: String(format: "err=%.1e", worst))
            return
        }
        let timing = try timeIt(quick: options.quick) { gram = try gramMatrix(input) }
        emit(layer, variant: "auto", threads: options.threads, timing: timing, note: String(format: "err=%.1e", worst))
    } catch {
        emitFailure(layer, variant: "auto", threads: options.threads, why: "\(error)")
    }
}
