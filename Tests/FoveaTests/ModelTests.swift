import Foundation
import Testing
@testable import Fovea

@Suite struct CaseStudyModelTests {
    /// Published (Keras, paper or Caffe) parameter counts; see each builder's documentation.
    static let expectedCounts: [(ModelName, Int)] = [
        (.lenet5, 61_706), (.alexnet, 62_378_344), (.vgg16, 138_357_544), (.vgg19, 143_667_240),
        (.resnet50, 25_636_712), (.inceptionV1, 6_998_552), (.mobilenetV1, 4_253_864),
        (.mobilenetV2, 3_538_984), (.unet, 31_030_658),
    ]

    @Test(arguments: expectedCounts.map(\.0))
    func buildsCountsAndRuns(_ name: ModelName) throws {
        let model = try name.build(weights: .random(seed: 7))
        let expected = Self.expectedCounts.first { $0.0 == name }!.1
        #expect(model.parameterCount == expected, "\(name)")
        let shapes = try model.outputShapes(for: name.defaultInputShape)
        let input = try Tensor.randomUniform(shape: name.defaultInputShape, in: 0...1, seed: 3)
        let outputs = try model.outputs(input)
        for (outputName, shape) in shapes {
            let value = try #require(outputs[outputName])
            #expect(value.shape == shape, "\(name) \(outputName)")
            #expect(value.scalars.allSatisfy { $0.isFinite }, "\(name) \(outputName)")
        }
        if let probabilities = outputs["probabilities"] {
            #expect(abs(probabilities.scalars.reduce(0, +) - 1) < 1e-4, "\(name)")
        }
        #expect(try model.summary(inputShape: name.defaultInputShape).contains("Total params: \(expected.formattedWithSeparators)"))
    }

    @Test func inceptionAuxiliaryHeadsAndUNetDepth() throws {
        let inception = try CaseStudies.inceptionV1(.random(seed: 1), auxiliaryHeads: true)
        #expect(inception.parameterCount == 13_378_280)
        #expect(inception.outputNames == ["probabilities", "aux1", "aux2"])
        #expect(try inception.outputShapes(for: [1, 224, 224, 3]).map(\.shape) == [[1, 1000], [1, 1000], [1, 1000]])
        let shallow = try CaseStudies.unet(.random(seed: 1), depth: 2, baseFilters: 8, inputChannels: 3, classes: 4)
        // 100 -> 96 -> 48 -> 44 -> 22 -> 18; up: 36 -> 32; 64 -> 60.
        #expect(try shallow.outputShape(for: [2, 100, 100, 3]) == [2, 60, 60, 4])
        let y = try shallow(try Tensor.randomUniform(shape: [2, 100, 100, 3], seed: 2))
        #expect(y.shape == [2, 60, 60, 4])
        let same = try CaseStudies.unet(.random(seed: 1), depth: 3, baseFilters: 4, padding: .same)
        #expect(try same.outputShape(for: [1, 64, 48, 1]) == [1, 64, 48, 2])
        #expect(throws: FoveaError.self) { try CaseStudies.unet(depth: 0) }
    }

    @Test func resNetBlocksFoldTheirBatchNorm() throws {
        // A folded block equals convolution then batch norm run separately.
        var sweep = Sweep(seed: 5)
        let w = try sweep.tensor([3, 3, 4, 6]), mean = try sweep.tensor([6])
        let variance = try Tensor.randomUniform(shape: [6], in: 0.5...2, seed: 1)
        let scale = try sweep.tensor([6]), offset = try sweep.tensor([6]), bias = try sweep.tensor([6])
        let layer = try ConvBatchNorm2D(
            weight: w, bias: bias, mean: mean, variance: variance, scale: scale, offset: offset, epsilon: .addedToVariance(1e-3),
            padding: .same, activation: .relu)
        let x = try sweep.tensor([2, 7, 5, 4])
        let unfolded = try relu(try batchNorm(
            try conv2d(x, weight: w, bias: bias, padding: .same), mean: mean, variance: variance, scale: scale,
            offset: offset, epsilon: 1e-3))
        expectClose(try layer(x).scalars, unfolded.scalars, atol: 1e-5, "folded batch norm")
        #expect(layer.parameterCount == 3 * 3 * 4 * 6 + 6 + 4 * 6)
    }
}

