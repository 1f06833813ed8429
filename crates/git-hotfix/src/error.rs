//! The one error type of the CLI: a message, the facts, and hints, with an exit code.

use hotfix::config::ConfigError;
use hotfix::engine::approvals::Refusal;
use hotfix::engine::WorkflowError;
use hotfix::git::GitError;
use hotfix::journal::JournalError;
use hotfix::providers::production::ProductionError;
use hotfix::Error;

/// How an error should end the process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitKind {
    /// 1: something went wrong (git, network, config, journal).
    Error,
    /// 2: the command line is wrong.
    Usage,
    /// 3: a safety check blocked the hotfix.
    Blocked,
    /// 4: `verify` found a check of the run failing.
    VerificationFailed,
    /// 130: the operator stopped the command (Ctrl-C, SIGTERM), as a shell
    /// reports a command ended by SIGINT.
    Interrupted,
}

impl ExitKind {
    pub fn code(self) -> i32 {
        match self {
            ExitKind::Error => 1,
            ExitKind::Usage => 2,
            ExitKind::Blocked => 3,
            ExitKind::VerificationFailed => 4,
            ExitKind::Interrupted => 130,
        }
    }
}

/// An error as the operator sees it.
pub struct CommandError {
    pub kind: ExitKind,
    pub message: String,
    /// Facts shown under the message (what moved, what was found).
    pub details: Vec<String>,
    pub hints: Vec<String>,
}

impl CommandError {
    pub fn usage(message: impl Into<String>, hint: impl Into<String>) -> Self {
        CommandError {
            kind: ExitKind::Usage,
            message: message.into(),
            details: Vec::new(),
            hints: vec![hint.into()],
        }
    }

    pub fn blocked(message: impl Into<String>, hint: impl Into<String>) -> Self {
        CommandError {
            kind: ExitKind::Blocked,
            message: message.into(),
            details: Vec::new(),
            hints: vec![hint.into()],
        }
    }
}

impl From<Error> for CommandError {
    fn from(e: Error) -> Self {
        let mut details = Vec::new();
        if let Error::Workflow(WorkflowError::ReleaseMoved { unexpected, .. }) = &e {
            for c in unexpected {
                details.push(format!("unexpected on release: {} {}", c.id.short(), c.subject));
            }
        }
        if let Error::Workflow(WorkflowError::PickConflict {
            conflicts, unreleased, ..
        }) = &e
        {
            details.extend(conflicts.iter().map(|p| format!("conflict    {p}")));
            details.extend(unreleased.iter().map(|c| {
                format!(
                    "unreleased  {} {} (touched the conflicting paths)",
                    c.id.short(),
                    c.subject
                )
            }));
        }
        if let Error::Workflow(WorkflowError::EvidenceMissing { missing }) = &e {
            for item in missing {
                details.push(format!("missing  {}: {}", item.id, item.detail));
            }
        }
        if let Some(JournalError::Diverged { local, remote, .. }) = journal_error(&e) {
            details.push(format!("this clone's head   {local}"));
            details.push(format!("the remote's head   {remote}"));
        }
        if let Some(JournalError::Vanished { local, .. }) = journal_error(&e) {
            details.push(format!("this clone's head   {local}"));
        }
        if let Error::Production(ProductionError::Disagree { readings }) = &e {
            for r in readings {
                details.push(format!("{} said `{}` -> {}", r.source, r.said, r.commit));
            }
        }
        CommandError {
            kind: exit_kind(&e),
            message: e.to_string(),
            details,
            hints: hint(&e).into_iter().collect(),
        }
    }
}

impl From<hotfix_testkit::demo::DemoError> for CommandError {
    fn from(e: hotfix_testkit::demo::DemoError) -> Self {
        CommandError {
            kind: ExitKind::Error,
            message: format!("could not build the demo sandbox: {e}"),
            details: Vec::new(),
            hints: Vec::new(),
        }
    }
}

pub type CommandResult = Result<(), CommandError>;

/// Returns the journal error `e` is, directly or from a workflow.
fn journal_error(e: &Error) -> Option<&JournalError> {
    match e {
        Error::Journal(j) | Error::Workflow(WorkflowError::Journal(j)) => Some(j),
        _ => None,
    }
}

