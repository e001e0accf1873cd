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
        #expect(try Tensor.zeros(shape: [2, 2]).scalars == [0, 0, 0, 0])
        #expect(try Tensor(repeating: 3, shape: [3]).scalars == [3, 3, 3])
        #expect(Tensor(scalar: 4).shape == [])
        #expect(Tensor(scalar: 4).scalar == 4)
    }

    @Test func storageIsAlignedTo64Bytes() throws {
        for count in [1, 3, 17, 1000] {
            let t = try Tensor.zeros(shape: [count])
            t.withUnsafeBufferPointer { #expect(Int(bitPattern: $0.baseAddress!) % 64 == 0) }
        }
    }

    @Test func valueSemantics() throws {
        let a = try Tensor(shape: [3], scalars: [1, 2, 3])
        var b = a
        try b.setValue(7, at: [0])
        #expect(a.scalars == [1, 2, 3])
        #expect(b.scalars == [7, 2, 3])
        var c = a
        c.withUnsafeMutableBufferPointer { $0[2] = 0 }
        #expect(a.scalars == [1, 2, 3])
    }

    @Test func seededRandomIsReproducible() throws {
        let a = try Tensor.randomNormal(shape: [1000], seed: 42)
        let b = try Tensor.randomNormal(shape: [1000], seed: 42)
        let c = try Tensor.randomNormal(shape: [1000], seed: 43)
        #expect(a == b)
        #expect(a != c)
        let mean = a.scalars.reduce(0, +) / 1000
        let variance = a.scalars.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 1000
        #expect(abs(mean) < 0.1 && abs(variance - 1) < 0.15)
        let u = try Tensor.randomUniform(shape: [1000], in: -2...3, seed: 1)
        #expect(u.scalars.allSatisfy { $0 >= -2 && $0 < 3 })
    }

    @Test func reshapeAndBatches() throws {
        let t = try Tensor(shape: [3, 2, 2], scalars: (0..<12).map(Float.init))
        #expect(try t.reshaped(to: [6, -1]).shape == [6, 2])
        #expect(try t.batch(1).scalars == [4, 5, 6, 7])
        #expect(try t.batch(1..<3).shape == [2, 2, 2])
        #expect(try Tensor.stacking(batches: [t.batch(0), t.batch(2)]).scalars == [0, 1, 2, 3, 8, 9, 10, 11])
    }

    @Test func badInputThrowsReadableErrors() throws {
        #expect(throws: FoveaError.self) { try Tensor(shape: [2, 2], scalars: [1, 2, 3]) }
        #expect(throws: FoveaError.self) { try Tensor.zeros(shape: [-1]) }
        #expect(throws: FoveaError.self) { try Tensor.zeros(shape: [Int.max, 4]) }
        let t = try Tensor.zeros(shape: [2, 3])
        #expect(throws: FoveaError.self) { try t.value(at: [2, 0]) }
        #expect(throws: FoveaError.self) { try t.value(at: [0]) }
        #expect(throws: FoveaError.self) { try t.reshaped(to: [4, 2]) }
        #expect(throws: FoveaError.self) { try t.reshaped(to: [-1, -1]) }
        #expect(throws: FoveaError.self) { try t.batch(1..<3) }
        do {
            _ = try Tensor(shape: [2, 2], scalars: [1, 2, 3])
        } catch {
            #expect(error.description.contains("needs 4 values, 3 were given"))
        }
    }
}

@Suite struct LayoutConversionTests {
    @Test func channelsFirstAndLastRoundTrip() throws {
        // NCHW [1, 2, 2, 3]: channel 0 holds 0..5, channel 1 holds 6..11.
        let nchw = try Tensor(shape: [1, 2, 2, 3], scalars: (0..<12).map(Float.init))
        let nhwc = try nchw.nchwToNHWC()
        #expect(nhwc.shape == [1, 2, 3, 2])
        #expect(Array(nhwc.scalars.prefix(4)) == [0, 6, 1, 7])
        #expect(try nhwc.nhwcToNCHW() == nchw)
        let volume = try Tensor.randomUniform(shape: [2, 3, 4, 5, 6], seed: 9)
        #expect(try volume.nchwToNHWC().shape == [2, 4, 5, 6, 3])
        #expect(try volume.nchwToNHWC().nhwcToNCHW() == volume)
    }

    @Test func weightsConvertBetweenOIHWAndHWIO() throws {
        let oihw = try Tensor.randomUniform(shape: [4, 3, 2, 5], seed: 3)
        let hwio = try oihw.oihwToHWIO()
        #expect(hwio.shape == [2, 5, 3, 4])
        #expect(try hwio.value(at: [1, 4, 2, 3]) == oihw.value(at: [3, 2, 1, 4]))
        #expect(try hwio.hwioToOIHW() == oihw)
    }

    @Test func convolutionAgreesAcrossLayouts() throws {
        // A 2x2 all-ones kernel summing a 3x3 ramp: each output is a 2x2 window sum.
        let image = try Tensor(shape: [1, 3, 3, 1], scalars: (1...9).map(Float.init))
        let weight = try Tensor.ones(shape: [2, 2, 1, 1])
        let y = try conv2d(image, weight: weight)
        #expect(y.shape == [1, 2, 2, 1])
        #expect(y.scalars == [12, 16, 24, 28])
        // The same through PyTorch's layout and back.
        let asTorch = try weight.hwioToOIHW().oihwToHWIO()
        #expect(try conv2d(image, weight: asTorch) == y)
    }
}