@Suite struct GraphTests {
    static func residualModel(seed: UInt64) throws -> Graph {
        var g = GraphBuilder()
        let w1 = try Tensor.randomNormal(shape: [3, 3, 4, 4], standardDeviation: 0.2, seed: seed)
        let w2 = try Tensor.randomNormal(shape: [1, 1, 4, 3], standardDeviation: 0.2, seed: seed + 1)
        let a = g.add(try Conv2D(weight: w1, padding: .same, activation: .relu), named: "conv1", to: g.input)
        let sum = g.merge(try Add(activation: .relu), named: "residual", a, g.input)
        let branch = g.add(try Conv2D(weight: w2), named: "head", to: sum)
        let joined = g.merge(Concatenate(), named: "joined", branch, sum)
        let pooled = g.add(GlobalAvgPool2D(), to: joined)
        return try g.build(outputs: ["features": joined, "pooled": pooled])
    }

    @Test func residualsConcatenationAndSeveralOutputs() throws {
        let model = try Self.residualModel(seed: 1)
        let x = try Tensor.randomUniform(shape: [2, 6, 5, 4], in: -1...1, seed: 4)
        let outputs = try model.outputs(x)
        let conv1 = model.parameters["conv1.weight"]!, head = model.parameters["head.weight"]!
        let sum = try relu(try add(try relu(try conv2d(x, weight: conv1, padding: .same)), x))
        let expected = try concatenate([try conv2d(sum, weight: head), sum], axis: 3)
        #expect(outputs["features"]!.shape == [2, 6, 5, 7])
        expectClose(outputs["features"]!.scalars, expected.scalars, "features")
        expectClose(outputs["pooled"]!.scalars, try globalAvgPool(expected).scalars, "pooled")
        #expect(try model(x) == outputs["features"]!)
        #expect(model.outputNames == ["features", "pooled"])
        #expect(model.layerNames == ["conv1", "residual", "head", "joined", "global_avg_pool2d_5"])
        let summary = try model.summary(inputShape: [1, 6, 5, 4])
        #expect(summary.contains("residual (Add)") && summary.contains("conv1, input"))
    }

    /// A zero padding read only by a convolution runs as that convolution's
    /// own padding; one read twice stays a layer.
    @Test func zeroPaddingFoldsIntoTheConvolutionThatReadsIt() throws {
        var sweep = Sweep(seed: 9)
        let w = try sweep.tensor([3, 3, 4, 5]), bias = try sweep.tensor([5])
        let stats = (try sweep.tensor([5]), try Tensor.randomUniform(shape: [5], in: 0.5...1.5, seed: 2),
                     try sweep.tensor([5]), try sweep.tensor([5]))
        var g = GraphBuilder()
        let padded = g.add(try ZeroPadding2D(top: 1, left: 2, bottom: 0, right: 3), named: "pad", to: g.input)
        let conv = g.add(try Conv2D(weight: w, bias: bias, stride: 2, activation: .relu), named: "conv", to: padded)
        let padded2 = g.add(try ZeroPadding2D(2), named: "pad2", to: conv)
        let normalized = g.add(
            try ConvBatchNorm2D(weight: try sweep.tensor([3, 3, 5, 5]), mean: stats.0, variance: stats.1, scale: stats.2,
                                offset: stats.3, padding: .uniform(1)), named: "bn", to: padded2)
        let shared = g.add(try ZeroPadding2D(1), named: "pad3", to: normalized)
        let a = g.add(try Conv2D(weight: try sweep.tensor([1, 1, 5, 2])), named: "a", to: shared)
        let b = g.add(try MaxPool2D(size: 2), named: "b", to: shared)
        let model = try g.build(outputs: ["a": a, "b": b])
        let x = try sweep.tensor([2, 9, 8, 4])

        let p1 = try pad(x, begin: [0, 1, 2, 0], end: [0, 0, 3, 0])
        let c1 = try conv2d(p1, weight: w, bias: bias, stride: 2, activation: .relu)
        guard case .layer(let bnLayer) = model.nodes[4].operation, let bn = bnLayer as? ConvBatchNorm2D else {
            Issue.record("node 4 is the batch-normalised convolution")
            return
        }
        let c2 = try bn(try pad(c1, begin: [0, 2, 2, 0], end: [0, 2, 2, 0]))
        let p3 = try pad(c2, begin: [0, 1, 1, 0], end: [0, 1, 1, 0])
        let outputs = try model.outputs(x)
        expectClose(outputs["a"]!.scalars, try conv2d(p3, weight: model.parameters["a.weight"]!).scalars, "a")
        expectClose(outputs["b"]!.scalars, try maxPool2d(p3, kernel: 2).scalars, "b")
        #expect(model.executed.filter { if case .skipped = $0.operation { return true } else { return false } }.count == 2)
        #expect(try model.summary(inputShape: [2, 9, 8, 4]).contains("pad (ZeroPadding2D)"))
    }

