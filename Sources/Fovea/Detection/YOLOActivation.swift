/// The activation of a YOLO (v3) output layer: each cell holds, per anchor,
/// `tx, ty, tw, th, objectness` and the class scores; the logistic is applied
/// to everything except `tw` and `th`, which stay raw for `exp` at decoding.
/// With `scaleXY` above 1 (YOLOv4's `scale_x_y`), the box centres are
/// stretched around the middle of the cell, `σ(t) · s − (s − 1) / 2`, so that
/// they can reach its edges.
public struct YOLOActivation: Layer {
    /// Anchors per cell and classes per anchor.
    public let anchors: Int, classes: Int
    /// The stretch of the box centres (1: the plain logistic).
    public let scaleXY: Float

    /// The activation for `anchors` anchors of `classes` classes per cell.
    public init(anchors: Int, classes: Int, scaleXY: Float = 1) throws(FoveaError) {
        guard anchors >= 1, classes >= 0,
              (try? extentProduct(anchors, extentSum(5, classes, for: ""), for: "")) != nil
        else {
            throw .invalidParameter("a YOLO layer needs at least one anchor and no negative class count, and no more than 2^48 channels")
        }
        guard scaleXY.isFinite, scaleXY > 0 else {
            throw .invalidParameter("a YOLO layer's scale_x_y must be positive and finite, got \(scaleXY)")
        }
        self.anchors = anchors
        self.classes = classes
        self.scaleXY = scaleXY
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
        let shift = -0.5 * (scaleXY - 1)
        output.withUnsafeMutableBufferPointer { values in
            var cell = 0
            while cell < values.count {
                for anchor in 0..<anchors {
                    let base = cell + anchor * stride
                    if scaleXY != 1 {
                        values[base] = values[base] * scaleXY + shift
                        values[base + 1] = values[base + 1] * scaleXY + shift
                    }
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
