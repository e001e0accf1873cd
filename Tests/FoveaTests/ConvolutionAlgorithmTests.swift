import CKernels
import Testing
@testable import Fovea

// Every convolution algorithm against the reference kernel, through plans, over
// randomised shapes: odd sizes, channel counts that are not multiples of the
// vector width, batch > 1, asymmetric padding. Outputs start as NaN and the
// workspace as a poison pattern, so unwritten or uninitialised values show.
//
// Tolerances (largest error relative to the output's largest magnitude):
//   direct, GEMM, im2col: 1e-5 (float32 sums in another order)
//   Winograd F(2x2,3x3): 1e-5, F(4x4,3x3): 1e-4, F(6x6,3x3): 2e-4
// Winograd trades exactness for speed by design. These are the bounds the
// documentation promises; Benchmarks/RESULTS.md lists the errors measured
// against float64 on the benchmark layers (all well inside them), and
// winogradErrorOnABenchmarkLayer checks one of those layers here.

extension ISASweep {
    @Suite struct ConvolutionAlgorithmTests {
        static let algorithms: [(fovea_conv_algorithm, String, Float)] = [
            (FOVEA_CONV_ALGORITHM_DIRECT, "direct", 1e-5),
            (FOVEA_CONV_ALGORITHM_GEMM, "gemm", 1e-5),
            (FOVEA_CONV_ALGORITHM_WINOGRAD_2, "winograd F2", 1e-5),
            (FOVEA_CONV_ALGORITHM_WINOGRAD_4, "winograd F4", 1e-4),
            (FOVEA_CONV_ALGORITHM_WINOGRAD_6, "winograd F6", 2e-4),
        ]

        /// A random 3x3, stride 1, dilation 1 problem that Winograd accepts.
        static func randomWinogradProblem(_ sweep: inout Sweep) -> ConvolutionGeometry {
            let height = sweep.int(1...23), width = sweep.int(1...23)
            let top = sweep.int(0...2), left = sweep.int(0...2), bottom = sweep.int(0...2), right = sweep.int(0...2)
            let outH = max(1, height + top + bottom - 2), outW = max(1, width + left + right - 2)
            return ConvolutionGeometry(
                spatialRank: 2, batch: sweep.int(1...2), inChannels: sweep.int(1...37),
                outChannels: sweep.int(1...70), groups: 1, inSize: [max(height, 3 - top - bottom), width + max(0, 3 - width - left - right)],
                outSize: [outH, outW], kernel: [3, 3], stride: [1, 1], dilation: [1, 1],
                padBegin: [top, left], padEnd: [bottom, right])
        }

        /// The geometry with its output sizes worked out again from its input
        /// (a generator may have adjusted the input).
        static func withOutputSizes(_ geometry: ConvolutionGeometry) -> ConvolutionGeometry {
            var g = geometry
            for axis in 0..<g.spatialRank {
                g.outSize[axis] = windowOutputExtent(
                    input: g.inSize[axis], kernel: g.kernel[axis], stride: g.stride[axis],
                    dilation: g.dilation[axis], padBegin: g.padBegin[axis], padEnd: g.padEnd[axis])
            }
            return g
        }

