import Foundation
import Testing
@testable import Fovea

@Suite struct NumPyFileTests {
    @Test func roundTrip() throws {
        for shape in [[], [5], [2, 3], [2, 1, 3, 4]] as [[Int]] {
            let t = try Tensor.randomNormal(shape: shape, seed: 11)
            let data = NumPyFile.encode(t)
            // The format's alignment rule: data starts on a 64-byte boundary.
            let headerLength = Int(data[8]) | Int(data[9]) << 8
            #expect((10 + headerLength) % 64 == 0)
            #expect(try NumPyFile.decode(data) == t)
        }
    }

    @Test func readsAConformanceFile() throws {
        let t = try NumPyFile.read(contentsOf: Fixtures.conformance.appendingPathComponent("onnx_node_relu/X.npy"))
        #expect(t.shape == [3, 4, 5])
    }

    @Test func readsOtherElementTypesAndFortranOrder() throws {
        func npy(_ descr: String, fortran: Bool, shape: String, payload: [UInt8]) -> Data {
            var header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shape), }"
            header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
            let length = header.utf8.count
            return Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(header.utf8) + payload)
        }
        let bytes = try NumPyFile.decode(npy("|u1", fortran: false, shape: "(3,)", payload: [0, 7, 255]))
        #expect(bytes.scalars == [0, 7, 255])
        var doubles = [UInt8]()
        for v in [1.5, -2.0] as [Double] { withUnsafeBytes(of: v.bitPattern.littleEndian) { doubles += $0 } }
        #expect(try NumPyFile.decode(npy("<f8", fortran: false, shape: "(2,)", payload: doubles)).scalars == [1.5, -2])
        // Fortran order [2, 3]: stored column by column.
        var columns = [UInt8]()
        for v in [1, 4, 2, 5, 3, 6] as [Float] { withUnsafeBytes(of: v.bitPattern.littleEndian) { columns += $0 } }
        let fortran = try NumPyFile.decode(npy("<f4", fortran: true, shape: "(2, 3)", payload: columns))
        #expect(fortran.shape == [2, 3])
        #expect(fortran.scalars == [1, 2, 3, 4, 5, 6])
    }

    @Test func malformedFilesThrow() throws {
        let good = NumPyFile.encode(try Tensor.zeros(shape: [4, 4]))
        #expect(throws: FoveaError.self) { try NumPyFile.decode(Data()) }
        #expect(throws: FoveaError.self) { try NumPyFile.decode(Data("not numpy at all".utf8)) }
        #expect(throws: FoveaError.self) { try NumPyFile.decode(good.prefix(good.count - 1)) }
        #expect(throws: FoveaError.self) { try NumPyFile.decode(good.prefix(20)) }
        var wrongType = good
        wrongType.replaceSubrange(20..<23, with: Data("<c8".utf8))
        #expect(throws: FoveaError.self) { try NumPyFile.decode(wrongType) }
        #expect(throws: FoveaError.self) { try NumPyFile.read(contentsOf: URL(fileURLWithPath: "/nonexistent/x.npy")) }
    }
}

