//! Checks a record read from a remote before anything acts on it.
//!
//! `refs/hotfix/*` can be written by people who cannot push release, so
//! every field a step hands to git or a shell is untrusted input: the refs
//! a step moves or reads must be the refs they claim to be (never an
//! option, never another namespace), step names must be unique, and a
//! command's extra environment stays within `HOTFIX_*`. The steps
//! themselves are checked against a trusted hotfix.toml where they run
//! (`ops::run::steps_trusted`), which this layer does not know.

use std::collections::BTreeSet;

use crate::git::refname::{branch_name_problem, tag_name_problem};
use crate::record::entry::{Event, RunRecord};
use crate::record::forge::forge_text_problem;
use crate::record::step::{Action, Step, StepName, Steps};

impl RunRecord {
    /// Returns why the record cannot be acted on, naming the field and its
    /// value (escaped), or `Ok` when every ref and name in it is sound.
    pub fn validate(&self) -> Result<(), String> {
        if self.remote.trim().is_empty() || self.remote.starts_with('-') {
            return Err(format!(
                "the run names remote `{}`, which git would read as an option",
                self.remote.escape_debug()
            ));
        }
        for (field, branch) in [
            ("release_branch", &self.release_branch),
            ("main_branch", &self.main_branch),
        ] {
            if let Some(why) = branch_name_problem(branch) {
                return Err(format!(
                    "the run's {field} `{}` is no branch name ({why})",
                    branch.escape_debug()
                ));
            }
        }
        self.plan.steps.validate("the plan")
    }
}

impl Event {
    /// Returns why the entry's steps cannot be acted on (only a
    /// `config-replaced` entry carries steps beside `run-created`'s).
    pub fn validate(&self) -> Result<(), String> {
        match self {
            Event::RunCreated(record) => record.validate(),
            Event::ConfigReplaced { steps: Some(steps), .. } => steps.validate("the replan"),
            Event::Replanned { plan, .. } => plan.steps.validate("the plan made again"),
            _ => Ok(()),
        }
    }
}

impl Steps {
    /// Returns why these steps cannot be acted on; `whose` says where they
    /// come from, for the message.
    pub fn validate(&self, whose: &str) -> Result<(), String> {
        for (phase, names) in [
            ("hotfix", self.hotfix.iter().map(|s| &s.name).collect::<Vec<_>>()),
            ("rollback", self.rollback.iter().map(|s| &s.name).collect()),
            ("hotfix", self.v0_names.iter().collect()),
        ] {
            if let Some(twice) = first_repeated(&names) {
                return Err(format!("{whose} names {phase} step `{twice}` twice"));
            }
        }
        for (phase, steps) in [("hotfix", &self.hotfix), ("rollback", &self.rollback)] {
            for step in steps {
                step.validate()
                    .map_err(|why| format!("{whose}'s {phase} step `{}` {why}", step.name))?;
            }
        }
        Ok(())
    }
}

fn first_repeated<'a>(names: &[&'a StepName]) -> Option<&'a StepName> {
    let mut seen = BTreeSet::new();
    names.iter().copied().find(|n| !seen.insert(*n))
}

