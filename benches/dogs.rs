//! A real network as users bring it, against onnxruntime on the same machine in the same run:
//! the shipped dog-breed MobileNetV2 (`weights/dogs_mobilenetv2.onnx`, tf2onnx's export of a
//! Keras model, 160×160 RGB, 19 classes): its forward pass at batch B, and the CPPN and
//! direct MAP-Elites loops with one crop and ten (183×183 genomes), and gradient ascent of B
//! classes at once, each in evaluations/s (image steps/s) and beside onnxruntime's inference
//! of the same model at the same batch
//! (`tools/peer_onnxruntime.py`, denormals flushed to zero).
//!
//! `cargo bench --bench dogs` (B = 20, the peer when `FOOLING_PEER_PYTHON` names a Python
//! with onnxruntime, e.g. `.venv/bin/python`) or `-- --quick` (B = 4, a generation or two:
//! a smoke run for CI).

mod common;
#[path = "common/onnxruntime.rs"]
mod onnxruntime;

use fooling::ascent::{Ascent, AscentConfig};
use fooling::evo::{color_size, CppnConfig, CppnSearch, DirectConfig, DirectSearch, Imaging};
use fooling::imaging::ColorModel;
use fooling::nn::{self, Network};
use std::time::Instant;

const MODEL: &str = "weights/dogs_mobilenetv2.onnx";

/// Evaluations per second of `gens` generations of a search (after its initial batch).
fn loop_rate(step: &mut dyn FnMut() -> f64, gens: u32, batch: usize) -> f64 {
    step(); // the initial batch, pipelines built
    let start = Instant::now();
    for _ in 0..gens {
        step();
    }
    (gens as usize * batch) as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let gpu = common::gpu();
    let loaded = nn::load(MODEL, None, &Default::default()).expect("the shipped dog network");
    let arch = loaded.arch.clone();
    let flop = 2.0 * arch.macs().unwrap() as f64;
    let batch = if quick { 4 } else { 20 };
    let gens = if quick { 1 } else { 5 };
    println!("adapter: {}", fooling::gpu::describe(&gpu.info));
    println!("matrix kernels: {:?}", gpu.variant);
    let peak = common::Peak::measure(&gpu, quick);
    println!(
        "{MODEL}: {} nodes, {:.3} GFLOP per image, batch {batch}\n",
        arch.nodes.len(),
        flop / 1e9
    );
    let net = || Network::new(&gpu, arch.clone(), &loaded.weights).unwrap();

    // the peer first, then ours, so neither warms the other's caches
    let python = std::env::var("FOOLING_PEER_PYTHON").ok();
    let theirs = python
        .as_deref()
        .map(|p| onnxruntime::images_per_s(p, MODEL, batch, quick));

    let forward = {
        let n = net();
        let plan = n.forward_plan(&gpu, batch).unwrap();
        plan.input
            .write(&gpu, 0, &vec![0.5; batch * arch.input_len()]);
        let secs = common::time(&gpu, quick, &|pass| plan.record(pass));
        batch as f64 / secs
    };
    let size = [color_size(arch.input[1]), color_size(arch.input[2])];
    let mut rows = vec![(
        format!("forward pass (batch {batch})"),
        forward,
        Some(forward * flop / 1e9),
    )];
    for crops in [1, 10] {
        let imaging = |model| Imaging::color(&arch, model, size, crops, None).unwrap();
        let mut cppn = CppnSearch::with_imaging(
            &gpu,
            net(),
            CppnConfig {
                batch,
                ..Default::default()
            },
            imaging(ColorModel::Hsv),
        )
        .unwrap();
        let rate = loop_rate(
            &mut || {
                // the host waits for each generation's winners: nothing to read back
                cppn.step(1).unwrap();
                0.0
            },
            gens,
            batch,
        );
        rows.push((
            format!("CPPN evolution, {crops} crop(s), B = {batch}"),
            rate,
            None,
        ));
        let mut direct = DirectSearch::with_imaging(
            &gpu,
            net(),
            DirectConfig {
                batch,
                ..Default::default()
            },
            imaging(ColorModel::HlsOpencv),
        )
        .unwrap();
        let rate = loop_rate(
            &mut || {
                direct.step(1);
                direct.confidences().unwrap(); // as a run reads them, every generation
                0.0
            },
            gens,
            batch,
        );
        rows.push((
            format!("direct evolution, {crops} crop(s), B = {batch}"),
            rate,
            None,
        ));
    }
    {
        // gradient ascent: forward, the target's gradient back to the input, the step, for
        // B target classes at once (≈ 3 × the forward's multiply-adds per image step)
        let n = net();
        let [c, h, w] = arch.input;
        let mean: Vec<f32> = (0..c * h * w)
            .map(|i| arch.pixels.mean[i / (h * w)])
            .collect();
        let iterations = if quick { 3 } else { 6 };
        let config = AscentConfig {
            classes: (0..batch as u32).map(|i| i % 19).collect(),
            iterations,
            ..AscentConfig::default()
        };
        let mut run = Ascent::new(&gpu, &n, &mean, config).unwrap();
        run.step(1).unwrap(); // pipelines built
        let start = Instant::now();
        run.step(iterations - 1).unwrap();
        run.history(1, iterations).unwrap(); // the readback a run does
        let steps = ((iterations - 1) as usize * batch) as f64 / start.elapsed().as_secs_f64();
        rows.push((
            format!("gradient ascent, B = {batch} (image steps)"),
            steps,
            Some(steps * 3.0 * flop / 1e9),
        ));
    }
    println!(
        "| {} | images or evaluations/s | GFLOP/s | of peak | vs onnxruntime (images/s) |",
        arch.name
    );
    println!("|---|---:|---:|---:|---:|");
    for (what, rate, gflops) in rows {
        let vs = match &theirs {
            Some(Ok((ips, _))) => format!("{:.3}×", rate / ips),
            _ => String::new(),
        };
        let (g, of) = gflops.map_or((String::new(), String::new()), |g| {
            (format!("{g:.2}"), peak.of(g))
        });
        println!("| {what} | {rate:.2} | {g} | {of} | {vs} |");
    }
    match theirs {
        Some(Ok((ips, about))) => {
            println!("\nonnxruntime's inference of the same model, batch {batch}: {ips:.1} images/s ({about}; the same machine, this run)");
            // what this adapter could do at best: every FLOP at its own measured peak
            let ceiling = peak.gflops * 1e9 / flop;
            println!(
                "the adapter's ceiling: {ceiling:.1} images/s at its peak_fma ({:.1} GFLOP/s), {:.3}× onnxruntime",
                peak.gflops,
                ceiling / ips
            );
        }
        Some(Err(why)) => println!("\npeer not run: {why}"),
        None => println!("\npeer not run: set FOOLING_PEER_PYTHON to a Python with onnxruntime"),
    }
}
