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

/// The convolutions `layer` runs (none for layers without any). Layers of the
/// library say; a user's own layer is searched through its stored properties
/// (layers, arrays of layers, optionals of them; never tensors), so that a
/// model of custom blocks tells their convolutions too.
func convolutions(of layer: Any, depth: Int = 0) -> [ConvolutionCore] {
    if let holder = layer as? ConvolutionHolding { return holder.convolutionCores }
    guard depth < 8 else { return [] }
    if let layers = layer as? [any Layer] { return layers.flatMap { convolutions(of: $0, depth: depth + 1) } }
    if let layers = layer as? [any MergeLayer] { return layers.flatMap { convolutions(of: $0, depth: depth + 1) } }
    guard layer is any Layer || layer is any MergeLayer else { return [] }
    return Mirror(reflecting: layer).children.flatMap { child -> [ConvolutionCore] in
        let value = child.value
        guard value is ConvolutionHolding || value is any Layer || value is any MergeLayer || value is [any Layer]
            || value is [any MergeLayer] else { return [] }
        return convolutions(of: value, depth: depth + 1)
    }
}

/// Tells every convolution of a model the bytes of all the model's weights
/// (a model inside another learns the outer one's too). A convolution keeps
/// the largest model it was made part of: its `.auto` choice (and so the
/// last bits of its results) can change once, when it first joins a model
/// whose weights do not stay in cache.
func noteModelWeights(_ cores: [ConvolutionCore], weightBytes bytes: Int) {
    for core in cores { core.plans.noteModel(weightBytes: bytes) }
}

/// The bytes of these layers' parameters.
func parameterBytes(_ layers: [any Layer]) -> Int {
    layers.reduce(0) { $0 + $1.parameterCount } * MemoryLayout<Float>.size
}
