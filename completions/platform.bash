# bash completion for platform. Generated from the command table by
# 'platform completion bash'; do not edit (tests compare it with the generator).
# Load it with bash-completion (installed as .../bash-completion/completions/platform) or
# `source <(platform completion bash)`.

_platform_words() {
    local IFS=$' \t\n'
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
        local IFS=$'\n'
        if [[ $1 == -d ]]; then COMPREPLY=($(compgen -d -- "$cur")); else COMPREPLY=($(compgen -f -- "$cur")); fi
    fi
}

# _platform_takes_value COMMAND WORD: is WORD an option that takes a value?
_platform_takes_value() {
    case "$2" in
        -e|--environment|-o|--output|--progress|--kube-context|--kubeconfig) return 0 ;;
    esac
    case "$1" in
        scaffold) case "$2" in -t|--template|--language|--framework|--dir|--set|--ci|--templates-dir) return 0 ;; esac ;;
        create) case "$2" in --image|--replicas|--port|--instance-type|--set|--set-file) return 0 ;; esac ;;
        templates) case "$2" in --templates-dir) return 0 ;; esac ;;
        upgrade) case "$2" in --to|--conflict|--set|--templates-dir) return 0 ;; esac ;;
        deploy) case "$2" in --image|--timeout|--rollback-timeout|-m|--message|--commit) return 0 ;; esac ;;
        promote) case "$2" in --from|--to|--timeout|--rollback-timeout|-m|--message) return 0 ;; esac ;;
        run) case "$2" in --image|--timeout|--logs) return 0 ;; esac ;;
        rollback) case "$2" in --to|--timeout|--rollback-timeout|-m|--message) return 0 ;; esac ;;
        vars) case "$2" in -m|--message|--timeout|--rollback-timeout) return 0 ;; esac ;;
        secrets) case "$2" in -m|--message|--timeout|--rollback-timeout) return 0 ;; esac ;;
        logs) case "$2" in -n|--lines|--since|-c|--container|--grep|--follow-for) return 0 ;; esac ;;
        destroy) case "$2" in --timeout) return 0 ;; esac ;;
        doctor) case "$2" in --templates-dir|--request-timeout) return 0 ;; esac ;;
        metrics) case "$2" in --format|--since) return 0 ;; esac ;;
        config) case "$2" in --image) return 0 ;; esac ;;
    esac
    return 1
}

# _platform_value COMMAND OPTION: completes the value of OPTION.
_platform_value() {
    case "$2" in
        -e|--environment) _platform_dynamic environments; return ;;
        -o|--output) _platform_words 'text json'; return ;;
        --progress) _platform_words 'auto plain tty json'; return ;;
        --kube-context) COMPREPLY=(); return ;;
        --kubeconfig) _platform_files; return ;;
    esac
    case "$1" in
        scaffold)
            case "$2" in
                -t|--template) _platform_dynamic templates ;;
                --language) COMPREPLY=() ;;
                --framework) COMPREPLY=() ;;
                --dir) _platform_files -d ;;
                --set) COMPREPLY=() ;;
                --ci) _platform_words 'github gitlab none' ;;
                --templates-dir) _platform_files -d ;;
            esac ;;
        create)
            case "$2" in
                --image) COMPREPLY=() ;;
                --replicas) COMPREPLY=() ;;
                --port) COMPREPLY=() ;;
                --instance-type) COMPREPLY=() ;;
                --set) COMPREPLY=() ;;
                --set-file) _platform_files ;;
            esac ;;
        templates)
            case "$2" in
                --templates-dir) _platform_files -d ;;
            esac ;;
        upgrade)
            case "$2" in
                --to) COMPREPLY=() ;;
                --conflict) _platform_words 'inline rej' ;;
                --set) COMPREPLY=() ;;
                --templates-dir) _platform_files -d ;;
            esac ;;
        deploy)
            case "$2" in
                --image) COMPREPLY=() ;;
                --timeout) COMPREPLY=() ;;
                --rollback-timeout) COMPREPLY=() ;;
                -m|--message) COMPREPLY=() ;;
                --commit) COMPREPLY=() ;;
            esac ;;
        promote)
            case "$2" in
                --from) _platform_dynamic environments ;;
                --to) _platform_dynamic environments ;;
                --timeout) COMPREPLY=() ;;
                --rollback-timeout) COMPREPLY=() ;;
                -m|--message) COMPREPLY=() ;;
            esac ;;
        run)
            case "$2" in
                --image) COMPREPLY=() ;;
                --timeout) COMPREPLY=() ;;
                --logs) COMPREPLY=() ;;
            esac ;;
        rollback)
            case "$2" in
                --to) COMPREPLY=() ;;
                --timeout) COMPREPLY=() ;;
                --rollback-timeout) COMPREPLY=() ;;
                -m|--message) COMPREPLY=() ;;
            esac ;;
        vars)
            case "$2" in
                -m|--message) COMPREPLY=() ;;
                --timeout) COMPREPLY=() ;;
                --rollback-timeout) COMPREPLY=() ;;
            esac ;;
        secrets)
            case "$2" in
                -m|--message) COMPREPLY=() ;;
                --timeout) COMPREPLY=() ;;
                --rollback-timeout) COMPREPLY=() ;;
            esac ;;
        logs)
            case "$2" in
                -n|--lines) COMPREPLY=() ;;
                --since) COMPREPLY=() ;;
                -c|--container) COMPREPLY=() ;;
                --grep) COMPREPLY=() ;;
                --follow-for) COMPREPLY=() ;;
            esac ;;
        destroy)
            case "$2" in
                --timeout) COMPREPLY=() ;;
            esac ;;
        doctor)
            case "$2" in
                --templates-dir) _platform_files -d ;;
                --request-timeout) COMPREPLY=() ;;
            esac ;;
        metrics)
            case "$2" in
                --format) _platform_words 'text json prometheus' ;;
                --since) COMPREPLY=() ;;
            esac ;;
        config)
            case "$2" in
                --image) COMPREPLY=() ;;
            esac ;;
    esac
}

