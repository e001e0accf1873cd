import Foundation

/// A random transformation of training images (the course's data
/// augmentation). Every draw comes from a seeded generator, so an epoch's
/// augmentations are reproducible.
public enum Augmentation: Sendable {
    /// Mirror left to right with the given probability.
    case horizontalFlip(probability: Float = 0.5)
    /// Pad each side with zeros, then crop a window of the original size at a random offset.
    case randomCrop(padding: Int)
    /// Add to each channel an offset drawn uniformly from `±maximum` (a colour shift).
    case colorShift(maximum: Float)
    /// AlexNet's PCA colour augmentation: add `Σ αᵢ·λᵢ·pᵢ` to every pixel, with
    /// `αᵢ ~ N(0, standardDeviation²)` and the principal components of the data's colours.
    case pcaColor(ColorPCA, standardDeviation: Float = 0.1)
    /// Rotate about the centre by an angle drawn uniformly from `±maximumDegrees`.
    case rotation(maximumDegrees: Float)
    /// Shear horizontally by a factor drawn uniformly from `±maximum` (x += factor · (y − centre)).
    case shear(maximum: Float)
    /// Local (elastic) warping, Simard et al. 2003: a random displacement field
    /// smoothed by a Gaussian of `sigma` pixels and scaled by `alpha` pixels.
    case elastic(alpha: Float, sigma: Float)
}

/// The principal components of a dataset's pixel colours (AlexNet's PCA colour augmentation).
public struct ColorPCA: Sendable {
    /// The eigenvalues of the colour covariance, largest first.
    public let eigenvalues: [Float]
    /// The matching unit eigenvectors, one per row.
    public let eigenvectors: [[Float]]

    /// Fits the components to every pixel of NHWC `images`.
    public init(images: Tensor) throws(FoveaError) {
        try requireRank(images, 4, "images", layout: "NHWC")
        let channels = images.shape[3]
        guard channels >= 1, images.count > 0 else { throw .invalidParameter("PCA colour needs a non-empty batch") }
        let x = images.scalars
        let pixels = x.count / channels
        var mean = [Double](repeating: 0, count: channels)
        for p in 0..<pixels { for c in 0..<channels { mean[c] += Double(x[p * channels + c]) } }
        mean = mean.map { $0 / Double(pixels) }
        var covariance = [[Double]](repeating: [Double](repeating: 0, count: channels), count: channels)
        for p in 0..<pixels {
            for i in 0..<channels {
                let a = Double(x[p * channels + i]) - mean[i]
                for j in i..<channels { covariance[i][j] += a * (Double(x[p * channels + j]) - mean[j]) }
            }
        }
        for i in 0..<channels {
            for j in i..<channels {
                covariance[i][j] /= Double(max(pixels - 1, 1))
                covariance[j][i] = covariance[i][j]
            }
        }
        let (values, vectors) = symmetricEigen(covariance)
        let order = values.indices.sorted { values[$0] > values[$1] }
        eigenvalues = order.map { Float(max(values[$0], 0)) }
        eigenvectors = order.map { k in (0..<channels).map { Float(vectors[$0][k]) } }
    }
}

/// Eigenvalues and eigenvectors (as columns) of a small symmetric matrix, by Jacobi rotations.
func symmetricEigen(_ matrix: [[Double]]) -> ([Double], [[Double]]) {
    let n = matrix.count
    var a = matrix
    var v = (0..<n).map { i in (0..<n).map { $0 == i ? 1.0 : 0.0 } }
    for _ in 0..<100 {
        var off = 0.0
        for i in 0..<n { for j in 0..<n where i != j { off += a[i][j] * a[i][j] } }
        if off < 1e-24 { break }
        for p in 0..<n {
            for q in (p + 1)..<n where abs(a[p][q]) > 1e-300 {
                let theta = (a[q][q] - a[p][p]) / (2 * a[p][q])
                let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
                let c = 1 / (t * t + 1).squareRoot(), s = t * c
                for k in 0..<n {
                    let (akp, akq) = (a[k][p], a[k][q])
                    a[k][p] = c * akp - s * akq
                    a[k][q] = s * akp + c * akq
                }
                for k in 0..<n {
                    let (apk, aqk) = (a[p][k], a[q][k])
                    a[p][k] = c * apk - s * aqk
                    a[q][k] = s * apk + c * aqk
                }
                for k in 0..<n {
                    let (vkp, vkq) = (v[k][p], v[k][q])
                    v[k][p] = c * vkp - s * vkq
                    v[k][q] = s * vkp + c * vkq
                }
            }
        }
    }
    return ((0..<n).map { a[$0][$0] }, v)
}

