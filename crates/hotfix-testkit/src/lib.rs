//! The test kit of git-hotfix: what tests and the `git hotfix demo` sandbox
//! stand on instead of a real forge, a real production service and a real
//! team's repository.
//!
//! - [`http`]: one small fake HTTP server; each route names the documented
//!   endpoint it stands for, and every request is recorded for assertions.
//! - [`forge_gitlab`]: a stateful fake GitLab (environments, pipelines, jobs, bridges).
//! - [`repo`]: repositories built on the fly with real git (a bare origin and
//!   a work clone), with pinned identities and dates.
//! - [`demo`]: the sandboxes behind `git hotfix demo` (restore-release) and
//!   `git hotfix demo --strategy from-tag`, built from both.
//! - [`release_deploy`]: what a fake forge's deploy job ships to a local
//!   production service.
//! - [`signing`]: SSH signing keys of people and the team's allowed signers.
//! - [`forge_github`]: a fake GitHub, stateful as the runbook drives it.
//! - [`openapi`]: the subset of GitHub's OpenAPI description git-hotfix
//!   uses, and the checks of the fake and the client against it.
//! - [`toy_strategy`]: a strategy added from outside the library, the
//!   example of one module and one registration.
//!
//! Only std, `tempfile`, `thiserror`, serde, `serde_json` and the library itself: the demo ships
//! in the binary, so the kit stays light (no async runtime, no HTTP library).

#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod demo;
pub mod forge_github;
pub mod forge_gitlab;
pub mod http;
pub mod openapi;
pub mod release_deploy;
pub mod repo;
pub mod signing;
pub mod toy_strategy;
