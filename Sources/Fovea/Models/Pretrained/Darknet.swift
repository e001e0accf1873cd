import Foundation

/// Networks described in darknet's own format (`.cfg` and `.weights`), such
/// as YOLOv3-tiny and YOLOv4-tiny. Supported sections: `convolutional` (with
/// or without batch norm; linear, leaky, relu, relu6, tanh or logistic),
/// `maxpool`, `route` (with `groups` and `group_id`), `upsample`, `shortcut`
/// and `yolo` (with `scale_x_y`).
public enum Darknet {
    struct Convolution {
        var filters, size, stride, padding, groups: Int
        var batchNormalize: Bool
        var activation: Activation
    }

    enum Kind {
        case convolution(Convolution)
        case maxPool(size: Int, stride: Int, padding: Int)
        case route([Int], groups: Int, group: Int)
        case upsample(Int)
        case shortcut(from: Int, activation: Activation)
        case yolo(anchors: Int, classes: Int, scaleXY: Float)
    }

    struct LayerDescription {
        var kind: Kind
        var inputChannels: Int
        var outputChannels: Int
    }

    /// Each layer's kind and channel counts, checked.
    static func describeLayers(_ configuration: DarknetConfiguration) throws(FoveaError) -> [LayerDescription] {
        var channels = try configuration.net.integer("channels", default: 3)
        var result = [LayerDescription]()
        func absolute(_ index: Int, from current: Int, _ section: DarknetConfiguration.Section) throws(FoveaError) -> Int {
            let resolved = index < 0 ? current + index : index
            guard resolved >= 0, resolved < current else {
                throw .fileFormat("darknet [\(section.type)] on line \(section.line) refers to layer \(index), which does not precede it")
            }
            return resolved
        }
        for (index, section) in configuration.layers.enumerated() {
            let kind: Kind, output: Int
            switch section.type {
            case "convolutional":
                let size = try section.integer("size", default: 1)
                let convolution = Convolution(
                    filters: try section.integer("filters", default: 1), size: size,
                    stride: try section.integer("stride", default: 1),
                    padding: try section.integer("pad", default: 0) != 0 ? size / 2 : try section.integer("padding", default: 0),
                    groups: try section.integer("groups", default: 1),
                    batchNormalize: try section.integer("batch_normalize", default: 0) != 0,
                    activation: try activation(section))
                guard convolution.filters >= 1, size >= 1, convolution.stride >= 1, convolution.groups >= 1,
                      channels % convolution.groups == 0, convolution.filters % convolution.groups == 0 else {
                    throw .fileFormat("darknet [convolutional] on line \(section.line) has inconsistent sizes or groups")
                }
                kind = .convolution(convolution)
                output = convolution.filters
            case "maxpool":
                let size = try section.integer("size", default: 1)
                let stride = try section.integer("stride", default: size)
                kind = .maxPool(size: size, stride: stride, padding: try section.integer("padding", default: size - 1))
                output = channels
            case "route":
                // With groups, each source gives the group_id-th of `groups`
                // equal runs of its channels (darknet slices each source's
                // CHW data, which is a run of channels).
                let groups = try section.integer("groups", default: 1)
                let group = try section.integer("group_id", default: 0)
                let sources = try section.integers("layers").map { (i: Int) throws(FoveaError) -> Int in
                    try absolute(i, from: index, section)
                }
                guard groups >= 1, (0..<groups).contains(group),
                      sources.allSatisfy({ result[$0].outputChannels % groups == 0 }) else {
                    throw .fileFormat(
                        "darknet [route] on line \(section.line) takes group \(group) of \(groups), which does not divide its layers' channels")
                }
                kind = .route(sources, groups: groups, group: group)
                output = try extentSum(
                    of: sources.map { result[$0].outputChannels / groups }, for: "the [route] on line \(section.line)")
            case "upsample":
                kind = .upsample(try section.integer("stride", default: 2))
                output = channels
            case "shortcut":
                kind = .shortcut(from: try absolute(try section.integer("from"), from: index, section),
                                 activation: try activation(section))
                output = channels
            case "yolo":
                let mask = try section.integers("mask")
                guard try section.integer("new_coords", default: 0) == 0 else {
                    throw .unsupported("darknet [yolo] with new_coords (line \(section.line)) is not supported")
                }
                let scale = try section.float("scale_x_y", default: 1)
                kind = .yolo(anchors: mask.count, classes: try section.integer("classes", default: 20), scaleXY: scale)
                output = channels
            default:
                throw .unsupported("darknet [\(section.type)] layers (line \(section.line)) are not supported")
            }
            result.append(LayerDescription(kind: kind, inputChannels: channels, outputChannels: output))
            channels = output
        }
        return result
    }

