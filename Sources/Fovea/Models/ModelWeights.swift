import Foundation

/// Where a model's parameters come from while it is built: a file of named
/// tensors, or seeded random initialisation.
///
/// Model constructors ask for each parameter by name and shape, in the
/// library's layouts (HWIO convolutions, `[in, out]` dense). A file in
/// PyTorch's layouts (OIHW, `[out, in]`) is converted on the way. A tensor
/// that is missing or has the wrong shape throws an error naming it, and
/// ``finish()`` throws when the file holds tensors the model never asked for.
/// Nothing is half-loaded: a model is built whole from its weights, or not at all.
public struct ModelWeights: Sendable {
    /// How a file lays out its tensors.
    public enum Convention: Sendable, Hashable {
        /// This library's (and Keras') layouts: HWIO convolutions, `[in, out]` dense weights.
        case fovea
        /// PyTorch's: OIHW convolutions, `[out, in]` dense weights,
        /// `[in, out / groups, kh, kw]` transposed convolutions.
        case pytorch
    }

    /// What a parameter is, which decides its layout in a file and its random initialisation.
    public enum Kind: Sendable, Hashable {
        /// A convolution weight, HWIO (`[kernel..., in / groups, out]`).
        case convolution
        /// A transposed convolution weight, `[kernel..., out / groups, in]`.
        case transposedConvolution
        /// A dense weight, `[in, out]`.
        case dense
        /// A per-channel vector initialised to zero (biases, offsets, means).
        case zeros
        /// A per-channel vector initialised to one (scales, variances).
        case ones
        /// A per-channel vector initialised to a constant (for example a PReLU slope).
        case constant(Float)
    }

    enum Source: Sendable {
        case tensors([String: Tensor], Convention)
        case random(seed: UInt64)
    }

    let source: Source
    /// The names asked for so far.
    public private(set) var requested: [String] = []

    /// The tensors of a file (safetensors) in the given convention.
    public init(tensors: [String: Tensor], convention: Convention) {
        source = .tensors(tensors, convention)
    }

    /// Reads a safetensors file, or a NumPy `.npz` archive (by its extension).
    public static func read(contentsOf url: URL, convention: Convention) throws(FoveaError) -> ModelWeights {
        if url.pathExtension.lowercased() == "npz" {
            return ModelWeights(tensors: try NumPyArchive.read(contentsOf: url), convention: convention)
        }
        return ModelWeights(tensors: try SafeTensorsFile.read(contentsOf: url).tensors, convention: convention)
    }

    /// He-uniform random weights (zero biases, unit scales), reproducible from
    /// `seed`: each tensor's values depend only on the seed and its name.
    public static func random(seed: UInt64 = 0) -> ModelWeights {
        ModelWeights(source: .random(seed: seed))
    }

    init(source: Source) { self.source = source }

    /// The parameter `name` with shape `shape` in the library's layout.
    public mutating func tensor(_ name: String, shape: [Int], kind: Kind) throws(FoveaError) -> Tensor {
        let found = try lookUp(name, shape: shape, kind: kind)
        requested.append(name)  // only once found: a failed request leaves the record as it was
        return found
    }

    private func lookUp(_ name: String, shape: [Int], kind: Kind) throws(FoveaError) -> Tensor {
        switch source {
        case .random(let seed): return try Self.randomTensor(name: name, shape: shape, kind: kind, seed: seed)
        case .tensors(let tensors, let convention):
            guard let stored = tensors[name] else {
                throw .shapeMismatch("the weights have no tensor \"\(name)\" (the model needs shape \(describe(shape)))")
            }
            let converted = try Self.convert(stored, kind: kind, from: convention)
            guard converted.shape == shape else {
                let storedShape = convention == .pytorch ? try Self.pytorchShape(shape, kind: kind) : shape
                throw .shapeMismatch(
                    "tensor \"\(name)\" has shape \(describe(stored.shape)), the model needs \(describe(storedShape))")
            }
            return converted
        }
    }

    /// Marks a tensor the file may hold that the network does not use (for
    /// example detection anchors, which are recomputed), so that
    /// ``finish(scope:)`` accepts it.
    public mutating func ignore(_ name: String) {
        requested.append(name)
    }

    /// Checks that every tensor of the file whose name starts with `scope` was
    /// used (a file may hold several networks under different prefixes).
    ///
    /// - Throws: ``FoveaError/shapeMismatch(_:)`` naming the tensors the model has no place for.
    public func finish(scope: String = "") throws(FoveaError) {
        guard case .tensors(let tensors, _) = source else { return }
        let extra = Set(tensors.keys.filter { $0.hasPrefix(scope) }).subtracting(requested).sorted()
        guard extra.isEmpty else {
            let shown = extra.prefix(5).map { "\"\($0)\"" }.joined(separator: ", ")
            throw .shapeMismatch(
                "the weights hold \(extra.count) tensor(s) the model has no place for: \(shown)\(extra.count > 5 ? ", …" : "")")
        }
    }

    static func convert(_ stored: Tensor, kind: Kind, from convention: Convention) throws(FoveaError) -> Tensor {
        guard convention == .pytorch else { return stored }
        switch kind {
        case .convolution, .transposedConvolution:
            // OIHW to HWIO; a transposed weight [in, out/g, kh, kw] to [kh, kw, out/g, in]:
            // both move the two leading axes to the end, swapped.
            guard stored.rank >= 3 else { return stored }
            return try stored.transposed(Array(2..<stored.rank) + [1, 0])
        case .dense:
            guard stored.rank == 2 else { return stored }
            return try stored.transposed([1, 0])
        case .zeros, .ones, .constant:
            return stored
        }
    }

    static func pytorchShape(_ shape: [Int], kind: Kind) throws(FoveaError) -> [Int] {
        switch kind {
        case .convolution, .transposedConvolution:
            guard shape.count >= 3 else { return shape }
            return [shape[shape.count - 1], shape[shape.count - 2]] + shape.dropLast(2)
        case .dense: return shape.count == 2 ? [shape[1], shape[0]] : shape
        case .zeros, .ones, .constant: return shape
        }
    }

    static func randomTensor(name: String, shape: [Int], kind: Kind, seed: UInt64) throws(FoveaError) -> Tensor {
        switch kind {
        case .zeros: return try Tensor(repeating: 0, shape: shape)
        case .ones: return try Tensor(repeating: 1, shape: shape)
        case .constant(let value): return try Tensor(repeating: value, shape: shape)
        case .convolution, .transposedConvolution, .dense:
            // Fan-in: everything but the output axis (the last for HWIO and dense,
            // the second to last for a transposed weight).
            let count = try Tensor.elementCount(of: shape)
            guard shape.count >= 2 else {
                throw .shapeMismatch("the weight \"\(name)\" needs at least two axes (inputs and outputs), got \(describe(shape))")
            }
            let outAxis = kind == .transposedConvolution ? shape.count - 2 : shape.count - 1
            let fanIn = max(1, count / max(1, shape[max(outAxis, 0)]))
            let limit = (6 / Float(fanIn)).squareRoot()
            return try Tensor.randomUniform(shape: shape, in: -limit...limit, seed: seed ^ stableHash(name))
        }
    }
}

/// FNV-1a: a hash that is the same in every process (Swift's `Hasher` is not).
func stableHash(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash &*= 0x0000_0100_0000_01B3
    }
    return hash
}