    /// A zero padding before a max pool runs as the pool's own padding when its
    /// input is never negative (a ReLU's output: no zero can win a window); it
    /// stays a layer when the input can be negative, or when a window could
    /// hold only zeros.
    @Test func zeroPaddingFoldsIntoAMaxPoolAfterAReLU() throws {
        var sweep = Sweep(seed: 23)
        let w = try sweep.tensor([3, 3, 4, 6]), bias = try sweep.tensor([6])
        var g = GraphBuilder()
        let relu = g.add(try Conv2D(weight: w, bias: bias, activation: .relu), named: "relu", to: g.input)
        let linear = g.add(try Conv2D(weight: w, bias: bias), named: "linear", to: g.input)
        let p1 = g.add(try ZeroPadding2D(top: 1, left: 2, bottom: 2, right: 0), named: "p1", to: relu)
        let pooled = g.add(try MaxPool2D(size: 3, stride: 2), named: "pooled", to: p1)
        let p2 = g.add(try ZeroPadding2D(1), named: "p2", to: linear)
        let kept = g.add(try MaxPool2D(size: 3, stride: 2), named: "kept", to: p2)
        let rectified = g.add(try ActivationLayer(.relu), named: "rectified", to: linear)
        let p3 = g.add(try ZeroPadding2D(top: 2, left: 0, bottom: 0, right: 1), named: "p3", to: rectified)
        let wide = g.add(try MaxPool2D(size: 2), named: "wide", to: p3)
        let model = try g.build(outputs: ["pooled": pooled, "kept": kept, "wide": wide])
        let x = try sweep.tensor([2, 11, 10, 4])
        let r = try conv2d(x, weight: w, bias: bias, activation: .relu), l = try conv2d(x, weight: w, bias: bias)
        let outputs = try model.outputs(x)
        let expected = [
            "pooled": try maxPool2d(try pad(r, begin: [0, 1, 2, 0], end: [0, 2, 0, 0]), kernel: 3, stride: 2),
            "kept": try maxPool2d(try pad(l, begin: [0, 1, 1, 0], end: [0, 1, 1, 0]), kernel: 3, stride: 2),
            "wide": try maxPool2d(try pad(try activate(l, .relu), begin: [0, 2, 0, 0], end: [0, 0, 1, 0]), kernel: 2),
        ]
        for (name, tensor) in expected {
            #expect(outputs[name]!.shape == tensor.shape, "\(name)")
            expectClose(outputs[name]!.scalars, tensor.scalars, name)
        }
        let skipped = model.executed.filter { if case .skipped = $0.operation { return true } else { return false } }
        #expect(skipped.count == 1)
        guard case .layer(let pool) = model.executed[4].operation, pool is MaxPool2D else {
            Issue.record("node 4 runs the pool")
            return
        }
        #expect(model.executed[4].inputs == [1])
    }

    /// A rescaling read only by an unpadded convolution moves into its weights
    /// and bias (per-channel and single values, groups, strides, with and
    /// without a bias of its own); one read by a padded convolution or by two
    /// layers stays. Outputs equal the layers run one by one.
    @Test func rescalingBeforeAnUnpaddedConvolutionIsAbsorbed() throws {
        var sweep = Sweep(seed: 27)
        var g = GraphBuilder()
        let normalise = g.add(try Rescaling(scale: [1 / 256, 0.5, -2, 3, 0.25, 1], offset: [-0.47, 0.1, 2, -1, 0, 0.3]),
                              named: "normalise", to: g.input)
        let grouped = g.add(try Conv2D(weight: try sweep.tensor([3, 2, 3, 8]), bias: try sweep.tensor([8]), stride: [2, 1],
                                       groups: 2, activation: .relu), named: "grouped", to: normalise)
        let scaled = g.add(try Rescaling(scale: [0.125], offset: [0.75]), named: "scaled", to: grouped)
        let stem = g.add(try ConvBatchNorm2D(
            weight: try sweep.tensor([2, 2, 8, 5]), mean: try sweep.tensor([5]),
            variance: try Tensor.randomUniform(shape: [5], in: 0.5...1.5, seed: 4), scale: try sweep.tensor([5]),
            offset: try sweep.tensor([5]), stride: 2), named: "stem", to: scaled)
        let shifted = g.add(try Rescaling(scale: [2], offset: [1]), named: "shifted", to: stem)
        let padded = g.add(try Conv2D(weight: try sweep.tensor([3, 3, 5, 4]), padding: .same), named: "padded", to: shifted)
        let model = try g.build(outputs: ["y": padded])
        #expect(model.executed.filter { if case .skipped = $0.operation { return true } else { return false } }.count == 2)
        let x = try sweep.tensor([2, 17, 14, 6])
        let fused = try model(x)
        let layerByLayer = try model.trainingValues(x).last!
        #expect(fused.shape == layerByLayer.shape)
        expectClose(fused.scalars, layerByLayer.scalars, "rescaling absorbed")
    }

