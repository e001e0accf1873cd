internal import CKernels

/// A depthwise-separable convolution layer (Keras' `SeparableConv2D`,
/// MobileNet's block): a depthwise convolution, then a 1x1 convolution,
/// computed a few rows at a time so that the intermediate stays in cache.
///
/// The depthwise stage may carry a bias and an activation, which is what a
/// MobileNet block becomes once its first batch norm is folded in.
public struct SeparableConv2D: Layer {
    /// A 1x1 expansion in front (MobileNet v2's inverted residual, fused by a
    /// graph); `nil` for the layer as Keras has it.
    let expansion: ConvolutionCore?
    let depthwise: ConvolutionCore
    let pointwise: ConvolutionCore
    /// Applied to the intermediate (ReLU6 in MobileNet v1).
    public let depthwiseActivation: Activation

    /// Creates the layer and packs both weights.
    ///
    /// - Parameters:
    ///   - depthwiseWeight: `[kh, kw, 1, channels · multiplier]`.
    ///   - pointwiseWeight: `[1, 1, channels · multiplier, outChannels]`.
    ///   - channels: the input channel count.
    public init(
        depthwiseWeight: Tensor, depthwiseBias: Tensor? = nil, pointwiseWeight: Tensor, bias: Tensor? = nil,
        channels: Int, stride: Spatial = 1, padding: Padding = .valid, dilation: Spatial = 1,
        depthwiseActivation: Activation = .none, activation: Activation = .none
    ) throws(FoveaError) {
        guard channels >= 1 else { throw .invalidParameter("a separable layer needs at least one channel") }
        guard depthwiseWeight.rank == 4, depthwiseWeight.shape[2] == 1, depthwiseWeight.shape[3] % channels == 0 else {
            throw .shapeMismatch(
                "a depthwise weight is [kh, kw, 1, channels · multiplier] with \(channels) channels, got \(describe(depthwiseWeight.shape))")
        }
        guard pointwiseWeight.rank == 4, pointwiseWeight.shape[0] == 1, pointwiseWeight.shape[1] == 1,
              pointwiseWeight.shape[2] == depthwiseWeight.shape[3] else {
            throw .shapeMismatch(
                "the pointwise weight must be [1, 1, \(depthwiseWeight.shape[3]), out], got \(describe(pointwiseWeight.shape))")
        }
        depthwise = try ConvolutionCore(
            spatialRank: 2, weight: depthwiseWeight, bias: depthwiseBias, stride: stride, padding: padding,
            dilation: dilation, groups: channels, activation: depthwiseActivation,
            algorithm: channels > 1 ? .depthwise : .auto)
        pointwise = try ConvolutionCore(
            spatialRank: 2, weight: pointwiseWeight, bias: bias, stride: 1, padding: .valid, dilation: 1, groups: 1,
            activation: activation, algorithm: .gemm)
        self.depthwiseActivation = depthwise.activation
        expansion = nil
    }

    /// A depthwise and a 1x1 convolution already made, with a 1x1 expansion
    /// in front or not (a graph fusing layers that follow each other).
    init(expansion: ConvolutionCore? = nil, depthwise: ConvolutionCore, pointwise: ConvolutionCore) {
        self.expansion = expansion
        self.depthwise = depthwise
        self.pointwise = pointwise
        depthwiseActivation = depthwise.activation
    }

    /// The output shape for an NHWC input shape.
    public func outputShape(for inputShape: [Int]) throws(FoveaError) -> [Int] {
        let expanded = try expansion.map { core throws(FoveaError) in try core.geometry(for: inputShape).outputShape } ?? inputShape
        return try pointwise.geometry(for: try depthwise.geometry(for: expanded).outputShape).outputShape
    }

    /// Convolves an NHWC batch.
    public func callAsFunction(_ input: Tensor) throws(FoveaError) -> Tensor {
        try invertedResidual(input, adding: nil, activation: .none)
    }

    /// `activation(self(input) + residual)`, the sum in the projection's
    /// output stage when the block has an expansion (MobileNet v2's shortcut).
    func callAsFunction(_ input: Tensor, adding residual: Tensor, activation: Activation) throws(FoveaError) -> Tensor {
        try invertedResidual(input, adding: residual, activation: activation)
    }

    private func invertedResidual(_ input: Tensor, adding residual: Tensor?, activation: Activation) throws(FoveaError) -> Tensor {
        guard let expansion else { return try adding(residual, activation, to: try separable(input)) }
        let expand = try expansion.prepare(input.shape)
        let first = try depthwise.prepare(expand.outputShape)
        let second = try pointwise.prepare(first.outputShape)
        // The fused kernel needs every output row's window to reach the image
        // (padding shorter than the window, as SAME padding always is).
        let extent = Int((first.descriptor.kernel.1 - 1) * first.descriptor.dilation.1 + 1)
        guard first.plan.algorithm == .depthwise, expand.plan.algorithm == .gemm,
              Int(first.descriptor.pad_begin.1) < extent, Int(first.descriptor.pad_end.1) < extent
        else { return try adding(residual, activation, to: try separable(try expansion(input))) }
        if let residual, residual.shape != second.outputShape || pointwise.activation != .none {
            return try adding(residual, activation, to: try self(input))
        }
        var exDesc = expand.descriptor, dwDesc = first.descriptor, pwDesc = second.descriptor
        let output = try Tensor(uninitializedShape: second.outputShape)
        var after = activation.cValue
        var bytes = 0
        try check(
            fovea_conv_inverted_residual_workspace_size(
                expand.plan.pointer, &exDesc, first.plan.pointer, &dwDesc, second.plan.pointer, &pwDesc, &bytes),
            "inverted residual block")
        let workspace = try Workspace(bytes: bytes)
        try check(
            fovea_conv_inverted_residual_run(
                expand.plan.pointer, &exDesc, first.plan.pointer, &dwDesc, second.plan.pointer, &pwDesc,
                input.readPointer, residual?.readPointer, &after, output.writePointer, workspace.pointer, bytes),
            "inverted residual block")
        return output
    }

