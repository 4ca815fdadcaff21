# fish completion for platform. Generated from the command table by
# 'platform completion fish'; do not edit (tests compare it with the generator).
# Installed as .../fish/vendor_completions.d/platform.fish.

# Prints the command and the number of arguments after it, reading the words typed so far.
function __platform_state
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l command
    set -l count 0
    set -l skip 0
    set -l valued -e --environment -o --output --progress --kube-context --kubeconfig
    for token in $tokens
        if test $skip = 1
            set skip 0
            continue
        end
        switch $token
            case '--*=*'
                continue
            case '-*'
                if contains -- $token $valued
                    set skip 1
                else if test -n "$command"
                    switch $command
                        case scaffold
                            contains -- $token -t --template --language --framework --dir --set --ci --templates-dir; and set skip 1
                        case create
                            contains -- $token --image --replicas --port --instance-type --set --set-file; and set skip 1
                        case templates
                            contains -- $token --templates-dir; and set skip 1
                        case upgrade
                            contains -- $token --to --conflict --set --templates-dir; and set skip 1
                        case deploy
                            contains -- $token --image --timeout --rollback-timeout -m --message --commit; and set skip 1
                        case promote
                            contains -- $token --from --to --timeout --rollback-timeout -m --message; and set skip 1
                        case run
                            contains -- $token --image --timeout --logs; and set skip 1
                        case rollback
                            contains -- $token --to --timeout --rollback-timeout -m --message; and set skip 1
                        case vars
                            contains -- $token -m --message --timeout --rollback-timeout; and set skip 1
                        case secrets
                            contains -- $token -m --message --timeout --rollback-timeout; and set skip 1
                        case logs
                            contains -- $token -n --lines --since -c --container --grep --follow-for; and set skip 1
                        case destroy
                            contains -- $token --timeout; and set skip 1
                        case doctor
                            contains -- $token --templates-dir --request-timeout; and set skip 1
                        case metrics
                            contains -- $token --format --since; and set skip 1
                        case config
                            contains -- $token --image; and set skip 1
                    end
                end
                continue
        end
        if test -z "$command"
            set command $token
        else
            set count (math $count + 1)
        end
    end
    echo $command
    echo $count
end

# __platform_at COMMAND [INDEX]: the word being completed belongs to COMMAND (as argument INDEX).
function __platform_at
    set -l state (__platform_state)
    test "$state[1]" = "$argv[1]"; or return 1
    test (count $argv) -lt 2; or test "$state[2]" = "$argv[2]"
end

# Values that change (templates, environments, apps) come from the platform binary itself.
function __platform_values
    set -l bin (commandline -opc)[1]
    command $bin __complete $argv[1] 2>/dev/null
end

complete -c platform -f
complete -c platform -s e -l environment -x -a '(__platform_values environments)' -d 'Target environment (default: $PLATFORM_ENVIRONMENT, else development)'
complete -c platform -s o -l output -x -a 'text json' -d 'Output format: text or json'
complete -c platform -l dry-run -d 'Show what would be done and change nothing'
complete -c platform -s v -l verbose -d 'Echo each external command to stderr'
complete -c platform -s q -l quiet -d 'Print only results and errors'
complete -c platform -l no-color -d 'Never colour the output'
complete -c platform -l progress -x -a 'auto plain tty json' -d 'Progress on stderr: auto (a live line per phase on a terminal, else one line per phase), plain, tty or json (one event per line)'
complete -c platform -l kube-context -x -d 'kubectl context to use'
complete -c platform -l kubeconfig -r -F -d 'kubeconfig file for kubectl'
complete -c platform -s h -l help -d 'Show help for the command'

