import Foundation
import PlatformCore

/// How an error reaches the user: one line on stderr (usage errors add the command's usage line and
/// a hint, as swift-argument-parser's `MessageInfo.validation` does), and under `-o json` an error
/// document on stdout unless the command already printed its result there (one document per run).
enum ErrorReport {
    static func write(_ error: Error, code: Int32, command: String?, output: OutputFormat, resultPrinted: Bool,
                      console: Console, io: IOStreams) {
        if error is ReportedFailure { return }  // the result said it all
        let platformError = error as? PlatformError
        switch platformError {
        case .changesPending?:
            return  // the plan was printed; the code says it all
        case .usage(let message, let name)?:
            console.error(message)
            io.stderr.write(usage(command: name) + "\n")
        default:
            console.error(platformError?.description ?? "\(error)")
        }
        if output == .json && !resultPrinted {
            struct ErrorDocument: Encodable {
                struct Body: Encodable { var type: String; var message: String; var exitCode: Int32 }
                var error: Body
            }
            let document = ErrorDocument(error: .init(type: platformError?.kind ?? "failed",
                                                      message: platformError?.description ?? "\(error)",
                                                      exitCode: code))
            if let data = try? stableJSONDocument(document) {
                io.stdout.write(data)
            }
        }
    }

    /// The usage line and the hint under a usage error (swift-argument-parser's `MessageInfo.validation`):
    /// `usage: platform deploy [NAME] [options]` and `see 'platform deploy --help'`.
    static func usage(command name: String?) -> String {
        guard let spec = name.flatMap({ name in CommandTable.specs.first { $0.name == name } }) else {
            return "usage: platform COMMAND [options]\nsee 'platform --help'"
        }
        return "usage: \(spec.usageLine)\nsee 'platform \(spec.name) --help'"
    }
}