# _platform_options COMMAND: the options COMMAND accepts.
_platform_options() {
    local globals='-e --environment -o --output --dry-run -v --verbose -q --quiet --no-color --progress --kube-context --kubeconfig -h --help'
    case "$1" in
        scaffold) echo "$globals -t --template --language --framework --dir --set --ci --no-git --templates-dir --refresh" ;;
        create) echo "$globals --image --replicas --port --instance-type --set --set-file --detailed-exitcode --allow-mutable-tag" ;;
        templates) echo "$globals --templates-dir --refresh" ;;
        upgrade) echo "$globals --to --conflict --set --check --diff --commit --templates-dir" ;;
        deploy) echo "$globals --image --timeout --rollback-timeout --no-wait --no-rollback -m --message --force --commit -y --yes" ;;
        promote) echo "$globals --from --to --allow-tag --detailed-exitcode --timeout --rollback-timeout --no-wait --no-rollback -m --message -y --yes" ;;
        run) echo "$globals --image --timeout -d --detach --logs -i --interactive" ;;
        rollback) echo "$globals --to --timeout --rollback-timeout --no-wait --no-rollback -m --message -y --yes" ;;
        vars) echo "$globals --stage -m --message --timeout --rollback-timeout --no-wait --no-rollback -y --yes" ;;
        secrets) echo "$globals --stage -m --message --timeout --rollback-timeout --no-wait --no-rollback -y --yes" ;;
        logs) echo "$globals -n --lines -f --follow --since -c --container --timestamps -p --previous --grep --follow-for" ;;
        open) echo "$globals --print" ;;
        destroy) echo "$globals -y --yes --timeout" ;;
        doctor) echo "$globals --templates-dir --request-timeout" ;;
        metrics) echo "$globals --format --since --local" ;;
        config) echo "$globals --image" ;;
        *) echo "$globals" ;;
    esac
}

# _platform_positional COMMAND INDEX: completes the INDEX-th argument (from 0).
_platform_positional() {
    case "$1:$2" in
        create:0) _platform_dynamic apps ;;
        deploy:0) _platform_dynamic apps ;;
        promote:0) _platform_dynamic apps ;;
        run:0) _platform_dynamic apps ;;
        releases:0) _platform_dynamic apps ;;
        rollback:0) _platform_dynamic apps ;;
        vars:0) _platform_words 'set unset list apply' ;;
        vars:1) _platform_dynamic apps ;;
        secrets:0) _platform_words 'set unset list apply' ;;
        secrets:1) _platform_dynamic apps ;;
        logs:0) _platform_dynamic apps ;;
        status:0) _platform_dynamic apps ;;
        open:0) _platform_dynamic apps ;;
        destroy:0) _platform_dynamic apps ;;
        completion:0) _platform_words 'bash zsh fish' ;;
        metrics:0) _platform_dynamic apps ;;
        config:0) _platform_words 'show' ;;
        config:1) _platform_dynamic apps ;;
        help:0) _platform_words "$_platform_commands" ;;
        *) COMPREPLY=() ;;
    esac
}

_platform_commands='scaffold create templates upgrade deploy promote run releases rollback vars secrets logs status open destroy version help completion doctor metrics config'

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
