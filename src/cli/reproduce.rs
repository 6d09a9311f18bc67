//! `fooling reproduce`: the paper's experiments, one after another, then the report.

use super::args::*;
use anyhow::{Context, Result};
use clap::Parser;
use fooling::nn::{self};
use std::path::PathBuf;

pub fn reproduce(gpu_args: &GpuArgs, args: &ReproduceArgs) -> Result<()> {
    let paper = args.scale == Scale::Paper;
    let out = args.out.clone().unwrap_or_else(|| {
        PathBuf::from(format!(
            "runs/reproduce-{}-{}",
            if args.half == Half::Mnist {
                "mnist"
            } else {
                "imagenet"
            },
            if paper { "paper" } else { "quick" }
        ))
    });
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let o = |rel: &str| out.join(rel).display().to_string();
    let strs = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<String>>();
    // evolution runs, seeds 0..n, each skipped when finished and resumed when interrupted
    let evolve = |base: &str, common: &[String], seeds: u32| -> Result<()> {
        for i in 0..seeds {
            let dir = fooling::evo::run::study_run(&out.join(base), i);
            let index = ["--run-index".to_string(), i.to_string()];
            if dir.join("champions.csv").exists() {
                eprintln!("{} is done", dir.display());
            } else if dir.join("config.toml").exists() {
                sub(
                    gpu_args,
                    &[strs(&["evolve", "--resume", &o(base)]), index.to_vec()].concat(),
                )?;
            } else {
                sub(
                    gpu_args,
                    &[
                        strs(&["evolve"]),
                        common.to_vec(),
                        strs(&["--out", &o(base)]),
                        index.to_vec(),
                    ]
                    .concat(),
                )?;
            }
        }
        Ok(())
    };
    // an ascent run (short: redone from the start when interrupted)
    let ascent = |rel: &str, options: &[String]| -> Result<()> {
        let dir = out.join(rel);
        if dir.join("champions.csv").exists() {
            eprintln!("{} is done", dir.display());
            return Ok(());
        }
        if dir.join("config.toml").exists() {
            std::fs::remove_dir_all(&dir)
                .with_context(|| format!("clearing the interrupted {}", dir.display()))?;
        }
        sub(
            gpu_args,
            &[
                strs(&["ascent"]),
                options.to_vec(),
                strs(&["--out", &o(rel)]),
            ]
            .concat(),
        )
    };
    let mut report_dirs = Vec::new();
    match args.half {
        Half::Mnist => {
            let (seeds, generations, batch) = if paper {
                (5, "200", "200")
            } else {
                (3, "100", "100")
            };
            for enc in ["direct", "cppn"] {
                evolve(
                    enc,
                    &strs(&[
                        "--encoding",
                        enc,
                        "--generations",
                        generations,
                        "--batch",
                        batch,
                    ]),
                    seeds,
                )?;
                report_dirs.push(o(enc));
            }
            ascent("ascent-0.001", &strs(&["--decay", "0.001"]))?;
            report_dirs.push(o("ascent-0.001"));
            if paper {
                ascent("ascent", &[])?;
                report_dirs.push(o("ascent"));
            }
            // transfer of every champion set to the two second networks
            let mut sets: Vec<String> = Vec::new();
            for enc in ["direct", "cppn"] {
                sets.extend((0..seeds).map(|i| {
                    fooling::evo::run::study_run(&out.join(enc), i)
                        .display()
                        .to_string()
                }));
            }
            sets.push(o("ascent-0.001"));
            for set in &sets {
                sub(
                    gpu_args,
                    &strs(&[
                        "transfer",
                        "--run",
                        set,
                        "--weights",
                        "weights/lenet_mnist_b.safetensors",
                    ]),
                )?;
                sub(
                    gpu_args,
                    &strs(&[
                        "transfer",
                        "--run",
                        set,
                        "--net",
                        "mlp",
                        "--weights",
                        "weights/mlp_mnist.safetensors",
                    ]),
                )?;
            }
            let retrain = out.join("retrain");
            if retrain.join("retrain.toml").exists() {
                sub(gpu_args, &strs(&["retrain", "--resume", &o("retrain")]))?;
            } else if paper {
                sub(gpu_args, &strs(&["retrain", "--out", &o("retrain")]))?;
            } else {
                sub(
                    gpu_args,
                    &strs(&[
                        "retrain",
                        "--rounds",
                        "2",
                        "--class-size",
                        "100",
                        "--generations",
                        "20",
                        "--batch",
                        "50",
                        "--iterations",
                        "500",
                        "--out",
                        &o("retrain"),
                    ]),
                )?;
            }
            report_dirs.push(o("retrain"));
        }
        Half::Imagenet => {
            let weights = match &args.weights {
                Some(p) => p.display().to_string(),
                None => nn::shipped_weights(&args.net)?.display().to_string(),
            };
            let net = &args.net;
            let (direct_g, cppn_g, crops) = if paper {
                ("20000", "5000", "10")
            } else {
                ("20", "20", "1")
            };
            evolve(
                "direct",
                &strs(&[
                    "--net",
                    net,
                    "--weights",
                    &weights,
                    "--generations",
                    direct_g,
                    "--crops",
                    crops,
                ]),
                1,
            )?;
            evolve(
                "cppn",
                &strs(&[
                    "--net",
                    net,
                    "--weights",
                    &weights,
                    "--encoding",
                    "cppn",
                    "--generations",
                    cppn_g,
                    "--crops",
                    crops,
                ]),
                1,
            )?;
            ascent(
                "ascent",
                &strs(&[
                    "--net",
                    net,
                    "--weights",
                    &weights,
                    "--classes",
                    if paper { "all" } else { "0,1,2,3,4,5,6,7,8,9" },
                ]),
            )?;
            report_dirs.extend([o("direct"), o("cppn"), o("ascent")]);
        }
    }
    sub(
        gpu_args,
        &[strs(&["report", "--out", &o("report.html")]), report_dirs].concat(),
    )?;
    println!("open {} in a browser", out.join("report.html").display());
    Ok(())
}

/// The global options as arguments, for the commands `reproduce` runs.
fn global_flags(g: &GpuArgs) -> Vec<String> {
    use clap::ValueEnum;
    let name = |v: Option<clap::builder::PossibleValue>| {
        v.map(|p| p.get_name().to_string()).unwrap_or_default()
    };
    let mut v = vec![
        "--backend".to_string(),
        name(g.backend.to_possible_value()),
        "--kernels".to_string(),
        name(g.kernels.to_possible_value()),
    ];
    if let Some(a) = &g.adapter {
        v.extend(["--adapter".to_string(), a.clone()]);
    }
    if let Some(m) = g.max_binding {
        v.extend(["--max-binding".to_string(), m.to_string()]);
    }
    v
}

/// Runs `fooling ARGS` in this process, printing the command first.
fn sub(gpu_args: &GpuArgs, args: &[String]) -> Result<()> {
    eprintln!("$ fooling {}", args.join(" "));
    let argv = std::iter::once("fooling".to_string())
        .chain(global_flags(gpu_args))
        .chain(args.iter().cloned());
    super::run(Cli::try_parse_from(argv)?)
}
