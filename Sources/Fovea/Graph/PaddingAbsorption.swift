/// A layer that can take the zeros of a ``ZeroPadding2D`` in front of it
/// into its own padding, so that a graph runs one pass instead of two (the
/// padded copy of a ResNet stem's input, for example).
protocol PaddingAbsorbing {
    /// The same layer reading the unpadded input, or `nil` when it cannot.
    /// `nonNegativeInput`: the padding's input is never below zero (a ReLU's
    /// output), which some layers need to treat the zeros as absent.
    func absorbing(top: Int, left: Int, bottom: Int, right: Int, nonNegativeInput: Bool) throws(FoveaError) -> (any Layer)?
}

extension Padding {
    /// This 2-D padding with more zeros around it, or `nil` for a padding that
    /// depends on the input size (`.same`).
    func widened(top: Int, left: Int, bottom: Int, right: Int) throws(FoveaError) -> Padding? {
        switch self {
        case .valid: return .explicit(top: top, left: left, bottom: bottom, right: right)
        case .same, .sameLower: return nil
        case .explicit(let begin, let end):
            let b = try Spatial(begin).resolved(rank: 2, name: "padding (begin)", minimum: 0)
            let e = try Spatial(end).resolved(rank: 2, name: "padding (end)", minimum: 0)
            return .explicit(top: b[0] + top, left: b[1] + left, bottom: e[0] + bottom, right: e[1] + right)
        }
    }
}

extension Convolution: PaddingAbsorbing {
    func absorbing(top: Int, left: Int, bottom: Int, right: Int, nonNegativeInput: Bool) throws(FoveaError) -> (any Layer)? {
        guard Rank.axes == 2,
              let padding = try core.padding.widened(top: top, left: left, bottom: bottom, right: right)
        else { return nil }
        return try Conv2D(
            weight: core.weight, bias: core.bias, stride: core.stride, padding: padding, dilation: core.dilation,
            groups: core.groups, activation: core.activation, algorithm: core.algorithm)
    }
}

extension ConvBatchNorm2D: PaddingAbsorbing {
    func absorbing(top: Int, left: Int, bottom: Int, right: Int, nonNegativeInput: Bool) throws(FoveaError) -> (any Layer)? {
        guard let conv = try folded.absorbing(
            top: top, left: left, bottom: bottom, right: right, nonNegativeInput: nonNegativeInput) as? Conv2D
        else {
            return nil
        }
        var copy = self
        copy.folded = conv
        return copy
    }
}

/// Max pooling skips its padding; zeros in front of it change nothing when
/// every value is at least zero and every window still holds one of them
/// (ResNet-50's `pool1_pad` after the stem's ReLU: 0.15 ms of copying).
extension MaxPool2D: PaddingAbsorbing {
    func absorbing(top: Int, left: Int, bottom: Int, right: Int, nonNegativeInput: Bool) throws(FoveaError) -> (any Layer)? {
        guard nonNegativeInput, !ceilMode,
              case .explicit(let begin, let end) = try padding.widened(top: top, left: left, bottom: bottom, right: right)
        else { return nil }
        // `widened` gives both sides of both axes, as the window has them.
        let window = try kernel.resolved(rank: 2, name: "pool size")
        guard zip(begin + end, window + window).allSatisfy({ $0 < $1 }) else { return nil }
        return try MaxPool2D(size: kernel, stride: stride, padding: .explicit(begin: begin, end: end))
    }
}

/// Whether a layer's output is never below zero (NaN aside).
func producesNonNegative(_ layer: any Layer) -> Bool {
    let activation: Activation
    if let core = convolutionCore(of: layer) {
        activation = core.activation
    } else if let layer = layer as? ActivationLayer {
        activation = layer.activation
    } else {
        return false
    }
    switch activation {
    case .relu, .relu6, .sigmoid: return true
    case .clamp(let low, _): return low >= 0
    case .none, .leakyRelu, .tanh: return false
    }
}

/// The 2-D convolution a layer runs (directly, or folded with its batch norm).
func convolutionCore(of layer: any Layer) -> ConvolutionCore? {
    if let conv = layer as? Conv2D { return conv.core }
    if let folded = layer as? ConvBatchNorm2D { return folded.folded.core }
    return nil
}

extension ConvolutionCore {
    /// Depthwise (one group per input channel) and 2-D.
    var isDepthwise: Bool { spatialRank == 2 && groups > 1 && groups == inChannels }

    /// 1x1, stride 1, unpadded, one group: a per-pixel matrix product.
    var isPointwise: Bool {
        spatialRank == 2 && groups == 1 && weight.shape[0] == 1 && weight.shape[1] == 1 && stride.values.allSatisfy { $0 == 1 }
            && (padding == .valid || padding == .explicit(begin: [0], end: [0]))
    }
}
