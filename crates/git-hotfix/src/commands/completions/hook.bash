
# --- git-hotfix: run ids, approval roles, and `git hotfix <TAB>` ---

# Every command path, the ones whose RUN positional takes a run id, and the
# options taking a value (the word after them is that value, never a run).
__git_hotfix_commands='|@COMMANDS@|'
__git_hotfix_run_commands='|@RUN_COMMANDS@|'
__git_hotfix_value_options='|@VALUE_OPTIONS@|'
__git_hotfix_run_options='|@RUN_OPTIONS@|'
__git_hotfix_role_options='|@ROLE_OPTIONS@|'

# Prints the values only the repository knows (runs, roles), one a line.
__git_hotfix_values() {
    git-hotfix __complete "$1" 2>/dev/null
}

# Completes the words in COMP_WORDS/COMP_CWORD, which start at `git-hotfix`.
__git_hotfix_complete() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"
    _git-hotfix git-hotfix "$cur" "$prev"
    # clap offers placeholders ([RUN], <ITEM>) among the words: not something to type.
    local kept=() word
    for word in "${COMPREPLY[@]}"; do
        case "$word" in
        "["* | "<"*) ;;
        *) kept+=("$word") ;;
        esac
    done
    COMPREPLY=("${kept[@]}")

    local path="" i
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "$__git_hotfix_commands" in
        *"|${path:+$path }${COMP_WORDS[i]}|"*) path="${path:+$path }${COMP_WORDS[i]}" ;;
        esac
    done
    case "$__git_hotfix_role_options" in
    *"|$path $prev|"*)
        COMPREPLY=($(compgen -W "$(__git_hotfix_values roles)" -- "$cur"))
        return 0
        ;;
    esac
    case "$__git_hotfix_run_options" in
    *"|$path $prev|"*)
        COMPREPLY=($(compgen -W "$(__git_hotfix_values runs)" -- "$cur"))
        return 0
        ;;
    esac
    if [[ $cur != -* && $__git_hotfix_run_commands == *"|$path|"* && $__git_hotfix_value_options != *"|$prev|"* ]]; then
        COMPREPLY+=($(compgen -W "$(__git_hotfix_values runs)" -- "$cur"))
    fi
    return 0
}

# git's completion calls `_git_hotfix` for `git hotfix ...`, with its own
# `words`/`cword` and `__git_cmd_idx` (where `hotfix` is); clap's function
# expects the words to start at the binary.
_git_hotfix() {
    local at="${__git_cmd_idx:-1}"
    local COMP_WORDS=(git-hotfix "${words[@]:at+1}")
    local COMP_CWORD=$((cword - at))
    __git_hotfix_complete
    # git registers its completion with -o nospace and adds the spaces itself.
    compopt +o nospace 2>/dev/null
    return 0
}

if [[ "${BASH_VERSINFO[0]}" -eq 4 && "${BASH_VERSINFO[1]}" -ge 4 || "${BASH_VERSINFO[0]}" -gt 4 ]]; then
    complete -F __git_hotfix_complete -o nosort -o bashdefault -o default git-hotfix
else
    complete -F __git_hotfix_complete -o bashdefault -o default git-hotfix
fi
