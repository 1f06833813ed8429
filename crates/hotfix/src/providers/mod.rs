//! What git-hotfix reads from and drives outside git: where production
//! stands, the team's release and deploy commands, HTTP verification and
//! webhook notifications (forges plug in here as the runbooks need them).

pub mod command;
pub mod http;
pub mod notify;
pub mod production;
