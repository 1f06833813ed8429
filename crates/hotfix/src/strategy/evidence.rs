//! A runbook's checklist as data: each item in the runbook's words, and what
//! proves it. Each strategy names its own (restore-release: seed 000's
//! "Validation And Evidence"; from-tag: seed 003's "Hotfix Checklist"); the
//! report and `finish` read it, and `attest` says which items a person may
//! vouch for.

use crate::record::plan::StepName;

/// One item of a checklist.
#[derive(Debug)]
pub struct EvidenceSpec {
    /// A stable id (`restore-diff-empty`), the key `git hotfix attest` takes.
    pub id: &'static str,
    /// The runbook's words.
    pub item: &'static str,
    pub proof: Proof,
}

/// What proves an item.
#[derive(Debug)]
pub enum Proof {
    /// The first of `steps` the run plans proves it with its evidence. When
    /// the run plans none of them, a person may attest it if `attestable`;
    /// with `only_if_planned`, the item is in the checklist only when the run
    /// plans one of them (approvals, when `[approvals]` has roles).
    Steps {
        steps: &'static [StepName],
        attestable: bool,
        only_if_planned: bool,
    },
    /// The run's record: the severity (and its time limit) set at `start`.
    Severity,
    /// The incident id given at `start`, with this report as its record; a
    /// person may attest it otherwise.
    Incident,
    /// Only a person can say (tested locally, users notified): attested.
    Person,
}

impl Proof {
    /// Returns true when a person may attest the item.
    pub fn attestable(&self) -> bool {
        match self {
            Proof::Steps { attestable, .. } => *attestable,
            Proof::Severity => false,
            Proof::Incident | Proof::Person => true,
        }
    }
}
