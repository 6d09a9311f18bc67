//! Throughput of gradient ascent on LeNet's input: every iteration is a forward pass, the
//! target probability's gradient back to the input and the step, for all target classes in
//! one batch, on the device; against the same iteration done by the CPU twins in this run.
//!
//! Without `--quick` it also runs the full CaffeNet (random weights): its image steps/s and
//! GFLOP/s, against its CPU twins at one image.
//!
//! `cargo bench --bench ascent` or `cargo bench --bench ascent -- --quick`.

mod common;

use fooling::ascent::{initial_images, Ascent, AscentConfig};
use fooling::kernels::{AscentState, Step};
use fooling::nn::{caffenet, lenet, reference_input_gradient, Network, Weights};
use fooling::reference as twin;
use std::time::Instant;

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let gpu = common::gpu();
    let arch = lenet();
    let weights = Weights::random(&arch, 0).unwrap();
    println!("adapter: {}", fooling::gpu::describe(&gpu.info));
    println!("matrix kernels: {:?}", gpu.variant);
    let peak = common::Peak::measure(&gpu, quick);
    println!();
    let n = arch.input_len();
    let mean: Vec<f32> = (0..n).map(|i| (i % 29) as f32 * 3.0).collect();

    // CPU twins: iterations of the 10 classes
    let classes: Vec<u32> = (0..10).collect();
    let b = classes.len();
    let mut image = initial_images(&mean, &classes, 0, 1.0);
    let mut input: Vec<f32> = image
        .iter()
        .map(|&v| v * arch.grey_scale().unwrap())
        .collect();
    let mut mean2 = mean.clone();
    mean2.extend(vec![0.0; n]);
    mean2.extend(vec![arch.grey_scale().unwrap(); n]);
    let (mut best, mut state) = (image.clone(), vec![AscentState::START; b]);
    let cpu_iters = if quick { 2 } else { 5 };
    let mut history = vec![0.0; cpu_iters * b];
    let step = Step {
        decay: 0.01,
        max_lr: 1e12,
        lo: 0.0,
        hi: 255.0,
    };
    let start = Instant::now();
    for _ in 0..cpu_iters {
        let (prob, grad) = reference_input_gradient(&arch, &weights, &input, &classes).unwrap();
        twin::ascent_step(
            n,
            &step,
            &grad,
            &prob,
            &mean2,
            &mut image,
            &mut input,
            &mut best,
            &mut state,
            &mut history,
        );
    }
    let cpu = (cpu_iters * b) as f64 / start.elapsed().as_secs_f64();
    println!("CPU twins (f64 accumulation, one thread): {cpu:.0} image steps/s at batch {b}\n");

    // forward + input gradient ≈ 3 × the forward's multiply-adds
    let lenet_flop = 3.0 * 2.0 * arch.macs().unwrap() as f64;
    println!("| gradient ascent, LeNet | batch | iterations | image steps/s | iterations/s | GFLOP/s | of peak | vs CPU twins |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let sizes: &[usize] = if quick { &[10] } else { &[10, 100, 1000] };
    for &batch in sizes {
        let iterations = if quick { 20 } else { 100 };
        let net = Network::new(&gpu, arch.clone(), &weights).unwrap();
        let config = AscentConfig {
            classes: (0..batch as u32).map(|i| i % 10).collect(),
            iterations,
            ..AscentConfig::default()
        };
        let mut run = Ascent::new(&gpu, &net, &mean, config).unwrap();
        run.step(1).unwrap(); // pipelines built, caches warm
        let start = Instant::now();
        while run.iteration() < iterations {
            let from = run.iteration();
            run.step(10).unwrap();
            run.history(from, run.iteration()).unwrap(); // the readback a run does
        }
        let secs = start.elapsed().as_secs_f64();
        let done = (iterations - 1) as f64;
        let steps = done * batch as f64 / secs;
        println!(
            "| 10 iterations per submit | {batch} | {} | {steps:.0} | {:.1} | {:.2} | {} | {:.1}× |",
            iterations - 1,
            done / secs,
            steps * lenet_flop / 1e9,
            peak.of(steps * lenet_flop / 1e9),
            steps / cpu
        );
    }

    if quick {
        return;
    }

    // the full CaffeNet: batches up to one forward chunk on this adapter
    let arch = caffenet();
    let weights = Weights::hashed(&arch, 7).unwrap();
    let net = Network::new(&gpu, arch.clone(), &weights).unwrap();
    let n = arch.input_len();
    let mean: Vec<f32> = (0..n).map(|i| arch.pixels.mean[i / (n / 3)]).collect();
    // forward + input gradient ≈ 3 × the forward's multiply-adds
    let flop = 3.0 * 2.0 * arch.macs().unwrap() as f64;
    let x = arch.to_input(&vec![128u8; n]);
    let start = Instant::now();
    reference_input_gradient(&arch, &weights, &x, &[1]).unwrap();
    let cpu = 1.0 / start.elapsed().as_secs_f64();
    println!("\nCaffeNet CPU twins (f64 accumulation, one thread): {cpu:.3} image steps/s\n");
    println!("| gradient ascent, CaffeNet | batch | iterations | image steps/s | GFLOP/s | of peak | vs CPU twins |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let chunk = net.max_chunk(&gpu).unwrap();
    for batch in [1usize, 10, 1000].into_iter().filter(|&b| b <= chunk) {
        let iterations = 3;
        let config = AscentConfig {
            classes: (0..batch as u32).collect(),
            iterations,
            ..AscentConfig::default()
        };
        let mut run = Ascent::new(&gpu, &net, &mean, config).unwrap();
        run.step(1).unwrap();
        let start = Instant::now();
        run.step(iterations - 1).unwrap();
        let secs = start.elapsed().as_secs_f64();
        let steps = ((iterations - 1) as usize * batch) as f64 / secs;
        println!(
            "| one submit | {batch} | {} | {steps:.2} | {:.1} | {} | {:.1}× |",
            iterations - 1,
            steps * flop / 1e9,
            peak.of(steps * flop / 1e9),
            steps / cpu
        );
    }
}
