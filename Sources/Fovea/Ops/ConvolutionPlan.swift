internal import CKernels
import Foundation

/// How a convolution is computed.
public enum ConvAlgorithm: Sendable, Hashable, CustomStringConvertible {
    /// Chosen by a heuristic for the layer's shape and the CPU (the default),
    /// and for where its weights come from: a layer run alone, or in a model
    /// whose weights, as the largest Winograd tiles pack them (about 11 times
    /// their size), fit in the last-level cache (about 3 MB of weights with a
    /// 32 MB cache), finds them in cache from call to call; in a larger model
    /// they come from memory, which favours algorithms with fewer of them (a
    /// smaller Winograd tile). ``Graph``, ``Sequential`` and ``Ensemble`` tell
    /// their layers (custom layers' convolutions included) when they are
    /// made, and a layer keeps the largest model it was made part of: its
    /// choice, and so the last bits of its results, may change once then.
    /// On cores where it was measured (Zen 4), the choice also weighs the
    /// thread count (``Threads/count``) when the layer first runs at an input
    /// shape: threads share the memory bus, so with more of them large
    /// weights favour a smaller Winograd tile. The layer keeps that choice
    /// for the shape whatever the count later.
    case auto
    /// Measured once per input shape: every applicable algorithm is timed and
    /// the fastest kept (the choice is cached per shape, CPU level and thread count).
    case autotuned
    /// Direct convolution: an implicit GEMM over the input taps, no im2col copy.
    case direct
    /// One GEMM for 1x1 convolutions; im2col in blocks plus GEMM otherwise.
    case gemm
    /// Winograd's minimal filtering for 3x3, stride 1, undilated, ungrouped 2-D
    /// convolutions, computing `tile` x `tile` outputs at a time (2, 4 or 6).
    /// With 6, an output that is not a whole number of 6x6 tiles gets 4x4
    /// tiles along its right and bottom edges where that saves work.
    /// Faster, slightly less exact: see `Benchmarks/RESULTS.md` for the errors.
    case winograd(tile: Int)
    /// The plain reference kernel.
    case reference
    /// Depthwise convolution (`groups == inChannels`, any channel multiplier):
    /// per-channel sliding windows vectorised over channels.
    case depthwise

    var cValue: fovea_conv_algorithm? {
        switch self {
        case .auto: return FOVEA_CONV_ALGORITHM_AUTO
        case .autotuned: return nil
        case .direct: return FOVEA_CONV_ALGORITHM_DIRECT
        case .gemm: return FOVEA_CONV_ALGORITHM_GEMM
        case .winograd(let tile):
            switch tile {
            case 2: return FOVEA_CONV_ALGORITHM_WINOGRAD_2
            case 4: return FOVEA_CONV_ALGORITHM_WINOGRAD_4
            case 6: return FOVEA_CONV_ALGORITHM_WINOGRAD_6
            default: return nil
            }
        case .reference: return FOVEA_CONV_ALGORITHM_REFERENCE
        case .depthwise: return FOVEA_CONV_ALGORITHM_DEPTHWISE
        }
    }

    init(_ c: fovea_conv_algorithm) {
        switch c {
        case FOVEA_CONV_ALGORITHM_DIRECT: self = .direct
        case FOVEA_CONV_ALGORITHM_GEMM: self = .gemm
        case FOVEA_CONV_ALGORITHM_WINOGRAD_2: self = .winograd(tile: 2)
        case FOVEA_CONV_ALGORITHM_WINOGRAD_4: self = .winograd(tile: 4)
        case FOVEA_CONV_ALGORITHM_WINOGRAD_6: self = .winograd(tile: 6)
        case FOVEA_CONV_ALGORITHM_REFERENCE: self = .reference
        case FOVEA_CONV_ALGORITHM_DEPTHWISE: self = .depthwise
        default: self = .auto
        }
    }

    /// The algorithm's name, as benchmarks and plans print it.
    public var description: String {
        switch self {
        case .auto: return "auto"
        case .autotuned: return "autotuned"
        case .direct: return "direct"
        case .gemm: return "gemm"
        case .winograd(let tile): return "winograd F(\(tile)x\(tile),3x3)"
        case .reference: return "reference"
        case .depthwise: return "depthwise"
        }
    }

    /// Whether Winograd may be chosen by `.auto` (process-wide; explicit
    /// `.winograd` requests are honoured either way). On by default. Set it
    /// before running models: a convolution running on another thread while
    /// it changes may throw or take either setting (never a wrong result).
    public static var winogradEnabled: Bool {
        get { fovea_conv_winograd_enabled() != 0 }
        set { fovea_conv_winograd_set_enabled(newValue ? 1 : 0) }
    }
}

