//! Which approvals count. An `approved` entry is a claim written to
//! `refs/hotfix/*`, which more people can push than can push release, so
//! every reader checks the claims again from the journal: under
//! `[approvals] verify = "signature"` an approval's approver is the key that
//! signed its entry (and the principal the allowed signers name for it), never
//! the email in the entry; under `verify = "none"` the self-declared git email
//! stands, and every approval is marked unverified.
//!
//! The rules, by identity: each role one approver, each approver one role;
//! the operator who started the run, whoever resolved one of its conflicts,
//! and the fixes' authors and committers (unless `allow_fix_author`) do not
//! approve.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::config::{ApprovalCheck, Approvals, Config};
use crate::git::{Git, Oid, SignatureCheck, Verdict};
use crate::journal::{person_of, Approval, Event, Run, Verification};

use super::forge_approvals;
use super::gates::approval_roles;
use super::WorkflowError;

/// The approvals of a run, sorted into those that count and those that do not.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Review {
    /// The approvals that count, oldest first, each with how it was verified.
    pub counted: Vec<Counted>,
    /// The approvals that do not count, with why.
    pub refused: Vec<NotCounted>,
}

/// An approval that counts.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Counted {
    pub entry: Oid,
    #[serde(flatten)]
    pub approval: Approval,
}

/// An approval that does not count.
#[derive(Clone, Debug, serde::Serialize)]
pub struct NotCounted {
    pub entry: Oid,
    #[serde(flatten)]
    pub approval: Approval,
    /// Why, for people.
    pub reason: String,
    #[serde(skip)]
    pub refusal: Refusal,
}

impl NotCounted {
    fn new(entry: &Oid, approval: &Approval, refusal: Refusal) -> NotCounted {
        NotCounted {
            entry: entry.clone(),
            approval: Approval {
                verified: None,
                ..approval.clone()
            },
            reason: refusal.to_string(),
            refusal,
        }
    }

    /// Says which entry does not count and why, in one line.
    pub fn describe(&self) -> String {
        format!(
            "the approval as {} in entry {} ({}) does not count: {}",
            self.approval.role,
            self.entry.short(),
            self.approval.ident,
            self.reason
        )
    }
}

/// Why an approval does not count.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("git could not sign the approval with your signing configuration: {detail}")]
    SigningFailed { detail: String },
    #[error("its entry is not signed")]
    Unsigned,
    #[error("its entry is {}{}", .verdict.describe(), .key.as_ref().map_or(String::new(), |k| format!(" (key {k})")))]
    NotVerified { verdict: Verdict, key: Option<String> },
    #[error("the forge does not record it: {reason}")]
    NotOnForge { reason: String },
    #[error("`{role}` is not a role of this run's [approvals]")]
    UnknownRole { role: String },
    #[error("{who} started this run; the operator may not approve it")]
    Operator { who: String },
    #[error("{who} authored or committed fix {}; the author of a fix may not approve it", .fix.short())]
    FixAuthor { who: String, fix: Oid },
    #[error("{who} resolved a conflict of this run; whoever resolved one may not approve it")]
    Resolver { who: String },
    #[error("{who} already approved as {other_role}; each role needs a different person")]
    SamePerson { who: String, other_role: String },
    #[error("role {role} is already approved by {by}")]
    RoleTaken { role: String, by: String },
    /// The same approver approved the same role again: the first counts.
    #[error("{who} approved as {role} before; the first approval counts")]
    Repeat { who: String, role: String },
}

impl Review {
    /// Returns the roles of `roles` without an approval that counts.
    pub fn missing(&self, roles: &[String]) -> Vec<String> {
        roles
            .iter()
            .filter(|r| !self.counted.iter().any(|c| &c.approval.role == *r))
            .cloned()
            .collect()
    }

    /// Returns the counted approvals, each with how it was verified.
    pub fn approvals(&self) -> Vec<Approval> {
        self.counted.iter().map(|c| c.approval.clone()).collect()
    }

    /// Returns the approvals that do not count and say something new
    /// (a repeat of a counted approval is left out).
    pub fn objections(&self) -> impl Iterator<Item = &NotCounted> {
        self.refused
            .iter()
            .filter(|r| !matches!(r.refusal, Refusal::Repeat { .. }))
    }
}

/// Returns the allowed-signers file the run's approvals are checked
/// against, from the repository's top, or an error naming the path when it
/// does not exist.
pub fn allowed_signers(git: &Git, approvals: &Approvals) -> Result<Option<PathBuf>, WorkflowError> {
    let top = git.work_tree().unwrap_or_else(|| git.git_dir());
    let Some(path) = approvals.allowed_signers_in(top) else {
        return Ok(None);
    };
    if !path.is_file() {
        return Err(WorkflowError::AllowedSignersMissing { path });
    }
    Ok(Some(path))
}

