//! Training throughput: LeNet SGD iterations on the device (gather, forward, loss, backward,
//! update in one submit) against the CPU twins (`nn::reference_backward` plus the SGD twin)
//! measured in the same run.
//!
//! `cargo bench --bench train` or `cargo bench --bench train -- --quick`.

mod common;

use fooling::data::load_dir;
use fooling::gpu::GpuOptions;
use fooling::nn::{lenet, reference_backward, Network, TrainConfig, Trainer, Weights};
use fooling::reference::sgd_update;
use std::path::Path;
use std::time::Instant;

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let gpu = fooling::Gpu::new(&GpuOptions::default()).expect("a GPU adapter");
    let (train, _) =
        load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist-10k")).unwrap();
    let arch = lenet();
    let weights = Weights::random(&arch, 0).unwrap();
    let flops_per_image = 3.0 * 2.0 * arch.macs().unwrap() as f64; // forward + two backward products
    println!("adapter: {}", fooling::gpu::describe(&gpu.info));
    println!("matrix kernels: {:?}", gpu.variant);
    let peak = common::Peak::measure(&gpu, quick);
    println!();

    // CPU twins: one iteration at batch 64
    let b = 64;
    let input: Vec<f32> = train.images[..b * 784]
        .iter()
        .map(|&p| p as f32 / 256.0)
        .collect();
    let labels: Vec<u32> = train.labels[..b].iter().map(|&l| l as u32).collect();
    let start = Instant::now();
    let (_, grads) = reference_backward(&arch, &weights, &input, &labels).unwrap();
    let mut w = weights.clone();
    for (spec, g) in arch.params().unwrap().iter().zip(&grads) {
        let t = w.tensors.get_mut(&spec.name).unwrap();
        let mut v = vec![0.0; g.len()];
        sgd_update(1.0, 1.0, g, [0.01, 0.9, 5e-4], &mut t.data, &mut v);
    }
    let cpu_ips = b as f64 / start.elapsed().as_secs_f64();
    println!("CPU twin (f64 accumulation, one thread): {cpu_ips:.0} images/s at batch {b}\n");

    println!("| training | batch | ms / iteration | images/s | GFLOP/s | of peak | vs CPU twin |");
    println!("|---|---:|---:|---:|---:|---:|");
    let batches: &[usize] = if quick { &[64] } else { &[64, 256, 1024] };
    for &batch in batches {
        let net = Network::new(&gpu, arch.clone(), &weights).unwrap();
        let config = TrainConfig {
            batch,
            ..TrainConfig::default()
        };
        let mut t = Trainer::new(&gpu, net, &train, config).unwrap();
        t.step(2).unwrap();
        t.loss().unwrap();
        let iters = if quick { 5 } else { (6400 / batch).max(5) };
        let start = Instant::now();
        t.step(iters).unwrap();
        t.loss().unwrap(); // waits for the device
        let secs = start.elapsed().as_secs_f64() / iters as f64;
        let ips = batch as f64 / secs;
        let gflops = ips * flops_per_image / 1e9;
        println!(
            "| LeNet SGD step | {batch} | {:.1} | {ips:.0} | {gflops:.2} | {} | {:.1}× |",
            secs * 1e3,
            peak.of(gflops),
            ips / cpu_ips
        );
    }
}
