//! Command-line interface: each subcommand is a thin layer over the library.

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use fooling::gpu::{describe, list_adapters, BackendChoice, Gpu, GpuOptions, KernelChoice};
use fooling::io::sha256_file;
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
    /// Bind at most this many bytes per storage buffer, below the adapter's limit (to see how
    /// a smaller device splits the work).
    #[arg(long, global = true, value_name = "BYTES")]
    pub max_binding: Option<u64>,
}

impl GpuArgs {
    fn open(&self) -> Result<Gpu> {
        Ok(Gpu::new(&GpuOptions {
            backend: self.backend,
            adapter: self.adapter.clone(),
            kernels: self.kernels,
            max_binding: self.max_binding,
        })?)
    }
}

#[derive(Subcommand)]
pub enum Command {
    /// List the adapters, and show the chosen one's limits and optional features.
    Info,
    /// Classify images and print the top classes with their confidences.
    Classify(ClassifyArgs),
    /// Train a network on the device (Caffe's LeNet recipe by default).
    Train(TrainArgs),
    /// Evolve fooling images with MAP-Elites (one cell per class).
    Evolve(EvolveArgs),
    /// Fooling images by gradient ascent on the input, every target class in one batch.
    Ascent(AscentArgs),
    /// Convert Caffe weights (a .caffemodel, any layer format) to our safetensors.
    Convert(ConvertArgs),
    /// Re-score a run's champions on another network (the paper's transfer experiment).
    Transfer(TransferArgs),
    /// Combine the archives of several runs cell by cell (each class's most confident champion).
    Merge(MergeArgs),
    /// Retrain a network with its fooling images as an extra class, and evolve again, round
    /// after round (PAPER.md section 7).
    Retrain(RetrainArgs),
    /// Write a self-contained HTML report of runs beside the paper's results.
    Report(ReportArgs),
    /// Run the paper's experiments (MNIST, or ImageNet with your weights) and write the report.
    Reproduce(ReproduceArgs),
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Half {
    /// LeNet on MNIST: evolution (direct and CPPN, several seeds), gradient ascent, transfer
    /// to the two shipped second networks, retraining with a fooling class.
    Mnist,
    /// An ImageNet network (--weights): evolution (direct and CPPN) and gradient ascent.
    Imagenet,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scale {
    /// Minutes on a 2-core machine with lavapipe (MNIST): fewer seeds, generations and rounds.
    Quick,
    /// The paper's sizes (MNIST: hours on lavapipe; ImageNet: a GPU's days or a cluster).
    Paper,
}

#[derive(Args)]
pub struct ReproduceArgs {
    #[arg(value_enum)]
    pub half: Half,
    #[arg(long, value_enum, default_value_t = Scale::Quick)]
    pub scale: Scale,
    /// ImageNet: the network (caffenet or alexnet).
    #[arg(long, default_value = "caffenet")]
    pub net: String,
    /// ImageNet: its weights (weights/README.md converts them) [default: weights/<net>.safetensors].
    #[arg(long, value_name = "FILE")]
    pub weights: Option<PathBuf>,
    /// Where the runs and report.html go [default: runs/reproduce-<half>-<scale>]; an
    /// interrupted reproduction continues where it stopped when run again.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Args)]
pub struct ReportArgs {
    /// Runs, merged archives, retraining studies, or directories of runs.
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// The HTML file to write [default: DIR/report.html for one DIR].
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Args)]
pub struct RetrainArgs {
    /// The first network's architecture (grey).
    #[arg(long, default_value = "lenet")]
    pub net: String,
    /// DNN_1's weights [default: weights/<net>_mnist.safetensors].
    #[arg(long, value_name = "FILE")]
    pub weights: Option<PathBuf>,
    /// Training data (IDX directory) of the retrained networks.
    #[arg(long, value_name = "DIR", default_value = "data/mnist-10k")]
    pub data: PathBuf,
    /// Retrainings (the paper: 15) [with --resume: the study's own, or more to extend it].
    #[arg(long)]
    pub rounds: Option<usize>,
    /// Fooling images added in the first round [default: as many as an average class of
    /// --data]; each later round adds a sixth of that.
    #[arg(long, value_name = "N")]
    pub class_size: Option<usize>,
    /// Generations of each CPPN run.
    #[arg(long, default_value_t = 200)]
    pub generations: u32,
    /// Children per generation of each CPPN run.
    #[arg(long, default_value_t = 200)]
    pub batch: usize,
    /// SGD iterations of each retraining.
    #[arg(long, default_value_t = 10_000)]
    pub iterations: usize,
    #[arg(long, default_value_t = 0)]
    pub seed: u32,
    /// The study directory to create.
    #[arg(long, value_name = "DIR", required_unless_present = "resume")]
    pub out: Option<PathBuf>,
    /// Continue the study in DIR.
    #[arg(long, value_name = "DIR", conflicts_with = "out")]
    pub resume: Option<PathBuf>,
}

#[derive(Args)]
pub struct TransferArgs {
    /// The run (evolution, ascent or merged) whose champions to re-score.
    #[arg(long, value_name = "DIR")]
    pub run: PathBuf,
    /// The target network's architecture.
    #[arg(long, default_value = "lenet")]
    pub net: String,
    /// The target's weights [default: weights/<net>_mnist.safetensors].
    #[arg(long, value_name = "FILE")]
    pub weights: Option<PathBuf>,
    /// Names the output, DIR/transfer-<name>.csv [default: the weights file's stem].
    #[arg(long)]
    pub name: Option<String>,
    /// ImageNet targets: crops per image [default: the run's own --crops, for 256×256 images].
    #[arg(long)]
    pub crops: Option<usize>,
}

#[derive(Args)]
pub struct MergeArgs {
    /// The directory to write the merged archive into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Runs made against the same network and weights.
    #[arg(required = true, value_name = "RUN")]
    pub runs: Vec<PathBuf>,
}

#[derive(Args)]
pub struct ConvertArgs {
    /// The network the weights are for.
    #[arg(long, default_value = "caffenet")]
    pub net: String,
    /// The Caffe weights, e.g. bvlc_reference_caffenet.caffemodel.
    #[arg(long, value_name = "FILE")]
    pub caffemodel: PathBuf,
    /// Where to write the safetensors file.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Encoding {
    /// One gene per pixel, polynomial mutation (PAPER.md section 3).
    Direct,
    /// CPPNs grown NEAT-style (PAPER.md section 4), the whole batch rendered in one dispatch.
    Cppn,
}

#[derive(Args, Clone)]
pub struct EvolveArgs {
    /// Network architecture.
    #[arg(long, default_value = "lenet")]
    pub net: String,
    /// Weights (safetensors) [default: weights/<net>_mnist.safetensors].
    #[arg(long, value_name = "FILE")]
    pub weights: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Encoding::Direct)]
    pub encoding: Encoding,
    /// Generations after the initial batch [default: 200; with --resume: the run's own].
    #[arg(long)]
    pub generations: Option<u32>,
    /// Children per generation (the paper's B) [default: 200; 400 for CPPNs on an ImageNet network].
    #[arg(long)]
    pub batch: Option<usize>,
    #[arg(long, default_value_t = 0)]
    pub seed: u32,
    /// ImageNet networks: how three genes make a pixel's colour [default: hls-opencv].
    #[arg(long, value_enum)]
    pub color: Option<fooling::imaging::ColorModel>,
    /// ImageNet networks: crops per evaluation, 10 (the corners, the centre and their mirrors;
    /// confidence = the mean softmax) or 1 (the centre, ten times faster) [default: 10].
    #[arg(long)]
    pub crops: Option<usize>,
    /// ImageNet networks: a mean image (PNG, e.g. ILSVRC-2012's 256×256 mean, cropped at the
    /// centre) to subtract instead of the per-channel mean.
    #[arg(long, value_name = "FILE")]
    pub mean_image: Option<PathBuf>,
    /// Evolve only the first N classes' cells [default: every class]: for a network retrained
    /// with an extra "fooling" class, whose own class is no fooling image.
    #[arg(long, value_name = "N")]
    pub cells: Option<usize>,
    /// Mutation rate schedule: the paper's (0.1 halved every 1,000 generations) or the code's (constant).
    #[arg(long, value_enum, default_value_t = fooling::evo::Schedule::Paper)]
    pub schedule: fooling::evo::Schedule,
    /// Initial per-gene mutation probability.
    #[arg(long, default_value_t = 0.1)]
    pub rate: f32,
    /// Recombination before mutation: none (the paper) or sbx (the authors' code, without its bug).
    #[arg(long, value_enum, default_value_t = fooling::evo::Crossover::None)]
    pub crossover: fooling::evo::Crossover,
    /// Write a checkpoint every N generations (and always at the end or on Ctrl-C).
    #[arg(long, default_value_t = 100)]
    pub checkpoint_every: u32,
    /// Read the confidences back and write a stats.csv row every N generations.
    #[arg(long, default_value_t = 1)]
    pub stats_every: u32,
    /// The run directory to create.
    #[arg(long, value_name = "DIR", required_unless_present = "resume")]
    pub out: Option<PathBuf>,
    /// Continue the run in DIR (its config.toml gives every parameter; --generations may extend it).
    #[arg(long, value_name = "DIR", conflicts_with = "out")]
    pub resume: Option<PathBuf>,
    /// The index of this run in a study, e.g. a Slurm job array's task: the seed becomes
    /// --seed + N and the run directory OUT/run-NNN (also for --resume) [default:
    /// $SLURM_ARRAY_TASK_ID when set].
    #[arg(long, env = "SLURM_ARRAY_TASK_ID", value_name = "N")]
    pub run_index: Option<u32>,
}

