internal import CKernels

/// Runs one row-major GEMM through the dispatch table.
func runGemm(
    m: Int, n: Int, k: Int, a: UnsafePointer<Float>, transposeA: Bool, b: UnsafePointer<Float>,
    transposeB: Bool, bias: UnsafePointer<Float>?, alpha: Float = 1, beta: Float = 0,
    activation: Activation = .none, c: UnsafeMutablePointer<Float>
) throws(FoveaError) {
    var desc = fovea_gemm_desc(
        m: Int64(m), n: Int64(n), k: Int64(k), trans_a: transposeA ? 1 : 0,
        trans_b: transposeB ? 1 : 0, lda: Int64(transposeA ? m : k), ldb: Int64(transposeB ? k : n),
        ldc: Int64(n), alpha: alpha, beta: beta, activation: activation.cValue)
    try check(fovea_gemm(&desc, a, b, bias, c), "matrix multiplication")
}

/// A fully connected layer: `activation(input · weight + bias)` over the last axis.
///
/// - Parameters:
///   - input: `[..., inFeatures]` (usually `[batch, inFeatures]`).
///   - weight: `[inFeatures, outFeatures]` (Keras' layout; PyTorch's `[out, in]`
///     is its transpose).
///   - bias: `[outFeatures]`, or `nil`.
/// - Returns: `[..., outFeatures]`.
public func dense(
    _ input: Tensor, weight: Tensor, bias: Tensor? = nil, activation: Activation = .none
) throws(FoveaError) -> Tensor {
    guard input.rank >= 1 else { throw .shapeMismatch("dense needs at least a feature axis, got a scalar") }
    try requireRank(weight, 2, "weight", layout: "inFeatures, outFeatures")
    let inFeatures = input.shape[input.rank - 1]
    guard weight.shape[0] == inFeatures else {
        throw .shapeMismatch(
            "input \(describe(input.shape)) has \(inFeatures) features, weight \(describe(weight.shape)) expects \(weight.shape[0])")
    }
    let outFeatures = weight.shape[1]
    try validateBias(bias, channels: outFeatures)
    let rows = inFeatures == 0 ? 0 : input.count / inFeatures
    let output = try Tensor(uninitializedShape: Array(input.shape.dropLast()) + [outFeatures])
    try runGemm(
        m: rows, n: outFeatures, k: inFeatures, a: input.readPointer, transposeA: false,
        b: weight.readPointer, transposeB: false, bias: bias?.readPointer,
        activation: try activation.validated(), c: output.writePointer)
    return output
}

/// The matrix product with NumPy's `matmul` rules: 1-D operands are promoted
/// to a matrix and the added axis removed afterwards; leading (batch) axes
/// broadcast.
public func matmul(_ a: Tensor, _ b: Tensor) throws(FoveaError) -> Tensor {
    guard a.rank >= 1, b.rank >= 1 else {
        throw .shapeMismatch("matmul needs operands of rank 1 or more, got \(describe(a.shape)) and \(describe(b.shape))")
    }
    let aShape = a.rank == 1 ? [1, a.shape[0]] : a.shape
    let bShape = b.rank == 1 ? [b.shape[0], 1] : b.shape
    let m = aShape[aShape.count - 2], k = aShape[aShape.count - 1]
    let n = bShape[bShape.count - 1]
    guard bShape[bShape.count - 2] == k else {
        throw .shapeMismatch(
            "matmul of \(describe(a.shape)) and \(describe(b.shape)): inner dimensions \(k) and \(bShape[bShape.count - 2]) differ")
    }
    let aBatch = Array(aShape.dropLast(2)), bBatch = Array(bShape.dropLast(2))
    let batchShape = try broadcastShape(aBatch, bBatch)
    let output = try Tensor(uninitializedShape: batchShape + [m, n])
    guard output.count > 0 else { return output }
    let aStrides = broadcastStrides(of: aBatch, to: batchShape)
    let bStrides = broadcastStrides(of: bBatch, to: batchShape)
    let batches = batchShape.reduce(1, *)
    var index = [Int](repeating: 0, count: batchShape.count)
    for item in 0..<batches {
        var aOffset = 0, bOffset = 0
        for axis in 0..<batchShape.count {
            aOffset += index[axis] * aStrides[axis]
            bOffset += index[axis] * bStrides[axis]
        }
        try runGemm(
            m: m, n: n, k: k, a: a.readPointer + aOffset * m * k, transposeA: false,
            b: b.readPointer + bOffset * k * n, transposeB: false, bias: nil,
            c: output.writePointer + item * m * n)
        for axis in stride(from: batchShape.count - 1, through: 0, by: -1) {
            index[axis] += 1
            if index[axis] < batchShape[axis] { break }
            index[axis] = 0
        }
    }
    var finalShape = batchShape
    if a.rank > 1 { finalShape.append(m) }
    if b.rank > 1 { finalShape.append(n) }
    return try output.reshaped(to: finalShape)
}

/// The general matrix product of BLAS and ONNX:
/// `alpha · op(a) · op(b) + beta · c`, where `op` optionally transposes and
/// `c` broadcasts to the `[m, n]` result.
public func gemm(
    _ a: Tensor, _ b: Tensor, c: Tensor? = nil, alpha: Float = 1, beta: Float = 1,
    transposeA: Bool = false, transposeB: Bool = false
) throws(FoveaError) -> Tensor {
    try requireRank(a, 2, "a", layout: "a matrix")
    try requireRank(b, 2, "b", layout: "a matrix")
    let m = transposeA ? a.shape[1] : a.shape[0], k = transposeA ? a.shape[0] : a.shape[1]
    let kb = transposeB ? b.shape[1] : b.shape[0], n = transposeB ? b.shape[0] : b.shape[1]
    guard k == kb else {
        throw .shapeMismatch(
            "gemm: op(a) is \(m)x\(k) but op(b) is \(kb)x\(n); the inner dimensions must agree")
    }
    guard alpha.isFinite, beta.isFinite else {
        throw .invalidParameter("gemm needs finite alpha and beta, got \(alpha) and \(beta)")
    }
    var output: Tensor
    var effectiveBeta: Float = 0
    if let c {
        guard (try? broadcastShape(c.shape, [m, n])) == [m, n] else {
            throw .shapeMismatch("c \(describe(c.shape)) does not broadcast to the result [\(m), \(n)]")
        }
        output = try multiply(c, Tensor(scalar: beta)).broadcast(to: [m, n])
        effectiveBeta = 1
    } else {
        output = try Tensor(uninitializedShape: [m, n])
    }
    try runGemm(
        m: m, n: n, k: k, a: a.readPointer, transposeA: transposeA, b: b.readPointer,
        transposeB: transposeB, bias: nil, alpha: alpha, beta: effectiveBeta, c: output.writePointer)
    return output
}
