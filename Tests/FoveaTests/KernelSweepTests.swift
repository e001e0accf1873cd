import CKernels
import Testing
@testable import Fovea

// Every dispatched kernel against its reference over randomised shapes — odd
// sizes, channel counts that are not multiples of the vector width, batch > 1,
// asymmetric padding — with outputs pre-filled with NaN, under every
// instruction-set level the machine has. Tolerances are per algorithm: the
// fast kernels may sum in another order (float32), the references sum in
// double where reductions are long.

extension ISASweep {
    @Suite struct KernelSweepTests {
        /// Small products, then a few large ones: several depth blocks (k over
        /// 512), rows cut between tasks (m over 256), panels packed several at a
        /// time (many columns, few rows), and the products that read B in place
        /// (at most 2 rows, or at most 8 with a B over 16 MB). alpha 1 with beta 0 or 1 (without a bias) runs in the
        /// microkernels' own stores; other alphas and betas, through scratch.
        /// Leading dimensions are wider than the matrices, and what lies beyond
        /// them in C must stay as it was.
        @Test func gemmMatchesReference() throws {
            var sweep = Sweep(seed: 1)
            try forEachInstructionSet { level in
                for trial in 0..<74 {
                    let large = trial >= 60, streamed = trial >= 72
                    let m = streamed ? sweep.int(3...8) : large ? [1, 5, 8, 300, 77, 260][(trial - 60) % 6] : sweep.int(1...37)
                    let n = streamed ? sweep.int(2050...2100) : large ? sweep.int(200...600) : sweep.int(1...53)
                    let k = streamed ? sweep.int(2000...2050) : large ? sweep.int(513...1100) : (trial % 20 == 7 ? 0 : sweep.int(1...71))
                    let transA = sweep.bool(), transB = sweep.bool()
                    let alpha: Float = [1, 1, 1.25][sweep.int(0...2)]
                    let beta: Float = [0, 1, 0.75][sweep.int(0...2)]
                    let activations: [Activation] = [.none, .relu, .relu6, .leakyRelu(alpha: 0.1), .clamp(min: -0.5, max: 0.5), .sigmoid, .tanh]
                    let activation = activations[sweep.int(0...(activations.count - 1))]
                    let lda = (transA ? m : k) + sweep.int(0...3), ldb = (transB ? k : n) + sweep.int(0...3)
                    let ldc = n + sweep.int(0...3)
                    let a = try sweep.tensor([(transA ? k : m) * lda]).scalars
                    let b = try sweep.tensor([(transB ? n : k) * ldb]).scalars
                    let bias = sweep.bool() ? try sweep.tensor([n]).scalars : nil
                    var start = try sweep.tensor([m * ldc]).scalars
                    if beta == 0 { for i in 0..<m { for j in 0..<n { start[i * ldc + j] = .nan } } }
                    var desc = fovea_gemm_desc(
                        m: Int64(m), n: Int64(n), k: Int64(k), trans_a: transA ? 1 : 0, trans_b: transB ? 1 : 0,
                        lda: Int64(lda), ldb: Int64(ldb), ldc: Int64(ldc), alpha: alpha, beta: beta,
                        activation: activation.cValue)
                    var fast = start, reference = start
                    #expect(fovea_gemm(&desc, a, b, bias, &fast) == FOVEA_STATUS_SUCCESS)
                    #expect(fovea_reference_gemm(&desc, a, b, bias, &reference) == FOVEA_STATUS_SUCCESS)
                    let what = "\(level) gemm trial \(trial) m\(m) n\(n) k\(k) tA\(transA) tB\(transB) alpha\(alpha) beta\(beta) \(activation) bias \(bias != nil)"
                    let block = { (c: [Float]) in (0..<m).flatMap { i in c[(i * ldc)..<(i * ldc + n)] } }
                    // Float32 sums over k terms against the reference's float64 ones:
                    // 1e-5 of the largest magnitude before the activation (or of 1).
                    var linearDesc = desc
                    linearDesc.activation = Activation.none.cValue
                    var linear = start
                    #expect(fovea_reference_gemm(&linearDesc, a, b, bias, &linear) == FOVEA_STATUS_SUCCESS)
                    let before = block(linear).reduce(Float(1)) { max($0, abs($1)) }
                    let after = block(reference).reduce(Float(1)) { max($0, abs($1)) }
                    expectClose(block(fast), block(reference), atol: 1e-5 * before / after, rtol: 1e-5, what)
                    let padding = { (c: [Float]) in (0..<m).flatMap { i in c[(i * ldc + n)..<((i + 1) * ldc)] } }
                    #expect(padding(fast) == padding(start), "\(what): C beyond its n columns changed")
                }
            }
        }