impl EvolveArgs {
    /// The options of run `--run-index` of a study: its own seed and directory.
    fn indexed(&self) -> EvolveArgs {
        let Some(i) = self.run_index else {
            return self.clone();
        };
        let run = |d: &PathBuf| fooling::evo::run::study_run(d, i);
        EvolveArgs {
            seed: self.seed.wrapping_add(i),
            out: self.out.as_ref().map(run),
            resume: self.resume.as_ref().map(run),
            run_index: None,
            ..self.clone()
        }
    }
}

#[derive(Args, Clone)]
pub struct AscentArgs {
    /// Network architecture.
    #[arg(long, default_value = "lenet")]
    pub net: String,
    /// Weights (safetensors) [default: weights/<net>_mnist.safetensors].
    #[arg(long, value_name = "FILE")]
    pub weights: Option<PathBuf>,
    /// Target classes: all, or a comma-separated list of class indices (e.g. 0,3,7).
    #[arg(long, default_value = "all", value_name = "all|LIST")]
    pub classes: String,
    #[arg(long, default_value_t = 300)]
    pub iterations: u32,
    /// Pull toward the mean image by this fraction each step (the L2 regulariser; 0: none).
    #[arg(long, default_value_t = 0.01)]
    pub decay: f32,
    /// The largest step size.
    #[arg(long, default_value_t = 1e12)]
    pub max_lr: f32,
    /// Seeds the initial noise.
    #[arg(long, default_value_t = 0)]
    pub seed: u32,
    /// σ of the Gaussian noise added to the mean image at the start, in pixel units.
    #[arg(long, default_value_t = 1.0)]
    pub noise: f32,
    /// Blur the images every K iterations (0: never).
    #[arg(long, default_value_t = 0, value_name = "K")]
    pub blur_every: u32,
    /// σ of that blur, in pixels.
    #[arg(long, default_value_t = 1.0)]
    pub blur_sigma: f32,
    /// The mean image: a PNG of the network's input size, or larger and cropped at the
    /// centre (ImageNet's 256×256 mean for a 227×227 CaffeNet) [default: LeNet, the mean of
    /// --data's training images; ImageNet networks, their per-channel mean].
    #[arg(long, value_name = "FILE")]
    pub mean_image: Option<PathBuf>,
    /// Training data whose mean image the ascent starts from and decays toward.
    #[arg(long, value_name = "DIR", default_value = "data/mnist-10k")]
    pub data: PathBuf,
    /// The run directory to create.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The index of this run in a study, e.g. a Slurm job array's task: the seed becomes
    /// --seed + N and the run directory OUT/run-NNN [default:
    /// $SLURM_ARRAY_TASK_ID when set].
    #[arg(long, env = "SLURM_ARRAY_TASK_ID", value_name = "N")]
    pub run_index: Option<u32>,
}

