/// A layer that runs convolutions: a model tells them how many bytes of
/// weights it holds in all, which decides whether a convolution's weights
/// are still in cache when it runs again (and so between some algorithms;
/// see `ConvAlgorithm.auto`).
protocol ConvolutionHolding {
    /// The convolutions the layer runs, nested models' included.
    var convolutionCores: [ConvolutionCore] { get }
}

extension Convolution: ConvolutionHolding {
    var convolutionCores: [ConvolutionCore] { [core] }
}

extension DepthwiseConv2D: ConvolutionHolding {
    var convolutionCores: [ConvolutionCore] { [convolution.core] }
}

extension ConvBatchNorm2D: ConvolutionHolding {
    var convolutionCores: [ConvolutionCore] { [folded.core] }
}

extension SeparableConv2D: ConvolutionHolding {
    var convolutionCores: [ConvolutionCore] { [expansion, depthwise, pointwise].compactMap { $0 } }
}

extension Dense: ConvolutionHolding {
    var convolutionCores: [ConvolutionCore] { [core] }
}

extension ConvolutionAddingShortcut: ConvolutionHolding {
    var convolutionCores: [ConvolutionCore] {
        switch producer {
        case .convolution(let core): return [core]
        case .separable(let block): return block.convolutionCores
        }
    }
}

extension Sequential: ConvolutionHolding {
    var convolutionCores: [ConvolutionCore] { layers.flatMap { convolutions(of: $0) } }
}

/// The convolutions `layer` runs (none for layers without any).
func convolutions(of layer: Any) -> [ConvolutionCore] {
    (layer as? ConvolutionHolding)?.convolutionCores ?? []
}

/// Tells every convolution of a model with these layers the bytes of all
/// their weights (a model inside another learns the outer one's too).
func noteModelWeights(_ cores: [ConvolutionCore], layers: [any Layer]) {
    let bytes = layers.reduce(0) { $0 + $1.parameterCount } * MemoryLayout<Float>.size
    for core in cores { core.plans.noteModel(weightBytes: bytes) }
}