        @Test func activationsMatchReference() throws {
            var sweep = Sweep(seed: 2)
            let activations: [Activation] = [.none, .relu, .relu6, .leakyRelu(alpha: 0.2), .clamp(min: -1, max: 2), .sigmoid, .tanh]
            try forEachInstructionSet { level in
                for count in [1, 7, 15, 16, 17, 33, 100, 1001] {
                    let x = try sweep.tensor([count], scale: 10).scalars
                    for activation in activations {
                        var act = activation.cValue
                        var fast = nanBuffer(count), reference = nanBuffer(count)
                        #expect(fovea_activation_forward(&act, Int64(count), x, &fast) == FOVEA_STATUS_SUCCESS)
                        #expect(fovea_reference_activation_forward(&act, Int64(count), x, &reference) == FOVEA_STATUS_SUCCESS)
                        expectClose(Array(fast.prefix(count)), Array(reference.prefix(count)), atol: 1e-6, rtol: 1e-6, "\(level) \(activation) n\(count)")
                    }
                    let channels = sweep.int(1...21)
                    let rows = sweep.int(1...9)
                    let input = try sweep.tensor([rows * channels]).scalars, slope = try sweep.tensor([channels]).scalars
                    var fast = nanBuffer(rows * channels), reference = nanBuffer(rows * channels)
                    #expect(fovea_prelu_forward(Int64(rows), Int64(channels), input, slope, &fast) == FOVEA_STATUS_SUCCESS)
                    #expect(fovea_reference_prelu_forward(Int64(rows), Int64(channels), input, slope, &reference) == FOVEA_STATUS_SUCCESS)
                    expectClose(fast, reference, atol: 0, rtol: 0, "\(level) prelu \(rows)x\(channels)")
                }
            }
        }

        /// A random convolution problem, 1-D to 3-D, grouped or depthwise now and then.
        static func randomConvolution(_ sweep: inout Sweep) -> ConvolutionGeometry {
            let rank = [1, 2, 2, 2, 3][sweep.int(0...4)]
            let groups = [1, 1, 2, 3][sweep.int(0...3)]
            let depthwise = sweep.int(0...4) == 0
            let inChannels = depthwise ? sweep.int(1...19) : groups * sweep.int(1...9)
            let outChannels = depthwise ? inChannels * sweep.int(1...2) : groups * sweep.int(1...11)
            var geometry = ConvolutionGeometry(
                spatialRank: rank, batch: sweep.int(1...3), inChannels: inChannels, outChannels: outChannels,
                groups: depthwise ? inChannels : groups, inSize: [], outSize: [], kernel: [], stride: [],
                dilation: [], padBegin: [], padEnd: [])
            for _ in 0..<rank {
                let kernel = [1, 2, 3, 3, 5, 7][sweep.int(0...5)]
                let stride = sweep.int(1...3), dilation = sweep.int(1...2)
                let begin = sweep.int(0...(kernel / 2 + 1)), end = sweep.int(0...(kernel / 2 + 1))
                let extent = (kernel - 1) * dilation + 1
                let input = max(extent - begin - end, 1) + sweep.int(0...(rank == 3 ? 5 : 12))
                geometry.kernel.append(kernel)
                geometry.stride.append(stride)
                geometry.dilation.append(dilation)
                geometry.padBegin.append(begin)
                geometry.padEnd.append(end)
                geometry.inSize.append(input)
                geometry.outSize.append(windowOutputExtent(
                    input: input, kernel: kernel, stride: stride, dilation: dilation, padBegin: begin, padEnd: end))
            }
            return geometry
        }

