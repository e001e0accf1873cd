/// A layer that combines several tensors into one: a residual sum, a
/// concatenation of branches.
///
/// Like ``Layer``, merge layers are immutable and safe to call from several
/// threads at once. They are placed in a model with ``GraphBuilder``.
public protocol MergeLayer: Sendable {
    /// The output shape for inputs of these shapes, or an error explaining why
    /// they do not fit together.
    func outputShape(for inputShapes: [[Int]]) throws(FoveaError) -> [Int]

    /// Runs the layer.
    func callAsFunction(_ inputs: [Tensor]) throws(FoveaError) -> Tensor
}

/// The elementwise sum of tensors of one shape (Keras' `Add`), optionally
/// followed by an activation: a residual connection's `relu(x + shortcut)`.
public struct Add: MergeLayer {
    /// Applied to the sum.
    public let activation: Activation

    /// A sum followed by `activation`.
    public init(activation: Activation = .none) throws(FoveaError) { self.activation = try activation.validated() }

    /// The common shape.
    public func outputShape(for inputShapes: [[Int]]) throws(FoveaError) -> [Int] {
        guard let first = inputShapes.first else { throw .invalidParameter("Add needs at least one input") }
        for shape in inputShapes where shape != first {
            throw .shapeMismatch(
                "Add needs inputs of one shape, got \(inputShapes.map(describe).joined(separator: " and "))")
        }
        return first
    }

    /// Sums the inputs and applies the activation.
    public func callAsFunction(_ inputs: [Tensor]) throws(FoveaError) -> Tensor {
        _ = try outputShape(for: inputs.map(\.shape))
        var sum = inputs[0]
        for other in inputs.dropFirst() { sum = try add(sum, other) }
        return activation == .none ? sum : try activate(sum, activation)
    }
}

/// Tensors joined along one axis (Keras' `Concatenate`): by default the
/// channels of NHWC branches, as in Inception and U-Net.
public struct Concatenate: MergeLayer {
    /// The axis joined; negative values count from the end.
    public let axis: Int

    /// Joins along `axis` (the last by default).
    public init(axis: Int = -1) { self.axis = axis }

    /// The joined shape: every other axis must agree.
    public func outputShape(for inputShapes: [[Int]]) throws(FoveaError) -> [Int] {
        guard let first = inputShapes.first else { throw .invalidParameter("Concatenate needs at least one input") }
        let resolved = axis < 0 ? axis + first.count : axis
        guard resolved >= 0, resolved < first.count else {
            throw .invalidParameter("axis \(axis) is out of range for rank \(first.count)")
        }
        var joined = first
        for shape in inputShapes.dropFirst() {
            var a = shape, b = first
            guard a.count == b.count else {
                throw .shapeMismatch("Concatenate needs inputs of one rank, got \(describe(first)) and \(describe(shape))")
            }
            a[resolved] = 0
            b[resolved] = 0
            guard a == b else {
                throw .shapeMismatch(
                    "Concatenate along axis \(axis) needs every other axis to agree, got \(describe(first)) and \(describe(shape))")
            }
            joined[resolved] = try extentSum(joined[resolved], shape[resolved], for: "Concatenate's axis \(axis)")
        }
        return joined
    }

    /// Joins the inputs.
    public func callAsFunction(_ inputs: [Tensor]) throws(FoveaError) -> Tensor {
        _ = try outputShape(for: inputs.map(\.shape))
        return try concatenate(inputs, axis: axis)
    }
}

/// NHWC tensors cropped about their centres to the smallest height and width
/// among them, then joined along the channels: U-Net's "copy and crop".
public struct CroppingConcatenate: MergeLayer {
    /// The layer.
    public init() {}

    /// The smallest height and width, and the channels summed.
    public func outputShape(for inputShapes: [[Int]]) throws(FoveaError) -> [Int] {
        guard let first = inputShapes.first else { throw .invalidParameter("CroppingConcatenate needs at least one input") }
        for shape in inputShapes where shape.count != 4 || shape[0] != first[0] || first.count != 4 {
            throw .shapeMismatch(
                "CroppingConcatenate needs NHWC inputs of one batch size, got \(inputShapes.map(describe).joined(separator: " and "))")
        }
        return [first[0], inputShapes.map { $0[1] }.min()!, inputShapes.map { $0[2] }.min()!,
                try extentSum(of: inputShapes.map { $0[3] }, for: "CroppingConcatenate's channels")]
    }

    /// Crops and joins.
    public func callAsFunction(_ inputs: [Tensor]) throws(FoveaError) -> Tensor {
        let shape = try outputShape(for: inputs.map(\.shape))
        let cropped = try inputs.map { (tensor: Tensor) throws(FoveaError) -> Tensor in
            let top = (tensor.shape[1] - shape[1]) / 2, left = (tensor.shape[2] - shape[2]) / 2
            return try centreCrop(tensor, top: top, left: left, height: shape[1], width: shape[2])
        }
        return try concatenate(cropped, axis: 3)
    }
}

