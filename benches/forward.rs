//! Throughput of the forward kernels and of the whole LeNet forward pass, then of single
//! layers of the networks people bring (MobileNetV2's pointwise and depthwise convolutions,
//! ResNet's 3×3, CaffeNet's first and third), each against the adapter's peak.
//!
//! `cargo bench --bench forward` (full: batches 1 to 16,384) or
//! `cargo bench --bench forward -- --quick` (a smoke size for CI and lavapipe);
//! `-- --kernels tiled|direct` picks the matrix-kernel variant (default: the adapter's).
//!
//! A custom harness rather than criterion: each sample records `reps` launches into one
//! command buffer and syncs once, and the table needs derived columns (GFLOP/s, the ratio to
//! the CPU twin measured in the same run) that criterion does not report. Times are medians
//! of wall-clock samples; the adapter is named first. The output is Markdown, ready for
//! BENCHMARKS.md.

mod common;

use fooling::gpu::{Dispatch, Gpu, GpuBuffer, GpuOptions, KernelChoice};
use fooling::kernels::{self, Conv2dShape, LinearShape};
use fooling::nn::{lenet, reference_forward, Network, Weights};
use rand::{Rng, SeedableRng};
use std::time::{Duration, Instant};

struct Bench {
    gpu: Gpu,
    quick: bool,
    peak: common::Peak,
    rng: rand::rngs::StdRng,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

impl Bench {
    fn random(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.rng.gen_range(-1.0..1.0)).collect()
    }

    /// Seconds per replay of `dispatches`: warm up, calibrate `reps` so a sample takes about
    /// `target`, then the median of several samples, each synced once.
    fn time(&self, dispatches: &[&Dispatch]) -> f64 {
        let run = |reps: usize| {
            let start = Instant::now();
            let mut enc = self.gpu.device.create_command_encoder(&Default::default());
            {
                let mut pass = enc.begin_compute_pass(&Default::default());
                for _ in 0..reps {
                    for d in dispatches {
                        d.record(&mut pass);
                    }
                }
            }
            self.gpu.queue.submit([enc.finish()]);
            self.gpu.wait().unwrap();
            start.elapsed().as_secs_f64()
        };
        run(1);
        let target = if self.quick {
            Duration::from_millis(30)
        } else {
            Duration::from_millis(200)
        };
        let once = run(1).max(1e-6);
        let reps = ((target.as_secs_f64() / once) as usize).clamp(1, 1000);
        let samples = if self.quick { 3 } else { 7 };
        median((0..samples).map(|_| run(reps) / reps as f64).collect())
    }

    fn row(&self, what: &str, batch: usize, secs: f64, flops: f64, baseline: Option<f64>) {
        let ips = batch as f64 / secs;
        let ratio = baseline
            .map(|b| format!("{:.1}×", ips / b))
            .unwrap_or_else(|| "".into());
        let gflops = flops / secs / 1e9;
        println!(
            "| {what} | {batch} | {:.3} | {:.0} | {gflops:.2} | {} | {ratio} |",
            secs * 1e3,
            ips,
            self.peak.of(gflops)
        );
    }
}

