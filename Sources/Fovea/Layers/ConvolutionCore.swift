internal import CKernels
import Foundation

/// What every convolution layer shares: validated configuration, weights, and
/// the packed plans (one per algorithm and CPU level, made once and reused).
struct ConvolutionCore: Sendable {
    let spatialRank: Int
    let weight: Tensor
    let bias: Tensor?
    let stride: Spatial
    let padding: Padding
    let dilation: Spatial
    let groups: Int
    let activation: Activation
    let algorithm: ConvAlgorithm
    let plans: PlanCache

    init(
        spatialRank: Int, weight: Tensor, bias: Tensor?, stride: Spatial, padding: Padding, dilation: Spatial,
        groups: Int, activation: Activation, algorithm: ConvAlgorithm
    ) throws(FoveaError) {
        try requireRank(weight, spatialRank + 2, "weight", layout: "kernel..., in/groups, out")
        guard groups >= 1, groups <= max(weight.shape[spatialRank + 1], 1), weight.shape[spatialRank + 1] % groups == 0 else {
            throw .invalidParameter("groups (\(groups)) must be positive and divide the output channels (\(weight.shape[spatialRank + 1]))")
        }
        try validateBias(bias, channels: weight.shape[spatialRank + 1])
        _ = try stride.resolved(rank: spatialRank, name: "stride")
        _ = try dilation.resolved(rank: spatialRank, name: "dilation")
        if case .winograd(let tile) = algorithm, ![2, 4, 6].contains(tile) {
            throw .invalidParameter("Winograd tiles are 2, 4 or 6, got \(tile)")
        }
        self.spatialRank = spatialRank
        self.weight = weight
        self.bias = bias
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        self.activation = try activation.validated()
        self.algorithm = algorithm
        self.plans = PlanCache()
        // Explicit algorithms pack now, so that an impossible request fails here.
        if let requested = algorithm.cValue, algorithm != .auto {
            // Any input the kernel fits in will do: a plan depends on the kernel, not on the image.
            let dilations = try dilation.resolved(rank: spatialRank, name: "dilation")
            try Spatial.requireKernel(Array(weight.shape[0..<spatialRank]), of: weight.shape)
            let extents = (0..<spatialRank).map { (weight.shape[$0] - 1) * dilations[$0] + 1 }
            let probe = try geometry(for: [1] + extents + [weight.shape[spatialRank] * groups])
            _ = try plan(requested, descriptor: probe.descriptor(activation: activation), modelWeightBytes: weightBytes)
        }
    }

    /// The bytes of weights of the model this convolution runs in (its own
    /// when it runs alone; the largest model it was made part of, see
    /// `noteModelWeights`): whether its weights are still in cache when it
    /// runs again, which decides between some algorithms.
    var modelWeightBytes: Int { max(plans.modelWeightBytes, weightBytes) }

    /// The bytes of this convolution's weights and bias.
    var weightBytes: Int { (weight.count + (bias?.count ?? 0)) * MemoryLayout<Float>.size }

    var inChannels: Int { weight.shape[spatialRank] * groups }
    var outChannels: Int { weight.shape[spatialRank + 1] }

    func geometry(for inputShape: [Int]) throws(FoveaError) -> ConvolutionGeometry {
        try ConvolutionGeometry.forward(
            spatialRank: spatialRank, input: inputShape, weight: weight.shape, stride: stride, padding: padding,
            dilation: dilation, groups: groups)
    }

    /// The algorithm that runs for inputs of this shape.
    func resolvedAlgorithm(_ desc: fovea_conv_desc, modelWeightBytes bytes: Int) throws(FoveaError) -> fovea_conv_algorithm {
        var d = desc
        switch algorithm {
        case .auto: return fovea_conv_algorithm_choose_in_model(&d, Int64(bytes))
        case .autotuned:
            var best = FOVEA_CONV_ALGORITHM_AUTO
            try check(fovea_conv_autotune(&d, &best), "autotuning a convolution")
            return best
        default: return algorithm.cValue!
        }
    }

