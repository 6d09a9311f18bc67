//! `fooling retrain`: [`fooling::experiments::retrain::run`], a line per run and training,
//! and the table of networks at the end.

use super::args::{GpuArgs, RetrainArgs};
use anyhow::{bail, Result};
use fooling::experiments::retrain::{self, RetrainConfig, RetrainSettings};

pub fn retrain(gpu_args: &GpuArgs, args: &RetrainArgs) -> Result<()> {
    let (dir, config) = match (&args.resume, &args.out) {
        (Some(dir), _) => (dir, RetrainConfig::resume(dir, args.settings.rounds)?),
        (None, Some(dir)) => {
            let settings = RetrainSettings {
                command: Some(super::command_line()),
                ..args.settings.clone()
            };
            (dir, RetrainConfig::create(dir, &settings)?)
        }
        (None, None) => bail!("--out DIR or --resume DIR is needed"),
    };
    let gpu = gpu_args.open()?;
    let start = std::time::Instant::now();
    let rows = retrain::run(&gpu, dir, &config, &mut |line| {
        eprintln!("[{:.0} s] {line}", start.elapsed().as_secs_f64())
    })?;
    println!("| network | fooling images in training | held-out accuracy | runs | median champion | >= 0.99 | >= 0.9999 |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| DNN_{} | {} | {:.2}% | {} | {:.6} | {}/{} | {}/{} |",
            r.network,
            r.fooling_images,
            r.held_out_accuracy * 100.0,
            r.runs,
            r.median,
            r.n_ge_099,
            r.champions,
            r.n_ge_09999,
            r.champions
        );
    }
    println!("wrote {}", dir.join("retrain.csv").display());
    Ok(())
}