    /// A depthwise convolution read only by a 1x1 convolution runs as one
    /// depthwise-separable block; the results equal the layers run one by one.
    @Test func depthwiseThenPointwiseRunsFused() throws {
        var sweep = Sweep(seed: 19)
        var g = GraphBuilder()
        let depthwise = g.add(try ConvBatchNorm2D(
            weight: try sweep.tensor([3, 3, 1, 24]), mean: try sweep.tensor([24]),
            variance: try Tensor.randomUniform(shape: [24], in: 0.5...1.5, seed: 1), scale: try sweep.tensor([24]),
            offset: try sweep.tensor([24]), stride: 2, padding: .same, groups: 24, activation: .relu6), named: "dw", to: g.input)
        let pointwise = g.add(try Conv2D(weight: try sweep.tensor([1, 1, 24, 40]), bias: try sweep.tensor([40])), named: "pw", to: depthwise)
        let model = try g.build(outputs: ["y": pointwise])
        #expect(model.executed.contains { if case .skipped = $0.operation { return true } else { return false } })
        let x = try sweep.tensor([2, 15, 12, 24])
        let fused = try model(x)
        let layerByLayer = try model.trainingValues(x).last!
        #expect(fused.shape == [2, 8, 6, 40])
        expectClose(fused.scalars, layerByLayer.scalars, "fused separable block")
    }

    /// A 1x1 expansion read only by a depthwise-separable block runs inside it
    /// (MobileNet v2's inverted residual); the results equal the layers run
    /// one by one, and the residual add still reads the block's input.
    @Test func expansionThenSeparableBlockRunsFused() throws {
        var sweep = Sweep(seed: 23)
        var g = GraphBuilder()
        let expand = g.add(try Conv2D(weight: try sweep.tensor([1, 1, 8, 40]), bias: try sweep.tensor([40]), activation: .relu6), named: "expand", to: g.input)
        let depthwise = g.add(try ConvBatchNorm2D(
            weight: try sweep.tensor([3, 3, 1, 40]), mean: try sweep.tensor([40]),
            variance: try Tensor.randomUniform(shape: [40], in: 0.5...1.5, seed: 2), scale: try sweep.tensor([40]),
            offset: try sweep.tensor([40]), padding: .same, groups: 40, activation: .relu6), named: "dw", to: expand)
        let project = g.add(try Conv2D(weight: try sweep.tensor([1, 1, 40, 8]), bias: try sweep.tensor([8])), named: "project", to: depthwise)
        let sum = try g.merge(Add(), named: "add", [g.input, project])
        let model = try g.build(outputs: ["y": sum])
        // The expansion and the depthwise stage into the block, the block into the Add.
        #expect(model.executed.filter { if case .skipped = $0.operation { return true } else { return false } }.count == 3)
        // Wide enough that the rows are cut into several blocks.
        let x = try sweep.tensor([2, 23, 300, 8])
        let fused = try model(x)
        let layerByLayer = try model.trainingValues(x).last!
        #expect(fused.shape == [2, 23, 300, 8])
        expectClose(fused.scalars, layerByLayer.scalars, "fused inverted residual")
    }