        /// The weight gradient of 1-D and 2-D convolutions without im2col (up to
        /// two vectors of output channels at each level) and past it, against
        /// the reference: many taps (several register chunks), padding, stride,
        /// dilation, batches.
        @Test func weightGradientMatchesReference() throws {
            var sweep = Sweep(seed: 31)
            try forEachInstructionSet { level in
                for trial in 0..<40 {
                    var g = Self.randomConvolution(&sweep)
                    guard g.spatialRank < 3 else { continue }
                    g.groups = 1
                    g.inChannels = sweep.int(1...21)
                    g.outChannels = [1, 3, 6, 8, 9, 16, 17, 24, 32, 33, 40][sweep.int(0...10)]
                    let weightShape = g.kernel + [g.inChannels, g.outChannels]
                    let x = try sweep.tensor(g.inputShape).scalars
                    let dy = try sweep.tensor(g.outputShape).scalars
                    var desc = g.descriptor()
                    let count = weightShape.reduce(1, *)
                    var fast = nanBuffer(count), reference = nanBuffer(count)
                    #expect(fovea_conv_backward_filter(&desc, x, dy, &fast) == FOVEA_STATUS_SUCCESS)
                    #expect(fovea_reference_conv_backward_filter(&desc, x, dy, &reference) == FOVEA_STATUS_SUCCESS)
                    expectClose(fast, reference,
                                "\(level) weight gradient trial \(trial) in\(g.inputShape) w\(weightShape) s\(g.stride) d\(g.dilation) p\(g.padBegin)/\(g.padEnd)")
                }
            }
        }

        @Test func convolutionMatchesReference() throws {
            var sweep = Sweep(seed: 3)
            try forEachInstructionSet { level in
                for trial in 0..<40 {
                    let g = Self.randomConvolution(&sweep)
                    let weightShape = g.kernel + [g.inChannels / g.groups, g.outChannels]
                    let x = try sweep.tensor(g.inputShape).scalars, w = try sweep.tensor(weightShape).scalars
                    let bias = try sweep.tensor([g.outChannels]).scalars
                    let dy = try sweep.tensor(g.outputShape).scalars
                    var desc = g.descriptor(activation: .relu)
                    let outCount = g.outputShape.reduce(1, *)
                    let context = "\(level) conv trial \(trial) in\(g.inputShape) w\(weightShape) s\(g.stride) d\(g.dilation) p\(g.padBegin)/\(g.padEnd) g\(g.groups)"

                    var bytes = 0
                    #expect(fovea_conv_forward_workspace_size(&desc, &bytes) == FOVEA_STATUS_SUCCESS)
                    var workspace = [UInt8](repeating: 0xA5, count: max(bytes, 1))
                    var fast = nanBuffer(outCount), reference = nanBuffer(outCount)
                    #expect(fovea_conv_forward(&desc, x, w, bias, &fast, &workspace, bytes) == FOVEA_STATUS_SUCCESS)
                    #expect(fovea_reference_conv_forward(&desc, x, w, bias, &reference) == FOVEA_STATUS_SUCCESS)
                    expectClose(fast, reference, "\(context) forward")

                    desc = g.descriptor()
                    var fastDx = nanBuffer(x.count), referenceDx = nanBuffer(x.count)
                    #expect(fovea_conv_backward_data(&desc, dy, w, &fastDx) == FOVEA_STATUS_SUCCESS)
                    #expect(fovea_reference_conv_backward_data(&desc, dy, w, &referenceDx) == FOVEA_STATUS_SUCCESS)
                    expectClose(fastDx, referenceDx, "\(context) backward data")

                    var fastDw = nanBuffer(w.count), referenceDw = nanBuffer(w.count)
                    #expect(fovea_conv_backward_filter(&desc, x, dy, &fastDw) == FOVEA_STATUS_SUCCESS)
                    #expect(fovea_reference_conv_backward_filter(&desc, x, dy, &referenceDw) == FOVEA_STATUS_SUCCESS)
                    expectClose(fastDw, referenceDw, "\(context) backward filter")

                    var fastDb = nanBuffer(g.outChannels), referenceDb = nanBuffer(g.outChannels)
                    #expect(fovea_conv_backward_bias(&desc, dy, &fastDb) == FOVEA_STATUS_SUCCESS)
                    #expect(fovea_reference_conv_backward_bias(&desc, dy, &referenceDb) == FOVEA_STATUS_SUCCESS)
                    expectClose(fastDb, referenceDb, "\(context) backward bias")

                    // The transposed convolution maps the output space back to the input space.
                    var transposed = ConvolutionGeometry(
                        spatialRank: g.spatialRank, batch: g.batch, inChannels: g.outChannels,
                        outChannels: g.inChannels, groups: g.groups, inSize: g.outSize, outSize: g.inSize,
                        kernel: g.kernel, stride: g.stride, dilation: g.dilation, padBegin: g.padBegin, padEnd: g.padEnd)
                    transposed.padEnd = g.padEnd
                    var tdesc = transposed.descriptor()
                    let tbias = try sweep.tensor([g.inChannels]).scalars
                    var fastT = nanBuffer(x.count), referenceT = nanBuffer(x.count)
                    var tbytes = 0
                    #expect(fovea_conv_transpose_forward_workspace_size(&tdesc, &tbytes) == FOVEA_STATUS_SUCCESS)
                    var tworkspace = [UInt8](repeating: 0xA5, count: max(tbytes, 1))
                    #expect(fovea_conv_transpose_forward(&tdesc, dy, w, tbias, &fastT, &tworkspace, tbytes) == FOVEA_STATUS_SUCCESS)
                    #expect(fovea_reference_conv_transpose_forward(&tdesc, dy, w, tbias, &referenceT) == FOVEA_STATUS_SUCCESS)
                    expectClose(fastT, referenceT, "\(context) transposed")
                }
            }
        }

