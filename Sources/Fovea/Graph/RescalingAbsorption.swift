/// A per-channel rescaling in front of an unpadded convolution moves into the
/// convolution's weights and bias, so that a graph does not write the rescaled
/// image (dlib's face network normalises its 150x150 input this way: 34 µs,
/// 1 % of the network, more at two threads).
///
/// conv(s·x + o) = Σ (w·s) x + (b + Σ w·o): exact when every tap of every
/// window reads the image. A padded convolution would also multiply the
/// padding's zeros, which the rescaling would have turned into o.
extension Rescaling {
    /// `conv` reading this rescaling's input, or `nil` when it pads.
    func absorbed(into conv: ConvolutionCore) throws(FoveaError) -> Conv2D? {
        guard conv.spatialRank == 2, conv.padsNothing else { return nil }
        let shape = conv.weight.shape  // HWIO: [kh, kw, C / groups, K]
        let taps = shape[0] * shape[1], perGroup = shape[2], outChannels = shape[3]
        let channels = perGroup * conv.groups, outPerGroup = outChannels / conv.groups
        guard [1, channels].contains(scale.count), [1, channels].contains(offset.count) else { return nil }
        func at(_ values: [Float], _ channel: Int) -> Float { values[values.count == 1 ? 0 : channel] }

        var weights = conv.weight.scalars
        var bias = conv.bias?.scalars ?? Array(repeating: 0, count: outChannels)
        // Sums in Double: the offsets (dlib's means / 256, about -0.45) meet
        // hundreds of weights per output channel.
        var shift = Array(repeating: 0.0, count: outChannels)
        for tap in 0..<taps {
            for inner in 0..<perGroup {
                let row = (tap * perGroup + inner) * outChannels
                for k in 0..<outChannels {
                    let channel = (k / outPerGroup) * perGroup + inner
                    shift[k] += Double(weights[row + k]) * Double(at(offset, channel))
                    weights[row + k] *= at(scale, channel)
                }
            }
        }
        for k in 0..<outChannels { bias[k] = Float(Double(bias[k]) + shift[k]) }
        return try Conv2D(
            weight: try Tensor(shape: shape, scalars: weights), bias: try Tensor(shape: [outChannels], scalars: bias),
            stride: conv.stride, padding: .valid, dilation: conv.dilation, groups: conv.groups,
            activation: conv.activation, algorithm: conv.algorithm)
    }
}

extension ConvolutionCore {
    /// No padding on any side.
    var padsNothing: Bool {
        switch padding {
        case .valid: return true
        case .explicit(let begin, let end): return (begin + end).allSatisfy { $0 == 0 }
        case .same, .sameLower: return false
        }
    }
}