impl AscentArgs {
    /// The options of run `--run-index` of a study: its own seed and directory.
    fn indexed(&self) -> AscentArgs {
        let Some(i) = self.run_index else {
            return self.clone();
        };
        AscentArgs {
            seed: self.seed.wrapping_add(i),
            out: fooling::evo::run::study_run(&self.out, i),
            run_index: None,
            ..self.clone()
        }
    }
}

#[derive(Args)]
pub struct TrainArgs {
    /// Network architecture.
    #[arg(long, default_value = "lenet")]
    pub net: String,
    /// Directory with train-{images,labels} and heldout-* (or t10k-*) IDX files, raw or gzip.
    #[arg(long, value_name = "DIR", default_value = "data/mnist-10k")]
    pub data: PathBuf,
    /// SGD iterations.
    #[arg(long, default_value_t = 10_000)]
    pub iterations: usize,
    /// Images per iteration.
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    /// Seeds the initial weights and the shuffling.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Base learning rate of the `inv` schedule.
    #[arg(long, default_value_t = 0.01)]
    pub base_lr: f32,
    #[arg(long, default_value_t = 0.9)]
    pub momentum: f32,
    #[arg(long, default_value_t = 5e-4)]
    pub weight_decay: f32,
    /// A directory of PNG images added to the training set as one more class ("fooling").
    #[arg(long, value_name = "DIR")]
    pub extra_class: Option<PathBuf>,
    /// Where to write the weights (safetensors); the model card goes beside it as .md.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
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
    #[arg(long, conflicts_with = "crops")]
    pub resize: bool,
    /// ImageNet networks: classify square images at least the network's size (evolved ones are
    /// 256×256) by the mean softmax over 10 crops (the corners, the centre and their mirrors)
    /// or over 1 (the centre), as `fooling evolve --crops` scores them.
    #[arg(long)]
    pub crops: Option<usize>,
    /// Images (PNG; colour is converted to grey for LeNet).
    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<PathBuf>,
}

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Info => info(&cli.gpu),
        Command::Classify(args) => classify(&cli.gpu, &args),
        Command::Train(args) => train(&cli.gpu, &args),
        Command::Evolve(args) => evolve(&cli.gpu, &args.indexed()),
        Command::Ascent(args) => ascent(&cli.gpu, &args.indexed()),
        Command::Convert(args) => convert(&args),
        Command::Transfer(args) => transfer(&cli.gpu, &args),
        Command::Merge(args) => merge(&args),
        Command::Retrain(args) => retrain(&cli.gpu, &args),
        Command::Report(args) => report(&args),
        Command::Reproduce(args) => reproduce(&cli.gpu, &args),
    }
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
    run(Cli::try_parse_from(argv)?)
}

fn reproduce(gpu_args: &GpuArgs, args: &ReproduceArgs) -> Result<()> {
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
                None => default_weights(&args.net)?.display().to_string(),
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

fn report(args: &ReportArgs) -> Result<()> {
    let out = match (&args.out, &args.dirs[..]) {
        (Some(f), _) => f.clone(),
        (None, [one]) => one.join("report.html"),
        (None, _) => bail!("--out FILE: needed for a report of several directories"),
    };
    let runs = fooling::html::collect(&args.dirs)?;
    let html = fooling::html::build(&runs)?;
    fooling::io::write_atomic(&out, html.as_bytes())?;
    println!(
        "wrote {} ({} runs, {} KB)",
        out.display(),
        runs.len(),
        html.len() / 1024
    );
    Ok(())
}

fn retrain(gpu_args: &GpuArgs, args: &RetrainArgs) -> Result<()> {
    use fooling::retrain::{self, RetrainConfig};
    let (dir, config) = match (&args.resume, &args.out) {
        (Some(dir), _) => {
            let mut config = RetrainConfig::load(dir)?;
            if let Some(r) = args.rounds {
                config.rounds = r;
            }
            if sha256_file(&config.weights)? != config.weights_sha256 {
                bail!(
                    "--resume {}: the weights {} changed since the study started (sha256 differs)",
                    dir.display(),
                    config.weights.display()
                );
            }
            (dir.clone(), config)
        }
        (None, Some(dir)) => {
            if dir.join("retrain.toml").exists() {
                bail!(
                    "--out {}: holds a study already; continue it with --resume {}",
                    dir.display(),
                    dir.display()
                );
            }
            for (v, option) in [
                (args.batch, "--batch"),
                (args.iterations, "--iterations"),
                (args.generations as usize, "--generations"),
                (args.class_size.unwrap_or(1), "--class-size"),
            ] {
                if v == 0 {
                    bail!("{option}: must be at least 1");
                }
            }
            let weights = match &args.weights {
                Some(p) => p.clone(),
                None => default_weights(&args.net)?,
            };
            let class_size = match args.class_size {
                Some(n) => n,
                None => {
                    let (train, _) = fooling::data::load_dir(&args.data)?;
                    let classes = nn::by_name(&args.net)?.num_classes();
                    train.len() / classes
                }
            };
            let config = RetrainConfig {
                net: args.net.clone(),
                weights_sha256: sha256_file(&weights)?,
                weights,
                data: args.data.clone(),
                rounds: args.rounds.unwrap_or(15),
                class_size,
                generations: args.generations,
                batch: args.batch,
                iterations: args.iterations,
                seed: args.seed,
                fooling_version: env!("CARGO_PKG_VERSION").into(),
            };
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            (dir.clone(), config)
        }
        (None, None) => bail!("--out DIR or --resume DIR is needed"),
    };
    config.save(&dir)?;
    let (arch, weights) = Weights::load_sized(&config.weights, nn::by_name(&config.net)?)?;
    let gpu = gpu_args.open()?;
    let start = std::time::Instant::now();
    let rows = retrain::run(&gpu, &dir, &config, &arch, &weights, &mut |line| {
        eprintln!("[{:.0} s] {line}", start.elapsed().as_secs_f64())
    })?;
    println!("| network | fooling images in training | held-out accuracy | runs | median champion | >= 0.99 | >= 0.9999 |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| DNN_{} | {} | {:.2}% | {} | {:.6} | {}/{} | {}/{} |",
            r.network,
            r.fooling_images,
            r.held_out_accuracy * 100.0,
            r.runs,
            r.median,
            r.n_ge_099,
            r.champions,
            r.n_ge_09999,
            r.champions
        );
    }
    println!("wrote {}", dir.join("retrain.csv").display());
    Ok(())
}

