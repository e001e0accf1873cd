extension CaseStudies {
    /// U-Net (Ronneberger et al. 2015): a contracting path of unpadded 3x3
    /// ReLU convolution pairs and 2x2 max pooling, an expanding path of 2x2
    /// up-convolutions that halve the channels, each joined with the
    /// centre-cropped feature map of the same level, and a 1x1 convolution to
    /// the classes. With the paper's settings (depth 4, 64 base filters, one
    /// input channel, two classes) a 572x572 tile maps to 388x388, and the
    /// network has 31,030,658 parameters.
    ///
    /// - Parameters:
    ///   - depth: the number of poolings (and up-convolutions).
    ///   - padding: `.valid` as in the paper, or `.same` to keep sizes (then
    ///     nothing needs cropping).
    public static func unet(
        _ weights: ModelWeights = .random(), depth: Int = 4, baseFilters: Int = 64, inputChannels: Int = 1,
        classes: Int = 2, padding: Padding = .valid
    ) throws(FoveaError) -> Graph {
        guard depth >= 1, depth <= 8, baseFilters >= 1, inputChannels >= 1, classes >= 1 else {
            throw .invalidParameter(
                "U-Net needs depth in 1...8 and positive filters, channels and classes, got depth \(depth), \(baseFilters) filters, \(inputChannels) channels, \(classes) classes")
        }
        var b = NetworkBuilder(weights: weights)
        var x = b.input
        var channels = inputChannels
        var skips = [GraphNode]()
        for level in 0...depth {
            let filters = baseFilters << level
            if level > 0 { x = b.add(try MaxPool2D(size: 2), "down\(level)_pool", x) }
            x = try b.conv("down\(level)_conv1", x, (3, 3), channels, filters, padding: padding, activation: .relu)
            x = try b.conv("down\(level)_conv2", x, (3, 3), filters, filters, padding: padding, activation: .relu)
            channels = filters
            skips.append(x)
        }
        for level in stride(from: depth - 1, through: 0, by: -1) {
            let filters = baseFilters << level
            let w = try b.parameter("up\(level)_upconv", "weight", [2, 2, filters, channels], .transposedConvolution)
            let bias = try b.parameter("up\(level)_upconv", "bias", [filters], .zeros)
            x = b.add(try Conv2DTranspose(weight: w, bias: bias, stride: 2), "up\(level)_upconv", x)
            x = b.merge(CroppingConcatenate(), "up\(level)_concat", [skips[level], x])
            x = try b.conv("up\(level)_conv1", x, (3, 3), 2 * filters, filters, padding: padding, activation: .relu)
            x = try b.conv("up\(level)_conv2", x, (3, 3), filters, filters, padding: padding, activation: .relu)
            channels = filters
        }
        let logits = try b.conv("classifier", x, (1, 1), channels, classes)
        return try b.build(outputs: [("logits", logits)])
    }
}
