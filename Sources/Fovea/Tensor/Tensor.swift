/// A dense float32 tensor with value semantics.
///
/// Storage is contiguous, row-major (last index fastest) and 64-byte aligned.
/// Image activations are **NHWC** — `[batch, height, width, channels]`, the
/// course's `(m, n_H, n_W, n_C)`; 1-D signals are `[batch, length, channels]`
/// and volumes `[batch, depth, height, width, channels]`. Convolution weights
/// are spatial-first then input then output channels (HWIO for 2-D).
///
/// Copies are cheap: two tensors share their buffer until one is mutated.
public struct Tensor: Sendable {
    /// The extent of each axis.
    public private(set) var shape: [Int]
    var storage: TensorStorage

    /// The number of axes.
    public var rank: Int { shape.count }
    /// The number of elements: the product of the shape (1 for a scalar).
    public var count: Int { storage.count }

    init(shape: [Int], storage: TensorStorage) {
        self.shape = shape
        self.storage = storage
    }

    /// A tensor with uninitialised contents, for kernels that write every element.
    init(uninitializedShape shape: [Int]) throws(FoveaError) {
        let count = try Tensor.elementCount(of: shape)
        self.init(shape: shape, storage: try TensorStorage.allocate(count: count))
    }

    /// The most elements a shape may describe, counting its non-zero
    /// extents even when another extent is zero: far beyond any memory, and
    /// small enough that shape arithmetic (an extent plus padding, times a
    /// stride of at most ``Spatial/maximum``) cannot overflow.
    static let maximumElementCount = 1 << 48

    /// Checks a shape and returns its element count.
    static func elementCount(of shape: [Int]) throws(FoveaError) -> Int {
        var product = 1, empty = false
        for extent in shape {
            guard extent >= 0 else {
                throw .invalidParameter("shape \(describe(shape)) has a negative extent")
            }
            // An empty axis makes no elements, but the others still take part
            // in shape arithmetic, so they are bounded all the same.
            let (next, overflow) = product.multipliedReportingOverflow(by: max(extent, 1))
            guard !overflow, next <= maximumElementCount else {
                throw .invalidParameter("shape \(describe(shape)) has too many elements (at most 2^48)")
            }
            product = next
            empty = empty || extent == 0
        }
        return empty ? 0 : product
    }

    /// Makes the storage unique before a mutation (copy on write).
    mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) {
            storage = storage.copy()
        }
    }
}

// MARK: - Creation

extension Tensor {
    /// A tensor of the given shape filled with zeros.
    public static func zeros(shape: [Int]) throws(FoveaError) -> Tensor {
        try Tensor(repeating: 0, shape: shape)
    }

    /// A tensor of the given shape filled with ones.
    public static func ones(shape: [Int]) throws(FoveaError) -> Tensor {
        try Tensor(repeating: 1, shape: shape)
    }

    /// A tensor of the given shape with every element equal to `value`.
    public init(repeating value: Float, shape: [Int]) throws(FoveaError) {
        let count = try Tensor.elementCount(of: shape)
        self.init(shape: shape, storage: try TensorStorage.allocate(repeating: value, count: count))
    }

    /// A tensor holding `scalars` in row-major order.
    ///
    /// - Throws: ``FoveaError/shapeMismatch(_:)`` when the number of scalars is
    ///   not the product of the shape.
    public init(shape: [Int], scalars: [Float]) throws(FoveaError) {
        let count = try Tensor.elementCount(of: shape)
        guard scalars.count == count else {
            throw .shapeMismatch(
                "shape \(describe(shape)) needs \(count) values, \(scalars.count) were given")
        }
        try self.init(uninitializedShape: shape)
        scalars.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { storage.pointer.update(from: base, count: count) }
        }
    }

    /// A 0-dimensional tensor holding one value.
    public init(scalar: Float) {
        // One element always fits in memory.
        self = try! Tensor(shape: [], scalars: [scalar])
    }

    /// A tensor of independent normal samples, reproducible from `seed`.
    public static func randomNormal(
        shape: [Int], mean: Float = 0, standardDeviation: Float = 1, seed: UInt64
    ) throws(FoveaError) -> Tensor {
        guard standardDeviation >= 0, standardDeviation.isFinite, mean.isFinite else {
            throw .invalidParameter(
                "a normal distribution needs a finite mean and a non-negative standard deviation, got mean \(mean), deviation \(standardDeviation)"
            )
        }
        let tensor = try Tensor(uninitializedShape: shape)
        var generator = SeededGenerator(seed: seed)
        let pointer = tensor.storage.pointer
        for i in 0..<tensor.count {
            pointer[i] = mean + standardDeviation * generator.nextStandardNormal()
        }
        return tensor
    }

    /// A tensor of independent samples uniform in `range`, reproducible from `seed`.
    public static func randomUniform(
        shape: [Int], in range: ClosedRange<Float> = 0...1, seed: UInt64
    ) throws(FoveaError) -> Tensor {
        guard range.lowerBound.isFinite, range.upperBound.isFinite else {
            throw .invalidParameter("a uniform distribution needs finite bounds, got \(range)")
        }
        let tensor = try Tensor(uninitializedShape: shape)
        var generator = SeededGenerator(seed: seed)
        let width = range.upperBound - range.lowerBound
        let pointer = tensor.storage.pointer
        for i in 0..<tensor.count {
            pointer[i] = range.lowerBound + width * generator.nextUnitFloat()
        }
        return tensor
    }
}

