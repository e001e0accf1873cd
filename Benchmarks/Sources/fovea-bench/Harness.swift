import Foundation
import Fovea
import ReferenceCycles

struct BenchmarkOptions {
    var threads = 1
    var quick = false
    var layersFile = "layers.csv"
    var only: Set<String> = []
    var allTiles = false
    var variants: Set<String> = []  // empty: every variant
    var cycles = false  // also report each layer's best sample in core cycles (see timeIt)
    var winograd = true  // false: `.auto` never picks Winograd (ConvAlgorithm.winogradEnabled)

    init<S: Sequence>(_ arguments: S) where S.Element == String {
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--threads": threads = Int(iterator.next() ?? "") ?? 1
            case "--quick": quick = true
            case "--layers-file": layersFile = iterator.next() ?? layersFile
            case "--only": only = Set((iterator.next() ?? "").split(separator: ",").map(String.init))
            case "--all-tiles": allTiles = true
            case "--variants": variants = Set((iterator.next() ?? "").split(separator: ",").map(String.init))
            case "--cycles": cycles = true
            case "--no-winograd": winograd = false
            default: break
            }
        }
    }
}

/// One row of layers.csv: name,kind,C,K,H,W,R,S,stride,pad,groups,quick.
struct LayerSpec {
    var name: String, kind: String
    var c: Int, k: Int, h: Int, w: Int, r: Int, s: Int, stride: Int, pad: Int, groups: Int, quick: Bool

    var outH: Int { (h + 2 * pad - r) / stride + 1 }
    var outW: Int { (w + 2 * pad - s) / stride + 1 }
    var cg: Int { c / groups }
    var kg: Int { k / groups }
    var flops: Double {
        kind == "gram" ? 2.0 * Double(c * c) * Double(h * w) : 2.0 * Double(k * cg * r * s) * Double(outH * outW)
    }

    static func load(from path: String, quick: Bool, only: Set<String>) throws -> [LayerSpec] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            if line.hasPrefix("#") || line.isEmpty { return nil }
            let f = line.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            guard f.count >= 12, let c = Int(f[2]), let k = Int(f[3]), let h = Int(f[4]), let w = Int(f[5]),
                let r = Int(f[6]), let s = Int(f[7]), let stride = Int(f[8]), let pad = Int(f[9]),
                let groups = Int(f[10]), let q = Int(f[11])
            else { return nil }
            let spec = LayerSpec(name: f[0], kind: f[1], c: c, k: k, h: h, w: w, r: r, s: s, stride: stride, pad: pad, groups: groups, quick: q != 0)
            if quick && !spec.quick { return nil }
            if !only.isEmpty && !only.contains(spec.name) { return nil }
            return spec
        }
    }
}

// The harness's deterministic values (shared/peers/src/common.hpp), so that
// every library sees the same tensors.
func hval(_ seed: UInt64) -> Float {
    var x = seed &+ 0x9E37_79B9_7F4A_7C15
    x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
    x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
    x ^= x >> 31
    return Float(Double(x >> 40) * (1.0 / Double(1 << 23)) - 1.0)
}

func xval(_ c: Int, _ h: Int, _ w: Int) -> Float { hval(UInt64(c) << 40 ^ UInt64(h) << 20 ^ UInt64(w)) }

func wval(_ k: Int, _ cg: Int, _ r: Int, _ s: Int) -> Float {
    0.1 * hval(0xABCD << 48 ^ UInt64(k) << 32 ^ UInt64(cg) << 16 ^ UInt64(r) << 8 ^ UInt64(s))
}

struct Timing {
    var median: Double, best: Double, samples: Int
    /// The fewest core cycles a sample took (with --cycles), or nil.
    var cycles: Double? = nil
}

/// Set by --cycles: timeIt then times a loop of known throughput before and
/// after each sample and converts the sample to core cycles, a figure the
/// minute-to-minute clock changes of a shared machine leave alone (two builds
/// compared this way differ by a few percent where their GFLOP/s differ by
/// ten). It makes a run about twice as long.
nonisolated(unsafe) var countCycles = false

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + 1e-9 * Double(t.tv_nsec)
}

/// The harness's timing rule: warm up, calibrate an inner repeat so a sample
/// lasts >= 3 ms (1 ms quick), then the median over samples filling ~0.35 s
/// (0.06 s quick), 3 to 25 of them.
func timeIt(quick: Bool, _ body: () throws -> Void) rethrows -> Timing {
    try body()
    let t0 = now()
    try body()
    let one = now() - t0
    let inner = max(1, Int(((quick ? 1e-3 : 3e-3) / max(one, 1e-7)).rounded(.up)))
    let warm = now()
    while now() - warm < (quick ? 0.01 : 0.03) { try body() }
    var count = Int(((quick ? 0.06 : 0.35) / max(one * Double(inner), 1e-7)).rounded(.up))
    count = max(quick ? 3 : 5, min(count, 25))
    if one > 0.25 { count = 3 }
    return try sample(count: count, inner: inner, body)
}

/// `count` samples of `inner` back-to-back runs each: their median and best
/// time per run, and the fewest core cycles where the clock is readable.
func sample(count: Int, inner: Int, _ body: () throws -> Void) rethrows -> Timing {
    var samples = [Double]()
    var fewestCycles: Double? = nil
    for _ in 0..<count {
        let before = countCycles ? fovea_bench_seconds_per_cycle() : 0
        let a = now()
        for _ in 0..<inner { try body() }
        let sample = (now() - a) / Double(inner)
        samples.append(sample)
        if countCycles {
            let cycle = (before + fovea_bench_seconds_per_cycle()) / 2
            if cycle > 0 { fewestCycles = min(fewestCycles ?? .infinity, sample / cycle) }
        }
    }
    samples.sort()
    return Timing(median: samples[count / 2], best: samples[0], samples: count, cycles: fewestCycles)
}

func emit(_ layer: LayerSpec, variant: String, threads: Int, timing: Timing, note: String) {
    let cycles = timing.cycles.map { String(format: " cycles=%.0f", $0) } ?? ""
    print(String(
        format: "fovea,%@,%@,%d,%.6f,%.2f,%.2f,%d,\"%@\"", variant, layer.name, threads, timing.median * 1e3,
        layer.flops / timing.median * 1e-9, layer.flops / timing.best * 1e-9, timing.samples, note + cycles))
    fflush(nil)
}

func emitFailure(_ layer: LayerSpec, variant: String, threads: Int, why: String) {
    print("fovea,\(variant),\(layer.name),\(threads),,,,0,\"FAIL: \(why)\"")
    fflush(nil)
}