fn transfer(gpu_args: &GpuArgs, args: &TransferArgs) -> Result<()> {
    use fooling::experiments;
    let weights_path = match &args.weights {
        Some(p) => p.clone(),
        None => default_weights(&args.net)?,
    };
    let (arch, weights) = Weights::load_sized(&weights_path, nn::by_name(&args.net)?)?;
    let config = experiments::read_config(&args.run).ok();
    let crops = args.crops.or_else(|| {
        // a colour target given the run's 256×256 images scores them as the run did
        (arch.input[0] == 3)
            .then(|| config.as_ref().and_then(experiments::run_crops))
            .flatten()
    });
    let name = match &args.name {
        Some(n) => n.clone(),
        None => weights_path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| args.net.clone()),
    };
    let gpu = gpu_args.open()?;
    let net = Network::new(&gpu, arch, &weights)?;
    let rows = experiments::transfer(&gpu, &args.run, &net, crops)?;
    let path = experiments::write_transfer(&args.run, &name, &rows)?;
    let n = rows.len();
    let count =
        |f: &dyn Fn(&experiments::Transferred) -> bool| rows.iter().filter(|r| f(r)).count();
    let pct = |k: usize| 100.0 * k as f64 / n.max(1) as f64;
    let (s99, s9999) = (
        count(&|r| r.champion.confidence >= 0.99),
        count(&|r| r.champion.confidence >= 0.9999),
    );
    let (t99, t9999, top) = (
        count(&|r| r.target >= 0.99),
        count(&|r| r.target >= 0.9999),
        count(&|r| r.top == r.champion.class),
    );
    println!(
        "{n} champions of {}: on the source {s99} ({:.0}%) >= 0.99 and {s9999} ({:.0}%) >= 0.9999; on {name} {t99} ({:.0}%) >= 0.99 and {t9999} ({:.0}%) >= 0.9999, {top} ({:.0}%) still the top class",
        args.run.display(),
        pct(s99),
        pct(s9999),
        pct(t99),
        pct(t9999),
        pct(top)
    );
    println!("wrote {}", path.display());
    Ok(())
}

fn merge(args: &MergeArgs) -> Result<()> {
    if args.out.join("champions.csv").exists() {
        bail!(
            "--out {}: holds results already; choose another directory",
            args.out.display()
        );
    }
    let merged = fooling::experiments::merge(&args.out, &args.runs)?;
    let conf: Vec<f32> = merged.iter().map(|m| m.champion.confidence).collect();
    let s = fooling::evo::run::Stats::of(&conf);
    let mut from = vec![0usize; args.runs.len()];
    for m in &merged {
        from[m.run] += 1;
    }
    println!(
        "{} cells from {} runs ({}): median confidence {:.6}, {} >= 0.99, {} >= 0.9999",
        merged.len(),
        args.runs.len(),
        from.iter()
            .map(|k| k.to_string())
            .collect::<Vec<_>>()
            .join(" + "),
        s.median,
        s.n_ge_099,
        s.n_ge_09999
    );
    println!("wrote {}", args.out.display());
    Ok(())
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
    // LeNet's ship with the crate; ImageNet networks' are the ones a user converted
    // (weights/README.md) into weights/<net>.safetensors
    let name = if net == "lenet" || net == "mlp" {
        format!("{net}_mnist.safetensors")
    } else {
        format!("{net}.safetensors")
    };
    shipped(&name).with_context(|| format!("--weights not given and no weights/{name} found: pass --weights FILE (weights/README.md says how to convert Caffe's or torchvision's)"))
}

/// `weights/NAME` of the working directory, else of the source tree the binary was built from.
fn shipped(name: &str) -> Result<PathBuf> {
    let candidates = [
        Path::new("weights").join(name),
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("weights")
            .join(name),
    ];
    candidates
        .iter()
        .find(|p| p.exists())
        .cloned()
        .with_context(|| format!("no weights/{name}"))
}

fn classify(gpu_args: &GpuArgs, args: &ClassifyArgs) -> Result<()> {
    let arch = nn::by_name(&args.net)?;
    if args.top == 0 {
        bail!("--top: must be at least 1");
    }
    let weights_path = match &args.weights {
        Some(p) => p.clone(),
        None => default_weights(&args.net)?,
    };
    let (arch, weights) = Weights::load_sized(&weights_path, arch)?;
    let mut input = Vec::with_capacity(args.images.len() * arch.input_len());
    for path in &args.images {
        input.extend(fooling::imaging::load::load_input(
            &arch,
            path,
            args.resize,
            args.crops,
        )?);
    }
    let gpu = gpu_args.open()?;
    let net = Network::new(&gpu, arch, &weights)?;
    let probs = net.classify_crops(&gpu, &input, args.crops.unwrap_or(1))?;
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

/// The PNGs of `dir` (sorted by name) as one more class of `data`.
fn add_extra_class(data: &mut fooling::data::Dataset, dir: &Path, label: u8) -> Result<usize> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("--extra-class {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("png")))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!(
            "--extra-class {}: no PNG images in the directory",
            dir.display()
        );
    }
    for f in &files {
        data.images.extend(fooling::imaging::load::load_grey(
            f,
            data.width,
            data.height,
            false,
        )?);
        data.labels.push(label);
    }
    Ok(files.len())
}

