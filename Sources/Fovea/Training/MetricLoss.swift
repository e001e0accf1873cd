import Foundation

/// A loss over pairs or triplets of embeddings with its gradients with respect
/// to each input.
public struct EmbeddingLossValue: Sendable {
    /// The loss.
    public var value: Float
    /// The gradients, one per input, in the order of the arguments.
    public var gradients: [Tensor]
}

/// How triplets are chosen from a labelled batch (Hermans et al., 2017).
public enum TripletMining: Sendable, Hashable {
    /// Every valid (anchor, positive, negative); the loss is the mean over
    /// the triplets whose loss is positive (the active ones).
    case batchAll
    /// For each anchor, its farthest positive and nearest negative; the loss
    /// is the mean over anchors that have both.
    case batchHard
}

/// The triplet loss of FaceNet: `mean(max(0, |a − p|² − |a − n|² + margin))` over
/// rows of `[n, d]` anchors, positives and negatives (squared L2 distances).
public func tripletLoss(
    anchor: Tensor, positive: Tensor, negative: Tensor, margin: Float = 0.2
) throws(FoveaError) -> EmbeddingLossValue {
    try requireRank(anchor, 2, "anchor", layout: "batch, dimensions")
    try requireShape(positive, anchor.shape, "positive")
    try requireShape(negative, anchor.shape, "negative")
    guard margin.isFinite, margin >= 0 else { throw .invalidParameter("the triplet margin must be non-negative, got \(margin)") }
    let (n, d) = (anchor.shape[0], anchor.shape[1])
    let a = anchor.scalars, p = positive.scalars, q = negative.scalars
    var ga = [Float](repeating: 0, count: a.count), gp = ga, gn = ga
    var total: Float = 0
    for i in 0..<n {
        var dp: Float = 0, dn: Float = 0
        for k in 0..<d {
            let x = a[i * d + k] - p[i * d + k], y = a[i * d + k] - q[i * d + k]
            dp += x * x
            dn += y * y
        }
        let loss = dp - dn + margin
        guard loss > 0 else { continue }
        total += loss
        for k in 0..<d {
            let j = i * d + k
            ga[j] = 2 * (q[j] - p[j]) / Float(n)
            gp[j] = -2 * (a[j] - p[j]) / Float(n)
            gn[j] = 2 * (a[j] - q[j]) / Float(n)
        }
    }
    return EmbeddingLossValue(
        value: total / Float(max(n, 1)),
        gradients: [try Tensor(shape: anchor.shape, scalars: ga), try Tensor(shape: anchor.shape, scalars: gp),
                    try Tensor(shape: anchor.shape, scalars: gn)])
}

