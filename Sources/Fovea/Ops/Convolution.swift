internal import CKernels

/// The validated geometry of one convolution, shared by the forward, backward
/// and transposed calls.
struct ConvolutionGeometry {
    var spatialRank: Int
    var batch: Int
    var inChannels: Int
    var outChannels: Int
    var groups: Int
    var inSize: [Int]
    var outSize: [Int]
    var kernel: [Int]
    var stride: [Int]
    var dilation: [Int]
    var padBegin: [Int]
    var padEnd: [Int]

    var inputShape: [Int] { [batch] + inSize + [inChannels] }
    var outputShape: [Int] { [batch] + outSize + [outChannels] }

    func descriptor(activation: Activation = .none) -> fovea_conv_desc {
        fovea_conv_desc(
            batch: Int64(batch), in_channels: Int64(inChannels), out_channels: Int64(outChannels),
            groups: Int64(groups), in_size: triple(inSize, fill: 1),
            out_size: triple(outSize, fill: 1), kernel: triple(kernel, fill: 1),
            stride: triple(stride, fill: 1), dilation: triple(dilation, fill: 1),
            pad_begin: triple(padBegin, fill: 0), pad_end: triple(padEnd, fill: 0),
            activation: activation.cValue)
    }

    /// Geometry of a forward convolution of `input` with `weight`
    /// ([kernel..., inChannels/groups, outChannels]).
    static func forward(
        spatialRank rank: Int, input: [Int], weight: [Int], stride: Spatial, padding: Padding,
        dilation: Spatial, groups: Int
    ) throws(FoveaError) -> ConvolutionGeometry {
        guard (1...3).contains(rank) else {
            throw .unsupported("convolution supports 1 to 3 spatial axes, got \(rank)")
        }
        let layout = channelsLastLayout(spatialRank: rank)
        _ = try Tensor.elementCount(of: input)  // shapes may come from outputShape(for:), not a tensor
        guard input.count == rank + 2 else {
            throw .shapeMismatch(
                "input must have rank \(rank + 2) (\(layout)), got shape \(describe(input))")
        }
        guard weight.count == rank + 2 else {
            throw .shapeMismatch(
                "weight must have rank \(rank + 2) (kernel..., in/groups, out), got shape \(describe(weight))")
        }
        guard groups >= 1 else { throw .invalidParameter("groups must be at least 1, got \(groups)") }
        let inChannels = input[rank + 1]
        let outChannels = weight[rank + 1]
        guard inChannels % groups == 0, outChannels % groups == 0 else {
            throw .invalidParameter(
                "groups (\(groups)) must divide the input channels (\(inChannels)) and the output channels (\(outChannels))")
        }
        guard weight[rank] == inChannels / groups else {
            throw .shapeMismatch(
                "weight \(describe(weight)) expects \(weight[rank]) input channels per group; the input has \(inChannels) channels in \(groups) group(s), so \(inChannels / groups) per group")
        }
        let kernel = Array(weight[0..<rank])
        guard kernel.allSatisfy({ $0 >= 1 }), outChannels >= 1 else {
            throw .shapeMismatch("weight \(describe(weight)) has an empty axis")
        }
        try Spatial.requireKernel(kernel, of: weight)
        let strides = try stride.resolved(rank: rank, name: "stride")
        let dilations = try dilation.resolved(rank: rank, name: "dilation")
        let inSize = Array(input[1...rank])
        let pads = try padding.resolve(input: inSize, kernel: kernel, stride: strides, dilation: dilations)
        var outSize = [Int]()
        for axis in 0..<rank {
            let extent = windowOutputExtent(
                input: inSize[axis], kernel: kernel[axis], stride: strides[axis],
                dilation: dilations[axis], padBegin: pads.begin[axis], padEnd: pads.end[axis])
            guard extent >= 1 else {
                throw .shapeMismatch(
                    "input \(describe(input)) is too small for a \(describe(kernel)) kernel with dilation \(describe(dilations)) and padding \(describe(pads.begin))/\(describe(pads.end))")
            }
            outSize.append(extent)
        }
        _ = try Tensor.elementCount(of: [input[0]] + outSize + [outChannels])  // many output channels can outgrow the input
        return ConvolutionGeometry(
            spatialRank: rank, batch: input[0], inChannels: inChannels, outChannels: outChannels,
            groups: groups, inSize: inSize, outSize: outSize, kernel: kernel, stride: strides,
            dilation: dilations, padBegin: pads.begin, padEnd: pads.end)
    }
}

