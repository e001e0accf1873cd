import Foundation

/// Updates a model's parameters from their gradients, one step at a time.
///
/// Parameters and gradients are matched by name (as ``Layer/parameters``
/// names them); an optimizer keeps its per-parameter state (momentum, moment
/// estimates) under the same names. The update rules are PyTorch's, so a
/// training recipe carries over with the same hyper-parameters.
public protocol Optimizer: Sendable {
    /// The step size used by the next update.
    var learningRate: Float { get set }
    /// Applies one step to every parameter that has a gradient.
    mutating func update(_ parameters: inout [String: Tensor], with gradients: [String: Tensor]) throws(FoveaError)
    /// The per-parameter state (momentum, moment estimates, step counts) as
    /// named tensors, `<buffer>/<parameter>`: what a checkpoint saves so that
    /// training resumes exactly where it stopped.
    var state: [String: Tensor] { get }
    /// Takes back a state that ``state`` gave (hyper-parameters are not part
    /// of it). Throws, changing nothing, on a name or shape it does not know.
    mutating func restore(_ state: [String: Tensor]) throws(FoveaError)
}

/// Checks that the state kept for each parameter with a gradient has
/// `buffers` arrays of the parameter's size (a restored state may not).
private func validateState(_ state: OptimizerState, buffers: Int, _ gradients: [String: Tensor]) throws(FoveaError) {
    for (name, gradient) in gradients {
        if let kept = state[name], kept.count != buffers * gradient.count {
            throw .shapeMismatch(
                "the optimizer's state for \"\(name)\" holds \(kept.count / max(buffers, 1)) values per buffer, the parameter \(gradient.count)")
        }
    }
}

extension Optimizer {
    /// Checks that every gradient has a parameter of its shape.
    func validate(_ parameters: [String: Tensor], _ gradients: [String: Tensor]) throws(FoveaError) {
        for (name, gradient) in gradients {
            guard let parameter = parameters[name] else {
                throw .shapeMismatch("there is a gradient for \"\(name)\" but no such parameter")
            }
            guard parameter.shape == gradient.shape else {
                throw .shapeMismatch(
                    "the gradient of \"\(name)\" has shape \(describe(gradient.shape)), the parameter \(describe(parameter.shape))")
            }
        }
    }
}

/// Per-parameter state: `buffers` arrays of the parameter's size, stored end
/// to end in one array so an update walks them through one pointer.
typealias OptimizerState = [String: [Float]]

/// The named tensors of per-parameter buffers: `<buffer>/<parameter>`.
private func exported(_ state: OptimizerState, names: [String]) -> [String: Tensor] {
    var result = [String: Tensor]()
    for (parameter, values) in state {
        let size = values.count / names.count
        for (index, name) in names.enumerated() {
            result["\(name)/\(parameter)"] = try? Tensor(shape: [size], scalars: Array(values[(index * size)..<((index + 1) * size)]))
        }
    }
    return result
}

/// Per-parameter buffers back from ``exported(_:names:)``'s tensors.
private func imported(_ state: [String: Tensor], names: [String], skipping other: Set<String> = []) throws(FoveaError) -> OptimizerState {
    var grouped = [String: [Int: [Float]]]()
    for (key, tensor) in state {
        guard let slash = key.firstIndex(of: "/"), let buffer = names.firstIndex(of: String(key[..<slash])) else {
            if let slash = key.firstIndex(of: "/"), other.contains(String(key[..<slash])) { continue }
            throw .invalidParameter("optimizer state \"\(key)\" is not one of \(names.map { "\($0)/<parameter>" })")
        }
        grouped[String(key[key.index(after: slash)...]), default: [:]][buffer] = tensor.scalars
    }
    var result = OptimizerState()
    for (parameter, buffers) in grouped {
        guard buffers.count == names.count, Set(buffers.values.map(\.count)).count == 1 else {
            throw .invalidParameter("optimizer state for \"\(parameter)\" needs \(names.joined(separator: ", ")) of one size")
        }
        result[parameter] = names.indices.flatMap { buffers[$0]! }
    }
    return result
}

/// Runs `body` over a parameter's values, its gradient and its state
/// buffers (created as zeros on first use), all of `count` elements. The
/// state is taken out of the dictionary while it changes, so it is never
/// copied, and the parameter is copied once (the model's layers share it).
private func step(
    _ parameters: inout [String: Tensor], _ name: String, _ gradient: Tensor, _ states: inout OptimizerState,
    buffers: Int,
    _ body: (_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ state: UnsafeMutablePointer<Float>, _ count: Int) -> Void
) {
    let count = gradient.count
    var state = states.removeValue(forKey: name) ?? [Float](repeating: 0, count: buffers * count)
    withExtendedLifetime(gradient) {
        state.withUnsafeMutableBufferPointer { s in
            parameters[name]!.withUnsafeMutableBufferPointer { p in body(p.baseAddress!, gradient.readPointer, s.baseAddress!, count) }
        }
    }
    states[name] = state
}

