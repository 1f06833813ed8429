//! from-tag (seed 003): a hotfix branch from the production tag, a
//! PATCH-only version bump, a CHANGELOG entry and a production tag.

pub mod bump;
pub mod changelog;
pub mod tags;
#[cfg(test)]
mod test_repo;
pub mod version_files;
