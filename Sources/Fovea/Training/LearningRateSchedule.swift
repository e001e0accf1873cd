import Foundation

/// How the learning rate changes over training, as a function of the epoch
/// (or step) count from 0.
public enum LearningRateSchedule: Sendable, Hashable {
    /// The base rate throughout.
    case constant
    /// Multiplied by `factor` every `every` epochs (PyTorch's StepLR).
    case step(every: Int, factor: Float)
    /// Multiplied by `factor` each epoch (ExponentialLR).
    case exponential(factor: Float)
    /// Cosine annealing from the base rate down to `minimum` over `epochs` (CosineAnnealingLR, one half period).
    case cosine(epochs: Int, minimum: Float)
    /// A linear ramp from `base / epochs` up to the base over `epochs`, then `after`.
    indirect case warmup(epochs: Int, then: LearningRateSchedule)

    /// The rate at `epoch` for a base rate `base`.
    public func rate(at epoch: Int, base: Float) -> Float {
        switch self {
        case .constant:
            return base
        case .step(let every, let factor):
            return base * Float(Foundation.pow(Double(factor), Double(max(epoch, 0) / max(every, 1))))
        case .exponential(let factor):
            return base * Float(Foundation.pow(Double(factor), Double(max(epoch, 0))))
        case .cosine(let epochs, let minimum):
            let progress = Double(min(max(epoch, 0), max(epochs, 1))) / Double(max(epochs, 1))
            return minimum + (base - minimum) * Float((1 + Foundation.cos(Double.pi * progress)) / 2)
        case .warmup(let epochs, let after):
            let warm = max(epochs, 0)
            guard epoch < warm else { return after.rate(at: epoch - warm, base: base) }
            return base * Float(epoch + 1) / Float(max(epochs, 1))
        }
    }
}