fn train(gpu_args: &GpuArgs, args: &TrainArgs) -> Result<()> {
    use fooling::nn::{accuracy, TrainConfig, Trainer};
    use indicatif::{ProgressBar, ProgressStyle};
    if args.out.extension().is_none_or(|e| e != "safetensors") {
        bail!(
            "--out {}: the weights file must end in .safetensors",
            args.out.display()
        );
    }
    if args.iterations == 0 {
        bail!("--iterations: must be at least 1");
    }
    let mut arch = nn::by_name(&args.net)?;
    let (mut train, held) = fooling::data::load_dir(&args.data)?;
    let base_classes = arch.num_classes();
    let extra = match &args.extra_class {
        Some(dir) => {
            let n = add_extra_class(&mut train, dir, base_classes as u8)?;
            arch = arch.with_classes(base_classes + 1, "fooling")?;
            Some(n)
        }
        None => None,
    };
    let config = TrainConfig {
        iterations: args.iterations,
        batch: args.batch,
        base_lr: args.base_lr,
        momentum: args.momentum,
        weight_decay: args.weight_decay,
        seed: args.seed,
        ..TrainConfig::default()
    };
    let gpu = gpu_args.open()?;
    let weights = Weights::random(&arch, args.seed)?;
    let net = Network::new(&gpu, arch.clone(), &weights)?;
    let mut trainer = Trainer::new(&gpu, net, &train, config.clone())?;
    eprintln!(
        "training {} on {} ({} images{}, {} held out) on {}",
        arch.name,
        args.data.display(),
        train.len(),
        extra
            .map(|n| format!(", {n} of them the extra class"))
            .unwrap_or_default(),
        held.len(),
        describe(&gpu.info)
    );
    let bar = ProgressBar::new(args.iterations as u64);
    bar.set_style(ProgressStyle::with_template(
        "{bar:40} {pos}/{len} iterations  {msg}  [{elapsed_precise}, {eta} left]",
    )?);
    let start = std::time::Instant::now();
    let every = 100.min(args.iterations);
    let mut loss = f32::NAN;
    while trainer.iteration < args.iterations {
        let n = every.min(args.iterations - trainer.iteration);
        trainer.step(n)?;
        loss = trainer.loss()?; // waits for the device
        let rate = trainer.iteration as f64 * args.batch as f64 / start.elapsed().as_secs_f64();
        bar.set_position(trainer.iteration as u64);
        bar.set_message(format!("loss {loss:.4}  {rate:.0} images/s"));
        if bar.is_hidden()
            && (trainer.iteration % 1000 == 0 || trainer.iteration == args.iterations)
        {
            // headless (stderr is not a terminal): a plain line now and then instead
            eprintln!(
                "iteration {}/{}: loss {loss:.4}, {rate:.0} images/s, {:.0} s",
                trainer.iteration,
                args.iterations,
                start.elapsed().as_secs_f64()
            );
        }
    }
    bar.finish();
    let seconds = start.elapsed().as_secs_f64();
    let acc = accuracy(&gpu, &trainer.net, &held)?;
    println!(
        "held-out accuracy: {:.2}% ({} images), final loss {loss:.4}, {seconds:.0} s",
        acc * 100.0,
        held.len()
    );
    trainer.weights()?.save(&args.out)?;
    let digest = sha256_file(&args.out)?;
    let card = args.out.with_extension("md");
    let command = std::iter::once("fooling".to_string())
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" ");
    let extra_row = match (&args.extra_class, extra) {
        (Some(dir), Some(n)) => format!(
            "| extra class | {n} images from `{}` as class {base_classes} (\"fooling\") |\n",
            dir.display()
        ),
        _ => String::new(),
    };
    let text = format!(
        "# Model card: `{name}`\n\n\
         | | |\n|---|---|\n\
         | architecture | {arch} ({classes} classes) |\n\
         | data | `{data}`: {ntrain} training images, {nheld} held out |\n{extra_row}\
         | recipe | SGD, batch {batch}, base lr {lr}, momentum {mom}, weight decay {wd}, `inv` schedule (gamma {gamma}, power {power}), bias lr × {blr}, {iters} iterations, xavier init |\n\
         | seed | {seed} |\n\
         | held-out accuracy | {acc:.2}% |\n\
         | trained on | {adapter} in {seconds:.0} s |\n\
         | sha256 | `{digest}` |\n\
         | command | `{command}` |\n",
        name = args.out.file_name().unwrap().to_string_lossy(),
        arch = arch.name,
        classes = arch.num_classes(),
        data = args.data.display(),
        ntrain = train.len(),
        nheld = held.len(),
        batch = config.batch,
        lr = config.base_lr,
        mom = config.momentum,
        wd = config.weight_decay,
        gamma = config.gamma,
        power = config.power,
        blr = config.bias_lr_mult,
        iters = config.iterations,
        seed = config.seed,
        acc = acc * 100.0,
        adapter = describe(&gpu.info),
    );
    fooling::io::write_atomic(&card, text.as_bytes())?;
    println!("wrote {} and {}", args.out.display(), card.display());
    Ok(())
}