    /// A convolution read only by a residual Add runs with the sum (and the
    /// Add's activation) in its output stage, bit for bit as the layers run
    /// one by one; a convolution with an activation of its own is left alone.
    @Test func convolutionThenResidualAddRunsFused() throws {
        var sweep = Sweep(seed: 25)
        var g = GraphBuilder()
        let first = g.add(try Conv2D(weight: try sweep.tensor([3, 3, 16, 16]), bias: try sweep.tensor([16]), padding: .same, activation: .relu), named: "first", to: g.input)
        let second = g.add(try ConvBatchNorm2D(
            weight: try sweep.tensor([1, 1, 16, 16]), mean: try sweep.tensor([16]),
            variance: try Tensor.randomUniform(shape: [16], in: 0.5...1.5, seed: 3), scale: try sweep.tensor([16]),
            offset: try sweep.tensor([16])), named: "second", to: first)
        let sum = try g.merge(Add(activation: .relu), named: "out", [g.input, second])
        let other = g.add(try Conv2D(weight: try sweep.tensor([1, 1, 16, 16]), activation: .relu), named: "other", to: sum)
        let last = try g.merge(Add(), named: "last", [other, sum])
        let model = try g.build(outputs: ["y": last])
        #expect(model.executed.filter { if case .skipped = $0.operation { return true } else { return false } }.count == 1)
        let x = try sweep.tensor([2, 9, 13, 16])
        let fused = try model(x)
        let layerByLayer = try model.trainingValues(x).last!
        #expect(fused.scalars.map(\.bitPattern) == layerByLayer.scalars.map(\.bitPattern))
    }

    @Test func badGraphsAndInputsThrowWithTheLayerName() throws {
        var g = GraphBuilder()
        let a = g.add(Flatten(), named: "same", to: g.input)
        let b = g.add(Flatten(), named: "same", to: a)
        #expect(throws: FoveaError.self) { try g.build(outputs: ["y": b]) }
        var other = GraphBuilder()
        _ = other.add(Flatten(), to: other.input)
        let foreign = other.add(Flatten(), to: other.input)
        var small = GraphBuilder()
        #expect(throws: FoveaError.self) { try small.build(outputs: ["y": foreign]) }
        _ = small.merge(Concatenate(), named: "empty", [])
        #expect(throws: FoveaError.self) { try small.build(outputs: ["y": small.input]) }

        let model = try Self.residualModel(seed: 1)
        do {
            _ = try model(try Tensor.zeros(shape: [1, 6, 5, 3]))
            Issue.record("a wrong channel count must throw")
        } catch {
            #expect(error.message.contains("conv1"))
        }
    }
}

// Under ISASweep: the results are compared bit for bit, which another test
// changing the instruction-set cap meanwhile would break.
extension ISASweep {
    @Suite struct ConcurrentInferenceTests {
        @Test func oneModelServesSeveralThreadsWithIdenticalResults() async throws {
            let model = try CaseStudies.mobilenetV2(.random(seed: 2))
            let x = try Tensor.randomUniform(shape: [1, 96, 96, 3], seed: 8)
            let expected = try model(x)
            let results = try await withThrowingTaskGroup(of: Tensor.self) { group in
                for _ in 0..<4 { group.addTask { try model(x) } }
                var all = [Tensor]()
                for try await result in group { all.append(result) }
                return all
            }
            for result in results { #expect(result == expected) }
        }
    }
}

@Suite struct WeightLoadingTests {
    @Test func savedParametersLoadBackIntoTheSameArchitecture() throws {
        let original = try ModelName.mobilenetV1.build(weights: .random(seed: 3))
        let file = SafeTensorsFile(tensors: original.parameters)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fovea-mobilenet-\(UInt32.random(in: 0...UInt32.max)).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try file.write(to: url)
        let loaded = try ModelName.mobilenetV1.build(weights: try .read(contentsOf: url, convention: .fovea))
        let x = try Tensor.randomUniform(shape: [1, 64, 64, 3], seed: 1)
        #expect(try loaded(x) == original(x))
    }

