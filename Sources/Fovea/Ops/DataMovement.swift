internal import CKernels

extension Tensor {
    /// The tensor with its axes permuted: axis `i` of the result is axis
    /// `permutation[i]` of this one.
    public func transposed(_ permutation: [Int]) throws(FoveaError) -> Tensor {
        guard permutation.count == rank, Set(permutation) == Set(0..<rank) else {
            throw .invalidParameter(
                "permutation \(describe(permutation)) is not a permutation of the \(rank) axes")
        }
        guard rank <= Int(FOVEA_MAX_RANK) else {
            throw .unsupported("transpose supports rank up to \(FOVEA_MAX_RANK), got \(rank)")
        }
        let output = try Tensor(uninitializedShape: permutation.map { shape[$0] })
        try check(
            fovea_transpose(
                Int32(rank), shape.map(Int64.init), permutation.map(Int32.init), readPointer,
                output.writePointer), "transpose")
        return output
    }

    /// Channels-first (NCHW, and NCL / NCDHW) to the library's channels-last
    /// layout (NHWC, NLC, NDHWC).
    public func nchwToNHWC() throws(FoveaError) -> Tensor {
        guard rank >= 3 else {
            throw .shapeMismatch("a channels-first tensor needs rank 3 or more, got \(describe(shape))")
        }
        return try transposed([0] + Array(2..<rank) + [1])
    }

    /// Channels-last (NHWC, NLC, NDHWC) to channels-first (NCHW, NCL, NCDHW).
    public func nhwcToNCHW() throws(FoveaError) -> Tensor {
        guard rank >= 3 else {
            throw .shapeMismatch("a channels-last tensor needs rank 3 or more, got \(describe(shape))")
        }
        return try transposed([0, rank - 1] + Array(1..<(rank - 1)))
    }

    /// Convolution weights from PyTorch/ONNX `[out, in, kernel...]` (OIHW) to the
    /// library's `[kernel..., in, out]` (HWIO). The same conversion takes
    /// transposed-convolution weights `[in, out/groups, kernel...]` to
    /// `[kernel..., out/groups, in]`.
    public func oihwToHWIO() throws(FoveaError) -> Tensor {
        guard rank >= 3 else {
            throw .shapeMismatch("OIHW weights need rank 3 or more, got \(describe(shape))")
        }
        return try transposed(Array(2..<rank) + [1, 0])
    }

    /// Convolution weights from `[kernel..., in, out]` (HWIO) to `[out, in, kernel...]` (OIHW).
    public func hwioToOIHW() throws(FoveaError) -> Tensor {
        guard rank >= 3 else {
            throw .shapeMismatch("HWIO weights need rank 3 or more, got \(describe(shape))")
        }
        return try transposed([rank - 1, rank - 2] + Array(0..<(rank - 2)))
    }
}

/// How ``pad(_:begin:end:mode:)`` fills the border.
public enum PaddingMode: Sendable, Hashable {
    /// A constant value.
    case constant(Float)
    /// Mirror image without repeating the edge (NumPy's `reflect`).
    case reflect
    /// Repeat the border value.
    case edge
    /// Periodic continuation.
    case wrap
}