/// One approver, as the run's check establishes them.
#[derive(Clone, Debug)]
struct Identity {
    /// The signing key; `None` under `verify = "none"`.
    key: Option<String>,
    /// The allowed signers' principal, or the git email; lowercased.
    principal: String,
}

impl Identity {
    fn is(&self, other: &Identity) -> bool {
        (!self.principal.is_empty() && self.principal == other.principal)
            || (self.key.is_some() && self.key == other.key)
    }

    fn describe(&self) -> String {
        match &self.key {
            // A forge user: `@tess (GitLab user 7)`.
            Some(key) if self.principal.starts_with('@') => format!("{} ({key})", self.principal),
            Some(key) => format!("{} (key {key})", self.principal),
            None => self.principal.clone(),
        }
    }
}

/// Who may not approve: the operator, the resolvers, the fixes' people.
struct Excluded {
    operator: Vec<Identity>,
    resolvers: Vec<Identity>,
    /// Each fix with the identities that made it.
    fixes: Vec<(Oid, Vec<Identity>)>,
}

/// Sorts the run's approvals into those that count and those that do not,
/// by the run's `[approvals]` rules.
/// `config` names the forge asked under `verify = "forge"`.
pub fn review(git: &Git, run: &Run, config: &Config) -> Result<Review, WorkflowError> {
    let approvals = approval_roles(run).cloned().unwrap_or_default();
    let given = run.approval_entries();
    if given.is_empty() {
        return Ok(Review::default());
    }
    let signed = match approvals.verify {
        ApprovalCheck::None => None,
        ApprovalCheck::Forge => return Ok(review_on_forge(git, run, config, &approvals)),
        // Signatures without allowed signers: a run recorded before
        // approvals were verified (hotfix.toml refuses it since), checked as
        // it was then. A record claiming it is a forged record, which the
        // check of recorded parameters against a trusted hotfix.toml refuses.
        ApprovalCheck::Signature => allowed_signers(git, &approvals)?,
    };
    let checks: HashMap<Oid, SignatureCheck> = match &signed {
        Some(path) => run
            .signatures(git, path)?
            .into_iter()
            .map(|c| (c.commit.clone(), c))
            .collect(),
        None => HashMap::new(),
    };
    let excluded = excluded(git, run, &approvals, signed.as_deref(), &checks)?;
    let mut review = Review::default();
    for (entry, _, approval) in given {
        let verdict = match &signed {
            Some(_) => identify(checks.get(entry)),
            None => Ok((
                Identity {
                    key: None,
                    principal: approval.person(),
                },
                Verification::Unverified,
            )),
        };
        let outcome = verdict.and_then(|(who, verification)| {
            judge(&review, &approvals, &excluded, approval, &who)?;
            Ok(verification)
        });
        match outcome {
            Ok(verification) => review.counted.push(Counted {
                entry: entry.clone(),
                approval: Approval {
                    verified: Some(verification),
                    ..approval.clone()
                },
            }),
            Err(refusal) => review.refused.push(NotCounted::new(entry, approval, refusal)),
        }
    }
    Ok(review)
}

/// Reviews the approvals against the forge's record of the deploy job's
/// deployment: each counts when the forge holds the approval its entry
/// claims; the forge user is the identity.
fn review_on_forge(git: &Git, run: &Run, config: &Config, approvals: &Approvals) -> Review {
    let target = match forge_approvals::target(config, git.git_dir(), run) {
        Ok(target) => target,
        Err(reason) => return refuse_all(run, &Refusal::NotOnForge { reason }),
    };
    let Some(deployment) = target.deployment else {
        let reason = "the deploy job has no deployment on the forge yet".to_string();
        return refuse_all(run, &Refusal::NotOnForge { reason });
    };
    let forge = forge_name(target.forge.kind());
    let excluded = match forge_excluded(git, run, approvals) {
        Ok(excluded) => excluded,
        Err(e) => {
            let reason = format!("the fixes' authors could not be read: {e}");
            return refuse_all(run, &Refusal::NotOnForge { reason });
        }
    };
    let rollback = run.phase() == crate::journal::Phase::Rollback;
    let mut review = Review::default();
    for (entry, _, approval) in run.approval_entries() {
        let outcome = forge_approvals::backing(&deployment, &run.id, &approval.role, rollback, approval.forge.as_ref())
            .map_err(|reason| Refusal::NotOnForge { reason })
            .and_then(|found| {
                let verification = Verification::Forge {
                    forge: forge.clone(),
                    user: found.user.clone(),
                    deployment: deployment.id,
                    created_at: found.created_at.clone(),
                };
                let who = identity_of(&verification).expect("a forge verification names a user");
                judge(&review, approvals, &excluded, approval, &who)?;
                Ok((verification, found.clone()))
            });
        match outcome {
            Ok((verification, found)) => review.counted.push(Counted {
                entry: entry.clone(),
                approval: Approval {
                    verified: Some(verification),
                    forge: Some(found),
                    ..approval.clone()
                },
            }),
            Err(refusal) => review.refused.push(NotCounted::new(entry, approval, refusal)),
        }
    }
    review
}

