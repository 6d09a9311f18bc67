//! Throughput of the MAP-Elites loop with the direct encoding on LeNet (the clock, the
//! parents' draw, mutate, render, forward, select, copy on the device; the cells'
//! confidences down every generation or every tenth), against the same generation done by
//! the CPU twins in this run, and a study's runs as one device batch against one run.
//!
//! `cargo bench --bench evolve` or `cargo bench --bench evolve -- --quick`.
//!
//! With `FOOLING_PEER_PYTHON` naming a Python that has torch (and `FOOLING_PEER_DEVICE`
//! `cpu` or `cuda`, default `cpu`), it also runs the same loop in PyTorch
//! (`tools/peer_torch.py`: the shipped LeNet, B = 200, 200 generations, the confidences read
//! back every generation), alternating with ours, and prints the ratio.

mod common;

use fooling::evo::{DirectConfig, DirectSearch};
use fooling::kernels::Mutation;
use fooling::nn::{lenet, reference_forward, Network, Weights};
use fooling::reference as twin;
use std::time::Instant;

/// One run of `fooling evolve`'s loop as a run does it: the shipped LeNet, B = `batch`,
/// `gens` generations, the confidences read back every generation; evaluations per second.
fn ours(gpu: &fooling::Gpu, batch: usize, gens: u32) -> f64 {
    let arch = lenet();
    let w = Weights::load(
        std::path::Path::new("weights/lenet_mnist.safetensors"),
        &arch,
    )
    .unwrap();
    let net = Network::new(gpu, arch, &w).unwrap();
    let config = DirectConfig {
        batch,
        ..DirectConfig::default()
    };
    let mut s = DirectSearch::new(gpu, net, config).unwrap();
    s.confidences().unwrap();
    let start = Instant::now();
    for _ in 0..gens {
        s.step(1);
        s.confidences().unwrap();
    }
    (gens as usize * batch) as f64 / start.elapsed().as_secs_f64()
}

