internal import CKernels

/// The validated geometry of one pooling window operation.
struct PoolingGeometry {
    var spatialRank: Int
    var batch: Int
    var channels: Int
    var inSize: [Int]
    var outSize: [Int]
    var kernel: [Int]
    var stride: [Int]
    var dilation: [Int]
    var padBegin: [Int]
    var padEnd: [Int]

    var outputShape: [Int] { [batch] + outSize + [channels] }

    func descriptor(countIncludesPadding: Bool = false, p: Float = 2) -> fovea_pool_desc {
        fovea_pool_desc(
            batch: Int64(batch), channels: Int64(channels), in_size: triple(inSize, fill: 1),
            out_size: triple(outSize, fill: 1), kernel: triple(kernel, fill: 1),
            stride: triple(stride, fill: 1), dilation: triple(dilation, fill: 1),
            pad_begin: triple(padBegin, fill: 0), pad_end: triple(padEnd, fill: 0),
            count_include_pad: countIncludesPadding ? 1 : 0, p: p)
    }

    init(
        spatialRank rank: Int, input: [Int], kernel: Spatial, stride: Spatial?, padding: Padding,
        dilation: Spatial, ceilMode: Bool
    ) throws(FoveaError) {
        guard input.count == rank + 2 else {
            throw .shapeMismatch(
                "input must have rank \(rank + 2) (\(channelsLastLayout(spatialRank: rank))), got shape \(describe(input))")
        }
        _ = try Tensor.elementCount(of: input)  // shapes may come from outputShape(for:), not a tensor
        let kernels = try kernel.resolved(rank: rank, name: "pool size")
        let strides = try (stride ?? kernel).resolved(rank: rank, name: "stride")
        let dilations = try dilation.resolved(rank: rank, name: "dilation")
        let inSize = Array(input[1...rank])
        let pads = try padding.resolve(input: inSize, kernel: kernels, stride: strides, dilation: dilations)
        var outSize = [Int]()
        for axis in 0..<rank {
            let extent = (kernels[axis] - 1) * dilations[axis] + 1
            // A window lying wholly in the padding would have no input to pool.
            guard pads.begin[axis] < extent, pads.end[axis] < extent else {
                throw .invalidParameter(
                    "padding \(describe(pads.begin))/\(describe(pads.end)) must be smaller than the window extent \(extent) on each axis")
            }
            let out = windowOutputExtent(
                input: inSize[axis], kernel: kernels[axis], stride: strides[axis],
                dilation: dilations[axis], padBegin: pads.begin[axis], padEnd: pads.end[axis],
                ceilMode: ceilMode)
            guard out >= 1 else {
                throw .shapeMismatch(
                    "input \(describe(input)) is too small for a \(describe(kernels)) window with dilation \(describe(dilations))")
            }
            outSize.append(out)
        }
        self.spatialRank = rank
        self.batch = input[0]
        self.channels = input[rank + 1]
        self.inSize = inSize
        self.outSize = outSize
        self.kernel = kernels
        self.stride = strides
        self.dilation = dilations
        self.padBegin = pads.begin
        self.padEnd = pads.end
    }
}

/// The kinds of window pooling.
public enum PoolingKind: Sendable, Hashable {
    /// The largest value in the window (padding is ignored).
    case max
    /// The mean of the window; `countIncludesPadding` divides by the window
    /// size including padded positions instead of by the number of inputs.
    case average(countIncludesPadding: Bool = false)
    /// `(Σ |x|^p)^(1/p)` over the inputs in the window.
    case lp(p: Float)
}

/// Pools windows of a channels-last input with any spatial rank (1 to 3).
///
/// - Parameters:
///   - input: `[batch, spatial..., channels]`.
///   - kernel: the window size, one value or one per spatial axis.
///   - stride: defaults to the window size.
///   - ceilMode: round the output size up (a window that would start in the
///     end padding is dropped, as in PyTorch and ONNX).
public func pool(
    _ kind: PoolingKind, _ input: Tensor, spatialRank: Int, kernel: Spatial,
    stride: Spatial? = nil, padding: Padding = .valid, dilation: Spatial = 1,
    ceilMode: Bool = false
) throws(FoveaError) -> Tensor {
    guard (1...3).contains(spatialRank) else {
        throw .unsupported("pooling supports 1 to 3 spatial axes, got \(spatialRank)")
    }
    let geometry = try PoolingGeometry(
        spatialRank: spatialRank, input: input.shape, kernel: kernel, stride: stride,
        padding: padding, dilation: dilation, ceilMode: ceilMode)
    let output = try Tensor(uninitializedShape: geometry.outputShape)
    switch kind {
    case .max:
        var desc = geometry.descriptor()
        try check(fovea_pool_max_forward(&desc, input.readPointer, output.writePointer), "max pooling")
    case .average(let includePad):
        var desc = geometry.descriptor(countIncludesPadding: includePad)
        try check(fovea_pool_avg_forward(&desc, input.readPointer, output.writePointer), "average pooling")
    case .lp(let p):
        guard p.isFinite, p > 0 else { throw .invalidParameter("Lp pooling needs a finite p > 0, got \(p)") }
        var desc = geometry.descriptor(p: p)
        try check(fovea_pool_lp_forward(&desc, input.readPointer, output.writePointer), "Lp pooling")
    }
    return output
}