// MARK: - Access

extension Tensor {
    /// All elements in row-major order.
    public var scalars: [Float] {
        Array(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// The single value of a tensor with one element.
    public var scalar: Float? {
        count == 1 ? storage.pointer[0] : nil
    }

    /// The row-major offset of a multi-index.
    func offset(of indices: [Int]) throws(FoveaError) -> Int {
        guard indices.count == rank else {
            throw .shapeMismatch(
                "index \(describe(indices)) has \(indices.count) components, the tensor has rank \(rank)")
        }
        var offset = 0
        for (axis, index) in indices.enumerated() {
            guard index >= 0 && index < shape[axis] else {
                throw .invalidParameter(
                    "index \(describe(indices)) is out of bounds for shape \(describe(shape))")
            }
            offset = offset * shape[axis] + index
        }
        return offset
    }

    /// The element at a multi-index.
    public func value(at indices: [Int]) throws(FoveaError) -> Float {
        storage.pointer[try offset(of: indices)]
    }

    /// Replaces the element at a multi-index.
    public mutating func setValue(_ value: Float, at indices: [Int]) throws(FoveaError) {
        let offset = try offset(of: indices)
        makeUnique()
        storage.pointer[offset] = value
    }

    /// Calls `body` with the elements, read-only.
    public func withUnsafeBufferPointer<R>(
        _ body: (UnsafeBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// Calls `body` with the elements, writable (copying a shared buffer first).
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        makeUnique()
        return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: count))
    }

    /// The same elements under another shape with the same element count.
    /// One extent may be -1: it is inferred.
    public func reshaped(to newShape: [Int]) throws(FoveaError) -> Tensor {
        var resolved = newShape
        let inferred = newShape.indices.filter { newShape[$0] == -1 }
        guard inferred.count <= 1 else {
            throw .invalidParameter("reshape to \(describe(newShape)): at most one extent may be -1")
        }
        if let axis = inferred.first {
            let known = newShape.enumerated().filter { $0.offset != axis }.map(\.element)
            let knownCount = try Tensor.elementCount(of: known)
            guard knownCount > 0, count % knownCount == 0 else {
                throw .shapeMismatch(
                    "cannot reshape \(describe(shape)) (\(count) elements) to \(describe(newShape))")
            }
            resolved[axis] = count / knownCount
        }
        guard try Tensor.elementCount(of: resolved) == count else {
            throw .shapeMismatch(
                "cannot reshape \(describe(shape)) (\(count) elements) to \(describe(newShape))")
        }
        return Tensor(shape: resolved, storage: storage)
    }

    /// The items `range` of the batch (axis 0), as a new tensor.
    public func batch(_ range: Range<Int>) throws(FoveaError) -> Tensor {
        guard rank >= 1 else { throw .shapeMismatch("a scalar has no batch axis") }
        guard range.lowerBound >= 0, range.upperBound <= shape[0] else {
            throw .invalidParameter("batch range \(range) is outside 0..<\(shape[0])")
        }
        var sliceShape = shape
        sliceShape[0] = range.count
        let slice = try Tensor(uninitializedShape: sliceShape)
        let itemSize = shape[0] == 0 ? 0 : count / shape[0]
        slice.storage.pointer.update(
            from: storage.pointer + range.lowerBound * itemSize, count: range.count * itemSize)
        return slice
    }

    /// Item `index` of the batch, keeping the batch axis (extent 1).
    public func batch(_ index: Int) throws(FoveaError) -> Tensor {
        guard rank >= 1 else { throw .shapeMismatch("a scalar has no batch axis") }
        guard (0..<shape[0]).contains(index) else {
            throw .invalidParameter("batch item \(index) is outside 0..<\(shape[0])")
        }
        return try batch(index..<(index + 1))
    }

    /// Joins tensors of equal item shape along the batch axis.
    public static func stacking(batches: [Tensor]) throws(FoveaError) -> Tensor {
        guard let first = batches.first else {
            throw .invalidParameter("cannot join an empty list of batches")
        }
        let joined = try concatenate(batches, axis: 0)
        return try joined.reshaped(to: [joined.shape[0]] + Array(first.shape.dropFirst()))
    }
}

extension Tensor: Equatable {
    /// Tensors are equal when their shapes and every element are equal.
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        lhs.shape == rhs.shape
            && (lhs.storage === rhs.storage
                || (0..<lhs.count).allSatisfy { lhs.storage.pointer[$0] == rhs.storage.pointer[$0] })
    }
}

extension Tensor: CustomStringConvertible {
    /// The shape and the first few values.
    public var description: String {
        let shown = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor\(describe(shape)) [\(shown)\(count > 8 ? ", …" : "")]"
    }
}
