//! `fooling report`.

use super::args::*;
use anyhow::{bail, Result};

pub fn report(args: &ReportArgs) -> Result<()> {
    let out = match (&args.out, &args.dirs[..]) {
        (Some(f), _) => f.clone(),
        (None, [one]) => one.join("report.html"),
        (None, _) => bail!("--out FILE: needed for a report of several directories"),
    };
    let runs = fooling::html::collect(&args.dirs)?;
    let html = fooling::html::build(&runs)?;
    fooling::io::write_atomic(&out, html.as_bytes())?;
    println!(
        "wrote {} ({} runs, {} KB)",
        out.display(),
        runs.len(),
        html.len() / 1024
    );
    Ok(())
}
