/// Backward passes of the convolution layers built around ``Convolution``:
/// depthwise, depthwise-separable and transposed.

extension DepthwiseConv2D: TrainableLayer {
    /// The gradients of the grouped convolution it is.
    public func backward(input: Tensor, output: Tensor, outputGradient: Tensor) throws(FoveaError) -> LayerGradients {
        try convolution.backward(input: input, output: output, outputGradient: outputGradient)
    }

    /// Weight and bias gradients only.
    public func parameterGradients(input: Tensor, output: Tensor, outputGradient: Tensor) throws(FoveaError) -> [String: Tensor] {
        try convolution.parameterGradients(input: input, output: output, outputGradient: outputGradient)
    }

    /// The layer with a new weight and/or bias.
    public func replacingParameters(_ parameters: [String: Tensor]) throws(FoveaError) -> DepthwiseConv2D {
        DepthwiseConv2D(convolution: try convolution.replacingParameters(parameters))
    }

    init(convolution: Conv2D) { self.convolution = convolution }
}

extension SeparableConv2D: TrainableLayer {
    /// The pointwise stage's gradients, then the depthwise stage's (and the
    /// expansion's, when a graph fused one in).
    ///
    /// The intermediates are not kept by the forward pass (they are computed a
    /// few rows at a time), so they are computed again here: one more forward
    /// pass of the stages before the last.
    public func backward(input: Tensor, output: Tensor, outputGradient: Tensor) throws(FoveaError) -> LayerGradients {
        try requireBackwardShapes(input: input, output: output, outputGradient: outputGradient)
        let (first, second) = (Conv2D(core: depthwise), Conv2D(core: pointwise))
        let expansion = self.expansion.map { Conv2D(core: $0) }
        let expanded = try expansion.map { layer throws(FoveaError) in try layer(input) } ?? input
        let middle = try first(expanded)
        let outer = try second.backward(input: middle, output: output, outputGradient: outputGradient)
        let inner = try first.backward(input: expanded, output: middle, outputGradient: outer.input)
        var parameters = ["depthwise_weight": inner.parameters["weight"]!, "pointwise_weight": outer.parameters["weight"]!]
        if let bias = inner.parameters["bias"] { parameters["depthwise_bias"] = bias }
        if let bias = outer.parameters["bias"] { parameters["bias"] = bias }
        guard let expansion else { return LayerGradients(input: inner.input, parameters: parameters) }
        let front = try expansion.backward(input: input, output: expanded, outputGradient: inner.input)
        parameters["expansion_weight"] = front.parameters["weight"]!
        if let bias = front.parameters["bias"] { parameters["expansion_bias"] = bias }
        return LayerGradients(input: front.input, parameters: parameters)
    }

    /// The layer with new weights and/or biases.
    public func replacingParameters(_ parameters: [String: Tensor]) throws(FoveaError) -> SeparableConv2D {
        let first = try Conv2D(core: depthwise).replacingParameters(
            ["weight": parameters["depthwise_weight"], "bias": parameters["depthwise_bias"]].compactMapValues { $0 })
        let second = try Conv2D(core: pointwise).replacingParameters(
            ["weight": parameters["pointwise_weight"], "bias": parameters["bias"]].compactMapValues { $0 })
        let front = try expansion.map { core throws(FoveaError) in
            try Conv2D(core: core).replacingParameters(
                ["weight": parameters["expansion_weight"], "bias": parameters["expansion_bias"]].compactMapValues { $0 }).core
        }
        return SeparableConv2D(expansion: front, depthwise: first.core, pointwise: second.core)
    }
}

extension Conv2DTranspose: TrainableLayer {
    /// Weight, bias and input gradients through the activation.
    public func backward(input: Tensor, output: Tensor, outputGradient: Tensor) throws(FoveaError) -> LayerGradients {
        try requireBackwardShapes(input: input, output: output, outputGradient: outputGradient)
        let delta = try activationBackward(activation, output: output, outputGradient: outputGradient)
        let g = try conv2dTransposedBackward(
            input: input, weight: weight, outputGradient: delta, stride: stride, padding: padding,
            outputPadding: outputPadding, dilation: dilation, groups: groups)
        var parameters = ["weight": g.weight]
        if bias != nil { parameters["bias"] = g.bias }
        return LayerGradients(input: g.input, parameters: parameters)
    }

    /// The layer with a new weight and/or bias.
    public func replacingParameters(_ parameters: [String: Tensor]) throws(FoveaError) -> Conv2DTranspose {
        try Conv2DTranspose(
            weight: parameters["weight"] ?? weight, bias: parameters["bias"] ?? bias, stride: stride, padding: padding,
            outputPadding: outputPadding, dilation: dilation, groups: groups, activation: activation)
    }
}
