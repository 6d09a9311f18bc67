//! The options of the experiments over runs: reproduce, report, retrain, transfer, ablate,
//! merge.

use super::{parse_augment, PreprocessArgs};
use clap::Args;
use fooling::experiments::reproduce::{Half, Scale};
use std::path::PathBuf;

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
    /// The HTML file to write [default: DIR/report.html for one DIR]; a report this command
    /// wrote is replaced, any other file only with --force.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Replace --out even if it is not a report `fooling report` wrote.
    #[arg(long)]
    pub force: bool,
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
    /// Warp the retrainings' training images as `fooling train --augment` does (`--augment`
    /// alone: 2,10,0.1).
    #[arg(long, value_name = "SHIFT,DEG,SCALE", num_args = 0..=1, default_missing_value = "2,10,0.1", value_parser = parse_augment)]
    pub augment: Option<fooling::kernels::Augment>,
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
    /// The target network: a built-in architecture or an ONNX model (FILE.onnx).
    #[arg(long, default_value = "lenet")]
    pub net: String,
    /// The target's weights [default: weights/<net>_mnist.safetensors; none for an ONNX model].
    #[arg(long, value_name = "FILE")]
    pub weights: Option<PathBuf>,
    #[command(flatten)]
    pub pre: PreprocessArgs,
    /// Names the output, DIR/transfer-<name>.csv [default: the weights file's stem].
    #[arg(long)]
    pub name: Option<String>,
    /// ImageNet targets: crops per image [default: the run's own --crops, for 256×256 images].
    #[arg(long)]
    pub crops: Option<usize>,
    /// Replace an existing DIR/transfer-<name>.csv.
    #[arg(long)]
    pub force: bool,
}

#[derive(Args)]
pub struct AblateArgs {
    /// The run (evolution, ascent or merged) whose champions to ablate, on its own network.
    #[arg(long, value_name = "DIR")]
    pub run: PathBuf,
    /// The occluded square's side in pixels [default: a seventh of the image's side].
    #[arg(long, value_name = "K")]
    pub patch: Option<usize>,
    /// Pixels between occluded squares [default: half the patch].
    #[arg(long, value_name = "S")]
    pub stride: Option<usize>,
    /// Replace an existing DIR/ablate.csv and the images it names.
    #[arg(long)]
    pub force: bool,
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