        @Test func poolingMatchesReference() throws {
            var sweep = Sweep(seed: 4)
            try forEachInstructionSet { level in
                for trial in 0..<40 {
                    let rank = sweep.int(1...3)
                    var g = PoolingGeometryBuilder(rank: rank, sweep: &sweep).geometry
                    g.batch = sweep.int(1...2)
                    // Every third trial has whole vectors of channels: windows
                    // inside the input then take the fixed-offset path.
                    g.channels = trial % 3 == 0 ? 16 * sweep.int(1...2) : sweep.int(1...35)
                    let inCount = g.batch * g.inSize.reduce(1, *) * g.channels
                    let outCount = g.outputShape.reduce(1, *)
                    var x = try sweep.tensor([inCount]).scalars
                    let dy = try sweep.tensor([outCount]).scalars
                    // Every other trial has ties in its windows: the gradient goes to the first maximum.
                    if trial % 2 == 0 { x = x.map { ($0 * 2).rounded() / 2 } }
                    let includePad = sweep.bool()
                    // p = 1 and 2 take the vector paths, others a pow per element.
                    var desc = g.descriptor(countIncludesPadding: includePad, p: [1, 2, 3, 1.5][trial % 4])
                    let context = "\(level) pool trial \(trial) in\(g.inSize) k\(g.kernel) s\(g.stride) d\(g.dilation) p\(g.padBegin)/\(g.padEnd) c\(g.channels)"
                    typealias Forward = (UnsafePointer<fovea_pool_desc>?, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?) -> fovea_status
                    let pairs: [(String, Forward, Forward)] = [
                        ("max", fovea_pool_max_forward, fovea_reference_pool_max_forward),
                        ("avg", fovea_pool_avg_forward, fovea_reference_pool_avg_forward),
                        ("lp", fovea_pool_lp_forward, fovea_reference_pool_lp_forward),
                    ]
                    for (name, fastKernel, referenceKernel) in pairs {
                        var fast = nanBuffer(outCount), reference = nanBuffer(outCount)
                        #expect(fastKernel(&desc, x, &fast) == FOVEA_STATUS_SUCCESS)
                        #expect(referenceKernel(&desc, x, &reference) == FOVEA_STATUS_SUCCESS)
                        expectClose(fast, reference, "\(context) \(name)")
                    }
                    var fastDx = nanBuffer(inCount), referenceDx = nanBuffer(inCount)
                    #expect(fovea_pool_max_backward(&desc, x, dy, &fastDx) == FOVEA_STATUS_SUCCESS)
                    #expect(fovea_reference_pool_max_backward(&desc, x, dy, &referenceDx) == FOVEA_STATUS_SUCCESS)
                    expectClose(fastDx, referenceDx, "\(context) max backward")
                    fastDx = nanBuffer(inCount)
                    referenceDx = nanBuffer(inCount)
                    #expect(fovea_pool_avg_backward(&desc, dy, &fastDx) == FOVEA_STATUS_SUCCESS)
                    #expect(fovea_reference_pool_avg_backward(&desc, dy, &referenceDx) == FOVEA_STATUS_SUCCESS)
                    expectClose(fastDx, referenceDx, "\(context) avg backward")
                }
            }
        }

