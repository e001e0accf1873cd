internal import CKernels

/// An instruction-set level the kernels can be compiled for.
///
/// Levels are ordered within an architecture: a higher level may use everything
/// below it. NEON is the only SIMD level on ARM.
public enum InstructionSet: String, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    /// Portable C++ with no intrinsics.
    case scalar
    /// AArch64 Advanced SIMD.
    case neon
    /// AVX2 with FMA3.
    case avx2
    /// AVX-512 F, BW, VL and DQ.
    case avx512

    init(_ isa: fovea_isa) {
        switch isa {
        case FOVEA_ISA_NEON: self = .neon
        case FOVEA_ISA_AVX2: self = .avx2
        case FOVEA_ISA_AVX512: self = .avx512
        default: self = .scalar
        }
    }

    var cValue: fovea_isa {
        switch self {
        case .scalar: return FOVEA_ISA_SCALAR
        case .neon: return FOVEA_ISA_NEON
        case .avx2: return FOVEA_ISA_AVX2
        case .avx512: return FOVEA_ISA_AVX512
        }
    }

    private var order: Int {
        switch self {
        case .scalar: return 0
        case .neon: return 1
        case .avx2: return 1
        case .avx512: return 2
        }
    }

    /// Orders levels by capability (NEON and AVX2 are both one step above scalar).
    public static func < (lhs: InstructionSet, rhs: InstructionSet) -> Bool { lhs.order < rhs.order }

    /// The name `FOVEA_ISA` takes (`avx2`, `scalar`, ...).
    public var description: String { rawValue }
}

/// A family of kernels that shares one dispatch table.
public enum KernelFamily: Int, Sendable, CaseIterable, CustomStringConvertible {
    case gemm, convolution, transposedConvolution, pooling, normalization
    case activation, elementwise, layout, resize, gram

    var cValue: fovea_family { fovea_family(rawValue: UInt32(rawValue)) }

    /// The family's short name, as `fovea info` prints it.
    public var description: String { String(cString: fovea_family_name(cValue)) }
}

/// The CPU the library runs on and the kernels it chose.
public enum CPU {
    /// Named CPU features the library looks for and found.
    public static var features: [String] {
        let mask = fovea_cpu_features()
        let names: [(UInt32, String)] = [
            (UInt32(FOVEA_CPU_FEATURE_AVX2), "avx2"), (UInt32(FOVEA_CPU_FEATURE_FMA3), "fma3"),
            (UInt32(FOVEA_CPU_FEATURE_F16C), "f16c"),
            (UInt32(FOVEA_CPU_FEATURE_AVX512F), "avx512f"),
            (UInt32(FOVEA_CPU_FEATURE_AVX512BW), "avx512bw"),
            (UInt32(FOVEA_CPU_FEATURE_AVX512VL), "avx512vl"),
            (UInt32(FOVEA_CPU_FEATURE_AVX512DQ), "avx512dq"),
            (UInt32(FOVEA_CPU_FEATURE_NEON), "neon"),
        ]
        return names.filter { mask & $0.0 != 0 }.map(\.1)
    }

    /// The highest level this CPU supports.
    public static var detectedInstructionSet: InstructionSet { InstructionSet(fovea_isa_detected()) }

    /// Every level this machine can run, lowest first (always includes `.scalar`).
    public static var availableInstructionSets: [InstructionSet] {
        let detected = detectedInstructionSet
        switch detected {
        case .scalar: return [.scalar]
        case .neon: return [.scalar, .neon]
        case .avx2: return [.scalar, .avx2]
        case .avx512: return [.scalar, .avx2, .avx512]
        }
    }

    /// The level kernels are chosen for. Setting it caps the level (a value
    /// above what the CPU supports is clamped to it); the `FOVEA_ISA`
    /// environment variable (`avx512`, `avx2`, `neon`, `scalar`) sets the
    /// initial cap. Set it before running models: a kernel running on another
    /// thread while it changes may finish with either level's code.
    public static var instructionSet: InstructionSet {
        get { InstructionSet(fovea_isa_active()) }
        set { fovea_isa_set_cap(newValue.cValue) }
    }

    /// The level of the implementation each kernel family uses now.
    public static func instructionSet(of family: KernelFamily) -> InstructionSet {
        InstructionSet(fovea_family_isa(family.cValue))
    }
}

/// The library's thread pool.
public enum Threads {
    /// The number of threads kernels may use; 1 runs on the calling thread only.
    /// A layer's results are bit-identical for any count; ``ConvAlgorithm/auto``
    /// weighs the count when a layer first runs at a shape, so layers first
    /// run under different counts may choose differently.
    public static var count: Int { Int(fovea_threads_get()) }

    /// The number of cores the library sees (the default thread count).
    public static var hardwareCount: Int { Int(fovea_threads_hardware()) }

    /// Sets the number of threads (0 means one per core).
    ///
    /// - Throws: ``FoveaError/invalidParameter(_:)`` for a negative count or
    ///   one above 1024.
    public static func setCount(_ count: Int) throws(FoveaError) {
        guard count >= 0, count <= 1024 else {
            throw .invalidParameter("thread count must be between 0 and 1024, got \(count)")
        }
        try check(fovea_threads_set(Int32(count)), "setting the thread count")
    }
}

/// Turns a kernel status into an error. Kernels only fail for reasons the Swift
/// layer could not check (memory, internal errors).
func check(_ status: fovea_status, _ operation: String) throws(FoveaError) {
    guard status != FOVEA_STATUS_SUCCESS else { return }
    let reason = String(cString: fovea_status_describe(status))
    switch status {
    case FOVEA_STATUS_INVALID_ARGUMENT: throw .invalidParameter("\(operation): \(reason)")
    case FOVEA_STATUS_UNSUPPORTED: throw .unsupported("\(operation): \(reason)")
    default: throw .kernelFailure("\(operation): \(reason)")
    }
}
