import Foundation
import PlatformCLI
import PlatformCore
import PlatformTestSupport
import XCTest

/// The committed completion scripts, loaded in the real shells: bash with bash-completion, zsh with
/// compinit (driven through a pseudo-terminal), fish with `complete -C`. Each case is a command line
/// and the completions the shell offers at its end.
final class CompletionEndToEndTests: XCTestCase {
    /// Finds a shell (or file); skips when missing outside CI, fails in CI (scripts/install-test-shells.sh installs them).
    static func require(_ path: String, package: String) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                XCTFail("\(path) is missing (Debian package \(package)); run scripts/install-test-shells.sh")
            }
            throw XCTSkip("\(path) is missing (Debian package \(package)); run scripts/install-test-shells.sh")
        }
    }

    var sandbox: Sandbox!
    var environment: [String: String] = [:]
    var templates: [String] = []

    override func setUpWithError() throws {
        sandbox = try Sandbox()
        let bin = sandbox.root + "/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: bin + "/platform", withDestinationPath: Repo.binary)
        try sandbox.write(sandbox.home + "/.config/platform/config.json",
                          #"{"environments": {"staging": {"kube_context": "kind-staging"}, "production": {}}}"#)
        environment = sandbox.environment(extra: ["PATH": bin + ":/usr/bin:/bin", "PLATFORM_TEMPLATES_DIR": Repo.templates,
                                                  "XDG_DATA_HOME": sandbox.home + "/.local/share", "TERM": "dumb"])
        templates = try TemplateStore(directories: [Repo.templates]).list().map(\.id).filter { !$0.hasPrefix("terraform/") }
        XCTAssertFalse(templates.isEmpty)
    }

    /// Cases every shell must get right.
    var commonCases: [(line: String, expected: Set<String>)] {
        let commands = CommandTable.specs.filter { !$0.hidden }.map(\.name)
        return [
            ("platform ", Set(commands)),
            ("platform sc", ["scaffold"]),
            ("platform scaffold --te", ["--template", "--templates-dir"]),
            ("platform scaffold shop --template ", Set(templates)),
            ("platform scaffold shop -t py", Set(templates.filter { $0.hasPrefix("py") })),
            ("platform -o ", ["text", "json"]),
            ("platform deploy shop -e ", ["staging", "production"]),
            ("platform metrics --format ", ["text", "json", "prometheus"]),
            ("platform completion ", ["bash", "zsh", "fish"]),
            ("platform -e staging me", ["metrics"]),
            ("platform help sc", ["scaffold"]),
        ]
    }

    /// Parses "@@LINE" headers followed by one completion per line.
    func parse(_ output: String) -> [String: Set<String>] {
        var result: [String: Set<String>] = [:]
        var current: String?
        for line in output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("@@") {
                current = String(line.dropFirst(2))
                result[current!] = []
            } else if let current, !line.isEmpty {
                result[current]?.insert(line.split(separator: "\t").first.map(String.init) ?? line)
            }
        }
        return result
    }

    func check(_ shell: String, _ got: [String: Set<String>], _ cases: [(line: String, expected: Set<String>)],
               file: StaticString = #filePath, line: UInt = #line) {
        for item in cases {
            XCTAssertEqual(got[item.line], item.expected, "\(shell): '\(item.line)'", file: file, line: line)
        }
    }

    /// Each line completed by bash with bash-completion loaded, as `@@LINE` + COMPREPLY.
    func bash(_ lines: [String], environment: [String: String]) async throws -> [String: Set<String>] {
        try Self.require("/bin/bash", package: "bash")
        try Self.require("/usr/share/bash-completion/bash_completion", package: "bash-completion")
        let harness = """
        source /usr/share/bash-completion/bash_completion
        source "$1"; shift
        for line in "$@"; do
          COMP_LINE=$line; COMP_POINT=${#line}
          split=${line//=/ = }
          read -ra COMP_WORDS <<< "$split"
          [[ $split == *" " ]] && COMP_WORDS+=("")
          COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
          COMPREPLY=()
          _platform platform "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
          printf '@@%s\\n' "$line"
          printf '%s\\n' "${COMPREPLY[@]}"
        done
        """
        try sandbox.write("harness.bash", harness)
        let result = try await runProgram(["/bin/bash", "--norc", "--noprofile", sandbox.root + "/harness.bash",
                                           Repo.root + "/completions/platform.bash"] + lines,
                                          environment: environment, directory: sandbox.work)
        XCTAssertEqual(result.status, 0, result.stderrText)
        return parse(result.stdoutText)
    }

    func testBashWithBashCompletion() async throws {
        let cases: [(line: String, expected: Set<String>)] = commonCases + [
            ("platform metrics --format=p", ["prometheus"]),
            ("platform scaffold shop --template=go", Set(templates.filter { $0.hasPrefix("go") })),
            ("platform doctor --", Set(["--templates-dir", "--request-timeout"] + GlobalSpec.options.map { "--" + $0.long })),
        ]
        check("bash", try await bash(cases.map(\.line), environment: environment), cases)
    }

    /// Each line typed into an interactive zsh with compinit, TAB pressed: `@@LINE` + what compadd got.
    func zsh(_ lines: [String], environment: [String: String]) async throws -> [String: Set<String>] {
        try Self.require("/usr/bin/zsh", package: "zsh")
        let functions = sandbox.root + "/zfunc"
        try FileManager.default.createDirectory(atPath: functions, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Repo.root + "/completions/_platform", toPath: functions + "/_platform")
        // An interactive zsh in a pseudo-terminal: type the line, press TAB, and collect what the
        // completion system passed to compadd (wrapped to print the matches).
        let harness = #"""
        zmodload zsh/zpty
        zpty -b comp zsh -f -i
        zpty -w comp 'PS1="" PROMPT="" RPROMPT=""; fpath=($ZFUNC $fpath)'
        zpty -w comp 'autoload -Uz compinit && compinit -u -d $HOME/.zcompdump'
        zpty -w comp 'compadd() { local -a __m; builtin compadd -O __m "$@"; (( $#__m )) && print -r -- "<M>${(j:|:)__m}</M>" >/dev/tty; builtin compadd "$@" }'
        # TAB completes, then says it is done: the next keys are typed only after that, because
        # zsh's completion gives up early when it sees typeahead (a busy machine made it flaky).
        zpty -w comp 'tab-then-mark() { zle complete-word; print -r -- "<E>"$((40+2)) >/dev/tty }; zle -N tab-then-mark; bindkey "^I" tab-then-mark'
        zpty -w comp 'print -r -- READY$((1+1))'
        zpty -r comp out '*READY2*'
        for input in "$@"; do
          zpty -w -n comp "$input"$'\t'
          zpty -r comp out '*<E>42*'
          zpty -w -n comp $'\C-u'"print -r -- DONE\$((2+1))"$'\n'
          zpty -r comp rest '*DONE3*'
          print -r -- "@@$input"
          while [[ $out == *"<M>"*"</M>"* ]]; do
            chunk=${out#*<M>}; chunk=${chunk%%</M>*}; out=${out#*</M>}
            print -rl -- ${(s:|:)chunk}
          done
        done
        zpty -d comp
        """#
        try sandbox.write("harness.zsh", harness)
        var env = environment
        env["ZFUNC"] = functions
        let result = try await runProgram(["/usr/bin/timeout", "120", "/usr/bin/zsh", "-f", sandbox.root + "/harness.zsh"] + lines,
                                          environment: env, directory: sandbox.work)
        XCTAssertEqual(result.status, 0, result.stderrText)
        return parse(result.stdoutText)
    }

    func testZshWithCompinit() async throws {
        let cases: [(line: String, expected: Set<String>)] = commonCases + [
            ("platform metrics --format=p", ["prometheus"]),
            ("platform scaffold shop --template=go", Set(templates.filter { $0.hasPrefix("go") })),
        ]
        check("zsh", try await zsh(cases.map(\.line), environment: environment), cases)
    }

    /// Each line completed by fish's `complete -C`: `@@LINE` + the candidates.
    func fish(_ lines: [String], environment: [String: String]) async throws -> [String: Set<String>] {
        try Self.require("/usr/bin/fish", package: "fish")
        let script = "source $argv[1]; for line in $argv[2..-1]; echo \"@@$line\"; complete -C \"$line\"; end"
        let result = try await runProgram(["/usr/bin/fish", "--no-config", "-c", script, Repo.root + "/completions/platform.fish"]
                                          + lines, environment: environment, directory: sandbox.work)
        XCTAssertEqual(result.status, 0, result.stderrText)
        return parse(result.stdoutText)
    }

    func testFishCompleteC() async throws {
        let cases: [(line: String, expected: Set<String>)] = commonCases + [
            ("platform metrics --format=p", ["--format=prometheus"]),
            ("platform scaffold shop --dir " + sandbox.root + "/wo", [sandbox.root + "/work/"]),
        ]
        check("fish", try await fish(cases.map(\.line), environment: environment), cases)
    }

    /// Template folders are named by whoever wrote the templates: names holding command substitutions
    /// are offered as text in every shell and never run.
    func testHostileTemplateNamesAreOfferedQuotedAndRunNothing() async throws {
        let hostile = ["$(touch${IFS}PWNED)", "`touch${IFS}PWNED2`", "x;touch${IFS}PWNED3"]
        let templatesDir = sandbox.root + "/hostile-templates"
        for name in hostile + ["ok"] {
            try sandbox.write(templatesDir + "/evil/" + name + "/template.json", #"{"description": "d"}"#)
        }
        try sandbox.write(templatesDir + "/evil/new\nline/template.json", #"{"description": "d"}"#)
        var env = environment
        env["PLATFORM_TEMPLATES_DIR"] = templatesDir
        let lines = ["platform scaffold shop --template ", "platform scaffold shop --template ev", "platform scaffold shop -t evil/"]
        let raw = Set(hostile.map { "evil/" + $0 } + ["evil/ok"])
        let markers = ["PWNED", "PWNED2", "PWNED3"].map { sandbox.work + "/" + $0 }
        func bashQuoted(_ text: String) -> String {
            var out = ""
            for character in text {
                if character.isLetter || character.isNumber || "/._-".contains(character) { out.append(character) } else { out += "\\" + String(character) }
            }
            return out
        }
        for shell in ["bash", "zsh", "fish"] {
            let got = shell == "bash" ? try await bash(lines, environment: env)
                : shell == "zsh" ? try await zsh(lines, environment: env) : try await fish(lines, environment: env)
            defer { for marker in markers { try? FileManager.default.removeItem(atPath: marker) } }
            for marker in markers {
                XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "\(shell) ran a command substitution: \(marker)")
            }
            let offered = shell == "bash" ? Set(raw.map(bashQuoted)) : raw
            for line in lines.dropFirst() { XCTAssertEqual(got[line], offered, "\(shell): '\(line)'") }
            XCTAssertTrue(offered.isSubset(of: got[lines[0]] ?? []), "\(shell): \(got[lines[0]] ?? [])")
            XCTAssertFalse((got[lines[0]] ?? []).contains { $0.contains("line") }, "a name with a newline is not offered")
        }
    }
}