    /// The sum and its activation as separate passes, where the block cannot
    /// take them (no expansion, or a projection with its own activation).
    private func adding(_ residual: Tensor?, _ activation: Activation, to output: Tensor) throws(FoveaError) -> Tensor {
        guard let residual else { return output }
        let sum = try add(residual, output)  // the shortcut first, as the fused kernels add it
        return activation == .none ? sum : try activate(sum, activation)
    }

    /// The depthwise and 1x1 stages.
    private func separable(_ input: Tensor) throws(FoveaError) -> Tensor {
        let first = try depthwise.prepare(input.shape)
        let second = try pointwise.prepare(first.outputShape)
        guard first.plan.algorithm == .depthwise else {
            // One channel: an ordinary convolution, then the 1x1.
            return try pointwise(try depthwise(input))
        }
        var dwDesc = first.descriptor, pwDesc = second.descriptor
        let output = try Tensor(uninitializedShape: second.outputShape)
        var bytes = 0
        try check(
            fovea_conv_separable_workspace_size(first.plan.pointer, &dwDesc, second.plan.pointer, &pwDesc, &bytes),
            "separable convolution")
        let workspace = try Workspace(bytes: bytes)
        try check(
            fovea_conv_separable_run(
                first.plan.pointer, &dwDesc, second.plan.pointer, &pwDesc, input.readPointer, output.writePointer,
                workspace.pointer, bytes),
            "separable convolution")
        return output
    }

    /// `depthwise_weight`, `pointwise_weight` and the biases present
    /// (`depthwise_bias`, `bias`); with an expansion, `expansion_weight` and
    /// `expansion_bias` too.
    public var parameters: [String: Tensor] {
        var all = ["depthwise_weight": depthwise.weight, "pointwise_weight": pointwise.weight]
        if let bias = depthwise.bias { all["depthwise_bias"] = bias }
        if let bias = pointwise.bias { all["bias"] = bias }
        if let expansion {
            all["expansion_weight"] = expansion.weight
            if let bias = expansion.bias { all["expansion_bias"] = bias }
        }
        return all
    }
}

/// A transposed 2-D convolution layer (Keras' `Conv2DTranspose`, U-Net's
/// up-convolution).
public struct Conv2DTranspose: Layer {
    /// `[kh, kw, outChannels / groups, inChannels]` (Keras' layout).
    public let weight: Tensor
    /// `[outChannels]`, or `nil`.
    public let bias: Tensor?
    let stride: Spatial, padding: Padding, outputPadding: Spatial, dilation: Spatial, groups: Int
    /// Applied to the output.
    public let activation: Activation

    /// Creates the layer; the configuration is checked here.
    public init(
        weight: Tensor, bias: Tensor? = nil, stride: Spatial = 1, padding: Padding = .valid,
        outputPadding: Spatial = 0, dilation: Spatial = 1, groups: Int = 1, activation: Activation = .none
    ) throws(FoveaError) {
        try requireRank(weight, 4, "weight", layout: "kh, kw, out/groups, in")
        guard groups >= 1, groups <= max(weight.shape[3], 1), weight.shape[3] % groups == 0 else {
            throw .invalidParameter("groups (\(groups)) must be positive and divide the input channels (\(weight.shape[3]))")
        }
        try validateBias(bias, channels: try extentProduct(weight.shape[2], groups, for: "the output channels"))
        _ = try stride.resolved(rank: 2, name: "stride")
        _ = try dilation.resolved(rank: 2, name: "dilation")
        self.weight = weight
        self.bias = bias
        self.stride = stride
        self.padding = padding
        self.outputPadding = outputPadding
        self.dilation = dilation
        self.groups = groups
        self.activation = try activation.validated()
    }

    /// The upsampled NHWC shape.
    public func outputShape(for inputShape: [Int]) throws(FoveaError) -> [Int] {
        try transposedGeometry(
            spatialRank: 2, input: inputShape, weight: weight.shape, bias: bias, stride: stride, padding: padding,
            outputPadding: outputPadding, dilation: dilation, groups: groups
        ).outputShape
    }

    /// Applies the layer to an NHWC batch.
    public func callAsFunction(_ input: Tensor) throws(FoveaError) -> Tensor {
        let y = try conv2dTransposed(
            input, weight: weight, bias: bias, stride: stride, padding: padding, outputPadding: outputPadding,
            dilation: dilation, groups: groups)
        return activation == .none ? y : try activate(y, activation)
    }

    /// `weight` and, when present, `bias`.
    public var parameters: [String: Tensor] {
        var all = ["weight": weight]
        if let bias { all["bias"] = bias }
        return all
    }
}
