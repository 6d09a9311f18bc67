//! `fooling reproduce`: the paper's experiments as a typed plan of steps (evolution runs,
//! ascents, transfers, a retraining study, the report), each a call into the library with
//! the settings a user would give on the command line. Finished steps are skipped and
//! interrupted evolutions resumed, so running a reproduction again continues it.
//!
//! This file owns the settings and the steps with their command lines; [`plan`] which steps
//! each half of the paper takes, `steps` how each step runs.

mod plan;
mod steps;

pub use plan::plan;

use crate::ascent::{AscentObserver, AscentSettings};
use crate::command_line::CommandLine;
use crate::error::{Error, Result};
use crate::evo::run::{EvolveSettings, Observer};
use crate::experiments::retrain::RetrainSettings;
use crate::experiments::transfer::TransferSettings;
use crate::gpu::Gpu;
use std::path::PathBuf;

/// Which half of the paper.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Half {
    /// LeNet on MNIST: evolution (direct and CPPN, several seeds), gradient ascent, transfer
    /// to the two shipped second networks, retraining with a fooling class.
    Mnist,
    /// An ImageNet network (--weights): evolution (direct and CPPN) and gradient ascent.
    Imagenet,
    /// The MNIST half on Fashion-MNIST (`apt-get install dataset-fashion-mnist`): the shipped
    /// `lenet-fashion`, transfer to its second seed, retraining on all 60,000 images.
    Fashion,
    /// The ImageNet half on a real natural-image network: the shipped dog-breed MobileNetV2
    /// (`weights/dogs_mobilenetv2.onnx`, 19 Stanford-Dogs breeds, an ImageNet backbone).
    Dogs,
}

/// The network `fooling reproduce dogs` runs on, in `weights/`.
pub const DOGS_NET: &str = "dogs_mobilenetv2.onnx";

/// Where Debian's `dataset-fashion-mnist` installs the 70,000 images (IDX, gzip).
pub const FASHION_DATA: &str = "/usr/share/datasets/fashion-mnist";

/// The SGD iterations of the shipped Fashion-MNIST LeNet (Caffe's recipe otherwise): 3.2
/// passes over the 60,000 training images.
pub const FASHION_ITERATIONS: usize = 3000;

/// How big.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Scale {
    /// Minutes on a 2-core machine with lavapipe (MNIST): fewer seeds, generations and rounds.
    Quick,
    /// The paper's sizes (MNIST: hours on lavapipe; ImageNet: a GPU's days or a cluster).
    Paper,
}

/// What a user gives for a reproduction: `fooling reproduce`'s options, declared here once
/// (the command line flattens them; each doc line is its `--help`).
#[derive(Clone, Debug, clap::Args)]
pub struct ReproduceSettings {
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

/// One step of the plan.
#[derive(Clone, Debug)]
pub enum Step {
    /// Runs `first .. first + runs` of the study in `dir` (more than one: a device batch,
    /// `--runs`): resumed when interrupted, skipped when done.
    Evolve {
        dir: PathBuf,
        first: u32,
        runs: u32,
        settings: EvolveSettings,
    },
    /// An ascent run (short: redone from the start when interrupted).
    Ascent {
        dir: PathBuf,
        settings: AscentSettings,
    },
    Transfer(TransferSettings),
    /// The ablation of a CPPN run's champions (R9).
    Ablate(crate::experiments::ablate::AblateSettings),
    Retrain {
        dir: PathBuf,
        settings: RetrainSettings,
    },
    Report {
        dirs: Vec<PathBuf>,
        out: PathBuf,
    },
}

impl Step {
    /// The command line that does the same as this step.
    pub fn command(&self) -> String {
        let line = match self {
            Step::Evolve {
                dir,
                first,
                runs,
                settings: s,
            } => {
                let line = CommandLine::new("evolve")
                    .arg("net", &s.net)
                    .opt("weights", s.weights.as_ref().map(|p| p.display()))
                    .arg("encoding", s.encoding.name())
                    .opt("generations", s.generations)
                    .opt("batch", s.batch)
                    .opt("crops", s.crops)
                    .arg("seed", s.seed)
                    .arg("out", dir.display());
                if *runs == 1 {
                    line.arg("run_index", first)
                } else {
                    line.arg("runs", runs)
                }
            }
            Step::Ascent { dir, settings: s } => {
                // only a grey network's mean image comes from its data
                let grey = crate::nn::by_name(&s.net).is_ok_and(|a| a.input[0] == 1);
                CommandLine::new("ascent")
                    .arg("net", &s.net)
                    .opt("weights", s.weights.as_ref().map(|p| p.display()))
                    .arg("classes", &s.classes)
                    .arg("decay", s.decay)
                    .opt("data", grey.then(|| s.data.display()))
                    .arg("out", dir.display())
            }
            Step::Transfer(t) => CommandLine::new("transfer")
                .arg("run", t.run.display())
                .arg("net", &t.net)
                .opt("weights", t.weights.as_ref().map(|p| p.display())),
            Step::Ablate(a) => CommandLine::new("ablate").arg("run", a.run.display()),
            Step::Retrain { dir, settings: s } => CommandLine::new("retrain")
                .arg("net", &s.net)
                .arg("data", s.data.display())
                .opt("rounds", s.rounds)
                .opt("class_size", s.class_size)
                .arg("generations", s.generations)
                .arg("batch", s.batch)
                .arg("iterations", s.iterations)
                .opt(
                    "augment",
                    s.augment
                        .map(|a| format!("{},{},{}", a.shift, a.rotate, a.scale)),
                )
                .arg("out", dir.display()),
            Step::Report { dirs, out } => CommandLine::new("report")
                .arg("out", out.display())
                .words(dirs.iter().map(|d| d.display())),
        };
        line.to_string()
    }
}

/// The reproduction's directory.
pub fn out_dir(s: &ReproduceSettings) -> PathBuf {
    s.out.clone().unwrap_or_else(|| {
        PathBuf::from(format!(
            "runs/reproduce-{}-{}",
            match s.half {
                Half::Mnist => "mnist",
                Half::Imagenet => "imagenet",
                Half::Fashion => "fashion",
                Half::Dogs => "dogs",
            },
            match s.scale {
                Scale::Quick => "quick",
                Scale::Paper => "paper",
            }
        ))
    })
}

/// What a reproduction tells whoever watches it: a line for each step and each result,
/// and observers for the evolutions and ascents inside it.
pub trait ReproduceObserver {
    fn note(&mut self, line: &str);
    fn evolution(&mut self) -> &mut dyn Observer;
    fn ascent(&mut self) -> &mut dyn AscentObserver;
}

/// Runs the plan of `s` on `gpu`, skipping what is done; returns the report's path.
pub fn run(
    gpu: &Gpu,
    s: &ReproduceSettings,
    observer: &mut dyn ReproduceObserver,
) -> Result<PathBuf> {
    let out = out_dir(s);
    std::fs::create_dir_all(&out).map_err(|e| Error::io(&out, e))?;
    for step in plan(s)? {
        step.run(gpu, observer)?;
    }
    Ok(out.join("report.html"))
}
