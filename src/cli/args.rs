//! Every option of every subcommand that the library's settings types do not declare
//! themselves (ablate, merge, report, reproduce and transfer take theirs whole; the others
//! flatten parts): the clap types, and nothing that does the work.

use anyhow::Result;
use clap::{Args, Parser, Subcommand};
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
    Train(fooling::nn::recipe::TrainSettings),
    /// Evolve fooling images with MAP-Elites (one cell per class).
    Evolve(EvolveArgs),
    /// Fooling images by gradient ascent on the input, every target class in one batch.
    Ascent(AscentArgs),
    /// Convert Caffe weights (a .caffemodel, any layer format) to our safetensors.
    Convert(ConvertArgs),
    /// Re-score a run's champions on another network (the paper's transfer experiment).
    Transfer(fooling::experiments::transfer::TransferSettings),
    /// Ablate a run's champions: occlusion maps, and for CPPN images the removal of repeated
    /// elements (the paper's R9).
    Ablate(fooling::experiments::ablate::AblateSettings),
    /// Combine the archives of several runs cell by cell (each class's most confident champion).
    Merge(fooling::experiments::merge::MergeSettings),
    /// Retrain a network with its fooling images as an extra class, and evolve again, round
    /// after round (docs/paper.md §7).
    Retrain(RetrainArgs),
    /// Write a self-contained HTML report of runs beside the paper's results.
    Report(fooling::report::ReportSettings),
    /// Run the paper's experiments (MNIST, Fashion-MNIST, ImageNet with your weights, or the
    /// shipped dog-breed network) and write the report.
    Reproduce(fooling::experiments::reproduce::ReproduceSettings),
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

/// `fooling evolve`'s options: the run's settings, and where it goes or is continued from.
#[derive(Args, Clone)]
pub struct EvolveArgs {
    #[command(flatten)]
    pub settings: fooling::evo::run::EvolveSettings,
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
        let mut settings = self.settings.clone();
        settings.seed = fooling::evo::run::study_seed(settings.seed, i)?;
        Ok(EvolveArgs {
            settings,
            out: self.out.as_ref().map(run),
            resume: self.resume.as_ref().map(run),
            run_index: None,
            ..self.clone()
        })
    }
}

/// `fooling ascent`'s options: the run's settings, and where it goes.
#[derive(Args, Clone)]
pub struct AscentArgs {
    #[command(flatten)]
    pub settings: fooling::ascent::AscentSettings,
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
        let mut settings = self.settings.clone();
        settings.seed = fooling::evo::run::study_seed(settings.seed, i)?;
        Ok(AscentArgs {
            settings,
            out: fooling::evo::run::study_run(&self.out, i),
            run_index: None,
        })
    }
}

/// `fooling classify`'s options: the classification's settings, how to print, the images.
#[derive(Args)]
pub struct ClassifyArgs {
    #[command(flatten)]
    pub settings: fooling::nn::classify::ClassifySettings,
    /// One JSON object per line: {"image": PATH, "top": [{"class", "label", "confidence"}, ...]}.
    #[arg(long)]
    pub json: bool,
    /// Images (PNG; colour is converted to grey for LeNet).
    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<PathBuf>,
}

/// `fooling retrain`'s options: the study's settings, and the directory it is made in or
/// continued from.
#[derive(Args)]
pub struct RetrainArgs {
    #[command(flatten)]
    pub settings: fooling::experiments::retrain::RetrainSettings,
    /// The study directory to create.
    #[arg(long, value_name = "DIR", required_unless_present = "resume")]
    pub out: Option<PathBuf>,
    /// Continue the study in DIR.
    #[arg(long, value_name = "DIR", conflicts_with = "out")]
    pub resume: Option<PathBuf>,
}
