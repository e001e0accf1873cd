import Foundation
import Testing
@testable import Fovea

extension ISASweep {
    /// Dataset files, the batch pipeline (adapter, prefetch) and checkpoints.
    /// Under ISASweep: resuming is compared bit for bit, which another test
    /// changing the instruction-set cap meanwhile would break.
    @Suite struct TrainingPipelineTests {
        static func scratch(_ name: String) -> URL {
            FileManager.default.temporaryDirectory.appendingPathComponent("fovea-pipeline-\(ProcessInfo.processInfo.processIdentifier)-\(name)")
        }

        @Test func datasetFilesOfEveryKind() throws {
            // Keras' layout, uint8 pixels: scaled to [0, 1], classes from the labels.
            var pixels = [Float]()
            for i in 0..<(12 * 5 * 4) { pixels.append(Float(i % 256)) }
            let x = try Tensor(shape: [12, 5, 4], scalars: pixels)
            let y = try Tensor(shape: [12], scalars: (0..<12).map { Float($0 % 4) })
            let npz = Self.scratch("keras.npz")
            try NumPyArchive.write(["x_train": x, "y_train": y, "x_test": x, "y_test": y], to: npz)
            let (train, test) = try LabelledImages.load(from: npz)
            #expect(train.images.shape == [12, 5, 4, 1] && test.count == 12 && train.classes == 4)
            #expect(abs(train.images.scalars[239] - 239 / 255) < 1e-6 && train.images.scalars.max()! <= 1)
            // Just x and y: a fifth held out.
            let st = Self.scratch("plain.safetensors")
            try SafeTensorsFile(tensors: ["x": try x.reshaped(to: [12, 5, 4, 1]), "y": y]).write(to: st)
            let (a, b) = try LabelledImages.load(from: st, seed: 2)
            #expect(a.count == 10 && b.count == 2 && a.classes == 4)
            // An IDX folder (the fixture's images, a label file made here).
            let folder = Self.scratch("idx")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let images = try Data(contentsOf: Fixtures.root.appendingPathComponent("io/images-idx3-ubyte.gz"))
            let count = try IDXFile.read(contentsOf: Fixtures.root.appendingPathComponent("io/images-idx3-ubyte.gz")).shape[0]
            for prefix in ["train", "t10k"] {
                try images.write(to: folder.appendingPathComponent("\(prefix)-images-idx3-ubyte.gz"))
                try Data([0, 0, 8, 1, 0, 0, 0, UInt8(count)] + (0..<count).map { UInt8($0 % 3) })
                    .write(to: folder.appendingPathComponent("\(prefix)-labels-idx1-ubyte"))
            }
            let (idxTrain, _) = try LabelledImages.load(from: folder)
            #expect(idxTrain.count == count && idxTrain.classes == min(count, 3) && idxTrain.images.rank == 4)
            // CSV with decimals and a final row without a newline.
            let csv = Self.scratch("rows.csv")
            try Data("0,255,0.5,1.0,1\n255,0,0,0,0\n0,0,0,0,2".utf8).write(to: csv)
            let rows = try LabelledImages.csv(file: csv)
            #expect(rows.images.shape == [3, 2, 2, 1] && rows.labels == [1, 0, 2] && rows.classes == 3)
            #expect(rows.images.scalars[2] == 0.5 / 255 && rows.images.scalars[3] == 1 / 255)
            // Bad files are refused with errors, not crashes.
            let bad = Self.scratch("bad.csv")
            for text in ["1,2,3,4\n", "0,0,0,0,1\n0,0,0,1\n", "0,0,x,0,1\n", "0,0,0,0,1.5\n", "0,1.2.3,0,0,1\n", "0,,0,0,1\n",
                         "0,0,0,0,\n", "0,0,0,0,1\n0,0,0,0,99999999\n"] {
                try Data(text.utf8).write(to: bad)
                #expect(throws: FoveaError.self) { try LabelledImages.csv(file: bad) }
            }
            try NumPyArchive.write(["x_train": x, "y_train": try Tensor(shape: [3], scalars: [0, 1, 2])], to: npz)
            #expect(throws: FoveaError.self) { try LabelledImages.load(from: npz) }
            #expect(throws: FoveaError.self) { try LabelledImages.load(from: Self.scratch("missing.npz")) }
            #expect(throws: FoveaError.self) { try LabelledImages.load(from: Fixtures.root.appendingPathComponent("io/README.md")) }
            for url in [npz, st, csv, bad] { try? FileManager.default.removeItem(at: url) }
            try? FileManager.default.removeItem(at: folder)
        }

        @Test func adaptersBorderResizeAndConvertChannels() throws {
            let grey = try Tensor(shape: [2, 2, 3, 1], scalars: (0..<12).map(Float.init))
            let bordered = try ImageAdapter(height: 4, width: 5, channels: 1, sizing: .border)(grey)
            #expect(bordered.shape == [2, 4, 5, 1])
            #expect(Array(bordered.scalars[0..<20]) == [0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 5, 0, 0, 0, 0, 0, 0])
            #expect(Set(bordered.scalars.filter { $0 != 0 }) == Set((1..<12).map(Float.init)))
            let colour = try ImageAdapter(height: 2, width: 3, channels: 3)(grey)
            #expect(colour.shape == [2, 2, 3, 3] && colour.scalars[9...11] == [3, 3, 3])
            let back = try ImageAdapter(height: 2, width: 3, channels: 1)(colour)
            #expect(back.scalars == grey.scalars)
            let resized = try ImageAdapter(height: 4, width: 6, channels: 3)(grey)
            #expect(resized.scalars == (try resize(colour, height: 4, width: 6)).scalars)
            #expect(throws: FoveaError.self) { try ImageAdapter(height: 2, width: 2, channels: 2)(colour) }
            #expect(throws: FoveaError.self) { try ImageAdapter(height: 0, width: 2, channels: 1) }
        }

