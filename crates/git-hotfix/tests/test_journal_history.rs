//! A journal's history is append-only: a clone refuses a remote journal that
//! does not extend the chain it has seen (`refs/hotfix/*` is writable by more
//! people than release), and keeps its own copy as it was.

use crate::common::Scenario;

/// Returns the id of the one run in `s.work`'s journal.
pub(crate) fn run_id(s: &Scenario) -> String {
    let refs = s.git(
        &s.work,
        &["for-each-ref", "--format=%(refname:strip=3)", "refs/hotfix/runs/"],
    );
    refs.lines().next().expect("a run exists").to_string()
}

/// Rewrites run `id`'s journal on the origin, as a force push by someone who
/// may push `refs/hotfix/*` would: `edit` sees each entry's index and commit
/// message and returns the message to write again, or `None` to drop the
/// entry; the chain is re-hashed on top of the entries kept.
fn rewrite(s: &Scenario, id: &str, edit: impl Fn(usize, String) -> Option<String>) -> String {
    let run_ref = format!("refs/hotfix/runs/{id}");
    let chain = s.git(&s.origin, &["rev-list", "--reverse", "--first-parent", &run_ref]);
    let mut parent: Option<String> = None;
    for (i, commit) in chain.lines().enumerate() {
        let message = s.git(&s.origin, &["log", "-1", "--format=%B", commit]);
        let Some(message) = edit(i, message) else { continue };
        let tree = s.git(&s.origin, &["log", "-1", "--format=%T", commit]);
        let mut args = vec!["commit-tree", tree.as_str(), "-m", message.as_str()];
        if let Some(p) = &parent {
            args.extend(["-p", p.as_str()]);
        }
        parent = Some(s.git(&s.origin, &args));
    }
    let head = parent.expect("the run keeps entries");
    s.git(&s.origin, &["update-ref", &run_ref, &head]);
    head
}

/// Runs `status` of run `id` in the work clone against the origin's journal
/// now at `remote`, and checks it is refused naming both heads, with the
/// local journal, its remote-tracking copy and the origin unchanged.
#[track_caller]
fn refused(s: &Scenario, id: &str, remote: &str) {
    let run_ref = format!("refs/hotfix/runs/{id}");
    let local = s.rev(&s.work, &run_ref);
    let seen = s.git(&s.work, &["for-each-ref", "refs/hotfix-remote/origin/runs/"]);
    let origin = s.origin_refs();
    for args in [
        vec!["status", id],
        vec!["status"],
        vec!["continue", "--yes"],
        vec!["report", id],
    ] {
        let status = s.hotfix(&s.work, &args);
        status.expect_code(3);
        assert!(
            status.stderr.contains(&format!(
                "the remote's journal of run `{id}` does not extend the one this clone has"
            )),
            "{args:?}: {}",
            status.stderr
        );
        assert!(
            status.stderr.contains(&format!("this clone's head   {local}")),
            "{}",
            status.stderr
        );
        assert!(
            status.stderr.contains(&format!("the remote's head   {remote}")),
            "{}",
            status.stderr
        );
        assert!(
            status.stderr.contains(&format!("git log --oneline {local}")),
            "{}",
            status.stderr
        );
        assert_eq!(
            s.rev(&s.work, &run_ref),
            local,
            "{args:?}: the local journal did not move"
        );
        assert_eq!(
            s.git(&s.work, &["for-each-ref", "refs/hotfix-remote/origin/runs/"]),
            seen,
            "{args:?}: the history this clone saw did not move"
        );
        assert_eq!(s.origin_refs(), origin, "{args:?}: nothing was pushed");
    }
    // Nothing was overwritten: the reflog holds only this clone's own moves.
    let reflog = s.git(&s.work, &["reflog", "show", "--format=%gs", &run_ref]);
    assert!(!reflog.contains("from remote"), "{reflog}");
}

#[test]
fn a_rehashed_chain_with_the_incident_edited_is_refused() {
    let s = Scenario::new();
    s.start_fix(&["--incident", "INC-9"]).expect_code(0);
    let id = run_id(&s);
    let remote = rewrite(&s, &id, |i, m| {
        Some(if i == 0 { m.replace("INC-9", "INC-1") } else { m })
    });
    refused(&s, &id, &remote);
}

#[test]
fn a_chain_with_an_entry_dropped_is_refused() {
    let s = Scenario::new();
    s.start_fix(&[]).expect_code(0);
    let id = run_id(&s);
    let remote = rewrite(&s, &id, |i, m| (i != 2).then_some(m));
    refused(&s, &id, &remote);
}

#[test]
fn a_chain_with_another_production_commit_recorded_is_refused() {
    let s = Scenario::new();
    s.start_fix(&[]).expect_code(0);
    let id = run_id(&s);
    let (p, other) = (s.p.clone(), s.u1.clone());
    let remote = rewrite(&s, &id, |_, m| {
        Some(if m.contains("record-production") {
            m.replace(&p, &other)
        } else {
            m
        })
    });
    assert!(
        s.git(&s.origin, &["log", "--format=%B", &remote]).contains(&s.u1),
        "the forged chain records another production commit"
    );
    refused(&s, &id, &remote);
}

#[test]
fn a_truncated_chain_is_refused() {
    let s = Scenario::new();
    s.start_fix(&[]).expect_code(0);
    let id = run_id(&s);
    let run_ref = format!("refs/hotfix/runs/{id}");
    let earlier = s.git(&s.origin, &["rev-parse", &format!("{run_ref}~2")]);
    s.git(&s.origin, &["update-ref", &run_ref, &earlier]);
    refused(&s, &id, &earlier);
}

#[test]
fn a_journal_ref_set_to_a_project_commit_is_refused() {
    let s = Scenario::new();
    s.start_interrupted_before("push-release");
    let id = run_id(&s);
    let release = s.release0.clone();
    s.git(&s.origin, &["update-ref", &format!("refs/hotfix/runs/{id}"), &release]);
    refused(&s, &id, &release);
}

#[test]
fn a_journal_deleted_on_the_remote_is_refused() {
    let s = Scenario::new();
    s.start_fix(&[]).expect_code(0);
    let id = run_id(&s);
    let run_ref = format!("refs/hotfix/runs/{id}");
    let local = s.rev(&s.work, &run_ref);
    s.git(&s.origin, &["update-ref", "-d", &run_ref]);
    let status = s.hotfix(&s.work, &["status", &id]);
    status.expect_code(3);
    assert!(status.stderr.contains("no longer on the remote"), "{}", status.stderr);
    assert_eq!(s.rev(&s.work, &run_ref), local);
}

#[test]
fn another_operators_entries_on_top_are_adopted() {
    let s = Scenario::new();
    s.start_interrupted_before("push-release");
    let id = run_id(&s);
    // The work clone has seen the run as the origin holds it.
    s.hotfix(&s.work, &["status", &id]).expect_code(0);
    // A colleague who never saw the run loads it and carries it on.
    let other = s.clone_as("other");
    s.hotfix(&other, &["status", &id]).expect_code(0);
    s.hotfix(&other, &["continue", "--yes"]).expect_code(0);
    let run_ref = format!("refs/hotfix/runs/{id}");
    let head = s.origin_ref(&run_ref).expect("run on origin");
    let status = s.hotfix(&s.work, &["status", &id]);
    status.expect_code(0);
    assert!(status.stdout.contains("released"), "{}", status.stdout);
    assert_eq!(s.rev(&s.work, &run_ref), head, "the extension was adopted");
}
