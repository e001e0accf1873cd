internal import CKernels

func transposedConvolution(
    spatialRank rank: Int, _ input: Tensor, weight: Tensor, bias: Tensor?, stride: Spatial,
    padding: Padding, outputPadding: Spatial, dilation: Spatial, groups: Int
) throws(FoveaError) -> Tensor {
    let geometry = try transposedGeometry(
        spatialRank: rank, input: input.shape, weight: weight.shape, bias: bias, stride: stride, padding: padding,
        outputPadding: outputPadding, dilation: dilation, groups: groups)
    var desc = geometry.descriptor()
    let output = try Tensor(uninitializedShape: geometry.outputShape)
    var bytes = 0
    try check(fovea_conv_transpose_forward_workspace_size(&desc, &bytes), "transposed convolution")
    let workspace = try Workspace(bytes: bytes)
    try check(
        fovea_conv_transpose_forward(
            &desc, input.readPointer, weight.readPointer, bias?.readPointer, output.writePointer,
            workspace.pointer, bytes),
        "transposed convolution")
    return output
}

/// The checked geometry of a transposed convolution (the descriptor's
/// "input" is the transposed operation's input).
func transposedGeometry(
    spatialRank rank: Int, input: [Int], weight: [Int], bias: Tensor?, stride: Spatial,
    padding: Padding, outputPadding: Spatial, dilation: Spatial, groups: Int
) throws(FoveaError) -> ConvolutionGeometry {
    guard (1...3).contains(rank) else {
        throw .unsupported("transposed convolution supports 1 to 3 spatial axes, got \(rank)")
    }
    let layout = channelsLastLayout(spatialRank: rank)
    _ = try Tensor.elementCount(of: input)  // shapes may come from outputShape(for:), not a tensor
    guard input.count == rank + 2 else {
        throw .shapeMismatch("input must have rank \(rank + 2) (\(layout)), got shape \(describe(input))")
    }
    guard weight.count == rank + 2 else {
        throw .shapeMismatch("weight must have rank \(rank + 2) (kernel..., out/groups, in), got shape \(describe(weight))")
    }
    guard groups >= 1 else { throw .invalidParameter("groups must be at least 1, got \(groups)") }
    let inChannels = input[rank + 1]
    guard weight[rank + 1] == inChannels else {
        throw .shapeMismatch(
            "weight \(describe(weight)) must end in the input channel count \(inChannels) (layout kernel..., out/groups, in)")
    }
    guard inChannels % groups == 0 else {
        throw .invalidParameter("groups (\(groups)) must divide the input channels (\(inChannels))")
    }
    let (outChannels, overflow) = weight[rank].multipliedReportingOverflow(by: groups)
    let kernel = Array(weight[0..<rank])
    guard kernel.allSatisfy({ $0 >= 1 }), !overflow, outChannels >= 1 else {
        throw .shapeMismatch("weight \(describe(weight)) has an empty axis, or too many groups (\(groups))")
    }
    try Spatial.requireKernel(kernel, of: weight)
    try validateBias(bias, channels: outChannels)
    let strides = try stride.resolved(rank: rank, name: "stride")
    let dilations = try dilation.resolved(rank: rank, name: "dilation")
    let extra = try outputPadding.resolved(rank: rank, name: "output padding", minimum: 0)
    let inSize = Array(input[1...rank])
    for axis in 0..<rank where inSize[axis] > Tensor.maximumElementCount / strides[axis] {
        throw .invalidParameter("input \(describe(input)) with stride \(describe(strides)) makes an output above 2^48 elements")
    }
    for axis in 0..<rank where extra[axis] >= max(strides[axis], dilations[axis]) {
        throw .invalidParameter(
            "output padding \(describe(extra)) must be smaller than the stride or the dilation on each axis")
    }
    // The full, unpadded output length of each axis; padding then trims it.
    var full = [Int]()
    for axis in 0..<rank {
        let span: Int = (kernel[axis] - 1) * dilations[axis] + 1
        full.append(strides[axis] * (inSize[axis] - 1) + extra[axis] + span)
    }
    var padBegin = [Int](), padEnd = [Int]()
    switch padding {
    case .valid:
        padBegin = Array(repeating: 0, count: rank)
        padEnd = padBegin
    case .same, .sameLower:
        // Output = input * stride; an odd total leaves the extra at the end (.same).
        for axis in 0..<rank {
            let total = full[axis] - inSize[axis] * strides[axis]
            let small = total >= 0 ? total / 2 : 0
            let large = total - small
            padBegin.append(padding == .same ? small : large)
            padEnd.append(padding == .same ? large : small)
        }
    case .explicit(let begin, let end):
        // Negative values are allowed: they extend the output with zeros.
        padBegin = try Spatial(begin).resolved(rank: rank, name: "padding (begin)", minimum: -Spatial.maximum)
        padEnd = try Spatial(end).resolved(rank: rank, name: "padding (end)", minimum: -Spatial.maximum)
    }
    let outSize = (0..<rank).map { full[$0] - padBegin[$0] - padEnd[$0] }
    guard outSize.allSatisfy({ $0 >= 1 }) else {
        throw .shapeMismatch(
            "padding \(describe(padBegin))/\(describe(padEnd)) leaves no output from input \(describe(input))")
    }
    _ = try Tensor.elementCount(of: [input[0]] + outSize + [outChannels])
    return ConvolutionGeometry(
        spatialRank: rank, batch: input[0], inChannels: inChannels,
        outChannels: outChannels, groups: groups, inSize: inSize, outSize: outSize,
        kernel: kernel, stride: strides, dilation: dilations, padBegin: padBegin, padEnd: padEnd)
}

