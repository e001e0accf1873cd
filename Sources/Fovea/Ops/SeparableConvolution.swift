internal import CKernels

/// A depthwise-separable convolution (MobileNet's block): a depthwise
/// convolution, then a 1x1 convolution, computed a few rows at a time so that
/// the intermediate activation stays in cache.
///
/// - Parameters:
///   - input: NHWC, `[batch, height, width, channels]`.
///   - depthwiseWeight: `[kh, kw, 1, channels · multiplier]`.
///   - pointwiseWeight: `[1, 1, channels · multiplier, outChannels]`.
///   - depthwiseActivation: applied to the intermediate (ReLU6 in MobileNet v1).
///   - activation: applied to the output.
/// - Returns: NHWC, `[batch, outHeight, outWidth, outChannels]`.
public func separableConv2d(
    _ input: Tensor, depthwiseWeight: Tensor, depthwiseBias: Tensor? = nil, pointwiseWeight: Tensor,
    pointwiseBias: Tensor? = nil, stride: Spatial = 1, padding: Padding = .valid, dilation: Spatial = 1,
    depthwiseActivation: Activation = .none, activation: Activation = .none
) throws(FoveaError) -> Tensor {
    try requireRank(input, 4, "input", layout: "NHWC")
    let channels = input.shape[3]
    let depthwise = try ConvolutionGeometry.forward(
        spatialRank: 2, input: input.shape, weight: depthwiseWeight.shape, stride: stride, padding: padding,
        dilation: dilation, groups: channels)
    try validateBias(depthwiseBias, channels: depthwise.outChannels)
    let pointwise = try ConvolutionGeometry.forward(
        spatialRank: 2, input: depthwise.outputShape, weight: pointwiseWeight.shape, stride: 1, padding: .valid,
        dilation: 1, groups: 1)
    guard pointwiseWeight.shape[0] == 1, pointwiseWeight.shape[1] == 1 else {
        throw .shapeMismatch("the pointwise weight must be [1, 1, in, out], got \(describe(pointwiseWeight.shape))")
    }
    try validateBias(pointwiseBias, channels: pointwise.outChannels)
    guard channels > 1 else {
        // A single channel is an ordinary convolution; the depthwise kernel needs groups > 1.
        let middle = try conv2d(
            input, weight: depthwiseWeight, bias: depthwiseBias, stride: stride, padding: padding,
            dilation: dilation, activation: depthwiseActivation)
        return try conv2d(middle, weight: pointwiseWeight, bias: pointwiseBias, activation: activation)
    }
    var dwDesc = depthwise.descriptor(activation: try depthwiseActivation.validated())
    var pwDesc = pointwise.descriptor(activation: try activation.validated())
    let dwPlan = try ConvolutionPlan(
        descriptor: dwDesc, algorithm: FOVEA_CONV_ALGORITHM_DEPTHWISE, weight: depthwiseWeight, bias: depthwiseBias)
    let pwPlan = try ConvolutionPlan(
        descriptor: pwDesc, algorithm: FOVEA_CONV_ALGORITHM_GEMM, weight: pointwiseWeight, bias: pointwiseBias)
    let output = try Tensor(uninitializedShape: pointwise.outputShape)
    var bytes = 0
    try check(
        fovea_conv_separable_workspace_size(dwPlan.pointer, &dwDesc, pwPlan.pointer, &pwDesc, &bytes),
        "separable convolution")
    let workspace = try Workspace(bytes: bytes)
    try withExtendedLifetime((dwPlan, pwPlan)) { () throws(FoveaError) in
        try check(
            fovea_conv_separable_run(
                dwPlan.pointer, &dwDesc, pwPlan.pointer, &pwDesc, input.readPointer, output.writePointer,
                workspace.pointer, bytes),
            "separable convolution")
    }
    return output
}
