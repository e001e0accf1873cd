/// How a graph runs its nodes: layers that follow each other are merged where
/// one kernel can do the work of both without writing the tensor between them.
/// The graph's own nodes (its summary, shapes, parameters and training) are
/// unchanged; only `Graph.executed` differs.
extension Graph {
    /// The nodes as they run, every pass below applied in turn.
    static func executionNodes(
        _ nodes: [GraphBuilder.Node], outputs: [(String, Int)]
    ) -> [GraphBuilder.Node] {
        var fusion = Fusion(nodes: nodes, outputs: Set(outputs.map(\.1)))
        fusion.absorbPadding()
        fusion.absorbRescaling()
        fusion.joinSeparableBlocks()
        fusion.joinExpansions()
        fusion.joinResidualSums()
        return fusion.nodes
    }
}

/// The nodes of a graph being fused, and who reads each one.
private struct Fusion {
    var nodes: [GraphBuilder.Node]
    let outputs: Set<Int>
    var readers: [[Int]] = []

    init(nodes: [GraphBuilder.Node], outputs: Set<Int>) {
        self.nodes = nodes
        self.outputs = outputs
        countReaders()
    }

    /// The nodes reading each node's value, skipped ones left out.
    mutating func countReaders() {
        readers = Array(repeating: [Int](), count: nodes.count)
        for (index, node) in nodes.enumerated() {
            if case .skipped = node.operation { continue }
            for input in node.inputs { readers[input].append(index) }
        }
    }

    /// The single reader of node `index`, when the node is not an output and
    /// nothing else reads it: only then may its work move into that reader.
    func onlyReader(of index: Int) -> Int? {
        guard !outputs.contains(index), readers[index].count == 1 else { return nil }
        return readers[index][0]
    }

    /// Node `index` is taken over by `reader`, which now reads what it read.
    mutating func skip(_ index: Int, into reader: Int, operation: GraphBuilder.Operation) {
        nodes[reader].operation = operation
        nodes[reader].inputs = nodes[index].inputs
        nodes[index].operation = .skipped
    }

    /// A zero padding whose only reader can take it into its own padding
    /// becomes a pass-through, and the reader reads the unpadded input.
    mutating func absorbPadding() {
        for (index, node) in nodes.enumerated() {
            guard case .layer(let layer) = node.operation, let pad = layer as? ZeroPadding2D,
                  let reader = onlyReader(of: index),
                  case .layer(let next) = nodes[reader].operation, let absorbing = next as? PaddingAbsorbing,
                  let absorbed = try? absorbing.absorbing(
                      top: pad.top, left: pad.left, bottom: pad.bottom, right: pad.right,
                      nonNegativeInput: nonNegative(node.inputs[0]))
            else { continue }
            skip(index, into: reader, operation: .layer(absorbed))
        }
        countReaders()
    }

    /// A rescaling whose only reader is an unpadded 2-D convolution becomes a
    /// pass-through, its scales and offsets in the convolution's weights.
    mutating func absorbRescaling() {
        for (index, node) in nodes.enumerated() {
            guard case .layer(let layer) = node.operation, let rescaling = layer as? Rescaling,
                  let reader = onlyReader(of: index),
                  case .layer(let next) = nodes[reader].operation, let conv = convolutionCore(of: next),
                  let absorbed = try? rescaling.absorbed(into: conv)
            else { continue }
            skip(index, into: reader, operation: .layer(absorbed))
        }
        countReaders()
    }

    /// Whether node `index`'s value is never below zero.
    func nonNegative(_ index: Int) -> Bool {
        guard case .layer(let layer) = nodes[index].operation else { return false }
        return producesNonNegative(layer)
    }

    /// A depthwise convolution read only by a 1x1 convolution runs with it as
    /// one depthwise-separable block, the intermediate kept in cache.
    mutating func joinSeparableBlocks() {
        for (index, node) in nodes.enumerated() {
            guard case .layer(let layer) = node.operation, let depthwise = convolutionCore(of: layer), depthwise.isDepthwise,
                  let reader = onlyReader(of: index),
                  case .layer(let next) = nodes[reader].operation, let pointwise = convolutionCore(of: next),
                  pointwise.isPointwise, pointwise.algorithm == .auto || pointwise.algorithm == .gemm
            else { continue }
            skip(index, into: reader, operation: .layer(SeparableConv2D(depthwise: depthwise, pointwise: pointwise)))
        }
        countReaders()
    }

    /// A 1x1 convolution read only by such a block runs inside it too
    /// (MobileNet v2's expansion).
    mutating func joinExpansions() {
        for (index, node) in nodes.enumerated() {
            guard case .layer(let layer) = node.operation, let expansion = convolutionCore(of: layer), expansion.isPointwise,
                  expansion.algorithm == .auto || expansion.algorithm == .gemm,
                  let reader = onlyReader(of: index),
                  case .layer(let next) = nodes[reader].operation, let separable = next as? SeparableConv2D,
                  separable.expansion == nil
            else { continue }
            skip(index, into: reader, operation: .layer(
                SeparableConv2D(expansion: expansion, depthwise: separable.depthwise, pointwise: separable.pointwise)))
        }
        countReaders()
    }

    /// A residual Add of two inputs, one of them a 2-D convolution (or an
    /// inverted-residual block) with no activation of its own read only by the
    /// Add: the sum moves into its output stage (ResNet's `relu(conv(y) +
    /// shortcut)`, MobileNet v2's projection plus shortcut).
    mutating func joinResidualSums() {
        for (index, node) in nodes.enumerated() {
            guard case .merge(let merge) = node.operation, let add = merge as? Add, node.inputs.count == 2 else { continue }
            for (side, producer) in node.inputs.enumerated().reversed() {
                let shortcut = node.inputs[1 - side]
                guard producer != shortcut, onlyReader(of: producer) == index,
                      case .layer(let layer) = nodes[producer].operation
                else { continue }
                let fused: ConvolutionAddingShortcut.Producer
                if let core = convolutionCore(of: layer), core.spatialRank == 2, core.activation == .none {
                    fused = .convolution(core)
                } else if let block = layer as? SeparableConv2D, block.expansion != nil, block.pointwise.activation == .none {
                    fused = .separable(block)
                } else {
                    continue
                }
                skip(producer, into: index, operation: .merge(ConvolutionAddingShortcut(producer: fused, activation: add.activation)))
                nodes[index].inputs.append(shortcut)
                break
            }
        }
        countReaders()
    }
}
