//! `fooling retrain`.

use super::args::*;
use anyhow::{bail, Context, Result};
use fooling::io::sha256_file;
use fooling::nn::{self, Weights};

pub fn retrain(gpu_args: &GpuArgs, args: &RetrainArgs) -> Result<()> {
    use fooling::retrain::{self, RetrainConfig};
    let (dir, config) = match (&args.resume, &args.out) {
        (Some(dir), _) => {
            let mut config = RetrainConfig::load(dir)?;
            if let Some(r) = args.rounds {
                config.rounds = r;
            }
            if sha256_file(&config.weights)? != config.weights_sha256 {
                bail!(
                    "--resume {}: the weights {} changed since the study started (sha256 differs)",
                    dir.display(),
                    config.weights.display()
                );
            }
            (dir.clone(), config)
        }
        (None, Some(dir)) => {
            if dir.join("retrain.toml").exists() {
                bail!(
                    "--out {}: holds a study already; continue it with --resume {}",
                    dir.display(),
                    dir.display()
                );
            }
            for (v, option) in [
                (args.batch, "--batch"),
                (args.iterations, "--iterations"),
                (args.generations as usize, "--generations"),
                (args.class_size.unwrap_or(1), "--class-size"),
            ] {
                if v == 0 {
                    bail!("{option}: must be at least 1");
                }
            }
            let weights = match &args.weights {
                Some(p) => p.clone(),
                None => nn::shipped_weights(&args.net)?,
            };
            let class_size = match args.class_size {
                Some(n) => n,
                None => {
                    let (train, _) = fooling::data::load_dir(&args.data)?;
                    let classes = nn::by_name(&args.net)?.num_classes();
                    train.len() / classes
                }
            };
            let config = RetrainConfig {
                net: args.net.clone(),
                weights_sha256: sha256_file(&weights)?,
                weights,
                data: args.data.clone(),
                rounds: args.rounds.unwrap_or(15),
                class_size,
                generations: args.generations,
                batch: args.batch,
                iterations: args.iterations,
                seed: args.seed,
                fooling_version: env!("CARGO_PKG_VERSION").into(),
            };
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            (dir.clone(), config)
        }
        (None, None) => bail!("--out DIR or --resume DIR is needed"),
    };
    config.save(&dir)?;
    let (arch, weights) = Weights::load_sized(&config.weights, nn::by_name(&config.net)?)?;
    let gpu = gpu_args.open()?;
    let start = std::time::Instant::now();
    let rows = retrain::run(&gpu, &dir, &config, &arch, &weights, &mut |line| {
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