        @Test func globalPoolingMatchesReference() throws {
            var sweep = Sweep(seed: 6)
            try forEachInstructionSet { level in
                for trial in 0..<20 {
                    let batch = sweep.int(1...3), spatial = sweep.int(1...300), channels = sweep.int(1...70)
                    let x = try sweep.tensor([batch * spatial * channels]).scalars
                    typealias Global = (Int64, Int64, Int64, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?) -> fovea_status
                    let pairs: [(String, Global, Global)] = [
                        ("avg", fovea_pool_global_avg_forward, fovea_reference_pool_global_avg_forward),
                        ("max", fovea_pool_global_max_forward, fovea_reference_pool_global_max_forward),
                    ]
                    for (name, fastKernel, referenceKernel) in pairs {
                        var fast = nanBuffer(batch * channels), reference = nanBuffer(batch * channels)
                        #expect(fastKernel(Int64(batch), Int64(spatial), Int64(channels), x, &fast) == FOVEA_STATUS_SUCCESS)
                        #expect(referenceKernel(Int64(batch), Int64(spatial), Int64(channels), x, &reference) == FOVEA_STATUS_SUCCESS)
                        expectClose(fast, reference, atol: 1e-6, rtol: 1e-6, "\(level) global \(name) trial \(trial)")
                    }
                }
            }
        }

