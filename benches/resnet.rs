//! A modern graph network's throughput, each figure beside the CPU twins measured in the same
//! run: ResNet-18 (torchvision's, batch normalisation folded into the convolutions as both
//! of PyTorch's ONNX exporters write it; 1000 classes, counter-hash weights) forward at
//! batch sizes up to one forward chunk, and the 10-crop (and 1-crop) evaluation of colour
//! genomes on it (256×256 genomes for its 224×224 input). With `FOOLING_PEER_PYTHON` naming a
//! Python with onnx and onnxruntime, both run one ONNX file (`tools/resnet18_onnx.py`, seeded
//! weights), and each forward batch is held against onnxruntime's at the same batch.
//!
//! `cargo bench --bench resnet` (full size) or `cargo bench --bench resnet -- --quick`
//! (ResNet-18 at 1/8 width on 64×64 images, small batches: a smoke run for CI).

mod common;
#[path = "common/onnxruntime.rs"]
mod onnxruntime;

use fooling::evo::{color_size, Fitness, Genomes, Imaging};
use fooling::imaging::ColorModel;
use fooling::nn::{
    reference_forward, Arch, ChannelOrder, Layer, Linear, Network, Pixels, Pool, PoolKind, Weights,
};
use fooling::reference as twin;
use std::time::Instant;

/// A graph being built: its architecture, the nodes' shapes, and the convolutions so far.
struct Builder {
    arch: Arch,
    shapes: Vec<[usize; 3]>,
    convs: usize,
}

impl Builder {
    /// Appends `layer` reading `inputs`; returns its output value.
    fn add(&mut self, layer: Layer, inputs: Vec<usize>) -> usize {
        self.arch.push(&mut self.shapes, layer, inputs).unwrap();
        self.arch.nodes.len()
    }

    /// A square convolution of `x`, padded to keep the size (before the stride).
    fn conv(&mut self, x: usize, out_c: usize, kernel: usize, stride: usize, relu: bool) -> usize {
        self.convs += 1;
        let name = format!("conv{}", self.convs);
        self.add(
            Layer::conv(&name, out_c, kernel, stride, kernel / 2, 1, relu),
            vec![x],
        )
    }
}

/// torchvision's ResNet-18 with every width divided by `d`, on `side × side` RGB input.
fn resnet18(d: usize, side: usize) -> Arch {
    let mut b = Builder {
        arch: Arch {
            name: if d == 1 {
                "resnet18".into()
            } else {
                format!("resnet18/{d}")
            },
            input: [3, side, side],
            pixels: Pixels {
                order: ChannelOrder::Rgb,
                mean: vec![0.485 * 255.0, 0.456 * 255.0, 0.406 * 255.0],
                std: vec![0.229 * 255.0, 0.224 * 255.0, 0.225 * 255.0],
            },
            nodes: Vec::new(),
            labels: (0..1000).map(|k| k.to_string()).collect(),
        },
        shapes: Vec::new(),
        convs: 0,
    };
    let mut x = b.conv(0, 64 / d, 7, 2, true);
    let pool = Layer::Pool(Pool {
        kind: PoolKind::Max,
        kernel: [3; 2],
        stride: [2; 2],
        pad: [1; 4],
        ceil: false,
    });
    x = b.add(pool, vec![x]);
    let mut c = 64 / d;
    for (stage, width) in [64, 128, 256, 512].into_iter().enumerate() {
        for block in 0..2 {
            let stride = if stage > 0 && block == 0 { 2 } else { 1 };
            let out = width / d;
            let y = b.conv(x, out, 3, stride, true);
            let y = b.conv(y, out, 3, 1, false);
            let short = if stride != 1 || c != out {
                b.conv(x, out, 1, stride, false)
            } else {
                x
            };
            let sum = b.add(Layer::Add, vec![y, short]);
            x = b.add(Layer::Relu, vec![sum]);
            c = out;
        }
    }
    x = b.add(Layer::GlobalAvgPool, vec![x]);
    let fc = Layer::Linear(Linear {
        name: "fc".into(),
        out_f: 1000,
        act: fooling::kernels::Fused::None,
    });
    b.add(fc, vec![x]);
    b.arch
}

