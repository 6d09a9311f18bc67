//! `fooling merge`: [`fooling::experiments::merge::merge`] and where its cells came from.

use super::args::*;
use anyhow::Result;
use fooling::experiments::merge::MergeSettings;

pub fn merge(gpu_args: &GpuArgs, args: &MergeSettings) -> Result<()> {
    let gpu = gpu_args.open()?;
    let merged = fooling::experiments::merge::merge(&gpu, &args.out, &args.runs)?;
    let conf: Vec<f32> = merged.iter().map(|m| m.champion.confidence).collect();
    let s = fooling::stats::Stats::of(&conf);
    let mut from = vec![0usize; args.runs.len()];
    for m in &merged {
        from[m.run] += 1;
    }
    println!(
        "{} cells from {} runs ({}): median confidence {:.6}, {} >= 0.99, {} >= 0.9999",
        merged.len(),
        args.runs.len(),
        from.iter()
            .map(|k| k.to_string())
            .collect::<Vec<_>>()
            .join(" + "),
        s.median,
        s.n_ge_099,
        s.n_ge_09999
    );
    println!("wrote {}", args.out.display());
    Ok(())
}
