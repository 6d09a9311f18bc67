//! Every option of every subcommand: the clap types, and nothing that does the work.

mod experiments;

pub use experiments::{
    AblateArgs, MergeArgs, ReportArgs, ReproduceArgs, RetrainArgs, TransferArgs,
};

use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use fooling::evo::Encoding;
use fooling::gpu::{BackendChoice, Gpu, GpuOptions, KernelChoice};
use std::path::PathBuf;

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
    /// Matrix-kernel implementation: auto picks subgroup on CPU adapters with subgroups of 8 or
    /// more lanes (lavapipe), direct on other CPU adapters, tiled on GPUs.
    #[arg(long, global = true, value_enum, env = "FOOLING_KERNELS", default_value_t = KernelChoice::Auto)]
    pub kernels: KernelChoice,
    /// Bind at most this many bytes per storage buffer, below the adapter's limit (to see how
    /// a smaller device splits the work).
    #[arg(long, global = true, value_name = "BYTES")]
    pub max_binding: Option<u64>,
}

impl GpuArgs {
    pub fn open(&self) -> Result<Gpu> {
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
    /// Ablate a run's champions: occlusion maps, and for CPPN images the removal of repeated
    /// elements (the paper's R9).
    Ablate(AblateArgs),
    /// Combine the archives of several runs cell by cell (each class's most confident champion).
    Merge(MergeArgs),
    /// Retrain a network with its fooling images as an extra class, and evolve again, round
    /// after round (docs/paper.md §7).
    Retrain(RetrainArgs),
    /// Write a self-contained HTML report of runs beside the paper's results.
    Report(ReportArgs),
    /// Run the paper's experiments (MNIST, Fashion-MNIST, ImageNet with your weights, or the
    /// shipped dog-breed network) and write the report.
    Reproduce(ReproduceArgs),
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
    /// Replace the output file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// A user's ONNX model's preprocessing (`--net FILE.onnx`); a sidecar `FILE.onnx.toml` beside
/// the model gives what these leave open.
#[derive(Args, Clone, Default)]
pub struct PreprocessArgs {
    /// ONNX models: the mean subtracted, torchvision's convention x = (pixel/255 − mean) / std;
    /// one value or one per channel [default: 0].
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "M[,M,M]",
        allow_hyphen_values = true
    )]
    pub mean: Option<Vec<f32>>,
    /// ONNX models: the standard deviation divided by [default: 1].
    #[arg(long, value_delimiter = ',', value_name = "S[,S,S]")]
    pub std: Option<Vec<f32>>,
    /// ONNX models: the input's channels [default: grey for one channel, rgb for three].
    #[arg(long, value_enum)]
    pub channels: Option<fooling::nn::ChannelOrder>,
    /// ONNX models: a file of class labels, one per line [default: the digits for 10 classes,
    /// ImageNet's for 1000, else the class index].
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,
    /// ONNX models whose input leaves its height and width open: the size to run them at.
    #[arg(long, value_delimiter = ',', value_name = "H,W")]
    pub input_size: Option<Vec<usize>>,
}

impl PreprocessArgs {
    /// The preprocessing these options give.
    pub fn preprocess(&self) -> Result<fooling::nn::preprocess::Preprocess> {
        let input_size = match self.input_size.as_deref() {
            None => None,
            Some([h, w]) => Some([*h, *w]),
            Some(other) => {
                anyhow::bail!("--input-size: expected H,W, found {} values", other.len())
            }
        };
        Ok(fooling::nn::preprocess::Preprocess {
            mean: self.mean.clone(),
            std: self.std.clone(),
            channels: self.channels,
            labels: self.labels.clone(),
            input_size,
        })
    }
}

#[derive(Args, Clone)]
pub struct EvolveArgs {
    /// Network: a built-in architecture (lenet, lenet-fashion, mlp, caffenet, alexnet, caffenet/N) or an ONNX
    /// model (FILE.onnx).
    #[arg(long, default_value = "lenet")]
    pub net: String,
    /// Weights (safetensors) [default: weights/<net>_mnist.safetensors; none for an ONNX model].
    #[arg(long, value_name = "FILE")]
    pub weights: Option<PathBuf>,
    #[command(flatten)]
    pub pre: PreprocessArgs,
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
    #[arg(long, default_value_t = 0.1, allow_hyphen_values = true)]
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
    /// Evolve N runs of a study as one batch on the device (direct encoding): runs OUT/run-000
    /// .. with seeds --seed .. --seed + N − 1, each the run `--run-index` makes alone; with
    /// --resume OUT, continue them. With --run-index I, the batch is runs I·N .. I·N + N − 1.
    #[arg(long, value_name = "N")]
    pub runs: Option<u32>,
}