/// Writes ResNet-18 (width / `d`, `side`² input) as ONNX under target/bench with the peer's
/// Python; its path, or why not.
fn onnx_model(python: &str, d: usize, side: usize) -> Result<String, String> {
    std::fs::create_dir_all("target/bench").map_err(|e| e.to_string())?;
    let path = format!("target/bench/resnet18_div{d}_{side}.onnx");
    let out = std::process::Command::new(python)
        .args(["tools/resnet18_onnx.py", "--out", &path])
        .args([
            "--width-divisor",
            &d.to_string(),
            "--side",
            &side.to_string(),
        ])
        .output()
        .map_err(|e| format!("{python}: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(path)
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let gpu = common::gpu();
    let (d, side) = if quick { (8, 64) } else { (1, 224) };
    // with a peer, both run one ONNX file (tools/resnet18_onnx.py writes it): the same model
    let python = std::env::var("FOOLING_PEER_PYTHON").ok();
    let model = python.as_deref().map(|p| onnx_model(p, d, side));
    let (arch, weights) = match &model {
        Some(Ok(path)) => {
            let loaded = fooling::nn::load(path, None, &Default::default()).unwrap();
            (loaded.arch, loaded.weights)
        }
        _ => {
            let arch = resnet18(d, side);
            let weights = Weights::hashed(&arch, 7).unwrap();
            (arch, weights)
        }
    };
    let name = arch.name.clone();
    let net = Network::new(&gpu, arch.clone(), &weights).unwrap();
    let cpu_adapter = gpu.info.device_type == wgpu::DeviceType::Cpu;
    let flop = 2.0 * arch.macs().unwrap() as f64;
    println!("adapter: {}", fooling::gpu::describe(&gpu.info));
    println!("matrix kernels: {:?}", gpu.variant);
    let peak = common::Peak::measure(&gpu, quick);
    println!(
        "{name}: {} nodes, {} parameters, {:.2} GFLOP per {}×{} image\n",
        arch.nodes.len(),
        arch.params()
            .unwrap()
            .iter()
            .map(|p| p.len())
            .sum::<usize>(),
        flop / 1e9,
        arch.input[1],
        arch.input[2]
    );

    // the CPU twins: one image
    let n = arch.input_len();
    let x = arch.to_input(&(0..n).map(|i| (i * 7919 % 256) as u8).collect::<Vec<_>>());
    let start = Instant::now();
    reference_forward(&arch, &weights, &x).unwrap();
    let cpu = 1.0 / start.elapsed().as_secs_f64();
    println!(
        "CPU twins (f64 accumulation, one thread): {cpu:.3} images/s ({:.2} GFLOP/s)\n",
        cpu * flop / 1e9
    );

    // 1. forward at batch sizes up to one forward chunk
    let chunk = net.max_chunk(&gpu).unwrap();
    let mut batches: Vec<usize> = if quick { vec![1, 8] } else { vec![1, 8, 32] };
    batches.retain(|&b| b <= chunk);
    if !quick && !batches.contains(&chunk) {
        batches.push(chunk.min(if cpu_adapter { 32 } else { 256 }));
    }
    batches.dedup();
    println!("| {name} forward | batch | images/s | GFLOP/s | of peak | vs CPU twins | onnxruntime images/s | vs onnxruntime |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for &b in &batches {
        let plan = net.forward_plan(&gpu, b).unwrap();
        let input: Vec<f32> = x.iter().cycle().take(b * n).copied().collect();
        plan.input.write(&gpu, 0, &input);
        let secs = common::time(&gpu, quick, &|pass| plan.record(pass));
        let ips = b as f64 / secs;
        let peer = match (&python, &model) {
            (Some(p), Some(Ok(path))) => match onnxruntime::images_per_s(p, path, b, quick) {
                Ok((theirs, _)) => format!("{theirs:.2} | {:.3}×", ips / theirs),
                Err(why) => format!("not run: {} | ", why.lines().last().unwrap_or_default()),
            },
            _ => " | ".into(),
        };
        println!(
            "| one forward plan | {b} | {ips:.2} | {:.1} | {} | {:.1}× | {peer} |",
            ips * flop / 1e9,
            peak.of(ips * flop / 1e9),
            ips / cpu
        );
    }

    match (&python, &model) {
        (Some(_), Some(Ok(path))) => println!("\nthe model: {path} (tools/resnet18_onnx.py), run by both; onnxruntime with denormals flushed, default threads, in this run"),
        (Some(_), Some(Err(why))) => println!("\npeer not run: {why}"),
        _ => println!("\npeer not run: set FOOLING_PEER_PYTHON to a Python with onnx and onnxruntime"),
    }

    // 2. evaluating colour genomes: render, crop, forward, crop mean
    let size = [color_size(arch.input[1]), color_size(arch.input[2])];
    let count = if quick {
        4
    } else if cpu_adapter {
        16
    } else {
        256
    };
    let genes = 3 * size[0] * size[1];
    let genomes = Genomes::zeros(&gpu, "genomes", count, genes).unwrap();
    let values: Vec<f32> = (0..count * genes)
        .map(|i| (i.wrapping_mul(2654435761) % 1000) as f32 / 1000.0)
        .collect();
    genomes.write(&gpu, &values).unwrap();
    let one = Imaging::color(&arch, ColorModel::HlsOpencv, size, 1, None).unwrap();
    let Imaging::Color { render, .. } = &one else {
        unreachable!()
    };
    let start = Instant::now();
    let crop = twin::render_color_crops(render, &values, 0, 1, None);
    reference_forward(&arch, &weights, &crop).unwrap();
    let cpu_eval1 = 1.0 / start.elapsed().as_secs_f64();
    println!(
        "\nCPU twins: {cpu_eval1:.3} evaluations/s at 1 crop (render, crop, forward); 10 crops: {:.4}\n",
        cpu_eval1 / 10.0
    );
    println!("| evaluating {}×{} colour genomes on {name} | genomes | crops | evaluations/s | crops/s | GFLOP/s | of peak | vs CPU twins |", size[1], size[0]);
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for crops in [10, 1] {
        let imaging = Imaging::color(&arch, ColorModel::HlsOpencv, size, crops, None).unwrap();
        let fitness = Fitness::new(&gpu, &net, &imaging, &genomes).unwrap();
        let secs = common::time(&gpu, quick, &|pass| fitness.record(pass));
        let eps = count as f64 / secs;
        let gflops = eps * crops as f64 * flop / 1e9;
        println!(
            "| in waves of one forward chunk | {count} | {crops} | {eps:.2} | {:.1} | {gflops:.1} | {} | {:.1}× |",
            eps * crops as f64,
            peak.of(gflops),
            eps / (cpu_eval1 / crops as f64)
        );
    }
}
