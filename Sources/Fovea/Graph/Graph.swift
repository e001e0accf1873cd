import Foundation

/// A model whose layers form a directed acyclic graph: branches, residual
/// additions, concatenations and several named outputs. Made with
/// ``GraphBuilder``.
///
/// As a ``Layer`` it returns its first output; ``outputs(_:)`` returns all of
/// them. A graph is immutable and can be called from several threads at once.
public struct Graph: Layer {
    let nodes: [GraphBuilder.Node]
    // The nodes as they run, after the fusions of LayerFusion.swift (equal to
    // the layers one by one, up to rounding for separable blocks).
    let executed: [GraphBuilder.Node]
    let outputIndices: [(name: String, node: Int)]
    // For each node, the last node that reads it when running: intermediate
    // results are released as soon as nothing else needs them.
    let lastUse: [Int]
    let parameterAliases: [String: String]

    init(nodes: [GraphBuilder.Node], outputs: [(String, Int)], parameterAliases: [String: String] = [:]) {
        self.nodes = nodes
        self.parameterAliases = parameterAliases
        outputIndices = outputs.map { (name: $0.0, node: $0.1) }
        executed = Graph.executionNodes(nodes, outputs: outputs)
        var lastUse = Array(repeating: -1, count: nodes.count)
        for (index, node) in executed.enumerated() {
            if case .skipped = node.operation { continue }
            for input in node.inputs { lastUse[input] = index }
        }
        for output in outputs { lastUse[output.1] = nodes.count }
        self.lastUse = lastUse
        noteModelWeights(
            convolutionCores,
            weightBytes: parameterBytes(nodes.compactMap { if case .layer(let layer) = $0.operation { layer } else { nil } }))
    }

    /// The names of the outputs, in order.
    public var outputNames: [String] { outputIndices.map(\.name) }

    /// The names of the layers, in the order they run.
    public var layerNames: [String] { nodes.dropFirst().map(\.name) }

    /// The shape of every output, in order.
    public func outputShapes(for inputShape: [Int]) throws(FoveaError) -> [(name: String, shape: [Int])] {
        let shapes = try nodeShapes(for: inputShape)
        return outputIndices.map { (name: $0.name, shape: shapes[$0.node]) }
    }

    /// The shape of the first output.
    public func outputShape(for inputShape: [Int]) throws(FoveaError) -> [Int] {
        try outputShapes(for: inputShape)[0].shape
    }

    /// Runs the model and returns every output by name.
    public func outputs(_ input: Tensor) throws(FoveaError) -> [String: Tensor] {
        try run(input, record: nil)
    }

    /// Runs the model once and returns how long each layer took, in the order
    /// the layers ran: where a network spends its time.
    public func profile(_ input: Tensor) throws(FoveaError) -> [(layer: String, seconds: Double)] {
        var timings = [(layer: String, seconds: Double)]()
        _ = try run(input) { timings.append((layer: $0, seconds: $1)) }
        return timings
    }

    private func run(_ input: Tensor, record: ((String, Double) -> Void)?) throws(FoveaError) -> [String: Tensor] {
        var values = [Tensor?](repeating: nil, count: nodes.count)
        values[0] = input
        for index in 1..<executed.count {
            let node = executed[index]
            if case .skipped = node.operation { continue }
            let start = record == nil ? 0 : monotonicSeconds()
            defer { record?(node.name, monotonicSeconds() - start) }
            do {
                switch node.operation {
                case .input, .skipped: break
                case .layer(let layer): values[index] = try layer(values[node.inputs[0]]!)
                case .merge(let layer as ConvolutionAddingShortcut)
                    where node.inputs.count == 2 && node.inputs[0] != node.inputs[1] && lastUse[node.inputs[1]] == index:
                    // The shortcut is handed over (no other reference left
                    // here), so the sum may be written over it.
                    var shortcut = values[node.inputs[1]]!
                    values[node.inputs[1]] = nil
                    values[index] = try layer(values[node.inputs[0]]!, over: &shortcut)
                case .merge(let layer): values[index] = try layer(node.inputs.map { values[$0]! })
                }
            } catch {
                throw error.prefixed(by: "layer \"\(node.name)\"")
            }
            for input in node.inputs where lastUse[input] == index { values[input] = nil }
        }
        var result = [String: Tensor]()
        for output in outputIndices { result[output.name] = values[output.node]! }
        return result
    }

    /// Runs the model and returns its first output.
    public func callAsFunction(_ input: Tensor) throws(FoveaError) -> Tensor {
        try outputs(input)[outputIndices[0].name]!
    }

