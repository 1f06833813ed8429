//! The one integration test binary: real git, temp repositories, the real CLI.

mod common;

mod test_attacks;
mod test_bad_input;
mod test_cherry_pick;
mod test_concurrency;
mod test_conflicts;
mod test_demo;
mod test_dependency;
mod test_doctor;
mod test_forge_approvals;
mod test_forge_client;
mod test_forge_github;
mod test_forge_gitlab;
mod test_forge_incident;
mod test_forge_requests;
mod test_forged_journal;
mod test_forged_plan;
mod test_forged_steps;
mod test_from_tag;
mod test_gates;
mod test_github_openapi;
mod test_inputs;
mod test_interrupt;
mod test_journal_history;
mod test_lost_lock;
mod test_old_journal;
mod test_production;
mod test_replan;
mod test_restore_release;
mod test_resume;
mod test_signed_approvals;
mod test_toy_strategy;
mod test_verify;
mod test_way_back;
