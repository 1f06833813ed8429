pub fn run(_a: Args) -> crate::error::CommandResult { Ok(()) }
#[derive(clap::Args)] pub struct Args {}
