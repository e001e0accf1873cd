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
    guard targets.scalars.allSatisfy({ $0 >= 0 && $0 <= 1 }) else {
        throw .invalidParameter("binary cross-entropy targets must lie in [0, 1]")
    }
    return try elementwiseLoss(logits, targets, reduction) { x, t in
        (max(x, 0) - x * t + Foundation.log1p(Foundation.exp(-abs(x))), 1 / (1 + Foundation.exp(-x)) - t)
    }
}

/// Mean squared error `mean((p − t)²)` (or the sum). Gradient `2(p − t)`, scaled alike.
public func meanSquaredError(
    predictions: Tensor, targets: Tensor, reduction: LossReduction = .mean
) throws(FoveaError) -> LossValue {
    try elementwiseLoss(predictions, targets, reduction) { p, t in ((p - t) * (p - t), 2 * (p - t)) }
}

/// Smooth L1 (Huber with threshold `beta`, as in Fast R-CNN's box regression):
/// `0.5·d²/beta` where `|d| < beta`, else `|d| − 0.5·beta`.
public func smoothL1(
    predictions: Tensor, targets: Tensor, beta: Float = 1, reduction: LossReduction = .mean
) throws(FoveaError) -> LossValue {
    guard beta > 0, beta.isFinite else { throw .invalidParameter("smooth L1 needs a positive beta, got \(beta)") }
    let b = Double(beta)
    return try elementwiseLoss(predictions, targets, reduction) { p, t in
        let d = p - t
        return abs(d) < b ? (0.5 * d * d / b, d / b) : (abs(d) - 0.5 * b, d > 0 ? 1 : -1)
    }
}

/// A loss that is a sum of per-element terms: `term(prediction, target)`
/// gives each element's loss and its derivative (in double precision).
private func elementwiseLoss(
    _ predictions: Tensor, _ targets: Tensor, _ reduction: LossReduction,
    _ term: (Double, Double) -> (loss: Double, derivative: Double)
) throws(FoveaError) -> LossValue {
    try requireShape(targets, predictions.shape, "targets")
    let p = predictions.scalars, t = targets.scalars
    let scale = reduction == .mean ? 1 / Double(max(p.count, 1)) : 1
    var total = 0.0
    var gradient = [Float](repeating: 0, count: p.count)
    for i in p.indices {
        let (loss, derivative) = term(Double(p[i]), Double(t[i]))
        total += loss
        gradient[i] = Float(derivative * scale)
    }
    return LossValue(value: Float(total * scale), gradient: try Tensor(shape: predictions.shape, scalars: gradient))
}
