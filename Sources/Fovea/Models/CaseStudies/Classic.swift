extension CaseStudies {
    /// LeNet-5 (LeCun et al. 1998) as the course draws it: 32x32x1 input,
    /// two 5x5 tanh convolutions each followed by 2x2 average pooling, then
    /// dense 120, 84 (tanh) and 10 (softmax). 61,706 parameters with ten classes.
    public static func lenet5(_ weights: ModelWeights = .random(), classes: Int = 10) throws(FoveaError) -> Graph {
        var b = NetworkBuilder(weights: weights)
        var x = try b.conv("conv1", b.input, (5, 5), 1, 6, activation: .tanh)
        x = b.add(try AvgPool2D(size: 2), "pool1", x)
        x = try b.conv("conv2", x, (5, 5), 6, 16, activation: .tanh)
        x = b.add(try AvgPool2D(size: 2), "pool2", x)
        x = b.add(Flatten(), "flatten", x)
        x = try b.dense("fc1", x, 400, 120, activation: .tanh)
        x = try b.dense("fc2", x, 120, 84, activation: .tanh)
        x = try b.dense("fc3", x, 84, classes)
        let probabilities = b.add(Softmax(), "softmax", x)
        return try b.build(outputs: [("probabilities", probabilities)])
    }

    /// AlexNet (Krizhevsky et al. 2012) as one tower, the course's version:
    /// 227x227x3 input, 11x11/4 96, 5x5 256, 3x3 384, 384, 256 with 3x3/2 max
    /// pooling, then dense 4096, 4096, 1000 (softmax). 62,378,344 parameters.
    public static func alexnet(_ weights: ModelWeights = .random(), classes: Int = 1000) throws(FoveaError) -> Graph {
        var b = NetworkBuilder(weights: weights)
        var x = try b.conv("conv1", b.input, (11, 11), 3, 96, stride: 4, activation: .relu)
        x = b.add(try MaxPool2D(size: 3, stride: 2), "pool1", x)
        x = try b.conv("conv2", x, (5, 5), 96, 256, padding: .same, activation: .relu)
        x = b.add(try MaxPool2D(size: 3, stride: 2), "pool2", x)
        x = try b.conv("conv3", x, (3, 3), 256, 384, padding: .same, activation: .relu)
        x = try b.conv("conv4", x, (3, 3), 384, 384, padding: .same, activation: .relu)
        x = try b.conv("conv5", x, (3, 3), 384, 256, padding: .same, activation: .relu)
        x = b.add(try MaxPool2D(size: 3, stride: 2), "pool5", x)
        x = b.add(Flatten(), "flatten", x)
        x = try b.dense("fc6", x, 6 * 6 * 256, 4096, activation: .relu)
        x = b.add(try Dropout(rate: 0.5), "drop6", x)
        x = try b.dense("fc7", x, 4096, 4096, activation: .relu)
        x = b.add(try Dropout(rate: 0.5), "drop7", x)
        x = try b.dense("fc8", x, 4096, classes)
        let probabilities = b.add(Softmax(), "softmax", x)
        return try b.build(outputs: [("probabilities", probabilities)])
    }

    /// VGG-16 or VGG-19 (Simonyan and Zisserman 2014) as Keras builds it:
    /// 3x3 same convolutions in five blocks with 2x2 max pooling, then dense
    /// 4096, 4096, 1000. 138,357,544 (16) and 143,667,240 (19) parameters.
    public static func vgg(depth: Int, _ weights: ModelWeights = .random(), classes: Int = 1000) throws(FoveaError) -> Graph {
        let perBlock: [Int]
        switch depth {
        case 16: perBlock = [2, 2, 3, 3, 3]
        case 19: perBlock = [2, 2, 4, 4, 4]
        default: throw .invalidParameter("VGG has depth 16 or 19, got \(depth)")
        }
        var b = NetworkBuilder(weights: weights)
        var x = b.input
        var channels = 3
        for (block, count) in perBlock.enumerated() {
            let filters = min(64 << block, 512)
            for index in 1...count {
                x = try b.conv("block\(block + 1)_conv\(index)", x, (3, 3), channels, filters, padding: .same, activation: .relu)
                channels = filters
            }
            x = b.add(try MaxPool2D(size: 2), "block\(block + 1)_pool", x)
        }
        x = b.add(Flatten(), "flatten", x)
        x = try b.dense("fc1", x, 7 * 7 * 512, 4096, activation: .relu)
        x = try b.dense("fc2", x, 4096, 4096, activation: .relu)
        x = try b.dense("predictions", x, 4096, classes)
        let probabilities = b.add(Softmax(), "softmax", x)
        return try b.build(outputs: [("probabilities", probabilities)])
    }
}
