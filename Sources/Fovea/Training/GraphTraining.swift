extension Graph {
    /// Runs every layer (no fusions) and keeps each node's value for a
    /// backward pass; with a `seed`, in training mode (dropout, batch statistics),
    /// node i drawing from `seed` and its index, except the `inference` nodes.
    func trainingValues(_ input: Tensor, seed: UInt64? = nil, inference: Set<Int> = []) throws(FoveaError) -> [Tensor] {
        var values = [Tensor]()
        values.reserveCapacity(nodes.count)
        values.append(input)
        for node in nodes.dropFirst() {
            do {
                switch node.operation {
                case .input, .skipped: values.append(values[node.inputs.first ?? 0])
                case .layer(let layer):
                    if let seed, let trainable = layer as? any TrainableLayer, !trainable.behavesAlikeInTraining,
                       !inference.contains(values.count) {
                        values.append(try trainable.trainingForward(values[node.inputs[0]], seed: nodeSeed(seed, values.count)))
                    } else {
                        values.append(try layer(values[node.inputs[0]]))
                    }
                case .merge(let layer): values.append(try layer(node.inputs.map { values[$0] }))
                }
            } catch {
                throw error.prefixed(by: "layer \"\(node.name)\"")
            }
        }
        return values
    }

    /// Back-propagates gradients given at some nodes (by node index) through
    /// the graph and returns ∂L/∂input and ∂L/∂parameter under the names
    /// ``parameters`` uses.
    func backpropagate(
        values: [Tensor], seeds: [Int: Tensor], inputGradient: Bool = true, training seed: UInt64? = nil,
        inference: Set<Int> = []
    ) throws(FoveaError) -> (input: Tensor?, parameters: [String: Tensor]) {
        var gradients = [Tensor?](repeating: nil, count: nodes.count)
        for (node, gradient) in seeds { gradients[node] = gradient }
        var parameterGradients = [String: Tensor]()
        func accumulate(_ node: Int, _ gradient: Tensor) throws(FoveaError) {
            gradients[node] = try gradients[node].map { (existing: Tensor) throws(FoveaError) -> Tensor in
                try add(existing, gradient)
            } ?? gradient
        }
        for index in stride(from: nodes.count - 1, through: 1, by: -1) {
            guard let gradient = gradients[index] else { continue }
            let node = nodes[index]
            do throws(FoveaError) {
                switch node.operation {
                case .input, .skipped:
                    if let source = node.inputs.first { try accumulate(source, gradient) }
                case .layer(let layer):
                    guard let trainable = layer as? any TrainableLayer else {
                        throw FoveaError.unsupported("\(layerTypeName(layer)) has no backward pass yet")
                    }
                    let parameters: [String: Tensor]
                    if let seed, !trainable.behavesAlikeInTraining, !inference.contains(index) {
                        let result = try trainable.trainingBackward(
                            input: values[node.inputs[0]], output: values[index], outputGradient: gradient,
                            seed: nodeSeed(seed, index))
                        if node.inputs[0] != 0 || inputGradient { try accumulate(node.inputs[0], result.input) }
                        parameters = result.parameters
                    } else if node.inputs[0] == 0 && !inputGradient {
                        // The network's input: its gradient is not wanted.
                        parameters = try trainable.parameterGradients(
                            input: values[0], output: values[index], outputGradient: gradient)
                    } else {
                        let result = try trainable.backward(
                            input: values[node.inputs[0]], output: values[index], outputGradient: gradient)
                        try accumulate(node.inputs[0], result.input)
                        parameters = result.parameters
                    }
                    for (name, tensor) in parameters {
                        let full = "\(node.name).\(name)"
                        parameterGradients[parameterAliases[full] ?? full] = tensor
                    }
                case .merge(let layer):
                    let inputs = node.inputs.map { values[$0] }
                    let split = try mergeBackward(layer, inputs: inputs, output: values[index], gradient: gradient)
                    for (source, part) in zip(node.inputs, split) { try accumulate(source, part) }
                }
            } catch {
                throw error.prefixed(by: "backward through \"\(node.name)\"")
            }
        }
        return (gradients[0], parameterGradients)
    }

    /// The running statistics of every layer that keeps some, after training on
    /// the batch whose node values are given (names as ``parameters`` gives them).
    func updatedStatistics(values: [Tensor], skipping frozen: Set<Int> = []) throws(FoveaError) -> [String: Tensor] {
        var result = [String: Tensor]()
        for (index, node) in nodes.enumerated() where !frozen.contains(index) {
            guard case .layer(let layer) = node.operation, let trainable = layer as? any TrainableLayer else { continue }
            for (name, tensor) in try trainable.updatedStatistics(afterTrainingOn: values[node.inputs[0]]) {
                let full = "\(node.name).\(name)"
                result[parameterAliases[full] ?? full] = tensor
            }
        }
        return result
    }

    /// The same graph with new values for the parameters named (as
    /// ``parameters`` names them); the layers holding them are made anew.
    public func replacingParameters(_ updates: [String: Tensor]) throws(FoveaError) -> Graph {
        var byNode = [Int: [String: Tensor]]()
        let published = Dictionary(uniqueKeysWithValues: parameterAliases.map { ($0.value, $0.key) })
        let index = Dictionary(uniqueKeysWithValues: nodes.enumerated().map { ($0.element.name, $0.offset) })
        for (name, tensor) in updates {
            let own = published[name] ?? name
            // The longest layer name that prefixes the parameter's own name.
            guard let split = own.indices.filter({ own[$0] == "." }).reversed().first(where: { index[String(own[..<$0])] != nil }),
                  let node = index[String(own[..<split])] else {
                throw .shapeMismatch("the model has no parameter \"\(name)\"")
            }
            byNode[node, default: [:]][String(own[own.index(after: split)...])] = tensor
        }
        var updated = nodes
        for (node, parameters) in byNode {
            guard case .layer(let layer) = nodes[node].operation,
                  layer is any TrainableLayer || layer is ConvBatchNorm2D else {
                throw .unsupported("layer \"\(nodes[node].name)\" cannot take new parameters")
            }
            for (name, tensor) in parameters {
                guard let old = layer.parameters[name] else {
                    throw .shapeMismatch("layer \"\(nodes[node].name)\" has no parameter \"\(name)\"")
                }
                guard old.shape == tensor.shape else {
                    throw .shapeMismatch(
                        "parameter \"\(nodes[node].name).\(name)\" has shape \(describe(old.shape)), the update \(describe(tensor.shape))")
                }
            }
            if let fused = layer as? ConvBatchNorm2D {
                updated[node].operation = .layer(try fused.replacingParameters(parameters))
            } else if let trainable = layer as? any TrainableLayer {
                updated[node].operation = .layer(try trainable.replacingParameters(parameters))
            }
        }
        return Graph(nodes: updated, outputs: outputIndices.map { ($0.name, $0.node) }, parameterAliases: parameterAliases)
    }
}

