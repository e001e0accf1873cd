internal import CKernels

/// How a resize maps output pixels back to input coordinates.
public enum CoordinateTransform: Sendable, Hashable {
    /// `(x + 0.5) / scale − 0.5`: pixel centres align (TensorFlow 2, OpenCV).
    case halfPixel
    /// As `.halfPixel`, but a length-1 output samples coordinate 0 (PyTorch).
    case pytorchHalfPixel
    /// Corner pixels align: `x · (in − 1) / (out − 1)`.
    case alignCorners
    /// `x / scale` (nearest-neighbour upsampling in PyTorch and Keras).
    case asymmetric
    /// Half-pixel, centred on the image (ONNX `half_pixel_symmetric`).
    case halfPixelSymmetric

    var cValue: fovea_coordinate_mode {
        switch self {
        case .halfPixel: return FOVEA_COORDINATE_HALF_PIXEL
        case .pytorchHalfPixel: return FOVEA_COORDINATE_PYTORCH_HALF_PIXEL
        case .alignCorners: return FOVEA_COORDINATE_ALIGN_CORNERS
        case .asymmetric: return FOVEA_COORDINATE_ASYMMETRIC
        case .halfPixelSymmetric: return FOVEA_COORDINATE_HALF_PIXEL_SYMMETRIC
        }
    }
}

/// How nearest-neighbour resizing rounds a source coordinate.
public enum NearestRounding: Sendable, Hashable {
    /// Round half down.
    case roundPreferFloor
    /// Round half up.
    case roundPreferCeil
    /// Always down (PyTorch's `nearest`).
    case floor
    /// Always up.
    case ceil

    var cValue: fovea_nearest_mode {
        switch self {
        case .roundPreferFloor: return FOVEA_NEAREST_ROUND_PREFER_FLOOR
        case .roundPreferCeil: return FOVEA_NEAREST_ROUND_PREFER_CEIL
        case .floor: return FOVEA_NEAREST_FLOOR
        case .ceil: return FOVEA_NEAREST_CEIL
        }
    }
}

/// The interpolation of a resize.
public enum ResizeMethod: Sendable, Hashable {
    /// The nearest input pixel.
    case nearest(NearestRounding)
    /// Bilinear interpolation.
    case linear
}

/// Resizes an NHWC image batch to `height × width`.
///
/// - Parameters:
///   - method: nearest (with its rounding) or bilinear.
///   - coordinates: how output pixels map to input coordinates.
///   - scale: the `(height, width)` scale factors the coordinate formulas use;
///     by default `out / in` on each axis.
public func resize(
    _ input: Tensor, height: Int, width: Int, method: ResizeMethod = .linear,
    coordinates: CoordinateTransform = .halfPixel, scale: (height: Double, width: Double)? = nil
) throws(FoveaError) -> Tensor {
    try requireRank(input, 4, "input", layout: "NHWC")
    let (n, h, w, c) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
    guard height >= 1, width >= 1 else {
        throw .invalidParameter("resize needs a positive output size, got \(height)x\(width)")
    }
    guard h >= 1, w >= 1 else { throw .shapeMismatch("cannot resize an empty image \(describe(input.shape))") }
    let scales = scale ?? (Double(height) / Double(h), Double(width) / Double(w))
    guard scales.height > 0, scales.width > 0, scales.height.isFinite, scales.width.isFinite else {
        throw .invalidParameter("resize scales must be positive and finite, got \(scales)")
    }
    var desc = fovea_resize_desc(
        batch: Int64(n), channels: Int64(c), in_height: Int64(h), in_width: Int64(w),
        out_height: Int64(height), out_width: Int64(width), scale_height: scales.height,
        scale_width: scales.width, mode: FOVEA_RESIZE_LINEAR, coordinate_mode: coordinates.cValue,
        nearest_mode: FOVEA_NEAREST_ROUND_PREFER_FLOOR)
    if case .nearest(let rounding) = method {
        desc.mode = FOVEA_RESIZE_NEAREST
        desc.nearest_mode = rounding.cValue
    }
    let output = try Tensor(uninitializedShape: [n, height, width, c])
    try check(fovea_resize_forward(&desc, input.readPointer, output.writePointer), "resize")
    return output
}

/// Upsamples an NHWC batch by an integer factor (U-Net's and YOLO's upsampling).
public func upsample2d(
    _ input: Tensor, factor: Int, method: ResizeMethod = .nearest(.floor)
) throws(FoveaError) -> Tensor {
    try requireRank(input, 4, "input", layout: "NHWC")
    guard factor >= 1 else { throw .invalidParameter("upsampling factor must be at least 1, got \(factor)") }
    return try resize(
        input, height: try extentProduct(input.shape[1], factor, for: "upsampling's height"),
        width: try extentProduct(input.shape[2], factor, for: "upsampling's width"), method: method,
        coordinates: method == .linear ? .halfPixel : .asymmetric,
        scale: (Double(factor), Double(factor)))
}