fn main() {
    let quick =
        std::env::args().any(|a| a == "--quick") || std::env::var("FOOLING_BENCH_QUICK").is_ok();
    let args: Vec<String> = std::env::args().collect();
    // `--kernels X` as the CLI's, else FOOLING_KERNELS (auto when unset)
    let gpu = match args
        .iter()
        .position(|a| a == "--kernels")
        .map(|i| args.get(i + 1).map(String::as_str))
    {
        None => common::gpu(),
        Some(choice) => {
            let kernels = match choice {
                Some("tiled") => KernelChoice::Tiled,
                Some("direct") => KernelChoice::Direct,
                Some("subgroup") => KernelChoice::Subgroup,
                other => panic!("--kernels: expected tiled, direct or subgroup, found {other:?}"),
            };
            Gpu::new(&GpuOptions {
                kernels,
                ..Default::default()
            })
            .expect("a GPU adapter")
        }
    };
    let peak = common::Peak::measure(&gpu, quick);
    let mut b = Bench {
        gpu,
        quick,
        peak,
        rng: rand::rngs::StdRng::seed_from_u64(1),
    };
    let batches: &[usize] = if quick {
        &[1, 64, 256]
    } else {
        &[1, 16, 256, 1024, 4096, 16384]
    };
    println!("adapter: {}", fooling::gpu::describe(&b.gpu.info));
    println!("matrix kernels: {:?}", b.gpu.variant);
    println!("mode: {}\n", if quick { "quick" } else { "full" });

    // CPU twin baseline, in this run: LeNet forward over a small batch
    let arch = lenet();
    let weights = Weights::random(&arch, 1).unwrap();
    let cpu_batch = if quick { 4 } else { 32 };
    let cpu_input: Vec<f32> = (0..cpu_batch * 784)
        .map(|_| b.rng.gen_range(0.0..1.0))
        .collect();
    let start = Instant::now();
    reference_forward(&arch, &weights, &cpu_input).unwrap();
    let cpu_ips = cpu_batch as f64 / start.elapsed().as_secs_f64();
    let macs = arch.macs().unwrap() as f64;
    println!("CPU twin (f64 accumulation, one thread): LeNet forward {cpu_ips:.0} images/s, {:.2} GFLOP/s\n", cpu_ips * 2.0 * macs / 1e9);

    println!("| kernel | batch | ms | images/s | GFLOP/s | of peak | vs CPU twin |");
    println!("|---|---:|---:|---:|---:|---:|");
    let net = Network::new(&b.gpu, arch.clone(), &weights).unwrap();
    for &batch in batches {
        // conv1 and conv2 of LeNet
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
            let chunk = (b.gpu.max_binding() as usize / 4 / (s.output_len() / batch)).min(batch);
            let s = Conv2dShape { batch: chunk, ..s };
            let (x, w, bias) = (
                b.random(s.input_len()),
                b.random(s.weight_len()),
                b.random(s.out_c),
            );
            let bufs = [&x, &w, &bias].map(|v| GpuBuffer::from_slice(&b.gpu, "in", v).unwrap());
            let y = GpuBuffer::<f32>::zeros(&b.gpu, "y", s.output_len()).unwrap();
            let d = kernels::conv2d_fwd(
                &b.gpu,
                &s,
                false,
                bufs[0].view(),
                bufs[1].view(),
                bufs[2].view(),
                y.view(),
            )
            .unwrap();
            let secs = b.time(&[&d]) * batch as f64 / chunk as f64;
            b.row(
                name,
                batch,
                secs,
                2.0 * s.macs() as f64 * batch as f64 / chunk as f64,
                None,
            );
        }
        let s = LinearShape {
            batch,
            in_f: 800,
            out_f: 500,
        };
        let (x, w, bias) = (b.random(batch * 800), b.random(800 * 500), b.random(500));
        let bufs = [&x, &w, &bias].map(|v| GpuBuffer::from_slice(&b.gpu, "in", v).unwrap());
        let y = GpuBuffer::<f32>::zeros(&b.gpu, "y", batch * 500).unwrap();
        let d = kernels::linear_fwd(
            &b.gpu,
            &s,
            true,
            bufs[0].view(),
            bufs[1].view(),
            bufs[2].view(),
            y.view(),
        )
        .unwrap();
        let secs = b.time(&[&d]);
        b.row(
            "ip1 (800→500, ReLU)",
            batch,
            secs,
            2.0 * s.macs() as f64,
            None,
        );

        let plan = net.forward_plan(&b.gpu, batch).unwrap();
        let input: Vec<f32> = (0..batch * 784)
            .map(|_| b.rng.gen_range(0.0..1.0))
            .collect();
        plan.input.write(&b.gpu, 0, &input);
        let secs = {
            // the plan's dispatches, replayed like the single kernels above
            let run = |reps: usize| {
                let start = Instant::now();
                let mut enc = b.gpu.device.create_command_encoder(&Default::default());
                {
                    let mut pass = enc.begin_compute_pass(&Default::default());
                    for _ in 0..reps {
                        plan.record(&mut pass);
                    }
                }
                b.gpu.queue.submit([enc.finish()]);
                b.gpu.wait().unwrap();
                start.elapsed().as_secs_f64()
            };
            run(1);
            let once = run(1).max(1e-6);
            let target = if quick { 0.03 } else { 0.2 };
            let reps = ((target / once) as usize).clamp(1, 1000);
            median(
                (0..if quick { 3 } else { 7 })
                    .map(|_| run(reps) / reps as f64)
                    .collect(),
            )
        };
        b.row(
            "**LeNet forward** (+softmax)",
            batch,
            secs,
            2.0 * macs * batch as f64,
            Some(cpu_ips),
        );
    }

    modern_layers(&mut b);
}

