/// Completion scripts for bash, zsh and fish, generated from the command table (the same specs the
/// parser reads). Values that change (template ids, environments, apps) are not baked in: the
/// scripts ask `platform __complete KIND`, which prints one value per line.
public enum CompletionScript {
    public enum Shell: String, CaseIterable, Sendable {
        case bash, zsh, fish

        /// The file in `completions/` (the names `make install` expects).
        public var fileName: String {
            switch self {
            case .bash: return "platform.bash"
            case .zsh: return "_platform"
            case .fish: return "platform.fish"
            }
        }
    }

    public static func generate(_ shell: Shell, commands: [CommandSpec], globals: [OptionSpec] = GlobalSpec.options) -> String {
        let visible = commands.filter { !$0.hidden }
        switch shell {
        case .bash: return bash(visible, globals)
        case .zsh: return zsh(visible, globals)
        case .fish: return fish(visible, globals)
        }
    }

    static func header(_ shell: Shell) -> String {
        "# \(shell.rawValue) completion for platform. Generated from the command table by\n"
            + "# 'platform completion \(shell.rawValue)'; do not edit (tests compare it with the generator).\n"
    }

    /// `-e|--environment`
    static func spellings(_ option: OptionSpec) -> [String] {
        (option.short.map { ["-\($0)"] } ?? []) + ["--\(option.long)"]
    }