/// Returns how the process should exit.
fn exit_kind(e: &Error) -> ExitKind {
    // A journal the remote rewrote is not retried away: a person must look
    // at both heads and decide, like a release that moved.
    if let Some(JournalError::Diverged { .. } | JournalError::Vanished { .. }) = journal_error(e) {
        return ExitKind::Blocked;
    }
    match e {
        Error::UnknownFix { .. }
        | Error::EmptyRange { .. }
        | Error::NoFix
        | Error::UnknownService(_)
        | Error::MediumSeverity
        | Error::Workflow(
            WorkflowError::UnknownRole { .. }
            | WorkflowError::NotAttestable { .. }
            | WorkflowError::UnknownProduct { .. },
        ) => ExitKind::Usage,
        Error::Blocked { .. } | Error::ExtraCommits { .. } | Error::FixRequest { .. } | Error::MainVerdict { .. } => {
            ExitKind::Blocked
        }
        Error::Workflow(WorkflowError::Interrupted { .. }) => ExitKind::Interrupted,
        Error::Workflow(WorkflowError::NothingToRerun { .. }) => ExitKind::Usage,
        Error::Workflow(
            WorkflowError::ReleaseMoved { .. }
            | WorkflowError::RefExists { .. }
            | WorkflowError::ReleaseLocked { .. }
            | WorkflowError::LockLost(_)
            | WorkflowError::BlockedOnResume { .. }
            | WorkflowError::VerificationFailed { .. }
            | WorkflowError::PlanChanged { .. }
            | WorkflowError::PlanMismatch(_)
            | WorkflowError::ForbiddenAction { .. }
            | WorkflowError::ReleaseMovedAfterPush { .. }
            | WorkflowError::NotPushed { .. }
            | WorkflowError::SamePerson { .. }
            | WorkflowError::FixAuthor { .. }
            | WorkflowError::RoleTaken { .. }
            | WorkflowError::ApprovalRefused { .. }
            | WorkflowError::EvidenceMissing { .. }
            | WorkflowError::StepsRemain { .. }
            | WorkflowError::MonitoringWindow { .. }
            | WorkflowError::ReplanRefused { .. }
            | WorkflowError::UntrustedSteps { .. }
            | WorkflowError::DecisionsUnsigned { .. }
            | WorkflowError::ProductionChanged { .. }
            | WorkflowError::PickConflict { .. }
            | WorkflowError::NothingToResolve { .. }
            | WorkflowError::NotAConflictedBackport { .. }
            | WorkflowError::UnresolvedMarkers { .. }
            | WorkflowError::ResolutionEmpty { .. }
            | WorkflowError::ResolutionOutOfScope { .. }
            | WorkflowError::WorktreeInTheWay { .. }
            | WorkflowError::StepStillRunning { .. }
            | WorkflowError::RerunUndecided { .. }
            | WorkflowError::BackportBranchMoved { .. },
        ) => ExitKind::Blocked,
        Error::Workflow(WorkflowError::NoBackportTarget { .. }) => ExitKind::Usage,
        _ => ExitKind::Error,
    }
}

