/// An NHWC batch mirrored left to right (the width axis reversed): the
/// "horizontal mirror" augmentation, and a face seen in a mirror.
public func flipHorizontally(_ input: Tensor) throws(FoveaError) -> Tensor {
    try requireRank(input, 4, "input", layout: "NHWC")
    let (rows, width, channels) = (input.shape[0] * input.shape[1], input.shape[2], input.shape[3])
    let output = try Tensor(uninitializedShape: input.shape)
    let source = input.readPointer, destination = output.writePointer
    for row in 0..<rows {
        for x in 0..<width {
            (destination + (row * width + x) * channels)
                .update(from: source + (row * width + width - 1 - x) * channels, count: channels)
        }
    }
    return output
}

/// An NHWC batch mirrored top to bottom (the height axis reversed).
public func flipVertically(_ input: Tensor) throws(FoveaError) -> Tensor {
    try requireRank(input, 4, "input", layout: "NHWC")
    let (batch, height) = (input.shape[0], input.shape[1])
    let rowLength = input.shape[2] * input.shape[3]
    let output = try Tensor(uninitializedShape: input.shape)
    let source = input.readPointer, destination = output.writePointer
    for image in 0..<batch {
        for y in 0..<height {
            (destination + (image * height + y) * rowLength)
                .update(from: source + (image * height + height - 1 - y) * rowLength, count: rowLength)
        }
    }
    return output
}
