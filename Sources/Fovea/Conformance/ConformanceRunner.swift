import Foundation

/// The outcome of one conformance case.
public struct ConformanceResult: Sendable {
    /// The case's name.
    public let name: String
    /// Whether every checked tensor was within tolerance.
    public let passed: Bool
    /// The largest absolute difference over all checked tensors (NaN when the
    /// case could not run).
    public let maxError: Double
    /// Why the case failed, or `nil` when it passed.
    public let failure: String?

    /// A result, for callers that run cases their own way.
    public init(name: String, passed: Bool, maxError: Double, failure: String?) {
        self.name = name
        self.passed = passed
        self.maxError = maxError
        self.failure = failure
    }
}

extension ConformanceCase {
    /// Runs the case through the public API and checks every output and
    /// gradient by the format's rule: `|got − ref| ≤ atol·max(1, max|ref|) + rtol·|ref|`.
    /// Never throws: a case that cannot be read or run is a failed result.
    public func run() -> ConformanceResult {
        do {
            let produced = try execute()
            var worst = 0.0
            var problems = [String]()
            for name in checkedNames {
                let expected = try tensor(name)
                guard let got = produced[name] else {
                    problems.append("\(name) was not produced")
                    continue
                }
                guard got.shape == expected.shape else {
                    problems.append("\(name) has shape \(describe(got.shape)), expected \(describe(expected.shape))")
                    continue
                }
                let (error, passes) = compare(got.scalars, expected.scalars)
                worst = max(worst, error)
                if !passes { problems.append("\(name) differs by up to \(error)") }
            }
            return ConformanceResult(
                name: name, passed: problems.isEmpty, maxError: worst,
                failure: problems.isEmpty ? nil : problems.joined(separator: "; "))
        } catch {
            return ConformanceResult(name: name, passed: false, maxError: .nan, failure: error.description)
        }
    }

    func compare(_ got: [Float], _ expected: [Float]) -> (maxError: Double, passes: Bool) {
        let magnitude = expected.reduce(0.0) { max($0, Double(abs($1))) }
        let scaledAbsolute = absoluteTolerance * max(1, magnitude)
        var worst = 0.0
        var passes = true
        for (g, e) in zip(got, expected) {
            let difference = abs(Double(g) - Double(e))
            if !(difference <= scaledAbsolute + relativeTolerance * abs(Double(e))) { passes = false }
            worst = difference.isNaN ? .infinity : max(worst, difference)
        }
        return (worst, passes)
    }