/// Returns what the operator can do next.
fn hint(e: &Error) -> Option<String> {
    match journal_error(e) {
        Some(JournalError::Diverged { id, local, remote }) => {
            return Some(format!(
                "nothing was changed; compare `git log --oneline {local}` (this clone's) with \
                 `git log --oneline {remote}` (the remote's); if this clone's is the true record, put it back with \
                 `git push --force-with-lease=refs/hotfix/runs/{id}:{remote} <remote> {local}:refs/hotfix/runs/{id}`"
            ))
        }
        Some(JournalError::SigningFailed { .. }) => {
            return Some(
                "nothing reached the remote; sign with an SSH key the allowed signers name: \
                 `git config gpg.format ssh` and `git config user.signingKey ~/.ssh/id_ed25519.pub`, then run the \
                 command again"
                    .into(),
            )
        }
        Some(JournalError::Vanished { id, local }) => {
            return Some(format!(
                "`git log --oneline {local}` shows this clone's journal; push it back with \
                 `git push <remote> {local}:refs/hotfix/runs/{id}` if the run should go on"
            ))
        }
        _ => {}
    }
    let h = match e {
        Error::Config(ConfigError::NotFound { .. }) => {
            "run `git hotfix init` to write a commented hotfix.toml, or pass --config PATH".into()
        }
        Error::Config(ConfigError::Invalid { .. }) => {
            "fix the key named above; every key is described in the README".into()
        }
        Error::Git(GitError::TooOld { .. }) => "install git 2.40 or newer, or point GIT_HOTFIX_GIT at one".into(),
        Error::Git(GitError::NoIdentity) | Error::Workflow(WorkflowError::Git(GitError::NoIdentity)) => {
            "the journal records who did what: `git config --global user.name \"Your Name\"` and \
             `git config --global user.email you@example.com`, then run the command again"
                .into()
        }
        Error::Git(GitError::NotARepository { .. }) => "run git hotfix inside the repository, or pass -C DIR".into(),
        Error::Git(e) if e.is_spurious() => {
            "a network fault; nothing is half-done: run the command again, or `git hotfix continue`".into()
        }
        Error::MissingRemote { remote } => {
            format!("add it with `git remote add {remote} <url>`, or set `remote` in hotfix.toml")
        }
        Error::BranchMissing { remote, .. } => {
            format!("check [branches] in hotfix.toml; `git ls-remote --heads {remote}` lists the branches")
        }
        Error::UnknownFix { .. } => {
            "check the SHA; git hotfix fetches only the release and main branches, so fetch the fix's branch first"
                .into()
        }
        Error::NoFix => "name the approved fix with --fix <rev>".into(),
        Error::UnknownService(_) => "name a service of [[services]] in hotfix.toml with --service".into(),
        Error::EmptyRange { .. } => {
            "A..B picks the commits B has and A lacks (along B's first parents); check the order".into()
        }
        Error::MediumSeverity => {
            "ship it with the normal release; pass --force only if the incident lead says otherwise".into()
        }
        Error::Blocked { .. } => "nothing was changed; `git hotfix plan` lists every reason".into(),
        Error::ConfigExists { .. } => "edit it, or pass --force to overwrite it".into(),
        Error::Ci(hotfix::ci::CiError::Exists { .. }) => {
            "compare it with `git hotfix ci --stdout`, or pass --force to overwrite it".into()
        }
        Error::Ci(hotfix::ci::CiError::UnknownStrategy { .. }) => {
            "write the pipeline by hand for now, from the README's Running in CI".into()
        }
        Error::FixRequest { .. } => {
            "merge-main deploys a fix merged to main: check the merge request on the forge, or pass the merge commit"
                .into()
        }
        Error::MainVerdict { .. } => {
            "nothing was changed; check `[trunk] releasable` and the forge, then plan again".into()
        }
        Error::ExtraCommits { .. } => {
            "nothing was changed; `git hotfix plan` lists them: ship them knowingly with --yes --allow-extra, \
             or deploy a commit that holds only the fix"
                .into()
        }
        Error::Production(ProductionError::NoSource) => "pass --production <sha> from the environment page".into(),
        Error::Production(ProductionError::NothingFound { .. } | ProductionError::NotInRepository { .. }) => {
            "stop: gather the deployed SHA from deploy logs, release records or the last successful production \
             pipeline, fetch it, then pass --production <sha>"
                .into()
        }
        Error::Production(ProductionError::CommandTimedOut { .. }) => {
            "raise `command_timeout` in [production] of hotfix.toml, or pass --production <sha> from the \
             environment page"
                .into()
        }
        Error::Production(ProductionError::Disagree { .. }) => {
            "find out which source is right before changing release; then pass --production <sha>".into()
        }
        Error::Workflow(w) => return workflow_hint(w),
        Error::Journal(JournalError::NoRuns) => "start one with `git hotfix start --fix <rev>`".into(),
        Error::Journal(JournalError::RunNotFound { .. }) => "`git hotfix log` lists the runs".into(),
        Error::Journal(JournalError::Contended { .. }) => {
            "nothing of yours was pushed; `git hotfix status` shows where the other operator took it".into()
        }
        _ => return None,
    };
    Some(h)
}

