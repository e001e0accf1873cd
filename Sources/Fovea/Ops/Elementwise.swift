internal import CKernels

/// The shape two operands broadcast to (NumPy's rules: align at the end;
/// extents must match or be 1).
func broadcastShape(_ a: [Int], _ b: [Int]) throws(FoveaError) -> [Int] {
    let rank = max(a.count, b.count)
    var result = [Int](repeating: 1, count: rank)
    for i in 0..<rank {
        let x = i < rank - a.count ? 1 : a[i - (rank - a.count)]
        let y = i < rank - b.count ? 1 : b[i - (rank - b.count)]
        guard x == y || x == 1 || y == 1 else {
            throw .shapeMismatch("shapes \(describe(a)) and \(describe(b)) do not broadcast")
        }
        result[i] = x == 1 ? y : x
    }
    return result
}

/// Element strides of `shape` read as `target` (0 on broadcast axes).
func broadcastStrides(of shape: [Int], to target: [Int]) -> [Int] {
    var strides = [Int](repeating: 0, count: target.count)
    var running = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
        let axis = i + target.count - shape.count
        strides[axis] = shape[i] == 1 ? 0 : running
        running *= shape[i]
    }
    return strides
}

func binary(_ op: fovea_binary_op, _ a: Tensor, _ b: Tensor, _ name: String) throws(FoveaError) -> Tensor {
    let shape = try broadcastShape(a.shape, b.shape)
    guard shape.count <= Int(FOVEA_MAX_RANK) else {
        throw .unsupported("\(name) supports rank up to \(FOVEA_MAX_RANK), got \(shape.count)")
    }
    let output = try Tensor(uninitializedShape: shape)
    let aStrides = broadcastStrides(of: a.shape, to: shape).map(Int64.init)
    let bStrides = broadcastStrides(of: b.shape, to: shape).map(Int64.init)
    try check(
        fovea_binary_forward(
            op, Int32(shape.count), shape.map(Int64.init), a.readPointer, aStrides, b.readPointer,
            bStrides, output.writePointer), name)
    return output
}

/// `a + b` elementwise, with NumPy broadcasting.
public func add(_ a: Tensor, _ b: Tensor) throws(FoveaError) -> Tensor {
    try binary(FOVEA_BINARY_ADD, a, b, "add")
}

/// `a - b` elementwise, with NumPy broadcasting.
public func subtract(_ a: Tensor, _ b: Tensor) throws(FoveaError) -> Tensor {
    try binary(FOVEA_BINARY_SUBTRACT, a, b, "subtract")
}

/// `a * b` elementwise, with NumPy broadcasting.
public func multiply(_ a: Tensor, _ b: Tensor) throws(FoveaError) -> Tensor {
    try binary(FOVEA_BINARY_MULTIPLY, a, b, "multiply")
}

/// `a / b` elementwise, with NumPy broadcasting.
public func divide(_ a: Tensor, _ b: Tensor) throws(FoveaError) -> Tensor {
    try binary(FOVEA_BINARY_DIVIDE, a, b, "divide")
}

/// The larger of `a` and `b` elementwise, with NumPy broadcasting.
public func maximum(_ a: Tensor, _ b: Tensor) throws(FoveaError) -> Tensor {
    try binary(FOVEA_BINARY_MAXIMUM, a, b, "maximum")
}

/// The smaller of `a` and `b` elementwise, with NumPy broadcasting.
public func minimum(_ a: Tensor, _ b: Tensor) throws(FoveaError) -> Tensor {
    try binary(FOVEA_BINARY_MINIMUM, a, b, "minimum")
}

extension Tensor {
    /// This tensor repeated along broadcast axes to `shape` (NumPy rules).
    public func broadcast(to shape: [Int]) throws(FoveaError) -> Tensor {
        guard try broadcastShape(self.shape, shape) == shape else {
            throw .shapeMismatch("\(describe(self.shape)) does not broadcast to \(describe(shape))")
        }
        return try add(self, Tensor.zeros(shape: shape))
    }
}
