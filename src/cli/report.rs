//! `fooling report`: [`fooling::report::write`].

use anyhow::Result;
use fooling::report::ReportSettings;

pub fn report(args: &ReportSettings) -> Result<()> {
    let w = fooling::report::write(&args.dirs, args.out.as_deref(), args.force)?;
    println!(
        "wrote {} ({} runs, {} KB)",
        w.path.display(),
        w.runs,
        w.bytes / 1024
    );
    Ok(())
}
