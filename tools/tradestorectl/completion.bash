# bash completion for tradestorectl (installed as
# /usr/share/bash-completion/completions/tradestorectl; loaded on first use of the command).
# The commands and options are those of `tradestorectl --help`; a test keeps them in step.

_tradestorectl() {
    local cur prev words cword
    if declare -F _init_completion >/dev/null; then
        _init_completion || return
    else
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD - 1]}
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
    fi

    local commands="health stats metrics expire import history snapshot dlq replay"
    local global="--url --token --token-file --cacert --json --help --version"

    case $prev in
        --token-file | --cacert)
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            return
            ;;
        --format)
            mapfile -t COMPREPLY < <(compgen -W "jsonl csv" -- "$cur")
            return
            ;;
        --url)
            mapfile -t COMPREPLY < <(compgen -W "http:// https://" -- "$cur")
            compopt -o nospace 2>/dev/null
            return
            ;;
        --token | --batch-size | --book | --as-of | --brokers | --dlq-topic | --to-topic | \
            --topic | --since | --from | --reason | --kafka-properties)
            return
            ;;
    esac

    # The command is the first word that is neither an option nor an option's value.
    local command="" i
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            --url | --token | --token-file | --cacert | --format | --batch-size | --book | --as-of | \
                --brokers | --dlq-topic | --to-topic | --topic | --since | --from | --reason | \
                --kafka-properties)
                ((i++))
                ;;
            -*) ;;
            *)
                command=${words[i]}
                break
                ;;
        esac
    done

    local options=$global
    case $command in
        import) options+=" --format --batch-size" ;;
        snapshot) options+=" --as-of --book --format" ;;
        dlq) options="--brokers --dlq-topic --to-topic --since --reason --kafka-properties --dry-run --help" ;;
        replay) options="--brokers --topic --from --to-topic --kafka-properties --dry-run --help" ;;
    esac

    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$options" -- "$cur")
    elif [[ -z $command ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$commands" -- "$cur")
    elif [[ $command == dlq && $cword -eq $((i + 1)) ]]; then
        mapfile -t COMPREPLY < <(compgen -W "replay" -- "$cur")
    elif [[ $command == import ]]; then
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    fi
}

complete -F _tradestorectl tradestorectl