/// The triplet loss over a labelled batch of embeddings `[n, d]`, the triplets
/// mined from the batch. The gradient is with respect to the embeddings.
public func tripletLoss(
    embeddings: Tensor, labels: [Int], margin: Float = 0.2, mining: TripletMining
) throws(FoveaError) -> LossValue {
    try requireRank(embeddings, 2, "embeddings", layout: "batch, dimensions")
    let (n, d) = (embeddings.shape[0], embeddings.shape[1])
    guard labels.count == n else { throw .shapeMismatch("\(n) embeddings but \(labels.count) labels") }
    guard margin.isFinite, margin >= 0 else { throw .invalidParameter("the triplet margin must be non-negative, got \(margin)") }
    guard d >= 1 else { throw .shapeMismatch("embeddings need at least one dimension, got \(describe(embeddings.shape))") }
    let e = embeddings.scalars
    var distance = [Float](repeating: 0, count: try extentProduct(n, n, for: "the distances of \(n) embeddings"))
    for i in 0..<n {
        for j in 0..<n where j > i {
            var s: Float = 0
            for k in 0..<d {
                let x = e[i * d + k] - e[j * d + k]
                s += x * x
            }
            distance[i * n + j] = s
            distance[j * n + i] = s
        }
    }
    var gradient = [Float](repeating: 0, count: e.count)
    // Adds the gradient of w · (|a − p|² − |a − q|²).
    func accumulate(_ a: Int, _ p: Int, _ q: Int, _ w: Float) {
        for k in 0..<d {
            let (ea, ep, eq) = (e[a * d + k], e[p * d + k], e[q * d + k])
            gradient[a * d + k] += w * 2 * (eq - ep)
            gradient[p * d + k] += w * -2 * (ea - ep)
            gradient[q * d + k] += w * 2 * (ea - eq)
        }
    }
    var active = [(Int, Int, Int, Float)]()
    switch mining {
    case .batchAll:
        for a in 0..<n {
            for p in 0..<n where p != a && labels[p] == labels[a] {
                for q in 0..<n where labels[q] != labels[a] {
                    let loss = distance[a * n + p] - distance[a * n + q] + margin
                    if loss > 0 { active.append((a, p, q, loss)) }
                }
            }
        }
    case .batchHard:
        for a in 0..<n {
            let positives = (0..<n).filter { $0 != a && labels[$0] == labels[a] }
            let negatives = (0..<n).filter { labels[$0] != labels[a] }
            guard let p = positives.max(by: { distance[a * n + $0] < distance[a * n + $1] }),
                  let q = negatives.min(by: { distance[a * n + $0] < distance[a * n + $1] }) else { continue }
            active.append((a, p, q, max(0, distance[a * n + p] - distance[a * n + q] + margin)))
        }
    }
    // batch-all averages over the active triplets; batch-hard over the anchors that have both.
    let count = active.count
    guard count > 0 else { return LossValue(value: 0, gradient: try Tensor.zeros(shape: embeddings.shape)) }
    var total: Float = 0
    for (a, p, q, loss) in active where loss > 0 {
        total += loss
        accumulate(a, p, q, 1 / Float(count))
    }
    return LossValue(value: total / Float(count), gradient: try Tensor(shape: embeddings.shape, scalars: gradient))
}

/// The contrastive loss of a siamese network (Hadsell et al., 2006) over pairs
/// of embeddings `[n, d]`: `same ? D² : max(0, margin − D)²` with `D` the
/// Euclidean distance, averaged over the pairs.
public func contrastiveLoss(
    _ first: Tensor, _ second: Tensor, same: [Bool], margin: Float = 1
) throws(FoveaError) -> EmbeddingLossValue {
    try requireRank(first, 2, "first", layout: "batch, dimensions")
    try requireShape(second, first.shape, "second")
    let (n, d) = (first.shape[0], first.shape[1])
    guard same.count == n else { throw .shapeMismatch("\(n) pairs but \(same.count) labels") }
    guard margin.isFinite, margin > 0 else { throw .invalidParameter("the contrastive margin must be positive, got \(margin)") }
    let a = first.scalars, b = second.scalars
    var ga = [Float](repeating: 0, count: a.count), gb = ga
    var total: Float = 0
    for i in 0..<n {
        var squared: Float = 0
        for k in 0..<d {
            let x = a[i * d + k] - b[i * d + k]
            squared += x * x
        }
        let distance = squared.squareRoot()
        // d(loss)/d(a) = factor · (a − b); d(loss)/d(b) is its opposite.
        let factor: Float
        if same[i] {
            total += squared
            factor = 2
        } else if distance < margin {
            total += (margin - distance) * (margin - distance)
            factor = distance > 0 ? -2 * (margin - distance) / distance : 0
        } else {
            factor = 0
        }
        for k in 0..<d {
            let x = a[i * d + k] - b[i * d + k]
            ga[i * d + k] = factor * x / Float(n)
            gb[i * d + k] = -factor * x / Float(n)
        }
    }
    return EmbeddingLossValue(
        value: total / Float(max(n, 1)),
        gradients: [try Tensor(shape: first.shape, scalars: ga), try Tensor(shape: first.shape, scalars: gb)])
}
