/// A darknet network description (`.cfg`): sections such as
/// `[convolutional]` with `key=value` options, in order.
public struct DarknetConfiguration: Sendable {
    /// One `[type]` section and its options.
    public struct Section: Sendable {
        /// The section's type, for example `convolutional`.
        public var type: String
        /// Its options, as written.
        public var options: [String: String]
        /// The line the section starts on (for error messages).
        public var line: Int

        func integer(_ key: String, default value: Int? = nil) throws(FoveaError) -> Int {
            guard let text = options[key] else {
                if let value { return value }
                throw .fileFormat("darknet [\(type)] on line \(line) has no '\(key)'")
            }
            guard let number = Int(text) else {
                throw .fileFormat("darknet [\(type)] on line \(line): '\(key)=\(text)' is not an integer")
            }
            return try bounded(number, key, text)
        }

        // Sizes, channel counts and strides in real configurations are far
        // below 2^24; larger ones would only overflow the shape arithmetic.
        private func bounded(_ number: Int, _ key: String, _ text: String) throws(FoveaError) -> Int {
            guard (-Spatial.maximum...Spatial.maximum).contains(number) else {
                throw .fileFormat("darknet [\(type)] on line \(line): '\(key)=\(text)' is out of range (at most \(Spatial.maximum))")
            }
            return number
        }

        func float(_ key: String, default value: Float) throws(FoveaError) -> Float {
            guard let text = options[key] else { return value }
            guard let number = Float(text), number.isFinite else {
                throw .fileFormat("darknet [\(type)] on line \(line): '\(key)=\(text)' is not a number")
            }
            return number
        }

        func integers(_ key: String) throws(FoveaError) -> [Int] {
            guard let text = options[key] else { throw .fileFormat("darknet [\(type)] on line \(line) has no '\(key)'") }
            var values = [Int]()
            for part in text.split(separator: ",") {
                guard let value = Int(part.trimmingCharacters(in: .whitespaces)) else {
                    throw .fileFormat("darknet [\(type)] on line \(line): '\(key)=\(text)' is not a list of integers")
                }
                values.append(try bounded(value, key, text))
            }
            return values
        }
    }

    /// The `[net]` section (input size) and the layers after it.
    public var net: Section
    /// The layers, indexed as darknet numbers them (from 0).
    public var layers: [Section]

    /// Parses the text of a `.cfg` file.
    ///
    /// - Throws: ``FoveaError/fileFormat(_:)`` for lines that are neither a
    ///   section, an option nor a comment, or a file without `[net]`.
    public init(parsing text: String) throws(FoveaError) {
        var sections = [Section]()
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]"), line.count > 2 else {
                    throw .fileFormat("darknet configuration line \(index + 1): malformed section '\(line)'")
                }
                sections.append(Section(type: String(line.dropFirst().dropLast()), options: [:], line: index + 1))
                continue
            }
            guard let equals = line.firstIndex(of: "="), !sections.isEmpty else {
                throw .fileFormat("darknet configuration line \(index + 1): expected 'key=value' inside a section, got '\(line)'")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            sections[sections.count - 1].options[key] = value
        }
        guard let first = sections.first, first.type == "net" || first.type == "network" else {
            throw .fileFormat("a darknet configuration starts with a [net] section")
        }
        net = first
        layers = Array(sections.dropFirst())
    }
}

import Foundation