complete -c platform -n '__platform_at ""' -a scaffold -d 'Create a new service from a template, committed to a fresh git repository'
complete -c platform -n '__platform_at ""' -a create -d 'Provision an app: its infrastructure with Terraform, then its Kubernetes objects'
complete -c platform -n '__platform_at ""' -a templates -d 'List the templates scaffold can use'
complete -c platform -n '__platform_at ""' -a upgrade -d 'Merge a newer version of the project\'s template into it (3-way, with git)'
complete -c platform -n '__platform_at ""' -a deploy -d 'Deploy a new image of an app, wait for it, roll back when it fails'
complete -c platform -n '__platform_at ""' -a promote -d 'Deploy the build that runs in one environment to the next, by digest'
complete -c platform -n '__platform_at ""' -a run -d 'Run a one-off command (a migration, a script) with the app\'s image and configuration'
complete -c platform -n '__platform_at ""' -a releases -d 'Show the release history of an app (shared by the team, kept in the cluster)'
complete -c platform -n '__platform_at ""' -a rollback -d 'Re-deploy an earlier release of an app'
complete -c platform -n '__platform_at ""' -a vars -d 'Set, unset and list an app\'s configuration variables; each change is a release'
complete -c platform -n '__platform_at ""' -a secrets -d 'Set, unset and list an app\'s secrets (values never shown); each change is a release'
complete -c platform -n '__platform_at ""' -a logs -d 'Print (and follow) the logs of all Pods of an app'
complete -c platform -n '__platform_at ""' -a status -d 'Show an app: replicas, image, current release, Pods and URL'
complete -c platform -n '__platform_at ""' -a open -d 'Print the app\'s URL and open it in a browser when there is a display'
complete -c platform -n '__platform_at ""' -a destroy -d 'Delete an app: its Kubernetes objects, its infrastructure and its workspace'
complete -c platform -n '__platform_at ""' -a version -d 'Print the platform version'
complete -c platform -n '__platform_at ""' -a help -d 'Show help for platform or one of its commands'
complete -c platform -n '__platform_at ""' -a completion -d 'Print the shell completion script for bash, zsh or fish'
complete -c platform -n '__platform_at ""' -a doctor -d 'Check the tools, the cluster, the state folder and the templates'
complete -c platform -n '__platform_at ""' -a metrics -d 'Show delivery (DORA) metrics from the cluster and usage counters'
complete -c platform -n '__platform_at ""' -a config -d 'Show the merged configuration and where each value came from'

complete -c platform -n '__platform_at scaffold' -s t -l template -x -a '(__platform_values templates)' -d 'Template id, folder or git+URL'
complete -c platform -n '__platform_at scaffold' -l language -x -d 'Template language (with --framework)'
complete -c platform -n '__platform_at scaffold' -l framework -x -d 'Template framework (with --language)'
complete -c platform -n '__platform_at scaffold' -l dir -x -a '(__fish_complete_directories (commandline -ct))' -d 'Folder to create the project in (default: current folder)'
complete -c platform -n '__platform_at scaffold' -l set -x -d 'Set a template variable (repeatable)'
complete -c platform -n '__platform_at scaffold' -l ci -x -a 'github gitlab none' -d 'CI/CD pipeline to include: github, gitlab or none (default: the config\'s ci, else github)'
complete -c platform -n '__platform_at scaffold' -l no-git -d 'Do not create a git repository'
complete -c platform -n '__platform_at scaffold' -l templates-dir -x -a '(__fish_complete_directories (commandline -ct))' -d 'Look up template ids in DIR first'
complete -c platform -n '__platform_at scaffold' -l refresh -d 'Fetch the configured templates_source git repository again now'

