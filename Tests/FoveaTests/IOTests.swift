import Foundation
import Testing
@testable import Fovea

@Suite struct NumPyFileTests {
    @Test func roundTrip() throws {
        for shape in [[], [5], [2, 3], [2, 1, 3, 4]] as [[Int]] {
            let t = try Tensor.randomNormal(shape: shape, seed: 11)
            let data = try NumPyFile.encode(t)
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
        let good = try NumPyFile.encode(try Tensor.zeros(shape: [4, 4]))
        #expect(throws: FoveaError.self) { try NumPyFile.decode(Data()) }
        #expect(throws: FoveaError.self) { try NumPyFile.decode(Data("not numpy at all".utf8)) }
        #expect(throws: FoveaError.self) { try NumPyFile.decode(good.prefix(good.count - 1)) }
        #expect(throws: FoveaError.self) { try NumPyFile.decode(good.prefix(20)) }
        var wrongType = good
        wrongType.replaceSubrange(20..<23, with: Data("<c8".utf8))
        #expect(throws: FoveaError.self) { try NumPyFile.decode(wrongType) }
        #expect(throws: FoveaError.self) { try NumPyFile.read(contentsOf: URL(fileURLWithPath: "/nonexistent/x.npy")) }
    }

    @Test func aHeaderTooLongForVersion1IsWrittenAsVersion2() throws {
        // 30,000 axes of extent 1: a header of about 90 KB, past the 65,535
        // bytes version 1.0's 2-byte length can say.
        let t = try Tensor.ones(shape: Array(repeating: 1, count: 30_000))
        let data = try NumPyFile.encode(t)
        #expect(data[6] == 2 && data[7] == 0)
        let headerLength = (8..<12).reversed().reduce(0) { $0 << 8 | Int(data[$1]) }
        #expect(headerLength > 65_535)
        #expect((12 + headerLength) % 64 == 0)
        #expect(data.count == 12 + headerLength + 4)
        #expect(try NumPyFile.decode(data) == t)
        // Version 3.0 has the same layout (its header is UTF-8).
        var version3 = data
        version3[6] = 3
        #expect(try NumPyFile.decode(version3) == t)
        // A version 2.0 header length past the end of the file.
        var truncated = data.prefix(64)
        truncated.replaceSubrange(8..<12, with: Data([0xFF, 0xFF, 0xFF, 0xFF]))
        #expect(throws: FoveaError.self) { try NumPyFile.decode(truncated) }
        // Archives write their arrays the same way.
        #expect(try NumPyArchive.decode(try NumPyArchive.encode(["t": t]))["t"] == t)
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

    @Test func aHugeShapeThrows() throws {
        // 2^61 float32 elements: 2^63 bytes, which no Int holds. Whichever
        // check catches it (the element count or the byte count), it must be
        // an error about that tensor, not a trap.
        let header = #"{"a":{"dtype":"F32","shape":[2305843009213693952],"data_offsets":[0,0]}}"#
        var length = UInt64(header.utf8.count).littleEndian
        let data = Data(bytes: &length, count: 8) + Data(header.utf8)
        do {
            _ = try SafeTensorsFile.decode(data)
            Issue.record("a tensor of 2^61 float32 elements was accepted")
        } catch {
            #expect(error.message.contains("tensor 'a'"), "\(error.message)")
        }
    }

    @Test func decodesASliceOfALargerBuffer() throws {
        let a = try Tensor(shape: [3], scalars: [1, 2, 3])
        let bytes = try SafeTensorsFile(tensors: ["a": a], metadata: ["k": "v"]).encoded()
        // Slices keep their parent's indices: the file starts at `padding`, not 0.
        for padding in [3, 16, 100] {
            let buffer = Data(repeating: 0xAB, count: padding) + bytes + Data(repeating: 0xCD, count: 5)
            let slice = buffer[padding..<(padding + bytes.count)]
            #expect(slice.startIndex == padding)
            let decoded = try SafeTensorsFile.decode(slice)
            #expect(try decoded.tensor(named: "a") == a)
            #expect(decoded.metadata == ["k": "v"])
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
        let data = try NumPyArchive.encode(tensors)
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

    @Test func handmadeArchivesRead() throws {
        // The hostile archives below differ from these in one field each.
        let t = try Tensor(shape: [2], scalars: [1.5, -2])
        let npy = [UInt8](try NumPyFile.encode(t))
        #expect(try NumPyArchive.decode(handmadeZip(payload: npy))["a"] == t)
        #expect(try NumPyArchive.decode(handmadeZip(payload: npy, zip64Count: 1))["a"] == t)
        let size = UInt64(npy.count)
        #expect(try NumPyArchive.decode(handmadeZip(payload: npy, zip64Extra: [size, size, 0], zip64Count: 1))["a"] == t)
        // Deflated, expanding to exactly its declared size.
        #expect(try NumPyArchive.decode(handmadeZip(payload: storedDeflateBlock(npy), method: 8, declaredSize: npy.count))["a"] == t)
    }

    @Test func hostileZIP64FieldsThrow() throws {
        let npy = [UInt8](try NumPyFile.encode(try Tensor.zeros(shape: [2])))
        let size = UInt64(npy.count), huge: UInt64 = 0x7FFF_FFFF_FFFF_FFFF
        let archives: [(String, Data)] = [
            ("an entry count of all ones", handmadeZip(payload: npy, zip64Count: UInt64.max)),
            ("an entry count past the file", handmadeZip(payload: npy, zip64Count: UInt64(1) << 40)),
            ("a ZIP64 record offset of 2^63 - 1", handmadeZip(payload: npy, locatorOffset: huge)),
            ("a ZIP64 record offset of all ones", handmadeZip(payload: npy, locatorOffset: UInt64.max)),
            ("a directory offset of 2^63 - 1", handmadeZip(payload: npy, zip64Count: 1, zip64Directory: huge)),
            ("a local header offset of 2^63 - 1", handmadeZip(payload: npy, zip64Extra: [size, size, huge], zip64Count: 1)),
            ("a local header offset of all ones", handmadeZip(payload: npy, zip64Extra: [size, size, UInt64.max], zip64Count: 1)),
            ("stored sizes of 2^63 - 16", handmadeZip(payload: npy, zip64Extra: [huge - 15, huge - 15, 0], zip64Count: 1)),
            ("a compressed size of 2^63 - 16",
             handmadeZip(payload: storedDeflateBlock(npy), method: 8, zip64Extra: [size, huge - 15, 0], zip64Count: 1)),
            ("an uncompressed size of all ones",
             handmadeZip(payload: storedDeflateBlock(npy), method: 8, zip64Extra: [UInt64.max, UInt64(npy.count + 5), 0], zip64Count: 1)),
        ]
        for (what, archive) in archives {
            #expect(throws: FoveaError.self, "\(what)") { try NumPyArchive.decode(archive) }
        }
    }

    @Test func aDeflateBombStopsAtTheDeclaredSize() throws {
        // 258,001 bytes from about 1.7 KB, declared as 100.
        let bomb = handmadeZip(payload: repeatedByteStream(copies: 1_000), method: 8, declaredSize: 100)
        do {
            _ = try NumPyArchive.decode(bomb)
            Issue.record("an entry inflating past its declared size was accepted")
        } catch {
            #expect(error.message.contains("more than the 100 bytes"), "\(error.message)")
        }
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

    @Test func gzipHeaderFieldsAreSkipped() throws {
        let text = Array("hello, gzip".utf8)
        let member = storedDeflateBlock(text) + [UInt8](repeating: 0, count: 8)  // CRC-32 and size (not checked)
        // FEXTRA of 0x01FE bytes: reading its length as (2 + 0xFE) | 0x01 << 8
        // would start the stream inside the field, at an invalid block (0x07).
        var extra: [UInt8] = [0x1F, 0x8B, 8, 0x04, 0, 0, 0, 0, 0, 3, 0xFE, 0x01]
        extra += [UInt8](repeating: 0x07, count: 0x01FE)
        #expect(try Inflate.gunzip(extra + member, name: "extra") == text)
        // Every optional field: FEXTRA, FNAME, FCOMMENT and FHCRC.
        var all: [UInt8] = [0x1F, 0x8B, 8, 0x04 | 0x08 | 0x10 | 0x02, 0, 0, 0, 0, 0, 3, 3, 0, 9, 9, 9]
        all += Array("name.txt".utf8) + [0]
        all += Array("a comment".utf8) + [0]
        all += [0xAA, 0xBB]
        #expect(try Inflate.gunzip(all + member, name: "all") == text)
        // Fields running past the end of the data.
        var longExtra: [UInt8] = [0x1F, 0x8B, 8, 0x04, 0, 0, 0, 0, 0, 3, 0xFF, 0xFF]
        longExtra += [UInt8](repeating: 0, count: 20)
        #expect(throws: FoveaError.self) { try Inflate.gunzip(longExtra, name: "long extra") }
        var endlessName: [UInt8] = [0x1F, 0x8B, 8, 0x08, 0, 0, 0, 0, 0, 3]
        endlessName += [UInt8](repeating: 0x41, count: 20)
        #expect(throws: FoveaError.self) { try Inflate.gunzip(endlessName, name: "endless name") }
        // A caller's limit.
        #expect(throws: FoveaError.self) { try Inflate.gunzip(extra + member, name: "limited", limit: text.count - 1) }
        #expect(try Inflate.gunzip(extra + member, name: "limited", limit: text.count) == text)
    }

    @Test func inflateStopsAtItsLimit() throws {
        let stream = repeatedByteStream(copies: 1_000)
        let expanded = [UInt8](repeating: 0x61, count: 1 + 258 * 1_000)
        #expect(try Inflate.inflate(stream, from: 0, name: "run", limit: expanded.count) == expanded)
        #expect(throws: FoveaError.self) { try Inflate.inflate(stream, from: 0, name: "run", limit: expanded.count - 1) }
        #expect(throws: FoveaError.self) { try Inflate.inflate(stream, from: 0, name: "run", limit: 0) }
        // A stored block longer than the limit.
        let stored = storedDeflateBlock([UInt8](repeating: 7, count: 300))
        #expect(throws: FoveaError.self) { try Inflate.inflate(stored, from: 0, name: "stored", limit: 299) }
        #expect(try Inflate.inflate(stored, from: 0, name: "stored", limit: 300).count == 300)
    }
}

@Suite struct DarknetWeightsTests {
    @Test func aLayerTooLargeForAnyFileThrows() throws {
        // A bias of 2^61 floats: 2^63 bytes, which no Int holds. Whichever
        // check catches it (the configuration's bounds, the element count or
        // the byte count), it must be an error, not a trap.
        let configuration = try DarknetConfiguration(
            parsing: "[net]\nchannels=3\n[convolutional]\nfilters=2305843009213693952\nsize=1\n")
        // The header: major 0, minor 2, revision 0, then 8 bytes of images seen.
        let header = Data([0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 8))
        #expect(throws: FoveaError.self) { try Darknet.readWeights(header, configuration: configuration) }
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

// MARK: - Hand-made compressed data and archives

/// A DEFLATE stream of one stored (uncompressed) block holding `bytes` (at most 65,535).
private func storedDeflateBlock(_ bytes: [UInt8]) -> [UInt8] {
    let length = UInt16(bytes.count)
    return [0x01, UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8(~length >> 8)] + bytes
}

/// A DEFLATE stream (fixed codes) of one "a" then `copies` back-references of
/// 258 bytes at distance 1: 1 + 258 * copies bytes of "a" from about 13 bits each.
private func repeatedByteStream(copies: Int) -> [UInt8] {
    var bytes = [UInt8](), bitCount = 0
    func bits(_ value: Int, _ count: Int) {  // least significant bit first
        for i in 0..<count {
            if bitCount % 8 == 0 { bytes.append(0) }
            if (value >> i) & 1 == 1 { bytes[bytes.count - 1] |= UInt8(1 << (bitCount % 8)) }
            bitCount += 1
        }
    }
    func code(_ value: Int, _ count: Int) {  // Huffman codes go most significant bit first
        for i in (0..<count).reversed() { bits((value >> i) & 1, 1) }
    }
    bits(1, 1)  // the last block
    bits(1, 2)  // fixed Huffman codes
    code(0x30 + 0x61, 8)  // literal "a"
    for _ in 0..<copies {
        code(0xC0 + 5, 8)  // length symbol 285: 258 bytes
        code(0, 5)  // distance symbol 0: distance 1
    }
    code(0, 7)  // end of block
    return bytes
}

/// Little-endian fields appended one by one.
private struct FieldWriter {
    var bytes = [UInt8]()
    mutating func put(_ value: UInt64, _ size: Int) {
        for i in 0..<size { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(8 * i))) }
    }
    mutating func put(_ raw: [UInt8]) { bytes += raw }
}

/// A ZIP archive holding `payload` as "a.npy", written field by field so that
/// a test can make any one field hostile. With `zip64Extra` (uncompressed
/// size, compressed size, local header offset) the central directory's
/// 32-bit fields read 0xFFFFFFFF; with any of `zip64Count`, `zip64Directory`
/// or `locatorOffset` the end record points to a ZIP64 end record.
private func handmadeZip(
    payload: [UInt8], method: UInt64 = 0, declaredSize: Int? = nil, zip64Extra: [UInt64]? = nil,
    zip64Count: UInt64? = nil, zip64Directory: UInt64? = nil, locatorOffset: UInt64? = nil
) -> Data {
    let name = Array("a.npy".utf8)
    let size = UInt64(declaredSize ?? payload.count), compressed = UInt64(payload.count)
    let all: UInt64 = 0xFFFF_FFFF
    var zip = FieldWriter()
    // Local header: signature, version, flags, method, time, date, CRC, sizes, name and extra lengths.
    zip.put(0x0403_4B50, 4); zip.put(20, 2); zip.put(0, 2); zip.put(method, 2); zip.put(0, 2); zip.put(0x21, 2)
    zip.put(0, 4); zip.put(compressed, 4); zip.put(size, 4); zip.put(UInt64(name.count), 2); zip.put(0, 2)
    zip.put(name)
    zip.put(payload)
    // Central directory entry.
    let directory = UInt64(zip.bytes.count)
    var extra = FieldWriter()
    if let values = zip64Extra {
        extra.put(1, 2); extra.put(UInt64(8 * values.count), 2)
        for value in values { extra.put(value, 8) }
    }
    zip.put(0x0201_4B50, 4); zip.put(20, 2); zip.put(20, 2); zip.put(0, 2); zip.put(method, 2); zip.put(0, 2); zip.put(0x21, 2)
    zip.put(0, 4); zip.put(zip64Extra == nil ? compressed : all, 4); zip.put(zip64Extra == nil ? size : all, 4)
    zip.put(UInt64(name.count), 2); zip.put(UInt64(extra.bytes.count), 2); zip.put(0, 2)  // name, extra, comment lengths
    zip.put(0, 2); zip.put(0, 2); zip.put(0, 4)  // disk, attributes
    zip.put(zip64Extra == nil ? 0 : all, 4)  // local header offset
    zip.put(name)
    zip.put(extra.bytes)
    let directorySize = UInt64(zip.bytes.count) - directory
    var count: UInt64 = 1, directoryField = directory
    if zip64Count != nil || zip64Directory != nil || locatorOffset != nil {
        // ZIP64 end record: signature, its size, versions, disks, counts, directory size and offset.
        let record = UInt64(zip.bytes.count)
        zip.put(0x0606_4B50, 4); zip.put(44, 8); zip.put(45, 2); zip.put(45, 2); zip.put(0, 4); zip.put(0, 4)
        zip.put(zip64Count ?? 1, 8); zip.put(zip64Count ?? 1, 8); zip.put(directorySize, 8); zip.put(zip64Directory ?? directory, 8)
        // ZIP64 locator: signature, disk, the record's offset, disk count.
        zip.put(0x0706_4B50, 4); zip.put(0, 4); zip.put(locatorOffset ?? record, 8); zip.put(1, 4)
        (count, directoryField) = (0xFFFF, all)
    }
    // End of central directory: signature, disks, counts, directory size and offset, comment length.
    zip.put(0x0605_4B50, 4); zip.put(0, 2); zip.put(0, 2); zip.put(count, 2); zip.put(count, 2)
    zip.put(directorySize, 4); zip.put(directoryField, 4); zip.put(0, 2)
    return Data(zip.bytes)
}