        @Test func prefetchedBatchesAreTheInlineOnes() throws {
            var sweep = Sweep(seed: 3)
            let data = try LabelledImages(images: try sweep.tensor([23, 3, 3, 2]), labels: (0..<23).map { $0 % 5 }, classes: 5)
            let prefetcher = try BatchPrefetcher(data, batchSize: 4, shuffledWith: 9, depth: 2) { images, index throws(FoveaError) in
                try multiply(images, Tensor(scalar: Float(index + 1)))
            }
            var index = 0
            for indices in try data.batches(size: 4, shuffledWith: 9) {
                let expected = try data.subset(indices)
                let batch = try #require(try prefetcher.next())
                #expect(batch.labels == expected.labels)
                #expect(batch.images.scalars == (try multiply(expected.images, Tensor(scalar: Float(index + 1)))).scalars)
                index += 1
            }
            #expect(try prefetcher.next() == nil)
            // A failure arrives after the batches before it.
            let failing = try BatchPrefetcher(data, batchSize: 10, shuffledWith: nil) { images, index throws(FoveaError) in
                if index == 1 { throw .invalidParameter("batch 1") }
                return images
            }
            #expect(try failing.next() != nil)
            #expect(throws: FoveaError.self) { try failing.next() }
            // Dropped before the end: its thread stops (nothing to assert but that this returns).
            _ = try BatchPrefetcher(data, batchSize: 1, shuffledWith: 1, depth: 1).next()
        }

        /// Two epochs straight, or one, a checkpoint, a new trainer restored
        /// from it and one more: the same parameters, bit for bit (Adam's
        /// moments, its step counts and the dropout draws all carried over).
        @Test func resumingFromACheckpointContinuesExactly() throws {
            var sweep = Sweep(seed: 5)
            let data = try LabelledImages(images: try sweep.tensor([40, 6, 6, 1]), labels: (0..<40).map { $0 % 3 }, classes: 3)
            func fresh() throws -> ClassifierTrainer {
                var b = NetworkBuilder(weights: .random(seed: 4))
                var x = try b.convBN("c", b.input, (3, 3), 1, 4, activation: .relu)
                x = b.add(try Dropout(rate: 0.3), "drop", x)
                x = b.add(Flatten(), "flat", x)
                x = try b.dense("fc", x, 64, 3)
                var trainer = try ClassifierTrainer(model: try b.build(outputs: [("logits", x)]), optimizer: try Adam(learningRate: 0.01))
                trainer.imageAdapter = try ImageAdapter(height: 6, width: 6, channels: 1)
                return trainer
            }
            var straight = try fresh()
            for epoch in 0..<2 { _ = try straight.trainEpoch(data, batchSize: 8, seed: UInt64(epoch)) }
            var first = try fresh()
            _ = try first.trainEpoch(data, batchSize: 8, seed: 0)
            let file = try SafeTensorsFile.decode(try first.checkpoint(metadata: ["epoch": "1"]).encoded())
            #expect(file.tensors.keys.contains("optimizer/exp_avg/c.weight") && file.metadata["steps"] == "5")
            var resumed = try fresh()
            try resumed.restore(from: file)
            _ = try resumed.trainEpoch(data, batchSize: 8, seed: 1)
            #expect(resumed.model.parameters == straight.model.parameters)
            #expect(resumed.steps == straight.steps)
            // A checkpoint that does not fit changes nothing.
            var other = try fresh()
            let before = other.model.parameters
            var broken = file
            broken.tensors["optimizer/exp_avg/c.weight"] = try Tensor.zeros(shape: [2])
            #expect(throws: FoveaError.self) { try other.restore(from: broken) }
            broken = file
            broken.tensors["c.weight"] = nil
            #expect(throws: FoveaError.self) { try other.restore(from: broken) }
            #expect(other.model.parameters == before && other.steps == 0)
            var sgd = try SGD(learningRate: 0.1, momentum: 0.9)
            #expect(throws: FoveaError.self) { try sgd.restore(["exp_avg/c.weight": try Tensor.zeros(shape: [1])]) }
            // A state of the wrong size is refused at the next update, before anything changes.
            var adam = try Adam()
            try adam.restore(["exp_avg/w": try Tensor.zeros(shape: [2]), "exp_avg_sq/w": try Tensor.zeros(shape: [2]),
                              "step/w": try Tensor(shape: [1], scalars: [3])])
            var parameters = ["w": try Tensor(shape: [3], scalars: [1, 2, 3])]
            #expect(throws: FoveaError.self) { try adam.update(&parameters, with: ["w": try Tensor.ones(shape: [3])]) }
            #expect(parameters["w"]!.scalars == [1, 2, 3])
        }

        @Test func everyClassifierBuildsForAnyClassCount() throws {
            for name in ModelName.allCases {
                if name.isClassifier {
                    let side = name.fixedInputSide ?? name.minimumInputSide
                    #expect(name.fixedInputSide == nil || name.fixedInputSide == name.defaultInputShape[1])
                    guard [ModelName.lenet5, .mobilenetV1].contains(name) else { continue }  // the cheap ones run
                    let model = try name.classifier(classes: 7)
                    #expect(try model.outputShape(for: [2, side, side, name.defaultInputShape[3]]) == [2, 7])
                } else {
                    #expect(throws: FoveaError.self) { try name.classifier(classes: 3) }
                }
            }
            #expect(throws: FoveaError.self) { try ModelName.lenet5.classifier(classes: 0) }
        }
    }
}