impl Step {
    /// Returns why the step's parameters cannot be acted on, as "has
    /// `field` `value`, which ...".
    pub fn validate(&self) -> Result<(), String> {
        let branch = |field: &str, name: &str| match branch_name_problem(name) {
            Some(why) => Err(bad(field, name, &format!("no branch name ({why})"))),
            None => Ok(()),
        };
        match &self.action {
            Action::Lock { branch: b }
            | Action::RestoreRelease { branch: b }
            | Action::WaitForFix { branch: b, .. }
            | Action::MainPipeline { branch: b, .. } => branch("action.branch", b),
            Action::VerifyRelease { branch: b, .. } => branch("action.branch", b),
            Action::VerifyContains(v) => branch("action.branch", &v.branch),
            Action::Push(push) => match push.name.strip_prefix("refs/heads/") {
                Some(b) => branch_name_problem(b).map_or(Ok(()), |why| {
                    Err(bad("action.name", &push.name, &format!("no branch ref ({why})")))
                }),
                None => Err(bad("action.name", &push.name, "not under refs/heads/")),
            },
            Action::CreateTag { tag, .. } => match tag_name_problem(tag) {
                Some(why) => Err(bad("action.tag", tag, &format!("no tag name ({why})"))),
                None => Ok(()),
            },
            Action::Command(command) => command.env.iter().try_for_each(|(name, _)| {
                let plain = name
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
                if name.starts_with("HOTFIX_") && plain {
                    Ok(())
                } else {
                    Err(bad("action.env", name, "not a HOTFIX_* variable"))
                }
            }),
            Action::ForgePipeline(p) => {
                p.request.check("action.request").map_err(|why| format!("has {why}"))?;
                if let Some(job) = &p.job {
                    forge_text_problem("action.job", job).map_err(|why| format!("has {why}"))?;
                }
                match p.forbidden() {
                    Some((what, f)) => Err(bad(
                        "a forge input or job",
                        &what,
                        &format!("the forbidden action `{f}`"),
                    )),
                    None => Ok(()),
                }
            }
            Action::ForgeJob(j) => forge_text_problem("action.job", &j.job).map_err(|why| format!("has {why}")),
            Action::ReviewRequest(r) => {
                branch("action.source_branch", &r.source_branch)?;
                branch("action.target_branch", &r.target_branch)?;
                r.labels.iter().try_for_each(|l| {
                    forge_text_problem("action.labels", l).map_err(|why| format!("has {why}"))?;
                    // GitLab takes the labels as one comma-separated list.
                    match l.contains(',') {
                        true => Err(bad("action.labels", l, "a label holding `,`")),
                        false => Ok(()),
                    }
                })
            }
            Action::Backport(b) => b.check().map_err(|why| format!("has {why}")),
            Action::ForgeRelease(r) => match tag_name_problem(&r.tag) {
                Some(why) => Err(bad("action.tag", &r.tag, &format!("no tag name ({why})"))),
                None => Ok(()),
            },
            Action::RecordProduction
            | Action::Build
            | Action::Approvals(_)
            | Action::VerifyHttp(_)
            | Action::Smoke { .. }
            | Action::Unconfigured { .. } => Ok(()),
        }
    }
}

fn bad(field: &str, value: &str, which: &str) -> String {
    format!("has {field} `{}`, which is {which}", value.escape_debug())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::sample;

    #[test]
    fn the_sample_record_is_sound() {
        for entry in sample::entries() {
            assert_eq!(entry.event.validate(), Ok(()), "{}", entry.event.summary());
        }
    }

    #[test]
    fn a_bad_ref_names_its_step_field_and_value() {
        let mut steps = sample::steps();
        let push = steps.hotfix.iter_mut().find(|s| s.name == StepName::PUSH_RELEASE);
        if let Some(Step {
            action: Action::Push(m),
            ..
        }) = push
        {
            m.name = "refs/heads/-x\n".into();
        }
        let why = steps.validate("the plan").expect_err("refused");
        assert_eq!(
            why,
            "the plan's hotfix step `push-release` has action.name `refs/heads/-x\\n`, \
             which is no branch ref (it starts with `-`)"
        );
    }

    #[test]
    fn a_review_request_needs_branch_names_and_labels_gitlab_can_list() {
        let request = crate::record::forge::NewMergeRequest {
            title: "HOTFIX: x".into(),
            description: String::new(),
            source_branch: "hotfix/worker-v0.1.1".into(),
            target_branch: "main".into(),
            labels: vec!["URGENT".into()],
            draft: false,
            remove_source_branch: true,
        };
        let step = |r: &crate::record::forge::NewMergeRequest| {
            Step::new(StepName::known("review"), "review", Action::ReviewRequest(r.clone()))
        };
        assert_eq!(step(&request).validate(), Ok(()));
        let comma = crate::record::forge::NewMergeRequest {
            labels: vec!["URGENT,x".into()],
            ..request.clone()
        };
        assert!(step(&comma).validate().is_err_and(|why| why.contains("action.labels")));
        let option = crate::record::forge::NewMergeRequest {
            source_branch: "--upload-pack=x".into(),
            ..request
        };
        assert!(step(&option)
            .validate()
            .is_err_and(|why| why.contains("action.source_branch")));
    }
}