    func plan(
        _ algorithm: fovea_conv_algorithm, descriptor: fovea_conv_desc, level: InstructionSet = CPU.instructionSet,
        modelWeightBytes bytes: Int
    ) throws(FoveaError) -> ConvolutionPlan {
        let cached = fovea_conv_weights_stay_cached(Int64(bytes)) != 0
        return try plans.plan(algorithm: algorithm, level: level, weightsCached: cached) { () throws(FoveaError) in
            try ConvolutionPlan(
                descriptor: descriptor, algorithm: algorithm, weight: weight, bias: bias, modelWeightBytes: bytes)
        }
    }

    /// The descriptor, plan and output shape for inputs of this shape, worked
    /// out once per shape, CPU level and Winograd setting: a layer called over
    /// and over on one shape (batch-1 inference) pays no per-call set-up.
    func prepare(_ shape: [Int]) throws(FoveaError) -> PreparedRun {
        let bytes = modelWeightBytes
        let key = preparedKey(shape, modelWeightBytes: bytes)
        if let prepared = plans.prepared(key) { return prepared }
        let g = try geometry(for: shape)
        let desc = g.descriptor(activation: activation)
        let chosen = try resolvedAlgorithm(desc, modelWeightBytes: bytes)
        let made = try plan(chosen, descriptor: desc, level: key.level, modelWeightBytes: bytes)
        let prepared = PreparedRun(
            key: key, descriptor: desc, outputShape: g.outputShape, plan: made,
            addsResidualInPlace: made.addsResidualInPlace(desc))
        // The kernels read the level and the Winograd switch again as they
        // choose and pack: if another thread changed either meanwhile, this
        // run is good but must not be remembered under the key.
        guard CPU.instructionSet == key.level, ConvAlgorithm.winogradEnabled == key.winograd,
              modelWeightBytes == bytes else { return prepared }
        return plans.remember(prepared)
    }

    private func preparedKey(_ shape: [Int], modelWeightBytes bytes: Int) -> PreparedRun.Key {
        PreparedRun.Key(
            shape: shape, level: CPU.instructionSet, winograd: ConvAlgorithm.winogradEnabled,
            weightsCached: fovea_conv_weights_stay_cached(Int64(bytes)) != 0)
    }

    /// The algorithm that runs for inputs of this shape: the one already
    /// prepared for it, or the one a first run would choose now.
    func algorithm(for shape: [Int]) throws(FoveaError) -> ConvAlgorithm {
        let bytes = modelWeightBytes
        if let prepared = plans.prepared(preparedKey(shape, modelWeightBytes: bytes)) {
            return prepared.plan.algorithm
        }
        let g = try geometry(for: shape)
        return ConvAlgorithm(try resolvedAlgorithm(g.descriptor(activation: activation), modelWeightBytes: bytes))
    }

    func callAsFunction(_ input: Tensor) throws(FoveaError) -> Tensor {
        let prepared = try prepare(input.shape)
        let output = try Tensor(uninitializedShape: prepared.outputShape)
        try prepared.plan.run(prepared.descriptor, input: input, output: output.writePointer)
        return output
    }

    /// `activation(self(input) + residual)` in one pass over the output: the
    /// sum happens in the convolution's output stage. Needs this convolution's
    /// own activation to be none and the residual shaped as the output.
    func callAsFunction(_ input: Tensor, adding residual: Tensor, activation: Activation) throws(FoveaError) -> Tensor {
        let prepared = try prepareResidualSum(input.shape, residual: residual)
        let output = try Tensor(uninitializedShape: prepared.outputShape)
        try prepared.plan.run(prepared.descriptor, input: input, adding: residual, activation: activation, output: output.writePointer)
        return output
    }

    /// The same sum, written over the residual's own buffer where nothing
    /// else holds it (a graph's shortcut at its last use) and the plan can:
    /// one activation-sized buffer read and written, instead of the residual
    /// read and a new output fetched and written. `residual` is left with the
    /// result or as it was.
    func callAsFunction(_ input: Tensor, addingOver residual: inout Tensor, activation: Activation) throws(FoveaError) -> Tensor {
        let prepared = try prepareResidualSum(input.shape, residual: residual)
        guard prepared.addsResidualInPlace, residual.storage !== input.storage,
              isKnownUniquelyReferenced(&residual.storage)
        else {
            return try self(input, adding: residual, activation: activation)
        }
        try prepared.plan.run(
            prepared.descriptor, input: input, adding: residual, activation: activation, output: residual.writePointer)
        return residual
    }

