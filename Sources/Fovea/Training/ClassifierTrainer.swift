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

    /// Training steps taken (each step's dropout and other draws depend on it).
    public private(set) var steps: UInt64 = 0

    /// One optimisation step on a batch of images and labels, in training
    /// mode (dropout active, batch norm on the batch's statistics, running
    /// statistics updated).
    public mutating func step(images: Tensor, labels: [Int]) throws(FoveaError) -> Metrics {
        steps += 1
        let inference = frozenNodes
        let values = try model.trainingValues(images, seed: steps, inference: inference)
        let logits = values[logitsNode]
        let loss = try softmaxCrossEntropy(logits: try flattenedLogits(logits), labels: labels)
        let gradients = try model.backpropagate(
            values: values, seeds: [logitsNode: try loss.gradient.reshaped(to: logits.shape)], inputGradient: false,
            training: steps, inference: inference)
        var parameters = model.parameters
        let frozen = Set(model.parameterNames(ofLayers: Set(inference.map { model.nodes[$0].name })))
        let trainable = gradients.parameters.filter { parameters[$0.key] != nil && !frozen.contains($0.key) }
        try optimizer.update(&parameters, with: trainable)
        var replaced = parameters.filter { trainable[$0.key] != nil }
        for (name, tensor) in try model.updatedStatistics(values: values, skipping: inference) { replaced[name] = tensor }
        model = try model.replacingParameters(replaced)
        return Metrics(loss: loss.value, correct: try correctPredictions(logits, labels), count: labels.count)
    }

    /// Loss and accuracy over a whole dataset, in batches (no training).
    public func evaluate(_ data: LabelledImages, batchSize: Int = 500) throws(FoveaError) -> Metrics {
        var total = Metrics(loss: 0, correct: 0, count: 0)
        for batch in try data.batches(size: batchSize, shuffledWith: nil) {
            let (images, labels) = try data.subset(batch)
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

    /// One pass over `data` in shuffled mini-batches, each optionally
    /// augmented (with draws from `seed`); `progress` hears after each batch.
    public mutating func trainEpoch(
        _ data: LabelledImages, batchSize: Int, seed: UInt64, augmenter: Augmenter? = nil,
        progress: (_ done: Int, _ total: Int, _ running: Metrics) -> Void = { _, _, _ in }
    ) throws(FoveaError) -> Metrics {
        var running = Metrics(loss: 0, correct: 0, count: 0)
        for (index, batch) in try data.batches(size: batchSize, shuffledWith: seed).enumerated() {
            var (images, labels) = try data.subset(batch)
            if let augmenter { images = try augmenter(images, seed: seed &* 0x9E37_79B9 &+ UInt64(index)) }
            let metrics = try step(images: images, labels: labels)
            running.loss = (running.loss * Float(running.count) + metrics.loss * Float(metrics.count))
                / Float(running.count + metrics.count)
            running.correct += metrics.correct
            running.count += metrics.count
            progress(running.count, data.count, running)
        }
        return running
    }

    private func flattenedLogits(_ logits: Tensor) throws(FoveaError) -> Tensor {
        guard let classes = logits.shape.last, logits.rank >= 2 else {
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
