/// Whether a command line asks for `-o json`, read from the raw words. Used when the line could not
/// be parsed (an unknown option, a missing value): the parsed globals are not there, but a script
/// that asked for JSON still gets one JSON error document on stdout.
enum OutputRequest {
    /// The last `-o json`, `-ojson`, `--output json` or `--output=json` before `--` decides.
    static func asksForJSON(_ arguments: [String]) -> Bool {
        var format: String?
        var index = 0
        while index < arguments.count {
            let word = arguments[index]
            if word == "--" { break }
            if word == "-o" || word == "--output" {
                if index + 1 < arguments.count { format = arguments[index + 1] }
                index += 2
                continue
            }
            if word.hasPrefix("--output=") {
                format = String(word.dropFirst("--output=".count))
            } else if word.hasPrefix("-o"), !word.hasPrefix("--"), word.count > 2 {
                format = String(word.dropFirst(2))
            }
            index += 1
        }
        return format == "json"
    }
}
