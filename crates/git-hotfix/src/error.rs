//! The one error type of the CLI: a message, the facts, and hints, with an exit code.

use hotfix::ExitKind;

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

impl From<hotfix::Error> for CommandError {
    fn from(e: hotfix::Error) -> Self {
        let mut details = Vec::new();
        if let hotfix::Error::Workflow(hotfix::engine::WorkflowError::ReleaseMoved { unexpected, .. }) = &e {
            for c in unexpected {
                details.push(format!("unexpected on release: {} {}", c.id.short(), c.subject));
            }
        }
        if let hotfix::Error::Workflow(hotfix::engine::WorkflowError::PickConflict {
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
        if let hotfix::Error::Workflow(hotfix::engine::WorkflowError::EvidenceMissing { missing }) = &e {
            for item in missing {
                details.push(format!("missing  {}: {}", item.id, item.detail));
            }
        }
        if let hotfix::Error::Production(hotfix::providers::production::ProductionError::Disagree { readings }) = &e {
            for r in readings {
                details.push(format!("{} said `{}` -> {}", r.source, r.said, r.commit));
            }
        }
        CommandError {
            kind: e.exit_kind(),
            message: e.to_string(),
            details,
            hints: e.hint().into_iter().collect(),
        }
    }
}

impl From<hotfix_testkit::demo::DemoError> for CommandError {
    fn from(e: hotfix_testkit::demo::DemoError) -> Self {
        CommandError {
            kind: hotfix::ExitKind::Error,
            message: format!("could not build the demo sandbox: {e}"),
            details: Vec::new(),
            hints: Vec::new(),
        }
    }
}

pub type CommandResult = Result<(), CommandError>;
