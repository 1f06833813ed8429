//! `[migrations]`: which paths are database migrations and the job that runs
//! them in production (seed 002: "Migrations | Auto at prod when eligible",
//! "verify `run-migrations-prod` completed or trigger it"). The globs extend
//! `[checks] migrations` rather than repeat it: without `paths`, those are
//! the migration paths.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::duration;
use super::gates::{default_command_timeout, default_interval, default_start_timeout};

/// The production migrations a hotfix may carry, and how they are run.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Migrations {
    /// Paths that are migrations (`db/migrations/**`); empty: `[checks] migrations`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// The forge job that runs them (`run-migrations-prod`), in main's
    /// pipeline for the commit the hotfix ships.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    /// The command that runs them, without a forge job.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub command: String,
    #[serde(
        default = "default_interval",
        deserialize_with = "duration::deserialize",
        serialize_with = "duration::serialize"
    )]
    pub poll_interval: Duration,
    #[serde(
        default = "default_start_timeout",
        deserialize_with = "duration::deserialize",
        serialize_with = "duration::serialize"
    )]
    pub start_timeout: Duration,
    #[serde(
        default = "default_command_timeout",
        deserialize_with = "duration::deserialize",
        serialize_with = "duration::serialize"
    )]
    pub timeout: Duration,
}

impl Migrations {
    /// Says what is wrong with the table: no way to run the migrations, or two.
    pub(super) fn check(&self, has_forge: bool) -> Result<(), String> {
        match (&self.job, self.command.trim().is_empty()) {
            (Some(_), false) => {
                Err("`[migrations]` has both `job` and `command`; name the forge job or the command, not both".into())
            }
            (None, true) => Err(
                "`[migrations]` needs `job` (the forge job that runs them, e.g. `run-migrations-prod`) or `command`"
                    .into(),
            ),
            (Some(_), true) if !has_forge => {
                Err("`migrations.job` needs `[forge]`, the forge whose pipeline runs it; or use `command`".into())
            }
            (Some(job), true) => crate::record::forge::forge_text_problem("`migrations.job`", job),
            (None, false) => Ok(()),
        }
    }
}
