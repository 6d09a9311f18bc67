//! `fooling report`: [`fooling::report::write`].

use super::args::ReportArgs;
use anyhow::Result;

pub fn report(args: &ReportArgs) -> Result<()> {
    let w = fooling::report::write(&args.dirs, args.out.as_deref(), args.force)?;
    println!(
        "wrote {} ({} runs, {} KB)",
        w.path.display(),
        w.runs,
        w.bytes / 1024
    );
    Ok(())
}