complete -c platform -n '__platform_at create' -l image -x -d 'Container image (default: platform.json\'s image, else NAME:latest)'
complete -c platform -n '__platform_at create' -l replicas -x -d 'Number of pods (default: 1)'
complete -c platform -n '__platform_at create' -l port -x -d 'Port the app listens on (default: 8080)'
complete -c platform -n '__platform_at create' -l instance-type -x -d 'Instance type for the infrastructure (default: t3.medium)'
complete -c platform -n '__platform_at create' -l set -x -d 'Set a Terraform module variable (repeatable; passed as TF_VAR_KEY; KEY=- reads the value from stdin)'
complete -c platform -n '__platform_at create' -l set-file -r -F -d 'Set a Terraform module variable to the contents of a file (for secrets: not visible in ps)'
complete -c platform -n '__platform_at create' -l detailed-exitcode -d 'With --dry-run: exit 2 when something would change, 0 when not'
complete -c platform -n '__platform_at create' -l allow-mutable-tag -d 'Accept an image tagged :latest or without a tag outside the development environment'
complete -c platform -n '__platform_at create 0' -a '(__platform_values apps)' -d 'App name: lowercase letters, digits and \'-\', starting with a letter (default: the name in ./platform.json or a parent folder\'s)'

complete -c platform -n '__platform_at templates' -l templates-dir -x -a '(__fish_complete_directories (commandline -ct))' -d 'Look up templates in DIR first'
complete -c platform -n '__platform_at templates' -l refresh -d 'Fetch the configured templates_source git repository again now'

complete -c platform -n '__platform_at upgrade' -l to -x -d 'Upgrade to VERSION instead of the newest (a version or a git tag)'
complete -c platform -n '__platform_at upgrade' -l conflict -x -a 'inline rej' -d 'Conflicts as inline markers (default) or as .rej files'
complete -c platform -n '__platform_at upgrade' -l set -x -d 'Set a template variable, e.g. one the new version adds (repeatable)'
complete -c platform -n '__platform_at upgrade' -l check -d 'Only check: exit 0 when up to date, 2 when an update is available'
complete -c platform -n '__platform_at upgrade' -l diff -d 'Print the patch the upgrade would apply; change nothing'
complete -c platform -n '__platform_at upgrade' -l commit -d 'Commit the result (when nothing conflicts)'
complete -c platform -n '__platform_at upgrade' -l templates-dir -x -a '(__fish_complete_directories (commandline -ct))' -d 'Look up template ids in DIR first'

complete -c platform -n '__platform_at deploy' -l image -x -d 'Image to deploy, e.g. registry.example.com/shop:1.2.3'
complete -c platform -n '__platform_at deploy' -l timeout -x -d 'How long to wait for the rollout (default 5m; 90s, 5m, 1h)'
complete -c platform -n '__platform_at deploy' -l rollback-timeout -x -d 'How long the rollback may take (default 5m)'
complete -c platform -n '__platform_at deploy' -l no-wait -d 'Apply the image and return without waiting'
complete -c platform -n '__platform_at deploy' -l no-rollback -d 'Leave a failed deploy in place (exit 4)'
complete -c platform -n '__platform_at deploy' -s m -l message -x -d 'Note recorded with the release'
complete -c platform -n '__platform_at deploy' -l force -d 'Deploy the image that already runs: restart the Pods and record a release'
complete -c platform -n '__platform_at deploy' -l commit -x -d 'The git commit the image was built from (default: HEAD of the app\'s repository)'
complete -c platform -n '__platform_at deploy' -s y -l yes -d 'Do not ask for confirmation (a protected environment needs it without a terminal)'
complete -c platform -n '__platform_at deploy 0' -a '(__platform_values apps)' -d 'The app (default: the name in ./platform.json or a parent folder\'s)'

complete -c platform -n '__platform_at promote' -l from -x -a '(__platform_values environments)' -d 'Environment whose build is promoted (default: the stage before --to)'
complete -c platform -n '__platform_at promote' -l to -x -a '(__platform_values environments)' -d 'Environment that gets the build'
complete -c platform -n '__platform_at promote' -l allow-tag -d 'Promote the tag when the source\'s pods report no digest'
complete -c platform -n '__platform_at promote' -l detailed-exitcode -d 'With --dry-run: exit 2 when the target would change'
complete -c platform -n '__platform_at promote' -l timeout -x -d 'How long to wait for the rollout (default 5m)'
complete -c platform -n '__platform_at promote' -l rollback-timeout -x -d 'How long the rollback may take (default 5m)'
complete -c platform -n '__platform_at promote' -l no-wait -d 'Apply the image and return without waiting'
complete -c platform -n '__platform_at promote' -l no-rollback -d 'Leave a failed promotion in place (exit 4)'
complete -c platform -n '__platform_at promote' -s m -l message -x -d 'Note recorded with the release'
complete -c platform -n '__platform_at promote' -s y -l yes -d 'Do not ask for confirmation (a protected environment needs it without a terminal)'
complete -c platform -n '__platform_at promote 0' -a '(__platform_values apps)' -d 'The app (default: the name in ./platform.json or a parent folder\'s)'