/// Transposed 1-D convolution ("deconvolution").
///
/// - Parameters:
///   - input: `[batch, length, inChannels]`.
///   - weight: `[kernel, outChannels / groups, inChannels]`.
///   - padding: trimmed from the full output; explicit values may be negative
///     to extend it with zeros.
public func conv1dTransposed(
    _ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Spatial = 1,
    padding: Padding = .valid, outputPadding: Spatial = 0, dilation: Spatial = 1, groups: Int = 1
) throws(FoveaError) -> Tensor {
    try transposedConvolution(
        spatialRank: 1, input, weight: weight, bias: bias, stride: stride, padding: padding,
        outputPadding: outputPadding, dilation: dilation, groups: groups)
}

/// Transposed 2-D convolution (U-Net's up-convolution), the gradient of
/// ``conv2d(_:weight:bias:stride:padding:dilation:groups:activation:)`` with
/// respect to its input.
///
/// - Parameters:
///   - input: NHWC, `[batch, height, width, inChannels]`.
///   - weight: `[kernelHeight, kernelWidth, outChannels / groups, inChannels]`
///     (Keras' `Conv2DTranspose` layout; PyTorch's `[in, out/groups, kh, kw]`
///     converts with ``Tensor/oihwToHWIO()``).
///   - padding: `.valid` gives the full output `stride·(in−1) + outputPadding +
///     (kernel−1)·dilation + 1`; `.same` gives `in·stride`; explicit values are
///     trimmed from it (negative values extend it with zeros).
///   - outputPadding: extra rows/columns at the end (one value or per axis).
/// - Returns: NHWC, `[batch, outHeight, outWidth, outChannels]`.
public func conv2dTransposed(
    _ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Spatial = 1,
    padding: Padding = .valid, outputPadding: Spatial = 0, dilation: Spatial = 1, groups: Int = 1
) throws(FoveaError) -> Tensor {
    try transposedConvolution(
        spatialRank: 2, input, weight: weight, bias: bias, stride: stride, padding: padding,
        outputPadding: outputPadding, dilation: dilation, groups: groups)
}

/// Transposed 3-D convolution.
///
/// - Parameters:
///   - input: `[batch, depth, height, width, inChannels]`.
///   - weight: `[kd, kh, kw, outChannels / groups, inChannels]`.
public func conv3dTransposed(
    _ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Spatial = 1,
    padding: Padding = .valid, outputPadding: Spatial = 0, dilation: Spatial = 1, groups: Int = 1
) throws(FoveaError) -> Tensor {
    try transposedConvolution(
        spatialRank: 3, input, weight: weight, bias: bias, stride: stride, padding: padding,
        outputPadding: outputPadding, dilation: dilation, groups: groups)
}