/// The PyTorch peer's figures (`tools/peer_torch.py`'s JSON line), or why it did not run.
fn peer(python: &str, device: &str, threads: usize) -> Result<serde_json::Value, String> {
    let out = std::process::Command::new(python)
        .args([
            "tools/peer_torch.py",
            "--batch",
            "200",
            "--generations",
            "200",
        ])
        .args(["--device", device, "--threads", &threads.to_string()])
        .output()
        .map_err(|e| format!("{python}: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.lines().last().unwrap_or_default())
        .map_err(|e| format!("{e}: {text}"))
}

/// Ours and the peer, alternating, two rounds each, on the same machine in the same run.
fn side_by_side(gpu: &fooling::Gpu, python: &str) {
    let device = std::env::var("FOOLING_PEER_DEVICE").unwrap_or_else(|_| "cpu".into());
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("\n| the same loop, side by side (B = 200, 200 generations, readback every generation) | round | evaluations/s |");
    println!("|---|---:|---:|");
    let (mut mine, mut theirs) = (Vec::new(), Vec::new());
    let mut about = String::new();
    for round in 1..=2 {
        let e = ours(gpu, 200, 200);
        println!(
            "| fooling evolve's loop ({}) | {round} | {e:.0} |",
            fooling::gpu::describe(&gpu.info)
        );
        mine.push(e);
        match peer(python, &device, threads) {
            Ok(v) => {
                let e = v["evaluations_per_s"].as_f64().unwrap_or(0.0);
                about = format!(
                    "PyTorch {} on {}, {} threads",
                    v["torch"], v["device"], v["threads"]
                );
                println!("| {about} | {round} | {e:.0} |");
                theirs.push(e);
            }
            Err(why) => {
                println!("\npeer not run: {why}");
                return;
            }
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    println!(
        "\nours / peer: {:.3} (mean of two rounds each: {:.0} vs {:.0} evaluations/s; {about})",
        mean(&mine) / mean(&theirs),
        mean(&mine),
        mean(&theirs)
    );
}

/// A study as one device batch (`fooling evolve --runs N`) against one run, B = 200 each,
/// with the confidences read back every generation or every tenth.
fn batches(
    gpu: &fooling::Gpu,
    arch: &fooling::nn::Arch,
    weights: &Weights,
    peak: &common::Peak,
    quick: bool,
) {
    let flop = 2.0 * arch.macs().unwrap() as f64;
    println!("\n| runs in one batch (B = 200 each) | stats every | generations | evaluations/s, all runs | forward GFLOP/s | of peak | vs one run |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    // 64 runs (12,800 children a generation) is a GPU's size: a CPU adapter stops at 8
    let cpu = gpu.info.device_type == wgpu::DeviceType::Cpu;
    let counts: &[usize] = match (quick, cpu) {
        (true, _) => &[1, 4],
        (false, true) => &[1, 8],
        (false, false) => &[1, 8, 64],
    };
    for every in [1u32, 10] {
        let mut one = 0.0;
        for &runs in counts {
            let net = Network::new(gpu, arch.clone(), weights).unwrap();
            let config = DirectConfig {
                batch: 200,
                ..DirectConfig::default()
            };
            let mut s =
                DirectSearch::batch_of_runs(gpu, net, config, fooling::evo::Imaging::Grey, runs)
                    .unwrap();
            s.confidences().unwrap();
            s.step(1);
            s.confidences().unwrap(); // warm
                                      // about 40,000 evaluations per figure (at least 10 generations)
            let gens = if quick {
                10
            } else {
                (40_000 / (runs * 200)).max(10) as u32
            };
            let start = Instant::now();
            for _ in 0..gens / every {
                s.step(every);
                s.confidences().unwrap();
            }
            let secs = start.elapsed().as_secs_f64();
            let eps = (gens / every * every) as f64 * (runs * 200) as f64 / secs;
            if runs == 1 {
                one = eps;
            }
            println!(
                "| {runs} | {every} | {gens} | {eps:.0} | {:.2} | {} | {:.2}× |",
                eps * flop / 1e9,
                peak.of(eps * flop / 1e9),
                eps / one
            );
        }
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let gpu = common::gpu();
    let arch = lenet();
    let weights = Weights::random(&arch, 0).unwrap();
    println!("adapter: {}", fooling::gpu::describe(&gpu.info));
    println!("matrix kernels: {:?}", gpu.variant);
    let peak = common::Peak::measure(&gpu, quick);
    println!();

    // CPU twins: one generation of B = 200
    let (b, genes, classes) = (200usize, 784usize, 10usize);
    let parents_genes: Vec<f32> = (0..classes * genes)
        .map(|i| (i % 97) as f32 / 97.0)
        .collect();
    let parent: Vec<u32> = (0..b as u32).map(|i| i % classes as u32).collect();
    let start = Instant::now();
    let m = Mutation {
        seed: 1,
        generation: 1,
        rate: 0.1,
        halve_every: 1000,
        eta: 15.0,
        cross_prob: 0.0,
        eta_c: 10.0,
    };
    let children = twin::poly_mutate(genes, &m, &parents_genes, &parent, &parent);
    let x = twin::render_grey((0.0, 1.0 / 256.0), &children);
    let (_, probs) = reference_forward(&arch, &weights, &x).unwrap();
    let (mut conf, mut archive) = (vec![-1.0; classes], parents_genes.clone());
    twin::elite_insert(
        b,
        classes,
        genes,
        &probs,
        &children,
        &mut conf,
        &mut archive,
    );
    let cpu_eps = b as f64 / start.elapsed().as_secs_f64();
    println!("CPU twins (f64 accumulation, one thread): {cpu_eps:.0} evaluations/s at B = {b}\n");

    // an evaluation is one LeNet forward pass (mutation, rendering and selection add little)
    let flop = 2.0 * arch.macs().unwrap() as f64;
    println!("| MAP-Elites, direct, LeNet | B | generations | evaluations/s | generations/s | forward GFLOP/s | of peak | vs CPU twins |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let sizes: &[usize] = if quick { &[200] } else { &[200, 1000, 4000] };
    for &batch in sizes {
        let net = Network::new(&gpu, arch.clone(), &weights).unwrap();
        let mut s = DirectSearch::new(
            &gpu,
            net,
            DirectConfig {
                batch,
                ..DirectConfig::default()
            },
        )
        .unwrap();
        s.confidences().unwrap();
        let gens = if quick {
            5
        } else {
            (40_000 / batch).max(10) as u32
        };
        let start = Instant::now();
        for _ in 0..gens {
            s.step(1);
            s.confidences().unwrap(); // the per-generation readback a run does
        }
        let secs = start.elapsed().as_secs_f64();
        let eps = (gens as usize * batch) as f64 / secs;
        println!(
            "| stats every generation | {batch} | {gens} | {eps:.0} | {:.1} | {:.2} | {} | {:.1}× |",
            gens as f64 / secs,
            eps * flop / 1e9,
            peak.of(eps * flop / 1e9),
            eps / cpu_eps
        );
    }
    batches(&gpu, &arch, &weights, &peak, quick);
    if let Ok(python) = std::env::var("FOOLING_PEER_PYTHON") {
        side_by_side(&gpu, &python);
    }
}