        @Test func normalisationMatchesReference() throws {
            var sweep = Sweep(seed: 7)
            try forEachInstructionSet { level in
                for trial in 0..<20 {
                    let batch = sweep.int(1...3), spatial = sweep.int(1...200), channels = sweep.int(1...70)
                    let rows = batch * spatial
                    let x = try sweep.tensor([rows * channels], scale: 5).scalars.map { $0 + 3 }
                    let mean = try sweep.tensor([channels]).scalars, scale = try sweep.tensor([channels]).scalars
                    let bias = try sweep.tensor([channels]).scalars
                    let variance = try sweep.tensor([channels]).scalars.map { abs($0) + 0.1 }
                    var fast = nanBuffer(rows * channels), reference = nanBuffer(rows * channels)
                    #expect(fovea_batchnorm_forward_inference(Int64(rows), Int64(channels), x, mean, variance, scale, bias, 1e-3, &fast) == FOVEA_STATUS_SUCCESS)
                    #expect(fovea_reference_batchnorm_forward_inference(Int64(rows), Int64(channels), x, mean, variance, scale, bias, 1e-3, &reference) == FOVEA_STATUS_SUCCESS)
                    expectClose(fast, reference, "\(level) batchnorm trial \(trial)")
                    var fastMean = nanBuffer(channels), fastVariance = nanBuffer(channels)
                    var referenceMean = nanBuffer(channels), referenceVariance = nanBuffer(channels)
                    #expect(fovea_batchnorm_statistics(Int64(rows), Int64(channels), x, &fastMean, &fastVariance) == FOVEA_STATUS_SUCCESS)
                    #expect(fovea_reference_batchnorm_statistics(Int64(rows), Int64(channels), x, &referenceMean, &referenceVariance) == FOVEA_STATUS_SUCCESS)
                    expectClose(fastMean, referenceMean, "\(level) batch mean trial \(trial)")
                    expectClose(fastVariance, referenceVariance, "\(level) batch variance trial \(trial)")
                    fast = nanBuffer(rows * channels)
                    reference = nanBuffer(rows * channels)
                    #expect(fovea_instancenorm_forward(Int64(batch), Int64(spatial), Int64(channels), x, scale, bias, 1e-5, &fast) == FOVEA_STATUS_SUCCESS)
                    #expect(fovea_reference_instancenorm_forward(Int64(batch), Int64(spatial), Int64(channels), x, scale, bias, 1e-5, &reference) == FOVEA_STATUS_SUCCESS)
                    expectClose(fast, reference, atol: 1e-4, rtol: 1e-4, "\(level) instance norm trial \(trial)")
                    // Backward, with fixed and with batch statistics (the batch's own, as in training).
                    let dy = try sweep.tensor([rows * channels]).scalars
                    for batchStatistics in [Int32(0), 1] {
                        let (m, v) = batchStatistics == 1 ? (referenceMean, referenceVariance) : (mean, variance)
                        var fastDx = nanBuffer(rows * channels), referenceDx = nanBuffer(rows * channels)
                        var fastScale = nanBuffer(channels), fastOffset = nanBuffer(channels)
                        var referenceScale = nanBuffer(channels), referenceOffset = nanBuffer(channels)
                        #expect(fovea_batchnorm_backward(Int64(rows), Int64(channels), x, dy, m, v, scale, 1e-3, batchStatistics, &fastDx, &fastScale, &fastOffset) == FOVEA_STATUS_SUCCESS)
                        #expect(fovea_reference_batchnorm_backward(Int64(rows), Int64(channels), x, dy, m, v, scale, 1e-3, batchStatistics, &referenceDx, &referenceScale, &referenceOffset) == FOVEA_STATUS_SUCCESS)
                        let context = "\(level) batchnorm backward (batch statistics \(batchStatistics)) trial \(trial)"
                        expectClose(fastDx, referenceDx, atol: 1e-5, rtol: 1e-4, context)
                        expectClose(fastScale, referenceScale, atol: 1e-5, rtol: 1e-5, context + " dscale")
                        expectClose(fastOffset, referenceOffset, atol: 1e-5, rtol: 1e-5, context + " doffset")
                    }
                }
            }
        }

        @Test func resizeMatchesReference() throws {
            var sweep = Sweep(seed: 8)
            let coordinates: [fovea_coordinate_mode] = [
                FOVEA_COORDINATE_HALF_PIXEL, FOVEA_COORDINATE_PYTORCH_HALF_PIXEL, FOVEA_COORDINATE_ALIGN_CORNERS,
                FOVEA_COORDINATE_ASYMMETRIC, FOVEA_COORDINATE_HALF_PIXEL_SYMMETRIC,
            ]
            let nearest: [fovea_nearest_mode] = [
                FOVEA_NEAREST_ROUND_PREFER_FLOOR, FOVEA_NEAREST_ROUND_PREFER_CEIL, FOVEA_NEAREST_FLOOR, FOVEA_NEAREST_CEIL,
            ]
            try forEachInstructionSet { level in
                for trial in 0..<30 {
                    let (n, c) = (sweep.int(1...2), sweep.int(1...37))
                    let (h, w) = (sweep.int(1...12), sweep.int(1...12))
                    let (oh, ow) = (sweep.int(1...25), sweep.int(1...25))
                    var desc = fovea_resize_desc(
                        batch: Int64(n), channels: Int64(c), in_height: Int64(h), in_width: Int64(w),
                        out_height: Int64(oh), out_width: Int64(ow), scale_height: Double(oh) / Double(h),
                        scale_width: Double(ow) / Double(w),
                        mode: sweep.bool() ? FOVEA_RESIZE_LINEAR : FOVEA_RESIZE_NEAREST,
                        coordinate_mode: coordinates[sweep.int(0...4)], nearest_mode: nearest[sweep.int(0...3)])
                    let x = try sweep.tensor([n * h * w * c]).scalars
                    var fast = nanBuffer(n * oh * ow * c), reference = nanBuffer(n * oh * ow * c)
                    #expect(fovea_resize_forward(&desc, x, &fast) == FOVEA_STATUS_SUCCESS)
                    #expect(fovea_reference_resize_forward(&desc, x, &reference) == FOVEA_STATUS_SUCCESS)
                    expectClose(fast, reference, atol: 1e-6, rtol: 1e-6, "\(level) resize trial \(trial)")
                }
            }
        }

