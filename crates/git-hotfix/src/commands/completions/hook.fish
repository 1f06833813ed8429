
# --- git-hotfix: run ids, approval roles, and `git hotfix <TAB>` ---
@RUN_LINES@
# `git hotfix ...` completes as `git-hotfix ...` does (fish's git completion
# may do so too; fish drops the duplicates).
function __fish_git_hotfix_for_git
    set -l words (commandline -opc)
    set -l at (contains -i -- hotfix $words)
    or return
    set -l rest
    if test $at -lt (count $words)
        set rest $words[(math $at + 1)..-1]
    end
    complete -C "git-hotfix $rest "(commandline -ct)
end
complete -c git -f -n '__fish_git_using_command hotfix' -a '(__fish_git_hotfix_for_git)'