/// The gradient of ``resize(_:height:width:method:coordinates:scale:)`` with
/// respect to its input, given the gradient of its output.
///
/// Both interpolations are separable: each output row is a weighted sum of a
/// few input rows and each output column of a few input columns. The
/// weights are read off the forward kernel itself (by resizing unit
/// vectors), so the adjoint follows every coordinate rule and rounding the
/// forward pass implements.
public func resizeBackward(
    outputGradient: Tensor, inputShape: [Int], method: ResizeMethod = .linear,
    coordinates: CoordinateTransform = .halfPixel, scale: (height: Double, width: Double)? = nil
) throws(FoveaError) -> Tensor {
    try requireRank(outputGradient, 4, "output gradient", layout: "NHWC")
    guard inputShape.count == 4, inputShape[0] == outputGradient.shape[0], inputShape[3] == outputGradient.shape[3],
          inputShape[1] >= 1, inputShape[2] >= 1 else {
        throw .shapeMismatch(
            "a resize of \(describe(inputShape)) cannot have the output gradient \(describe(outputGradient.shape))")
    }
    let (n, h, w, c) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
    let (outH, outW) = (outputGradient.shape[1], outputGradient.shape[2])
    guard try Tensor.elementCount(of: inputShape) > 0, outputGradient.count > 0 else {
        return try Tensor.zeros(shape: inputShape)  // nothing flows back (and no taps sized by the extents)
    }
    _ = try Tensor.elementCount(of: [n, h, outW, c])
    let scales = scale ?? (Double(outH) / Double(h), Double(outW) / Double(w))
    let rows = try resizeTaps(length: h, resized: outH, alongHeight: true, method, coordinates, scales)
    let columns = try resizeTaps(length: w, resized: outW, alongHeight: false, method, coordinates, scales)
    // Rows first, into [n, h, outW, c]; then columns, into [n, h, w, c].
    var partial = try Tensor.zeros(shape: [n, h, outW, c])
    var result = try Tensor.zeros(shape: inputShape)
    let rowLength = outW * c
    let g = outputGradient.readPointer
    partial.withUnsafeMutableBufferPointer { t in
        for image in 0..<n {
            for (y, taps) in rows.enumerated() {
                let source = g + (image * outH + y) * rowLength
                for (i, weight) in taps {
                    let target = t.baseAddress! + (image * h + i) * rowLength
                    for k in 0..<rowLength { target[k] += weight * source[k] }
                }
            }
        }
    }
    let spread = partial.readPointer
    result.withUnsafeMutableBufferPointer { r in
        for row in 0..<(n * h) {
            for (x, taps) in columns.enumerated() {
                let source = spread + (row * outW + x) * c
                for (j, weight) in taps {
                    let target = r.baseAddress! + (row * w + j) * c
                    for k in 0..<c { target[k] += weight * source[k] }
                }
            }
        }
    }
    return result
}

/// For each output position along one axis, the input positions it reads and
/// their weights, read off the forward kernel.
///
/// An output reads at most two adjacent inputs (one when nearest), so in a
/// comb of impulses two apart each output sees at most one impulse: one
/// resize of the comb gives every output's weight, and one resize per bit of
/// the impulses' numbering, keeping the impulses whose number has that bit
/// set, tells which impulse each output saw (it is non-zero or not). That
/// costs O(log n) resizes of one line instead of one per input position,
/// which made long axes quadratic.
private func resizeTaps(
    length: Int, resized: Int, alongHeight: Bool, _ method: ResizeMethod, _ coordinates: CoordinateTransform,
    _ scales: (height: Double, width: Double)
) throws(FoveaError) -> [[(Int, Float)]] {
    let spacing = 2
    let impulses = (length + spacing - 1) / spacing
    let bits = Int.bitWidth - (impulses - 1).leadingZeroBitCount
    // Image 0 of a phase holds every impulse; image 1 + b those whose number has bit b set.
    let images = 1 + bits, imagesPerCall = 8
    var taps = [[(Int, Float)]](repeating: [], count: resized)
    var weights = [Float](repeating: 0, count: resized), numbers = [Int](repeating: 0, count: resized)
    for phase in 0..<min(spacing, length) {
        for first in stride(from: 0, to: images, by: imagesPerCall) {
            let count = min(imagesPerCall, images - first)
            var combs = [Float](repeating: 0, count: count * length)
            for position in stride(from: phase, to: length, by: spacing) {
                let number = position / spacing
                for image in first..<(first + count) where image == 0 || number >> (image - 1) & 1 == 1 {
                    combs[(image - first) * length + position] = 1
                }
            }
            let probes = try Tensor(shape: alongHeight ? [count, length, 1, 1] : [count, 1, length, 1], scalars: combs)
            let responses = try resize(
                probes, height: alongHeight ? resized : 1, width: alongHeight ? 1 : resized, method: method,
                coordinates: coordinates, scale: alongHeight ? (scales.height, 1) : (1, scales.width)
            ).scalars
            for image in first..<(first + count) {
                let response = responses[((image - first) * resized)...]
                for position in 0..<resized {
                    let value = response[response.startIndex + position]
                    if image == 0 {
                        weights[position] = value
                        numbers[position] = 0
                    } else if value != 0 {
                        numbers[position] |= 1 << (image - 1)
                    }
                }
            }
        }
        for position in 0..<resized where weights[position] != 0 {
            taps[position].append((numbers[position] * spacing + phase, weights[position]))
        }
    }
    return taps
}