/// The gradients of a merge layer's inputs.
func mergeBackward(
    _ layer: any MergeLayer, inputs: [Tensor], output: Tensor, gradient: Tensor
) throws(FoveaError) -> [Tensor] {
    switch layer {
    case let sum as Add:
        let delta = try activationBackward(sum.activation, output: output, outputGradient: gradient)
        return Array(repeating: delta, count: inputs.count)
    case let padded as PaddedAdd:
        let delta = try activationBackward(padded.activation, output: output, outputGradient: gradient)
        return try inputs.map { (input: Tensor) throws(FoveaError) -> Tensor in try slice(delta, to: input.shape) }
    case is CroppingConcatenate:
        // Each input's centre window received a slice of the channels; the cropped border gets nothing.
        var offset = 0
        return try inputs.map { (input: Tensor) throws(FoveaError) -> Tensor in
            defer { offset += input.shape[3] }
            let part = try slice(gradient, to: Array(output.shape.dropLast()) + [input.shape[3]], axis: 3, offset: offset)
            let (top, left) = ((input.shape[1] - output.shape[1]) / 2, (input.shape[2] - output.shape[2]) / 2)
            return try pad(part, begin: [0, top, left, 0], end: [
                0, input.shape[1] - output.shape[1] - top, input.shape[2] - output.shape[2] - left, 0,
            ])
        }
    case let join as Concatenate:
        let axis = join.axis < 0 ? join.axis + output.rank : join.axis
        var offset = 0
        return try inputs.map { (input: Tensor) throws(FoveaError) -> Tensor in
            defer { offset += input.shape[axis] }
            return try slice(gradient, to: input.shape, axis: axis, offset: offset)
        }
    default:
        throw .unsupported("\(type(of: layer)) has no backward pass yet")
    }
}

/// The seed node `index` draws from in a training step seeded `seed`.
func nodeSeed(_ seed: UInt64, _ index: Int) -> UInt64 { seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(index) }
