/// The three networks of MTCNN (Zhang et al. 2016), face detection with five
/// landmarks, as facenet-pytorch ships them (file names `pnet.*`, `rnet.*`,
/// `onet.*` in PyTorch's layouts).
///
/// Inputs are NHWC RGB scaled as `(pixel − 127.5) / 128`. Every convolution
/// is unpadded with stride 1; every max pool rounds its output size up
/// (Caffe's ceil mode). The dense stages flatten in (width, height, channel)
/// order: the Caffe originals were trained on transposed images.
enum MTCNN {
    /// P-Net: a fully convolutional 12x12 sliding window. Outputs `out.reg`
    /// `[n, h', w', 4]` and `out.prob` `[n, h', w', 2]` (softmax; channel 1 is "face").
    static func pnet(_ weights: ModelWeights) throws(FoveaError) -> Graph {
        var b = NetworkBuilder(weights: weights, filePrefix: "pnet.")
        var x = try b.conv("conv1", b.input, (3, 3), 3, 10)
        x = try b.prelu("prelu1", x, 10)
        x = b.add(try MaxPool2D(size: 2, stride: 2, ceilMode: true), "pool1", x)
        x = try b.conv("conv2", x, (3, 3), 10, 16)
        x = try b.prelu("prelu2", x, 16)
        x = try b.conv("conv3", x, (3, 3), 16, 32)
        x = try b.prelu("prelu3", x, 32)
        let logits = try b.conv("conv4_1", x, (1, 1), 32, 2)
        let prob = b.add(Softmax(), "prob", logits)
        let reg = try b.conv("conv4_2", x, (1, 1), 32, 4)
        return try b.build(outputs: [("out.reg", reg), ("out.prob", prob)])
    }

    /// R-Net on 24x24 crops: outputs `out.reg` `[n, 4]` and `out.prob` `[n, 2]`.
    static func rnet(_ weights: ModelWeights) throws(FoveaError) -> Graph {
        var b = NetworkBuilder(weights: weights, filePrefix: "rnet.")
        var x = try b.conv("conv1", b.input, (3, 3), 3, 28)
        x = try b.prelu("prelu1", x, 28)
        x = b.add(try MaxPool2D(size: 3, stride: 2, ceilMode: true), "pool1", x)
        x = try b.conv("conv2", x, (3, 3), 28, 48)
        x = try b.prelu("prelu2", x, 48)
        x = b.add(try MaxPool2D(size: 3, stride: 2, ceilMode: true), "pool2", x)
        x = try b.conv("conv3", x, (2, 2), 48, 64)
        x = try b.prelu("prelu3", x, 64)
        x = b.add(try Permute([2, 1, 3]), "transpose", x)
        x = b.add(Flatten(), "flatten", x)
        x = try b.dense("dense4", x, 576, 128)
        x = try b.prelu("prelu4", x, 128)
        let prob = b.add(Softmax(), "prob", try b.dense("dense5_1", x, 128, 2))
        let reg = try b.dense("dense5_2", x, 128, 4)
        return try b.build(outputs: [("out.reg", reg), ("out.prob", prob)])
    }

    /// O-Net on 48x48 crops: outputs `out.reg` `[n, 4]`, `out.landmarks`
    /// `[n, 10]` (x1…x5, y1…y5, relative to the box) and `out.prob` `[n, 2]`.
    static func onet(_ weights: ModelWeights) throws(FoveaError) -> Graph {
        var b = NetworkBuilder(weights: weights, filePrefix: "onet.")
        var x = try b.conv("conv1", b.input, (3, 3), 3, 32)
        x = try b.prelu("prelu1", x, 32)
        x = b.add(try MaxPool2D(size: 3, stride: 2, ceilMode: true), "pool1", x)
        x = try b.conv("conv2", x, (3, 3), 32, 64)
        x = try b.prelu("prelu2", x, 64)
        x = b.add(try MaxPool2D(size: 3, stride: 2, ceilMode: true), "pool2", x)
        x = try b.conv("conv3", x, (3, 3), 64, 64)
        x = try b.prelu("prelu3", x, 64)
        x = b.add(try MaxPool2D(size: 2, stride: 2, ceilMode: true), "pool3", x)
        x = try b.conv("conv4", x, (2, 2), 64, 128)
        x = try b.prelu("prelu4", x, 128)
        x = b.add(try Permute([2, 1, 3]), "transpose", x)
        x = b.add(Flatten(), "flatten", x)
        x = try b.dense("dense5", x, 1152, 256)
        x = try b.prelu("prelu5", x, 256)
        let prob = b.add(Softmax(), "prob", try b.dense("dense6_1", x, 256, 2))
        let reg = try b.dense("dense6_2", x, 256, 4)
        let landmarks = try b.dense("dense6_3", x, 256, 10)
        return try b.build(outputs: [("out.reg", reg), ("out.landmarks", landmarks), ("out.prob", prob)])
    }
}