/// Applies a list of augmentations to every image of a batch, each image
/// with its own draws.
public struct Augmenter: Sendable {
    /// The augmentations, applied in order.
    public let steps: [Augmentation]

    /// An augmenter of the given steps.
    public init(_ steps: [Augmentation]) throws(FoveaError) {
        for step in steps {
            switch step {
            case .horizontalFlip(let p) where !(0...1).contains(p):
                throw .invalidParameter("a flip probability lies in [0, 1], got \(p)")
            case .randomCrop(let padding) where !(0...Spatial.maximum).contains(padding):
                throw .invalidParameter("crop padding lies in 0...\(Spatial.maximum), got \(padding)")
            case .elastic(let alpha, let sigma) where !(alpha >= 0 && alpha.isFinite && sigma > 0 && sigma <= 1e6):
                throw .invalidParameter("elastic warping needs a finite alpha ≥ 0 and 0 < sigma ≤ 10^6, got alpha \(alpha), sigma \(sigma)")
            case .colorShift(let maximum) where !maximum.isFinite,
                 .rotation(let maximum) where !maximum.isFinite,
                 .shear(let maximum) where !maximum.isFinite:
                throw .invalidParameter("\(step) needs a finite maximum, got \(maximum)")
            case .pcaColor(_, let deviation) where !deviation.isFinite:
                throw .invalidParameter("PCA colour shifts need a finite standard deviation, got \(deviation)")
            default: break
            }
        }
        self.steps = steps
    }

    /// The augmented batch (NHWC), reproducible from `seed`.
    public func callAsFunction(_ batch: Tensor, seed: UInt64) throws(FoveaError) -> Tensor {
        try requireRank(batch, 4, "batch", layout: "NHWC")
        guard batch.count > 0 else { return batch }  // the warps' fields are sized by the image's extents
        let (n, h, w, c) = (batch.shape[0], batch.shape[1], batch.shape[2], batch.shape[3])
        let perImage = h * w * c
        var output = [Float](batch.scalars)
        var generator = SeededGenerator(seed: seed)
        for image in 0..<n {
            var pixels = Array(output[(image * perImage)..<((image + 1) * perImage)])
            for step in steps { pixels = try apply(step, to: pixels, h, w, c, &generator) }
            output.replaceSubrange((image * perImage)..<((image + 1) * perImage), with: pixels)
        }
        return try Tensor(shape: batch.shape, scalars: output)
    }

