internal import CKernels

// Glue between the Swift API and the C kernels: descriptor building and raw
// pointer access. Validation happens before any of this is called.

extension Tensor {
    /// The buffer, for passing inputs to kernels (which never write them).
    var readPointer: UnsafePointer<Float> { UnsafePointer(storage.pointer) }
    /// The buffer of a freshly allocated output (uniquely owned by construction).
    var writePointer: UnsafeMutablePointer<Float> { storage.pointer }
}

/// A spatial parameter list as the kernels' fixed [depth, height, width]
/// triple, with `fill` for the axes a lower-rank operation does not have.
func triple(_ values: [Int], fill: Int) -> (Int64, Int64, Int64) {
    let padded = Array(repeating: fill, count: 3 - values.count) + values
    return (Int64(padded[0]), Int64(padded[1]), Int64(padded[2]))
}

extension Activation {
    var cValue: fovea_activation {
        switch self {
        case .none: return fovea_activation(kind: FOVEA_ACTIVATION_NONE, alpha: 0, beta: 0)
        case .relu: return fovea_activation(kind: FOVEA_ACTIVATION_RELU, alpha: 0, beta: 0)
        case .relu6: return fovea_activation(kind: FOVEA_ACTIVATION_RELU6, alpha: 0, beta: 6)
        case .leakyRelu(let alpha):
            return fovea_activation(kind: FOVEA_ACTIVATION_LEAKY_RELU, alpha: alpha, beta: 0)
        case .clamp(let lo, let hi):
            return fovea_activation(kind: FOVEA_ACTIVATION_CLAMP, alpha: lo, beta: hi)
        case .sigmoid: return fovea_activation(kind: FOVEA_ACTIVATION_SIGMOID, alpha: 0, beta: 0)
        case .tanh: return fovea_activation(kind: FOVEA_ACTIVATION_TANH, alpha: 0, beta: 0)
        }
    }
}

/// Checks that a tensor has the expected rank, naming it in the message.
func requireRank(_ tensor: Tensor, _ rank: Int, _ name: String, layout: String) throws(FoveaError) {
    guard tensor.rank == rank else {
        throw .shapeMismatch(
            "\(name) must have rank \(rank) (\(layout)), got shape \(describe(tensor.shape))")
    }
}

/// An extent computed from user-given sizes (`a·b·...`), checked against
/// what a tensor can hold: Swift would trap on the overflow.
func extentProduct(_ factors: Int..., for what: @autoclosure () -> String) throws(FoveaError) -> Int {
    try extentProduct(of: factors, for: what())
}

/// ``extentProduct(_:for:)`` of a list.
func extentProduct(of factors: [Int], for what: @autoclosure () -> String) throws(FoveaError) -> Int {
    var product = 1
    for factor in factors {
        let (next, overflow) = product.multipliedReportingOverflow(by: factor)
        guard !overflow, (-Tensor.maximumElementCount...Tensor.maximumElementCount).contains(next) else {
            throw .invalidParameter("\(what()) would exceed 2^48 elements")
        }
        product = next
    }
    return product
}

/// An extent computed from user-given sizes (`a + b + ...`), checked as ``extentProduct(_:for:)``.
func extentSum(_ terms: Int..., for what: @autoclosure () -> String) throws(FoveaError) -> Int {
    try extentSum(of: terms, for: what())
}

/// ``extentSum(_:for:)`` of a list.
func extentSum(of terms: [Int], for what: @autoclosure () -> String) throws(FoveaError) -> Int {
    var sum = 0
    for term in terms {
        let (next, overflow) = sum.addingReportingOverflow(term)
        guard !overflow, (-Tensor.maximumElementCount...Tensor.maximumElementCount).contains(next) else {
            throw .invalidParameter("\(what()) would exceed 2^48 elements")
        }
        sum = next
    }
    return sum
}

/// Checks that a tensor has exactly the expected shape, naming it in the message.
func requireShape(_ tensor: Tensor, _ shape: [Int], _ name: String) throws(FoveaError) {
    guard tensor.shape == shape else {
        throw .shapeMismatch(
            "\(name) must have shape \(describe(shape)), got \(describe(tensor.shape))")
    }
}

/// Names the channels-last layout of a spatial rank for messages.
func channelsLastLayout(spatialRank: Int) -> String {
    switch spatialRank {
    case 1: return "N, length, channels"
    case 2: return "NHWC"
    default: return "N, depth, height, width, channels"
    }
}