/// Returns the forge's name as people write it.
pub fn forge_name(kind: crate::config::ForgeKind) -> String {
    match kind {
        crate::config::ForgeKind::Gitlab => "GitLab".into(),
        crate::config::ForgeKind::Github => "GitHub".into(),
    }
}

/// Returns who may not approve on the forge: the operator, the resolvers
/// and the fixes' authors and committers, each by the forge username
/// `[approvals] forge_users` gives their git email (a forge does not show
/// other users' emails); one without a mapping is not known on the forge.
fn forge_excluded(git: &Git, run: &Run, approvals: &Approvals) -> Result<Excluded, WorkflowError> {
    let on_forge = |email: &str| -> Vec<Identity> {
        let email = email.trim().to_ascii_lowercase();
        approvals
            .forge_users
            .iter()
            .filter(|(e, _)| e.trim().to_ascii_lowercase() == email)
            .map(|(_, user)| Identity {
                key: None,
                principal: format!("@{}", user.trim_start_matches('@').to_ascii_lowercase()),
            })
            .collect()
    };
    let mut excluded = Excluded {
        operator: Vec::new(),
        resolvers: Vec::new(),
        fixes: Vec::new(),
    };
    if let Some((_, created)) = run.entries.first() {
        excluded.operator = on_forge(&person_of(&created.actor.ident));
    }
    for (_, entry) in &run.entries {
        if matches!(entry.event, Event::Resolved { .. }) {
            excluded.resolvers.extend(on_forge(&person_of(&entry.actor.ident)));
        }
    }
    if !approvals.allow_fix_author && !run.record.fixes.is_empty() {
        for fix in git.commits(&run.record.fixes)? {
            let mut people = on_forge(&fix.author.email);
            people.extend(on_forge(&fix.committer.email));
            excluded.fixes.push((fix.id, people));
        }
    }
    Ok(excluded)
}

/// Checks, before anything is posted, that forge user `user` may approve
/// in `role` by the rules every reader applies; `Refusal::Repeat` when
/// they already did.
pub fn check_forge_approver(
    git: &Git,
    run: &Run,
    review: &Review,
    forge: &str,
    role: &str,
    user: &crate::record::forge::ForgeApprover,
) -> Result<(), Refusal> {
    let approvals = approval_roles(run).cloned().unwrap_or_default();
    let excluded = forge_excluded(git, run, &approvals).map_err(|e| Refusal::NotOnForge {
        reason: format!("the fixes' authors could not be read: {e}"),
    })?;
    let who = identity_of(&Verification::Forge {
        forge: forge.to_string(),
        user: user.clone(),
        deployment: 0,
        created_at: String::new(),
    })
    .expect("a forge verification names a user");
    let claim = Approval {
        role: role.to_string(),
        ident: String::new(),
        at: 0,
        release_tip: run.record.plan.production.commit.clone(),
        verified: None,
        forge: None,
        rollback: run.phase() == crate::journal::Phase::Rollback,
    };
    judge(review, &approvals, &excluded, &claim, &who)
}

/// Returns the identity a forge verification proves: the forge user, by id.
fn identity_of(verification: &Verification) -> Option<Identity> {
    match verification {
        Verification::Forge { forge, user, .. } => Some(Identity {
            key: Some(format!("{forge} user {}", user.id)),
            principal: format!("@{}", user.username.to_ascii_lowercase()),
        }),
        _ => None,
    }
}

fn refuse_all(run: &Run, refusal: &Refusal) -> Review {
    Review {
        counted: Vec::new(),
        refused: run
            .approval_entries()
            .into_iter()
            .map(|(entry, _, approval)| NotCounted::new(entry, approval, refusal.clone()))
            .collect(),
    }
}

/// Returns the approver a signature proves, or why it proves none.
fn identify(check: Option<&SignatureCheck>) -> Result<(Identity, Verification), Refusal> {
    let Some(check) = check else {
        return Err(Refusal::Unsigned);
    };
    if let Some((key, signer)) = check.verified() {
        let who = Identity {
            key: Some(key.to_string()),
            principal: signer.to_ascii_lowercase(),
        };
        let verification = Verification::Signature {
            key: key.to_string(),
            principal: signer.to_string(),
        };
        return Ok((who, verification));
    }
    Err(match check.verdict {
        Verdict::Unsigned => Refusal::Unsigned,
        verdict => Refusal::NotVerified {
            verdict,
            key: check.key.clone(),
        },
    })
}

