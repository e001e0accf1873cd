extension CaseStudies {
    /// ResNet-50 (He et al. 2015) as Keras builds it: convolutions with
    /// biases, each followed by batch norm (folded at load), identity blocks
    /// and projection blocks with the stride on their first 1x1 convolution,
    /// then global average pooling and a 1000-way dense layer. 25,636,712
    /// parameters (batch-norm statistics included, as Keras counts them).
    public static func resnet50(_ weights: ModelWeights = .random(), classes: Int = 1000) throws(FoveaError) -> Graph {
        var b = NetworkBuilder(weights: weights)
        var x = b.add(try ZeroPadding2D(3), "conv1_pad", b.input)
        x = try b.convBN("conv1", x, (7, 7), 3, 64, stride: 2, bias: true, epsilon: .addedToVariance(1.001e-5), activation: .relu)
        x = b.add(try ZeroPadding2D(1), "pool1_pad", x)
        x = b.add(try MaxPool2D(size: 3, stride: 2), "pool1", x)
        var channels = 64
        let stages: [(filters: Int, blocks: Int, stride: Int)] = [(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)]
        for (index, stage) in stages.enumerated() {
            for block in 0..<stage.blocks {
                let name = "conv\(index + 2)_block\(block + 1)"
                let stride = block == 0 ? stage.stride : 1
                let out = stage.filters * 4
                var y = try b.convBN("\(name)_1", x, (1, 1), channels, stage.filters, stride: Spatial(stride), bias: true, epsilon: .addedToVariance(1.001e-5), activation: .relu)
                y = try b.convBN("\(name)_2", y, (3, 3), stage.filters, stage.filters, padding: .same, bias: true, epsilon: .addedToVariance(1.001e-5), activation: .relu)
                y = try b.convBN("\(name)_3", y, (1, 1), stage.filters, out, bias: true, epsilon: .addedToVariance(1.001e-5))
                let shortcut = block == 0
                    ? try b.convBN("\(name)_0", x, (1, 1), channels, out, stride: Spatial(stride), bias: true, epsilon: .addedToVariance(1.001e-5))
                    : x
                x = b.merge(try Add(activation: .relu), "\(name)_out", [shortcut, y])
                channels = out
            }
        }
        x = b.add(GlobalAvgPool2D(), "avg_pool", x)
        x = try b.dense("predictions", x, channels, classes)
        let probabilities = b.add(Softmax(), "softmax", x)
        return try b.build(outputs: [("probabilities", probabilities)])
    }
}