    /// Produces every checked tensor, in the case's own layout.
    func execute() throws(FoveaError) -> [String: Tensor] {
        switch op {
        case "Conv": return try runConv()
        case "ConvTranspose": return try runConvTranspose()
        case "MaxPool": return try runPool(.max)
        case "AveragePool":
            return try runPool(.average(countIncludesPadding: try attributes.int("count_include_pad") != 0))
        case "LpPool": return try runPool(.lp(p: Float(try attributes.double("p"))))
        case "GlobalAveragePool", "GlobalMaxPool":
            let x = try tensor("X")
            let channelsLast = try x.nchwToNHWC()
            let pooled = op == "GlobalAveragePool" ? try globalAvgPool(channelsLast) : try globalMaxPool(channelsLast)
            return ["Y": try pooled.reshaped(to: Array(x.shape[0..<2]) + Array(repeating: 1, count: x.rank - 2))]
        case "BatchNormalization": return try runBatchNorm()
        case "InstanceNormalization":
            let x = try tensor("input")
            let y = try instanceNorm(
                try x.nchwToNHWC(), scale: try tensor("scale"), offset: try tensor("B"),
                epsilon: Float(try attributes.double("epsilon")))
            return ["output": try y.nhwcToNCHW()]
        case "Relu": return ["Y": try relu(try tensor("X"))]
        case "Sigmoid": return ["Y": try sigmoid(try tensor("X"))]
        case "LeakyRelu":
            return ["Y": try leakyRelu(try tensor("X"), alpha: Float(try attributes.double("alpha")))]
        case "PRelu": return ["Y": try prelu(try tensor("X"), slope: try tensor("slope"))]
        case "Softmax":
            return ["output": try softmax(try tensor("input"), axis: try derivedOrAttribute("axis"))]
        case "Gemm":
            return [
                "Y": try gemm(
                    try tensor("A"), try tensor("B"), c: inputNames.contains("C") ? try tensor("C") : nil,
                    alpha: Float(try attributes.double("alpha")), beta: Float(try attributes.double("beta")),
                    transposeA: try attributes.int("transA") != 0, transposeB: try attributes.int("transB") != 0)
            ]
        case "MatMul": return ["Y": try matmul(try tensor("A"), try tensor("B"))]
        case "Add": return ["C": try add(try tensor("A"), try tensor("B"))]
        case "Concat":
            var inputs = [Tensor]()
            for name in inputNames { inputs.append(try tensor(name)) }
            return ["concat_result": try concatenate(inputs, axis: try derivedOrAttribute("axis"))]
        case "Flatten":
            return ["output": try flatten(try tensor("input"), axis: try derivedOrAttribute("axis"))]
        case "Pad": return ["output": try runPad()]
        case "Resize": return ["Y": try runResize()]
        case "DepthToSpace", "SpaceToDepth":
            let mode: DepthSpaceMode = try attributes.string("mode") == "CRD" ? .columnRowDepth : .depthColumnRow
            let x = try tensor("input").nchwToNHWC()
            let block = try attributes.int("blocksize")
            let y = op == "DepthToSpace"
                ? try depthToSpace(x, blockSize: block, mode: mode)
                : try spaceToDepth(x, blockSize: block, mode: mode)
            return ["output": try y.nhwcToNCHW()]
        case "GramMatrix": return try runGram()
        case "StyleLoss":
            let result = try styleLoss(
                try tensor("X").nchwToNHWC(), target: try tensor("A"),
                weight: Float(try attributes.double("weight")))
            var outputs = ["E": Tensor(scalar: result.loss)]
            if let name = backward?.gradients["X"] { outputs[name] = try result.gradient.nhwcToNCHW() }
            return outputs
        default:
            throw .unsupported("operator \(op) is not part of the conformance runner")
        }
    }

    private func derivedOrAttribute(_ key: String) throws(FoveaError) -> Int {
        derived.has(key) ? try derived.int(key) : try attributes.int(key)
    }

    /// The explicit padding of a window operation from `derived.pads`.
    private func windowPadding(spatialRank: Int) throws(FoveaError) -> Padding {
        guard (1...3).contains(spatialRank) else {
            throw .unsupported("case \(name): windows over 1 to 3 spatial axes, got \(spatialRank)")
        }
        let pads = derived.has("pads") ? try derived.ints("pads") : try attributes.ints("pads")
        guard pads.count == 2 * spatialRank else {
            throw .fileFormat("case \(name): pads \(describe(pads)) do not fit \(spatialRank) spatial axes")
        }
        return .explicit(begin: Array(pads[..<spatialRank]), end: Array(pads[spatialRank...]))
    }

    private func runConv() throws(FoveaError) -> [String: Tensor] {
        let x = try tensor("X"), w = try tensor("W")
        let bias = inputNames.contains("B") ? try tensor("B") : nil
        let rank = x.rank - 2
        let padding = try windowPadding(spatialRank: rank)
        let stride = Spatial(try attributes.ints("strides"))
        let dilation = Spatial(try attributes.ints("dilations"))
        let groups = try attributes.int("group")
        let input = try x.nchwToNHWC(), weight = try w.oihwToHWIO()
        let y = try convolution(
            spatialRank: rank, input, weight: weight, bias: bias, stride: stride, padding: padding,
            dilation: dilation, groups: groups, activation: .none)
        var outputs = ["Y": try y.nhwcToNCHW()]
        if let backward, let upstreamName = backward.upstream["Y"] {
            let gradients = try convolutionBackward(
                spatialRank: rank, input: input, weight: weight,
                outputGradient: try tensor(upstreamName).nchwToNHWC(), stride: stride, padding: padding,
                dilation: dilation, groups: groups)
            if let name = backward.gradients["X"] { outputs[name] = try gradients.input.nhwcToNCHW() }
            if let name = backward.gradients["W"] { outputs[name] = try gradients.weight.hwioToOIHW() }
            if let name = backward.gradients["B"] { outputs[name] = gradients.bias }
        }
        return outputs
    }