/// Checks one identified approval against the rules and the approvals
/// counted before it.
fn judge(
    review: &Review,
    approvals: &Approvals,
    excluded: &Excluded,
    approval: &Approval,
    who: &Identity,
) -> Result<(), Refusal> {
    if !approvals.roles.contains(&approval.role) {
        return Err(Refusal::UnknownRole {
            role: approval.role.clone(),
        });
    }
    if excluded.operator.iter().any(|o| o.is(who)) {
        return Err(Refusal::Operator { who: who.describe() });
    }
    if excluded.resolvers.iter().any(|r| r.is(who)) {
        return Err(Refusal::Resolver { who: who.describe() });
    }
    if let Some((fix, _)) = excluded
        .fixes
        .iter()
        .find(|(_, people)| people.iter().any(|p| p.is(who)))
    {
        return Err(Refusal::FixAuthor {
            who: who.describe(),
            fix: fix.clone(),
        });
    }
    for counted in &review.counted {
        let earlier = counted_identity(&counted.approval);
        let same = earlier.is(who);
        match (counted.approval.role == approval.role, same) {
            (true, true) => {
                return Err(Refusal::Repeat {
                    who: who.describe(),
                    role: approval.role.clone(),
                })
            }
            (true, false) => {
                return Err(Refusal::RoleTaken {
                    role: approval.role.clone(),
                    by: earlier.describe(),
                })
            }
            (false, true) => {
                return Err(Refusal::SamePerson {
                    who: who.describe(),
                    other_role: counted.approval.role.clone(),
                })
            }
            (false, false) => {}
        }
    }
    Ok(())
}

fn counted_identity(approval: &Approval) -> Identity {
    match &approval.verified {
        Some(Verification::Signature { key, principal }) => Identity {
            key: Some(key.clone()),
            principal: principal.to_ascii_lowercase(),
        },
        Some(v @ Verification::Forge { .. }) => identity_of(v).expect("a forge verification names a user"),
        _ => Identity {
            key: None,
            principal: approval.person(),
        },
    }
}

/// Returns who may not approve the run. Under `verify = "none"` only the
/// fixes' authors, by email, as before signatures; under `"signature"` the
/// operator and the resolvers too, by key and by email, and the fixes'
/// committers and signing keys.
fn excluded(
    git: &Git,
    run: &Run,
    approvals: &Approvals,
    signed: Option<&Path>,
    checks: &HashMap<Oid, SignatureCheck>,
) -> Result<Excluded, WorkflowError> {
    let by_email = |email: &str| Identity {
        key: None,
        principal: email.trim().to_ascii_lowercase(),
    };
    let of_entry = |oid: &Oid, ident: &str| {
        let mut people = vec![by_email(&person_of(ident))];
        if let Some(check) = checks.get(oid) {
            people.push(Identity {
                key: check.key.clone(),
                // A key alone: an unverified signer's name proves nothing.
                principal: check
                    .verified()
                    .map(|(_, s)| s.to_ascii_lowercase())
                    .unwrap_or_default(),
            });
        }
        people.retain(|p| !p.principal.is_empty() || p.key.is_some());
        people
    };
    let mut excluded = Excluded {
        operator: Vec::new(),
        resolvers: Vec::new(),
        fixes: Vec::new(),
    };
    if signed.is_some() {
        if let Some((oid, created)) = run.entries.first() {
            excluded.operator = of_entry(oid, &created.actor.ident);
        }
        for (oid, entry) in &run.entries {
            if matches!(entry.event, Event::Resolved { .. }) {
                excluded.resolvers.extend(of_entry(oid, &entry.actor.ident));
            }
        }
    }
    if approvals.allow_fix_author || run.record.fixes.is_empty() {
        return Ok(excluded);
    }
    let fixes = git.commits(&run.record.fixes)?;
    let keys = match signed {
        Some(path) => git.check_signatures(&run.record.fixes, path)?,
        None => Vec::new(),
    };
    for fix in fixes {
        let mut people = vec![by_email(&fix.author.email)];
        if signed.is_some() {
            people.push(by_email(&fix.committer.email));
            if let Some(key) = keys.iter().find(|c| c.commit == fix.id).and_then(|c| c.key.clone()) {
                people.push(Identity {
                    key: Some(key),
                    principal: String::new(),
                });
            }
        }
        excluded.fixes.push((fix.id, people));
    }
    Ok(excluded)
}