impl EvolveArgs {
    /// The options of run `--run-index` of a study: its own seed and directory (a batch,
    /// `--runs`, keeps the study's and indexes its first run).
    pub fn indexed(&self) -> fooling::Result<EvolveArgs> {
        let Some(i) = self.run_index else {
            return Ok(self.clone());
        };
        if self.runs.is_some() {
            return Ok(self.clone());
        }
        let run = |d: &PathBuf| fooling::evo::run::study_run(d, i);
        Ok(EvolveArgs {
            seed: fooling::evo::run::study_seed(self.seed, i)?,
            out: self.out.as_ref().map(run),
            resume: self.resume.as_ref().map(run),
            run_index: None,
            ..self.clone()
        })
    }
}

#[derive(Args, Clone)]
pub struct AscentArgs {
    /// Network: a built-in architecture or an ONNX model (FILE.onnx).
    #[arg(long, default_value = "lenet")]
    pub net: String,
    /// Weights (safetensors) [default: weights/<net>_mnist.safetensors; none for an ONNX model].
    #[arg(long, value_name = "FILE")]
    pub weights: Option<PathBuf>,
    #[command(flatten)]
    pub pre: PreprocessArgs,
    /// Target classes: all, or a comma-separated list of class indices (e.g. 0,3,7).
    #[arg(long, default_value = "all", value_name = "all|LIST")]
    pub classes: String,
    #[arg(long, default_value_t = 300)]
    pub iterations: u32,
    /// Pull toward the mean image by this fraction each step (the L2 regulariser; 0: none).
    #[arg(long, default_value_t = 0.01, allow_hyphen_values = true)]
    pub decay: f32,
    /// The largest step size.
    #[arg(long, default_value_t = 1e12, allow_hyphen_values = true)]
    pub max_lr: f32,
    /// Seeds the initial noise.
    #[arg(long, default_value_t = 0)]
    pub seed: u32,
    /// σ of the Gaussian noise added to the mean image at the start, in pixel units.
    #[arg(long, default_value_t = 1.0, allow_hyphen_values = true)]
    pub noise: f32,
    /// Blur the images every K iterations (0: never).
    #[arg(long, default_value_t = 0, value_name = "K")]
    pub blur_every: u32,
    /// σ of that blur, in pixels.
    #[arg(long, default_value_t = 1.0, allow_hyphen_values = true)]
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
    pub fn indexed(&self) -> fooling::Result<AscentArgs> {
        let Some(i) = self.run_index else {
            return Ok(self.clone());
        };
        Ok(AscentArgs {
            seed: fooling::evo::run::study_seed(self.seed, i)?,
            out: fooling::evo::run::study_run(&self.out, i),
            run_index: None,
            ..self.clone()
        })
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
    #[arg(long, default_value_t = 0.01, allow_hyphen_values = true)]
    pub base_lr: f32,
    #[arg(long, default_value_t = 0.9, allow_hyphen_values = true)]
    pub momentum: f32,
    #[arg(long, default_value_t = 5e-4, allow_hyphen_values = true)]
    pub weight_decay: f32,
    /// Warp each training image at random every time it is drawn: a shift of up to SHIFT
    /// pixels, a rotation of up to DEG degrees and a scaling by up to SCALE (a fraction).
    /// `--augment` alone is 2,10,0.1.
    #[arg(long, value_name = "SHIFT,DEG,SCALE", num_args = 0..=1, default_missing_value = "2,10,0.1", value_parser = parse_augment)]
    pub augment: Option<fooling::kernels::Augment>,
    /// A directory of PNG images added to the training set as one more class ("fooling").
    #[arg(long, value_name = "DIR")]
    pub extra_class: Option<PathBuf>,
    /// Where to write the weights (safetensors); the model card goes beside it as .md.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Replace the weights file (and its model card) if it exists.
    #[arg(long)]
    pub force: bool,
}

#[derive(Args)]
pub struct ClassifyArgs {
    /// Network: a built-in architecture or an ONNX model (FILE.onnx).
    #[arg(long, default_value = "lenet")]
    pub net: String,
    /// Weights (safetensors) [default: weights/<net>_mnist.safetensors; none for an ONNX model].
    #[arg(long, value_name = "FILE")]
    pub weights: Option<PathBuf>,
    #[command(flatten)]
    pub pre: PreprocessArgs,
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

/// `--augment SHIFT,DEG,SCALE`: three numbers, checked as the kernel checks them.
fn parse_augment(s: &str) -> std::result::Result<fooling::kernels::Augment, String> {
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    let [shift, rotate, scale] = parts[..] else {
        return Err(format!(
            "expected SHIFT,DEG,SCALE (three numbers, e.g. 2,10,0.1), got {s:?}"
        ));
    };
    let num = |what: &str, v: &str| {
        v.parse::<f32>()
            .map_err(|_| format!("{what} {v:?} is not a number"))
    };
    let a = fooling::kernels::Augment {
        shift: num("SHIFT", shift)?,
        rotate: num("DEG", rotate)?,
        scale: num("SCALE", scale)?,
    };
    a.validate().map_err(|e| e.to_string())?;
    Ok(a)
}
