internal import CKernels

/// The 64-byte-aligned buffer behind a ``Tensor``.
///
/// Tensors share a storage until one of them is mutated (copy on write), so the
/// buffer is only ever written while uniquely referenced; that is what makes
/// the unchecked `Sendable` sound.
final class TensorStorage: @unchecked Sendable {
    static let alignment = 64

    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    private init(pointer: UnsafeMutablePointer<Float>, count: Int) {
        self.pointer = pointer
        self.count = count
    }

    /// Allocates uninitialised storage; callers fill it before anyone reads it.
    static func allocate(count: Int) throws(FoveaError) -> TensorStorage {
        let (bytes, overflow) = max(count, 1).multipliedReportingOverflow(by: MemoryLayout<Float>.stride)
        // The kernels' allocator: 64-byte aligned, huge pages for large tensors.
        guard count >= 0, !overflow, let raw = fovea_workspace_allocate(bytes) else {
            throw .invalidParameter("cannot allocate a tensor of \(count) elements")
        }
        let pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        return TensorStorage(pointer: pointer, count: count)
    }

    static func allocate(repeating value: Float, count: Int) throws(FoveaError) -> TensorStorage {
        let storage = try allocate(count: count)
        storage.pointer.initialize(repeating: value, count: max(count, 1))
        return storage
    }

    /// A copy for copy-on-write. A failure here is an out-of-memory condition
    /// on a buffer that already exists once; it is reported like Swift's own
    /// allocator reports one.
    func copy() -> TensorStorage {
        guard let other = try? TensorStorage.allocate(count: count) else {
            fatalError("Fovea: out of memory copying a tensor of \(count) elements")
        }
        other.pointer.update(from: pointer, count: max(count, 1))
        return other
    }

    deinit {
        fovea_workspace_free(pointer)
    }
}