    private func runConvTranspose() throws(FoveaError) -> [String: Tensor] {
        let x = try tensor("X"), w = try tensor("W")
        let bias = inputNames.contains("B") ? try tensor("B") : nil
        let rank = x.rank - 2
        let y = try transposedConvolution(
            spatialRank: rank, try x.nchwToNHWC(), weight: try w.oihwToHWIO(), bias: bias,
            stride: Spatial(try attributes.ints("strides")), padding: try windowPadding(spatialRank: rank),
            outputPadding: Spatial(try attributes.ints("output_padding")),
            dilation: Spatial(try attributes.ints("dilations")), groups: try attributes.int("group"))
        return ["Y": try y.nhwcToNCHW()]
    }

    private func runPool(_ kind: PoolingKind) throws(FoveaError) -> [String: Tensor] {
        let x = try tensor("X")
        let rank = x.rank - 2
        let input = try x.nchwToNHWC()
        let kernel = Spatial(try attributes.ints("kernel_shape"))
        let stride = Spatial(try attributes.ints("strides"))
        let dilation = Spatial(try attributes.ints("dilations"))
        let padding = try windowPadding(spatialRank: rank)
        let ceilMode = try attributes.int("ceil_mode") != 0
        let y = try pool(
            kind, input, spatialRank: rank, kernel: kernel, stride: stride, padding: padding,
            dilation: dilation, ceilMode: ceilMode)
        var outputs = ["Y": try y.nhwcToNCHW()]
        if let backward, let upstreamName = backward.upstream["Y"], let name = backward.gradients["X"] {
            let dx = try poolBackward(
                kind, input: input, outputGradient: try tensor(upstreamName).nchwToNHWC(),
                spatialRank: rank, kernel: kernel, stride: stride, padding: padding,
                dilation: dilation, ceilMode: ceilMode)
            outputs[name] = try dx.nhwcToNCHW()
        }
        return outputs
    }

    private func runBatchNorm() throws(FoveaError) -> [String: Tensor] {
        let x = try tensor("X")
        let input = x.rank > 2 ? try x.nchwToNHWC() : x
        let scale = try tensor("scale"), offset = try tensor("B")
        let mean = try tensor("input_mean"), variance = try tensor("input_var")
        let epsilon = Float(try attributes.double("epsilon"))
        var outputs = [String: Tensor]()
        let y: Tensor
        if try attributes.int("training_mode") != 0 {
            let stats = try batchNormStatistics(input)
            y = try batchNorm(
                input, mean: stats.mean, variance: stats.variance, scale: scale, offset: offset, epsilon: epsilon)
            let momentum = Tensor(scalar: Float(try attributes.double("momentum")))
            let rest = Tensor(scalar: 1 - Float(try attributes.double("momentum")))
            outputs["running_mean"] = try add(multiply(mean, momentum), multiply(stats.mean, rest))
            outputs["running_var"] = try add(multiply(variance, momentum), multiply(stats.variance, rest))
        } else {
            y = try batchNorm(input, mean: mean, variance: variance, scale: scale, offset: offset, epsilon: epsilon)
        }
        outputs["Y"] = x.rank > 2 ? try y.nhwcToNCHW() : y
        return outputs
    }