        @Test func everyAlgorithmMatchesTheReference() throws {
            var sweep = Sweep(seed: 11)
            try forEachInstructionSet { level in
                for trial in 0..<30 {
                    for (algorithm, name, tolerance) in Self.algorithms {
                        var g = name.hasPrefix("winograd")
                            ? Self.randomWinogradProblem(&sweep) : KernelSweepTests.randomConvolution(&sweep)
                        g = Self.withOutputSizes(g)
                        guard g.outSize.allSatisfy({ $0 >= 1 }) else { continue }
                        let activation: Activation = [.none, .relu, .relu6, .leakyRelu(alpha: 0.1), .sigmoid][sweep.int(0...4)]
                        var desc = g.descriptor(activation: activation)
                        #expect(fovea_conv_algorithm_supported(&desc, algorithm) == 1)
                        let weightShape = g.kernel + [g.inChannels / g.groups, g.outChannels]
                        let x = try sweep.tensor(g.inputShape).scalars, w = try sweep.tensor(weightShape).scalars
                        let bias = sweep.bool() ? try sweep.tensor([g.outChannels]).scalars : nil
                        var plan: OpaquePointer?
                        #expect(fovea_conv_plan_create(&desc, algorithm, w, bias, &plan) == FOVEA_STATUS_SUCCESS)
                        defer { fovea_conv_plan_destroy(plan) }
                        #expect(fovea_conv_plan_algorithm(plan) == algorithm)
                        var bytes = 0
                        #expect(fovea_conv_plan_workspace_size(plan, &desc, &bytes) == FOVEA_STATUS_SUCCESS)
                        var workspace = [UInt8](repeating: 0xA5, count: max(bytes, 1))
                        let count = g.outputShape.reduce(1, *)
                        var fast = nanBuffer(count), reference = nanBuffer(count)
                        #expect(fovea_conv_plan_run(plan, &desc, x, &fast, &workspace, bytes) == FOVEA_STATUS_SUCCESS)
                        #expect(fovea_reference_conv_forward(&desc, x, w, bias, &reference) == FOVEA_STATUS_SUCCESS)
                        expectClose(
                            Array(fast.prefix(count)), Array(reference.prefix(count)), atol: tolerance, rtol: 0,
                            "\(level) \(name) trial \(trial) in\(g.inputShape) w\(weightShape) s\(g.stride) d\(g.dilation) p\(g.padBegin)/\(g.padEnd) g\(g.groups) \(activation)")
                        // Less workspace than asked for either runs on fewer threads, with the
                        // same result, or is refused; none at all is refused. Never overrun.
                        if bytes > 0 {
                            var again = nanBuffer(count)
                            let status = fovea_conv_plan_run(plan, &desc, x, &again, &workspace, bytes - 1)
                            #expect(status == FOVEA_STATUS_SUCCESS || status == FOVEA_STATUS_INSUFFICIENT_WORKSPACE)
                            if status == FOVEA_STATUS_SUCCESS { #expect(again == fast) }
                            #expect(fovea_conv_plan_run(plan, &desc, x, &again, nil, 0) == FOVEA_STATUS_INSUFFICIENT_WORKSPACE)
                        }
                    }
                }
            }
        }

        /// A plan with the workspace it asks for, poisoned, that runs into
        /// NaN-filled outputs.
        final class PreparedPlan {
            let plan: OpaquePointer?
            var desc: fovea_conv_desc
            var workspace: [UInt8]
            let bytes: Int

            init(_ desc: fovea_conv_desc, _ algorithm: fovea_conv_algorithm, w: [Float], bias: [Float]?) {
                self.desc = desc
                var plan: OpaquePointer?
                #expect(fovea_conv_plan_create(&self.desc, algorithm, w, bias, &plan) == FOVEA_STATUS_SUCCESS)
                self.plan = plan
                var bytes = 0
                #expect(fovea_conv_plan_workspace_size(plan, &self.desc, &bytes) == FOVEA_STATUS_SUCCESS)
                self.bytes = bytes
                workspace = [UInt8](repeating: 0xA5, count: max(bytes, 1))
            }

            deinit { fovea_conv_plan_destroy(plan) }

            func run(_ x: [Float], count: Int) -> [Float] {
                var output = nanBuffer(count)
                #expect(fovea_conv_plan_run(plan, &desc, x, &output, &workspace, bytes) == FOVEA_STATUS_SUCCESS)
                return Array(output.prefix(count))
            }

            func runResidual(_ x: [Float], residual: [Float], activation: Activation, count: Int) -> [Float] {
                var output = nanBuffer(count), after = activation.cValue
                #expect(fovea_conv_plan_run_residual(plan, &desc, x, residual, &after, &output, &workspace, bytes) == FOVEA_STATUS_SUCCESS)
                return Array(output.prefix(count))
            }

            /// The sum written over the residual itself: the result where the
            /// plan says it can, nil where it refuses (as it must then), with
            /// the residual left as it was.
            func runResidualInPlace(_ x: [Float], residual: [Float], activation: Activation) -> [Float]? {
                var inPlace: Int32 = -1, after = activation.cValue
                #expect(fovea_conv_plan_adds_residual_in_place(plan, &desc, &inPlace) == FOVEA_STATUS_SUCCESS)
                var buffer = residual
                let status = buffer.withUnsafeMutableBufferPointer { sum in
                    fovea_conv_plan_run_residual(plan, &desc, x, sum.baseAddress, &after, sum.baseAddress, &workspace, bytes)
                }
                if inPlace == 1 {
                    #expect(status == FOVEA_STATUS_SUCCESS)
                    return buffer
                }
                #expect(status == FOVEA_STATUS_INVALID_ARGUMENT && buffer.map(\.bitPattern) == residual.map(\.bitPattern))
                return nil
            }
        }

        /// Creates a plan, runs it once into a NaN-filled buffer with a poisoned
        /// workspace, and returns the output.
        static func runPlan(
            _ desc: inout fovea_conv_desc, _ algorithm: fovea_conv_algorithm, x: [Float], w: [Float], bias: [Float]?,
            count: Int
        ) -> [Float] {
            var plan: OpaquePointer?
            #expect(fovea_conv_plan_create(&desc, algorithm, w, bias, &plan) == FOVEA_STATUS_SUCCESS)
            defer { fovea_conv_plan_destroy(plan) }
            var bytes = 0
            #expect(fovea_conv_plan_workspace_size(plan, &desc, &bytes) == FOVEA_STATUS_SUCCESS)
            var workspace = [UInt8](repeating: 0xA5, count: max(bytes, 1))
            var output = nanBuffer(count)
            #expect(fovea_conv_plan_run(plan, &desc, x, &output, &workspace, bytes) == FOVEA_STATUS_SUCCESS)
            return Array(output.prefix(count))
        }

        /// A square layer: kernel, stride and padding alike on both axes.
        typealias SquareShape = (kernel: Int, stride: Int, pad: Int, inChannels: Int, outChannels: Int, size: Int)

        static func geometry(_ shape: SquareShape, batch: Int = 2) -> ConvolutionGeometry {
            let out = windowOutputExtent(input: shape.size, kernel: shape.kernel, stride: shape.stride,
                                         dilation: 1, padBegin: shape.pad, padEnd: shape.pad)
            return ConvolutionGeometry(
                spatialRank: 2, batch: batch, inChannels: shape.inChannels, outChannels: shape.outChannels,
                groups: 1, inSize: [shape.size, shape.size], outSize: [out, out],
                kernel: [shape.kernel, shape.kernel], stride: [shape.stride, shape.stride], dilation: [1, 1],
                padBegin: [shape.pad, shape.pad], padEnd: [shape.pad, shape.pad])
        }

        /// A residual sum fused into the plan's output stage gives, bit for bit,
        /// the plain convolution followed by a separate sum and activation.
        static func expectFusedResidual(
            _ g: ConvolutionGeometry, _ algorithm: fovea_conv_algorithm, x: [Float], w: [Float], bias: [Float]?,
            residual: Tensor, activation: Activation, _ context: String
        ) throws {
            let count = g.outputShape.reduce(1, *)
            let prepared = PreparedPlan(g.descriptor(), algorithm, w: w, bias: bias)
            let plain = prepared.run(x, count: count)
            let fused = prepared.runResidual(x, residual: residual.scalars, activation: activation, count: count)
            let separate = try activate(try add(try Tensor(shape: g.outputShape, scalars: plain), residual), activation)
            #expect(fused.map(\.bitPattern) == separate.scalars.map(\.bitPattern), "\(context) with a residual")
        }

        /// Direct convolution computes the columns whose window overhangs the
        /// padding as tiles running down the column, over the live kernel
        /// columns only. Full 64-wide panels and images taller than a tile take
        /// the assembly path for those tiles, which the small random shapes miss;
        /// that path applies ReLU and ReLU6 in its registers, every activation
        /// comes up here.
        @Test func directEdgeColumnsMatchTheReference() throws {
            var sweep = Sweep(seed: 17)
            try forEachInstructionSet { level in
                for trial in 0..<14 {
                    let kernel = [1, 3, 5, 7][sweep.int(0...3)], stride = sweep.int(1...2)
                    let padBegin = [sweep.int(0...(kernel / 2 + 1)), sweep.int(0...(kernel / 2 + 1))]
                    let padEnd = [sweep.int(0...(kernel / 2 + 1)), sweep.int(0...(kernel / 2 + 1))]
                    let inSize = [sweep.int(kernel...(kernel + 18)), sweep.int(kernel...(kernel + 18))]
                    let outSize = (0..<2).map {
                        windowOutputExtent(input: inSize[$0], kernel: kernel, stride: stride, dilation: 1,
                                           padBegin: padBegin[$0], padEnd: padEnd[$0])
                    }
                    let g = ConvolutionGeometry(
                        spatialRank: 2, batch: sweep.int(1...2), inChannels: sweep.int(1...21),
                        outChannels: [64, 70, 128][sweep.int(0...2)], groups: 1, inSize: inSize, outSize: outSize,
                        kernel: [kernel, kernel], stride: [stride, stride], dilation: [1, 1], padBegin: padBegin,
                        padEnd: padEnd)
                    let activation: Activation = [
                        .none, .relu, .relu6, .leakyRelu(alpha: 0.1), .clamp(min: -0.5, max: 0.5), .sigmoid,
                    ][trial % 6]
                    var desc = g.descriptor(activation: activation)
                    let weightShape = g.kernel + [g.inChannels, g.outChannels]
                    let x = try sweep.tensor(g.inputShape).scalars, w = try sweep.tensor(weightShape).scalars
                    let bias = sweep.bool() ? try sweep.tensor([g.outChannels]).scalars : nil
                    let fast = Self.runPlan(&desc, FOVEA_CONV_ALGORITHM_DIRECT, x: x, w: w, bias: bias, count: g.outputShape.reduce(1, *))
                    var reference = nanBuffer(fast.count)
                    #expect(fovea_reference_conv_forward(&desc, x, w, bias, &reference) == FOVEA_STATUS_SUCCESS)
                    expectClose(fast, reference, atol: 1e-5, rtol: 0,
                                "\(level) direct edges trial \(trial) in\(g.inputShape) k\(kernel) s\(stride) p\(padBegin)/\(padEnd) -> \(g.outChannels) \(activation)")
                }
            }
        }

        /// Rows of whole 7-pixel tiles and 64-channel panels (ResNet's stem, a
        /// 3x3 layer of 128 channels, a 1x1 layer): the AVX-512 microkernel keeps
        /// such a tile in registers across its taps and adds a residual and
        /// applies ReLU or ReLU6 there before the store; the other activations
        /// take the general path. The last two shapes have weight panels larger
        /// than L1 on maps of 14x14 and more, which on Intel CPUs run the 6x64
        /// tile instead (gemm::ukernel_for_rows).
        @Test func fullTilesApplyTheirActivation() throws {
            var sweep = Sweep(seed: 19)
            let shapes: [SquareShape] = [
                (7, 2, 3, 3, 64, 40), (3, 1, 1, 5, 128, 16), (1, 1, 0, 9, 64, 14),
                (3, 1, 1, 24, 70, 17), (1, 1, 0, 200, 64, 15),
            ]
            try forEachInstructionSet { level in
                for shape in shapes {
                    for activation in [Activation.none, .relu, .relu6, .leakyRelu(alpha: 0.1), .clamp(min: -1, max: 2)] {
                        let g = Self.geometry(shape)
                        var desc = g.descriptor(activation: activation)
                        let weightShape = g.kernel + [g.inChannels, g.outChannels]
                        let x = try sweep.tensor(g.inputShape, scale: 3).scalars
                        let w = try sweep.tensor(weightShape).scalars, bias = try sweep.tensor([g.outChannels]).scalars
                        var reference = nanBuffer(g.outputShape.reduce(1, *))
                        #expect(fovea_reference_conv_forward(&desc, x, w, bias, &reference) == FOVEA_STATUS_SUCCESS)
                        if activation == .none {
                            // Values beyond every clamp bound.
                            #expect(reference.contains { $0 < -1 } && reference.contains { $0 > 6 })
                        }
                        // The same activation after a residual sum, which those tiles add in
                        // registers too: bit for bit what the plain convolution and a separate
                        // sum and activation give.
                        let residual = try sweep.tensor(g.outputShape, scale: 4)
                        for algorithm in [FOVEA_CONV_ALGORITHM_DIRECT, FOVEA_CONV_ALGORITHM_GEMM] {
                            let context = "\(level) algorithm \(algorithm.rawValue) k\(shape.kernel) -> \(shape.outChannels) \(activation)"
                            let fast = Self.runPlan(&desc, algorithm, x: x, w: w, bias: bias, count: reference.count)
                            expectClose(fast, reference, atol: 1e-5, rtol: 0, context)
                            try Self.expectFusedResidual(g, algorithm, x: x, w: w, bias: bias, residual: residual,
                                                         activation: activation, context)
                        }
                    }
                }
            }
        }

        /// Maps of 8x8 pixels or fewer with weight panels larger than L1 (the
        /// last stages of ResNet-50 and of dlib's face network) go through each
        /// panel slice by slice, every tile keeping partial sums in the output:
        /// kernel rows and columns in the padding leave some tiles out of some
        /// slices, a 1x1 map with a large pad leaves some with no tap at all.
        /// Where the tiles would come out short (the padding's edge columns, or
        /// rows of three pixels), each pixel's window is copied whole instead,
        /// the padding's zeros included: among these, 3x3 and 4x4 outputs with
        /// and without padding, and one with vertical dilation and uneven
        /// padding. Against the reference, with a residual bit for bit as a
        /// separate sum, at one and at two threads alike.
        @Test func smallMapsGoSliceBySlice() throws {
            try Self.expectSquareLayers(
                [
                    (3, 1, 1, 64, 70, 4), (3, 1, 1, 33, 128, 7), (3, 2, 1, 40, 64, 9), (3, 1, 0, 72, 16, 8),
                    (5, 1, 2, 9, 200, 3), (3, 1, 1, 130, 64, 1), (3, 1, 2, 30, 64, 1), (7, 1, 3, 5, 64, 6),
                    (3, 1, 1, 96, 40, 3), (3, 2, 0, 100, 24, 7), (3, 1, 1, 90, 17, 2), (5, 1, 2, 40, 33, 3),
                    (3, 1, 1, 100, 20, 8), (3, 1, 1, 120, 70, 4),
                ],
                FOVEA_CONV_ALGORITHM_DIRECT, tolerance: 1e-5, seed: 29)
            let dilated = [([2, 1], [1, 1]), ([2, 2], [1, 1])].map { padBegin, padEnd in
                Self.withOutputSizes(ConvolutionGeometry(
                    spatialRank: 2, batch: 2, inChannels: 100, outChannels: 20, groups: 1, inSize: [4, 3],
                    outSize: [0, 0], kernel: [3, 3], stride: [1, 1], dilation: [2, 1], padBegin: padBegin,
                    padEnd: padEnd))
            }
            try Self.expectLayers(dilated, FOVEA_CONV_ALGORITHM_DIRECT, tolerance: 1e-5, seed: 30)
        }

        /// Pointwise convolutions split their pixels into calls as even as the
        /// tile allows (49 pixels as 10, 10, 10, 10, 9 rather than four of 12
        /// and one of 1), in both of GEMM's loops: weights small enough to stay
        /// in cache (tile by tile) and larger ones (panel by panel, streamed).
        @Test func pointwisePixelsSplitEvenly() throws {
            try Self.expectSquareLayers(
                [
                    (1, 1, 0, 960, 160, 7), (1, 1, 0, 576, 96, 5), (1, 1, 0, 300, 200, 6),
                    (1, 1, 0, 16, 96, 13), (1, 1, 0, 24, 40, 5), (1, 1, 0, 8, 24, 3), (1, 1, 0, 24, 144, 5),
                    (1, 1, 0, 96, 24, 7),
                ],
                FOVEA_CONV_ALGORITHM_GEMM, tolerance: 1e-4, seed: 31)
        }

        /// expectLayers for square maps and kernels.
        static func expectSquareLayers(
            _ shapes: [SquareShape], _ algorithm: fovea_conv_algorithm, tolerance: Float, seed: UInt64
        ) throws {
            try expectLayers(shapes.map { Self.geometry($0) }, algorithm, tolerance: tolerance, seed: seed)
        }

        /// Each layer under every ISA level, with activations and biases in
        /// turn: against the reference, at one and at two threads bit for bit,
        /// and with a residual bit for bit as a separate sum.
        static func expectLayers(
            _ geometries: [ConvolutionGeometry], _ algorithm: fovea_conv_algorithm, tolerance: Float, seed: UInt64
        ) throws {
            var sweep = Sweep(seed: seed)
            try forEachInstructionSet { level in
                for (index, g) in geometries.enumerated() {
                    let activation: Activation = [.none, .relu, .relu6, .leakyRelu(alpha: 0.1), .sigmoid][index % 5]
                    var desc = g.descriptor(activation: activation)
                    let weightShape = g.kernel + [g.inChannels, g.outChannels]
                    let x = try sweep.tensor(g.inputShape).scalars, w = try sweep.tensor(weightShape).scalars
                    let bias = index % 2 == 0 ? try sweep.tensor([g.outChannels]).scalars : nil
                    let count = g.outputShape.reduce(1, *)
                    var reference = nanBuffer(count)
                    #expect(fovea_reference_conv_forward(&desc, x, w, bias, &reference) == FOVEA_STATUS_SUCCESS)
                    let context = "\(level) k\(g.kernel) s\(g.stride) d\(g.dilation) p\(g.padBegin)/\(g.padEnd) \(g.inChannels)->\(g.outChannels) on \(g.inSize) \(activation)"
                    var runs: [[Float]] = []
                    let saved = Threads.count
                    defer { try? Threads.setCount(saved) }
                    for threads in [1, 2] {
                        try Threads.setCount(threads)
                        runs.append(Self.runPlan(&desc, algorithm, x: x, w: w, bias: bias, count: count))
                    }
                    expectClose(runs[0], reference, atol: tolerance, rtol: 0, context)
                    #expect(runs[0].map(\.bitPattern) == runs[1].map(\.bitPattern), "\(context): one and two threads differ")
                    try Self.expectFusedResidual(g, algorithm, x: x, w: w, bias: bias,
                                                 residual: try sweep.tensor(g.outputShape), activation: activation, context)
                }
            }
        }

        /// Strided, unpadded 1x1 convolutions (ResNet's projection shortcuts):
        /// GEMM gathers the pixels they read into one matrix first, and `auto`
        /// picks that path. Odd sizes leave input rows and columns unread; 1-D to
        /// 3-D, groups, batch > 1, with and without a fused residual sum.
        @Test func strided1x1MatchesTheReference() throws {
            var sweep = Sweep(seed: 29)
            try forEachInstructionSet { level in
                for trial in 0..<12 {
                    let rank = [1, 2, 2, 3][trial % 4], groups = [1, 1, 2][sweep.int(0...2)]
                    let stride = (0..<rank).map { _ in sweep.int(1...3) }
                    let inSize = (0..<rank).map { _ in sweep.int(1...(rank == 3 ? 7 : 17)) }
                    let outSize = (0..<rank).map { (inSize[$0] - 1) / stride[$0] + 1 }
                    let g = ConvolutionGeometry(
                        spatialRank: rank, batch: sweep.int(1...2), inChannels: groups * sweep.int(1...40),
                        outChannels: groups * [3, 16, 35][sweep.int(0...2)], groups: groups, inSize: inSize,
                        outSize: outSize, kernel: Array(repeating: 1, count: rank), stride: stride,
                        dilation: Array(repeating: 1, count: rank), padBegin: Array(repeating: 0, count: rank),
                        padEnd: Array(repeating: 0, count: rank))
                    let activation: Activation = [.none, .relu, .sigmoid][sweep.int(0...2)]
                    var desc = g.descriptor(activation: activation)
                    let context = "\(level) strided 1x1 trial \(trial) in\(g.inputShape) s\(stride) g\(groups) -> \(g.outChannels)"
                    if groups == 1 && stride.contains(where: { $0 > 1 }) {
                        #expect(fovea_conv_algorithm_choose(&desc) == FOVEA_CONV_ALGORITHM_GEMM, "\(context)")
                    }
                    let weightShape = g.kernel + [g.inChannels / groups, g.outChannels]
                    let x = try sweep.tensor(g.inputShape).scalars, w = try sweep.tensor(weightShape).scalars
                    let bias = sweep.bool() ? try sweep.tensor([g.outChannels]).scalars : nil
                    let count = g.outputShape.reduce(1, *)
                    let fast = Self.runPlan(&desc, FOVEA_CONV_ALGORITHM_GEMM, x: x, w: w, bias: bias, count: count)
                    var reference = nanBuffer(count)
                    #expect(fovea_reference_conv_forward(&desc, x, w, bias, &reference) == FOVEA_STATUS_SUCCESS)
                    expectClose(fast, reference, atol: 1e-5, rtol: 0, "\(context) \(activation)")

                    var plain = g.descriptor()
                    let residual = try sweep.tensor(g.outputShape)
                    let prepared = PreparedPlan(plain, FOVEA_CONV_ALGORITHM_GEMM, w: w, bias: bias)
                    var fused = prepared.runResidual(x, residual: residual.scalars, activation: activation, count: count)
                    #expect(fovea_reference_conv_forward(&plain, x, w, bias, &reference) == FOVEA_STATUS_SUCCESS)
                    let expected = try activate(try add(try Tensor(shape: g.outputShape, scalars: reference), residual), activation)
                    expectClose(fused, expected.scalars, atol: 1e-4, rtol: 0, "\(context) with a residual")
                    if prepared.bytes > 0 {
                        #expect(fovea_conv_plan_run(prepared.plan, &plain, x, &fused, &prepared.workspace, prepared.bytes - 1) == FOVEA_STATUS_INSUFFICIENT_WORKSPACE)
                    }
                }
            }
        }

        /// Many channels make the transformed weights too large for the cache, which
        /// switches Winograd from cache-resident blocks to chunked phases, its
        /// weights streaming panel by panel; panels larger than L1 (401 input
        /// channels) go slice by slice, the products accumulating across slices.
        @Test func winogradWithLargeWeightsMatchesTheReference() throws {
            var sweep = Sweep(seed: 13)
            let shapes: [(inChannels: Int, outChannels: Int, batch: Int, inSize: [Int], outSize: [Int])] = [
                (133, 141, 2, [9, 13], [9, 12]), (401, 130, 1, [7, 9], [7, 8]),
                // F(6x6) with 4x4 strips along both edges, run as one list of tiles.
                (133, 141, 2, [16, 17], [16, 16]),
            ]
            for shape in shapes {
                let g = ConvolutionGeometry(
                    spatialRank: 2, batch: shape.batch, inChannels: shape.inChannels, outChannels: shape.outChannels,
                    groups: 1, inSize: shape.inSize, outSize: shape.outSize, kernel: [3, 3], stride: [1, 1],
                    dilation: [1, 1], padBegin: [1, 0], padEnd: [1, 1])
                let weightShape = [3, 3, shape.inChannels, shape.outChannels]
                let x = try sweep.tensor(g.inputShape).scalars, w = try sweep.tensor(weightShape).scalars
                let bias = try sweep.tensor([shape.outChannels]).scalars
                var desc = g.descriptor(activation: .relu)
                var reference = nanBuffer(g.outputShape.reduce(1, *))
                #expect(fovea_reference_conv_forward(&desc, x, w, bias, &reference) == FOVEA_STATUS_SUCCESS)
                forEachInstructionSet { level in
                    for (algorithm, name, tolerance) in Self.algorithms where name.hasPrefix("winograd") {
                        let fast = Self.runPlan(&desc, algorithm, x: x, w: w, bias: bias, count: reference.count)
                        expectClose(fast, reference, atol: tolerance, rtol: 0,
                                    "\(level) \(name) with \(shape.inChannels) -> \(shape.outChannels) channels")
                        // A plan whose weights count as cached (alone) runs without the streaming aids.
                        var plan: OpaquePointer?
                        let bytes = Int64(w.count * MemoryLayout<Float>.size)
                        #expect(fovea_conv_plan_create_in_model(&desc, algorithm, w, bias, bytes, &plan) == FOVEA_STATUS_SUCCESS)
                        guard let plan else { continue }
                        defer { fovea_conv_plan_destroy(plan) }
                        var workspaceBytes = 0
                        #expect(fovea_conv_plan_workspace_size(plan, &desc, &workspaceBytes) == FOVEA_STATUS_SUCCESS)
                        var workspace = [UInt8](repeating: 0xA5, count: max(workspaceBytes, 1))
                        var cached = nanBuffer(reference.count)
                        #expect(fovea_conv_plan_run(plan, &desc, x, &cached, &workspace, workspaceBytes) == FOVEA_STATUS_SUCCESS)
                        expectClose(cached, reference, atol: tolerance, rtol: 0, "\(level) \(name), weights cached")
                    }
                }
            }
        }

        /// r50_3x3_d (7x7x512 -> 512, the benchmark's deepest 3x3 layer) against a
        /// float64 convolution, with the benchmark harness's data distribution.
        @Test func winogradErrorOnABenchmarkLayer() throws {
            let (h, c, k) = (7, 512, 512)
            var sweep = Sweep(seed: 14)
            let x = try sweep.tensor([1, h, h, c]).scalars
            let w = try sweep.tensor([3, 3, c, k], scale: 0.1).scalars
            var reference = [Double](repeating: 0, count: h * h * k)
            var accumulator = [Double](repeating: 0, count: k)
            for i in 0..<h {
                for j in 0..<h {
                    for kk in 0..<k { accumulator[kk] = 0 }
                    for r in 0..<3 where i + r - 1 >= 0 && i + r - 1 < h {
                        for s in 0..<3 where j + s - 1 >= 0 && j + s - 1 < h {
                            let xBase = ((i + r - 1) * h + j + s - 1) * c
                            for cc in 0..<c {
                                let xv = Double(x[xBase + cc])
                                let wBase = ((r * 3 + s) * c + cc) * k
                                for kk in 0..<k { accumulator[kk] += xv * Double(w[wBase + kk]) }
                            }
                        }
                    }
                    for kk in 0..<k { reference[(i * h + j) * k + kk] = accumulator[kk] }
                }
            }
            let scale = reference.reduce(0.0) { max($0, abs($1)) }
            let input = try Tensor(shape: [1, h, h, c], scalars: x), weight = try Tensor(shape: [3, 3, c, k], scalars: w)
            try forEachInstructionSet { level in
                for (tile, bound) in [(2, 1e-5), (4, 1e-4), (6, 2e-4)] {
                    let y = try Conv2D(weight: weight, padding: .same, algorithm: .winograd(tile: tile))(input).scalars
                    let worst = zip(y, reference).reduce(0.0) { max($0, abs(Double($1.0) - $1.1)) } / scale
                    #expect(worst <= bound, "\(level) F(\(tile)x\(tile),3x3): \(worst)")
                }
            }
        }

        /// Depthwise: 3x3 and 5x5 at stride 1 and 2 (the vectorised paths) plus
        /// other kernels, dilations and channel multipliers (the general path),
        /// channel counts that are not multiples of the vector width.
        @Test func depthwiseMatchesTheReference() throws {
            var sweep = Sweep(seed: 15)
            try forEachInstructionSet { level in
                for trial in 0..<100 {
                    // Trials 60-79: 3x3 stride-1 images at most 8 wide with one column of
                    // padding on each side (their own path), any padding above and below.
                    // Trials 80-99: 3x3 at stride 1 or 2 with at least 16 outputs per row,
                    // which go in row pairs.
                    let narrow = (60..<80).contains(trial), pairs = trial >= 80
                    let fastShape = narrow || pairs || trial % 3 != 2
                    let kernel = narrow || pairs ? 3 : fastShape ? [3, 5][sweep.int(0...1)] : sweep.int(1...7)
                    let stride = narrow ? 1 : fastShape ? sweep.int(1...2) : sweep.int(1...3)
                    let dilation = fastShape ? 1 : sweep.int(1...2)
                    let multiplier = fastShape ? 1 : sweep.int(1...3)
                    let channels = narrow || pairs ? [16, 17, 33, 48, 70][sweep.int(0...4)] : [1, 3, 8, 16, 17, 33, 48, 70][sweep.int(0...7)]
                    let extent = (kernel - 1) * dilation + 1
                    let top = sweep.int(0...(extent / 2)), bottom = sweep.int(0...(extent / 2))
                    let left = narrow ? 1 : sweep.int(0...(extent / 2)), right = narrow ? 1 : sweep.int(0...(extent / 2))
                    let height = max(1, extent - top - bottom) + sweep.int(0...20)
                    let width = narrow ? sweep.int(1...8)
                        : pairs ? 16 * stride + 2 + sweep.int(0...20) : max(1, extent - left - right) + sweep.int(0...30)
                    var g = ConvolutionGeometry(
                        spatialRank: 2, batch: sweep.int(1...2), inChannels: channels,
                        outChannels: channels * multiplier, groups: channels, inSize: [height, width], outSize: [],
                        kernel: [kernel, kernel], stride: [stride, stride], dilation: [dilation, dilation],
                        padBegin: [top, left], padEnd: [bottom, right])
                    g.outSize = (0..<2).map {
                        windowOutputExtent(input: g.inSize[$0], kernel: kernel, stride: stride, dilation: dilation,
                                           padBegin: g.padBegin[$0], padEnd: g.padEnd[$0])
                    }
                    guard g.outSize.allSatisfy({ $0 >= 1 }) else { continue }
                    let activation: Activation = [.none, .relu6, .leakyRelu(alpha: 0.1), .sigmoid][sweep.int(0...3)]
                    var desc = g.descriptor(activation: activation)
                    guard channels > 1 else {
                        #expect(fovea_conv_algorithm_supported(&desc, FOVEA_CONV_ALGORITHM_DEPTHWISE) == 0)
                        continue
                    }
                    let x = try sweep.tensor(g.inputShape).scalars
                    let w = try sweep.tensor([kernel, kernel, 1, channels * multiplier]).scalars
                    let bias = sweep.bool() ? try sweep.tensor([channels * multiplier]).scalars : nil
                    var plan: OpaquePointer?
                    #expect(fovea_conv_plan_create(&desc, FOVEA_CONV_ALGORITHM_DEPTHWISE, w, bias, &plan) == FOVEA_STATUS_SUCCESS)
                    defer { fovea_conv_plan_destroy(plan) }
                    let count = g.outputShape.reduce(1, *)
                    var fast = nanBuffer(count), reference = nanBuffer(count)
                    var workspace = [UInt8](repeating: 0xA5, count: 1)
                    #expect(fovea_conv_plan_run(plan, &desc, x, &fast, &workspace, 0) == FOVEA_STATUS_SUCCESS)
                    #expect(fovea_reference_conv_forward(&desc, x, w, bias, &reference) == FOVEA_STATUS_SUCCESS)
                    expectClose(
                        Array(fast.prefix(count)), Array(reference.prefix(count)), atol: 1e-5, rtol: 0,
                        "\(level) depthwise trial \(trial) in\(g.inputShape) k\(kernel) s\(stride) d\(dilation) x\(multiplier) p\(g.padBegin)/\(g.padEnd) \(activation)")
                }
            }
        }

        /// A residual sum in the output stage against the convolution, then
        /// the library's own add and activation (what a graph ran before
        /// fusing them): bit for bit, on every algorithm, odd channel counts,
        /// batch 2 and every kind of activation; and close to the reference.
        /// Where the plan can write the sum over the residual itself, that
        /// gives the same bits; where it cannot, it refuses.
        @Test func residualSumMatchesConvolutionThenAdd() throws {
            var sweep = Sweep(seed: 24)
            var summedInPlace = 0
            let kinds: [(fovea_conv_algorithm, String)] = [
                (FOVEA_CONV_ALGORITHM_DIRECT, "direct"), (FOVEA_CONV_ALGORITHM_GEMM, "gemm"),
                (FOVEA_CONV_ALGORITHM_WINOGRAD_2, "winograd F2"), (FOVEA_CONV_ALGORITHM_WINOGRAD_4, "winograd F4"),
                (FOVEA_CONV_ALGORITHM_WINOGRAD_6, "winograd F6"), (FOVEA_CONV_ALGORITHM_REFERENCE, "reference"),
            ]
            try forEachInstructionSet { level in
                for trial in 0..<10 {
                    for (algorithm, name) in kinds {
                        var g = name.hasPrefix("winograd") ? Self.randomWinogradProblem(&sweep) : KernelSweepTests.randomConvolution(&sweep)
                        g = Self.withOutputSizes(g)
                        guard g.outSize.allSatisfy({ $0 >= 1 }) else { continue }
                        let activation: Activation = [.none, .relu, .relu6, .leakyRelu(alpha: 0.1), .sigmoid, .tanh][trial % 6]
                        var desc = g.descriptor()
                        let weightShape = g.kernel + [g.inChannels / g.groups, g.outChannels]
                        let x = try sweep.tensor(g.inputShape).scalars, w = try sweep.tensor(weightShape).scalars
                        let bias = try sweep.tensor([g.outChannels]).scalars
                        let residual = try sweep.tensor(g.outputShape)
                        let count = g.outputShape.reduce(1, *)
                        let prepared = PreparedPlan(desc, algorithm, w: w, bias: bias)
                        let plain = prepared.run(x, count: count)
                        let fused = prepared.runResidual(x, residual: residual.scalars, activation: activation, count: count)
                        var reference = nanBuffer(count)
                        #expect(fovea_reference_conv_forward(&desc, x, w, bias, &reference) == FOVEA_STATUS_SUCCESS)
                        let separate = try activate(try add(try Tensor(shape: g.outputShape, scalars: plain), residual), activation)
                        let context = "\(level) \(name) trial \(trial) in\(g.inputShape) w\(weightShape) s\(g.stride) g\(g.groups) \(activation)"
                        #expect(fused.map(\.bitPattern) == separate.scalars.map(\.bitPattern), "\(context): differs from conv, add, activation")
                        let expected = try activate(try add(try Tensor(shape: g.outputShape, scalars: reference), residual), activation)
                        expectClose(fused, expected.scalars, atol: 1e-4, rtol: 0, "\(context) against the reference")
                        if let over = prepared.runResidualInPlace(x, residual: residual.scalars, activation: activation) {
                            #expect(over.map(\.bitPattern) == fused.map(\.bitPattern), "\(context): differs over the residual")
                            summedInPlace += 1
                        }
                    }
                }
            }
            // Every level but the portable one sums GEMMs over the residual,
            // and every level Winograd's.
            #expect(summedInPlace >= 30 * CPU.availableInstructionSets.count)
            // The plan's own activation must be none.
            var g = KernelSweepTests.randomConvolution(&sweep)
            g.groups = 1
            g.outChannels = g.inChannels
            var desc = g.descriptor(activation: .relu)
            let w = try sweep.tensor(g.kernel + [g.inChannels, g.outChannels]).scalars
            var plan: OpaquePointer?
            #expect(fovea_conv_plan_create(&desc, FOVEA_CONV_ALGORITHM_DIRECT, w, nil, &plan) == FOVEA_STATUS_SUCCESS)
            defer { fovea_conv_plan_destroy(plan) }
            var out = nanBuffer(g.outputShape.reduce(1, *)), after = Activation.relu.cValue
            let residual = [Float](repeating: 0, count: out.count), input = [Float](repeating: 0, count: g.inputShape.reduce(1, *))
            var bytes = 0
            #expect(fovea_conv_plan_workspace_size(plan, &desc, &bytes) == FOVEA_STATUS_SUCCESS)
            var workspace = [UInt8](repeating: 0, count: max(bytes, 1))
            #expect(fovea_conv_plan_run_residual(plan, &desc, input, residual, &after, &out, &workspace, bytes) == FOVEA_STATUS_INVALID_ARGUMENT)
        }

        /// The fused depthwise-separable block against its two halves run one after the other.
        @Test func separableBlockMatchesTwoPasses() throws {
            var sweep = Sweep(seed: 16)
            try forEachInstructionSet { level in
                for trial in 0..<12 {
                    let channels = [3, 16, 17, 40][sweep.int(0...3)], outChannels = sweep.int(1...70)
                    let stride = sweep.int(1...2), kernel = [3, 5][sweep.int(0...1)]
                    let (h, w) = (sweep.int(kernel...40), sweep.int(kernel...40))
                    let pad = kernel / 2
                    let outH = windowOutputExtent(input: h, kernel: kernel, stride: stride, dilation: 1, padBegin: pad, padEnd: pad)
                    let outW = windowOutputExtent(input: w, kernel: kernel, stride: stride, dilation: 1, padBegin: pad, padEnd: pad)
                    let batch = sweep.int(1...2)
                    var dw = ConvolutionGeometry(
                        spatialRank: 2, batch: batch, inChannels: channels, outChannels: channels, groups: channels,
                        inSize: [h, w], outSize: [outH, outW], kernel: [kernel, kernel], stride: [stride, stride],
                        dilation: [1, 1], padBegin: [pad, pad], padEnd: [pad, pad]
                    ).descriptor(activation: .relu6)
                    var pw = ConvolutionGeometry(
                        spatialRank: 2, batch: batch, inChannels: channels, outChannels: outChannels, groups: 1,
                        inSize: [outH, outW], outSize: [outH, outW], kernel: [1, 1], stride: [1, 1], dilation: [1, 1],
                        padBegin: [0, 0], padEnd: [0, 0]
                    ).descriptor(activation: .relu)
                    let x = try sweep.tensor([batch, h, w, channels]).scalars
                    let dwWeight = try sweep.tensor([kernel, kernel, 1, channels]).scalars
                    let dwBias = try sweep.tensor([channels]).scalars
                    let pwWeight = try sweep.tensor([1, 1, channels, outChannels]).scalars
                    let pwBias = try sweep.tensor([outChannels]).scalars
                    var middle = nanBuffer(batch * outH * outW * channels)
                    var expected = nanBuffer(batch * outH * outW * outChannels)
                    #expect(fovea_reference_conv_forward(&dw, x, dwWeight, dwBias, &middle) == FOVEA_STATUS_SUCCESS)
                    #expect(fovea_reference_conv_forward(&pw, middle, pwWeight, pwBias, &expected) == FOVEA_STATUS_SUCCESS)
                    var dwPlan: OpaquePointer?, pwPlan: OpaquePointer?
                    #expect(fovea_conv_plan_create(&dw, FOVEA_CONV_ALGORITHM_DEPTHWISE, dwWeight, dwBias, &dwPlan) == FOVEA_STATUS_SUCCESS)
                    #expect(fovea_conv_plan_create(&pw, FOVEA_CONV_ALGORITHM_GEMM, pwWeight, pwBias, &pwPlan) == FOVEA_STATUS_SUCCESS)
                    defer {
                        fovea_conv_plan_destroy(dwPlan)
                        fovea_conv_plan_destroy(pwPlan)
                    }
                    var bytes = 0
                    #expect(fovea_conv_separable_workspace_size(dwPlan, &dw, pwPlan, &pw, &bytes) == FOVEA_STATUS_SUCCESS)
                    var workspace = [UInt8](repeating: 0xA5, count: max(bytes, 1))
                    var fused = nanBuffer(expected.count)
                    #expect(fovea_conv_separable_run(dwPlan, &dw, pwPlan, &pw, x, &fused, &workspace, bytes) == FOVEA_STATUS_SUCCESS)
                    expectClose(fused, expected, "\(level) separable trial \(trial) \(h)x\(w)x\(channels) k\(kernel) s\(stride) -> \(outChannels)")
                }
            }
        }

        /// The fused inverted residual (expansion, depthwise, projection)
        /// against its three stages run one after the other by the reference
        /// kernel: wide rows so that blocks are few rows tall and carry rows
        /// over, odd channel counts, stride 1 and 2, paddings shorter than the
        /// window on either side, and one and two threads, bit for bit equal.
        @Test func invertedResidualMatchesThreePasses() throws {
            var sweep = Sweep(seed: 21)
            let savedThreads = Threads.count
            defer { try? Threads.setCount(savedThreads) }
            try forEachInstructionSet { level in
                for trial in 0..<8 {
                    let channels = [3, 16, 24][sweep.int(0...2)], expanded = [17, 48, 96][sweep.int(0...2)]
                    let outChannels = sweep.int(1...40)
                    let stride = sweep.int(1...2), kernel = [3, 5][sweep.int(0...1)]
                    let (h, w) = (sweep.int(kernel...30), trial % 2 == 0 ? sweep.int(150...260) : sweep.int(kernel...20))
                    let (top, bottom) = (sweep.int(0...(kernel - 1)), sweep.int(0...(kernel - 1)))
                    let (left, right) = (sweep.int(0...(kernel - 1)), sweep.int(0...(kernel - 1)))
                    let outH = windowOutputExtent(input: h, kernel: kernel, stride: stride, dilation: 1, padBegin: top, padEnd: bottom)
                    let outW = windowOutputExtent(input: w, kernel: kernel, stride: stride, dilation: 1, padBegin: left, padEnd: right)
                    let batch = sweep.int(1...2)
                    func pointwise(_ from: Int, _ to: Int, _ height: Int, _ width: Int, _ activation: Activation) -> fovea_conv_desc {
                        ConvolutionGeometry(
                            spatialRank: 2, batch: batch, inChannels: from, outChannels: to, groups: 1,
                            inSize: [height, width], outSize: [height, width], kernel: [1, 1], stride: [1, 1],
                            dilation: [1, 1], padBegin: [0, 0], padEnd: [0, 0]
                        ).descriptor(activation: activation)
                    }
                    var ex = pointwise(channels, expanded, h, w, .relu6)
                    var dw = ConvolutionGeometry(
                        spatialRank: 2, batch: batch, inChannels: expanded, outChannels: expanded, groups: expanded,
                        inSize: [h, w], outSize: [outH, outW], kernel: [kernel, kernel], stride: [stride, stride],
                        dilation: [1, 1], padBegin: [top, left], padEnd: [bottom, right]
                    ).descriptor(activation: .relu6)
                    var pw = pointwise(expanded, outChannels, outH, outW, .none)
                    let x = try sweep.tensor([batch, h, w, channels]).scalars
                    let exWeight = try sweep.tensor([1, 1, channels, expanded]).scalars, exBias = try sweep.tensor([expanded]).scalars
                    let dwWeight = try sweep.tensor([kernel, kernel, 1, expanded]).scalars, dwBias = try sweep.tensor([expanded]).scalars
                    let pwWeight = try sweep.tensor([1, 1, expanded, outChannels]).scalars, pwBias = try sweep.tensor([outChannels]).scalars
                    var first = nanBuffer(batch * h * w * expanded), second = nanBuffer(batch * outH * outW * expanded)
                    var expected = nanBuffer(batch * outH * outW * outChannels)
                    #expect(fovea_reference_conv_forward(&ex, x, exWeight, exBias, &first) == FOVEA_STATUS_SUCCESS)
                    #expect(fovea_reference_conv_forward(&dw, first, dwWeight, dwBias, &second) == FOVEA_STATUS_SUCCESS)
                    #expect(fovea_reference_conv_forward(&pw, second, pwWeight, pwBias, &expected) == FOVEA_STATUS_SUCCESS)
                    var exPlan: OpaquePointer?, dwPlan: OpaquePointer?, pwPlan: OpaquePointer?
                    #expect(fovea_conv_plan_create(&ex, FOVEA_CONV_ALGORITHM_GEMM, exWeight, exBias, &exPlan) == FOVEA_STATUS_SUCCESS)
                    #expect(fovea_conv_plan_create(&dw, FOVEA_CONV_ALGORITHM_DEPTHWISE, dwWeight, dwBias, &dwPlan) == FOVEA_STATUS_SUCCESS)
                    #expect(fovea_conv_plan_create(&pw, FOVEA_CONV_ALGORITHM_GEMM, pwWeight, pwBias, &pwPlan) == FOVEA_STATUS_SUCCESS)
                    defer {
                        fovea_conv_plan_destroy(exPlan)
                        fovea_conv_plan_destroy(dwPlan)
                        fovea_conv_plan_destroy(pwPlan)
                    }
                    let context = "\(level) inverted residual trial \(trial) \(h)x\(w)x\(channels)->\(expanded) k\(kernel) s\(stride) pad \(top),\(left),\(bottom),\(right) -> \(outChannels)"
                    var results = [[Float]]()
                    let shortcut = try sweep.tensor([batch, outH, outW, outChannels])
                    for threads in [1, 2] {
                        try Threads.setCount(threads)
                        var bytes = 0
                        #expect(fovea_conv_inverted_residual_workspace_size(exPlan, &ex, dwPlan, &dw, pwPlan, &pw, &bytes) == FOVEA_STATUS_SUCCESS)
                        var workspace = [UInt8](repeating: 0xA5, count: max(bytes, 1))
                        var fused = nanBuffer(expected.count)
                        #expect(fovea_conv_inverted_residual_run(exPlan, &ex, dwPlan, &dw, pwPlan, &pw, x, nil, nil, &fused, &workspace, bytes) == FOVEA_STATUS_SUCCESS)
                        expectClose(fused, expected, "\(context), \(threads) threads")
                        results.append(fused)
                        // The shortcut added in the projection's output stage, bit for bit
                        // as the block, then the library's add and activation.
                        var summed = nanBuffer(expected.count), after = Activation.relu6.cValue
                        #expect(fovea_conv_inverted_residual_run(exPlan, &ex, dwPlan, &dw, pwPlan, &pw, x, shortcut.scalars, &after, &summed, &workspace, bytes) == FOVEA_STATUS_SUCCESS)
                        let separate = try activate(try add(try Tensor(shape: shortcut.shape, scalars: fused), shortcut), .relu6)
                        #expect(summed.map(\.bitPattern) == separate.scalars.map(\.bitPattern), "\(context), \(threads) threads: shortcut sum")
                    }
                    #expect(results[0].map(\.bitPattern) == results[1].map(\.bitPattern), "\(context): threads changed the result")
                }
            }
        }

        /// An empty output (a 2x2 image, a 3x3 kernel, no padding) through the C
        /// API: every algorithm, the autotuner included, runs and returns, never
        /// dividing by its zero tiles.
        @Test func emptyOutputsRunWithoutWork() throws {
            var desc = ConvolutionGeometry(
                spatialRank: 2, batch: 1, inChannels: 16, outChannels: 16, groups: 1, inSize: [2, 2],
                outSize: [0, 0], kernel: [3, 3], stride: [1, 1], dilation: [1, 1], padBegin: [0, 0], padEnd: [0, 0]
            ).descriptor()
            let w = [Float](repeating: 0.5, count: 9 * 16 * 16), x = [Float](repeating: 1, count: 2 * 2 * 16)
            for algorithm in [FOVEA_CONV_ALGORITHM_DIRECT, FOVEA_CONV_ALGORITHM_GEMM, FOVEA_CONV_ALGORITHM_WINOGRAD_2,
                              FOVEA_CONV_ALGORITHM_WINOGRAD_4, FOVEA_CONV_ALGORITHM_WINOGRAD_6] {
                #expect(Self.runPlan(&desc, algorithm, x: x, w: w, bias: nil, count: 0).isEmpty)
            }
            var best = FOVEA_CONV_ALGORITHM_AUTO
            let status = fovea_conv_autotune(&desc, &best)
            #expect(status == FOVEA_STATUS_SUCCESS || status == FOVEA_STATUS_INVALID_ARGUMENT)
        }

        @Test func unsupportedRequestsAreRefused() throws {
            var g = KernelSweepTests.randomConvolution(&Self.fixedSweep)
            g.kernel = [5, 5]
            g.spatialRank = 2
            var desc = g.descriptor()
            #expect(fovea_conv_algorithm_supported(&desc, FOVEA_CONV_ALGORITHM_WINOGRAD_6) == 0)
            var plan: OpaquePointer?
            let w = [Float](repeating: 0, count: 25 * g.inChannels * g.outChannels)
            #expect(fovea_conv_plan_create(&desc, FOVEA_CONV_ALGORITHM_WINOGRAD_6, w, nil, &plan) == FOVEA_STATUS_UNSUPPORTED)
        }

        nonisolated(unsafe) static var fixedSweep = Sweep(seed: 12)

        /// `auto` alone takes the weights as cached, inside a model whose
        /// weights overflow the cache as streamed (what the plain C chooser
        /// assumes), and a model tells its layers which.
        @Test func modelsTellTheirConvolutionsWhereWeightsComeFrom() throws {
            let shape = [1, 28, 28, 128]
            let conv = try Conv2D(weight: try Tensor.zeros(shape: [3, 3, 128, 128]), padding: .same)
            var desc = try conv.core.geometry(for: shape).descriptor(activation: .none)
            let alone = fovea_conv_algorithm_choose_in_model(&desc, Int64(conv.core.weightBytes))
            #expect(try conv.algorithm(for: shape) == ConvAlgorithm(alone))
            // 9.4 MB of weights beside it: packed at 100/9 (F(6x6) and its edge strips), more
            // than a last-level cache of this kind of machine holds.
            let large = try Conv2D(weight: try Tensor.zeros(shape: [3, 3, 512, 512]), padding: .same)
            _ = Sequential(layers: [conv, large])
            let streamed = fovea_conv_algorithm_choose(&desc)
            #expect(fovea_conv_algorithm_choose_in_model(&desc, Int64(conv.core.modelWeightBytes)) == streamed)
            #expect(try conv.algorithm(for: shape) == ConvAlgorithm(streamed))
            // A graph tells its layers the same.
            let fresh = try Conv2D(weight: try Tensor.zeros(shape: [3, 3, 128, 128]), padding: .same)
            var builder = GraphBuilder()
            let first = builder.add(fresh, named: "fresh", to: builder.input)
            let second = builder.add(large, named: "large", to: first)
            _ = try builder.build(outputs: ["out": second])
            #expect(try fresh.algorithm(for: shape) == ConvAlgorithm(streamed))
            // So does a model of a user's own blocks, through their stored properties.
            struct Block: Layer {
                let inner: [any Layer]
                func outputShape(for inputShape: [Int]) throws(FoveaError) -> [Int] { inputShape }
                func callAsFunction(_ input: Tensor) throws(FoveaError) -> Tensor { input }
                var parameters: [String: Tensor] { [:] }
            }
            let nested = try Conv2D(weight: try Tensor.zeros(shape: [3, 3, 128, 128]), padding: .same)
            _ = Sequential(layers: [Block(inner: [nested]), large])
            #expect(try nested.algorithm(for: shape) == ConvAlgorithm(streamed))
            #expect(fovea_conv_weights_stay_cached(0) == 0)
            // Unknown sizes are taken as streamed.
            for _ in 0..<20 {
                var d = KernelSweepTests.randomConvolution(&Self.fixedSweep).descriptor()
                #expect(fovea_conv_algorithm_choose_in_model(&d, 0) == fovea_conv_algorithm_choose(&d))
            }
        }

        @Test func winogradSwitchAffectsOnlyAuto() throws {
            var desc = ConvolutionGeometry(
                spatialRank: 2, batch: 1, inChannels: 64, outChannels: 64, groups: 1, inSize: [56, 56],
                outSize: [56, 56], kernel: [3, 3], stride: [1, 1], dilation: [1, 1], padBegin: [1, 1], padEnd: [1, 1]
            ).descriptor()
            let saved = CPU.instructionSet
            defer {
                fovea_conv_winograd_set_enabled(1)
                CPU.instructionSet = saved
            }
            CPU.instructionSet = CPU.detectedInstructionSet
            fovea_conv_winograd_set_enabled(0)
            let chosen = fovea_conv_algorithm_choose(&desc)
            #expect(chosen != FOVEA_CONV_ALGORITHM_WINOGRAD_2 && chosen != FOVEA_CONV_ALGORITHM_WINOGRAD_4 && chosen != FOVEA_CONV_ALGORITHM_WINOGRAD_6)
            #expect(fovea_conv_algorithm_supported(&desc, FOVEA_CONV_ALGORITHM_WINOGRAD_6) == 1)
        }
    }
}
