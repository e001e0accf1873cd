/// A value flowing through a graph under construction: the model's input or
/// the output of a layer added to the builder.
public struct GraphNode: Hashable, Sendable {
    let index: Int
}

/// Builds a ``Graph``: a model whose layers may branch and join (residual
/// additions, concatenated branches) and that may have several outputs.
///
/// ```swift
/// var g = GraphBuilder()
/// let a = g.add(try Conv2D(weight: w1, padding: .same, activation: .relu), named: "conv1", to: g.input)
/// let b = g.add(try Conv2D(weight: w2, padding: .same), named: "conv2", to: a)
/// let sum = g.merge(try Add(activation: .relu), named: "residual", b, a)
/// let model = try g.build(outputs: ["out": sum])
/// ```
///
/// Names identify layers in summaries and name their parameters
/// (`conv1.weight`); a layer added without a name gets one from its type and
/// position (`conv2d_3`).
public struct GraphBuilder: Sendable {
    enum Operation: Sendable {
        case input
        case layer(any Layer)
        case merge(any MergeLayer)
        /// Not run: its work was taken over by its reader (see `Graph.executionNodes`).
        case skipped
    }

    struct Node: Sendable {
        var name: String
        var operation: Operation
        var inputs: [Int]
    }

    var nodes: [Node] = [Node(name: "input", operation: .input, inputs: [])]
    /// Published names of parameters, by `<layer>.<parameter>` (see ``Graph/parameters``).
    var parameterAliases: [String: String] = [:]

    /// An empty graph with one input.
    public init() {}

    /// The model's input.
    public var input: GraphNode { GraphNode(index: 0) }

    /// Applies `layer` to `node`.
    public mutating func add(_ layer: any Layer, named name: String? = nil, to node: GraphNode) -> GraphNode {
        append(name: name ?? defaultName(for: layer), .layer(layer), inputs: [node])
    }

    /// Applies a chain of layers to `node`, each named `<name>.<index>` or
    /// after its type.
    public mutating func add(_ layers: [any Layer], named name: String? = nil, to node: GraphNode) -> GraphNode {
        var current = node
        for (index, layer) in layers.enumerated() {
            current = add(layer, named: name.map { "\($0).\(index)" }, to: current)
        }
        return current
    }

    /// Combines several nodes with a merge layer (``Add``, ``Concatenate``).
    public mutating func merge(_ layer: any MergeLayer, named name: String? = nil, _ nodes: GraphNode...) -> GraphNode {
        merge(layer, named: name, nodes)
    }

    /// Combines several nodes with a merge layer (``Add``, ``Concatenate``).
    public mutating func merge(_ layer: any MergeLayer, named name: String? = nil, _ nodes: [GraphNode]) -> GraphNode {
        append(name: name ?? defaultName(for: layer), .merge(layer), inputs: nodes)
    }

    /// The finished model, with its outputs in the order given.
    ///
    /// - Throws: ``FoveaError/invalidParameter(_:)`` when there is no output,
    ///   two layers or two outputs share a name, or a node comes from another
    ///   builder.
    public func build(outputs: KeyValuePairs<String, GraphNode>) throws(FoveaError) -> Graph {
        try build(outputs: outputs.map { ($0.key, $0.value) })
    }

    /// The finished model, with its outputs in the order given.
    public func build(outputs: [(String, GraphNode)]) throws(FoveaError) -> Graph {
        guard !outputs.isEmpty else { throw .invalidParameter("a graph needs at least one output") }
        var seen = Set<String>()
        for node in nodes where !seen.insert(node.name).inserted {
            throw .invalidParameter("two layers are named \"\(node.name)\"")
        }
        var outputNames = Set<String>()
        for (name, node) in outputs {
            guard outputNames.insert(name).inserted else { throw .invalidParameter("two outputs are named \"\(name)\"") }
            guard node.index < nodes.count else { throw .invalidParameter("output \"\(name)\" is not a node of this graph") }
        }
        for (index, node) in nodes.enumerated() {
            // A node can only consume earlier ones: nodes from another builder show up here.
            guard node.inputs.allSatisfy({ $0 < index }) else {
                throw .invalidParameter("layer \"\(node.name)\" takes a node that is not part of this graph")
            }
            if case .merge = node.operation, node.inputs.isEmpty {
                throw .invalidParameter("merge layer \"\(node.name)\" has no inputs")
            }
        }
        return Graph(nodes: nodes, outputs: outputs.map { ($0.0, $0.1.index) }, parameterAliases: parameterAliases)
    }

    private mutating func append(name: String, _ operation: Operation, inputs: [GraphNode]) -> GraphNode {
        nodes.append(Node(name: name, operation: operation, inputs: inputs.map(\.index)))
        return GraphNode(index: nodes.count - 1)
    }

    private func defaultName(for layer: Any) -> String {
        var snake = ""
        for (index, character) in String(describing: type(of: layer)).prefix(while: { $0 != "<" }).enumerated() {
            if character.isUppercase, index > 0, !(snake.last?.isNumber ?? false) { snake.append("_") }
            snake.append(character.lowercased())
        }
        return "\(snake)_\(nodes.count)"
    }
}
