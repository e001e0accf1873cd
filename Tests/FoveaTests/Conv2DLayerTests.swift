import CKernels
import Testing
@testable import Fovea

extension ISASweep {
    @Suite struct Conv2DLayerTests {
        @Test func everyAlgorithmAgreesWithTheFunctionalReference() throws {
            let x = try Tensor.randomUniform(shape: [2, 13, 11, 19], in: -1...1, seed: 1)
            let w = try Tensor.randomUniform(shape: [3, 3, 19, 33], in: -1...1, seed: 2)
            let b = try Tensor.randomUniform(shape: [33], in: -1...1, seed: 3)
            let reference = try Conv2D(weight: w, bias: b, padding: .same, activation: .relu, algorithm: .reference)(x)
            let scale = reference.scalars.reduce(Float(0)) { max($0, abs($1)) }
            try forEachInstructionSet { level in
                for (algorithm, tolerance) in [(ConvAlgorithm.auto, Float(1e-5)), (.direct, 1e-5), (.gemm, 1e-5),
                                               (.winograd(tile: 2), 1e-5), (.winograd(tile: 4), 1e-4), (.winograd(tile: 6), 2e-4),
                                               (.autotuned, 2e-4)] {
                    let layer = try Conv2D(weight: w, bias: b, padding: .same, activation: .relu, algorithm: algorithm)
                    let y = try layer(x)
                    #expect(y.shape == [2, 13, 11, 33])
                    let worst = zip(y.scalars, reference.scalars).map { abs($0 - $1) }.max() ?? 0
                    #expect(worst <= tolerance * scale, "\(level) \(algorithm): \(worst)")
                    var reused = try Tensor.zeros(shape: [2, 13, 11, 33])
                    try layer(x, into: &reused)
                    #expect(reused == y)
                }
            }
        }