    /// Single-quoted for POSIX shells and fish (`'it'\''s'`; fish accepts `\'` inside quotes).
    static func shQuote(_ text: String, fish: Bool = false) -> String {
        fish ? "'" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
             : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    // MARK: - bash

    static func bashAction(_ completion: ValueCompletion) -> String {
        switch completion {
        case .none: return "COMPREPLY=()"
        case .choices(let values): return "_platform_words " + shQuote(values.joined(separator: " "))
        case .templates: return "_platform_dynamic templates"
        case .environments: return "_platform_dynamic environments"
        case .apps: return "_platform_dynamic apps"
        case .files: return "_platform_files"
        case .directories: return "_platform_files -d"
        }
    }

    static func bash(_ commands: [CommandSpec], _ globals: [OptionSpec]) -> String {
        var s = header(.bash)
        s += """
        # Load it with bash-completion (installed as .../bash-completion/completions/platform) or
        # `source <(platform completion bash)`.

        _platform_words() {
            local IFS=$' \\t\\n'
            COMPREPLY=($(compgen -W "$1" -- "$cur"))
        }

        # Values that change (templates, environments, apps) come from the platform binary itself.
        # They are data (a template folder may be named '$(...)'), so they never go through
        # `compgen -W`, which expands its words: each is compared as a string and offered quoted (%q).
        _platform_dynamic() {
            local value quoted
            COMPREPLY=()
            while IFS= read -r value; do
                printf -v quoted '%q' "$value"
                if [[ $value == "$cur"* || $quoted == "$cur"* ]]; then COMPREPLY+=("$quoted"); fi
            done < <("${_platform_bin:-platform}" __complete "$1" 2>/dev/null)
        }

        _platform_files() {
            if declare -F _filedir >/dev/null; then
                _filedir "$@"
            else
                local IFS=$'\\n'
                if [[ $1 == -d ]]; then COMPREPLY=($(compgen -d -- "$cur")); else COMPREPLY=($(compgen -f -- "$cur")); fi
            fi
        }

        # _platform_takes_value COMMAND WORD: is WORD an option that takes a value?
        _platform_takes_value() {
            case "$2" in

        """
        let globalValued = globals.filter(\.takesValue).flatMap(spellings)
        if !globalValued.isEmpty { s += "        " + globalValued.joined(separator: "|") + ") return 0 ;;\n" }
        s += "    esac\n    case \"$1\" in\n"
        for command in commands {
            let valued = command.options.filter(\.takesValue).flatMap(spellings)
            guard !valued.isEmpty else { continue }
            s += "        \(command.name)) case \"$2\" in \(valued.joined(separator: "|"))) return 0 ;; esac ;;\n"
        }
        s += "    esac\n    return 1\n}\n\n"

        s += "# _platform_value COMMAND OPTION: completes the value of OPTION.\n_platform_value() {\n    case \"$2\" in\n"
        for option in globals where option.takesValue {
            s += "        \(spellings(option).joined(separator: "|"))) \(bashAction(option.completion)); return ;;\n"
        }
        s += "    esac\n    case \"$1\" in\n"
        for command in commands where command.options.contains(where: \.takesValue) {
            s += "        \(command.name))\n            case \"$2\" in\n"
            for option in command.options where option.takesValue {
                s += "                \(spellings(option).joined(separator: "|"))) \(bashAction(option.completion)) ;;\n"
            }
            s += "            esac ;;\n"
        }
        s += "    esac\n}\n\n"

        s += "# _platform_options COMMAND: the options COMMAND accepts.\n_platform_options() {\n"
        s += "    local globals=" + shQuote(globals.flatMap(spellings).joined(separator: " ")) + "\n    case \"$1\" in\n"
        for command in commands where !command.options.isEmpty {
            s += "        \(command.name)) echo \"$globals \(command.options.flatMap(spellings).joined(separator: " "))\" ;;\n"
        }
        s += "        *) echo \"$globals\" ;;\n    esac\n}\n\n"

        s += "# _platform_positional COMMAND INDEX: completes the INDEX-th argument (from 0).\n_platform_positional() {\n"
        s += "    case \"$1:$2\" in\n"
        for command in commands {
            for (index, argument) in command.arguments.enumerated() where argument.completion != .none {
                s += "        \(command.name):\(index)) \(bashAction(argument.completion)) ;;\n"
            }
        }
        s += "        help:0) _platform_words \"$_platform_commands\" ;;\n"
        s += "        *) COMPREPLY=() ;;\n    esac\n}\n\n"

        s += "_platform_commands=" + shQuote(commands.map(\.name).joined(separator: " ")) + "\n\n"
        s += """
        _platform() {
            local cur prev words cword split=false
            if declare -F _init_completion >/dev/null; then
                _init_completion -s || return
            else
                COMPREPLY=()
                words=("${COMP_WORDS[@]}")
                cword=$COMP_CWORD
                cur=${COMP_WORDS[COMP_CWORD]}
                prev=${COMP_WORDS[COMP_CWORD-1]}
                if [[ $cur == = && $cword -ge 2 ]]; then cur=""; prev=${COMP_WORDS[COMP_CWORD-1]}; split=true
                    prev=${COMP_WORDS[COMP_CWORD-2]}
                elif [[ $prev == = && $cword -ge 3 ]]; then prev=${COMP_WORDS[COMP_CWORD-2]}; split=true
                fi
            fi
            local _platform_bin=${words[0]}
            local command="" word positional=0 skip=false ended=false i
            for ((i = 1; i < cword; i++)); do
                word=${words[i]}
                if $skip; then skip=false; continue; fi
                if ! $ended; then
                    case "$word" in
                        --) ended=true; continue ;;
                        --*=*|=) continue ;;
                        -*) _platform_takes_value "$command" "$word" && skip=true; continue ;;
                    esac
                fi
                if [[ -z $command ]]; then command=$word; else positional=$((positional + 1)); fi
            done
            if $split || { ! $ended && _platform_takes_value "$command" "$prev"; }; then
                _platform_value "$command" "$prev"
                return
            fi
            if [[ $cur == -* ]] && ! $ended; then
                _platform_words "$(_platform_options "$command")"
                return
            fi
            if [[ -z $command ]]; then
                _platform_words "$_platform_commands"
                return
            fi
            _platform_positional "$command" "$positional"
        }
        complete -F _platform platform

        """
        return s
    }

    // MARK: - zsh

    /// Text inside `_arguments`' `[...]` and `:message:` parts, single-quoted.
    static func zshEscape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "[", "]", ":", "\\": out += "\\" + String(character)
            case "'": out += "'\\''"
            default: out.append(character)
            }
        }
        return out
    }

    static func zshAction(_ completion: ValueCompletion) -> String {
        switch completion {
        case .none: return " "
        case .choices(let values): return "(" + values.joined(separator: " ") + ")"
        case .templates: return "_platform_values templates"
        case .environments: return "_platform_values environments"
        case .apps: return "_platform_values apps"
        case .files: return "_files"
        case .directories: return "_files -/"
        }
    }

    static func zshOption(_ option: OptionSpec) -> [String] {
        let help = zshEscape(option.help)
        let exclusion = option.repeatable ? "*" : "(" + spellings(option).joined(separator: " ") + ")"
        let value = option.valueName.map { ":\(zshEscape($0)):\(zshAction(option.completion))" } ?? ""
        return spellings(option).map { spelled in
            let suffix = option.takesValue ? (spelled.hasPrefix("--") ? "=" : "+") : ""
            return "'" + exclusion + spelled + suffix + "[" + help + "]" + value + "'"
        }
    }

    static func zsh(_ commands: [CommandSpec], _ globals: [OptionSpec]) -> String {
        var s = "#compdef platform\n" + header(.zsh)
        s += """
        # Installed as .../zsh/site-functions/_platform (on $fpath) and loaded by compinit.

        # Values that change (templates, environments, apps) come from the platform binary itself.
        (( $+functions[_platform_values] )) ||
        # _platform_values [compadd options] KIND (_arguments passes the options first)
        _platform_values() {
          local kind=$argv[-1]
          argv[-1]=()
          local -a values
          values=(${(f)"$(_call_program $kind ${(q)_platform_bin:-platform} __complete $kind 2>/dev/null)"})
          compadd "$@" -a values
        }

        (( $+functions[_platform_commands] )) ||
        _platform_commands() {
          local -a commands
          commands=(

        """
        for command in commands {
            s += "    '" + command.name + ":" + zshEscape(command.summary) + "'\n"
        }
        s += "  )\n  _describe -t commands 'platform command' commands\n}\n\n"
        s += "_platform() {\n  local curcontext=\"$curcontext\" state line ret=1\n  typeset -A opt_args\n  local _platform_bin=$words[1]\n"
        s += "  local -a globals\n  globals=(\n"
        for option in globals { s += zshOption(option).map { "    \($0)\n" }.joined() }
        s += "  )\n"
        s += "  _arguments -C -s -S $globals '1: :_platform_commands' '*:: :->args' && ret=0\n"
        s += "  [[ $state == args ]] || return ret\n"
        s += "  curcontext=\"${curcontext%:*:*}:platform-$words[1]:\"\n"
        s += "  case $words[1] in\n"
        for command in commands {
            var specs = command.options.flatMap(zshOption)
            for (index, argument) in command.arguments.enumerated() {
                let position = "\(index + 1)"
                let action = command.name == "help" && index == 0 ? "_platform_commands" : zshAction(argument.completion)
                specs.append("'" + position + (argument.optional ? "::" : ":") + zshEscape(argument.name) + ":" + action + "'")
            }
            s += "    (\(command.name))\n      _arguments -s -S $globals"
            s += specs.map { " \\\n        " + $0 }.joined() + " && ret=0 ;;\n"
        }
        s += "  esac\n  return ret\n}\n\n"
        s += "if [[ $zsh_eval_context[-1] == loadautofunc ]]; then\n  _platform \"$@\"\nelse\n  compdef _platform platform\nfi\n"
        return s
    }

    // MARK: - fish

    static func fishAction(_ completion: ValueCompletion) -> String {
        switch completion {
        case .none: return "-x"
        case .choices(let values): return "-x -a " + shQuote(values.joined(separator: " "), fish: true)
        case .templates: return "-x -a '(__platform_values templates)'"
        case .environments: return "-x -a '(__platform_values environments)'"
        case .apps: return "-x -a '(__platform_values apps)'"
        case .files: return "-r -F"
        case .directories: return "-x -a '(__fish_complete_directories (commandline -ct))'"
        }
    }

    static func fishOption(_ option: OptionSpec, condition: String?) -> String {
        var line = "complete -c platform" + (condition.map { " -n " + shQuote($0, fish: true) } ?? "")
        if let short = option.short { line += " -s \(short)" }
        line += " -l \(option.long)"
        if option.takesValue { line += " " + fishAction(option.completion) }
        return line + " -d " + shQuote(option.help, fish: true) + "\n"
    }

    static func fish(_ commands: [CommandSpec], _ globals: [OptionSpec]) -> String {
        var s = header(.fish)
        s += "# Installed as .../fish/vendor_completions.d/platform.fish.\n\n"
        s += "# Prints the command and the number of arguments after it, reading the words typed so far.\n"
        s += "function __platform_state\n"
        s += "    set -l tokens (commandline -opc)\n    set -e tokens[1]\n"
        s += "    set -l command\n    set -l count 0\n    set -l skip 0\n"
        s += "    set -l valued " + globals.filter(\.takesValue).flatMap(spellings).joined(separator: " ") + "\n"
        s += "    for token in $tokens\n"
        s += "        if test $skip = 1\n            set skip 0\n            continue\n        end\n"
        s += "        switch $token\n"
        s += "            case '--*=*'\n                continue\n"
        s += "            case '-*'\n"
        s += "                if contains -- $token $valued\n                    set skip 1\n"
        s += "                else if test -n \"$command\"\n                    switch $command\n"
        for command in commands {
            let valued = command.options.filter(\.takesValue).flatMap(spellings)
            guard !valued.isEmpty else { continue }
            s += "                        case \(command.name)\n"
            s += "                            contains -- $token \(valued.joined(separator: " ")); and set skip 1\n"
        }
        s += "                    end\n                end\n                continue\n        end\n"
        s += "        if test -z \"$command\"\n            set command $token\n        else\n            set count (math $count + 1)\n        end\n"
        s += "    end\n    echo $command\n    echo $count\nend\n\n"
        s += "# __platform_at COMMAND [INDEX]: the word being completed belongs to COMMAND (as argument INDEX).\n"
        s += "function __platform_at\n    set -l state (__platform_state)\n"
        s += "    test \"$state[1]\" = \"$argv[1]\"; or return 1\n"
        s += "    test (count $argv) -lt 2; or test \"$state[2]\" = \"$argv[2]\"\nend\n\n"
        s += "# Values that change (templates, environments, apps) come from the platform binary itself.\n"
        s += "function __platform_values\n    set -l bin (commandline -opc)[1]\n"
        s += "    command $bin __complete $argv[1] 2>/dev/null\nend\n\n"
        s += "complete -c platform -f\n"
        for option in globals { s += fishOption(option, condition: nil) }
        s += "\n"
        for command in commands {
            s += "complete -c platform -n '__platform_at \"\"' -a \(command.name) -d " + shQuote(command.summary, fish: true) + "\n"
        }
        for command in commands {
            s += "\n"
            for option in command.options { s += fishOption(option, condition: "__platform_at \(command.name)") }
            for (index, argument) in command.arguments.enumerated() {
                let action: String
                if command.name == "help" && index == 0 {
                    action = "-a " + shQuote(commands.map(\.name).joined(separator: " "), fish: true)
                } else {
                    switch argument.completion {
                    case .none: continue
                    case .files: action = "-F"
                    default: action = fishAction(argument.completion).replacingOccurrences(of: "-x ", with: "")
                    }
                }
                s += "complete -c platform -n " + shQuote("__platform_at \(command.name) \(index)", fish: true)
                    + " \(action) -d " + shQuote(argument.help, fish: true) + "\n"
            }
        }
        return s
    }
}
