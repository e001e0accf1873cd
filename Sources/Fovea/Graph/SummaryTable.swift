/// Formats a model summary the way Keras prints one: a row per layer with its
/// output shape and parameter count, then the total.
struct SummaryTable {
    struct Row {
        var layer: String
        var shape: String
        var parameters: Int
        var inputs: String = ""
    }

    var rows: [Row] = []

    func rendered() -> String {
        let showInputs = rows.contains { !$0.inputs.isEmpty }
        let headers = ["Layer", "Output shape", "Params"] + (showInputs ? ["Connected to"] : [])
        let cells = rows.map { [$0.layer, $0.shape, String($0.parameters)] + (showInputs ? [$0.inputs] : []) }
        let widths = headers.indices.map { column in
            max(headers[column].count, cells.map { $0[column].count }.max() ?? 0)
        }
        func line(_ values: [String]) -> String {
            values.indices.map { column -> String in
                let value = values[column]
                let fill = String(repeating: " ", count: max(0, widths[column] - value.count))
                return column == 2 ? fill + value : value + fill  // counts align right
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
        let rule = String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1))
        let total = rows.reduce(0) { $0 + $1.parameters }
        return ([line(headers), rule] + cells.map(line) + [rule, "Total params: \(total.formattedWithSeparators)"])
            .joined(separator: "\n")
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var copy = self
        while copy.last == " " { copy.removeLast() }
        return copy
    }
}

extension Int {
    /// `138357544` as `138,357,544`.
    var formattedWithSeparators: String {
        let digits = String(magnitude)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return (self < 0 ? "-" : "") + grouped
    }
}
