import Foundation

/// Trains a classification model with softmax cross-entropy, one mini-batch
/// at a time.
///
/// The model's output gives class scores. When the output is a ``Softmax``
/// layer, the loss is computed from its input (the logits), which is exact and
/// stable; otherwise the output is taken as logits.
public struct ClassifierTrainer: Sendable {
    /// The model as trained so far, as it trains: every batch norm folded
    /// into a convolution is split out again (``Graph/unfoldedForTraining()``).
    /// ``trainedModel()`` folds them back for fast inference.
    public private(set) var model: Graph
    /// The model as given, whose layout ``trainedModel()`` restores.
    let original: Graph
    /// The optimizer (its state included).
    public var optimizer: any Optimizer
    /// Layers whose parameters stay as they are (transfer learning: a frozen
    /// backbone; unfreeze its last blocks to fine-tune). They compute as at
    /// inference, batch norms on their running statistics, as in Keras.
    public var frozenLayers: Set<String> = []
    /// Brings dataset images to the model's input (size, channels) before
    /// augmentation, batch by batch, in ``trainEpoch(_:batchSize:seed:augmenter:progress:)``
    /// and ``evaluate(_:batchSize:)``; `nil` passes them as they are.
    public var imageAdapter: ImageAdapter?
    let logitsNode: Int

    /// A trainer of `model` (its first output unless `output` names another).
    public init(model: Graph, optimizer: any Optimizer, output: String? = nil) throws(FoveaError) {
        let network = try model.unfoldedForTraining()
        let chosen = output.map { name in network.outputIndices.first { $0.name == name } } ?? network.outputIndices.first
        guard let node = chosen?.node else {
            throw .invalidParameter("the model has no output named \"\(output ?? "")\"")
        }
        if case .layer(let layer) = network.nodes[node].operation, layer is Softmax {
            logitsNode = network.nodes[node].inputs[0]
        } else {
            logitsNode = node
        }
        self.model = network
        self.original = model
        self.optimizer = optimizer
    }

    /// The trained model in the layout it was given (batch norms folded into
    /// their convolutions again).
    public func trainedModel() throws(FoveaError) -> Graph {
        try original.replacingParameters(model.parameters)
    }

    /// The nodes of the frozen layers (a split batch norm's parts included).
    var frozenNodes: Set<Int> {
        Set(model.nodes.indices.filter { index in
            let name = model.nodes[index].name
            return frozenLayers.contains(name) || frozenLayers.contains { name.hasPrefix("\($0).") }
        })
    }

    /// The result of one training step or one evaluation.
    public struct Metrics: Sendable {
        /// The mean cross-entropy.
        public var loss: Float
        /// How many of the batch's images were classified right.
        public var correct: Int
        /// How many images the figures cover.
        public var count: Int
        /// `correct / count`.
        public var accuracy: Float { count == 0 ? 0 : Float(correct) / Float(count) }
    }

    /// Training steps taken (each step's dropout and other draws depend on
    /// it); a checkpoint keeps it.
    public private(set) var steps: UInt64 = 0

    /// One optimisation step on a batch of images and labels, in training
    /// mode (dropout active, batch norm on the batch's statistics, running
    /// statistics updated).
    ///
    /// A batch that fails (wrong shape, a label out of range) leaves the
    /// trainer as it was: model, optimizer state and step count.
    public mutating func step(images: Tensor, labels: [Int]) throws(FoveaError) -> Metrics {
        let step = steps + 1
        let inference = frozenNodes
        let values = try model.trainingValues(images, seed: step, inference: inference)
        let logits = values[logitsNode]
        let loss = try softmaxCrossEntropy(logits: try flattenedLogits(logits), labels: labels)
        let gradients = try model.backpropagate(
            values: values, seeds: [logitsNode: try loss.gradient.reshaped(to: logits.shape)], inputGradient: false,
            training: step, inference: inference)
        var parameters = model.parameters
        let frozen = Set(model.parameterNames(ofLayers: Set(inference.map { model.nodes[$0].name })))
        let trainable = gradients.parameters.filter { parameters[$0.key] != nil && !frozen.contains($0.key) }
        var nextOptimizer = optimizer
        try nextOptimizer.update(&parameters, with: trainable)
        var replaced = parameters.filter { trainable[$0.key] != nil }
        for (name, tensor) in try model.updatedStatistics(values: values, skipping: inference) { replaced[name] = tensor }
        let nextModel = try model.replacingParameters(replaced)
        let metrics = Metrics(loss: loss.value, correct: try correctPredictions(logits, labels), count: labels.count)
        (model, optimizer, steps) = (nextModel, nextOptimizer, step)
        return metrics
    }

    /// Loss and accuracy over a whole dataset, in batches (no training).
    public func evaluate(_ data: LabelledImages, batchSize: Int = 500) throws(FoveaError) -> Metrics {
        var total = Metrics(loss: 0, correct: 0, count: 0)
        let adapter = imageAdapter
        let batches = try BatchPrefetcher(data, batchSize: batchSize, shuffledWith: nil) { images, _ throws(FoveaError) in
            try adapter.map { (adapt: ImageAdapter) throws(FoveaError) in try adapt(images) } ?? images
        }
        while let (images, labels) = try batches.next() {
            let values = try model.trainingValues(images)
            let logits = values[logitsNode]
            let loss = try softmaxCrossEntropy(logits: try flattenedLogits(logits), labels: labels)
            total.loss += loss.value * Float(labels.count)
            total.correct += try correctPredictions(logits, labels)
            total.count += labels.count
        }
        total.loss /= Float(max(total.count, 1))
        return total
    }

