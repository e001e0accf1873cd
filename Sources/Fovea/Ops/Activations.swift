internal import CKernels

/// Applies an activation to every element.
public func activate(_ input: Tensor, _ activation: Activation) throws(FoveaError) -> Tensor {
    var act = try activation.validated().cValue
    let output = try Tensor(uninitializedShape: input.shape)
    try check(
        fovea_activation_forward(&act, Int64(input.count), input.readPointer, output.writePointer),
        "activation")
    return output
}

/// Applies an activation to every element of a tensor this module just made
/// and has not handed out yet.
func activateInPlace(_ tensor: Tensor, _ activation: Activation) throws(FoveaError) {
    var act = try activation.validated().cValue
    try check(
        fovea_activation_forward(&act, Int64(tensor.count), tensor.writePointer, tensor.writePointer),
        "activation")
}

/// `max(x, 0)` elementwise.
public func relu(_ input: Tensor) throws(FoveaError) -> Tensor { try activate(input, .relu) }

/// `min(max(x, 0), 6)` elementwise.
public func relu6(_ input: Tensor) throws(FoveaError) -> Tensor { try activate(input, .relu6) }

/// `x < 0 ? alpha·x : x` elementwise.
public func leakyRelu(_ input: Tensor, alpha: Float = 0.01) throws(FoveaError) -> Tensor {
    try activate(input, .leakyRelu(alpha: alpha))
}

/// `1 / (1 + exp(−x))` elementwise.
public func sigmoid(_ input: Tensor) throws(FoveaError) -> Tensor { try activate(input, .sigmoid) }

/// The hyperbolic tangent elementwise.
public func tanh(_ input: Tensor) throws(FoveaError) -> Tensor { try activate(input, .tanh) }

/// Parametric ReLU: `x < 0 ? slope·x : x`, with learned slopes.
///
/// - Parameters:
///   - input: any shape; channels-last for the usual slope per channel.
///   - slope: one value; `[channels]`, one per channel (the last axis); or
///     any shape that broadcasts to the input's NumPy-style without
///     enlarging it: Keras' default of a slope per `[height, width, channels]`
///     value, or ONNX's `[channels, 1, 1]` over a channels-first tensor.
public func prelu(_ input: Tensor, slope: Tensor) throws(FoveaError) -> Tensor {
    let row = try PReLURow(slope: slope.shape, input: input.shape)
    let output = try Tensor(uninitializedShape: input.shape)
    guard input.count > 0 else { return output }
    let slopes = slope.scalars
    let rowSlopes = try Tensor(shape: [row.width], scalars: row.slopeIndices().map { slopes[$0] })
    try check(
        fovea_prelu_forward(
            Int64(input.count / row.width), Int64(row.width), input.readPointer, rowSlopes.readPointer,
            output.writePointer), "PReLU")
    return output
}

/// How PReLU's slopes lie over its input.
///
/// The slopes vary over the input's axes from the first one where they are
/// not 1; laid out over those axes, one row of them serves every index of
/// the axes before, which is what lets one kernel (and one backward loop)
/// handle a slope per channel, per `[height, width, channels]` value, or
/// ONNX's `[channels, 1, 1]`.
struct PReLURow {
    /// The input's axes from the first one the slopes vary along.
    let shape: [Int]
    /// The slopes' extents over those axes (each 1 or the input's).
    let slopeShape: [Int]
    /// Elements in one row.
    let width: Int

    /// Checks that `slope` broadcasts to `input` without enlarging it.
    init(slope: [Int], input: [Int]) throws(FoveaError) {
        guard !input.isEmpty else { throw .shapeMismatch("PReLU needs at least one axis, got a scalar") }
        _ = try Tensor.elementCount(of: input)  // shapes may come from outputShape(for:), not a tensor
        guard slope.reduce(1, *) >= 1, slope.count <= input.count, (try? broadcastShape(slope, input)) == input else {
            throw .shapeMismatch(
                "PReLU slope of shape \(describe(slope)) does not broadcast to the input's shape \(describe(input)): it must be one value, [\(input[input.count - 1])] (one per channel), or a shape whose every axis is 1 or the input's")
        }
        let aligned = [Int](repeating: 1, count: input.count - slope.count) + slope
        let first = aligned.firstIndex { $0 != 1 } ?? input.count
        shape = Array(input[first...])
        slopeShape = Array(aligned[first...])
        width = shape.reduce(1, *)
    }

    /// Which slope each element of a row takes (the row has `width` elements;
    /// only for inputs that have any).
    func slopeIndices() -> [Int] {
        let strides = broadcastStrides(of: slopeShape, to: shape)
        var indices = [Int](repeating: 0, count: width)
        var coordinate = [Int](repeating: 0, count: shape.count)
        var position = 0
        for element in 0..<width {
            indices[element] = position
            // Odometer step over the row's axes, last axis fastest.
            var axis = shape.count - 1
            while axis >= 0 {
                coordinate[axis] += 1
                position += strides[axis]
                if coordinate[axis] < shape[axis] { break }
                position -= strides[axis] * coordinate[axis]
                coordinate[axis] = 0
                axis -= 1
            }
        }
        return indices
    }
}

/// Softmax along one axis (the last by default; negative values count from the end).
public func softmax(_ input: Tensor, axis: Int = -1) throws(FoveaError) -> Tensor {
    let resolved = try resolveAxis(axis, rank: input.rank)
    let outer = input.shape[..<resolved].reduce(1, *)
    let inner = input.shape[(resolved + 1)...].reduce(1, *)
    let output = try Tensor(uninitializedShape: input.shape)
    try check(
        fovea_softmax_forward(
            Int64(outer), Int64(input.shape[resolved]), Int64(inner), input.readPointer,
            output.writePointer), "softmax")
    return output
}

/// A non-negative axis from one that may count from the end.
func resolveAxis(_ axis: Int, rank: Int) throws(FoveaError) -> Int {
    let resolved = axis < 0 ? axis + rank : axis
    guard resolved >= 0 && resolved < rank else {
        throw .invalidParameter("axis \(axis) is out of range for rank \(rank)")
    }
    return resolved
}