func validateBias(_ bias: Tensor?, channels: Int) throws(FoveaError) {
    if let bias, bias.shape != [channels] {
        throw .shapeMismatch("bias must have shape [\(channels)], got \(describe(bias.shape))")
    }
}

func convolution(
    spatialRank: Int, _ input: Tensor, weight: Tensor, bias: Tensor?, stride: Spatial,
    padding: Padding, dilation: Spatial, groups: Int, activation: Activation
) throws(FoveaError) -> Tensor {
    let geometry = try ConvolutionGeometry.forward(
        spatialRank: spatialRank, input: input.shape, weight: weight.shape, stride: stride,
        padding: padding, dilation: dilation, groups: groups)
    try validateBias(bias, channels: geometry.outChannels)
    var desc = geometry.descriptor(activation: try activation.validated())
    let output = try Tensor(uninitializedShape: geometry.outputShape)
    var workspaceBytes = 0
    try check(fovea_conv_forward_workspace_size(&desc, &workspaceBytes), "convolution")
    let workspace = try Workspace(bytes: workspaceBytes)
    try check(
        fovea_conv_forward(
            &desc, input.readPointer, weight.readPointer, bias?.readPointer, output.writePointer,
            workspace.pointer, workspaceBytes), "convolution")
    return output
}

/// Convolution over a batch of 1-D signals.
///
/// - Parameters:
///   - input: `[batch, length, channels]` (channels-last).
///   - weight: `[kernel, inChannels / groups, outChannels]`.
///   - bias: `[outChannels]`, or `nil`.
/// - Returns: `[batch, outLength, outChannels]`.
public func conv1d(
    _ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Spatial = 1,
    padding: Padding = .valid, dilation: Spatial = 1, groups: Int = 1,
    activation: Activation = .none
) throws(FoveaError) -> Tensor {
    try convolution(
        spatialRank: 1, input, weight: weight, bias: bias, stride: stride, padding: padding,
        dilation: dilation, groups: groups, activation: activation)
}

/// 2-D convolution (cross-correlation, as in every deep-learning framework).
///
/// - Parameters:
///   - input: NHWC, `[batch, height, width, channels]`.
///   - weight: HWIO, `[kernelHeight, kernelWidth, inChannels / groups, outChannels]`.
///     Depthwise convolution is `groups == inChannels`, with `outChannels` a
///     multiple of it (the channel multiplier).
///   - bias: `[outChannels]`, or `nil`.
///   - stride, dilation: one value or `[height, width]`.
///   - padding: `.valid`, `.same` (TensorFlow's rule) or explicit.
///   - activation: applied after the bias, in the same pass.
/// - Returns: NHWC, `[batch, outHeight, outWidth, outChannels]`.
public func conv2d(
    _ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Spatial = 1,
    padding: Padding = .valid, dilation: Spatial = 1, groups: Int = 1,
    activation: Activation = .none
) throws(FoveaError) -> Tensor {
    try convolution(
        spatialRank: 2, input, weight: weight, bias: bias, stride: stride, padding: padding,
        dilation: dilation, groups: groups, activation: activation)
}

/// Convolution over a batch of volumes.
///
/// - Parameters:
///   - input: `[batch, depth, height, width, channels]` (channels-last).
///   - weight: `[kernelDepth, kernelHeight, kernelWidth, inChannels / groups, outChannels]`.
///   - bias: `[outChannels]`, or `nil`.
/// - Returns: `[batch, outDepth, outHeight, outWidth, outChannels]`.
public func conv3d(
    _ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Spatial = 1,
    padding: Padding = .valid, dilation: Spatial = 1, groups: Int = 1,
    activation: Activation = .none
) throws(FoveaError) -> Tensor {
    try convolution(
        spatialRank: 3, input, weight: weight, bias: bias, stride: stride, padding: padding,
        dilation: dilation, groups: groups, activation: activation)
}

/// Caller-owned scratch memory for kernels that ask for it.
final class Workspace {
    let pointer: UnsafeMutableRawPointer?

    init(bytes: Int) throws(FoveaError) {
        guard bytes > 0 else {
            pointer = nil
            return
        }
        guard let memory = fovea_workspace_allocate(bytes) else {
            throw .kernelFailure("cannot allocate \(bytes) bytes of workspace")
        }
        pointer = memory
    }

    deinit { fovea_workspace_free(pointer) }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