/// The gradient of ``pool(_:_:spatialRank:kernel:stride:padding:dilation:ceilMode:)``
/// with respect to its input, for max and average pooling.
///
/// Max pooling routes each output gradient to the first largest input of its
/// window; average pooling spreads it evenly, with the forward pass's divisor.
public func poolBackward(
    _ kind: PoolingKind, input: Tensor, outputGradient: Tensor, spatialRank: Int, kernel: Spatial,
    stride: Spatial? = nil, padding: Padding = .valid, dilation: Spatial = 1,
    ceilMode: Bool = false
) throws(FoveaError) -> Tensor {
    guard (1...3).contains(spatialRank) else {
        throw .unsupported("pooling supports 1 to 3 spatial axes, got \(spatialRank)")
    }
    let geometry = try PoolingGeometry(
        spatialRank: spatialRank, input: input.shape, kernel: kernel, stride: stride,
        padding: padding, dilation: dilation, ceilMode: ceilMode)
    try requireShape(outputGradient, geometry.outputShape, "output gradient")
    let inputGradient = try Tensor(uninitializedShape: input.shape)
    switch kind {
    case .max:
        // The kernel numbers a window's taps in float lanes: exact up to 2^24.
        // In Double: three extents of up to 2^24 each would overflow an Int.
        guard geometry.kernel.reduce(1.0, { $0 * Double($1) }) <= Double(1 << 24) else {
            throw .unsupported("max-pooling backward takes windows of at most 2^24 taps")
        }
        var desc = geometry.descriptor()
        try check(
            fovea_pool_max_backward(
                &desc, input.readPointer, outputGradient.readPointer, inputGradient.writePointer),
            "max pooling backward")
    case .average(let includePad):
        var desc = geometry.descriptor(countIncludesPadding: includePad)
        try check(
            fovea_pool_avg_backward(&desc, outputGradient.readPointer, inputGradient.writePointer),
            "average pooling backward")
    case .lp:
        throw .unsupported("the backward pass of Lp pooling is not provided")
    }
    return inputGradient
}

/// 2-D max pooling of an NHWC input; `stride` defaults to the window size.
public func maxPool2d(
    _ input: Tensor, kernel: Spatial, stride: Spatial? = nil, padding: Padding = .valid,
    dilation: Spatial = 1, ceilMode: Bool = false
) throws(FoveaError) -> Tensor {
    try pool(
        .max, input, spatialRank: 2, kernel: kernel, stride: stride, padding: padding,
        dilation: dilation, ceilMode: ceilMode)
}

/// 2-D average pooling of an NHWC input; `stride` defaults to the window size.
public func avgPool2d(
    _ input: Tensor, kernel: Spatial, stride: Spatial? = nil, padding: Padding = .valid,
    countIncludesPadding: Bool = false, ceilMode: Bool = false
) throws(FoveaError) -> Tensor {
    try pool(
        .average(countIncludesPadding: countIncludesPadding), input, spatialRank: 2,
        kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode)
}

/// Averages every channel over all spatial positions.
///
/// - Parameter input: `[batch, spatial..., channels]`, any spatial rank.
/// - Returns: `[batch, channels]`.
public func globalAvgPool(_ input: Tensor) throws(FoveaError) -> Tensor {
    try globalPool(input, name: "global average pooling", kernel: fovea_pool_global_avg_forward)
}

/// The largest value of every channel over all spatial positions.
///
/// - Parameter input: `[batch, spatial..., channels]`, any spatial rank.
/// - Returns: `[batch, channels]`.
public func globalMaxPool(_ input: Tensor) throws(FoveaError) -> Tensor {
    try globalPool(input, name: "global max pooling", kernel: fovea_pool_global_max_forward)
}

private func globalPool(
    _ input: Tensor, name: String,
    kernel: (Int64, Int64, Int64, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?) -> fovea_status
) throws(FoveaError) -> Tensor {
    guard input.rank >= 3 else {
        throw .shapeMismatch(
            "\(name) needs [batch, spatial..., channels] with at least one spatial axis, got \(describe(input.shape))")
    }
    let batch = input.shape[0], channels = input.shape[input.rank - 1]
    let spatial = input.shape[1..<(input.rank - 1)].reduce(1, *)
    guard spatial >= 1 else { throw .shapeMismatch("\(name) of an empty input \(describe(input.shape))") }
    let output = try Tensor(uninitializedShape: [batch, channels])
    try check(
        kernel(Int64(batch), Int64(spatial), Int64(channels), input.readPointer, output.writePointer),
        name)
    return output
}