/// The window `[top, top + height) x [left, left + width)` of an NHWC batch
/// (the input itself when that is all of it).
func centreCrop(_ input: Tensor, top: Int, left: Int, height: Int, width: Int) throws(FoveaError) -> Tensor {
    let (n, h, w, c) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
    if top == 0, left == 0, height == h, width == w { return input }
    let output = try Tensor(uninitializedShape: [n, height, width, c])
    let source = input.readPointer, destination = output.writePointer
    for image in 0..<n {
        for row in 0..<height {
            let from = source + ((image * h + top + row) * w + left) * c
            (destination + (image * height + row) * width * c).update(from: from, count: width * c)
        }
    }
    return output
}

/// A sum of tensors of one rank but possibly different extents, as dlib's
/// `add_prev` computes it: the result takes the largest extent on every axis,
/// inputs are aligned at the start (top-left) and missing entries count as
/// zero. dlib's face ResNet relies on it to widen and enlarge its shortcuts.
public struct PaddedAdd: MergeLayer {
    /// Applied to the sum.
    public let activation: Activation

    /// A padded sum followed by `activation`.
    public init(activation: Activation = .none) throws(FoveaError) { self.activation = try activation.validated() }

    /// The largest extent on every axis.
    public func outputShape(for inputShapes: [[Int]]) throws(FoveaError) -> [Int] {
        guard let first = inputShapes.first else { throw .invalidParameter("PaddedAdd needs at least one input") }
        guard inputShapes.allSatisfy({ $0.count == first.count }) else {
            throw .shapeMismatch("PaddedAdd needs inputs of one rank, got \(inputShapes.map(describe).joined(separator: " and "))")
        }
        return first.indices.map { axis in inputShapes.map { $0[axis] }.max()! }
    }

    /// Pads every input with zeros to the common shape, sums, and applies the activation.
    ///
    /// One pass: the first input is copied (or zeros laid down where it does
    /// not reach), each other input added over its own extent, the activation
    /// applied in place. Padding copies, sums and activation as passes of
    /// their own took dlib's 17x17x64 join 19 µs.
    public func callAsFunction(_ inputs: [Tensor]) throws(FoveaError) -> Tensor {
        let shape = try outputShape(for: inputs.map(\.shape))
        let output = try Tensor(uninitializedShape: shape)
        let y = output.writePointer
        if inputs[0].shape != shape { y.initialize(repeating: 0, count: output.count) }
        for (index, input) in inputs.enumerated() where input.count > 0 {
            let x = input.readPointer
            let copies = index == 0 && input.shape == shape
            if copies { y.update(from: x, count: input.count); continue }
            // Rows along the last axis, at their place in the output.
            let width = input.shape.last ?? 1
            var position = Array(repeating: 0, count: max(shape.count - 1, 0))
            for row in 0..<(input.count / width) {
                var offset = 0
                for axis in position.indices { offset = offset * shape[axis] + position[axis] }
                let target = y + offset * (shape.last ?? 1), source = x + row * width
                if index == 0 {
                    target.update(from: source, count: width)
                } else {
                    for c in 0..<width { target[c] += source[c] }
                }
                // The next row's position: an odometer over the input's extents.
                for axis in position.indices.reversed() {
                    position[axis] += 1
                    if position[axis] < input.shape[axis] { break }
                    position[axis] = 0
                }
            }
        }
        if activation != .none { try activateInPlace(output, activation) }
        return output
    }
}

/// A convolution (or an inverted-residual block, a separable block with an
/// expansion) whose only reader is a residual ``Add``, run as one layer: `activation(convolution(input) +
/// shortcut)`, the sum in the convolution's output stage instead of a pass of
/// its own over memory. A graph makes these (see `Graph.executionNodes`); the
/// inputs are the convolution's input, then the shortcut.
struct ConvolutionAddingShortcut: MergeLayer {
    enum Producer: Sendable {
        case convolution(ConvolutionCore)
        case separable(SeparableConv2D)
    }

    let producer: Producer
    let activation: Activation

    func outputShape(for inputShapes: [[Int]]) throws(FoveaError) -> [Int] {
        guard inputShapes.count == 2 else { throw .invalidParameter("a convolution with a shortcut takes two inputs") }
        let shape: [Int]
        switch producer {
        case .convolution(let core): shape = try core.geometry(for: inputShapes[0]).outputShape
        case .separable(let block): shape = try block.outputShape(for: inputShapes[0])
        }
        guard shape == inputShapes[1] else {
            throw .shapeMismatch(
                "Add needs inputs of one shape, got \(describe(shape)) and \(describe(inputShapes[1]))")
        }
        return shape
    }

    func callAsFunction(_ inputs: [Tensor]) throws(FoveaError) -> Tensor {
        _ = try outputShape(for: inputs.map(\.shape))
        switch producer {
        case .convolution(let core): return try core(inputs[0], adding: inputs[1], activation: activation)
        case .separable(let block): return try block(inputs[0], adding: inputs[1], activation: activation)
        }
    }

    /// The same, the sum written over the shortcut's buffer where the
    /// convolution can (see ``ConvolutionCore``'s `addingOver`): for a graph
    /// handing over a shortcut that nothing reads after this layer.
    func callAsFunction(_ input: Tensor, over shortcut: inout Tensor) throws(FoveaError) -> Tensor {
        guard case .convolution(let core) = producer else { return try self([input, shortcut]) }
        _ = try outputShape(for: [input.shape, shortcut.shape])
        return try core(input, addingOver: &shortcut, activation: activation)
    }
}
