/// A layer that can take the zeros of a ``ZeroPadding2D`` in front of it
/// into its own padding, so that a graph runs one pass instead of two (the
/// padded copy of a ResNet stem's input, for example).
protocol PaddingAbsorbing {
    /// The same layer reading the unpadded input, or `nil` when it cannot.
    func absorbing(top: Int, left: Int, bottom: Int, right: Int) throws(FoveaError) -> (any Layer)?
}

extension Padding {
    /// This 2-D padding with more zeros around it, or `nil` for a padding that
    /// depends on the input size (`.same`).
    func widened(top: Int, left: Int, bottom: Int, right: Int) throws(FoveaError) -> Padding? {
        switch self {
        case .valid: return .explicit(top: top, left: left, bottom: bottom, right: right)
        case .same, .sameLower: return nil
        case .explicit(let begin, let end):
            let b = try Spatial(begin).resolved(rank: 2, name: "padding (begin)", minimum: 0)
            let e = try Spatial(end).resolved(rank: 2, name: "padding (end)", minimum: 0)
            return .explicit(top: b[0] + top, left: b[1] + left, bottom: e[0] + bottom, right: e[1] + right)
        }
    }
}

extension Convolution: PaddingAbsorbing {
    func absorbing(top: Int, left: Int, bottom: Int, right: Int) throws(FoveaError) -> (any Layer)? {
        guard Rank.axes == 2,
              let padding = try core.padding.widened(top: top, left: left, bottom: bottom, right: right)
        else { return nil }
        return try Conv2D(
            weight: core.weight, bias: core.bias, stride: core.stride, padding: padding, dilation: core.dilation,
            groups: core.groups, activation: core.activation, algorithm: core.algorithm)
    }
}

extension ConvBatchNorm2D: PaddingAbsorbing {
    func absorbing(top: Int, left: Int, bottom: Int, right: Int) throws(FoveaError) -> (any Layer)? {
        guard let conv = try folded.absorbing(top: top, left: left, bottom: bottom, right: right) as? Conv2D else {
            return nil
        }
        var copy = self
        copy.folded = conv
        return copy
    }
}

/// The 2-D convolution a layer runs (directly, or folded with its batch norm).
private func convolutionCore(of layer: any Layer) -> ConvolutionCore? {
    if let conv = layer as? Conv2D { return conv.core }
    if let folded = layer as? ConvBatchNorm2D { return folded.folded.core }
    return nil
}

extension ConvolutionCore {
    /// Depthwise (one group per input channel) and 2-D.
    var isDepthwise: Bool { spatialRank == 2 && groups > 1 && groups == inChannels }

    /// 1x1, stride 1, unpadded, one group: a per-pixel matrix product.
    var isPointwise: Bool {
        spatialRank == 2 && groups == 1 && weight.shape[0] == 1 && weight.shape[1] == 1 && stride.values.allSatisfy { $0 == 1 }
            && (padding == .valid || padding == .explicit(begin: [0], end: [0]))
    }
}

extension Graph {
    /// The nodes as they run: a zero padding whose only reader can absorb it
    /// becomes a pass-through and its reader reads the unpadded input; a
    /// depthwise convolution read only by a 1x1 convolution runs with it as
    /// one depthwise-separable block, the intermediate kept in cache, and a
    /// 1x1 convolution read only by such a block runs inside it too (MobileNet
    /// v2's expansion). The graph's own nodes (its summary, shapes and
    /// parameters) are unchanged.
    static func executionNodes(
        _ nodes: [GraphBuilder.Node], outputs: [(String, Int)]
    ) -> [GraphBuilder.Node] {
        var executed = nodes
        var readers = Array(repeating: [Int](), count: nodes.count)
        for (index, node) in nodes.enumerated() {
            for input in node.inputs { readers[input].append(index) }
        }
        let outputNodes = Set(outputs.map(\.1))
        for (index, node) in nodes.enumerated() {
            guard case .layer(let layer) = node.operation, let pad = layer as? ZeroPadding2D,
                  !outputNodes.contains(index), readers[index].count == 1 else { continue }
            let reader = readers[index][0]
            guard case .layer(let next) = executed[reader].operation, let absorbing = next as? PaddingAbsorbing,
                  let absorbed = try? absorbing.absorbing(top: pad.top, left: pad.left, bottom: pad.bottom, right: pad.right)
            else { continue }
            executed[reader].operation = .layer(absorbed)
            executed[reader].inputs = node.inputs
            executed[index].operation = .skipped
        }
        for (index, node) in executed.enumerated() {
            guard case .layer(let layer) = node.operation, let depthwise = convolutionCore(of: layer), depthwise.isDepthwise,
                  !outputNodes.contains(index), readers[index].count == 1 else { continue }
            let reader = readers[index][0]
            guard case .layer(let next) = executed[reader].operation, let pointwise = convolutionCore(of: next),
                  pointwise.isPointwise, pointwise.algorithm == .auto || pointwise.algorithm == .gemm else { continue }
            executed[reader].operation = .layer(SeparableConv2D(depthwise: depthwise, pointwise: pointwise))
            executed[reader].inputs = node.inputs
            executed[index].operation = .skipped
        }
        // Readers again: the blocks made above read their depthwise stage's input.
        readers = Array(repeating: [Int](), count: executed.count)
        for (index, node) in executed.enumerated() {
            if case .skipped = node.operation { continue }
            for input in node.inputs { readers[input].append(index) }
        }
        for (index, node) in executed.enumerated() {
            guard case .layer(let layer) = node.operation, let expansion = convolutionCore(of: layer), expansion.isPointwise,
                  expansion.algorithm == .auto || expansion.algorithm == .gemm,
                  !outputNodes.contains(index), readers[index].count == 1 else { continue }
            let reader = readers[index][0]
            guard case .layer(let next) = executed[reader].operation, let separable = next as? SeparableConv2D,
                  separable.expansion == nil else { continue }
            executed[reader].operation = .layer(
                SeparableConv2D(expansion: expansion, depthwise: separable.depthwise, pointwise: separable.pointwise))
            executed[reader].inputs = node.inputs
            executed[index].operation = .skipped
        }
        // A residual Add of two inputs, one of them a 2-D convolution with no
        // activation of its own read only by the Add: the sum moves into the
        // convolution's output stage (ResNet's `relu(conv(y) + shortcut)`,
        // MobileNet v2's projection plus shortcut).
        readers = Array(repeating: [Int](), count: executed.count)
        for (index, node) in executed.enumerated() {
            if case .skipped = node.operation { continue }
            for input in node.inputs { readers[input].append(index) }
        }
        for (index, node) in executed.enumerated() {
            guard case .merge(let merge) = node.operation, let add = merge as? Add, node.inputs.count == 2 else { continue }
            for (side, producer) in node.inputs.enumerated().reversed() {
                guard producer != node.inputs[1 - side], !outputNodes.contains(producer),
                      readers[producer].count == 1,
                      case .layer(let layer) = executed[producer].operation
                else { continue }
                let fused: ConvolutionAddingShortcut.Producer
                if let core = convolutionCore(of: layer), core.spatialRank == 2, core.activation == .none {
                    fused = .convolution(core)
                } else if let block = layer as? SeparableConv2D, block.expansion != nil, block.pointwise.activation == .none {
                    fused = .separable(block)
                } else {
                    continue
                }
                executed[index].operation = .merge(ConvolutionAddingShortcut(producer: fused, activation: add.activation))
                executed[index].inputs = [executed[producer].inputs[0], node.inputs[1 - side]]
                executed[producer].operation = .skipped
                break
            }
        }
        return executed
    }
}
