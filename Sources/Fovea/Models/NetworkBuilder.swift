/// Builds a model's graph and draws each layer's parameters from
/// ``ModelWeights`` under the name the finished graph reports for it
/// (`<layer>.<parameter>`), so that a model's own ``Graph/parameters`` load
/// back into it.
struct NetworkBuilder {
    var graph = GraphBuilder()
    var weights: ModelWeights
    /// Prepended to every name asked of the weights (a file holding several networks).
    var filePrefix = ""

    init(weights: ModelWeights, filePrefix: String = "") {
        self.weights = weights
        self.filePrefix = filePrefix
    }

    var input: GraphNode { graph.input }

    /// The parameter `name` of layer `layer`, read from the file as `file`
    /// (by default `<layer>.<name>`), after the builder's file prefix.
    mutating func parameter(
        _ layer: String, _ name: String, _ shape: [Int], _ kind: ModelWeights.Kind, file: String? = nil
    ) throws(FoveaError) -> Tensor {
        let own = "\(layer).\(name)", published = filePrefix + (file ?? own)
        if published != own { graph.parameterAliases[own] = published }
        return try weights.tensor(published, shape: shape, kind: kind)
    }

    /// A convolution with a bias.
    mutating func conv(
        _ name: String, _ x: GraphNode, _ kernel: (Int, Int), _ inChannels: Int, _ outChannels: Int,
        stride: Spatial = 1, padding: Padding = .valid, dilation: Spatial = 1, groups: Int = 1, bias: Bool = true,
        activation: Activation = .none
    ) throws(FoveaError) -> GraphNode {
        let w = try parameter(name, "weight", [kernel.0, kernel.1, inChannels / groups, outChannels], .convolution)
        let b = bias ? try parameter(name, "bias", [outChannels], .zeros) : nil
        let layer = try Conv2D(
            weight: w, bias: b, stride: stride, padding: padding, dilation: dilation, groups: groups,
            activation: activation)
        return graph.add(layer, named: name, to: x)
    }

    /// Where a folded normalisation's tensors are in a weight file (names
    /// after the builder's prefix); `nil` uses the layer's own names.
    struct NormalizationNames {
        var scale: String, offset: String
        /// `nil` for a frozen affine without statistics.
        var mean: String? = nil, variance: String? = nil
    }

    /// A convolution and a batch normalisation (or affine), folded into one layer.
    mutating func convBN(
        _ name: String, _ x: GraphNode, _ kernel: (Int, Int), _ inChannels: Int, _ outChannels: Int,
        stride: Spatial = 1, padding: Padding = .valid, groups: Int = 1, bias: Bool = false,
        epsilon: ConvBatchNorm2D.Epsilon = .addedToVariance(1e-3), activation: Activation = .none,
        files: NormalizationNames? = nil, convolutionFile: String? = nil
    ) throws(FoveaError) -> GraphNode {
        let c = [outChannels]
        let w = try parameter(
            name, "weight", [kernel.0, kernel.1, inChannels / groups, outChannels], .convolution,
            file: convolutionFile.map { "\($0).weight" })
        let b = bias ? try parameter(name, "bias", c, .zeros, file: convolutionFile.map { "\($0).bias" }) : nil
        let affineOnly = files != nil && files?.mean == nil
        let layer = try ConvBatchNorm2D(
            weight: w, bias: b,
            mean: affineOnly ? nil : try parameter(name, "bn.moving_mean", c, .zeros, file: files?.mean),
            variance: affineOnly ? nil : try parameter(name, "bn.moving_variance", c, .ones, file: files?.variance),
            scale: try parameter(name, "bn.gamma", c, .ones, file: files?.scale),
            offset: try parameter(name, "bn.beta", c, .zeros, file: files?.offset), epsilon: epsilon, stride: stride,
            padding: padding, groups: groups, activation: activation)
        return graph.add(layer, named: name, to: x)
    }

    /// A fully connected layer (with a bias unless told otherwise).
    mutating func dense(
        _ name: String, _ x: GraphNode, _ inFeatures: Int, _ outFeatures: Int, bias: Bool = true,
        activation: Activation = .none
    ) throws(FoveaError) -> GraphNode {
        let layer = try Dense(
            weight: try parameter(name, "weight", [inFeatures, outFeatures], .dense),
            bias: bias ? try parameter(name, "bias", [outFeatures], .zeros) : nil, activation: activation)
        return graph.add(layer, named: name, to: x)
    }

    /// A PReLU with one slope per channel.
    mutating func prelu(_ name: String, _ x: GraphNode, _ channels: Int) throws(FoveaError) -> GraphNode {
        graph.add(try PReLU(slope: try parameter(name, "weight", [channels], .constant(0.25))), named: name, to: x)
    }

    /// A layer without parameters.
    mutating func add(_ layer: any Layer, _ name: String? = nil, _ x: GraphNode) -> GraphNode {
        graph.add(layer, named: name, to: x)
    }

    /// A merge of several nodes.
    mutating func merge(_ layer: any MergeLayer, _ name: String? = nil, _ nodes: [GraphNode]) -> GraphNode {
        graph.merge(layer, named: name, nodes)
    }

    /// The finished graph; every tensor of a weight file must have been used.
    func build(outputs: [(String, GraphNode)]) throws(FoveaError) -> Graph {
        try weights.finish(scope: filePrefix)
        return try graph.build(outputs: outputs)
    }
}