        @Test func binaryMatchesReference() throws {
            var sweep = Sweep(seed: 9)
            let ops: [fovea_binary_op] = [
                FOVEA_BINARY_ADD, FOVEA_BINARY_SUBTRACT, FOVEA_BINARY_MULTIPLY, FOVEA_BINARY_DIVIDE,
                FOVEA_BINARY_MAXIMUM, FOVEA_BINARY_MINIMUM,
            ]
            try forEachInstructionSet { level in
                for trial in 0..<40 {
                    let rank = sweep.int(1...4)
                    let shape = (0..<rank).map { _ in sweep.int(1...9) }
                    // Each operand broadcasts some axes (stride 0); one trial in four reads a
                    // transposed view (innermost stride not 0 or 1).
                    func strides() -> [Int64] {
                        var running: Int64 = 1
                        var result = [Int64](repeating: 0, count: rank)
                        for axis in stride(from: rank - 1, through: 0, by: -1) {
                            if sweep.int(0...3) == 0 { continue }
                            result[axis] = running
                            running *= Int64(shape[axis])
                        }
                        if trial % 4 == 3, rank >= 2 { result.swapAt(rank - 1, rank - 2) }
                        return result
                    }
                    let aStrides = strides(), bStrides = strides()
                    // Buffers as long as the furthest element a view reaches: a swapped
                    // (transposed) view can reach past a contiguous buffer of its shape.
                    func reach(_ strides: [Int64]) -> Int {
                        var furthest = 0
                        for axis in 0..<rank { furthest += (shape[axis] - 1) * Int(strides[axis]) }
                        return furthest
                    }
                    let span = max(reach(aStrides), reach(bStrides)) + 2  // and room for the NaNs planted below
                    var a = try sweep.tensor([span]).scalars, b = try sweep.tensor([span]).scalars
                    a[0] = .nan
                    b[1] = .nan
                    let op = ops[sweep.int(0...5)]
                    let count = shape.reduce(1, *)
                    var fast = [Float](repeating: 12345, count: count + 64), reference = nanBuffer(count)
                    let cShape = shape.map(Int64.init)
                    #expect(fovea_binary_forward(op, Int32(rank), cShape, a, aStrides, b, bStrides, &fast) == FOVEA_STATUS_SUCCESS)
                    // Nothing written past the output.
                    #expect(fast[count...].allSatisfy { $0 == 12345 }, "\(level) binary trial \(trial) wrote past its output")
                    fast.removeLast(64)
                    #expect(fovea_reference_binary_forward(op, Int32(rank), cShape, a, aStrides, b, bStrides, &reference) == FOVEA_STATUS_SUCCESS)
                    let same = zip(fast, reference).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
                    #expect(same, "\(level) binary trial \(trial) op \(op.rawValue) shape \(shape)")
                }
            }
        }