fn evolve(gpu_args: &GpuArgs, args: &EvolveArgs) -> Result<()> {
    use fooling::evo::run::{cells_row, truncate_stats, write_outputs, RunConfig, Search, Stats};
    use fooling::evo::{CppnConfig, CppnSearch, DirectConfig, DirectSearch};
    use indicatif::{ProgressBar, ProgressStyle};
    use std::io::Write;
    use std::sync::atomic::Ordering;

    // the run's configuration: from the options, or from the run being resumed
    let (dir, config, resume) = match (&args.resume, &args.out) {
        (Some(dir), _) => {
            let mut config = RunConfig::load(dir)?;
            if let Some(g) = args.generations {
                config.generations = g;
            }
            (dir.clone(), config, true)
        }
        (None, Some(dir)) => {
            if dir.join("config.toml").exists() {
                bail!("--out {}: holds a run already; continue it with --resume {} or choose another directory", dir.display(), dir.display());
            }
            if args.batch == Some(0) {
                bail!("--batch: must be at least 1");
            }
            if args.checkpoint_every == 0 || args.stats_every == 0 {
                bail!("--checkpoint-every and --stats-every: must be at least 1");
            }
            let arch = nn::by_name(&args.net)?;
            let colour = arch.input[0] == 3;
            let color = if colour {
                let mean_image_sha256 = match &args.mean_image {
                    Some(p) => Some(sha256_file(p).with_context(|| "--mean-image")?),
                    None => None,
                };
                Some(fooling::evo::run::ColorConfig {
                    model: args
                        .color
                        .unwrap_or(fooling::imaging::ColorModel::HlsOpencv),
                    size: fooling::evo::IMAGENET_SIZE,
                    crops: args.crops.unwrap_or(10),
                    mean_image: args.mean_image.clone(),
                    mean_image_sha256,
                })
            } else {
                for (given, option) in [
                    (args.color.is_some(), "--color"),
                    (args.crops.is_some(), "--crops"),
                    (args.mean_image.is_some(), "--mean-image"),
                ] {
                    if given {
                        bail!(
                            "{option}: {} takes grey images; {option} is for ImageNet networks",
                            arch.name
                        );
                    }
                }
                None
            };
            let batch = args.batch.unwrap_or(match (args.encoding, colour) {
                (Encoding::Cppn, true) => 400,
                _ => 200,
            });
            let weights = match &args.weights {
                Some(p) => p.clone(),
                None => default_weights(&args.net)?,
            };
            let (direct, cppn) = match args.encoding {
                Encoding::Direct => (
                    Some(DirectConfig {
                        batch,
                        seed: args.seed,
                        rate: args.rate,
                        schedule: args.schedule,
                        eta: 15.0,
                        crossover: args.crossover,
                        cells: args.cells,
                    }),
                    None,
                ),
                Encoding::Cppn => (
                    None,
                    Some(CppnConfig {
                        batch,
                        seed: args.seed,
                        cells: args.cells,
                        ..CppnConfig::default()
                    }),
                ),
            };
            let config = RunConfig {
                net: args.net.clone(),
                weights_sha256: sha256_file(&weights)?,
                weights,
                encoding: match args.encoding {
                    Encoding::Direct => "direct",
                    Encoding::Cppn => "cppn",
                }
                .into(),
                generations: args.generations.unwrap_or(200),
                checkpoint_every: args.checkpoint_every,
                stats_every: args.stats_every,
                direct,
                cppn,
                color,
                fooling_version: env!("CARGO_PKG_VERSION").into(),
            };
            (dir.clone(), config, false)
        }
        (None, None) => bail!("--out DIR or --resume DIR is needed"),
    };
    let (arch, weights) = Weights::load_sized(&config.weights, nn::by_name(&config.net)?)?;
    if resume && sha256_file(&config.weights)? != config.weights_sha256 {
        bail!(
            "--resume {}: the weights {} changed since the run started (sha256 differs)",
            dir.display(),
            config.weights.display()
        );
    }
    let imaging = match &config.color {
        None => fooling::evo::Imaging::Grey,
        Some(c) => {
            let [_, h, w] = arch.input;
            let mean = match &c.mean_image {
                Some(p) => {
                    if resume && Some(sha256_file(p)?) != c.mean_image_sha256 {
                        bail!("--resume {}: the mean image {} changed since the run started (sha256 differs)", dir.display(), p.display());
                    }
                    let px = fooling::imaging::load::load_color_cropped(p, w, h, arch.pixels.order)
                        .context("--mean-image")?;
                    Some(px.iter().map(|&v| v as f32).collect())
                }
                None => None,
            };
            fooling::evo::Imaging::color(&arch, c.model, c.size, c.crops, mean)?
        }
    };
    let gpu = gpu_args.open()?;
    let net = Network::new(&gpu, arch.clone(), &weights)?;
    let mut search: Box<dyn Search + '_> = match (&config.direct, &config.cppn) {
        (Some(d), _) => Box::new(DirectSearch::with_imaging(&gpu, net, d.clone(), imaging)?),
        (None, Some(c)) => Box::new(CppnSearch::with_imaging(&gpu, net, c.clone(), imaging)?),
        (None, None) => bail!(
            "{}: names no encoding's settings",
            dir.join("config.toml").display()
        ),
    };
    let (w, h) = search.picture();
    let labels = arch.labels.clone();

    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let start = std::time::Instant::now();
    let mut seconds_before = 0.0;
    let cells = search.confidences()?.len();
    if resume {
        seconds_before = search.resume(&dir)?;
        truncate_stats(&dir, search.generation(), cells)?;
        eprintln!(
            "resuming {} at generation {} of {}",
            dir.display(),
            search.generation(),
            config.generations
        );
    } else {
        truncate_stats(&dir, 0, cells)?;
    }
    config.save(&dir)?;
    let mut stats = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join("stats.csv"))?;
    let mut per_cell = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join("cells.csv"))?;
    let seconds = |start: &std::time::Instant| seconds_before + start.elapsed().as_secs_f64();
    if !resume {
        let conf = search.confidences()?;
        writeln!(
            stats,
            "{}",
            Stats::of(&conf).csv_row(0, search.evaluations(), seconds(&start))
        )?;
        writeln!(per_cell, "{}", cells_row(0, &conf))?;
    }

    let interrupted = interrupt_flag();
    let bar = ProgressBar::new(config.generations as u64);
    bar.set_style(ProgressStyle::with_template(
        "{bar:40} gen {pos}/{len}  {msg}  [{elapsed_precise}, {eta} left]",
    )?);
    bar.set_position(search.generation() as u64);
    let run_start_evals = search.evaluations();
    let mut conf = search.confidences()?;
    while search.generation() < config.generations && !interrupted.load(Ordering::SeqCst) {
        let n = config
            .stats_every
            .min(config.generations - search.generation());
        search.step(n)?;
        conf = search.confidences()?;
        let s = Stats::of(&conf);
        let (generation, evaluations) = (search.generation(), search.evaluations());
        writeln!(
            stats,
            "{}",
            s.csv_row(generation, evaluations, seconds(&start))
        )?;
        writeln!(per_cell, "{}", cells_row(generation, &conf))?;
        let rate = (evaluations - run_start_evals) as f64 / start.elapsed().as_secs_f64();
        bar.set_position(generation as u64);
        bar.set_message(format!(
            "median {:.4}  best {:.4}  {rate:.0} evaluations/s",
            s.median, s.max
        ));
        if bar.is_hidden() && generation % 100 < n {
            eprintln!(
                "generation {generation}/{}: median {:.4}, best {:.4}, {rate:.0} evaluations/s",
                config.generations, s.median, s.max
            );
        }
        if generation % config.checkpoint_every < n {
            stats.flush()?;
            per_cell.flush()?;
            search.checkpoint(&dir, &conf, seconds(&start))?;
        }
    }
    bar.finish_and_clear();
    stats.flush()?;
    per_cell.flush()?;
    search.checkpoint(&dir, &conf, seconds(&start))?;
    write_outputs(
        &dir,
        &labels[..conf.len()],
        &conf,
        &search.archive_pixels()?,
        w,
        h,
    )?;
    let s = Stats::of(&conf);
    println!(
        "generation {}: median confidence {:.6}, {} of {} classes >= 0.99, {} >= 0.9999; {} evaluations in {:.1} s",
        search.generation(),
        s.median,
        s.n_ge_099,
        conf.len(),
        s.n_ge_09999,
        search.evaluations(),
        seconds(&start)
    );
    println!("wrote {}", dir.display());
    if interrupted.load(Ordering::SeqCst) {
        eprintln!(
            "interrupted: checkpoint written; continue with `fooling evolve --resume {}`",
            dir.display()
        );
        std::process::exit(130);
    }
    Ok(())
}

