//! Seed 003's "Hotfix Checklist", the 17 items, each proven by a step of
//! the run or attested by a person.

use crate::record::plan::StepName;
use crate::strategy::evidence::{EvidenceSpec, Proof};

use super::FromTag;

pub const EVIDENCE: &[EvidenceSpec] = &[
    EvidenceSpec {
        id: "severity-assessed",
        item: "Severity assessed & documented",
        proof: Proof::Severity,
    },
    EvidenceSpec {
        id: "branch-from-tag",
        item: "Branch created from production tag",
        proof: Proof::Steps {
            steps: &[FromTag::PUSH_BRANCH],
            attestable: false,
            only_if_planned: false,
        },
    },
    EvidenceSpec {
        id: "fix-tested",
        item: "Bug fixed & tested locally",
        proof: Proof::Person,
    },
    EvidenceSpec {
        id: "version-patch-only",
        item: "Version number updated (PATCH only)",
        proof: Proof::Steps {
            steps: &[StepName::BUILD],
            attestable: false,
            only_if_planned: false,
        },
    },
    EvidenceSpec {
        id: "changelog-entry",
        item: "CHANGELOG entry added",
        proof: Proof::Steps {
            steps: &[StepName::BUILD],
            attestable: true,
            only_if_planned: false,
        },
    },
    EvidenceSpec {
        id: "commit-message",
        item: "Commit message clear",
        proof: Proof::Person,
    },
    EvidenceSpec {
        id: "review-requested",
        item: "Code review requested (marked URGENT)",
        // The forge's answer when `[forge]` is set; a person's word otherwise.
        proof: Proof::Steps {
            steps: &[FromTag::REVIEW],
            attestable: true,
            only_if_planned: false,
        },
    },
    EvidenceSpec {
        id: "approval-obtained",
        item: "Approval obtained",
        proof: Proof::Steps {
            steps: &[StepName::APPROVALS],
            attestable: true,
            only_if_planned: false,
        },
    },
    EvidenceSpec {
        id: "merged-to-main",
        item: "Merged to main",
        proof: Proof::Steps {
            steps: &[FromTag::MERGE_MAIN],
            attestable: true,
            only_if_planned: false,
        },
    },
    EvidenceSpec {
        id: "tag-created",
        item: "Production tag created",
        proof: Proof::Steps {
            steps: &[FromTag::TAG],
            attestable: false,
            only_if_planned: false,
        },
    },
    EvidenceSpec {
        id: "tag-pushed",
        item: "Tag pushed to remote",
        proof: Proof::Steps {
            steps: &[FromTag::TAG],
            attestable: false,
            only_if_planned: false,
        },
    },
    EvidenceSpec {
        id: "deployed",
        item: "Deployed to production",
        proof: Proof::Steps {
            steps: &[StepName::DEPLOY],
            attestable: true,
            only_if_planned: false,
        },
    },
    EvidenceSpec {
        id: "smoke-passed",
        item: "Smoke tests passed",
        proof: Proof::Steps {
            steps: &[StepName::SMOKE],
            attestable: true,
            only_if_planned: false,
        },
    },
    EvidenceSpec {
        id: "monitored",
        item: "Error logs monitored (2+ hours)",
        proof: Proof::Steps {
            steps: &[StepName::VERIFY_PRODUCTION],
            attestable: true,
            only_if_planned: false,
        },
    },
    EvidenceSpec {
        id: "users-notified",
        item: "Users notified",
        proof: Proof::Person,
    },
    EvidenceSpec {
        id: "github-release",
        item: "GitHub Release created",
        proof: Proof::Steps {
            steps: &[FromTag::FORGE_RELEASE],
            attestable: true,
            only_if_planned: false,
        },
    },
    EvidenceSpec {
        id: "incident-documented",
        item: "Incident documented",
        proof: Proof::Incident,
    },
];
