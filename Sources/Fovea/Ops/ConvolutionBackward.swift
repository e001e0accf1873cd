internal import CKernels

/// The gradients of a convolution with respect to its three operands.
public struct ConvolutionGradients: Sendable {
    /// ∂L/∂input, shaped like the input.
    public var input: Tensor
    /// ∂L/∂weight, shaped like the weight, summed over the batch.
    public var weight: Tensor
    /// ∂L/∂bias, `[outChannels]`: the output gradient summed over batch and space.
    public var bias: Tensor
}

func convolutionBackward(
    spatialRank: Int, input: Tensor, weight: Tensor, outputGradient: Tensor, stride: Spatial,
    padding: Padding, dilation: Spatial, groups: Int
) throws(FoveaError) -> ConvolutionGradients {
    let geometry = try ConvolutionGeometry.forward(
        spatialRank: spatialRank, input: input.shape, weight: weight.shape, stride: stride,
        padding: padding, dilation: dilation, groups: groups)
    try requireShape(outputGradient, geometry.outputShape, "output gradient")
    var desc = geometry.descriptor()
    let dx = try Tensor(uninitializedShape: input.shape)
    let dw = try Tensor(uninitializedShape: weight.shape)
    let db = try Tensor(uninitializedShape: [geometry.outChannels])
    try check(
        fovea_conv_backward_data(&desc, outputGradient.readPointer, weight.readPointer, dx.writePointer),
        "convolution backward (input)")
    try check(
        fovea_conv_backward_filter(&desc, input.readPointer, outputGradient.readPointer, dw.writePointer),
        "convolution backward (weight)")
    try check(
        fovea_conv_backward_bias(&desc, outputGradient.readPointer, db.writePointer),
        "convolution backward (bias)")
    return ConvolutionGradients(input: dx, weight: dw, bias: db)
}

/// Gradients of ``conv1d(_:weight:bias:stride:padding:dilation:groups:activation:)``
/// (without activation) given the gradient of the loss with respect to its output.
public func conv1dBackward(
    input: Tensor, weight: Tensor, outputGradient: Tensor, stride: Spatial = 1,
    padding: Padding = .valid, dilation: Spatial = 1, groups: Int = 1
) throws(FoveaError) -> ConvolutionGradients {
    try convolutionBackward(
        spatialRank: 1, input: input, weight: weight, outputGradient: outputGradient,
        stride: stride, padding: padding, dilation: dilation, groups: groups)
}

/// Gradients of ``conv2d(_:weight:bias:stride:padding:dilation:groups:activation:)``
/// (without activation) given the gradient of the loss with respect to its
/// output (NHWC, shaped like the output).
public func conv2dBackward(
    input: Tensor, weight: Tensor, outputGradient: Tensor, stride: Spatial = 1,
    padding: Padding = .valid, dilation: Spatial = 1, groups: Int = 1
) throws(FoveaError) -> ConvolutionGradients {
    try convolutionBackward(
        spatialRank: 2, input: input, weight: weight, outputGradient: outputGradient,
        stride: stride, padding: padding, dilation: dilation, groups: groups)
}

/// Gradients of ``conv3d(_:weight:bias:stride:padding:dilation:groups:activation:)``
/// (without activation) given the gradient of the loss with respect to its output.
public func conv3dBackward(
    input: Tensor, weight: Tensor, outputGradient: Tensor, stride: Spatial = 1,
    padding: Padding = .valid, dilation: Spatial = 1, groups: Int = 1
) throws(FoveaError) -> ConvolutionGradients {
    try convolutionBackward(
        spatialRank: 3, input: input, weight: weight, outputGradient: outputGradient,
        stride: stride, padding: padding, dilation: dilation, groups: groups)
}
