//! The real backports of a repository, as the replay examples read them:
//! commits whose message says `(cherry picked from commit X)` of exactly
//! one source. Each example keeps its own filters.

use hotfix::git::{Git, Oid};

/// One backport as its commit records it.
pub struct Record {
    pub backport: Oid,
    /// The backport's first parent: what the source was picked onto.
    pub onto: Oid,
    pub source: Oid,
}

/// Returns the backports `git log <revs> -z --grep=...` lists, newest
/// first, leaving out those naming no source or several (a squash of
/// several sources is no single pick).
pub fn records(git: &Git, revs: &[&str]) -> Vec<Record> {
    let mut args = vec!["log"];
    args.extend_from_slice(revs);
    args.extend(["-z", "--grep=(cherry picked from commit ", "--format=%H %P%n%B"]);
    let out = git.run(&args).expect("git log");
    out.split('\0')
        .filter_map(|record| {
            let (header, body) = record.trim_start_matches('\n').split_once('\n')?;
            let mut ids = header.split(' ').filter_map(Oid::parse);
            let (backport, onto) = (ids.next()?, ids.next()?);
            let sources: Vec<Oid> = body
                .lines()
                .filter_map(|l| l.trim().strip_prefix("(cherry picked from commit "))
                .filter_map(|rest| Oid::parse(rest.trim_end_matches(')')))
                .collect();
            let [source] = <[Oid; 1]>::try_from(sources).ok()?;
            Some(Record { backport, onto, source })
        })
        .collect()
}