    private static func activation(_ section: DarknetConfiguration.Section) throws(FoveaError) -> Activation {
        switch section.options["activation"] ?? "linear" {
        case "linear": return .none
        case "leaky": return .leakyRelu(alpha: 0.1)
        case "relu": return .relu
        case "relu6": return .relu6
        case "tanh": return .tanh
        case "logistic": return .sigmoid
        case let other: throw .unsupported("darknet activation '\(other)' (line \(section.line)) is not supported")
        }
    }

    /// Builds the network a configuration describes, with its weights (from
    /// ``readWeights(_:configuration:)`` or the safetensors conversion).
    ///
    /// Every `[yolo]` layer is an output, named `out.head<grid>` after its
    /// grid size at the configuration's input size (`out.head13` and
    /// `out.head26` for YOLOv3-tiny at 416x416), NHWC with
    /// `anchors · (5 + classes)` channels, the logistic applied as darknet does.
    /// Batch norms use darknet's rule (epsilon added to the standard deviation)
    /// and are folded into their convolutions.
    public static func network(configuration: DarknetConfiguration, weights: ModelWeights) throws(FoveaError) -> Graph {
        let layers = try describeLayers(configuration)
        var b = NetworkBuilder(weights: weights)
        var nodes = [GraphNode]()
        var heads = [GraphNode]()
        for (index, layer) in layers.enumerated() {
            let x = nodes.last ?? b.input
            let name = "layers.\(index)"
            let node: GraphNode
            switch layer.kind {
            case .convolution(let c):
                let padding = Padding.uniform(c.padding)
                if c.batchNormalize {
                    node = try b.convBN(
                        "\(name).conv", x, (c.size, c.size), layer.inputChannels, c.filters, stride: Spatial(c.stride),
                        padding: padding, groups: c.groups, epsilon: .addedToStandardDeviation(1e-6),
                        activation: c.activation,
                        files: .init(scale: "\(name).bn.weight", offset: "\(name).bn.bias",
                                     mean: "\(name).bn.running_mean", variance: "\(name).bn.running_var"))
                } else {
                    node = try b.conv(
                        "\(name).conv", x, (c.size, c.size), layer.inputChannels, c.filters, stride: Spatial(c.stride),
                        padding: padding, groups: c.groups, activation: c.activation)
                }
            case .maxPool(let size, let stride, let padding):
                // Darknet pads (padding / 2) before and the rest after; padding never wins a max.
                let pool = try MaxPool2D(
                    size: Spatial(size), stride: Spatial(stride),
                    padding: .explicit(begin: [padding / 2], end: [padding - padding / 2]))
                node = b.add(pool, name, x)
            case .route(let sources, let groups, let group):
                var parts = sources.map { nodes[$0] }
                if groups > 1 {
                    for (n, source) in sources.enumerated() {
                        let width = layers[source].outputChannels / groups
                        let slice = try ChannelSlice(start: group * width, count: width)
                        parts[n] = b.add(slice, sources.count == 1 ? name : "\(name).\(n)", parts[n])
                    }
                }
                node = parts.count == 1 ? parts[0] : b.merge(Concatenate(), name, parts)
            case .upsample(let factor):
                node = b.add(try Upsample2D(factor: factor), name, x)
            case .shortcut(let from, let activation):
                node = b.merge(try Add(activation: activation), name, [x, nodes[from]])
            case .yolo(let anchors, let classes, let scaleXY):
                node = b.add(try YOLOActivation(anchors: anchors, classes: classes, scaleXY: scaleXY), name, x)
                heads.append(node)
            }
            nodes.append(node)
        }
        guard !heads.isEmpty else { throw .unsupported("the darknet network has no [yolo] layer to output") }
        // Name the heads after their grids at the configured input size.
        let inputShape = [1, try configuration.net.integer("height", default: 416),
                          try configuration.net.integer("width", default: 416), layers.first?.inputChannels ?? 3]
        let provisional = try b.graph.build(outputs: heads.enumerated().map { ("head\($0.offset)", $0.element) })
        let shapes = try provisional.outputShapes(for: inputShape)
        return try b.build(outputs: zip(shapes, heads).map { ("out.head\($0.0.shape[1])", $0.1) })
    }

    /// Loads a network from darknet's own `.cfg` and `.weights` files.
    public static func load(configuration: URL, weights: URL) throws(FoveaError) -> Graph {
        let text: String, data: Data
        do { text = try String(contentsOf: configuration, encoding: .utf8) } catch {
            throw .io("cannot read \(configuration.path): \(error.localizedDescription)")
        }
        do { data = try Data(contentsOf: weights) } catch {
            throw .io("cannot read \(weights.path): \(error.localizedDescription)")
        }
        let parsed = try DarknetConfiguration(parsing: text)
        return try network(configuration: parsed, weights: try readWeights(data, configuration: parsed))
    }
}
