/// dlib's face-recognition ResNet v1 (Davis King, CC0): a 150x150 RGB face
/// chip to a 128-D descriptor; two faces are the same person when their
/// descriptors are closer than 0.6. File names `stem.*`, `blocks.<i>.*`,
/// `fc.weight`, PyTorch layouts.
///
/// The input is the chip's pixels as floats in 0...255 (NHWC); the model
/// subtracts dlib's channel means and divides by 256 itself. Stride-1
/// convolutions pad k/2, stride-2 convolutions and pools do not pad, batch
/// norms are frozen affines (folded), and a downsampling block adds its
/// shortcut as dlib's `add_prev` does: zero-filled to the larger shape.
/// Output: `descriptor` `[n, 128]` (not normalised).
enum DlibFaceResNet {
    static func v1(_ weights: ModelWeights) throws(FoveaError) -> Graph {
        var b = NetworkBuilder(weights: weights)
        let means: [Float] = [122.782, 117.001, 104.298]
        var x = b.add(try Rescaling(scale: [1 / 256], offset: means.map { -$0 / 256 }), "normalize", b.input)
        x = try convAffine(&b, "stem", "conv", "affine", x, 3, 32, kernel: 7, stride: 2, activation: .relu)
        x = b.add(try MaxPool2D(size: 3, stride: 2), "stem.pool", x)
        var channels = 32
        let blocks: [(out: Int, down: Bool)] = [
            (32, false), (32, false), (32, false), (64, true), (64, false), (64, false), (64, false),
            (128, true), (128, false), (128, false), (256, true), (256, false), (256, false), (256, true),
        ]
        for (index, block) in blocks.enumerated() {
            let name = "blocks.\(index)"
            var y = try convAffine(
                &b, name, "conv1", "affine1", x, channels, block.out, kernel: 3, stride: block.down ? 2 : 1,
                activation: .relu)
            y = try convAffine(&b, name, "conv2", "affine2", y, block.out, block.out, kernel: 3, stride: 1)
            if block.down {
                let shortcut = b.add(try AvgPool2D(size: 2, stride: 2), "\(name).shortcut", x)
                x = b.merge(try PaddedAdd(activation: .relu), "\(name).add", [y, shortcut])
            } else {
                // Equal shapes: a plain sum, which the graph folds into conv2's output stage.
                x = b.merge(try Add(activation: .relu), "\(name).add", [y, x])
            }
            channels = block.out
        }
        x = b.add(GlobalAvgPool2D(), "pool", x)
        let descriptor = try b.dense("fc", x, 256, 128, bias: false)
        return try b.build(outputs: [("descriptor", descriptor)])
    }

    /// A convolution with dlib's padding rule and its affine, folded.
    private static func convAffine(
        _ b: inout NetworkBuilder, _ prefix: String, _ conv: String, _ affine: String, _ x: GraphNode,
        _ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int, activation: Activation = .none
    ) throws(FoveaError) -> GraphNode {
        try b.convBN(
            "\(prefix).\(conv)", x, (kernel, kernel), inChannels, outChannels, stride: Spatial(stride),
            padding: stride == 1 ? .uniform(kernel / 2) : .valid, bias: true, activation: activation,
            files: .init(scale: "\(prefix).\(affine).weight", offset: "\(prefix).\(affine).bias"))
    }
}
