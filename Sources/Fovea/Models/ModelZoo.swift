/// The networks the library can build by name: the case-study architectures
/// (random or loaded weights) and the real pretrained networks.
public enum ModelName: String, CaseIterable, Sendable, CustomStringConvertible {
    case lenet5 = "lenet5"
    case alexnet = "alexnet"
    case vgg16 = "vgg16"
    case vgg19 = "vgg19"
    case resnet50 = "resnet50"
    case inceptionV1 = "inception-v1"
    case mobilenetV1 = "mobilenet-v1"
    case mobilenetV2 = "mobilenet-v2"
    case unet = "unet"
    case mtcnnPNet = "mtcnn-pnet"
    case mtcnnRNet = "mtcnn-rnet"
    case mtcnnONet = "mtcnn-onet"
    case blazeface = "blazeface"
    case dlibFaceResNet = "dlib-face-resnet"
    case yolov3Tiny = "yolov3-tiny"

    /// The command-line name, for example `mobilenet-v2`.
    public var description: String { rawValue }

    /// The input shape (NHWC, batch 1) the model is usually run on.
    public var defaultInputShape: [Int] {
        switch self {
        case .lenet5: return [1, 32, 32, 1]
        case .alexnet: return [1, 227, 227, 3]
        case .vgg16, .vgg19, .resnet50, .inceptionV1, .mobilenetV1, .mobilenetV2: return [1, 224, 224, 3]
        case .unet: return [1, 572, 572, 1]
        case .mtcnnPNet: return [1, 12, 12, 3]
        case .mtcnnRNet: return [1, 24, 24, 3]
        case .mtcnnONet: return [1, 48, 48, 3]
        case .blazeface: return [1, 128, 128, 3]
        case .dlibFaceResNet: return [1, 150, 150, 3]
        case .yolov3Tiny: return [1, 416, 416, 3]
        }
    }

    /// The layouts of the model's published weight files.
    public var weightConvention: ModelWeights.Convention {
        switch self {
        case .mtcnnPNet, .mtcnnRNet, .mtcnnONet, .blazeface, .dlibFaceResNet, .yolov3Tiny: return .pytorch
        default: return .fovea
        }
    }

    /// Whether the model is only meaningful with its published weights (the
    /// real networks), rather than random ones.
    public var needsPretrainedWeights: Bool {
        switch self {
        case .mtcnnPNet, .mtcnnRNet, .mtcnnONet, .blazeface, .dlibFaceResNet, .yolov3Tiny: return true
        default: return false
        }
    }

    /// The model's description in darknet's format, for the darknet models
    /// (`nil` for the others): what reads darknet's own `.weights` for it.
    public var darknetConfiguration: DarknetConfiguration? {
        get throws(FoveaError) {
            self == .yolov3Tiny ? try DarknetConfiguration(parsing: YOLOv3Tiny.configuration) : nil
        }
    }

    /// Whether the model is an image classifier that can be trained from
    /// scratch for any number of classes (the case-study classifiers).
    public var isClassifier: Bool {
        switch self {
        case .lenet5, .alexnet, .vgg16, .vgg19, .resnet50, .inceptionV1, .mobilenetV1, .mobilenetV2: return true
        default: return false
        }
    }

    /// The input side a classifier's dense layers fix (`nil` when global
    /// pooling lets it read any size from ``minimumInputSide`` up).
    public var fixedInputSide: Int? {
        switch self {
        case .lenet5, .alexnet, .vgg16, .vgg19: return defaultInputShape[1]
        default: return nil
        }
    }

    /// The smallest input side the model reads.
    public var minimumInputSide: Int {
        switch self {
        case .resnet50, .inceptionV1, .mobilenetV1, .mobilenetV2: return 32
        default: return defaultInputShape[1]
        }
    }

    /// The classifier with `classes` outputs (see ``isClassifier``).
    public func classifier(classes: Int, weights: ModelWeights = .random()) throws(FoveaError) -> Graph {
        guard classes >= 1 else { throw .invalidParameter("a classifier needs at least one class, got \(classes)") }
        switch self {
        case .lenet5: return try CaseStudies.lenet5(weights, classes: classes)
        case .alexnet: return try CaseStudies.alexnet(weights, classes: classes)
        case .vgg16: return try CaseStudies.vgg(depth: 16, weights, classes: classes)
        case .vgg19: return try CaseStudies.vgg(depth: 19, weights, classes: classes)
        case .resnet50: return try CaseStudies.resnet50(weights, classes: classes)
        case .inceptionV1: return try CaseStudies.inceptionV1(weights, classes: classes)
        case .mobilenetV1: return try CaseStudies.mobilenetV1(weights, classes: classes)
        case .mobilenetV2: return try CaseStudies.mobilenetV2(weights, classes: classes)
        default:
            let names = Self.allCases.filter(\.isClassifier).map(\.rawValue).joined(separator: ", ")
            throw .unsupported("\(rawValue) is not a classifier to train; the classifiers are \(names)")
        }
    }

    /// Builds the model with the given weights (seeded random ones by default).
    public func build(weights: ModelWeights = .random()) throws(FoveaError) -> Graph {
        switch self {
        case .lenet5: return try CaseStudies.lenet5(weights)
        case .alexnet: return try CaseStudies.alexnet(weights)
        case .vgg16: return try CaseStudies.vgg(depth: 16, weights)
        case .vgg19: return try CaseStudies.vgg(depth: 19, weights)
        case .resnet50: return try CaseStudies.resnet50(weights)
        case .inceptionV1: return try CaseStudies.inceptionV1(weights)
        case .mobilenetV1: return try CaseStudies.mobilenetV1(weights)
        case .mobilenetV2: return try CaseStudies.mobilenetV2(weights)
        case .unet: return try CaseStudies.unet(weights)
        case .mtcnnPNet: return try MTCNN.pnet(weights)
        case .mtcnnRNet: return try MTCNN.rnet(weights)
        case .mtcnnONet: return try MTCNN.onet(weights)
        case .blazeface: return try BlazeFace.shortRange(weights)
        case .dlibFaceResNet: return try DlibFaceResNet.v1(weights)
        case .yolov3Tiny: return try YOLOv3Tiny.network(weights)
        }
    }
}
