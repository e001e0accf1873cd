/// Builds the list of layers of a ``Sequential``.
@resultBuilder
public enum LayerBuilder {
    /// One layer.
    public static func buildExpression(_ layer: any Layer) -> [any Layer] { [layer] }
    /// A block of layers.
    public static func buildBlock(_ parts: [any Layer]...) -> [any Layer] { parts.flatMap { $0 } }
    /// Layers added under a condition.
    public static func buildOptional(_ part: [any Layer]?) -> [any Layer] { part ?? [] }
    /// Either branch of an `if`.
    public static func buildEither(first: [any Layer]) -> [any Layer] { first }
    /// Either branch of an `if`.
    public static func buildEither(second: [any Layer]) -> [any Layer] { second }
    /// Layers made in a loop.
    public static func buildArray(_ parts: [[any Layer]]) -> [any Layer] { parts.flatMap { $0 } }
}

/// Layers applied one after the other (Keras' `Sequential`).
///
/// ```swift
/// let model = try Sequential {
///     try Conv2D(weight: w1, padding: .same, activation: .relu)
///     try MaxPool2D(size: 2)
///     Flatten()
///     try Dense(weight: w2, bias: b2)
/// }
/// let y = try model(x)
/// print(try model.summary(inputShape: [1, 28, 28, 1]))
/// ```
public struct Sequential: Layer {
    /// The layers, in order.
    public let layers: [any Layer]

    /// A model of the given layers.
    public init(layers: [any Layer]) {
        self.layers = layers
        noteModelWeights(convolutionCores, weightBytes: parameterBytes(layers))
    }

    /// A model of the layers the builder lists; whatever the builder throws
    /// (a layer's ``FoveaError``, or the caller's own errors) is thrown on.
    public init<Failure: Error>(@LayerBuilder _ content: () throws(Failure) -> [any Layer]) throws(Failure) {
        self.init(layers: try content())
    }

    /// The shape after every layer.
    public func outputShape(for inputShape: [Int]) throws(FoveaError) -> [Int] {
        _ = try Tensor.elementCount(of: inputShape)  // every layer then sees a shape a tensor could have
        var shape = inputShape
        for layer in layers { shape = try layer.outputShape(for: shape) }
        return shape
    }

    /// Runs every layer in turn.
    public func callAsFunction(_ input: Tensor) throws(FoveaError) -> Tensor {
        var x = input
        for layer in layers { x = try layer(x) }
        return x
    }

    /// Every layer's parameters, named `<index>.<name>` (for example `0.weight`).
    public var parameters: [String: Tensor] {
        var all = [String: Tensor]()
        for (index, layer) in layers.enumerated() {
            for (name, tensor) in layer.parameters { all["\(index).\(name)"] = tensor }
        }
        return all
    }

    /// The same model as a ``Graph`` whose output is named `output`: what
    /// training, gradients and the graph tools take. Layer `i` becomes the
    /// node named `i` (a nested `Sequential`'s layer `j`, `i.j`), so the
    /// parameters keep the names ``parameters`` gives them.
    public func graph() throws(FoveaError) -> Graph {
        var builder = GraphBuilder()
        var node = builder.input
        func append(_ layers: [any Layer], prefix: String) {
            for (index, layer) in layers.enumerated() {
                if let nested = layer as? Sequential {
                    append(nested.layers, prefix: "\(prefix)\(index).")
                } else {
                    node = builder.add(layer, named: "\(prefix)\(index)", to: node)
                }
            }
        }
        append(layers, prefix: "")
        return try builder.build(outputs: ["output": node])
    }

    /// A table of every layer's output shape and parameter count, with totals,
    /// as Keras prints it.
    public func summary(inputShape: [Int]) throws(FoveaError) -> String {
        _ = try Tensor.elementCount(of: inputShape)  // every layer then sees a shape a tensor could have
        var table = SummaryTable()
        var shape = inputShape
        for (index, layer) in layers.enumerated() {
            shape = try layer.outputShape(for: shape)
            table.rows.append(.init(layer: "\(index) \(layerTypeName(layer))", shape: describe(shape), parameters: layer.parameterCount))
        }
        return table.rendered()
    }
}
