/// The result of back-propagating through a model: its outputs and the
/// gradients of a loss with respect to its input and its parameters.
public struct GraphGradients: Sendable {
    /// Every output of the forward pass, by name.
    public var outputs: [String: Tensor]
    /// ∂L/∂input, shaped like the input (what style transfer descends on).
    public var input: Tensor
    /// ∂L/∂parameter, under the names ``Graph/parameters`` uses.
    public var parameters: [String: Tensor]
}

extension Graph {
    /// Runs the model on `input` in inference mode, asks `loss` for the
    /// gradient of a loss with respect to some of the outputs (by output
    /// name; outputs left out contribute nothing), and back-propagates them.
    ///
    /// Batch norms folded into convolutions are split for the pass, so their
    /// scale and offset get gradients of their own.
    public func gradients(
        at input: Tensor, loss: ([String: Tensor]) throws(FoveaError) -> [String: Tensor]
    ) throws(FoveaError) -> GraphGradients {
        let network = try unfoldedForTraining()
        let values = try network.trainingValues(input)
        var outputs = [String: Tensor]()
        for output in network.outputIndices { outputs[output.name] = values[output.node] }
        var seeds = [Int: Tensor]()
        for (name, gradient) in try loss(outputs) {
            guard let output = network.outputIndices.first(where: { $0.name == name }) else {
                throw .invalidParameter("the model has no output named \"\(name)\"; its outputs are \(outputNames)")
            }
            try requireShape(gradient, values[output.node].shape, "the gradient of output \"\(name)\"")
            // Two output names may be one node: their gradients add.
            if let earlier = seeds[output.node] { seeds[output.node] = try add(earlier, gradient) } else { seeds[output.node] = gradient }
        }
        let result = try network.backpropagate(values: values, seeds: seeds)
        let inputGradient: Tensor
        if let computed = result.input { inputGradient = computed } else { inputGradient = try Tensor.zeros(shape: input.shape) }
        return GraphGradients(outputs: outputs, input: inputGradient, parameters: result.parameters)
    }
}
