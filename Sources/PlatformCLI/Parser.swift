import PlatformCore

/// The command line after the table-driven pass: which command, its positionals, and option values
/// keyed by long name. Commands turn this into their typed `Options`.
public struct ParsedCommandLine: Sendable, Equatable {
    public var command: String?
    public var positionals: [String] = []
    public var values: [String: [String]] = [:]
    public var flags: Set<String> = []
    /// The words after `--` of a command that takes a command of its own (`run NAME -- CMD ARG...`).
    public var trailing: [String] = []

    public func value(_ long: String) -> String? { values[long]?.last }
    public func all(_ long: String) -> [String] { values[long] ?? [] }
    public func flag(_ long: String) -> Bool { flags.contains(long) }
}

/// GNU-style parsing driven by the command table: `--long value`, `--long=value`, `-s value`, `-svalue`,
/// bundled short flags (`-qv`), repeatable options, `--` ends options, global options anywhere.
public struct ArgumentParser: Sendable {
    public let commands: [CommandSpec]
    public let globals: [OptionSpec]

    public init(commands: [CommandSpec], globals: [OptionSpec] = GlobalSpec.options) {
        self.commands = commands
        self.globals = globals
    }

    public func parse(_ arguments: [String]) throws -> ParsedCommandLine {
        var result = ParsedCommandLine()
        var command: CommandSpec?
        var index = 0
        var optionsEnded = false

        func available() -> [OptionSpec] { globals + (command?.options ?? []) }

        func record(_ option: OptionSpec, _ value: String?) throws {
            if let value {
                if option.repeatable {
                    result.values[option.long, default: []].append(value)
                } else {
                    result.values[option.long] = [value]
                }
            } else {
                result.flags.insert(option.long)
            }
        }

        func takeValue(for option: OptionSpec, spelled: String) throws -> String {
            index += 1
            guard index < arguments.count else {
                throw PlatformError.usage("option \(spelled) needs a value (\(option.valueName ?? "VALUE"))",
                                          command: command?.name)
            }
            return arguments[index]
        }

        while index < arguments.count {
            let argument = arguments[index]
            if optionsEnded || argument == "-" || !argument.hasPrefix("-") {
                if command == nil && !optionsEnded {
                    guard let found = commands.first(where: { $0.name == argument }) else {
                        throw PlatformError.usage(
                            "unknown command '\(argument)'" + suggestion(argument, among: commands.filter { !$0.hidden }.map(\.name)),
                            command: nil)
                    }
                    command = found
                    result.command = found.name
                } else if optionsEnded, command?.trailing != nil {
                    result.trailing.append(argument)
                } else {
                    result.positionals.append(argument)
                }
            } else if argument == "--" {
                optionsEnded = true
            } else if argument.hasPrefix("--") {
                let body = argument.dropFirst(2)
                let name = body.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
                let inline = body.contains("=") ? String(body[body.index(after: body.firstIndex(of: "=")!)...]) : nil
                guard let option = available().first(where: { $0.long == name }) else {
                    throw PlatformError.usage(
                        "unknown option '--\(name)'" + suggestion("--" + name, among: available().map { "--" + $0.long }),
                        command: command?.name)
                }
                if option.takesValue {
                    try record(option, inline ?? takeValue(for: option, spelled: "--\(name)"))
                } else {
                    if inline != nil {
                        throw PlatformError.usage("option --\(name) takes no value", command: command?.name)
                    }
                    try record(option, nil)
                }
            } else {
                // One or more short options: -q, -qv, -e prod, -eprod, -qe prod
                var characters = Substring(argument.dropFirst())
                while let letter = characters.first {
                    characters = characters.dropFirst()
                    guard let option = available().first(where: { $0.short == letter }) else {
                        throw PlatformError.usage(
                            "unknown option '-\(letter)'" + (argument.count > 2 ? " in '\(argument)'" : ""),
                            command: command?.name)
                    }
                    if option.takesValue {
                        let value = characters.isEmpty
                            ? try takeValue(for: option, spelled: "-\(letter)")
                            : String(characters)
                        try record(option, value)
                        break
                    }
                    try record(option, nil)
                }
            }
            index += 1
        }
        return result
    }

    /// " (did you mean 'create'?)" when a known word is close.
    func suggestion(_ word: String, among candidates: [String]) -> String {
        let scored = candidates.map { ($0, editDistance(word, $0)) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return "" }
        let threshold = max(1, min(3, best.0.count / 3))
        if best.1 <= threshold || (word.count >= 3 && best.0.hasPrefix(word)) {
            return "; did you mean '\(best.0)'?"
        }
        return ""
    }
}

/// Levenshtein distance over characters.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