/// Stochastic gradient descent with optional momentum (heavy-ball or
/// Nesterov) and L2 weight decay (added to the gradient), as `torch.optim.SGD`.
public struct SGD: Optimizer {
    /// The step size; schedules change it between steps.
    public var learningRate: Float
    /// Momentum factor (0: plain SGD).
    public let momentum: Float
    /// Nesterov's look-ahead momentum.
    public let nesterov: Bool
    /// L2 penalty coefficient.
    public let weightDecay: Float
    private var velocity = OptimizerState()

    /// An SGD optimizer; `nesterov` needs a positive momentum.
    public init(learningRate: Float, momentum: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) throws(FoveaError) {
        try checkHyperparameters(learningRate: learningRate, weightDecay: weightDecay)
        guard momentum >= 0, momentum < 1 else { throw .invalidParameter("momentum must be in [0, 1), got \(momentum)") }
        guard !nesterov || momentum > 0 else { throw .invalidParameter("Nesterov momentum needs a positive momentum") }
        (self.learningRate, self.momentum, self.nesterov, self.weightDecay) = (learningRate, momentum, nesterov, weightDecay)
    }

    /// `velocity/<parameter>`.
    public var state: [String: Tensor] { exported(velocity, names: ["velocity"]) }

    /// Takes back the buffers ``state`` gave; throws, changing nothing, on any other name.
    public mutating func restore(_ state: [String: Tensor]) throws(FoveaError) {
        velocity = try imported(state, names: ["velocity"])
    }

    /// One step of this rule for every parameter that has a gradient.
    public mutating func update(_ parameters: inout [String: Tensor], with gradients: [String: Tensor]) throws(FoveaError) {
        try validate(parameters, gradients)
        try validateState(velocity, buffers: 1, gradients)
        let (lr, mu, nesterov, decay) = (learningRate, momentum, nesterov, weightDecay)
        for (name, gradient) in gradients {
            let first = velocity[name] == nil
            step(&parameters, name, gradient, &velocity, buffers: 1) { p, g, v, count in
                for i in 0..<count {
                    var d = g[i] + decay * p[i]
                    if mu > 0 {
                        v[i] = first ? d : mu * v[i] + d
                        d = nesterov ? d + mu * v[i] : v[i]
                    }
                    p[i] -= lr * d
                }
            }
        }
    }
}

/// RMSprop (Hinton), as `torch.optim.RMSprop`: `v = α·v + (1 − α)·g²`,
/// `p −= lr·g / (sqrt(v) + ε)`.
public struct RMSprop: Optimizer {
    /// The step size; schedules change it between steps.
    public var learningRate: Float
    /// The decay of the squared-gradient average (PyTorch's alpha).
    public let rho: Float
    /// Added to the denominator.
    public let epsilon: Float
    /// L2 penalty coefficient.
    public let weightDecay: Float
    private var average = OptimizerState()

    /// An RMSprop optimizer.
    public init(learningRate: Float = 0.01, rho: Float = 0.99, epsilon: Float = 1e-8, weightDecay: Float = 0) throws(FoveaError) {
        try checkHyperparameters(learningRate: learningRate, weightDecay: weightDecay)
        guard rho >= 0, rho < 1, epsilon > 0 else { throw .invalidParameter("RMSprop needs rho in [0, 1) and a positive epsilon") }
        (self.learningRate, self.rho, self.epsilon, self.weightDecay) = (learningRate, rho, epsilon, weightDecay)
    }

    /// `square_average/<parameter>`.
    public var state: [String: Tensor] { exported(average, names: ["square_average"]) }

    /// Takes back the buffers ``state`` gave; throws, changing nothing, on any other name.
    public mutating func restore(_ state: [String: Tensor]) throws(FoveaError) {
        average = try imported(state, names: ["square_average"])
    }

    /// One step of this rule for every parameter that has a gradient.
    public mutating func update(_ parameters: inout [String: Tensor], with gradients: [String: Tensor]) throws(FoveaError) {
        try validate(parameters, gradients)
        try validateState(average, buffers: 1, gradients)
        let (lr, rho, eps, decay) = (learningRate, rho, epsilon, weightDecay)
        for (name, gradient) in gradients {
            step(&parameters, name, gradient, &average, buffers: 1) { p, g, v, count in
                for i in 0..<count {
                    let d = g[i] + decay * p[i]
                    v[i] = rho * v[i] + (1 - rho) * d * d
                    p[i] -= lr * d / (v[i].squareRoot() + eps)
                }
            }
        }
    }
}

