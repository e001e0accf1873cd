/// Training a network whose batch norms were folded into its convolutions:
/// the folded layers are split again, since training normalises with each
/// batch's statistics, which no fixed weight can express.

extension ConvBatchNorm2D {
    /// The convolution, the batch norm and the activation this layer folds,
    /// as separate layers; parameter names stay as they were once the batch
    /// norm is named `<layer>.bn`.
    func unfolded() throws(FoveaError) -> (convolution: Conv2D, normalization: BatchNorm, activation: ActivationLayer?) {
        guard let mean, let variance else {
            throw .unsupported(
                "a frozen per-channel affine (no statistics) is fixed by design and cannot be trained as a batch norm")
        }
        guard case .addedToVariance(let value) = epsilon else {
            throw .unsupported("darknet's batch norm (epsilon added to the deviation) cannot be trained here")
        }
        let core = folded.core
        let convolution = try Conv2D(
            weight: weight, bias: bias, stride: core.stride, padding: core.padding, dilation: core.dilation,
            groups: core.groups, algorithm: core.algorithm)
        let normalization = try BatchNorm(mean: mean, variance: variance, scale: scale, offset: offset, epsilon: value)
        return (convolution, normalization, core.activation == .none ? nil : try ActivationLayer(core.activation))
    }

    /// The layer with new parameters (names as in ``parameters``), folded anew.
    func replacingParameters(_ parameters: [String: Tensor]) throws(FoveaError) -> ConvBatchNorm2D {
        let core = folded.core
        return try ConvBatchNorm2D(
            weight: parameters["weight"] ?? weight, bias: parameters["bias"] ?? bias,
            mean: parameters["bn.moving_mean"] ?? mean, variance: parameters["bn.moving_variance"] ?? variance,
            scale: parameters["bn.gamma"] ?? scale, offset: parameters["bn.beta"] ?? offset, epsilon: epsilon,
            stride: core.stride, padding: core.padding, dilation: core.dilation, groups: core.groups,
            activation: core.activation, algorithm: core.algorithm)
    }
}

extension Graph {
    /// The same network with every ``ConvBatchNorm2D`` split into its
    /// convolution (named as the layer), its batch norm (`<layer>.bn`) and its
    /// activation (`<layer>.activation`): the graph a trainer runs. Parameters
    /// keep their names, so ``replacingParameters(_:)`` on the original graph
    /// folds trained values back.
    public func unfoldedForTraining() throws(FoveaError) -> Graph {
        // Nothing to split (VGG, say): the graph itself, not a copy with its executed fusions worked out again.
        guard nodes.contains(where: { if case .layer(let layer) = $0.operation { layer is ConvBatchNorm2D } else { false } }) else {
            return self
        }
        var unfolded = [GraphBuilder.Node]()
        var moved = [Int](repeating: 0, count: nodes.count)
        var names = Set(nodes.map(\.name))
        for (index, node) in nodes.enumerated() {
            let inputs = node.inputs.map { moved[$0] }
            if case .layer(let layer) = node.operation, let fused = layer as? ConvBatchNorm2D {
                let parts: (convolution: Conv2D, normalization: BatchNorm, activation: ActivationLayer?)
                do { parts = try fused.unfolded() } catch { throw error.prefixed(by: "layer \"\(node.name)\"") }
                for added in ["\(node.name).bn", "\(node.name).activation"] {
                    guard names.insert(added).inserted else {
                        throw .invalidParameter(
                            "layer \"\(node.name)\" cannot be split for training: the model already has a layer named \"\(added)\"")
                    }
                }
                unfolded.append(.init(name: node.name, operation: .layer(parts.convolution), inputs: inputs))
                unfolded.append(.init(name: "\(node.name).bn", operation: .layer(parts.normalization), inputs: [unfolded.count - 1]))
                if let activation = parts.activation {
                    unfolded.append(.init(name: "\(node.name).activation", operation: .layer(activation), inputs: [unfolded.count - 1]))
                }
            } else {
                unfolded.append(.init(name: node.name, operation: node.operation, inputs: inputs))
            }
            moved[index] = unfolded.count - 1
        }
        return Graph(
            nodes: unfolded, outputs: outputIndices.map { ($0.name, moved[$0.node]) }, parameterAliases: parameterAliases)
    }
}
