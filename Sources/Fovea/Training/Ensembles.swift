/// Several models voting by the mean of their outputs (for example class
/// probabilities): the course's "ensembling" at test time.
public struct Ensemble: Sendable {
    /// The members, each with one output of the same shape.
    public let models: [Graph]

    /// An ensemble of at least one model.
    public init(_ models: [Graph]) throws(FoveaError) {
        guard !models.isEmpty else { throw .invalidParameter("an ensemble needs at least one model") }
        self.models = models
        // The members run one after the other: their weights share the cache.
        noteModelWeights(models.flatMap(\.convolutionCores), weightBytes: parameterBytes(models))
    }

    /// The mean of the members' first outputs.
    public func callAsFunction(_ input: Tensor) throws(FoveaError) -> Tensor {
        var sum = try models[0](input)
        for model in models.dropFirst() {
            let output = try model(input)
            guard output.shape == sum.shape else {
                throw .shapeMismatch("ensemble members disagree on the output shape: \(describe(sum.shape)) and \(describe(output.shape))")
            }
            sum = try add(sum, output)
        }
        return try multiply(sum, Tensor(scalar: 1 / Float(models.count)))
    }
}

/// The ten crops of AlexNet's test-time augmentation: the four corners and the
/// centre of each image, and the same five of its mirror image, each
/// `height x width`. Returns ten NHWC batches, crop-major.
public func tenCrops(_ images: Tensor, height: Int, width: Int) throws(FoveaError) -> [Tensor] {
    try requireRank(images, 4, "images", layout: "NHWC")
    let (h, w) = (images.shape[1], images.shape[2])
    guard height >= 1, width >= 1, height <= h, width <= w else {
        throw .invalidParameter("crops of \(height)x\(width) do not fit images of \(h)x\(w)")
    }
    let origins = [(0, 0), (0, w - width), (h - height, 0), (h - height, w - width), ((h - height) / 2, (w - width) / 2)]
    var crops = [Tensor]()
    for source in [images, try flipHorizontally(images)] {
        for (top, left) in origins { crops.append(try centreCrop(source, top: top, left: left, height: height, width: width)) }
    }
    return crops
}

/// A model's first output averaged over the ten crops of each image (multi-crop prediction).
public func multiCropPrediction(_ model: Graph, _ images: Tensor, height: Int, width: Int) throws(FoveaError) -> Tensor {
    let crops = try tenCrops(images, height: height, width: width)
    var sum = try model(crops[0])
    for crop in crops.dropFirst() { sum = try add(sum, try model(crop)) }
    return try multiply(sum, Tensor(scalar: 0.1))
}
