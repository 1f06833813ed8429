//! What git-hotfix reads from outside git: where production stands now
//! (deploy, health checks and forges plug in here as the runbooks need them).

pub mod production;
