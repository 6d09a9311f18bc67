//! Command-line interface: each subcommand is a thin layer over the library.

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use fooling::gpu::{describe, list_adapters, BackendChoice, Gpu, GpuOptions, KernelChoice};
use fooling::nn::{self, Network, Weights};
use std::path::{Path, PathBuf};

#[derive(Parser)]
#[command(
    name = "fooling",
    version,
    about = "Evolve and optimise images that deep networks label with high confidence although no person can recognise them."
)]
pub struct Cli {
    #[command(flatten)]
    pub gpu: GpuArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args)]
pub struct GpuArgs {
    /// Graphics API: auto uses WGPU_BACKEND when set, otherwise Vulkan/Metal/DX12, then GL.
    #[arg(long, global = true, value_enum, default_value_t = BackendChoice::Auto)]
    pub backend: BackendChoice,
    /// Use the first adapter whose name contains this (case-insensitive).
    #[arg(long, global = true, value_name = "NAME")]
    pub adapter: Option<String>,
    /// Matrix-kernel implementation: auto picks direct on CPU adapters, tiled on GPUs.
    #[arg(long, global = true, value_enum, default_value_t = KernelChoice::Auto)]
    pub kernels: KernelChoice,
}

impl GpuArgs {
    fn open(&self) -> Result<Gpu> {
        Ok(Gpu::new(&GpuOptions {
            backend: self.backend,
            adapter: self.adapter.clone(),
            kernels: self.kernels,
        })?)
    }
}

#[derive(Subcommand)]
pub enum Command {
    /// List the adapters, and show the chosen one's limits and optional features.
    Info,
    /// Classify images and print the top classes with their confidences.
    Classify(ClassifyArgs),
}

#[derive(Args)]
pub struct ClassifyArgs {
    /// Network architecture.
    #[arg(long, default_value = "lenet")]
    pub net: String,
    /// Weights (safetensors) [default: weights/<net>_mnist.safetensors when it exists].
    #[arg(long, value_name = "FILE")]
    pub weights: Option<PathBuf>,
    /// How many classes to print per image.
    #[arg(long, default_value_t = 5)]
    pub top: usize,
    /// One JSON object per line: {"image": PATH, "top": [{"class", "label", "confidence"}, ...]}.
    #[arg(long)]
    pub json: bool,
    /// Scale images of another size to the network's input instead of refusing them.
    #[arg(long)]
    pub resize: bool,
    /// Images (PNG; colour is converted to grey for LeNet).
    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<PathBuf>,
}

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Info => info(&cli.gpu),
        Command::Classify(args) => classify(&cli.gpu, &args),
    }
}

fn info(gpu_args: &GpuArgs) -> Result<()> {
    let adapters = list_adapters(gpu_args.backend);
    println!("adapters ({}):", adapters.len());
    for a in &adapters {
        println!("  {}", describe(a));
    }
    let gpu = gpu_args.open()?;
    println!("chosen: {}", describe(&gpu.info));
    println!("matrix kernels: {:?}", gpu.variant);
    let l = &gpu.limits;
    println!("limits:");
    for (name, v) in [
        ("max_buffer_size", l.max_buffer_size),
        (
            "max_storage_buffer_binding_size",
            l.max_storage_buffer_binding_size,
        ),
        (
            "max_storage_buffers_per_shader_stage",
            l.max_storage_buffers_per_shader_stage as u64,
        ),
        (
            "min_storage_buffer_offset_alignment",
            l.min_storage_buffer_offset_alignment as u64,
        ),
        (
            "max_uniform_buffer_binding_size",
            l.max_uniform_buffer_binding_size,
        ),
        (
            "max_compute_workgroups_per_dimension",
            l.max_compute_workgroups_per_dimension as u64,
        ),
        (
            "max_compute_invocations_per_workgroup",
            l.max_compute_invocations_per_workgroup as u64,
        ),
        (
            "max_compute_workgroup_size_x",
            l.max_compute_workgroup_size_x as u64,
        ),
        (
            "max_compute_workgroup_size_y",
            l.max_compute_workgroup_size_y as u64,
        ),
        (
            "max_compute_workgroup_storage_size",
            l.max_compute_workgroup_storage_size as u64,
        ),
    ] {
        println!("  {name:<40} {v}");
    }
    let f = gpu.features;
    let yes = |b: bool| if b { "yes" } else { "no" };
    println!("optional features:");
    println!(
        "  timestamp queries                        {}",
        yes(f.timestamps)
    );
    println!(
        "  shader-f16                               {}",
        yes(f.shader_f16)
    );
    println!(
        "  subgroups                                {}",
        yes(f.subgroups)
    );
    Ok(())
}

/// The shipped weights for `net`, looked up in `weights/` of the working directory, then of
/// the source tree the binary was built from.
fn default_weights(net: &str) -> Result<PathBuf> {
    let name = format!("{net}_mnist.safetensors");
    let candidates = [
        Path::new("weights").join(&name),
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("weights")
            .join(&name),
    ];
    candidates
        .iter()
        .find(|p| p.exists())
        .cloned()
        .with_context(|| format!("--weights not given and no shipped weights weights/{name} found: pass --weights FILE"))
}

fn classify(gpu_args: &GpuArgs, args: &ClassifyArgs) -> Result<()> {
    let arch = nn::by_name(&args.net)?;
    if args.top == 0 {
        bail!("--top: must be at least 1");
    }
    let [c, h, w] = arch.input;
    if c != 1 {
        bail!(
            "--net {}: only grey-input networks can classify PNGs so far",
            args.net
        );
    }
    let weights_path = match &args.weights {
        Some(p) => p.clone(),
        None => default_weights(&args.net)?,
    };
    let weights = Weights::load(&weights_path, &arch)?;
    let mut input = Vec::with_capacity(args.images.len() * arch.input_len());
    for path in &args.images {
        let pixels = fooling::imageio::load_grey(path, w, h, args.resize)?;
        input.extend(pixels.iter().map(|&p| p as f32 * arch.pixel_scale));
    }
    let gpu = gpu_args.open()?;
    let net = Network::new(&gpu, arch, &weights)?;
    let probs = net.classify(&gpu, &input)?;
    for (path, p) in args.images.iter().zip(&probs) {
        let mut order: Vec<usize> = (0..p.len()).collect();
        order.sort_by(|&a, &b| p[b].total_cmp(&p[a]).then(a.cmp(&b)));
        order.truncate(args.top);
        if args.json {
            let top: Vec<_> = order
                .iter()
                .map(|&k| {
                    // the f32's shortest decimal form, not its f64 widening
                    let confidence: f64 = p[k].to_string().parse().unwrap_or(p[k] as f64);
                    serde_json::json!({"class": k, "label": net.arch.labels[k], "confidence": confidence})
                })
                .collect();
            println!("{}", serde_json::json!({"image": path, "top": top}));
        } else {
            println!("{}", path.display());
            for (rank, &k) in order.iter().enumerate() {
                let label = &net.arch.labels[k];
                let name = if *label == k.to_string() {
                    label.clone()
                } else {
                    format!("{k} {label}")
                };
                println!("  {:>2}. {name:<24} {:.6}", rank + 1, p[k]);
            }
        }
    }
    Ok(())
}
