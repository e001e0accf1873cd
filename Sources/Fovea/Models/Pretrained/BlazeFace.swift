/// MediaPipe's BlazeFace short-range face detector (file names `stem.*`,
/// `blocks.<i>.dw/pw.*`, `head8.*`, `head16.*`, `anchors`, PyTorch layouts).
///
/// Input: NHWC 128x128 RGB scaled to [-1, 1] (`pixel / 127.5 − 1`). Every
/// convolution pads as TensorFlow's SAME (asymmetric at stride 2). A block is
/// a depthwise 3x3 and a pointwise 1x1 convolution added to a shortcut that is
/// max-pooled when the block strides and widened with zero channels when it
/// grows, then ReLU. Outputs: `out.regressors` `[n, 896, 16]` (box and six
/// keypoints per anchor, in pixels of the input) and `out.classificators`
/// `[n, 896, 1]` (logits).
enum BlazeFace {
    static let blockChannels: [(out: Int, stride: Int)] = [
        (24, 1), (28, 1), (32, 2), (36, 1), (42, 1), (48, 2), (56, 1), (64, 1), (72, 1), (80, 1), (88, 1),
        (96, 2), (96, 1), (96, 1), (96, 1), (96, 1),
    ]

    static func shortRange(_ weights: ModelWeights) throws(FoveaError) -> Graph {
        var b = NetworkBuilder(weights: weights)
        var x = try b.conv("stem", b.input, (5, 5), 3, 24, stride: 2, padding: .same, activation: .relu)
        var channels = 24
        var featureA = x
        for (index, block) in blockChannels.enumerated() {
            let name = "blocks.\(index)"
            var y = try b.conv("\(name).dw", x, (3, 3), channels, channels, stride: Spatial(block.stride), padding: .same, groups: channels)
            y = try b.conv("\(name).pw", y, (1, 1), channels, block.out)
            var shortcut = x
            if block.stride == 2 { shortcut = b.add(try MaxPool2D(size: 2, stride: 2, padding: .same), "\(name).pool", shortcut) }
            if block.out > channels { shortcut = b.add(try ChannelPadding(block.out - channels), "\(name).widen", shortcut) }
            x = b.merge(try Add(activation: .relu), "\(name).add", [y, shortcut])
            channels = block.out
            if index == 10 { featureA = x }
        }
        let classes8 = b.add(try Reshape([-1, 1]), "head8.cls.flat", try b.conv("head8.cls", featureA, (1, 1), 88, 2))
        let boxes8 = b.add(try Reshape([-1, 16]), "head8.reg.flat", try b.conv("head8.reg", featureA, (1, 1), 88, 32))
        let classes16 = b.add(try Reshape([-1, 1]), "head16.cls.flat", try b.conv("head16.cls", x, (1, 1), 96, 6))
        let boxes16 = b.add(try Reshape([-1, 16]), "head16.reg.flat", try b.conv("head16.reg", x, (1, 1), 96, 96))
        let regressors = b.merge(Concatenate(axis: 1), "regressors", [boxes8, boxes16])
        let classificators = b.merge(Concatenate(axis: 1), "classificators", [classes8, classes16])
        // The file also holds the anchors, a fixed grid (MediaPipe's SSD anchors) that decoding recomputes.
        b.weights.ignore("anchors")
        return try b.build(outputs: [("out.regressors", regressors), ("out.classificators", classificators)])
    }
}
