
# --- git-hotfix: run ids and approval roles ---
# git's zsh completion calls `_git-hotfix` for `git hotfix ...` by itself.

(( $+functions[__git_hotfix_runs] )) ||
__git_hotfix_runs() {
    local -a runs
    runs=(${(f)"$(git-hotfix __complete runs 2>/dev/null)"})
    _wanted runs expl 'hotfix run' compadd -a runs
}
(( $+functions[__git_hotfix_roles] )) ||
__git_hotfix_roles() {
    local -a roles
    roles=(${(f)"$(git-hotfix __complete roles 2>/dev/null)"})
    _wanted roles expl 'approval role' compadd -a roles
}

