//! One file per command; each parses nothing itself and calls `hotfix::ops`.

pub mod abort;
pub mod continue_run;
pub mod demo;
pub mod init;
pub mod log;
pub mod plan;
pub mod start;
pub mod status;