complete -c platform -n '__platform_at run' -l image -x -d 'Image to run (default: the image of the live release)'
complete -c platform -n '__platform_at run' -l timeout -x -d 'How long the task may take, start included (default 10m)'
complete -c platform -n '__platform_at run' -s d -l detach -d 'Start the task, print the Job\'s name and return'
complete -c platform -n '__platform_at run' -l logs -x -d 'Follow the task JOB started before, and exit with its status'
complete -c platform -n '__platform_at run' -s i -l interactive -d 'Attach a terminal (not supported yet: exit 64)'
complete -c platform -n '__platform_at run 0' -a '(__platform_values apps)' -d 'The app (default: the name in ./platform.json or a parent folder\'s)'

complete -c platform -n '__platform_at releases 0' -a '(__platform_values apps)' -d 'The app (default: the name in ./platform.json or a parent folder\'s)'

complete -c platform -n '__platform_at rollback' -l to -x -d 'Release to go back to (see \'platform releases NAME\')'
complete -c platform -n '__platform_at rollback' -l timeout -x -d 'How long to wait for the rollout (default 5m)'
complete -c platform -n '__platform_at rollback' -l rollback-timeout -x -d 'How long restoring may take if it fails (default 5m)'
complete -c platform -n '__platform_at rollback' -l no-wait -d 'Apply the image and return without waiting'
complete -c platform -n '__platform_at rollback' -l no-rollback -d 'Leave a failed rollback in place (exit 4)'
complete -c platform -n '__platform_at rollback' -s m -l message -x -d 'Note recorded with the release'
complete -c platform -n '__platform_at rollback' -s y -l yes -d 'Do not ask for confirmation (a protected environment needs it without a terminal)'
complete -c platform -n '__platform_at rollback 0' -a '(__platform_values apps)' -d 'The app (default: the name in ./platform.json or a parent folder\'s)'

complete -c platform -n '__platform_at vars' -l stage -d 'Record the change; roll it out with the next deploy or \'platform vars apply\''
complete -c platform -n '__platform_at vars' -s m -l message -x -d 'Note recorded with the release'
complete -c platform -n '__platform_at vars' -l timeout -x -d 'How long to wait for the rollout (default 5m)'
complete -c platform -n '__platform_at vars' -l rollback-timeout -x -d 'How long the rollback may take (default 5m)'
complete -c platform -n '__platform_at vars' -l no-wait -d 'Apply the change and return without waiting'
complete -c platform -n '__platform_at vars' -l no-rollback -d 'Leave a failed change in place (exit 4)'
complete -c platform -n '__platform_at vars' -s y -l yes -d 'Do not ask for confirmation (a protected environment needs it without a terminal)'
complete -c platform -n '__platform_at vars 0' -a 'set unset list apply' -d 'set, unset, list or apply'
complete -c platform -n '__platform_at vars 1' -a '(__platform_values apps)' -d 'The app (default: the name in ./platform.json or a parent folder\'s)'

