//! One file per command; each parses nothing itself and calls `hotfix::ops`.

pub mod abort;
pub mod approve;
pub mod attest;
pub mod backport;
pub mod ci;
pub mod complete;
pub mod completions;
pub mod continue_run;
pub mod demo;
pub mod doctor;
pub mod finish;
pub mod guard;
pub mod init;
pub mod log;
pub mod man;
pub mod plan;
pub mod report;
pub mod resolve;
pub mod rollback;
pub mod start;
pub mod status;
pub mod verify;
