import PlatformCore

/// The options of the commands that only read an app (status, releases): the app, its environment
/// and the output format, parsed and checked the same way for each.
struct AppQuery: Sendable, Equatable {
    var name: String
    var environment: String
    var output: OutputFormat
    var kube = KubeTarget()

    static func parse<C: PlatformCommand>(_ command: C.Type, _ parsed: ParsedCommandLine,
                                          globals: GlobalOptions) throws -> AppQuery {
        let name = try C.positionals(parsed, min: 1, max: 1)[0]
        return AppQuery(name: name, environment: globals.environment, output: globals.output, kube: globals.kube)
    }

    func validate() throws {
        try Validate.name(name)
        try Validate.environment(environment)
    }
}

/// status and releases parse and validate their `AppQuery` the same way.
extension PlatformCommand where Options == AppQuery {
    static func parse(_ parsed: ParsedCommandLine, globals: GlobalOptions, environment: [String: String]) throws -> Options {
        try AppQuery.parse(Self.self, parsed, globals: globals)
    }

    static func validate(_ options: Options) throws {
        try options.validate()
    }
}
