//! ImageNet-size throughput, each figure beside the CPU twins measured in the same run:
//! the CaffeNet forward pass layer by layer at batch sizes up to one forward chunk on the
//! adapter, the 10-crop (and 1-crop) evaluation of 256×256 colour genomes, and the
//! MAP-Elites loop at ImageNet size (direct and CPPN, 1000 cells, every generation's
//! confidences read back as a run does).
//!
//! `cargo bench --bench imagenet` (the full CaffeNet with random weights) or
//! `cargo bench --bench imagenet -- --quick` (CaffeNet at 1/16 width, small batches: a smoke
//! run for CI); `-- --net alexnet` or `-- --net caffenet/4` for another network.

mod common;

use fooling::evo::{
    CppnConfig, CppnSearch, DirectConfig, DirectSearch, Fitness, Genomes, Imaging, IMAGENET_SIZE,
};
use fooling::gpu::Dispatch;
use fooling::imaging::ColorModel;
use fooling::nn::{by_name, reference_forward, Network, Weights};
use fooling::reference::{self as twin};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let name = args
        .iter()
        .position(|a| a == "--net")
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| if quick { "caffenet/16" } else { "caffenet" }.into());
    let gpu = common::gpu();
    let cpu_adapter = gpu.info.device_type == wgpu::DeviceType::Cpu;
    let arch = by_name(&name).unwrap();
    let weights = Weights::hashed(&arch, 7).unwrap();
    let net = Network::new(&gpu, arch.clone(), &weights).unwrap();
    let chunk = net.max_chunk(&gpu).unwrap();
    let macs = arch.layer_macs().unwrap();
    let flop = 2.0 * macs.iter().sum::<u64>() as f64;
    println!("adapter: {}", fooling::gpu::describe(&gpu.info));
    println!("matrix kernels: {:?}", gpu.variant);
    let peak = common::Peak::measure(&gpu, quick);
    println!(
        "network: {name} (random weights), {:.3} GFLOP per crop, forward chunk {chunk} crops",
        flop / 1e9
    );
    println!("mode: {}\n", if quick { "quick" } else { "full" });

    // the CPU twins: one crop through the f64 forward pass
    let n = arch.input_len();
    let x: Vec<f32> = arch.to_input(&(0..n).map(|i| (i * 7919 % 256) as u8).collect::<Vec<_>>());
    let start = Instant::now();
    reference_forward(&arch, &weights, &x).unwrap();
    let cpu_crops = 1.0 / start.elapsed().as_secs_f64();
    println!(
        "CPU twins (f64 accumulation, one thread): {cpu_crops:.3} crops/s, {:.2} GFLOP/s\n",
        cpu_crops * flop / 1e9
    );

    // 1. the forward pass, whole and per layer
    let batches: Vec<usize> = if quick {
        vec![1, 16]
    } else if cpu_adapter {
        vec![1, 10, 64]
    } else {
        vec![1, 10, 64, 256, 1024, 2048, 4096]
    };
    let batches: Vec<usize> = batches.into_iter().filter(|&b| b <= chunk).collect();
    println!(
        "| {name} forward (+softmax) | batch | ms | crops/s | GFLOP/s | of peak | vs CPU twins |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let mut layer_rows = Vec::new();
    for (k, &batch) in batches.iter().enumerate() {
        let plan = net.forward_plan(&gpu, batch).unwrap();
        plan.input.write(&gpu, 0, &x.repeat(batch));
        let secs = common::time(&gpu, quick, &|pass| plan.record(pass));
        let ips = batch as f64 / secs;
        println!(
            "| whole pass | {batch} | {:.2} | {ips:.1} | {:.1} | {} | {:.1}× |",
            secs * 1e3,
            ips * flop / 1e9,
            peak.of(ips * flop / 1e9),
            ips / cpu_crops
        );
        // per layer at the smallest and the largest batch
        if k == 0 || k == batches.len() - 1 {
            let layers = macs
                .iter()
                .enumerate()
                .map(|(i, &m)| (arch.layer_label(i), 2.0 * m as f64))
                .chain(std::iter::once(("softmax".to_string(), 0.0)));
            for (i, (label, f)) in layers.enumerate() {
                let ds: &[Dispatch] = plan.layer_dispatches(i);
                if ds.is_empty() {
                    continue; // dropout at inference, ReLUs fused into the layer before
                }
                let s = common::time(&gpu, quick, &|pass| {
                    for d in ds {
                        d.record(pass);
                    }
                });
                layer_rows.push((label, batch, s, f * batch as f64 / s, s / secs));
            }
        }
    }
    println!("\n| {name} layer | batch | ms | GFLOP/s | of peak | share of the pass |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (label, batch, s, gflops, share) in layer_rows {
        let (g, of) = if gflops > 0.0 {
            (format!("{:.1}", gflops / 1e9), peak.of(gflops / 1e9))
        } else {
            ("–".into(), "–".into())
        };
        println!(
            "| {label} | {batch} | {:.3} | {g} | {of} | {:.0}% |",
            s * 1e3,
            share * 100.0
        );
    }

    // 2. evaluating colour genomes: render, crop, forward, crop mean
    let count = if quick {
        4
    } else if cpu_adapter {
        20
    } else {
        400
    };
    let genes = 3 * IMAGENET_SIZE * IMAGENET_SIZE;
    let genomes = Genomes::zeros(&gpu, "genomes", count, genes).unwrap();
    let values: Vec<f32> = (0..count * genes)
        .map(|i| (i * 2654435761 % 1000) as f32 / 1000.0)
        .collect();
    genomes.write(&gpu, &values).unwrap();
    let one = Imaging::color(&arch, ColorModel::HlsOpencv, [IMAGENET_SIZE; 2], 1, None).unwrap();
    let start = Instant::now();
    let Imaging::Color { render, .. } = &one else {
        unreachable!()
    };
    let crop = twin::render_color_crops(render, &values, 0, 1, None);
    reference_forward(&arch, &weights, &crop).unwrap();
    let cpu_eval1 = 1.0 / start.elapsed().as_secs_f64();
    println!(
        "\nCPU twins: {cpu_eval1:.3} evaluations/s at 1 crop (render, crop, forward); 10 crops: {:.4} (a tenth)\n",
        cpu_eval1 / 10.0
    );
    println!("| evaluating 256×256 colour genomes | genomes | crops | evaluations/s | crops/s | GFLOP/s | of peak | vs CPU twins |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let mut eval10 = 0.0;
    for crops in [10, 1] {
        let imaging = Imaging::color(
            &arch,
            ColorModel::HlsOpencv,
            [IMAGENET_SIZE; 2],
            crops,
            None,
        )
        .unwrap();
        let fitness = Fitness::new(&gpu, &net, &imaging, &genomes).unwrap();
        let secs = common::time(&gpu, quick, &|pass| fitness.record(pass));
        let eps = count as f64 / secs;
        if crops == 10 {
            eval10 = eps;
        }
        let gflops = eps * crops as f64 * flop / 1e9;
        println!(
            "| in waves of one forward chunk | {count} | {crops} | {eps:.2} | {:.1} | {gflops:.1} | {} | {:.1}× |",
            eps * crops as f64,
            peak.of(gflops),
            eps / (cpu_eval1 / crops as f64)
        );
    }

    // 3. the MAP-Elites loop at ImageNet size, 10 crops
    let (direct_b, cppn_b, gens) = if quick {
        (4, 4, 1)
    } else if cpu_adapter {
        (10, 10, 2)
    } else {
        (200, 400, 5)
    };
    let imaging =
        Imaging::color(&arch, ColorModel::HlsOpencv, [IMAGENET_SIZE; 2], 10, None).unwrap();
    println!("\n| MAP-Elites, {name}, 1000 cells, 10 crops | B | generations | evaluations/s | vs CPU twins | 2 M evaluations (the paper's CPPN run) |");
    println!("|---|---:|---:|---:|---:|---:|");
    let row = |what: &str, b: usize, secs: f64| {
        let eps = (gens as usize * b) as f64 / secs;
        println!(
            "| {what} | {b} | {gens} | {eps:.2} | {:.1}× | {:.1} h |",
            eps / (cpu_eval1 / 10.0),
            2e6 / eps / 3600.0
        );
    };
    {
        let net = Network::new(&gpu, arch.clone(), &weights).unwrap();
        let config = DirectConfig {
            batch: direct_b,
            ..DirectConfig::default()
        };
        let mut s = DirectSearch::with_imaging(&gpu, net, config, imaging.clone()).unwrap();
        s.confidences().unwrap();
        let start = Instant::now();
        for _ in 0..gens {
            s.step(1);
            s.confidences().unwrap();
        }
        row("direct", direct_b, start.elapsed().as_secs_f64());
    }
    {
        let net = Network::new(&gpu, arch.clone(), &weights).unwrap();
        let config = CppnConfig {
            batch: cppn_b,
            ..CppnConfig::default()
        };
        let mut s = CppnSearch::with_imaging(&gpu, net, config, imaging).unwrap();
        let start = Instant::now();
        s.step(gens).unwrap(); // reads the winners and confidences back every generation
        row("CPPN", cppn_b, start.elapsed().as_secs_f64());
    }
    println!(
        "\n10-crop evaluations/s of the evaluation kernels alone: {eval10:.2}; the paper's run took 4 days on 128 cores (≈ 5.8 evaluations/s)."
    );
}
