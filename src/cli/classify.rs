//! `fooling classify`: [`fooling::nn::classify::classify`], printed as text or JSON lines.

use super::args::{ClassifyArgs, GpuArgs};
use anyhow::Result;
use fooling::nn::classify::classify as run;

pub fn classify(gpu_args: &GpuArgs, args: &ClassifyArgs) -> Result<()> {
    let gpu = gpu_args.open()?;
    let found = run(&gpu, &args.settings, &args.images)?;
    if let Some(p) = &found.preprocess {
        // JSON lines stay one object per image: the preprocessing goes to stderr there
        let line = format!("preprocessing: {}", p.describe());
        if args.json {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }
    for (path, top) in args.images.iter().zip(&found.ranked) {
        if args.json {
            let top: Vec<_> = top
                .iter()
                .map(|r| {
                    // the f32's shortest decimal form, not its f64 widening
                    let confidence: f64 = r
                        .confidence
                        .to_string()
                        .parse()
                        .unwrap_or(r.confidence as f64);
                    serde_json::json!({"class": r.class, "label": r.label, "confidence": confidence})
                })
                .collect();
            println!("{}", serde_json::json!({"image": path, "top": top}));
        } else {
            println!("{}", path.display());
            for (rank, r) in top.iter().enumerate() {
                let name = if r.label == r.class.to_string() {
                    r.label.clone()
                } else {
                    format!("{} {}", r.class, r.label)
                };
                println!("  {:>2}. {name:<24} {:.6}", rank + 1, r.confidence);
            }
        }
    }
    Ok(())
}
