/// A building block of a network: something that maps one tensor to another
/// and may carry learned parameters.
///
/// Layers are immutable values, `Sendable`, and safe to call from several
/// threads at once.
public protocol Layer: Sendable {
    /// The output shape for an input of `inputShape`, or an error explaining
    /// why such an input does not fit the layer.
    func outputShape(for inputShape: [Int]) throws(FoveaError) -> [Int]

    /// Runs the layer.
    func callAsFunction(_ input: Tensor) throws(FoveaError) -> Tensor

    /// The learned parameters by name (for example `weight` and `bias`).
    var parameters: [String: Tensor] { get }
}

extension Layer {
    /// The number of learned scalars.
    public var parameterCount: Int { parameters.values.reduce(0) { $0 + $1.count } }
}

extension ConvolutionCore {
    var parameters: [String: Tensor] {
        var all = ["weight": weight]
        if let bias { all["bias"] = bias }
        return all
    }
}
