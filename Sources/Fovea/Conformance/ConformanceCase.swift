import Foundation

/// One reference case in the conformance format: a folder with `case.json`
/// and `.npy` tensors in channels-first (ONNX/PyTorch) layout. Running a case
/// converts its tensors to the library's layouts, calls the public API and
/// converts the results back.
public struct ConformanceCase: Sendable {
    /// The case's folder.
    public let directory: URL
    /// The case's name (its folder name).
    public let name: String
    /// The operator, e.g. `Conv`.
    public let op: String
    /// The grouping, e.g. `conv_backward`.
    public let family: String
    /// The case's suggested absolute tolerance (scaled by the reference's magnitude).
    public let absoluteTolerance: Double
    /// The case's suggested relative tolerance.
    public let relativeTolerance: Double

    let json: JSONObject

    /// Loads `case.json` from a case folder.
    public init(directory: URL) throws(FoveaError) {
        let file = directory.appendingPathComponent("case.json")
        let data = try readFile(file)
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: data) } catch {
            throw .fileFormat("\(file.path) is not valid JSON")
        }
        guard let object = parsed as? [String: Any] else {
            throw .fileFormat("\(file.path) is not a JSON object")
        }
        json = JSONObject(object, context: directory.lastPathComponent)
        self.directory = directory
        name = try json.string("name")
        op = try json.string("op")
        family = try json.string("family")
        let tolerance = json.object("tolerance")
        absoluteTolerance = (try? tolerance?.double("atol")) ?? 1e-4
        relativeTolerance = (try? tolerance?.double("rtol")) ?? 1e-3
    }

    /// Every case folder below `root` (folders holding a `case.json`), sorted by name.
    public static func directories(in root: URL) throws(FoveaError) -> [URL] {
        let entries: [URL]
        do {
            entries = try FileManager.default.contentsOfDirectory(
                at: root, includingPropertiesForKeys: [.isDirectoryKey])
        } catch {
            throw .io("cannot list \(root.path): \(error.localizedDescription)")
        }
        return entries.filter {
            FileManager.default.fileExists(atPath: $0.appendingPathComponent("case.json").path)
        }.sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    /// Reads a tensor named in `inputs`, `outputs` or `backward`.
    func tensor(_ entryName: String) throws(FoveaError) -> Tensor {
        try NumPyFile.read(contentsOf: directory.appendingPathComponent(entryName + ".npy"))
    }

    var attributes: JSONObject { json.object("attributes") ?? JSONObject([:], context: name) }
    var derived: JSONObject { json.object("derived") ?? JSONObject([:], context: name) }

    /// Names of the inputs in positional order.
    var inputNames: [String] { json.array("inputs").compactMap { $0["name"] as? String } }

    /// Upstream gradients by the output they belong to, and the expected
    /// gradients by the input they are taken with respect to.
    var backward: (upstream: [String: String], gradients: [String: String])? {
        guard let backward = json.object("backward") else { return nil }
        var upstream = [String: String](), gradients = [String: String]()
        for entry in backward.array("upstream_gradients") {
            if let name = entry["name"] as? String, let of = entry["of_output"] as? String { upstream[of] = name }
        }
        for entry in backward.array("gradients") {
            if let name = entry["name"] as? String, let wrt = entry["wrt"] as? String { gradients[wrt] = name }
        }
        return (upstream, gradients)
    }

    /// Every tensor the case checks: outputs and expected gradients.
    var checkedNames: [String] {
        json.array("outputs").compactMap { $0["name"] as? String } + (backward.map { Array($0.gradients.values).sorted() } ?? [])
    }
}

/// A typed view of a decoded JSON object with messages that name the case.
struct JSONObject: @unchecked Sendable {
    // Values come from JSONSerialization and are never mutated.
    let values: [String: Any]
    let context: String

    init(_ values: [String: Any], context: String) {
        self.values = values
        self.context = context
    }

    func has(_ key: String) -> Bool { values[key] != nil && !(values[key] is NSNull) }

    func string(_ key: String) throws(FoveaError) -> String {
        guard let value = values[key] as? String else { throw missing(key, "a string") }
        return value
    }

    func double(_ key: String) throws(FoveaError) -> Double {
        guard let value = values[key] as? NSNumber else { throw missing(key, "a number") }
        return value.doubleValue
    }

    func int(_ key: String) throws(FoveaError) -> Int {
        guard let value = values[key] as? NSNumber, let exact = Int(exactly: value.doubleValue) else {
            throw missing(key, "an integer")
        }
        return exact
    }

    func ints(_ key: String) throws(FoveaError) -> [Int] {
        guard let list = values[key] as? [Any] else { throw missing(key, "a list of integers") }
        var result = [Int]()
        for item in list {
            guard let number = item as? NSNumber, let exact = Int(exactly: number.doubleValue) else {
                throw missing(key, "a list of integers")
            }
            result.append(exact)
        }
        return result
    }

    func doubles(_ key: String) throws(FoveaError) -> [Double] {
        guard let list = values[key] as? [Any] else { throw missing(key, "a list of numbers") }
        var result = [Double]()
        for item in list {
            guard let number = item as? NSNumber else { throw missing(key, "a list of numbers") }
            result.append(number.doubleValue)
        }
        return result
    }

    func object(_ key: String) -> JSONObject? {
        (values[key] as? [String: Any]).map { JSONObject($0, context: context) }
    }

    func array(_ key: String) -> [[String: Any]] { values[key] as? [[String: Any]] ?? [] }

    private func missing(_ key: String, _ kind: String) -> FoveaError {
        .fileFormat("case \(context): '\(key)' is missing or is not \(kind)")
    }
}
