extension CaseStudies {
    /// Inception v1, GoogLeNet (Szegedy et al. 2014), as in the paper's table
    /// and the Caffe model (convolutions with biases, Caffe's ceil-mode
    /// pooling; local response normalisation left out): nine inception
    /// modules whose 1x1, 3x3, 5x5 and pooling branches are concatenated,
    /// then 7x7 average pooling and a 1000-way classifier. 6,998,552
    /// parameters; with the two auxiliary classifiers (outputs `aux1` and
    /// `aux2`), 13,378,280.
    public static func inceptionV1(
        _ weights: ModelWeights = .random(), classes: Int = 1000, auxiliaryHeads: Bool = false
    ) throws(FoveaError) -> Graph {
        var b = NetworkBuilder(weights: weights)
        var x = try b.conv("conv1_7x7_s2", b.input, (7, 7), 3, 64, stride: 2, padding: .uniform(3), activation: .relu)
        x = b.add(try MaxPool2D(size: 3, stride: 2, ceilMode: true), "pool1_3x3_s2", x)
        x = try b.conv("conv2_3x3_reduce", x, (1, 1), 64, 64, activation: .relu)
        x = try b.conv("conv2_3x3", x, (3, 3), 64, 192, padding: .uniform(1), activation: .relu)
        x = b.add(try MaxPool2D(size: 3, stride: 2, ceilMode: true), "pool2_3x3_s2", x)
        var channels = 192
        // (name, 1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool projection)
        let modules: [(String, Int, Int, Int, Int, Int, Int)] = [
            ("3a", 64, 96, 128, 16, 32, 32), ("3b", 128, 128, 192, 32, 96, 64),
            ("4a", 192, 96, 208, 16, 48, 64), ("4b", 160, 112, 224, 24, 64, 64), ("4c", 128, 128, 256, 24, 64, 64),
            ("4d", 112, 144, 288, 32, 64, 64), ("4e", 256, 160, 320, 32, 128, 128),
            ("5a", 256, 160, 320, 32, 128, 128), ("5b", 384, 192, 384, 48, 128, 128),
        ]
        var auxiliary = [(String, GraphNode)]()
        for (name, c1, r3, c3, r5, c5, pool) in modules {
            if name == "4a" || name == "5a" {
                x = b.add(try MaxPool2D(size: 3, stride: 2, ceilMode: true), "pool_before_\(name)", x)
            }
            if auxiliaryHeads, name == "4b" || name == "4e" {
                let head = auxiliary.isEmpty ? "loss1" : "loss2"
                auxiliary.append(("aux\(auxiliary.count + 1)", try auxiliaryClassifier(&b, head, x, channels, classes)))
            }
            let p = "inception_\(name)"
            let branch1 = try b.conv("\(p)_1x1", x, (1, 1), channels, c1, activation: .relu)
            var branch2 = try b.conv("\(p)_3x3_reduce", x, (1, 1), channels, r3, activation: .relu)
            branch2 = try b.conv("\(p)_3x3", branch2, (3, 3), r3, c3, padding: .uniform(1), activation: .relu)
            var branch3 = try b.conv("\(p)_5x5_reduce", x, (1, 1), channels, r5, activation: .relu)
            branch3 = try b.conv("\(p)_5x5", branch3, (5, 5), r5, c5, padding: .uniform(2), activation: .relu)
            var branch4 = b.add(try MaxPool2D(size: 3, stride: 1, padding: .uniform(1)), "\(p)_pool", x)
            branch4 = try b.conv("\(p)_pool_proj", branch4, (1, 1), channels, pool, activation: .relu)
            x = b.merge(Concatenate(), "\(p)_output", [branch1, branch2, branch3, branch4])
            channels = c1 + c3 + c5 + pool
        }
        x = b.add(GlobalAvgPool2D(), "pool5_7x7_s1", x)
        x = b.add(try Dropout(rate: 0.4), "pool5_drop", x)
        x = try b.dense("loss3_classifier", x, channels, classes)
        let outputs = [("probabilities", b.add(Softmax(), "prob", x))] + auxiliary
        return try b.build(outputs: outputs)
    }

    /// An auxiliary classifier: 5x5/3 average pooling, a 1x1 convolution to
    /// 128 channels, dense 1024 with dropout 0.7, and a softmax classifier.
    private static func auxiliaryClassifier(
        _ b: inout NetworkBuilder, _ name: String, _ x: GraphNode, _ channels: Int, _ classes: Int
    ) throws(FoveaError) -> GraphNode {
        var y = b.add(try AvgPool2D(size: 5, stride: 3), "\(name)_ave_pool", x)
        y = try b.conv("\(name)_conv", y, (1, 1), channels, 128, activation: .relu)
        y = b.add(Flatten(), "\(name)_flatten", y)
        y = try b.dense("\(name)_fc", y, 4 * 4 * 128, 1024, activation: .relu)
        y = b.add(try Dropout(rate: 0.7), "\(name)_drop_fc", y)
        y = try b.dense("\(name)_classifier", y, 1024, classes)
        return b.add(Softmax(), "\(name)_prob", y)
    }
}
