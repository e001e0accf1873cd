/// Backward passes of the layers that move, repeat or rescale values without
/// learned weights (PReLU's slopes aside).

extension Upsample2D: TrainableLayer {
    /// Each input pixel collects the gradients of the outputs it was copied or
    /// interpolated into.
    public func backward(input: Tensor, output: Tensor, outputGradient: Tensor) throws(FoveaError) -> LayerGradients {
        try requireBackwardShapes(input: input, output: output, outputGradient: outputGradient)
        return LayerGradients(input: try resizeBackward(
            outputGradient: outputGradient, inputShape: input.shape, method: method,
            coordinates: method == .linear ? .halfPixel : .asymmetric, scale: (Double(factor), Double(factor))))
    }
}

extension PReLU: TrainableLayer {
    /// `∂x = g` where `x > 0` and `slope·g` elsewhere; `∂slope = Σ g·x` over the negative inputs.
    public func backward(input: Tensor, output: Tensor, outputGradient: Tensor) throws(FoveaError) -> LayerGradients {
        try requireBackwardShapes(input: input, output: output, outputGradient: outputGradient)
        let row = try PReLURow(slope: slope.shape, input: input.shape)
        let indices = input.count > 0 ? row.slopeIndices() : []
        let slopes = slope.scalars, width = row.width
        let x = input.readPointer, g = outputGradient.readPointer
        let dx = try Tensor(uninitializedShape: input.shape)
        let d = dx.writePointer
        var dSlope = [Float](repeating: 0, count: slope.count)
        var index = 0
        while index < input.count {
            for (offset, s) in indices.enumerated() {
                let value = x[index + offset], gradient = g[index + offset]
                if value > 0 {
                    d[index + offset] = gradient
                } else {
                    d[index + offset] = gradient * slopes[s]
                    dSlope[s] += gradient * value
                }
            }
            index += width
        }
        let slopeGradient = try Tensor(shape: slope.shape, scalars: dSlope)
        return LayerGradients(input: dx, parameters: ["weight": slopeGradient])
    }

    /// The layer with new slopes.
    public func replacingParameters(_ parameters: [String: Tensor]) throws(FoveaError) -> PReLU {
        try PReLU(slope: parameters["weight"] ?? slope)
    }
}

extension Permute: TrainableLayer {
    /// The gradient put back in the input's order.
    public func backward(input: Tensor, output: Tensor, outputGradient: Tensor) throws(FoveaError) -> LayerGradients {
        try requireBackwardShapes(input: input, output: output, outputGradient: outputGradient)
        var inverse = [Int](repeating: 0, count: dims.count + 1)
        for (position, axis) in ([0] + dims).enumerated() { inverse[axis] = position }
        return LayerGradients(input: try outputGradient.transposed(inverse))
    }
}

extension ChannelPadding: TrainableLayer {
    /// The gradient of the original channels (the added ones are constants).
    public func backward(input: Tensor, output: Tensor, outputGradient: Tensor) throws(FoveaError) -> LayerGradients {
        try requireBackwardShapes(input: input, output: output, outputGradient: outputGradient)
        return LayerGradients(input: try slice(outputGradient, to: input.shape, axis: input.rank - 1))
    }
}

extension Rescaling: TrainableLayer {
    /// The gradient times each channel's scale.
    public func backward(input: Tensor, output: Tensor, outputGradient: Tensor) throws(FoveaError) -> LayerGradients {
        try requireBackwardShapes(input: input, output: output, outputGradient: outputGradient)
        guard input.count > 0 else { return LayerGradients(input: outputGradient) }
        let channels = input.shape.last ?? 1
        let scales = (0..<channels).map { scale[scale.count == 1 ? 0 : $0] }
        let dx = try Tensor(uninitializedShape: input.shape)
        let g = outputGradient.readPointer, d = dx.writePointer
        var index = 0
        while index < input.count {
            for c in 0..<channels { d[index + c] = g[index + c] * scales[c] }
            index += channels
        }
        return LayerGradients(input: dx)
    }
}
