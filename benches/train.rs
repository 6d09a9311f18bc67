//! Training throughput: LeNet SGD iterations on the device (gather, forward, loss, backward,
//! update in one submit) against the CPU twins (`nn::reference_backward` plus the SGD twin)
//! measured in the same run.
//!
//! `cargo bench --bench train` or `cargo bench --bench train -- --quick`.

mod common;

use fooling::data::load_dir;
use fooling::gpu::{Dispatch, Gpu, GpuBuffer};
use fooling::kernels::{self, Conv2dShape, LinearShape};
use fooling::nn::{lenet, reference_backward, Network, TrainConfig, Trainer, Weights};
use fooling::reference::sgd_update;
use std::path::Path;
use std::time::Instant;

/// A buffer of `n` values in [-1, 1), from a fixed sequence (the values do not matter to the
/// timing, only that they are finite).
fn operand(gpu: &Gpu, n: usize) -> GpuBuffer<f32> {
    let v: Vec<f32> = (0..n)
        .map(|i| ((i as u64 * 2_654_435_761) % 2001) as f32 / 1000.0 - 1.0)
        .collect();
    GpuBuffer::from_slice(gpu, "bench operand", &v).unwrap()
}

/// Rows of the backward kernels alone, per LeNet layer, read against the FMA peak and
/// against `peak_gather` (the ceiling of their access pattern: like the forward
/// convolution's, each multiply-add's operands are loads that vary with the invocation).
fn backward_kernels(gpu: &Gpu, peak: &common::Peak, quick: bool, batch: usize) {
    let row = |what: &str, flop: f64, d: &Dispatch| {
        let secs = common::time(gpu, quick, &|pass| d.record(pass));
        let gflops = flop / secs / 1e9;
        println!(
            "| {what} | {batch} | {:.2} | {gflops:.2} | {} | {:.0}% |",
            secs * 1e3,
            peak.of(gflops),
            100.0 * gflops / peak.gather
        );
    };
    for (name, s) in [
        (
            "conv1 (1→20, 5×5, 28×28)",
            Conv2dShape::square(batch, [1, 28, 28], 20, 5, 1, 0, 1),
        ),
        (
            "conv2 (20→50, 5×5, 12×12)",
            Conv2dShape::square(batch, [20, 12, 12], 50, 5, 1, 0, 1),
        ),
    ] {
        let flop = 2.0 * s.macs() as f64;
        let (x, w, dy) = (
            operand(gpu, s.input_len()),
            operand(gpu, s.weight_len()),
            operand(gpu, s.output_len()),
        );
        let dx = GpuBuffer::<f32>::zeros(gpu, "dx", s.input_len()).unwrap();
        let dw = GpuBuffer::<f32>::zeros(gpu, "dw", s.weight_len()).unwrap();
        let d = kernels::conv2d_bwd_input(gpu, &s, dy.view(), w.view(), dx.view()).unwrap();
        row(&format!("{name}: input gradient"), flop, &d);
        let d = kernels::conv2d_bwd_weight(gpu, &s, dy.view(), x.view(), dw.view()).unwrap();
        row(&format!("{name}: weight gradient"), flop, &d);
    }
    for (name, in_f, out_f) in [("ip1 (800→500)", 800, 500), ("ip2 (500→10)", 500, 10)] {
        let s = LinearShape { batch, in_f, out_f };
        let flop = 2.0 * s.macs() as f64;
        let (x, w, dy) = (
            operand(gpu, batch * in_f),
            operand(gpu, in_f * out_f),
            operand(gpu, batch * out_f),
        );
        let dx = GpuBuffer::<f32>::zeros(gpu, "dx", batch * in_f).unwrap();
        let dw = GpuBuffer::<f32>::zeros(gpu, "dw", in_f * out_f).unwrap();
        let d = kernels::linear_bwd_input(gpu, &s, dy.view(), w.view(), dx.view()).unwrap();
        row(&format!("{name}: input gradient"), flop, &d);
        let d = kernels::linear_bwd_weight(gpu, &s, dy.view(), x.view(), dw.view()).unwrap();
        row(&format!("{name}: weight gradient"), flop, &d);
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let gpu = common::gpu();
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

    println!("\n| backward kernel | batch | ms | GFLOP/s | of peak | of peak_gather |");
    println!("|---|---:|---:|---:|---:|---:|");
    let batches: &[usize] = if quick { &[64] } else { &[64, 256] };
    for &batch in batches {
        backward_kernels(&gpu, &peak, quick, batch);
    }
}
