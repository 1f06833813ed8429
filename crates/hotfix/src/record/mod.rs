//! The run record: the plan, its steps, the journal's entries and their
//! evidence, as they are stored on the remote.

pub mod backport;
pub mod entry;
pub mod forge;
pub mod plan;
pub mod step;
pub mod v0;
mod validate;

#[cfg(test)]
pub(crate) mod sample;
#[cfg(test)]
mod snapshot;