fn workflow_hint(e: &WorkflowError) -> Option<String> {
    let h = match e {
        WorkflowError::ReleaseMoved { .. } => {
            "nothing was pushed; look at the commits above, then run `git hotfix continue --rebuild` to restore \
             and re-pick on the new tip, or `git hotfix abort`"
        }
        WorkflowError::ReleaseLocked { .. } => {
            "one hotfix at a time: `git hotfix status` shows the run holding the lock; continue it or `git hotfix abort` it"
        }
        WorkflowError::LockLost(lost) => {
            let id = &lost.id;
            if let Some(holder) = &lost.holder {
                return Some(format!(
                    "another hotfix holds release now: `git hotfix status {holder}` shows it; find out how it got \
                     the lock, then `git hotfix abort {id}` closes this run"
                ));
            }
            let take_back = match &lost.found {
                None => format!(
                    "; or, once you know no other hotfix is under way, take it back with `git push {} {}:{}` and \
                     `git hotfix continue`",
                    lost.remote, lost.expected, lost.lock_ref
                ),
                Some(_) => String::new(),
            };
            return Some(format!(
                "find out who removed or replaced the lock (the remote's audit log) before anything else; `git \
                 hotfix abort {id}` closes this run{take_back}"
            ));
        }
        WorkflowError::Fault(_) => "the run stopped between steps; run `git hotfix continue` to resume",
        WorkflowError::RunFinished { .. } => "`git hotfix log` lists runs; start a new one with `git hotfix start`",
        WorkflowError::VerificationFailed { .. } => {
            "release is not as planned; `git hotfix status` shows the evidence; do not deploy it"
        }
        WorkflowError::PlanMismatch(mismatch) => {
            let id = &mismatch.id;
            return Some(format!(
                "refs/hotfix/* can be pushed by more people than release: find out who wrote this run (`git log \
                 --format=fuller refs/hotfix/runs/{id}`) before anything else; `git hotfix abort {id}` closes it"
            ));
        }
        WorkflowError::BlockedOnResume { .. } | WorkflowError::PlanChanged { .. } => {
            "nothing was pushed; `git hotfix abort` and plan again"
        }
        WorkflowError::RefExists { name, .. } if name.starts_with("refs/tags/") => {
            "someone else took this version: look at who made the tag (`git show` it); `git hotfix abort` and \
             plan again, which takes the next free version"
        }
        WorkflowError::RefExists { .. } => {
            "someone else made that branch: look at it, then `git hotfix abort` and plan again, or delete it and \
             `git hotfix continue`"
        }
        WorkflowError::UnknownProduct { .. } => "pass --product NAME with one of the products above",
        WorkflowError::NoProductionTag { .. } => {
            "production is found among the product's tags: fetch them (`git fetch --tags`), or name the tag with \
             --production <tag>"
        }
        WorkflowError::PushRefused { .. } => "the remote refused (a protected branch or a hook?); fix that, then `git hotfix continue`",
        WorkflowError::Git(g) if g.is_spurious() => "a network fault; run `git hotfix continue` to retry",
        WorkflowError::ForbiddenAction { .. } => {
            "nothing was run; set [release] action to the service's own release job (never cut-off)"
        }
        WorkflowError::ReleaseMovedAfterPush {
            production_touched: false,
            ..
        } => {
            "nothing of this run reached production; look at who moved release, then `git hotfix continue --rebuild` \
             restores and re-picks on the new tip (approvals are asked again), or `git hotfix abort`"
        }
        WorkflowError::ReleaseMovedAfterPush { .. } => {
            "production may run this run's commit; find out who moved release; `git hotfix rollback` restores \
             production's tree and redeploys it, or `git hotfix abort`"
        }
        WorkflowError::UntrustedSteps { have_config: true, .. } => {
            "the journal on the remote may have been edited: compare those steps in `git hotfix status --json` \
             (record.plan.steps) with your hotfix.toml; if yours is right, `git hotfix continue --replan` runs yours"
        }
        WorkflowError::UntrustedSteps { .. } => {
            "run it from a clone with the team's hotfix.toml, where the steps can be checked (then `git hotfix \
             continue --replan` runs that clone's configuration)"
        }
        WorkflowError::DecisionsUnsigned { .. } => {
            "the journal on the remote may have been forged or edited: `git hotfix verify` shows the whole check; \
             if those entries are a teammate's, add their key to the allowed signers (`[approvals] allowed_signers`)"
        }
        WorkflowError::ProductionChanged { .. } => {
            "production is not what the run started from (it moved since, or the journal on the remote was edited): \
             `git hotfix abort` the run and `git hotfix start` again from what production runs now; nothing moved"
        }
        WorkflowError::ReplanRefused { .. } => {
            "put those keys back as the run has them (`git hotfix status --json` shows its record), or `git hotfix \
             abort` the run and start a new one"
        }
        WorkflowError::MonitoringWindow { .. } => {
            "watch production until the window ends, then `git hotfix finish`; `git hotfix finish --force` closes it now"
        }
        WorkflowError::ProductionStepFailed { rollback: true, .. } => {
            return Some(
                "production may be half-changed: `git hotfix rollback` restores release to the last good production commit and redeploys it (`--service NAME`: only that service); or fix the cause and `git hotfix continue --yes` to retry the step"
                    .into(),
            )
        }
        WorkflowError::ProductionStepFailed { .. } => {
            "fix the cause (`git hotfix status` shows the output), then `git hotfix continue --yes` retries the step"
        }
        WorkflowError::GateNotConfigured { .. } => "restore the key in hotfix.toml, then `git hotfix continue`",
        WorkflowError::UnknownRole { .. } => "pass one of the roles above with --role",
        WorkflowError::PickConflict { .. } => {
            "release is locked and untouched; `git hotfix resolve` opens the conflict in a separate worktree, \
             then edit and `git hotfix continue`; or `git hotfix abort`"
        }
        WorkflowError::NothingToResolve { .. } => "`git hotfix status` shows where the run is",
        WorkflowError::UnresolvedMarkers { worktree, .. } | WorkflowError::ResolutionEmpty { worktree, .. } => {
            return Some(format!(
                "finish the edit in {}, then `git hotfix continue`; or `git hotfix abort`",
                worktree.display()
            ))
        }
        WorkflowError::ResolutionOutOfScope { worktree, paths, .. } => {
            return Some(format!(
                "undo those changes (`git -C {} checkout HEAD -- {}`), then `git hotfix continue`",
                worktree.display(),
                paths.join(" ")
            ))
        }
        WorkflowError::WorktreeInTheWay { .. } => "move that directory away, then `git hotfix resolve` again",
        WorkflowError::NotPushed { .. } => "`git hotfix status` shows where the run is; `git hotfix continue` goes on",
        WorkflowError::SamePerson { .. } | WorkflowError::RoleTaken { .. } => {
            "another person approves this role from their own clone: `git hotfix approve --role ROLE`"
        }
        WorkflowError::ApprovalRefused { refusal, .. } => return Some(approval_hint(refusal).into()),
        WorkflowError::AllowedSignersMissing { .. } => {
            "commit the team's allowed signers there (one `principal key` line per person, git's \
             gpg.ssh.allowedSignersFile format), or name the right path in [approvals] allowed_signers"
        }
        WorkflowError::FixAuthor { .. } => {
            "someone other than the fix's author approves; `allow_fix_author = true` in [approvals] lifts the rule"
        }
        WorkflowError::EvidenceMissing { .. } => {
            "`git hotfix report` lists every item; `git hotfix continue` runs remaining steps, and `git hotfix attest ITEM --detail TEXT` records work done outside git-hotfix"
        }
        WorkflowError::StepsRemain { .. } => "`git hotfix continue` carries out the remaining steps first",
        WorkflowError::NotAttestable { .. } => "`git hotfix report` lists the items and what proves each",
        WorkflowError::Interrupted {
            step,
            during_command: true,
            may_have_run: true,
            ..
        } => {
            return Some(format!(
                "find out whether the {step} ran (its own log, production), then `git hotfix continue --yes --rerun {step}` \
                 runs it again, or `git hotfix rollback`; `git hotfix status` shows its output"
            ))
        }
        WorkflowError::Interrupted { .. } => "the run stopped cleanly; `git hotfix continue --yes` goes on from here",
        WorkflowError::StepStillRunning { pgid, host, .. } => {
            return Some(format!(
                "wait for process group {pgid} on {host} to end (`ps -g {pgid}` there), then `git hotfix continue` again"
            ))
        }
        WorkflowError::RerunUndecided { attempt, known_gone } => {
            let step = &attempt.step;
            let gone = if *known_gone || attempt.interrupted.is_some() || attempt.pgid == 0 {
                String::new()
            } else {
                format!("make sure process group {} on {} has ended; ", attempt.pgid, attempt.host)
            };
            return Some(format!(
                "{gone}find out whether the {step} ran (its own log, production), then `git hotfix continue --yes --rerun \
                 {step}` runs it again, or `git hotfix rollback`"
            ));
        }
        WorkflowError::NothingToRerun { .. } => "`git hotfix status` shows the run; drop --rerun",
        _ => return None,
    };
    Some(h.to_string())
}