/// Packed weights of one convolution for one algorithm and CPU level.
final class ConvolutionPlan: @unchecked Sendable {
    // The C plan is immutable after creation and safe to run from several
    // threads at once; the workspace pool is guarded by its lock.
    let pointer: OpaquePointer
    let algorithm: ConvAlgorithm
    private let lock = NSLock()
    private var spareWorkspaces: [UnsafeMutableRawPointer] = []
    private var spareSizes: [Int] = []

    /// `modelWeightBytes`: the weights of the model the convolution runs in
    /// (0: unknown), which decide whether the plan takes them as staying in cache.
    init(
        descriptor: fovea_conv_desc, algorithm: fovea_conv_algorithm, weight: Tensor, bias: Tensor?,
        modelWeightBytes: Int = 0
    ) throws(FoveaError) {
        var desc = descriptor
        var plan: OpaquePointer?
        let status = fovea_conv_plan_create_in_model(
            &desc, algorithm, weight.readPointer, bias?.readPointer, Int64(modelWeightBytes), &plan)
        if status == FOVEA_STATUS_UNSUPPORTED {
            throw .unsupported("\(ConvAlgorithm(algorithm)) cannot compute this convolution (Winograd needs a 2-D 3x3 kernel, stride 1, no dilation, one group; depthwise needs groups equal to the input channels)")
        }
        try check(status, "preparing a convolution")
        guard let plan else { throw .kernelFailure("preparing a convolution returned no plan") }
        pointer = plan
        self.algorithm = ConvAlgorithm(fovea_conv_plan_algorithm(plan))
    }

    /// Runs the plan into `output` (already shaped), borrowing a workspace
    /// from the plan's pool so that repeated calls do not allocate.
    func run(_ descriptor: fovea_conv_desc, input: Tensor, output: UnsafeMutablePointer<Float>) throws(FoveaError) {
        var desc = descriptor
        var bytes = 0
        try check(fovea_conv_plan_workspace_size(pointer, &desc, &bytes), "convolution")
        let workspace = try borrowWorkspace(bytes)
        defer { returnWorkspace(workspace, bytes) }
        try check(fovea_conv_plan_run(pointer, &desc, input.readPointer, output, workspace, bytes), "convolution")
    }

    /// Runs the plan with `activation(convolution + residual)` as its output
    /// stage; the plan's own activation must be none and `residual` shaped as
    /// the output.
    func run(
        _ descriptor: fovea_conv_desc, input: Tensor, adding residual: Tensor, activation: Activation,
        output: UnsafeMutablePointer<Float>
    ) throws(FoveaError) {
        var desc = descriptor
        var bytes = 0
        var after = activation.cValue
        try check(fovea_conv_plan_workspace_size(pointer, &desc, &bytes), "convolution")
        let workspace = try borrowWorkspace(bytes)
        defer { returnWorkspace(workspace, bytes) }
        try check(
            fovea_conv_plan_run_residual(pointer, &desc, input.readPointer, residual.readPointer, &after, output, workspace, bytes),
            "convolution with a residual sum")
    }

    /// Whether `run(_:input:adding:activation:output:)` may write its output
    /// over the residual itself for these sizes (see
    /// `fovea_conv_plan_adds_residual_in_place`).
    func addsResidualInPlace(_ descriptor: fovea_conv_desc) -> Bool {
        var desc = descriptor
        var inPlace: Int32 = 0
        return fovea_conv_plan_adds_residual_in_place(pointer, &desc, &inPlace) == FOVEA_STATUS_SUCCESS && inPlace != 0
    }

    private func borrowWorkspace(_ bytes: Int) throws(FoveaError) -> UnsafeMutableRawPointer? {
        guard bytes > 0 else { return nil }
        lock.lock()
        if let index = spareSizes.firstIndex(where: { $0 >= bytes }) {
            let memory = spareWorkspaces.remove(at: index)
            spareSizes.remove(at: index)
            lock.unlock()
            return memory
        }
        lock.unlock()
        guard let memory = fovea_workspace_allocate(bytes) else { throw .kernelFailure("cannot allocate \(bytes) bytes of workspace") }
        return memory
    }

    private func returnWorkspace(_ memory: UnsafeMutableRawPointer?, _ bytes: Int) {
        guard let memory else { return }
        lock.lock()
        spareWorkspaces.append(memory)
        spareSizes.append(bytes)
        lock.unlock()
    }

    deinit {
        fovea_conv_plan_destroy(pointer)
        for memory in spareWorkspaces { fovea_workspace_free(memory) }
    }
}