/// The gradients of a transposed convolution.
///
/// A transposed convolution is the adjoint of the forward convolution that
/// maps its output back onto its input (same weight, stride, dilation and
/// padding), so its input gradient is that forward convolution applied to
/// the output gradient, and its weight gradient is that convolution's weight
/// gradient with the roles of input and output exchanged.
func transposedConvolutionBackward(
    spatialRank rank: Int, input: Tensor, weight: Tensor, outputGradient: Tensor, stride: Spatial,
    padding: Padding, outputPadding: Spatial, dilation: Spatial, groups: Int
) throws(FoveaError) -> ConvolutionGradients {
    let t = try transposedGeometry(
        spatialRank: rank, input: input.shape, weight: weight.shape, bias: nil, stride: stride, padding: padding,
        outputPadding: outputPadding, dilation: dilation, groups: groups)
    try requireShape(outputGradient, t.outputShape, "output gradient")
    var padEnd = [Int]()
    for axis in 0..<rank {
        let span: Int = (t.kernel[axis] - 1) * t.dilation[axis] + 1
        let covered: Int = (t.inSize[axis] - 1) * t.stride[axis] + span
        padEnd.append(covered - t.outSize[axis] - t.padBegin[axis])
    }
    let adjoint = ConvolutionGeometry(
        spatialRank: rank, batch: t.batch, inChannels: t.outChannels, outChannels: t.inChannels, groups: t.groups,
        inSize: t.outSize, outSize: t.inSize, kernel: t.kernel, stride: t.stride, dilation: t.dilation,
        padBegin: t.padBegin, padEnd: padEnd)
    var desc = adjoint.descriptor(), transposedDesc = t.descriptor()
    let dx = try Tensor(uninitializedShape: input.shape)
    let dw = try Tensor(uninitializedShape: weight.shape)
    let db = try Tensor(uninitializedShape: [t.outChannels])
    let dy = outputGradient.readPointer
    // Negative padding (an output extended with zeros) is outside what the
    // fast kernels take; the reference kernels accept any geometry.
    if (t.padBegin + padEnd).allSatisfy({ $0 >= 0 }) {
        var bytes = 0
        try check(fovea_conv_forward_workspace_size(&desc, &bytes), "transposed convolution backward (input)")
        let workspace = try Workspace(bytes: bytes)
        try check(
            fovea_conv_forward(&desc, dy, weight.readPointer, nil, dx.writePointer, workspace.pointer, bytes),
            "transposed convolution backward (input)")
        try check(
            fovea_conv_backward_filter(&desc, dy, input.readPointer, dw.writePointer),
            "transposed convolution backward (weight)")
    } else {
        try check(
            fovea_reference_conv_forward(&desc, dy, weight.readPointer, nil, dx.writePointer),
            "transposed convolution backward (input)")
        try check(
            fovea_reference_conv_backward_filter(&desc, dy, input.readPointer, dw.writePointer),
            "transposed convolution backward (weight)")
    }
    try check(fovea_conv_backward_bias(&transposedDesc, dy, db.writePointer), "transposed convolution backward (bias)")
    return ConvolutionGradients(input: dx, weight: dw, bias: db)
}

/// Gradients of ``conv2dTransposed(_:weight:bias:stride:padding:outputPadding:dilation:groups:)``
/// given the gradient of the loss with respect to its output (NHWC).
public func conv2dTransposedBackward(
    input: Tensor, weight: Tensor, outputGradient: Tensor, stride: Spatial = 1, padding: Padding = .valid,
    outputPadding: Spatial = 0, dilation: Spatial = 1, groups: Int = 1
) throws(FoveaError) -> ConvolutionGradients {
    try transposedConvolutionBackward(
        spatialRank: 2, input: input, weight: weight, outputGradient: outputGradient, stride: stride,
        padding: padding, outputPadding: outputPadding, dilation: dilation, groups: groups)
}
