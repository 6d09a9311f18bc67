//! `fooling ablate`: [`fooling::experiments::ablate::run`] and its tallies.

use super::args::GpuArgs;
use anyhow::Result;
use fooling::experiments::ablate::{self, AblateSettings};

pub fn ablate(gpu_args: &GpuArgs, settings: &AblateSettings) -> Result<()> {
    let gpu = gpu_args.open()?;
    let o = ablate::run(&gpu, settings)?;
    let t = o.tally;
    let worst = ablate::largest_drop(&o.rows);
    println!(
        "{} champions of {}: occluding {}x{} squares {} apart lowers a champion's confidence by up to {worst:.4}",
        t.champions,
        settings.run.display(),
        o.patch,
        o.patch,
        o.stride
    );
    if t.tested > 0 {
        println!(
            "repetition test: {} of {} champions hold repeated elements; removing all copies but one lowers the confidence of {} of them ({} at every step: one, half, all but one)",
            t.repeating, t.tested, t.falls, t.steady
        );
    }
    println!("wrote {}", o.path.display());
    Ok(())
}
