import Testing
@testable import Fovea

/// Random chains of the patterns the graph fuses (a rescaling before an
/// unpadded convolution, zero padding before a convolution or a max pool, a
/// depthwise convolution before a 1x1 one, a 1x1 expansion before that, a
/// convolution before a residual Add) on random shapes: the fused graph
/// gives what its layers give run one by one.
@Suite struct FusionFuzzTests {
    private struct Chain {
        var builder = GraphBuilder()
        var node: GraphNode
        var shape: [Int]
        var sweep: Sweep

        init(shape: [Int], sweep: Sweep) {
            node = builder.input
            self.shape = shape
            self.sweep = sweep
        }

        /// Adds the layer when it fits the current shape (shapes the random
        /// parameters cannot take are skipped, not errors).
        mutating func add(_ layer: any Layer) {
            guard let next = try? layer.outputShape(for: shape), next.allSatisfy({ $0 >= 1 }) else { return }
            node = builder.add(layer, to: node)
            shape = next
        }

        mutating func activation() -> Activation {
            [.none, .relu, .relu6, .leakyRelu(alpha: 0.1), .tanh][sweep.int(0...4)]
        }

        mutating func padding() -> Padding {
            switch sweep.int(0...3) {
            case 0: return .valid
            case 1: return .same
            case 2: return .sameLower
            default: return .explicit(top: sweep.int(0...2), left: sweep.int(0...2), bottom: sweep.int(0...2), right: sweep.int(0...2))
            }
        }

        mutating func step() throws {
            let channels = shape[3]
            switch sweep.int(0...6) {
            case 0:
                let scale = (0..<channels).map { _ in Float(sweep.int(1...8)) / 4 }
                let offset = (0..<channels).map { _ in Float(sweep.int(-4...4)) / 8 }
                add(try Rescaling(scale: sweep.bool() ? scale : [scale[0]], offset: offset))
            case 1:
                add(try ZeroPadding2D(top: sweep.int(0...2), left: sweep.int(0...2), bottom: sweep.int(0...2), right: sweep.int(0...2)))
            case 2:
                let k = [1, 2, 3, 5][sweep.int(0...3)], out = sweep.int(1...12)
                let groups = channels % 2 == 0 && out % 2 == 0 && sweep.bool() ? 2 : 1
                add(try Conv2D(
                    weight: try sweep.tensor([k, k, channels / groups, out]), bias: sweep.bool() ? try sweep.tensor([out]) : nil,
                    stride: Spatial(sweep.int(1...2)), padding: padding(), dilation: Spatial(k > 1 ? sweep.int(1...2) : 1),
                    groups: groups, activation: activation()))
            case 3:
                if sweep.bool() {
                    let wide = channels * sweep.int(2...4)
                    add(try Conv2D(weight: try sweep.tensor([1, 1, channels, wide]), activation: .relu6))
                }
                let c = shape[3], k = sweep.bool() ? 3 : 5
                add(try Conv2D(
                    weight: try sweep.tensor([k, k, 1, c]), bias: try sweep.tensor([c]), stride: Spatial(sweep.int(1...2)),
                    padding: sweep.bool() ? .same : .valid, groups: c, activation: .relu6))
                let out = sweep.int(1...12)
                add(try Conv2D(weight: try sweep.tensor([1, 1, shape[3], out]), bias: try sweep.tensor([out]), activation: activation()))
            case 4:
                let start = node
                let first = try Conv2D(weight: try sweep.tensor([3, 3, channels, channels]), padding: .same, activation: .relu)
                let second = try Conv2D(weight: try sweep.tensor([1, 1, channels, channels]), bias: try sweep.tensor([channels]))
                node = builder.add(second, to: builder.add(first, to: node))
                node = builder.merge(try Add(activation: sweep.bool() ? .relu : .none), start, node)
            case 5:
                let size = sweep.int(2...3)
                add(try MaxPool2D(size: Spatial(size), stride: Spatial(sweep.int(1...size)), padding: sweep.bool() ? .same : .valid))
            default:
                add(try ActivationLayer(activation()))
            }
        }
    }

    @Test(arguments: 0..<4)
    func fusedGraphsEqualTheirLayers(part: Int) throws {
        var fusedGraphs = 0
        for index in 0..<25 {
            let seed = UInt64(part * 25 + index)
            var sweep = Sweep(seed: 7_000 + seed)
            let shape = [sweep.int(1...2), sweep.int(4...19), sweep.int(4...19), sweep.int(1...9)]
            var chain = Chain(shape: shape, sweep: sweep)
            for _ in 0..<sweep.int(2...6) { try chain.step() }
            let model = try chain.builder.build(outputs: ["y": chain.node])
            if model.executed.contains(where: { if case .skipped = $0.operation { return true } else { return false } }) {
                fusedGraphs += 1
            }
            let x = try Tensor.randomUniform(shape: shape, in: -1...1, seed: seed)
            let fused = try model(x)
            let layerByLayer = try model.trainingValues(x).last!
            #expect(fused.shape == layerByLayer.shape, "graph \(seed)")
            expectClose(fused.scalars, layerByLayer.scalars, atol: 1e-5, rtol: 1e-4, "graph \(seed): \(model.layerNames)")
        }
        // The chains are random, but most of them must exercise a fusion.
        #expect(fusedGraphs >= 10)
    }
}
