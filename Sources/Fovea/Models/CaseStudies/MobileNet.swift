extension CaseStudies {
    /// MobileNet v1 (Howard et al. 2017) as Keras builds it (width 1): a 3x3/2
    /// convolution, thirteen depthwise-separable blocks, each convolution
    /// followed by batch norm (folded at load) and ReLU6, then global average
    /// pooling and a 1000-way classifier. 4,253,864 parameters.
    public static func mobilenetV1(_ weights: ModelWeights = .random(), classes: Int = 1000) throws(FoveaError) -> Graph {
        var b = NetworkBuilder(weights: weights)
        var x = try b.convBN("conv1", b.input, (3, 3), 3, 32, stride: 2, padding: .same, activation: .relu6)
        var channels = 32
        let blocks: [(filters: Int, stride: Int)] =
            [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + Array(repeating: (512, 1), count: 5)
            + [(1024, 2), (1024, 1)]
        for (index, block) in blocks.enumerated() {
            x = try b.convBN(
                "conv_dw_\(index + 1)", x, (3, 3), channels, channels, stride: Spatial(block.stride), padding: .same,
                groups: channels, activation: .relu6)
            x = try b.convBN("conv_pw_\(index + 1)", x, (1, 1), channels, block.filters, activation: .relu6)
            channels = block.filters
        }
        x = b.add(GlobalAvgPool2D(), "global_pool", x)
        x = b.add(try Dropout(rate: 1e-3), "dropout", x)
        x = try b.dense("conv_preds", x, channels, classes)
        let probabilities = b.add(Softmax(), "softmax", x)
        return try b.build(outputs: [("probabilities", probabilities)])
    }

    /// MobileNet v2 (Sandler et al. 2018) as Keras builds it (width 1):
    /// inverted residual blocks (1x1 expansion with ReLU6, 3x3 depthwise with
    /// ReLU6, linear 1x1 projection, a residual add where the shapes allow),
    /// a 1280-channel 1x1 convolution, global pooling and a 1000-way dense
    /// layer. 3,538,984 parameters.
    public static func mobilenetV2(_ weights: ModelWeights = .random(), classes: Int = 1000) throws(FoveaError) -> Graph {
        var b = NetworkBuilder(weights: weights)
        var x = try b.convBN("Conv1", b.input, (3, 3), 3, 32, stride: 2, padding: .same, activation: .relu6)
        var channels = 32
        let settings: [(expansion: Int, filters: Int, repeats: Int, stride: Int)] = [
            (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
        ]
        var blockID = 0
        for setting in settings {
            for repeatIndex in 0..<setting.repeats {
                let stride = repeatIndex == 0 ? setting.stride : 1
                let name = blockID == 0 ? "expanded_conv" : "block_\(blockID)"
                let expanded = channels * setting.expansion
                var y = x
                if blockID > 0 {
                    y = try b.convBN("\(name)_expand", y, (1, 1), channels, expanded, activation: .relu6)
                }
                y = try b.convBN(
                    "\(name)_depthwise", y, (3, 3), expanded, expanded, stride: Spatial(stride), padding: .same,
                    groups: expanded, activation: .relu6)
                y = try b.convBN("\(name)_project", y, (1, 1), expanded, setting.filters)
                x = stride == 1 && channels == setting.filters ? b.merge(try Add(), "\(name)_add", [x, y]) : y
                channels = setting.filters
                blockID += 1
            }
        }
        x = try b.convBN("Conv_1", x, (1, 1), channels, 1280, activation: .relu6)
        x = b.add(GlobalAvgPool2D(), "global_pool", x)
        x = try b.dense("predictions", x, 1280, classes)
        let probabilities = b.add(Softmax(), "softmax", x)
        return try b.build(outputs: [("probabilities", probabilities)])
    }
}