/// Pads every axis of a tensor.
///
/// - Parameters:
///   - begin, end: the amount before and after each axis (one per axis, non-negative).
///   - mode: what the border holds. `.reflect` needs padding smaller than the
///     axis; `.edge` and `.wrap` need a non-empty axis.
public func pad(
    _ input: Tensor, begin: [Int], end: [Int], mode: PaddingMode = .constant(0)
) throws(FoveaError) -> Tensor {
    guard begin.count == input.rank, end.count == input.rank else {
        throw .invalidParameter(
            "padding needs one begin and one end value per axis (\(input.rank)), got \(describe(begin)) and \(describe(end))")
    }
    guard input.rank <= Int(FOVEA_MAX_RANK) else {
        throw .unsupported("pad supports rank up to \(FOVEA_MAX_RANK), got \(input.rank)")
    }
    guard (begin + end).allSatisfy({ $0 >= 0 }) else {
        throw .invalidParameter("padding must be non-negative, got \(describe(begin)) and \(describe(end))")
    }
    var cMode = FOVEA_PAD_CONSTANT
    var value: Float = 0
    switch mode {
    case .constant(let v): value = v
    case .reflect:
        cMode = FOVEA_PAD_REFLECT
        for axis in 0..<input.rank where max(begin[axis], end[axis]) >= input.shape[axis] && max(begin[axis], end[axis]) > 0 {
            throw .invalidParameter(
                "reflect padding of \(max(begin[axis], end[axis])) on axis \(axis) needs that axis to be longer; it has \(input.shape[axis])")
        }
    case .edge, .wrap:
        cMode = mode == .edge ? FOVEA_PAD_EDGE : FOVEA_PAD_WRAP
        for axis in 0..<input.rank where input.shape[axis] == 0 && begin[axis] + end[axis] > 0 {
            throw .invalidParameter("cannot pad the empty axis \(axis) with edge or wrap mode")
        }
    }
    var outShape = [Int]()
    for axis in 0..<input.rank {
        outShape.append(try extentSum(input.shape[axis], begin[axis], end[axis], for: "padding axis \(axis) by \(begin[axis]) and \(end[axis])"))
    }
    let output = try Tensor(uninitializedShape: outShape)
    try check(
        fovea_pad_forward(
            cMode, Int32(input.rank), input.shape.map(Int64.init), begin.map(Int64.init),
            end.map(Int64.init), value, input.readPointer, output.writePointer), "pad")
    return output
}

/// Joins tensors along an axis; all other extents must agree.
public func concatenate(_ tensors: [Tensor], axis: Int) throws(FoveaError) -> Tensor {
    guard let first = tensors.first else { throw .invalidParameter("cannot concatenate an empty list") }
    let resolved = try resolveAxis(axis, rank: first.rank)
    for (index, tensor) in tensors.enumerated() {
        var expected = first.shape
        guard tensor.rank == first.rank else {
            throw .shapeMismatch("tensor \(index) has shape \(describe(tensor.shape)), tensor 0 has \(describe(first.shape))")
        }
        expected[resolved] = tensor.shape[resolved]
        guard tensor.shape == expected else {
            throw .shapeMismatch(
                "tensor \(index) has shape \(describe(tensor.shape)); all extents except axis \(resolved) must match \(describe(first.shape))")
        }
    }
    var outShape = first.shape
    outShape[resolved] = try extentSum(of: tensors.map { $0.shape[resolved] }, for: "concatenating along axis \(resolved)")
    let output = try Tensor(uninitializedShape: outShape)
    let outer = first.shape[..<resolved].reduce(1, *)
    let inner = first.shape[(resolved + 1)...].reduce(1, *)
    let inputs: [UnsafePointer<Float>?] = tensors.map { $0.readPointer }
    let sizes = tensors.map { Int64($0.shape[resolved]) }
    try withExtendedLifetime(tensors) { () throws(FoveaError) in
        try check(
            fovea_concat_forward(
                Int32(tensors.count), inputs, sizes, Int64(outer), Int64(inner), output.writePointer),
            "concatenate")
    }
    return output
}

/// Collapses the axes before `axis` into one and the rest into another
/// (ONNX's `Flatten`): `[2, 3, 4, 5]` at axis 2 becomes `[6, 20]`.
public func flatten(_ input: Tensor, axis: Int = 1) throws(FoveaError) -> Tensor {
    let resolved = axis < 0 ? axis + input.rank : axis
    guard resolved >= 0 && resolved <= input.rank else {
        throw .invalidParameter("flatten axis \(axis) is out of range for rank \(input.rank)")
    }
    return try input.reshaped(to: [input.shape[..<resolved].reduce(1, *), input.shape[resolved...].reduce(1, *)])
}

/// The order of channels in depth-to-space and space-to-depth.
public enum DepthSpaceMode: Sendable, Hashable {
    /// Depth-column-row: TensorFlow's and ONNX's default.
    case depthColumnRow
    /// Column-row-depth: PyTorch's `pixel_shuffle`.
    case columnRowDepth

