//! The `attest` operation: records a person's word for an evidence item.

use crate::engine::execute;
use crate::engine::gates;
use crate::journal::Journal;
use crate::Error;

use super::run::open_run;
use super::Session;

/// Records a person's word for an evidence item no step of the run proves.
pub fn attest(session: &Session, id: Option<&str>, item: &str, detail: &str) -> Result<Journal, Error> {
    let (mut journal, on_run) = open_run(session, id)?;
    let silent = execute::Silent;
    let cx = on_run.context(&silent, false)?;
    gates::attest(&cx, &mut journal, item, detail)?;
    Ok(journal)
}
