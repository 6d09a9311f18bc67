//! `fooling transfer`.

use super::args::*;
use anyhow::Result;
use fooling::nn::{self, Network, Weights};

pub fn transfer(gpu_args: &GpuArgs, args: &TransferArgs) -> Result<()> {
    use fooling::experiments;
    let weights_path = match &args.weights {
        Some(p) => p.clone(),
        None => nn::shipped_weights(&args.net)?,
    };
    let (arch, weights) = Weights::load_sized(&weights_path, nn::by_name(&args.net)?)?;
    let config = experiments::read_config(&args.run).ok();
    let crops = args.crops.or_else(|| {
        // a colour target given the run's 256×256 images scores them as the run did
        (arch.input[0] == 3)
            .then(|| config.as_ref().and_then(experiments::run_crops))
            .flatten()
    });
    let name = match &args.name {
        Some(n) => n.clone(),
        None => weights_path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| args.net.clone()),
    };
    let gpu = gpu_args.open()?;
    let net = Network::new(&gpu, arch, &weights)?;
    let rows = experiments::transfer(&gpu, &args.run, &net, crops)?;
    let path = experiments::write_transfer(&args.run, &name, &rows)?;
    let n = rows.len();
    let count =
        |f: &dyn Fn(&experiments::Transferred) -> bool| rows.iter().filter(|r| f(r)).count();
    let pct = |k: usize| 100.0 * k as f64 / n.max(1) as f64;
    let (s99, s9999) = (
        count(&|r| r.champion.confidence >= 0.99),
        count(&|r| r.champion.confidence >= 0.9999),
    );
    let (t99, t9999, top) = (
        count(&|r| r.target >= 0.99),
        count(&|r| r.target >= 0.9999),
        count(&|r| r.top == r.champion.class),
    );
    println!(
        "{n} champions of {}: on the source {s99} ({:.0}%) >= 0.99 and {s9999} ({:.0}%) >= 0.9999; on {name} {t99} ({:.0}%) >= 0.99 and {t9999} ({:.0}%) >= 0.9999, {top} ({:.0}%) still the top class",
        args.run.display(),
        pct(s99),
        pct(s9999),
        pct(t99),
        pct(t9999),
        pct(top)
    );
    println!("wrote {}", path.display());
    Ok(())
}