    @Test func filesThatDoNotFitNameTheTensor() throws {
        var tensors = try ModelName.lenet5.build(weights: .random(seed: 1)).parameters
        tensors["fc2.weight"] = nil
        #expect(throws: FoveaError.shapeMismatch(
            "the weights have no tensor \"fc2.weight\" (the model needs shape [120, 84])")) {
            try ModelName.lenet5.build(weights: ModelWeights(tensors: tensors, convention: .fovea))
        }
        tensors["fc2.weight"] = try Tensor.zeros(shape: [84, 120])
        do {
            _ = try ModelName.lenet5.build(weights: ModelWeights(tensors: tensors, convention: .fovea))
            Issue.record("a transposed dense weight must not load")
        } catch {
            #expect(error.message.contains("fc2.weight") && error.message.contains("[120, 84]"))
        }
        tensors["fc2.weight"] = try Tensor.zeros(shape: [120, 84])
        tensors["extra.weight"] = try Tensor.zeros(shape: [1])
        do {
            _ = try ModelName.lenet5.build(weights: ModelWeights(tensors: tensors, convention: .fovea))
            Issue.record("an unused tensor must be reported")
        } catch {
            #expect(error.message.contains("extra.weight"))
        }
        // A truncated file is refused when it is read.
        let data = try SafeTensorsFile(tensors: ["fc2.weight": try Tensor.zeros(shape: [120, 84])]).encoded()
        #expect(throws: FoveaError.self) { try SafeTensorsFile.decode(data.dropLast(10)) }
    }

    @Test func pytorchLayoutsConvert() throws {
        var pytorch = [String: Tensor]()
        let model = try ModelName.lenet5.build(weights: .random(seed: 4))
        for (name, tensor) in model.parameters {
            pytorch[name] = tensor.rank == 4 ? try tensor.hwioToOIHW() : tensor.rank == 2 ? try tensor.transposed([1, 0]) : tensor
        }
        let loaded = try ModelName.lenet5.build(weights: ModelWeights(tensors: pytorch, convention: .pytorch))
        let x = try Tensor.randomUniform(shape: [2, 32, 32, 1], seed: 5)
        #expect(try loaded(x) == model(x))
    }
}

// Under ISASweep: its bit-for-bit comparisons of two runs must not see
// another test change the instruction-set cap between them.
extension ISASweep {
    @Suite struct PretrainedNetworkTests {
        /// Runs `model` on a golden input and compares every output with the golden
        /// tensor of the same name (NCHW goldens are transposed to NHWC).
        static func compare(
            _ model: Graph, golden: SafeTensorsFile, input: String, prefix: String = "", context: String
        ) throws {
            var x = try golden.tensor(named: input)
            if x.rank == 4, x.shape[1] <= 4, x.shape[3] > 4 { x = try x.nchwToNHWC() }
            let outputs = try model.outputs(x)
            for outputName in model.outputNames {
                var expected = try golden.tensor(named: prefix + outputName)
                if expected.rank == 4, expected.shape != outputs[outputName]?.shape { expected = try expected.nchwToNHWC() }
                let got = try #require(outputs[outputName])
                #expect(got.shape == expected.shape, "\(context) \(outputName)")
                expectClose(got.scalars, expected.scalars, atol: 1e-4, rtol: 0, "\(context) \(outputName)")
            }
        }

        static func weights(_ file: String) throws -> ModelWeights {
            try ModelWeights.read(contentsOf: Fixtures.models.appendingPathComponent(file), convention: .pytorch)
        }

        static func golden(_ file: String) throws -> SafeTensorsFile {
            try SafeTensorsFile.read(contentsOf: Fixtures.models.appendingPathComponent(file))
        }

        /// MTCNN's three networks against facenet-pytorch's outputs on the
        /// astronaut and messi5 images (Tests/Fixtures/models/README.md).
        @Test(arguments: ["astronaut", "messi5"])
        func mtcnnMatchesFacenetPytorch(_ image: String) throws {
            let weights = try Self.weights("mtcnn.safetensors"), golden = try Self.golden("mtcnn_\(image).safetensors")
            for (name, net) in [(ModelName.mtcnnPNet, "pnet"), (.mtcnnRNet, "rnet"), (.mtcnnONet, "onet")] {
                try Self.compare(try name.build(weights: weights), golden: golden, input: "\(net).input", prefix: "\(net).", context: "\(image) \(net)")
            }
        }

        /// BlazeFace against LiteRT's raw outputs.
        @Test(arguments: ["astronaut", "messi5_crop"])
        func blazeFaceMatchesLiteRT(_ image: String) throws {
            let model = try ModelName.blazeface.build(weights: try Self.weights("blazeface_short_range.safetensors"))
            try Self.compare(model, golden: try Self.golden("blazeface_\(image).safetensors"), input: "input_nhwc", context: image)
            // Its parameters carry the published names and load back in this library's layouts.
            #expect(model.parameters["blocks.3.dw.weight"]?.shape == [3, 3, 1, 32])
            let again = try ModelName.blazeface.build(weights: ModelWeights(tensors: model.parameters, convention: .fovea))
            let x = try Tensor.randomUniform(shape: [1, 128, 128, 3], in: -1...1, seed: 1)
            #expect(try again(x) == model(x))
        }

