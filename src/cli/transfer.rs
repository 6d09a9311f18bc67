//! `fooling transfer`: [`fooling::experiments::transfer::run`] and its tallies.

use super::args::GpuArgs;
use anyhow::Result;
use fooling::experiments::transfer::{self, TransferSettings};

pub fn transfer(gpu_args: &GpuArgs, settings: &TransferSettings) -> Result<()> {
    let gpu = gpu_args.open()?;
    let o = transfer::run(&gpu, settings)?;
    let t = o.tally;
    let pct = |k| t.percent(k);
    println!(
        "{} champions of {}: on the source {} ({:.0}%) >= 0.99 and {} ({:.0}%) >= 0.9999; on {} {} ({:.0}%) >= 0.99 and {} ({:.0}%) >= 0.9999, {} ({:.0}%) still the top class",
        t.champions,
        settings.run.display(),
        t.source_099,
        pct(t.source_099),
        t.source_09999,
        pct(t.source_09999),
        o.name,
        t.target_099,
        pct(t.target_099),
        t.target_09999,
        pct(t.target_09999),
        t.top,
        pct(t.top)
    );
    println!("wrote {}", o.path.display());
    Ok(())
}