complete -c platform -n '__platform_at secrets' -l stage -d 'Record the change; roll it out with the next deploy or \'platform vars apply\''
complete -c platform -n '__platform_at secrets' -s m -l message -x -d 'Note recorded with the release'
complete -c platform -n '__platform_at secrets' -l timeout -x -d 'How long to wait for the rollout (default 5m)'
complete -c platform -n '__platform_at secrets' -l rollback-timeout -x -d 'How long the rollback may take (default 5m)'
complete -c platform -n '__platform_at secrets' -l no-wait -d 'Apply the change and return without waiting'
complete -c platform -n '__platform_at secrets' -l no-rollback -d 'Leave a failed change in place (exit 4)'
complete -c platform -n '__platform_at secrets' -s y -l yes -d 'Do not ask for confirmation (a protected environment needs it without a terminal)'
complete -c platform -n '__platform_at secrets 0' -a 'set unset list apply' -d 'set, unset, list or apply'
complete -c platform -n '__platform_at secrets 1' -a '(__platform_values apps)' -d 'The app (default: the name in ./platform.json or a parent folder\'s)'

complete -c platform -n '__platform_at logs' -s n -l lines -x -d 'Lines per container from the backlog (default 100)'
complete -c platform -n '__platform_at logs' -s f -l follow -d 'Keep streaming, picking up new Pods'
complete -c platform -n '__platform_at logs' -l since -x -d 'Only lines newer than this (10m, 1h)'
complete -c platform -n '__platform_at logs' -s c -l container -x -d 'Only this container (default: all)'
complete -c platform -n '__platform_at logs' -l timestamps -d 'Prefix each line with its timestamp'
complete -c platform -n '__platform_at logs' -s p -l previous -d 'The previous instance\'s log of each container that restarted'
complete -c platform -n '__platform_at logs' -l grep -x -d 'Only lines containing TEXT'
complete -c platform -n '__platform_at logs' -l follow-for -x -d 'With --follow: stop after DURATION (scripts, tests)'
complete -c platform -n '__platform_at logs 0' -a '(__platform_values apps)' -d 'The app (default: the name in ./platform.json or a parent folder\'s)'

complete -c platform -n '__platform_at status 0' -a '(__platform_values apps)' -d 'The app (default: the name in ./platform.json or a parent folder\'s)'

complete -c platform -n '__platform_at open' -l print -d 'Only print the URL, never start a browser'
complete -c platform -n '__platform_at open 0' -a '(__platform_values apps)' -d 'The app (default: the name in ./platform.json or a parent folder\'s)'

complete -c platform -n '__platform_at destroy' -s y -l yes -d 'Do not ask for confirmation (required without a terminal)'
complete -c platform -n '__platform_at destroy' -l timeout -x -d 'How long the objects and their pods may take to be gone (default 5m)'
complete -c platform -n '__platform_at destroy 0' -a '(__platform_values apps)' -d 'The app'


complete -c platform -n '__platform_at help 0' -a 'scaffold create templates upgrade deploy promote run releases rollback vars secrets logs status open destroy version help completion doctor metrics config' -d 'The command to explain'

complete -c platform -n '__platform_at completion 0' -a 'bash zsh fish' -d 'bash, zsh or fish'

complete -c platform -n '__platform_at doctor' -l templates-dir -x -a '(__fish_complete_directories (commandline -ct))' -d 'Look up templates in DIR first'
complete -c platform -n '__platform_at doctor' -l request-timeout -x -d 'How long to wait for the cluster (default: 5s)'

complete -c platform -n '__platform_at metrics' -l format -x -a 'text json prometheus' -d 'text, json or prometheus (default: text; -o json = json)'
complete -c platform -n '__platform_at metrics' -l since -x -d 'How far back to look (default: 30d)'
complete -c platform -n '__platform_at metrics' -l local -d 'Only this machine\'s usage counters (events.jsonl); no cluster, no delivery figures'
complete -c platform -n '__platform_at metrics 0' -a '(__platform_values apps)' -d 'One app (default: all apps of the environment)'

complete -c platform -n '__platform_at config' -l image -x -d 'Image, as deploy would take it'
complete -c platform -n '__platform_at config 0' -a 'show' -d 'show'
complete -c platform -n '__platform_at config 1' -a '(__platform_values apps)' -d 'App name (default: the name in platform.json)'