/// Adam (Kingma and Ba), as `torch.optim.Adam` (`decoupled: false`, weight
/// decay added to the gradient) or `torch.optim.AdamW` (`decoupled: true`,
/// `p −= lr·decay·p` apart from the adaptive step; Loshchilov and Hutter).
public struct Adam: Optimizer {
    /// The step size; schedules change it between steps.
    public var learningRate: Float
    /// Decay rates of the first and second moment estimates.
    public let beta1: Float, beta2: Float
    /// Added to the denominator.
    public let epsilon: Float
    /// The weight decay coefficient.
    public let weightDecay: Float
    /// Whether the decay is decoupled from the gradient (AdamW).
    public let decoupled: Bool
    private var moments = OptimizerState()
    private var steps: [String: Int] = [:]

    /// An Adam optimizer (AdamW with `decoupled: true`).
    public init(
        learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
        weightDecay: Float = 0, decoupled: Bool = false
    ) throws(FoveaError) {
        try checkHyperparameters(learningRate: learningRate, weightDecay: weightDecay)
        guard beta1 >= 0, beta1 < 1, beta2 >= 0, beta2 < 1, epsilon > 0 else {
            throw .invalidParameter("Adam needs betas in [0, 1) and a positive epsilon")
        }
        (self.learningRate, self.beta1, self.beta2, self.epsilon) = (learningRate, beta1, beta2, epsilon)
        (self.weightDecay, self.decoupled) = (weightDecay, decoupled)
    }

    /// AdamW: Adam with decoupled weight decay (PyTorch's default decay, 0.01).
    public static func adamW(
        learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
        weightDecay: Float = 0.01
    ) throws(FoveaError) -> Adam {
        try Adam(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay, decoupled: true)
    }

    /// `exp_avg/<parameter>`, `exp_avg_sq/<parameter>` (PyTorch's names) and
    /// `step/<parameter>` (one value).
    public var state: [String: Tensor] {
        var all = exported(moments, names: ["exp_avg", "exp_avg_sq"])
        for (name, count) in steps { all["step/\(name)"] = try? Tensor(shape: [1], scalars: [Float(count)]) }
        return all
    }

    /// Takes back the buffers ``state`` gave; throws, changing nothing, on any other name.
    public mutating func restore(_ state: [String: Tensor]) throws(FoveaError) {
        let restoredMoments = try imported(state, names: ["exp_avg", "exp_avg_sq"], skipping: ["step"])
        var restoredSteps = [String: Int]()
        for (key, tensor) in state where key.hasPrefix("step/") {
            guard tensor.count == 1, let count = Int(exactly: tensor.scalars[0]), count >= 1 else {
                throw .invalidParameter("optimizer state \"\(key)\" must be one positive whole number")
            }
            restoredSteps[String(key.dropFirst(5))] = count
        }
        guard Set(restoredSteps.keys) == Set(restoredMoments.keys) else {
            throw .invalidParameter("Adam's state needs a step count for exactly the parameters that have moments")
        }
        (moments, steps) = (restoredMoments, restoredSteps)
    }

    /// One step of this rule for every parameter that has a gradient.
    public mutating func update(_ parameters: inout [String: Tensor], with gradients: [String: Tensor]) throws(FoveaError) {
        try validate(parameters, gradients)
        try validateState(moments, buffers: 2, gradients)
        let (lr, b1, b2, eps, decay, decoupled) = (learningRate, beta1, beta2, epsilon, weightDecay, decoupled)
        for (name, gradient) in gradients {
            let t = (steps[name] ?? 0) + 1
            steps[name] = t
            // Bias corrections in double: beta^t underflows float's precision slowly but surely.
            let c1 = Float(1 - Foundation.pow(Double(b1), Double(t)))
            let c2 = Float(1 - Foundation.pow(Double(b2), Double(t)))
            step(&parameters, name, gradient, &moments, buffers: 2) { p, g, state, count in
                let (m, v) = (state, state + count)
                for i in 0..<count {
                    var d = g[i]
                    if decoupled { p[i] *= 1 - lr * decay } else { d += decay * p[i] }
                    m[i] = b1 * m[i] + (1 - b1) * d
                    v[i] = b2 * v[i] + (1 - b2) * d * d
                    p[i] -= lr * (m[i] / c1) / ((v[i] / c2).squareRoot() + eps)
                }
            }
        }
    }
}

private func checkHyperparameters(learningRate: Float, weightDecay: Float) throws(FoveaError) {
    guard learningRate > 0, learningRate.isFinite else {
        throw .invalidParameter("the learning rate must be positive, got \(learningRate)")
    }
    guard weightDecay >= 0, weightDecay.isFinite else {
        throw .invalidParameter("weight decay must be non-negative, got \(weightDecay)")
    }
}
