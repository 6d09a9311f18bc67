//! `fooling classify`.

use super::args::*;
use anyhow::{bail, Result};
use fooling::nn::{self, Network, Weights};

pub fn classify(gpu_args: &GpuArgs, args: &ClassifyArgs) -> Result<()> {
    let arch = nn::by_name(&args.net)?;
    if args.top == 0 {
        bail!("--top: must be at least 1");
    }
    let weights_path = match &args.weights {
        Some(p) => p.clone(),
        None => nn::shipped_weights(&args.net)?,
    };
    let (arch, weights) = Weights::load_sized(&weights_path, arch)?;
    let mut input = Vec::with_capacity(args.images.len() * arch.input_len());
    for path in &args.images {
        input.extend(fooling::imaging::load::load_input(
            &arch,
            path,
            args.resize,
            args.crops,
        )?);
    }
    let gpu = gpu_args.open()?;
    let net = Network::new(&gpu, arch, &weights)?;
    let probs = net.classify_crops(&gpu, &input, args.crops.unwrap_or(1))?;
    for (path, p) in args.images.iter().zip(&probs) {
        let mut order: Vec<usize> = (0..p.len()).collect();
        order.sort_by(|&a, &b| p[b].total_cmp(&p[a]).then(a.cmp(&b)));
        order.truncate(args.top);
        if args.json {
            let top: Vec<_> = order
                .iter()
                .map(|&k| {
                    // the f32's shortest decimal form, not its f64 widening
                    let confidence: f64 = p[k].to_string().parse().unwrap_or(p[k] as f64);
                    serde_json::json!({"class": k, "label": net.arch.labels[k], "confidence": confidence})
                })
                .collect();
            println!("{}", serde_json::json!({"image": path, "top": top}));
        } else {
            println!("{}", path.display());
            for (rank, &k) in order.iter().enumerate() {
                let label = &net.arch.labels[k];
                let name = if *label == k.to_string() {
                    label.clone()
                } else {
                    format!("{k} {label}")
                };
                println!("  {:>2}. {name:<24} {:.6}", rank + 1, p[k]);
            }
        }
    }
    Ok(())
}