/// Set by Ctrl-C: the handler is installed once per process (`reproduce` runs several
/// evolutions in one), and a second Ctrl-C while a checkpoint is written is ignored (the
/// checkpoint is atomic anyway).
fn interrupt_flag() -> &'static std::sync::atomic::AtomicBool {
    use std::sync::atomic::{AtomicBool, Ordering};
    static FLAG: AtomicBool = AtomicBool::new(false);
    static HANDLER: std::sync::Once = std::sync::Once::new();
    HANDLER.call_once(|| {
        let _ = ctrlc::set_handler(|| FLAG.store(true, Ordering::SeqCst));
    });
    &FLAG
}

/// The classes named by `--classes` (all, or a comma-separated list), checked against `classes`.
fn parse_classes(spec: &str, classes: usize) -> Result<Vec<u32>> {
    if spec.trim() == "all" {
        return Ok((0..classes as u32).collect());
    }
    let mut out = Vec::new();
    for part in spec.split(',') {
        let c: u32 = part
            .trim()
            .parse()
            .with_context(|| format!("--classes: {part:?} is not a class index (or use all)"))?;
        if c as usize >= classes {
            bail!("--classes: class {c} is not one of the network's {classes} classes");
        }
        if out.contains(&c) {
            bail!("--classes: class {c} is named twice");
        }
        out.push(c);
    }
    Ok(out)
}