    var cValue: fovea_depth_space_mode {
        self == .depthColumnRow ? FOVEA_DEPTH_SPACE_DCR : FOVEA_DEPTH_SPACE_CRD
    }
}

/// Moves channel blocks into space: NHWC `[n, h, w, c]` to `[n, h·b, w·b, c/b²]`.
public func depthToSpace(
    _ input: Tensor, blockSize: Int, mode: DepthSpaceMode = .depthColumnRow
) throws(FoveaError) -> Tensor {
    try requireRank(input, 4, "input", layout: "NHWC")
    let (n, h, w, c) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
    guard blockSize >= 1 else { throw .invalidParameter("depth to space needs a block size of at least 1, got \(blockSize)") }
    let area = try extentProduct(blockSize, blockSize, for: "a block of size \(blockSize)")
    guard c % area == 0 else {
        throw .invalidParameter("depth to space: \(c) channels are not divisible by block size² = \(area)")
    }
    let output = try Tensor(uninitializedShape: [
        n, try extentProduct(h, blockSize, for: "depth to space's height"),
        try extentProduct(w, blockSize, for: "depth to space's width"), c / area,
    ])
    try check(
        fovea_depth_to_space(
            mode.cValue, Int64(n), Int64(h), Int64(w), Int64(c), Int64(blockSize), input.readPointer,
            output.writePointer), "depth to space")
    return output
}

/// Moves spatial blocks into channels: NHWC `[n, h, w, c]` to `[n, h/b, w/b, c·b²]`.
public func spaceToDepth(
    _ input: Tensor, blockSize: Int, mode: DepthSpaceMode = .depthColumnRow
) throws(FoveaError) -> Tensor {
    try requireRank(input, 4, "input", layout: "NHWC")
    let (n, h, w, c) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
    guard blockSize >= 1, h % blockSize == 0, w % blockSize == 0 else {
        throw .invalidParameter("space to depth: height \(h) and width \(w) must be multiples of the block size \(blockSize)")
    }
    let output = try Tensor(uninitializedShape: [
        n, h / blockSize, w / blockSize, try extentProduct(c, blockSize, blockSize, for: "space to depth's channels"),
    ])
    try check(
        fovea_space_to_depth(
            mode.cValue, Int64(n), Int64(h), Int64(w), Int64(c), Int64(blockSize), input.readPointer,
            output.writePointer), "space to depth")
    return output
}

/// The leading block of `tensor` with the given shape, starting at `offset`
/// along `axis` (and at 0 on every other axis).
func slice(_ tensor: Tensor, to shape: [Int], axis: Int = 0, offset: Int = 0) throws(FoveaError) -> Tensor {
    if shape == tensor.shape { return tensor }
    let rank = tensor.rank
    var result = try Tensor(uninitializedShape: shape)
    let source = tensor.readPointer
    // Cut along one axis only (a channel slice, a concatenation's backward):
    // whole runs of shape[axis...] values are contiguous, one copy each.
    if (0..<rank).allSatisfy({ $0 == axis || shape[$0] == tensor.shape[$0] }) {
        let inner = shape[(axis + 1)...].reduce(1, *)
        let run = shape[axis] * inner, sourceRun = tensor.shape[axis] * inner
        let destination = result.writePointer
        for block in 0..<(run == 0 ? 0 : result.count / run) {
            (destination + block * run).update(from: source + block * sourceRun + offset * inner, count: run)
        }
        return result
    }
    var sourceStrides = [Int](repeating: 1, count: rank)
    for d in stride(from: rank - 2, through: 0, by: -1) { sourceStrides[d] = sourceStrides[d + 1] * tensor.shape[d + 1] }
    let count = result.count
    result.withUnsafeMutableBufferPointer { destination in
        var index = [Int](repeating: 0, count: rank)
        for i in 0..<count {
            var at = 0
            for d in 0..<rank { at += (index[d] + (d == axis ? offset : 0)) * sourceStrides[d] }
            destination[i] = source[at]
            for d in stride(from: rank - 1, through: 0, by: -1) {
                index[d] += 1
                if index[d] < shape[d] { break }
                index[d] = 0
            }
        }
    }
    return result
}