    private func runPad() throws(FoveaError) -> Tensor {
        let x = try tensor("data")
        let pads = try attributes.ints("pads")
        guard pads.count == 2 * x.rank else {
            throw .fileFormat("case \(name): pads \(describe(pads)) do not fit rank \(x.rank)")
        }
        let mode: PaddingMode
        switch try attributes.string("mode") {
        case "constant": mode = .constant(Float(try attributes.double("constant_value")))
        case "reflect": mode = .reflect
        case "edge": mode = .edge
        case "wrap": mode = .wrap
        case let other: throw .unsupported("case \(name): pad mode \(other)")
        }
        return try pad(x, begin: Array(pads[..<x.rank]), end: Array(pads[x.rank...]), mode: mode)
    }

    private func runResize() throws(FoveaError) -> Tensor {
        let x = try tensor("X")
        let scales = try attributes.doubles("scales")
        let outShape = try attributes.ints("output_shape")
        guard scales.count == x.rank, outShape.count == x.rank else {
            throw .fileFormat(
                "case \(name): resize scales \(scales) and output shape \(describe(outShape)) do not fit rank \(x.rank)")
        }
        let method: ResizeMethod
        if try attributes.string("mode") == "nearest" {
            let rounding: NearestRounding
            switch try attributes.string("nearest_mode") {
            case "round_prefer_floor": rounding = .roundPreferFloor
            case "round_prefer_ceil": rounding = .roundPreferCeil
            case "floor": rounding = .floor
            case "ceil": rounding = .ceil
            case let other: throw .unsupported("case \(name): nearest mode \(other)")
            }
            method = .nearest(rounding)
        } else if try attributes.string("mode") == "linear" {
            method = .linear
        } else {
            throw .unsupported("case \(name): resize mode \(try attributes.string("mode"))")
        }
        let coordinates: CoordinateTransform
        switch try attributes.string("coordinate_transformation_mode") {
        case "half_pixel": coordinates = .halfPixel
        case "pytorch_half_pixel": coordinates = .pytorchHalfPixel
        case "align_corners": coordinates = .alignCorners
        case "asymmetric": coordinates = .asymmetric
        case "half_pixel_symmetric": coordinates = .halfPixelSymmetric
        case let other: throw .unsupported("case \(name): coordinate mode \(other)")
        }
        let resizes = { (axis: Int) in outShape[axis] != x.shape[axis] || scales[axis] != 1 }
        if x.rank == 4, !resizes(0), !resizes(1) {
            let y = try resize(
                try x.nchwToNHWC(), height: outShape[2], width: outShape[3], method: method,
                coordinates: coordinates, scale: (scales[2], scales[3]))
            return try y.nhwcToNCHW()
        }
        // Any other axes, one at a time (nearest picks along each axis, and
        // linear is separable): the axis becomes the height of an image batch
        // one pixel wide, what comes before it the batch, after it the channels.
        var y = x
        for axis in 0..<x.rank where resizes(axis) {
            let outer = y.shape[..<axis].reduce(1, *), inner = y.shape[(axis + 1)...].reduce(1, *)
            let resized = try resize(
                try y.reshaped(to: [outer, y.shape[axis], 1, inner]), height: outShape[axis], width: 1,
                method: method, coordinates: coordinates, scale: (scales[axis], 1))
            var shape = y.shape
            shape[axis] = outShape[axis]
            y = try resized.reshaped(to: shape)
        }
        return y
    }

    private func runGram() throws(FoveaError) -> [String: Tensor] {
        let input = try tensor("X").nchwToNHWC()
        let normalization = GramNormalization.scaled(by: Float(try attributes.double("scale")))
        var outputs = ["G": try gramMatrix(input, normalization: normalization)]
        if let backward, let upstreamName = backward.upstream["G"], let name = backward.gradients["X"] {
            let dx = try gramMatrixBackward(
                input: input, outputGradient: try tensor(upstreamName), normalization: normalization)
            outputs[name] = try dx.nhwcToNCHW()
        }
        return outputs
    }
}