@Suite struct SafeTensorsFileTests {
    @Test func roundTripInEveryElementType() throws {
        let values = try Tensor(shape: [2, 3], scalars: [0, 1, -2.5, 3.25, 100, 0.0078125])
        let bytes = try Tensor(shape: [4], scalars: [0, 1, 128, 255])
        let file = SafeTensorsFile(
            tensors: ["f32": values, "f16": values, "bf16": values, "u8": bytes, "f64": values],
            elementTypes: ["f16": .float16, "bf16": .bfloat16, "u8": .uint8, "f64": .float64],
            metadata: ["format": "pt"])
        let decoded = try SafeTensorsFile.decode(try file.encoded())
        #expect(decoded.metadata == ["format": "pt"])
        // These values are exact in every float format used.
        for name in ["f32", "f16", "bf16", "f64"] { #expect(try decoded.tensor(named: name) == values) }
        #expect(try decoded.tensor(named: "u8") == bytes)
        #expect(decoded.elementTypes["f16"] == .float16)
        #expect(decoded.elementTypes["u8"] == .uint8)
        #expect(throws: FoveaError.self) { try decoded.tensor(named: "missing") }
    }

    @Test func narrowFormatsRoundToNearest() {
        #expect(HalfFloat.toFloat(HalfFloat.fromFloat(1 + 1.0 / 4096)) == 1)
        #expect(HalfFloat.toFloat(HalfFloat.fromFloat(65504)) == 65504)
        #expect(HalfFloat.toFloat(HalfFloat.fromFloat(1e6)) == .infinity)
        #expect(HalfFloat.toFloat(HalfFloat.fromFloat(-5.960464477539063e-08)) == -5.960464477539063e-08)
        #expect(HalfFloat.toFloat(HalfFloat.fromFloat(.nan)).isNaN)
        #expect(BFloat16.toFloat(BFloat16.fromFloat(1.00390625)) == 1)
        #expect(BFloat16.toFloat(BFloat16.fromFloat(3.0)) == 3)
        // Every half value survives a round trip through float.
        for bits in stride(from: UInt16(0), to: 0x7C00, by: 7) {
            #expect(HalfFloat.fromFloat(HalfFloat.toFloat(bits)) == bits)
        }
    }

    @Test func malformedFilesThrowWithClearMessages() throws {
        let good = try SafeTensorsFile(tensors: ["a": try Tensor.ones(shape: [3]), "b": try Tensor.ones(shape: [2])]).encoded()
        #expect(throws: FoveaError.self) { try SafeTensorsFile.decode(Data([1, 2, 3])) }
        #expect(throws: FoveaError.self) { try SafeTensorsFile.decode(good.prefix(good.count - 4)) }
        var hugeHeader = good
        hugeHeader.replaceSubrange(0..<8, with: Data([0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0]))
        #expect(throws: FoveaError.self) { try SafeTensorsFile.decode(hugeHeader) }
        func file(_ header: String, dataBytes: Int) -> Data {
            var length = UInt64(header.utf8.count).littleEndian
            return Data(bytes: &length, count: 8) + Data(header.utf8) + Data(count: dataBytes)
        }
        let cases: [(String, Int, String)] = [
            (#"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}"#, 4, "outside"),
            (#"{"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}"#, 8, "needs 12 bytes"),
            (#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [2, 6]}}"#, 8, "overlaps"),
            (#"{"a": {"dtype": "Q7", "shape": [1], "data_offsets": [0, 4]}}"#, 4, "dtype"),
            (#"{"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}"#, 4, "shape"),
            (#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#, 8, "not described"),
            (#"["not", "an", "object"]"#, 0, "not a JSON object"),
            (#"{"a": "#, 0, "not valid JSON"),
        ]
        for (header, bytes, expected) in cases {
            do {
                _ = try SafeTensorsFile.decode(file(header, dataBytes: bytes))
                Issue.record("\(header) was accepted")
            } catch {
                #expect(error.message.contains(expected), "\(header): \(error.message)")
            }
        }
    }

    @Test func fileRoundTrip() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fovea-\(UInt64.random(in: 0...UInt64.max)).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        let weights = try Tensor.randomNormal(shape: [3, 3, 4, 8], seed: 5)
        try SafeTensorsFile(tensors: ["conv.weight": weights]).write(to: url)
        #expect(try SafeTensorsFile.read(contentsOf: url).tensor(named: "conv.weight") == weights)
        #expect(throws: FoveaError.self) { try SafeTensorsFile.read(contentsOf: url.appendingPathExtension("missing")) }
    }
}

@Suite struct NumPyArchiveTests {
    static let folder = Fixtures.root.appendingPathComponent("io")

    @Test func readsWhatNumPySavezWrites() throws {
        let arrays = try NumPyArchive.read(contentsOf: Self.folder.appendingPathComponent("plain.npz"))
        #expect(Set(arrays.keys) == ["a", "b", "c"])
        #expect(arrays["a"]?.shape == [2, 3] && arrays["a"]?.scalars == [0, 1, 2, 3, 4, 5])
        #expect(arrays["b"]?.scalars == [1.5, 2.5])
        #expect(arrays["c"]?.shape == [2, 2, 2] && arrays["c"]?.scalars == Array(repeating: 1, count: 8))
    }

    @Test func roundTripsAndRefusesWhatItCannotRead() throws {
        let tensors = ["w": try Tensor.randomUniform(shape: [3, 4], seed: 1), "b": try Tensor.zeros(shape: [4])]
        let data = NumPyArchive.encode(tensors)
        let back = try NumPyArchive.decode(data)
        #expect(back["w"] == tensors["w"] && back["b"] == tensors["b"])
        #expect(throws: FoveaError.self) { try NumPyArchive.decode(data.dropLast(30)) }
        #expect(throws: FoveaError.self) { try NumPyArchive.decode(Data("not a zip".utf8)) }
        // numpy.savez_compressed deflates its entries.
        let compressed = try NumPyArchive.read(contentsOf: Self.folder.appendingPathComponent("comp.npz"))
        #expect(compressed["a"]?.scalars == [0, 1, 2, 3, 4, 5])
    }

    @Test func modelWeightsLoadFromAnArchive() throws {
        let model = try ModelName.lenet5.build(weights: .random(seed: 2))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fovea-lenet-\(UInt32.random(in: 0...UInt32.max)).npz")
        defer { try? FileManager.default.removeItem(at: url) }
        try NumPyArchive.write(model.parameters, to: url)
        let loaded = try ModelName.lenet5.build(weights: try .read(contentsOf: url, convention: .fovea))
        let x = try Tensor.randomUniform(shape: [1, 32, 32, 1], seed: 3)
        #expect(try loaded(x) == model(x))
    }
}

@Suite struct IDXAndGzipTests {
    static let folder = Fixtures.root.appendingPathComponent("io")

    @Test func readsGzipCompressedIDXFiles() throws {
        let expected = try NumPyFile.read(contentsOf: Self.folder.appendingPathComponent("images-expected.npy"))
        for file in ["images-idx3-ubyte.gz", "images-stored-idx3-ubyte.gz"] {
            let images = try IDXFile.read(contentsOf: Self.folder.appendingPathComponent(file))
            #expect(images == expected, "\(file)")
        }
    }

    @Test func corruptDataIsRefused() throws {
        let bytes = [UInt8](try Data(contentsOf: Self.folder.appendingPathComponent("images-idx3-ubyte.gz")))
        #expect(throws: FoveaError.self) { try Inflate.gunzip(Array(bytes.prefix(bytes.count / 2)), name: "half") }
        #expect(throws: FoveaError.self) { try Inflate.gunzip([1, 2, 3], name: "junk") }
        #expect(throws: FoveaError.self) { try IDXFile.decode([0, 0, 8, 1, 0, 0, 0, 5, 1, 2], name: "short") }
        #expect(throws: FoveaError.self) { try IDXFile.decode([0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0], name: "floats") }
    }
}

@Suite struct DatasetTests {
    @Test func readsTheMLxtendDigitLayoutAndHoldsOutAFifth() throws {
        let folder = Fixtures.root.appendingPathComponent("io")
        let (train, test) = try LabelledImages.mnist5k(file: folder.appendingPathComponent("digits-10.csv.gz"), seed: 3)
        #expect(train.count == 8 && test.count == 2)
        #expect(Set(train.labels + test.labels) == Set(0..<10))
        let first = try NumPyFile.read(contentsOf: folder.appendingPathComponent("digits-10-first.npy")).scalars
        var found = false
        for data in [train, test] {
            for i in 0..<data.count where data.labels[i] == 0 {
                if try data.subset([i]).images.scalars == first { found = true }
            }
        }
        #expect(found)
        #expect(throws: FoveaError.self) { try LabelledImages.mnist5k(file: folder.appendingPathComponent("plain.npz")) }
        let batches = try train.batches(size: 3, shuffledWith: 1)
        #expect(batches.map(\.count) == [3, 3, 2] && Set(batches.flatMap { $0 }) == Set(0..<8))
    }
}