    private func prepareResidualSum(_ shape: [Int], residual: Tensor) throws(FoveaError) -> PreparedRun {
        let prepared = try prepare(shape)
        guard activation == .none else {
            throw .invalidParameter("a residual sum needs a convolution without an activation of its own, this one has \(activation)")
        }
        guard residual.shape == prepared.outputShape else {
            throw .shapeMismatch(
                "a residual of shape \(describe(residual.shape)) cannot be added to a convolution output of shape \(describe(prepared.outputShape))")
        }
        return prepared
    }

    func callAsFunction(_ input: Tensor, into output: inout Tensor) throws(FoveaError) {
        let prepared = try prepare(input.shape)
        guard output.shape == prepared.outputShape else {
            // A new tensor, handed over only once it holds the result.
            let fresh = try Tensor(uninitializedShape: prepared.outputShape)
            try prepared.plan.run(prepared.descriptor, input: input, output: fresh.writePointer)
            output = fresh
            return
        }
        output.makeUnique()
        try prepared.plan.run(prepared.descriptor, input: input, output: output.writePointer)
    }
}

/// Everything a call needs that depends only on the input's shape.
struct PreparedRun: @unchecked Sendable {
    // fovea_conv_desc is a plain C struct; the plan is immutable.
    struct Key: Hashable {
        var shape: [Int]
        var level: InstructionSet
        var winograd: Bool
        var weightsCached: Bool
    }

    let key: Key
    let descriptor: fovea_conv_desc
    let outputShape: [Int]
    let plan: ConvolutionPlan
    /// Whether a residual sum may be written over the residual itself.
    let addsResidualInPlace: Bool
}

/// Plans by algorithm and CPU level, created on first use, and the prepared
/// runs of the last few input shapes.
final class PlanCache: @unchecked Sendable {
    // Guarded by `lock`; plans themselves are immutable.
    private let lock = NSLock()
    private var plans: [PlanKey: ConvolutionPlan] = [:]
    private var runs: [PreparedRun] = []
    private var largestModel = 0
    private static let remembered = 8

    /// The weight bytes of the largest model the convolution was made part
    /// of (0: none), set by the models that hold it.
    var modelWeightBytes: Int {
        lock.lock()
        defer { lock.unlock() }
        return largestModel
    }

    /// Records that the convolution runs in a model of `bytes` of weights.
    func noteModel(weightBytes bytes: Int) {
        lock.lock()
        defer { lock.unlock() }
        largestModel = max(largestModel, bytes)
    }

    private struct PlanKey: Hashable {
        var algorithm: UInt32
        var level: InstructionSet
        var weightsCached: Bool
    }

    func prepared(_ key: PreparedRun.Key) -> PreparedRun? {
        lock.lock()
        defer { lock.unlock() }
        return runs.first { $0.key == key }
    }

    /// Keeps `run`, or the one another thread kept first for the same key
    /// (which it returns): every caller of one shape then runs one algorithm.
    func remember(_ run: PreparedRun) -> PreparedRun {
        lock.lock()
        defer { lock.unlock() }
        if let kept = runs.first(where: { $0.key == run.key }) { return kept }
        runs.insert(run, at: 0)
        if runs.count > Self.remembered { runs.removeLast() }
        return run
    }

    func plan(
        algorithm: fovea_conv_algorithm, level: InstructionSet, weightsCached: Bool,
        make: () throws(FoveaError) -> ConvolutionPlan
    ) throws(FoveaError) -> ConvolutionPlan {
        let key = PlanKey(algorithm: algorithm.rawValue, level: level, weightsCached: weightsCached)
        lock.lock()
        if let existing = plans[key] {
            lock.unlock()
            return existing
        }
        lock.unlock()
        let created = try make()
        lock.lock()
        defer { lock.unlock() }
        if let existing = plans[key] { return existing }
        plans[key] = created
        return created
    }
}
