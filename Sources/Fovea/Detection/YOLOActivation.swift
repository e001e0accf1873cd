/// The activation of a YOLO (v3) output layer: each cell holds, per anchor,
/// `tx, ty, tw, th, objectness` and the class scores; the logistic is applied
/// to everything except `tw` and `th`, which stay raw for `exp` at decoding.
public struct YOLOActivation: Layer {
    /// Anchors per cell and classes per anchor.
    public let anchors: Int, classes: Int

    /// The activation for `anchors` anchors of `classes` classes per cell.
    public init(anchors: Int, classes: Int) throws(FoveaError) {
        guard anchors >= 1, classes >= 0 else {
            throw .invalidParameter("a YOLO layer needs at least one anchor and no negative class count")
        }
        self.anchors = anchors
        self.classes = classes
    }

    /// The same shape: `anchors · (5 + classes)` channels.
    public func outputShape(for inputShape: [Int]) throws(FoveaError) -> [Int] {
        guard let channels = inputShape.last, channels == anchors * (5 + classes) else {
            throw .shapeMismatch(
                "a YOLO layer of \(anchors) anchors and \(classes) classes needs \(anchors * (5 + classes)) channels, got \(describe(inputShape))")
        }
        return inputShape
    }

    /// Applies the logistic to all but the box sizes.
    public func callAsFunction(_ input: Tensor) throws(FoveaError) -> Tensor {
        _ = try outputShape(for: input.shape)
        var output = try sigmoid(input)
        let raw = input.readPointer
        let stride = 5 + classes
        output.withUnsafeMutableBufferPointer { values in
            var cell = 0
            while cell < values.count {
                for anchor in 0..<anchors {
                    let base = cell + anchor * stride
                    values[base + 2] = raw[base + 2]
                    values[base + 3] = raw[base + 3]
                }
                cell += anchors * stride
            }
        }
        return output
    }

    /// None.
    public var parameters: [String: Tensor] { [:] }
}
