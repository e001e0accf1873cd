/// Brings a batch of images to the size and channel count a model reads:
/// greyscale repeated into colour channels (or colour averaged into grey),
/// then the image centred on a zero border or resized.
public struct ImageAdapter: Sendable, Hashable {
    /// How an image reaches the model's size.
    public enum Sizing: Sendable, Hashable {
        /// Centred on a zero border (as LeNet-5 read 28x28 MNIST digits at 32x32);
        /// larger images are resized instead.
        case border
        /// Bilinear resizing (half-pixel centres).
        case resize
    }

    /// The size and channels images leave with.
    public let height: Int, width: Int, channels: Int
    /// How the size is reached.
    public let sizing: Sizing

    /// An adapter to `height × width × channels`.
    public init(height: Int, width: Int, channels: Int, sizing: Sizing = .resize) throws(FoveaError) {
        guard height >= 1, width >= 1, channels >= 1 else {
            throw .invalidParameter("an adapter needs a positive size and channel count, got \(height)x\(width)x\(channels)")
        }
        (self.height, self.width, self.channels, self.sizing) = (height, width, channels, sizing)
    }

    /// The adapted NHWC batch.
    public func callAsFunction(_ images: Tensor) throws(FoveaError) -> Tensor {
        try requireRank(images, 4, "images", layout: "NHWC")
        var x = try matchingChannels(images)
        let (h, w) = (x.shape[1], x.shape[2])
        if h == height && w == width { return x }
        if sizing == .border, h <= height, w <= width {
            let (top, left) = ((height - h) / 2, (width - w) / 2)
            return try pad(x, begin: [0, top, left, 0], end: [0, height - h - top, width - w - left, 0])
        }
        x = try resize(x, height: height, width: width, method: .linear, coordinates: .halfPixel)
        return x
    }

    private func matchingChannels(_ images: Tensor) throws(FoveaError) -> Tensor {
        let (n, h, w, c) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
        if c == channels { return images }
        let pixels = n * h * w
        let source = images.readPointer
        let output = try Tensor(uninitializedShape: [n, h, w, channels])
        let target = output.writePointer
        if c == 1 {
            for p in 0..<pixels { for k in 0..<channels { target[p * channels + k] = source[p] } }
        } else if channels == 1 {
            let scale = 1 / Float(c)
            for p in 0..<pixels {
                var sum: Float = 0
                for k in 0..<c { sum += source[p * c + k] }
                target[p] = sum * scale
            }
        } else {
            throw .shapeMismatch("cannot turn images of \(c) channels into \(channels)")
        }
        return output
    }
}
