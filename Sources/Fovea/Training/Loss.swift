import Foundation

/// A loss value with its gradient with respect to the predictions it was
/// computed from (same shape), ready to start a backward pass.
public struct LossValue: Sendable {
    /// The loss (a mean over the batch unless a function says otherwise).
    public var value: Float
    /// d(value)/d(predictions).
    public var gradient: Tensor
}

/// A reduction over the batch.
public enum LossReduction: Sendable, Hashable {
    /// The mean over the batch items (over every element for elementwise losses).
    case mean
    /// The sum.
    case sum
}

/// Softmax cross-entropy of logits `[n, classes]` against class indices, computed
/// from the logits directly (log-sum-exp) so that large logits neither
/// overflow nor lose precision. Gradient: `(softmax(logits) − onehot) / n`.
public func softmaxCrossEntropy(
    logits: Tensor, labels: [Int], reduction: LossReduction = .mean
) throws(FoveaError) -> LossValue {
    try requireRank(logits, 2, "logits", layout: "batch, classes")
    let (n, classes) = (logits.shape[0], logits.shape[1])
    guard labels.count == n else {
        throw .shapeMismatch("softmax cross-entropy: \(n) rows of logits but \(labels.count) labels")
    }
    if let bad = labels.first(where: { $0 < 0 || $0 >= classes }) {
        throw .invalidParameter("softmax cross-entropy: label \(bad) is outside 0..<\(classes)")
    }
    let scale = reduction == .mean ? 1 / Float(max(n, 1)) : 1
    let x = logits.scalars
    var gradient = [Float](repeating: 0, count: x.count)
    var total = 0.0
    for i in 0..<n {
        let row = x[(i * classes)..<((i + 1) * classes)]
        let top = row.max() ?? 0
        var sum = 0.0
        for value in row { sum += Foundation.exp(Double(value - top)) }
        total += Foundation.log(sum) + Double(top) - Double(x[i * classes + labels[i]])
        for j in 0..<classes {
            let p = Foundation.exp(Double(x[i * classes + j] - top)) / sum
            gradient[i * classes + j] = Float(p - (j == labels[i] ? 1 : 0)) * scale
        }
    }
    return LossValue(value: Float(total) * scale, gradient: try Tensor(shape: logits.shape, scalars: gradient))
}

/// Binary cross-entropy of logits against targets in [0, 1] (same shape), in
/// the stable form `max(x, 0) − x·t + log(1 + exp(−|x|))`. Gradient:
/// `(sigmoid(x) − t)`, over the element count for `.mean`.
public func binaryCrossEntropy(
    logits: Tensor, targets: Tensor, reduction: LossReduction = .mean
) throws(FoveaError) -> LossValue {
    try requireShape(targets, logits.shape, "targets")
    let x = logits.scalars, t = targets.scalars
    guard t.allSatisfy({ $0 >= 0 && $0 <= 1 }) else {
        throw .invalidParameter("binary cross-entropy targets must lie in [0, 1]")
    }
    let scale = reduction == .mean ? 1 / Float(max(x.count, 1)) : 1
    var total = 0.0
    var gradient = [Float](repeating: 0, count: x.count)
    for i in x.indices {
        let v = Double(x[i]), target = Double(t[i])
        total += max(v, 0) - v * target + Foundation.log1p(Foundation.exp(-abs(v)))
        gradient[i] = Float(1 / (1 + Foundation.exp(-v)) - target) * scale
    }
    return LossValue(value: Float(total) * scale, gradient: try Tensor(shape: logits.shape, scalars: gradient))
}

/// Mean squared error `mean((p − t)²)` (or the sum). Gradient `2(p − t)`, scaled alike.
public func meanSquaredError(
    predictions: Tensor, targets: Tensor, reduction: LossReduction = .mean
) throws(FoveaError) -> LossValue {
    try requireShape(targets, predictions.shape, "targets")
    let p = predictions.scalars, t = targets.scalars
    let scale = reduction == .mean ? 1 / Float(max(p.count, 1)) : 1
    var total = 0.0
    var gradient = [Float](repeating: 0, count: p.count)
    for i in p.indices {
        let d = Double(p[i]) - Double(t[i])
        total += d * d
        gradient[i] = Float(2 * d) * scale
    }
    return LossValue(value: Float(total) * scale, gradient: try Tensor(shape: predictions.shape, scalars: gradient))
}

/// Smooth L1 (Huber with threshold `beta`, as in Fast R-CNN's box regression):
/// `0.5·d²/beta` where `|d| < beta`, else `|d| − 0.5·beta`.
public func smoothL1(
    predictions: Tensor, targets: Tensor, beta: Float = 1, reduction: LossReduction = .mean
) throws(FoveaError) -> LossValue {
    try requireShape(targets, predictions.shape, "targets")
    guard beta > 0, beta.isFinite else { throw .invalidParameter("smooth L1 needs a positive beta, got \(beta)") }
    let p = predictions.scalars, t = targets.scalars
    let scale = reduction == .mean ? 1 / Float(max(p.count, 1)) : 1
    var total = 0.0
    var gradient = [Float](repeating: 0, count: p.count)
    for i in p.indices {
        let d = Double(p[i]) - Double(t[i]), b = Double(beta)
        if abs(d) < b {
            total += 0.5 * d * d / b
            gradient[i] = Float(d / b) * scale
        } else {
            total += abs(d) - 0.5 * b
            gradient[i] = Float(d > 0 ? 1 : -1) * scale
        }
    }
    return LossValue(value: Float(total) * scale, gradient: try Tensor(shape: predictions.shape, scalars: gradient))
}
