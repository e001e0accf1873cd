/// Every error the library throws.
///
/// Each case carries a message written for a person: it says what was expected
/// and what was given. When an operation throws, nothing the caller passed in
/// has been modified.
public enum FoveaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Tensor shapes do not fit the operation.
    case shapeMismatch(String)
    /// A parameter is out of range or inconsistent with the others.
    case invalidParameter(String)
    /// The request is well-formed but this library does not support it.
    case unsupported(String)
    /// Reading or writing a file failed.
    case io(String)
    /// A file was read but its contents are malformed or truncated.
    case fileFormat(String)
    /// A kernel reported a failure it should not have (out of memory, internal error).
    case kernelFailure(String)

    /// The human-readable message.
    public var message: String {
        switch self {
        case .shapeMismatch(let m), .invalidParameter(let m), .unsupported(let m),
            .io(let m), .fileFormat(let m), .kernelFailure(let m):
            return m
        }
    }

    /// The kind of error and its message, as a person reads it.
    public var description: String {
        switch self {
        case .shapeMismatch(let m): return "shape mismatch: \(m)"
        case .invalidParameter(let m): return "invalid parameter: \(m)"
        case .unsupported(let m): return "unsupported: \(m)"
        case .io(let m): return "I/O error: \(m)"
        case .fileFormat(let m): return "malformed file: \(m)"
        case .kernelFailure(let m): return "kernel failure: \(m)"
        }
    }
}

/// Formats a shape the way the messages show it: `[1, 224, 224, 3]`.
func describe(_ shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ", ") + "]"
}