        /// dlib's face ResNet against dlib's descriptors of the chip and of the
        /// mirrored chip; the two people are told apart.
        @Test func dlibFaceResNetMatchesDlib() throws {
            let model = try ModelName.dlibFaceResNet.build(weights: try Self.weights("dlib_face_resnet_v1.safetensors"))
            var descriptors = [Tensor]()
            for image in ["astronaut", "messi5"] {
                let golden = try Self.golden("dlib_\(image).safetensors")
                let chip = try golden.tensor(named: "chip").reshaped(to: [1, 150, 150, 3])
                let mirrored = try flipHorizontally(chip)
                let both = try model(try Tensor.stacking(batches: [chip, mirrored]))
                expectClose(try both.batch(0).scalars, try golden.tensor(named: "descriptor").scalars, atol: 1e-4, rtol: 0, "\(image)")
                expectClose(try both.batch(1).scalars, try golden.tensor(named: "chip_flipped.descriptor").scalars, atol: 1e-4, rtol: 0, "\(image) mirrored")
                descriptors.append(try both.batch(0))
            }
            let distance = try subtract(descriptors[0], descriptors[1]).scalars.reduce(0) { $0 + $1 * $1 }.squareRoot()
            #expect(abs(distance - 0.837) < 1e-3)
        }

        /// Darknet's own files, fetched by Scripts/fetch-models (run by Scripts/setup --tests).
        static var darknetFiles: (configuration: URL, weights: URL) {
            let folder = FileCache.directory.appendingPathComponent("yolov3-tiny")
            return (folder.appendingPathComponent("yolov3-tiny.cfg"), folder.appendingPathComponent("yolov3-tiny.weights"))
        }

        /// YOLOv3-tiny from darknet's .cfg and .weights against darknet's heads,
        /// and the same weights through the built-in architecture and through
        /// the published safetensors names.
        @Test func yoloV3TinyMatchesDarknet() throws {
            let files = Self.darknetFiles
            try #require(FileManager.default.fileExists(atPath: files.weights.path), "run Scripts/fetch-models first")
            let model = try Darknet.load(configuration: files.configuration, weights: files.weights)
            #expect(model.outputNames == ["out.head13", "out.head26"])
            try Self.compare(model, golden: try Self.golden("yolov3_tiny_dog.safetensors"), input: "input", context: "dog")

            let data = try Data(contentsOf: files.weights)
            let builtIn = try ModelName.yolov3Tiny.build(
                weights: try Darknet.readWeights(data, configuration: try DarknetConfiguration(parsing: YOLOv3Tiny.configuration)))
            let x = try Tensor.randomUniform(shape: [1, 416, 416, 3], seed: 3)
            let expected = try model.outputs(x)
            #expect(try builtIn.outputs(x) == expected)
            #expect(model.parameters["layers.13.bn.running_var"]?.shape == [256])
            let resaved = try ModelName.yolov3Tiny.build(weights: ModelWeights(tensors: model.parameters, convention: .fovea))
            #expect(try resaved.outputs(x) == expected)
            #expect(model.parameterCount == 8_858_734)

            // Truncated or overlong weight files are refused.
            let configuration = try DarknetConfiguration(parsing: YOLOv3Tiny.configuration)
            #expect(throws: FoveaError.self) { try Darknet.readWeights(data.dropLast(4), configuration: configuration) }
            #expect(throws: FoveaError.self) { try Darknet.readWeights(data + Data(count: 4), configuration: configuration) }
        }

        @Test func darknetConfigurationsAreChecked() throws {
            #expect(throws: FoveaError.self) { try DarknetConfiguration(parsing: "[convolutional]\nfilters=3") }
            #expect(throws: FoveaError.self) { try DarknetConfiguration(parsing: "[net]\nwidth 416") }
            let unknown = try DarknetConfiguration(parsing: "[net]\nwidth=8\nheight=8\n[crnn]\nx=1")
            #expect(throws: FoveaError.unsupported("darknet [crnn] layers (line 4) are not supported")) {
                try Darknet.network(configuration: unknown, weights: .random())
            }
            let badRoute = try DarknetConfiguration(parsing: "[net]\n[route]\nlayers=-3")
            #expect(throws: FoveaError.self) { try Darknet.network(configuration: badRoute, weights: .random()) }
            // A group that does not exist, or channels that do not split evenly.
            let layer = "[net]\nchannels=6\n[convolutional]\nfilters=6\nsize=1\n[route]\nlayers=-1\n"
            for route in ["groups=2\ngroup_id=2", "groups=4\ngroup_id=0", "groups=0"] {
                let configuration = try DarknetConfiguration(parsing: layer + route)
                #expect(throws: FoveaError.self) { try Darknet.network(configuration: configuration, weights: .random()) }
            }
            let newCoordinates = try DarknetConfiguration(
                parsing: "[net]\nchannels=5\n[yolo]\nmask=0\nanchors=1,1\nclasses=0\nnew_coords=1")
            #expect(throws: FoveaError.self) { try Darknet.network(configuration: newCoordinates, weights: .random()) }
        }