        @Test func autoPicksByShape() throws {
            let saved = CPU.instructionSet
            defer { CPU.instructionSet = saved }
            CPU.instructionSet = CPU.detectedInstructionSet
            guard CPU.instructionSet != .scalar else { return }
            let pointwise = try Conv2D(weight: try Tensor.zeros(shape: [1, 1, 32, 64]))
            #expect(try pointwise.algorithm(for: [1, 28, 28, 32]) == .gemm)
            let strided = try Conv2D(weight: try Tensor.zeros(shape: [7, 7, 3, 64]), stride: 2, padding: .same)
            #expect(try strided.algorithm(for: [1, 224, 224, 3]) == .direct)
            let depthwise = try Conv2D(weight: try Tensor.zeros(shape: [3, 3, 1, 32]), padding: .same, groups: 32)
            #expect(try depthwise.algorithm(for: [1, 56, 56, 32]) == .depthwise)
            let dense = try Conv2D(weight: try Tensor.zeros(shape: [3, 3, 64, 64]), padding: .same)
            // F(6x6) where 512-bit FMAs are split (Zen 4), on maps of 28x28 or more with 64
            // channels or more; fewer channels or a smaller map keep F(4x4). On Zen 5 (full-width
            // FMAs, not Intel) only while the weights stay in cache: alone, not inside a model
            // whose weights overflow the cache (see `wide` below).
            let splitFMAs = CPU.instructionSet == .avx512 && fovea_cpu_splits_512bit_fma() != 0
            let zen5 = CPU.instructionSet == .avx512 && !splitFMAs && fovea_cpu_is_intel() == 0
            let cached = fovea_conv_weights_stay_cached(Int64(dense.core.weightBytes)) != 0
            #expect(try dense.algorithm(for: [1, 56, 56, 64]) == .winograd(tile: splitFMAs || (zen5 && cached) ? 6 : 4))
            // Intel's full-width cores read weights from their last-level cache slower beside
            // their FMAs (costs fitted to cold-weight timings there): F(2x2) on dlib's 17x17x64
            // (263 against F(4x4)'s 289 thousand cycles) and on 7x7 maps. Elsewhere F(4x4); with
            // AVX2 (Zen 3, weights cold) 633 against F(2x2)'s 769 thousand cycles.
            let intel = CPU.instructionSet == .avx512 && !splitFMAs && fovea_cpu_is_intel() != 0
            #expect(try dense.algorithm(for: [1, 17, 17, 64]) == .winograd(tile: intel ? 2 : 4))
            let narrow = try Conv2D(weight: try Tensor.zeros(shape: [3, 3, 32, 32]), padding: .same)
            #expect(try narrow.algorithm(for: [1, 56, 56, 32]) == .winograd(tile: 4))
            // Small weights: F(4x4) wins even on a 7x7 map (AVX-512: 0.010 against 0.014 ms; AVX2 on
            // Zen 3, weights cold: 150 against F(2x2)'s 196 thousand cycles, fewest of five
            // interleaved rounds; a tie in the cost model). Large weights (F(4x4)'s would not stay in cache)
            // take F(2x2) there on both (0.88 against 1.10 ms with AVX-512 on Zen 5), except
            // where 512-bit FMAs run as two halves (Zen 4): there the products cost twice as
            // much beside the weights, and F(4x4) took 1.23 ms against F(2x2)'s 1.39, at one
            // thread; two threads share the memory bus, and F(2x2) took 0.86-0.91 ms against 1.14-1.18.
            #expect(try dense.algorithm(for: [1, 7, 7, 64]) == .winograd(tile: intel ? 2 : 4))
            // Except on Intel's cores, where F(2x2)'s 16.8 MB of weights come from memory
            // inside a network, and direct, with 9.4 MB, was faster (1.5 against 2.1 ms).
            let savedThreads = Threads.count
            defer { try? Threads.setCount(savedThreads) }
            for threads in [1, 2] {
                try Threads.setCount(threads)
                // A new layer for each count: a layer keeps the choice made when it first ran at a shape.
                let wide = try Conv2D(weight: try Tensor.zeros(shape: [3, 3, 512, 512]), padding: .same)
                // The choice counts threads up to the cores there are.
                let wideTile = splitFMAs && min(threads, Threads.hardwareCount) == 1 ? 4 : 2
                #expect(try wide.algorithm(for: [1, 7, 7, 512]) == (intel ? .direct : .winograd(tile: wideTile)))
            }
            // A layer keeps the choice it first ran with: the same algorithm and bits at either count.
            try Threads.setCount(1)
            let kept = try Conv2D(weight: try Tensor.randomUniform(shape: [3, 3, 512, 512], in: -1...1, seed: 5), padding: .same)
            let input = try Tensor.randomUniform(shape: [1, 7, 7, 512], in: -1...1, seed: 6)
            let first = try kept(input)
            let chosen = try kept.algorithm(for: input.shape)
            try Threads.setCount(2)
            #expect(try kept.algorithm(for: input.shape) == chosen)
            #expect(try kept(input) == first)
            let wide = try Conv2D(weight: try Tensor.zeros(shape: [3, 3, 512, 512]), padding: .same)
            _ = Sequential(layers: [dense, wide])
            #expect(try dense.algorithm(for: [1, 56, 56, 64]) == .winograd(tile: splitFMAs ? 6 : 4))
            // Four tiles (dlib's 4x4x256 layers): direct wins only with full-width AVX-512 FMAs;
            // on 2x2 maps most taps are padding and direct wins everywhere.
            let deep = try Conv2D(weight: try Tensor.zeros(shape: [3, 3, 256, 256]), padding: .same)
            let fullWidth = CPU.instructionSet == .avx512 && fovea_cpu_splits_512bit_fma() == 0
            #expect(try deep.algorithm(for: [1, 4, 4, 256]) == (fullWidth ? .direct : .winograd(tile: 2)))
            #expect(try deep.algorithm(for: [1, 2, 2, 256]) == .direct)
            ConvAlgorithm.winogradEnabled = false
            defer { ConvAlgorithm.winogradEnabled = true }
            #expect(try dense.algorithm(for: [1, 56, 56, 64]) == .direct)
        }

        @Test func impossibleRequestsThrowAtCreation() throws {
            let w = try Tensor.zeros(shape: [5, 5, 8, 8])
            #expect(throws: FoveaError.self) { try Conv2D(weight: w, algorithm: .winograd(tile: 6)) }
            #expect(throws: FoveaError.self) { try Conv2D(weight: try Tensor.zeros(shape: [3, 3, 8, 8]), stride: 2, algorithm: .winograd(tile: 4)) }
            #expect(throws: FoveaError.self) { try Conv2D(weight: try Tensor.zeros(shape: [3, 3, 8, 8]), algorithm: .winograd(tile: 3)) }
            #expect(throws: FoveaError.self) { try Conv2D(weight: try Tensor.zeros(shape: [3, 3, 8])) }
            let layer = try Conv2D(weight: try Tensor.zeros(shape: [3, 3, 8, 8]))
            #expect(throws: FoveaError.self) { try layer(try Tensor.zeros(shape: [1, 5, 5, 7])) }
        }