    private func apply(
        _ step: Augmentation, to x: [Float], _ h: Int, _ w: Int, _ c: Int, _ g: inout SeededGenerator
    ) throws(FoveaError) -> [Float] {
        func uniform(_ limit: Float) -> Float { (g.nextUnitFloat() * 2 - 1) * limit }
        switch step {
        case .horizontalFlip(let probability):
            guard g.nextUnitFloat() < probability else { return x }
            var y = x
            for row in 0..<h { for col in 0..<w { for ch in 0..<c { y[(row * w + col) * c + ch] = x[(row * w + w - 1 - col) * c + ch] } } }
            return y
        case .randomCrop(let padding):
            let top = Int(g.next() % UInt64(2 * padding + 1)) - padding, left = Int(g.next() % UInt64(2 * padding + 1)) - padding
            var y = [Float](repeating: 0, count: x.count)
            for row in 0..<h {
                let sy = row + top
                guard sy >= 0 && sy < h else { continue }
                for col in 0..<w {
                    let sx = col + left
                    guard sx >= 0 && sx < w else { continue }
                    for ch in 0..<c { y[(row * w + col) * c + ch] = x[(sy * w + sx) * c + ch] }
                }
            }
            return y
        case .colorShift(let maximum):
            let shifts = (0..<c).map { _ in uniform(maximum) }
            return x.enumerated().map { $0.element + shifts[$0.offset % c] }
        case .pcaColor(let pca, let deviation):
            guard pca.eigenvalues.count == c else {
                throw .shapeMismatch("the PCA was fitted to \(pca.eigenvalues.count) channels, the images have \(c)")
            }
            let alphas = (0..<c).map { _ in g.nextStandardNormal() * deviation }
            let shifts = (0..<c).map { ch in (0..<c).reduce(Float(0)) { $0 + alphas[$1] * pca.eigenvalues[$1] * pca.eigenvectors[$1][ch] } }
            return x.enumerated().map { $0.element + shifts[$0.offset % c] }
        case .rotation(let degrees):
            let angle = uniform(degrees) * .pi / 180
            let (cosine, sine) = (Foundation.cos(angle), Foundation.sin(angle))
            let (cy, cx) = (Float(h - 1) / 2, Float(w - 1) / 2)
            return warp(x, h, w, c) { (row, col) in
                let (dy, dx) = (row - cy, col - cx)
                return (cy + cosine * dy - sine * dx, cx + sine * dy + cosine * dx)
            }
        case .shear(let maximum):
            let factor = uniform(maximum), cy = Float(h - 1) / 2
            return warp(x, h, w, c) { (row, col) in (row, col + factor * (row - cy)) }
        case .elastic(let alpha, let sigma):
            var fieldX = (0..<(h * w)).map { _ in uniform(1) }, fieldY = (0..<(h * w)).map { _ in uniform(1) }
            fieldX = gaussianBlur(fieldX, h, w, sigma).map { $0 * alpha }
            fieldY = gaussianBlur(fieldY, h, w, sigma).map { $0 * alpha }
            return warp(x, h, w, c) { (row, col) in
                let i = Int(row) * w + Int(col)
                return (row + fieldY[i], col + fieldX[i])
            }
        }
    }
}

/// Samples `x` (h x w x c) bilinearly where `source` maps each output pixel
/// (row, column) to a position in the input; outside the image reads zero.
func warp(_ x: [Float], _ h: Int, _ w: Int, _ c: Int, source: (Float, Float) -> (Float, Float)) -> [Float] {
    var y = [Float](repeating: 0, count: x.count)
    func at(_ r: Int, _ q: Int, _ ch: Int) -> Float { r >= 0 && r < h && q >= 0 && q < w ? x[(r * w + q) * c + ch] : 0 }
    for row in 0..<h {
        for col in 0..<w {
            let (sy, sx) = source(Float(row), Float(col))
            // Far outside the image (or not a number, from extreme parameters): zeros, as any outside read.
            guard abs(sy) < 1e9, abs(sx) < 1e9 else { continue }
            let (y0, x0) = (Int(Foundation.floor(sy)), Int(Foundation.floor(sx)))
            let (fy, fx) = (sy - Float(y0), sx - Float(x0))
            for ch in 0..<c {
                let top = at(y0, x0, ch) * (1 - fx) + at(y0, x0 + 1, ch) * fx
                let bottom = at(y0 + 1, x0, ch) * (1 - fx) + at(y0 + 1, x0 + 1, ch) * fx
                y[(row * w + col) * c + ch] = top * (1 - fy) + bottom * fy
            }
        }
    }
    return y
}

/// A separable Gaussian blur of an h x w field (borders clamp).
func gaussianBlur(_ field: [Float], _ h: Int, _ w: Int, _ sigma: Float) -> [Float] {
    let radius = max(1, Int((3 * sigma).rounded(.up)))
    var kernel = (-radius...radius).map { Foundation.exp(-Float($0 * $0) / (2 * sigma * sigma)) }
    let total = kernel.reduce(0, +)
    kernel = kernel.map { $0 / total }
    var rows = [Float](repeating: 0, count: field.count), result = rows
    for r in 0..<h {
        for q in 0..<w {
            var s: Float = 0
            for k in -radius...radius { s += kernel[k + radius] * field[r * w + min(max(q + k, 0), w - 1)] }
            rows[r * w + q] = s
        }
    }
    for r in 0..<h {
        for q in 0..<w {
            var s: Float = 0
            for k in -radius...radius { s += kernel[k + radius] * rows[min(max(r + k, 0), h - 1) * w + q] }
            result[r * w + q] = s
        }
    }
    return result
}