        /// YOLOv4-tiny's layout (darknet's yolov4-tiny.cfg at a smaller input):
        /// its cross-stage routes refer back six layers and to layer 23 by
        /// absolute index; the heads come out at strides 32 and 16.
        @Test func yoloV4TinyConfigurationBuilds() throws {
            let text = try String(
                contentsOf: Fixtures.models.appendingPathComponent("yolov4-tiny-128x96.cfg"), encoding: .utf8)
            let configuration = try DarknetConfiguration(parsing: text)
            #expect(configuration.layers.count == 38)
            let model = try Darknet.network(configuration: configuration, weights: .random(seed: 4))
            #expect(model.outputNames == ["out.head3", "out.head6"])
            let heads = try model.outputs(try Tensor.randomUniform(shape: [1, 96, 128, 3], seed: 5))
            #expect(heads["out.head3"]?.shape == [1, 3, 4, 255])
            #expect(heads["out.head6"]?.shape == [1, 6, 8, 255])
            #expect(heads.values.allSatisfy { $0.scalars.allSatisfy(\.isFinite) })
        }

        /// YOLOv4-tiny's pieces: a route that keeps the second half of its
        /// layers' channels, and a YOLO head whose centres are stretched by
        /// scale_x_y. An identity convolution makes the expected heads plain
        /// arithmetic on the input.
        @Test func darknetRouteGroupsAndStretchedCentres() throws {
            let configuration = try DarknetConfiguration(parsing: """
                [net]
                width=3
                height=5
                channels=10
                [convolutional]
                filters=10
                size=1
                activation=linear
                [route]
                layers=-1,0
                groups=2
                group_id=1
                [yolo]
                mask=0,1
                anchors=10,14,23,27
                classes=0
                scale_x_y=1.05
                """)
            var identity = try Tensor.zeros(shape: [10, 10, 1, 1])
            identity.withUnsafeMutableBufferPointer { w in for c in 0..<10 { w[c * 10 + c] = 1 } }
            let weights = ModelWeights(
                tensors: ["layers.0.conv.weight": identity, "layers.0.conv.bias": try Tensor.zeros(shape: [10])],
                convention: .pytorch)
            let model = try Darknet.network(configuration: configuration, weights: weights)
            #expect(model.outputNames == ["out.head5"])
            let x = try Tensor.randomUniform(shape: [2, 5, 3, 10], in: -3...3, seed: 11)
            let head = try #require(try model.outputs(x)["out.head5"])
            #expect(head.shape == [2, 5, 3, 10])
            let input = x.scalars, output = head.scalars
            for pixel in 0..<(2 * 5 * 3) {
                for anchor in 0..<2 {
                    for k in 0..<5 {
                        // Both routed copies are channels 5..<10 of the same layer.
                        let t = Double(input[pixel * 10 + 5 + k])
                        let logistic = 1 / (1 + exp(-t))
                        let expected = k < 2 ? logistic * 1.05 - 0.025 : k < 4 ? t : logistic
                        let got = Double(output[pixel * 10 + anchor * 5 + k])
                        #expect(abs(got - expected) <= 1e-6 * max(1, abs(expected)), "pixel \(pixel) anchor \(anchor) value \(k)")
                    }
                }
            }
            // The slice itself refuses what it cannot take.
            #expect(throws: FoveaError.self) { try ChannelSlice(start: 0, count: 0) }
            #expect(throws: FoveaError.self) { try ChannelSlice(start: -1, count: 2) }
            #expect(throws: FoveaError.self) { try ChannelSlice(start: 8, count: 3)(x) }
            #expect(try ChannelSlice(start: 7, count: 3)(x).scalars == (0..<30).flatMap { input[($0 * 10 + 7)..<($0 * 10 + 10)] })
        }
    }
}