        /// A residual sum written over its shortcut's buffer gives the bits of
        /// a separate output, on every level and algorithm; the buffer is
        /// reused only where nothing else holds it and the plan adds the sum
        /// tile by tile (Winograd on every level, a 1x1 GEMM on every level but
        /// the portable one), and a shortcut still held elsewhere is left as it was.
        @Test func residualSumsOverTheShortcutMatchSeparateOutputs() throws {
            // 16x16: F(6x6) as 6x6 tiles and a strip of 4x4 ones along two edges.
            for (height, width) in [(9, 7), (16, 16)] {
                let x = try Tensor.randomUniform(shape: [2, height, width, 21], in: -1...1, seed: 11)
                let shortcut = try Tensor.randomUniform(shape: [2, height, width, 37], in: -1...1, seed: 12)
                let shortcutValues = shortcut.scalars
                try forEachInstructionSet { level in
                    for (kernel, algorithm) in [(1, ConvAlgorithm.gemm), (1, .direct), (3, .direct), (3, .gemm),
                                                (3, .winograd(tile: 2)), (3, .winograd(tile: 4)), (3, .winograd(tile: 6)),
                                                (3, .reference)] {
                        let context = "\(level) \(height)x\(width) \(kernel)x\(kernel) \(algorithm)"
                        let w = try Tensor.randomUniform(shape: [kernel, kernel, 21, 37], in: -1...1, seed: 13)
                        let conv = try Conv2D(weight: w, bias: try Tensor.randomUniform(shape: [37], in: -1...1, seed: 14),
                                              padding: .same, algorithm: algorithm)
                        // tanh: applied after the store, over the sum.
                        let activation: Activation = kernel == 3 && level == .avx2 ? .tanh : .relu
                        let separate = try conv.core(x, adding: shortcut, activation: activation)
                        var owned = try Tensor(shape: shortcut.shape, scalars: shortcutValues)
                        let buffer = ObjectIdentifier(owned.storage)
                        let over = try conv.core(x, addingOver: &owned, activation: activation)
                        #expect(over.scalars.map(\.bitPattern) == separate.scalars.map(\.bitPattern), "\(context)")
                        if kernel == 1 && algorithm == .gemm {
                            #expect((ObjectIdentifier(over.storage) == buffer) == (level != .scalar), "\(context)")
                        }
                        if case .winograd = algorithm { #expect(ObjectIdentifier(over.storage) == buffer, "\(context)") }
                        if algorithm == .reference { #expect(ObjectIdentifier(over.storage) != buffer, "\(context)") }
                        var held = shortcut
                        let besideHeld = try conv.core(x, addingOver: &held, activation: activation)
                        #expect(besideHeld == separate, "\(context)")
                        #expect(held.scalars == shortcutValues && shortcut.scalars == shortcutValues, "\(context)")
                    }
                }
            }
        }

        /// A graph whose input is also a shortcut leaves the caller's tensor
        /// as it was, and one whose shortcut is its own gives the layers' sums.
        @Test func graphsSumOverTheirOwnShortcutsOnly() throws {
            let x = try Tensor.randomUniform(shape: [1, 8, 8, 16], in: -1...1, seed: 21)
            let original = x.scalars
            var builder = GraphBuilder()
            let first = try Conv2D(weight: try Tensor.randomUniform(shape: [3, 3, 16, 16], in: -1...1, seed: 22),
                                   padding: .same, activation: .relu)
            let second = try Conv2D(weight: try Tensor.randomUniform(shape: [1, 1, 16, 16], in: -1...1, seed: 23))
            let third = try Conv2D(weight: try Tensor.randomUniform(shape: [1, 1, 16, 16], in: -1...1, seed: 24))
            let input = builder.input
            let branch = builder.add(second, to: input)
            let onInput = builder.merge(try Add(activation: .relu), input, branch)
            let start = builder.add(first, to: onInput)
            let other = builder.add(third, to: start)
            let block = builder.merge(try Add(activation: .relu), start, other)
            let model = try builder.build(outputs: ["y": block])
            try forEachInstructionSet { level in
                let y = try model(x)
                #expect(x.scalars == original, "\(level)")
                let layerByLayer = try model.trainingValues(x).last!
                expectClose(y.scalars, layerByLayer.scalars, atol: 1e-5, rtol: 1e-4, "\(level)")
            }
        }
    }
}
