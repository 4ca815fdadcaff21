// libFuzzer target for the command-line parser (not a SwiftPM target; built by scripts/fuzz-parser.sh
// with `swiftc -sanitize=fuzzer` from the PlatformCore and PlatformCLI sources).
//
// The input is split at NUL bytes into argv words (invalid UTF-8 repaired, as the OS would hand
// Swift's CommandLine). Each vector goes through the table-driven parser, the global options, the
// help renderer and the input validators. Every outcome must be a value or a PlatformError that maps
// to a documented exit code; anything else (a crash, a trap, another error type) is a finding.
import PlatformCLI
import PlatformCore

let parser = ArgumentParser(commands: CommandTable.specs)
let documented: Set<Int32> = [0, 1, 2, 3, 4, 64, 69]

func check(_ error: Error) {
    guard error is PlatformError, documented.contains(ExitCode.code(for: error)) else {
        fatalError("undocumented outcome: \(error)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let argv = bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    do {
        let parsed = try parser.parse(argv)
        _ = try GlobalOptions.from(parsed, environment: [:])
        if let name = parsed.command, let spec = CommandTable.specs.first(where: { $0.name == name }) {
            _ = Help.command(spec)
        }
    } catch {
        check(error)
    }
    for word in argv {
        for validate in [{ try Validate.name(word) }, { try Validate.environment(word) }, { try Validate.image(word) },
                         { _ = try Validate.duration(word) }, { _ = try Validate.keyValue(word) },
                         { _ = try Validate.positiveInteger(word, what: "n", range: 1...100) }] {
            do { try validate() } catch { check(error) }
        }
        _ = Validate.quoted(word)
        _ = shellQuoted(word)
    }
    return 0
}