        @Test func gramMatchesReference() throws {
            var sweep = Sweep(seed: 5)
            try forEachInstructionSet { level in
                for trial in 0..<20 {
                    // Every fifth trial has more channels than one block may hold
                    // for the next block's prefetch, every tenth enough for one
                    // thread to pack its blocks (AVX2 from 256, AVX-512 from 384);
                    // others straddle 128, where segments end and tiles start
                    // fetching their part of G.
                    let batch = sweep.int(1...2), spatial = sweep.int(1...600)
                    let channels = trial % 10 == 9 ? sweep.int(384...520)
                        : trial % 5 == 4 ? sweep.int(250...300)
                        : trial % 5 == 2 ? sweep.int(120...136) : sweep.int(1...77)
                    let x = try sweep.tensor([batch * spatial * channels]).scalars
                    let dg = try sweep.tensor([batch * channels * channels]).scalars
                    var reference = nanBuffer(dg.count)
                    var bytes = 0
                    #expect(fovea_gram_forward_workspace_size(Int64(spatial), Int64(channels), &bytes) == FOVEA_STATUS_SUCCESS)
                    var workspace = [UInt8](repeating: 0xA5, count: max(bytes, 1))
                    // One thread (packed blocks, where the channels call for them)
                    // and two (read in place) give the same bits.
                    var runs: [[Float]] = []
                    let saved = Threads.count
                    defer { try? Threads.setCount(saved) }
                    for threads in [1, 2] {
                        try Threads.setCount(threads)
                        var fast = nanBuffer(dg.count)
                        #expect(fovea_gram_forward(Int64(batch), Int64(spatial), Int64(channels), 0.5, x, &fast, &workspace, bytes) == FOVEA_STATUS_SUCCESS)
                        runs.append(fast)
                    }
                    #expect(fovea_reference_gram_forward(Int64(batch), Int64(spatial), Int64(channels), 0.5, x, &reference) == FOVEA_STATUS_SUCCESS)
                    expectClose(runs[0], reference, "\(level) gram trial \(trial)")
                    let identical = runs[0].map(\.bitPattern) == runs[1].map(\.bitPattern)
                    #expect(identical, "\(level) gram trial \(trial): one and two threads differ")
                    var fastDx = nanBuffer(x.count), referenceDx = nanBuffer(x.count)
                    #expect(fovea_gram_backward(Int64(batch), Int64(spatial), Int64(channels), 0.5, x, dg, &fastDx) == FOVEA_STATUS_SUCCESS)
                    #expect(fovea_reference_gram_backward(Int64(batch), Int64(spatial), Int64(channels), 0.5, x, dg, &referenceDx) == FOVEA_STATUS_SUCCESS)
                    expectClose(fastDx, referenceDx, "\(level) gram backward trial \(trial)")
                }
            }
        }
    }
}

/// A random pooling window whose padding stays inside the window extent.
struct PoolingGeometryBuilder {
    var geometry: PoolingGeometry

    init(rank: Int, sweep: inout Sweep) {
        var inSize = [Int](), outSize = [Int](), kernel = [Int](), stride = [Int](), dilation = [Int]()
        var begin = [Int](), end = [Int]()
        for _ in 0..<rank {
            let k = sweep.int(1...4), s = sweep.int(1...3), d = sweep.int(1...2)
            let extent = (k - 1) * d + 1
            let b = sweep.int(0...(extent - 1)), e = sweep.int(0...(extent - 1))
            let input = extent + sweep.int(0...(rank == 3 ? 4 : 11))
            let ceil = sweep.bool()
            inSize.append(input)
            kernel.append(k)
            stride.append(s)
            dilation.append(d)
            begin.append(b)
            end.append(e)
            outSize.append(windowOutputExtent(input: input, kernel: k, stride: s, dilation: d, padBegin: b, padEnd: e, ceilMode: ceil))
        }
        geometry = try! PoolingGeometry(
            spatialRank: rank, input: [1] + inSize + [1], kernel: Spatial(kernel), stride: Spatial(stride),
            padding: .explicit(begin: begin, end: end), dilation: Spatial(dilation), ceilMode: false)
        geometry.outSize = outSize
    }
}