    /// One pass over `data` in shuffled mini-batches, each adapted to the
    /// model's input (``imageAdapter``) and optionally augmented (with draws
    /// from `seed`) on a background thread while the previous one trains;
    /// `progress` hears after each batch. A batch that fails (a label out of
    /// range, say) leaves the trainer as it was before the epoch.
    public mutating func trainEpoch(
        _ data: LabelledImages, batchSize: Int, seed: UInt64, augmenter: Augmenter? = nil,
        progress: (_ done: Int, _ total: Int, _ running: Metrics) -> Void = { _, _, _ in }
    ) throws(FoveaError) -> Metrics {
        var running = Metrics(loss: 0, correct: 0, count: 0)
        let adapter = imageAdapter
        let batches = try BatchPrefetcher(data, batchSize: batchSize, shuffledWith: seed) { images, index throws(FoveaError) in
            var prepared = images
            if let adapter { prepared = try adapter(prepared) }
            if let augmenter { prepared = try augmenter(prepared, seed: seed &* 0x9E37_79B9 &+ UInt64(index)) }
            return prepared
        }
        var next = self  // committed only once every batch has trained
        while let (images, labels) = try batches.next() {
            let metrics = try next.step(images: images, labels: labels)
            running.loss = (running.loss * Float(running.count) + metrics.loss * Float(metrics.count))
                / Float(running.count + metrics.count)
            running.correct += metrics.correct
            running.count += metrics.count
            progress(running.count, data.count, running)
        }
        self = next
        return running
    }

    /// The parameters, the optimizer's state (as `optimizer/<buffer>/<parameter>`)
    /// and the step count (metadata `steps`), with `metadata` added: what
    /// ``restore(from:)`` needs to continue training exactly.
    public func checkpoint(metadata: [String: String] = [:]) throws(FoveaError) -> SafeTensorsFile {
        var tensors = model.parameters
        for (name, tensor) in optimizer.state { tensors["optimizer/\(name)"] = tensor }
        return SafeTensorsFile(tensors: tensors, metadata: metadata.merging(["steps": String(steps)]) { $1 })
    }

    /// Takes the parameters, optimizer state and step count of a
    /// ``checkpoint(metadata:)``. Throws, changing nothing, when the file
    /// does not fit the model or the optimizer.
    public mutating func restore(from checkpoint: SafeTensorsFile) throws(FoveaError) {
        let parameters = checkpoint.tensors.filter { !$0.key.hasPrefix("optimizer/") }
        var state = [String: Tensor]()
        for (name, tensor) in checkpoint.tensors where name.hasPrefix("optimizer/") {
            state[String(name.dropFirst("optimizer/".count))] = tensor
        }
        let missing = Set(model.parameters.keys).subtracting(parameters.keys)
        guard missing.isEmpty else {
            throw .fileFormat("the checkpoint lacks \(missing.sorted().prefix(3).joined(separator: ", "))\(missing.count > 3 ? "…" : "")")
        }
        guard let steps = UInt64(checkpoint.metadata["steps"] ?? "0"), steps < UInt64.max else {
            throw .fileFormat("the checkpoint's step count \"\(checkpoint.metadata["steps"] ?? "")\" is not a step count")
        }
        // Every buffer is `<buffer>/<parameter>`, of the parameter's size (a step count: one value).
        let sizes = model.parameters.mapValues(\.count)
        for (key, tensor) in state {
            guard let slash = key.firstIndex(of: "/"), let size = sizes[String(key[key.index(after: slash)...])],
                  tensor.count == (key.hasPrefix("step/") ? 1 : size) else {
                throw .fileFormat("the checkpoint's optimizer state \"\(key)\" does not fit the model's parameters")
            }
        }
        let restoredModel = try model.replacingParameters(parameters)
        var restoredOptimizer = optimizer
        try restoredOptimizer.restore(state)
        (model, optimizer, self.steps) = (restoredModel, restoredOptimizer, steps)
    }

    private func flattenedLogits(_ logits: Tensor) throws(FoveaError) -> Tensor {
        guard let classes = logits.shape.last, logits.rank >= 2, classes >= 1 else {
            throw .shapeMismatch("a classifier's output must be [batch, ..., classes], got \(describe(logits.shape))")
        }
        return try logits.reshaped(to: [logits.count / classes, classes])
    }

    private func correctPredictions(_ logits: Tensor, _ labels: [Int]) throws(FoveaError) -> Int {
        let classes = logits.shape.last ?? 1
        let scores = logits.scalars
        var correct = 0
        for (row, label) in labels.enumerated() {
            let slice = scores[(row * classes)..<((row + 1) * classes)]
            if let best = slice.indices.max(by: { slice[$0] < slice[$1] }), best - row * classes == label { correct += 1 }
        }
        return correct
    }
}