/// One layer of each kind that modern classifiers spend their time in: GFLOP/s and the share
/// of the adapter's peak (a depthwise convolution does little arithmetic per load, so its
/// share is low on any adapter; the table says so rather than hiding it).
fn modern_layers(b: &mut Bench) {
    let batch = if b.quick { 4 } else { 16 };
    let dw = |c: usize, hw: usize, stride: usize, pad: [usize; 4]| Conv2dShape {
        batch,
        in_c: c,
        in_h: hw,
        in_w: hw,
        out_c: c,
        kh: 3,
        kw: 3,
        stride: [stride; 2],
        pad,
        dilation: [1; 2],
        groups: c,
    };
    let sq = |x: [usize; 3], out_c, k, stride, pad| {
        Conv2dShape::square(batch, x, out_c, k, stride, pad, 1)
    };
    let layers = [
        (
            "MobileNetV2 160² expand 1×1 (16→96, 80×80)",
            sq([16, 80, 80], 96, 1, 1, 0),
        ),
        (
            "MobileNetV2 160² depthwise 3×3 (144, 40×40)",
            dw(144, 40, 1, [1; 4]),
        ),
        (
            "MobileNetV2 160² depthwise 3×3 s2 (96, 80×80)",
            dw(96, 80, 2, [0, 0, 1, 1]),
        ),
        (
            "MobileNetV2 160² project 1×1 (144→24, 40×40)",
            sq([144, 40, 40], 24, 1, 1, 0),
        ),
        (
            "MobileNetV2 160² expand 1×1 (160→960, 5×5)",
            sq([160, 5, 5], 960, 1, 1, 0),
        ),
        (
            "ResNet-18 3×3 (128→128, 28×28)",
            sq([128, 28, 28], 128, 3, 1, 1),
        ),
        (
            "CaffeNet conv1 (3→96, 11×11 s4, 227×227)",
            sq([3, 227, 227], 96, 11, 4, 0),
        ),
        (
            "CaffeNet conv3 (256→384, 3×3, 13×13)",
            sq([256, 13, 13], 384, 3, 1, 1),
        ),
    ];
    println!("\n| layer (forward, ReLU) | batch | ms | images/s | GFLOP/s | of peak |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, s) in layers {
        let (x, w, bias) = (
            b.random(s.input_len()),
            b.random(s.weight_len()),
            b.random(s.out_c),
        );
        let bufs = [&x, &w, &bias].map(|v| GpuBuffer::from_slice(&b.gpu, "in", v).unwrap());
        let y = GpuBuffer::<f32>::zeros(&b.gpu, "y", s.output_len()).unwrap();
        let d = kernels::conv2d_fwd(
            &b.gpu,
            &s,
            true,
            bufs[0].view(),
            bufs[1].view(),
            bufs[2].view(),
            y.view(),
        )
        .unwrap();
        let secs = b.time(&[&d]);
        let gflops = 2.0 * s.macs() as f64 / secs / 1e9;
        println!(
            "| {name} | {batch} | {:.3} | {:.0} | {gflops:.2} | {} |",
            secs * 1e3,
            batch as f64 / secs,
            b.peak.of(gflops)
        );
    }
}
