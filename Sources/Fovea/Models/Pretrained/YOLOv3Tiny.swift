/// YOLOv3-tiny (Redmon and Farhadi 2018), COCO's 80 classes, 416x416 RGB
/// input in [0, 1] (letterboxed). Outputs `out.head13` `[n, 13, 13, 255]` and
/// `out.head26` `[n, 26, 26, 255]`: three anchors of 85 values per cell, the
/// logistic applied to all but the box sizes. Weights: darknet's
/// `yolov3-tiny.weights` (see ``Darknet``) or its safetensors conversion
/// (`layers.<i>.conv.weight`, `layers.<i>.bn.*`, PyTorch layouts).
enum YOLOv3Tiny {
    /// The network in darknet's configuration format: the layers of the
    /// published `yolov3-tiny.cfg` (training options left out).
    static let configuration = """
        [net]
        width=416
        height=416
        channels=3

        \(convolution(16, 3))
        [maxpool]
        size=2
        stride=2
        \(convolution(32, 3))
        [maxpool]
        size=2
        stride=2
        \(convolution(64, 3))
        [maxpool]
        size=2
        stride=2
        \(convolution(128, 3))
        [maxpool]
        size=2
        stride=2
        \(convolution(256, 3))
        [maxpool]
        size=2
        stride=2
        \(convolution(512, 3))
        [maxpool]
        size=2
        stride=1
        \(convolution(1024, 3))
        \(convolution(256, 1))
        \(convolution(512, 3))
        \(convolution(255, 1, normalized: false))
        [yolo]
        mask=3,4,5
        anchors=10,14,23,27,37,58,81,82,135,169,344,319
        classes=80
        num=6

        [route]
        layers=-4
        \(convolution(128, 1))
        [upsample]
        stride=2

        [route]
        layers=-1,8
        \(convolution(256, 3))
        \(convolution(255, 1, normalized: false))
        [yolo]
        mask=0,1,2
        anchors=10,14,23,27,37,58,81,82,135,169,344,319
        classes=80
        num=6
        """

    private static func convolution(_ filters: Int, _ size: Int, normalized: Bool = true) -> String {
        """
        [convolutional]
        batch_normalize=\(normalized ? 1 : 0)
        filters=\(filters)
        size=\(size)
        stride=1
        pad=1
        activation=\(normalized ? "leaky" : "linear")

        """
    }

    /// The anchors (width, height in input pixels) of each head, by output name.
    static let anchors: [String: [(Float, Float)]] = [
        "out.head13": [(81, 82), (135, 169), (344, 319)],
        "out.head26": [(10, 14), (23, 27), (37, 58)],
    ]

    static func network(_ weights: ModelWeights) throws(FoveaError) -> Graph {
        try Darknet.network(configuration: try DarknetConfiguration(parsing: configuration), weights: weights)
    }
}
