/// Gradients by central differences, to check analytic ones:
/// `(f(x + ε·eᵢ) − f(x − ε·eᵢ)) / 2ε` for every element `i` of `x`.
///
/// The function is evaluated in float32, so `epsilon` trades truncation error
/// (large ε) against rounding error (small ε); 1e-2 to 1e-3 suits functions
/// of values near 1.
public func numericalGradient(
    at x: Tensor, epsilon: Float = 1e-2, of f: (Tensor) throws(FoveaError) -> Float
) throws(FoveaError) -> Tensor {
    guard epsilon > 0, epsilon.isFinite else { throw .invalidParameter("epsilon must be positive, got \(epsilon)") }
    var probe = x
    var gradient = [Float](repeating: 0, count: x.count)
    let values = x.scalars
    for i in 0..<x.count {
        probe.withUnsafeMutableBufferPointer { $0[i] = values[i] + epsilon }
        let plus = try f(probe)
        probe.withUnsafeMutableBufferPointer { $0[i] = values[i] - epsilon }
        let minus = try f(probe)
        probe.withUnsafeMutableBufferPointer { $0[i] = values[i] }
        gradient[i] = (plus - minus) / (2 * epsilon)
    }
    return try Tensor(shape: x.shape, scalars: gradient)
}

/// The largest difference between an analytic and a numerical gradient,
/// relative to the larger of their magnitudes (at least 1):
/// `max |a − n| / max(1, max |a|, max |n|)`.
public func gradientError(_ analytic: Tensor, _ numerical: Tensor) throws(FoveaError) -> Float {
    try requireShape(numerical, analytic.shape, "numerical gradient")
    let a = analytic.scalars, n = numerical.scalars
    let scale = max(1, a.map(abs).max() ?? 0, n.map(abs).max() ?? 0)
    var worst: Float = 0
    for i in a.indices { worst = max(worst, abs(a[i] - n[i])) }
    return worst / scale
}