/// Returns what a person does about an approval that would not count.
fn approval_hint(refusal: &Refusal) -> &'static str {
    match refusal {
        Refusal::SigningFailed { .. } | Refusal::Unsigned => {
            "nothing was pushed; set up commit signing in this clone: `git config gpg.format ssh` and \
             `git config user.signingKey <key>` (a key the team's allowed signers name), then approve again"
        }
        Refusal::NotVerified { .. } => {
            "nothing was pushed; sign with a key [approvals] allowed_signers names, or have the team add yours \
             (`principal key` line) to that file"
        }
        Refusal::NotOnForge { .. } => {
            "nothing was pushed; approve with `git hotfix approve --role <role>` and your own forge token, once the \
             deploy job's deployment waits for approval (after the release job)"
        }
        Refusal::UnknownRole { .. } => "pass one of the run's roles with --role",
        Refusal::FixAuthor { .. } => {
            "nothing was pushed; someone other than the fix's author approves; `allow_fix_author = true` in \
             [approvals] lifts the rule"
        }
        Refusal::Operator { .. }
        | Refusal::Resolver { .. }
        | Refusal::SamePerson { .. }
        | Refusal::RoleTaken { .. }
        | Refusal::Repeat { .. } => {
            "nothing was pushed; another person approves this role from their own clone, signing with their own key: \
             `git hotfix approve --role ROLE`"
        }
    }
}
