/// Per-axis integer parameters (kernel size, stride, dilation) of a spatial
/// operation. One value applies to every spatial axis; a list gives one value
/// per axis, outermost first (`[height, width]` in 2-D).
///
/// ```swift
/// try conv2d(x, weight: w, stride: 2)            // 2 on both axes
/// try conv2d(x, weight: w, dilation: [2, 1])     // per axis
/// ```
public struct Spatial: Sendable, Hashable, ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral,
    CustomStringConvertible
{
    /// The values as given: one, or one per spatial axis.
    public var values: [Int]

    /// The same value on every axis.
    public init(_ value: Int) { values = [value] }
    /// One value per spatial axis.
    public init(_ values: [Int]) { self.values = values }
    /// `2` reads as the same value on every axis.
    public init(integerLiteral value: Int) { values = [value] }
    /// `[2, 1]` reads as one value per spatial axis.
    public init(arrayLiteral elements: Int...) { values = elements }

    /// The single value, or the list of them.
    public var description: String { values.count == 1 ? "\(values[0])" : describe(values) }

    /// The largest stride, dilation, padding or window extent any operation
    /// takes (2^24): far beyond real use, and small enough that geometry
    /// arithmetic on shapes of at most 2^48 elements cannot overflow.
    static let maximum = 1 << 24

    /// The values for `rank` spatial axes, each at least `minimum` and at most ``maximum``.
    func resolved(rank: Int, name: String, minimum: Int = 1) throws(FoveaError) -> [Int] {
        let full: [Int]
        if values.count == 1 {
            full = Array(repeating: values[0], count: rank)
        } else if values.count == rank {
            full = values
        } else {
            throw .invalidParameter(
                "\(name) needs 1 or \(rank) values for \(rank) spatial axes, got \(describe(values))")
        }
        guard full.allSatisfy({ $0 >= minimum }) else {
            throw .invalidParameter("\(name) must be at least \(minimum), got \(describe(values))")
        }
        guard full.allSatisfy({ $0 <= Spatial.maximum }) else {
            throw .invalidParameter("\(name) must be at most \(Spatial.maximum), got \(describe(values))")
        }
        return full
    }

    /// Checks a kernel's (or window's) extents against ``maximum``.
    static func requireKernel(_ kernel: [Int], of weight: [Int]) throws(FoveaError) {
        guard kernel.allSatisfy({ $0 <= maximum }) else {
            throw .invalidParameter("weight \(describe(weight)) has a kernel extent above \(maximum)")
        }
    }
}

/// How a spatial operation pads its input.
public enum Padding: Sendable, Hashable {
    /// No padding: windows stay inside the input.
    case valid
    /// Output size `ceil(input / stride)`; an odd total padding puts the extra
    /// pixel at the end (TensorFlow and Keras, ONNX `SAME_UPPER`).
    case same
    /// As `.same`, with the extra pixel at the beginning (ONNX `SAME_LOWER`).
    case sameLower
    /// Explicit zeros before and after each spatial axis, outermost first. A
    /// single value applies to every axis.
    case explicit(begin: [Int], end: [Int])

    /// The same padding on both sides of every spatial axis.
    public static func uniform(_ amount: Int) -> Padding { .explicit(begin: [amount], end: [amount]) }

    /// Explicit 2-D padding.
    public static func explicit(top: Int, left: Int, bottom: Int, right: Int) -> Padding {
        .explicit(begin: [top, left], end: [bottom, right])
    }

    /// The begin and end padding of a forward window operation (convolution,
    /// pooling) over inputs of the given spatial extents.
    func resolve(
        input: [Int], kernel: [Int], stride: [Int], dilation: [Int]
    ) throws(FoveaError) -> (begin: [Int], end: [Int]) {
        let rank = input.count
        switch self {
        case .valid:
            return (Array(repeating: 0, count: rank), Array(repeating: 0, count: rank))
        case .same, .sameLower:
            var begin = [Int](), end = [Int]()
            for axis in 0..<rank {
                let extent = (kernel[axis] - 1) * dilation[axis] + 1
                let output = (input[axis] + stride[axis] - 1) / stride[axis]
                let total = max((output - 1) * stride[axis] + extent - input[axis], 0)
                let small = total / 2
                begin.append(self == .same ? small : total - small)
                end.append(self == .same ? total - small : small)
            }
            return (begin, end)
        case .explicit(let b, let e):
            let begin = try Spatial(b).resolved(rank: rank, name: "padding (begin)", minimum: 0)
            let end = try Spatial(e).resolved(rank: rank, name: "padding (end)", minimum: 0)
            return (begin, end)
        }
    }
}

/// An activation fused into the output stage of a convolution or dense layer.
public enum Activation: Sendable, Hashable {
    /// Identity.
    case none
    /// `max(x, 0)`.
    case relu
    /// `min(max(x, 0), 6)`, MobileNet's.
    case relu6
    /// `x < 0 ? alpha * x : x`.
    case leakyRelu(alpha: Float)
    /// `min(max(x, min), max)`.
    case clamp(min: Float, max: Float)
    /// `1 / (1 + exp(-x))`.
    case sigmoid
    /// Hyperbolic tangent.
    case tanh

    func validated() throws(FoveaError) -> Activation {
        switch self {
        case .leakyRelu(let alpha) where !alpha.isFinite:
            throw .invalidParameter("leaky ReLU needs a finite slope, got \(alpha)")
        case .clamp(let lo, let hi) where !(lo <= hi) || lo.isNaN || hi.isNaN:
            throw .invalidParameter("clamp needs min <= max, got min \(lo), max \(hi)")
        default:
            return self
        }
    }
}

/// The output extent of a window over `input` (convolution or pooling).
func windowOutputExtent(
    input: Int, kernel: Int, stride: Int, dilation: Int, padBegin: Int, padEnd: Int,
    ceilMode: Bool = false
) -> Int {
    let extent = (kernel - 1) * dilation + 1
    let span = input + padBegin + padEnd - extent
    guard span >= 0 else { return 0 }
    var output = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1
    // A last window that would start in the end padding is dropped (PyTorch,
    // ONNX), so every window sees the input or the begin padding.
    if ceilMode && (output - 1) * stride >= input + padBegin { output -= 1 }
    return output
}
