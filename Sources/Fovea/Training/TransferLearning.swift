import Foundation

extension Graph {
    /// The part of the graph that computes the layer named `layer`, with that
    /// layer's value as its only output (named after it): a backbone to
    /// extract features with.
    public func truncated(at layer: String) throws(FoveaError) -> Graph {
        guard let index = nodes.firstIndex(where: { $0.name == layer }) else {
            throw .invalidParameter("the model has no layer named \"\(layer)\"")
        }
        // Later layers are dropped; earlier side branches that it does not need still run.
        return Graph(nodes: Array(nodes[...index]), outputs: [(layer, index)], parameterAliases: parameterAliases)
    }
}

/// Features of a dataset computed once by a frozen backbone, so that a new
/// head trains on them without running the backbone again; saved to and
/// loaded from a safetensors file.
public struct FeatureCache: Sendable {
    /// The features, one per image, as `[n, 1, 1, features]` (or the backbone's NHWC maps).
    public let data: LabelledImages

    /// Runs `backbone` over `dataset` in batches and keeps its outputs.
    public init(backbone: Graph, dataset: LabelledImages, batchSize: Int = 256) throws(FoveaError) {
        var batches = [Tensor]()
        for batch in try dataset.batches(size: batchSize, shuffledWith: nil) {
            var features = try backbone(try dataset.subset(batch).images)
            if features.rank == 2 { features = try features.reshaped(to: [features.shape[0], 1, 1, features.shape[1]]) }
            batches.append(features)
        }
        data = try LabelledImages(
            images: try concatenate(batches, axis: 0), labels: dataset.labels, classes: dataset.classes)
    }

    /// Cached features read back with ``load(from:)``.
    public init(data: LabelledImages) { self.data = data }

    /// Writes the features and labels.
    public func save(to url: URL) throws(FoveaError) {
        try SafeTensorsFile(
            tensors: ["features": data.images, "labels": try Tensor(shape: [data.count], scalars: data.labels.map(Float.init))],
            metadata: ["classes": String(data.classes)]
        ).write(to: url)
    }

    /// Reads features saved with ``save(to:)``.
    public static func load(from url: URL) throws(FoveaError) -> FeatureCache {
        let file = try SafeTensorsFile.read(contentsOf: url)
        guard let classes = file.metadata["classes"].flatMap({ Int($0) }) else {
            throw .fileFormat("\(url.lastPathComponent) is not a feature cache (no class count)")
        }
        // Labels are floats in the file: NaN, infinities and huge values have no Int.
        let labels = try file.tensor(named: "labels").scalars.map { (value: Float) throws(FoveaError) -> Int in
            guard let label = Int(exactly: value), label >= 0, label < classes else {
                throw .fileFormat("\(url.lastPathComponent): \"labels\" holds \(value), not a class index below \(classes)")
            }
            return label
        }
        return FeatureCache(data: try LabelledImages(
            images: try file.tensor(named: "features"), labels: labels, classes: classes))
    }
}