fn ascent(gpu_args: &GpuArgs, args: &AscentArgs) -> Result<()> {
    use fooling::ascent::{first_above, Ascent, AscentConfig};
    use fooling::evo::run::Stats;
    use indicatif::{ProgressBar, ProgressStyle};

    let dir = &args.out;
    if dir.join("config.toml").exists() {
        bail!(
            "--out {}: holds a run already; choose another directory",
            dir.display()
        );
    }
    let weights_path = match &args.weights {
        Some(p) => p.clone(),
        None => default_weights(&args.net)?,
    };
    let (arch, weights) = Weights::load_sized(&weights_path, nn::by_name(&args.net)?)?;
    let (mean, mean_source) = ascent_mean(args, &arch)?;
    let config = AscentConfig {
        classes: parse_classes(&args.classes, arch.num_classes())?,
        iterations: args.iterations,
        decay: args.decay,
        max_lr: args.max_lr,
        seed: args.seed,
        noise: args.noise,
        blur_every: args.blur_every,
        blur_sigma: args.blur_sigma,
    };
    #[derive(serde::Serialize)]
    struct RunFile<'a> {
        net: &'a str,
        weights: &'a Path,
        weights_sha256: String,
        mean_image: &'a str,
        #[serde(flatten)]
        config: &'a AscentConfig,
        fooling_version: &'a str,
    }
    let run_file = toml::to_string(&RunFile {
        net: &args.net,
        weights: &weights_path,
        weights_sha256: sha256_file(&weights_path)?,
        mean_image: &mean_source,
        config: &config,
        fooling_version: env!("CARGO_PKG_VERSION"),
    })?;

    let gpu = gpu_args.open()?;
    let net = Network::new(&gpu, arch.clone(), &weights)?;
    // classes in groups of at most one forward chunk (all of them at once for LeNet)
    let group = net.max_chunk(&gpu)?.min(config.classes.len());
    let groups: Vec<AscentConfig> = config
        .classes
        .chunks(group)
        .map(|classes| AscentConfig {
            classes: classes.to_vec(),
            ..config.clone()
        })
        .collect();
    // every group is checked before anything is written
    let mut first = Some(Ascent::new(&gpu, &net, &mean, groups[0].clone())?);
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    fooling::io::write_atomic(&dir.join("config.toml"), run_file.as_bytes())?;

    let classes = config.classes.len();
    let total = config.iterations as u64 * groups.len() as u64;
    let bar = ProgressBar::new(total);
    bar.set_style(ProgressStyle::with_template(
        "{bar:40} {pos}/{len} iterations  {msg}  [{elapsed_precise}, {eta} left]",
    )?);
    let start = std::time::Instant::now();
    // per group: (iterations, group) probabilities, best images, states
    let mut histories = Vec::new();
    let (mut best, mut states) = (Vec::new(), Vec::new());
    let mut seconds = Vec::new(); // when each iteration of the last group ended
    for (g, cfg) in groups.iter().enumerate() {
        let mut run = match first.take() {
            Some(run) => run,
            None => Ascent::new(&gpu, &net, &mean, cfg.clone())?,
        };
        let b = cfg.classes.len();
        let mut history = Vec::new();
        seconds.clear();
        while run.iteration() < cfg.iterations {
            let from = run.iteration();
            run.step(10)?;
            let rows = run.history(from, run.iteration())?;
            let now = start.elapsed().as_secs_f64();
            seconds.extend(std::iter::repeat_n(now, rows.len() / b));
            let s = Stats::of(&rows[rows.len() - b..]);
            let done = g as u64 * cfg.iterations as u64 + run.iteration() as u64;
            let rate = done as f64 * b as f64 / now;
            bar.set_position(done);
            bar.set_message(format!(
                "classes {}/{}: median {:.4}  min {:.4}  {rate:.0} image steps/s",
                g * group + b,
                classes,
                s.median,
                s.min
            ));
            if bar.is_hidden() && run.iteration() % 100 < 10 {
                eprintln!(
                    "classes {}-{} of {classes}, iteration {}/{}: median {:.6}, min {:.6}, {rate:.0} image steps/s",
                    g * group,
                    g * group + b - 1,
                    run.iteration(),
                    cfg.iterations,
                    s.median,
                    s.min
                );
            }
            history.extend(rows);
        }
        histories.push(history);
        best.extend(run.best_images()?);
        states.extend(run.states()?);
    }
    bar.finish_and_clear();
    let elapsed = start.elapsed().as_secs_f64();

    // stats over every class per iteration (groups side by side)
    let mut stats = String::from("iteration,median,mean,min,max,n_ge_0.99,n_ge_0.9999,seconds\n");
    for it in 0..config.iterations as usize {
        let row: Vec<f32> = groups
            .iter()
            .zip(&histories)
            .flat_map(|(cfg, h)| {
                let b = cfg.classes.len();
                h[it * b..(it + 1) * b].to_vec()
            })
            .collect();
        let s = Stats::of(&row);
        stats.push_str(&format!(
            "{it},{:.6},{:.6},{:.6},{:.6},{},{},{:.3}\n",
            s.median, s.mean, s.min, s.max, s.n_ge_099, s.n_ge_09999, seconds[it]
        ));
    }
    fooling::io::write_atomic(&dir.join("stats.csv"), stats.as_bytes())?;

    // the best images as the 8-bit PNGs a user will hand to a classifier, re-measured
    let bytes: Vec<u8> = best
        .iter()
        .map(|&v| v.round().clamp(0.0, 255.0) as u8)
        .collect();
    let n = arch.input_len();
    let mut conf8 = Vec::with_capacity(classes);
    for (k, part) in bytes.chunks(group * n).enumerate() {
        let probs = net.classify(&gpu, &arch.to_input(part))?;
        for (j, p) in probs.iter().enumerate() {
            conf8.push(p[config.classes[k * group + j] as usize]);
        }
    }
    let mut firsts = Vec::with_capacity(classes);
    for (cfg, h) in groups.iter().zip(&histories) {
        let b = cfg.classes.len();
        for i in 0..b {
            firsts.push([0.99, 0.999, 0.9999].map(|t| first_above(h, b, i, t)));
        }
    }
    fooling::ascent::write_outputs(
        dir,
        &arch.labels,
        &config.classes,
        &conf8,
        &states,
        &firsts,
        &bytes,
        arch.input,
        arch.pixels.order,
    )?;
    let s = Stats::of(&conf8);
    println!(
        "{} iterations: median confidence {:.6} (saved 8-bit images), {} of {} classes >= 0.99, {} >= 0.9999; {:.1} s",
        config.iterations, s.median, s.n_ge_099, classes, s.n_ge_09999, elapsed
    );
    println!("wrote {}", dir.display());
    Ok(())
}

/// The mean image an ascent starts from and decays toward, `(c, h, w)` in pixel units, and
/// where it came from: `--mean-image`, else for grey networks the mean of `--data`'s
/// training images, else the network's own per-channel input mean.
fn ascent_mean(args: &AscentArgs, arch: &nn::Arch) -> Result<(Vec<f32>, String)> {
    let [c, h, w] = arch.input;
    if let Some(path) = &args.mean_image {
        let px = if c == 1 {
            fooling::imaging::load::load_grey(path, w, h, false)?
        } else {
            fooling::imaging::load::load_color_cropped(path, w, h, arch.pixels.order)?
        };
        return Ok((
            px.iter().map(|&v| v as f32).collect(),
            path.display().to_string(),
        ));
    }
    if c != 1 {
        let mean = (0..c * h * w)
            .map(|i| arch.pixels.mean[i / (h * w)])
            .collect();
        return Ok((mean, format!("{}'s per-channel input mean", arch.name)));
    }
    let (train, _) = fooling::data::load_dir(&args.data)?;
    if (train.height, train.width) != (h, w) {
        bail!(
            "--data {}: images are {}x{}, {} takes {w}x{h}",
            args.data.display(),
            train.width,
            train.height,
            arch.name
        );
    }
    let mut sum = vec![0f64; h * w];
    for i in 0..train.len() {
        for (s, &v) in sum.iter_mut().zip(train.image(i)) {
            *s += v as f64;
        }
    }
    Ok((
        sum.iter()
            .map(|&s| (s / train.len() as f64) as f32)
            .collect(),
        format!(
            "the mean of the {} training images of {}",
            train.len(),
            args.data.display()
        ),
    ))
}

fn convert(args: &ConvertArgs) -> Result<()> {
    let arch = nn::by_name(&args.net)?;
    let weights = nn::caffemodel::load(&args.caffemodel, &arch)?;
    // through the checked loader before anything is written: names, shapes, finite values
    let bytes = weights.to_bytes();
    Weights::from_bytes(&bytes, &args.caffemodel, &arch)?;
    fooling::io::write_atomic(&args.out, &bytes)?;
    let n: usize = weights.tensors.values().map(|t| t.data.len()).sum();
    println!(
        "wrote {} ({} tensors, {n} parameters of {}) from {}; sha256 {}",
        args.out.display(),
        weights.tensors.len(),
        arch.name,
        args.caffemodel.display(),
        sha256_file(&args.out)?
    );
    Ok(())
}