    /// Every layer's parameters, named `<layer>.<parameter>` (for example
    /// `conv1.weight`), or by the name of the published weight file they were
    /// loaded from where a model defines one (`pnet.prelu1.weight`), in this
    /// library's layouts: saved, they load back with ``ModelWeights/Convention/fovea``.
    public var parameters: [String: Tensor] {
        var all = [String: Tensor]()
        for node in nodes {
            guard case .layer(let layer) = node.operation else { continue }
            for (name, tensor) in layer.parameters {
                let full = "\(node.name).\(name)"
                all[parameterAliases[full] ?? full] = tensor
            }
        }
        return all
    }

    /// The names (as ``parameters`` gives them) of the given layers' parameters.
    public func parameterNames(ofLayers layers: Set<String>) -> [String] {
        nodes.filter { layers.contains($0.name) }.flatMap { node -> [String] in
            guard case .layer(let layer) = node.operation else { return [] }
            return layer.parameters.keys.map { parameterAliases["\(node.name).\($0)"] ?? "\(node.name).\($0)" }
        }
    }

    /// A table of every layer with its output shape, parameter count and
    /// inputs, and the total, as Keras prints a functional model.
    public func summary(inputShape: [Int]) throws(FoveaError) -> String {
        let shapes = try nodeShapes(for: inputShape)
        var table = SummaryTable()
        for (index, node) in nodes.enumerated() {
            let kind: String, count: Int
            switch node.operation {
            case .input: (kind, count) = ("Input", 0)
            case .layer(let layer): (kind, count) = (layerTypeName(layer), layer.parameterCount)
            case .merge(let layer): (kind, count) = (String(describing: type(of: layer)), 0)
            case .skipped: (kind, count) = ("Skipped", 0)
            }
            table.rows.append(
                .init(layer: "\(node.name) (\(kind))", shape: describe(shapes[index]), parameters: count,
                      inputs: node.inputs.map { nodes[$0].name }.joined(separator: ", ")))
        }
        return table.rendered()
    }

    private func nodeShapes(for inputShape: [Int]) throws(FoveaError) -> [[Int]] {
        _ = try Tensor.elementCount(of: inputShape)  // every layer then sees a shape a tensor could have
        var shapes = [[Int]](repeating: [], count: nodes.count)
        shapes[0] = inputShape
        for index in 1..<nodes.count {
            let node = nodes[index]
            do {
                switch node.operation {
                case .input, .skipped: break
                case .layer(let layer): shapes[index] = try layer.outputShape(for: shapes[node.inputs[0]])
                case .merge(let layer): shapes[index] = try layer.outputShape(for: node.inputs.map { shapes[$0] })
                }
            } catch {
                throw error.prefixed(by: "layer \"\(node.name)\"")
            }
        }
        return shapes
    }
}

extension FoveaError {
    /// The same error with its message prefixed by where it happened.
    func prefixed(by context: String) -> FoveaError {
        switch self {
        case .shapeMismatch(let m): return .shapeMismatch("\(context): \(m)")
        case .invalidParameter(let m): return .invalidParameter("\(context): \(m)")
        case .unsupported(let m): return .unsupported("\(context): \(m)")
        case .io(let m): return .io("\(context): \(m)")
        case .fileFormat(let m): return .fileFormat("\(context): \(m)")
        case .kernelFailure(let m): return .kernelFailure("\(context): \(m)")
        }
    }
}

/// The name a summary shows for a layer's type: `Conv2D` rather than
/// `Convolution<TwoDimensional>`.
func layerTypeName(_ layer: any Layer) -> String {
    if let convolution = layer as? any SpatialConvolution { return "Conv\(convolution.spatialRank)D" }
    return String(describing: type(of: layer))
}

/// A convolution layer of some spatial rank.
protocol SpatialConvolution {
    var spatialRank: Int { get }
}

extension Convolution: SpatialConvolution {
    var spatialRank: Int { Rank.axes }
}

/// Seconds on a monotonic clock.
func monotonicSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + 1e-9 * Double(t.tv_nsec)
}

extension Graph: ConvolutionHolding {
    // The nodes as built and as they run: fusions make new convolutions
    // (a batch norm folded in) or share the built ones' plans.
    var convolutionCores: [ConvolutionCore] {
        (nodes + executed).flatMap { node -> [ConvolutionCore] in
            switch node.operation {
            case .layer(let layer): return convolutions(of: layer)
            case .merge(let layer): return convolutions(of: layer)
            case .input, .skipped: return []
            }
        }
    }
}
