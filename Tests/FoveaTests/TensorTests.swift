import Testing
@testable import Fovea

@Suite struct TensorTests {
    @Test func creationAndAccess() throws {
        var t = try Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        #expect(t.rank == 2)
        #expect(t.count == 6)
        #expect(try t.value(at: [1, 2]) == 6)
        try t.setValue(9, at: [0, 1])
        #expect(t.scalars == [1, 9, 3, 4, 5, 6])
    }
}
