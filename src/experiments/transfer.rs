//! Transfer (docs/paper.md §7): a run's champions re-scored on another network, written
//! to `transfer-<name>.csv` in the run, with the tallies at the paper's thresholds.

use crate::error::{Error, Result};
use crate::gpu::Gpu;
use crate::io::write_atomic;
use crate::nn::{self, Network};
use crate::rundir::champions::{read as read_champions, Champion};
use std::path::{Path, PathBuf};

/// One champion on another network.
#[derive(Clone, Debug, PartialEq)]
pub struct Transferred {
    pub champion: Champion,
    /// Its confidence for its own class on the target network.
    pub target: f32,
    /// The target network's most confident class.
    pub top: usize,
}

/// The header of `transfer-<name>.csv` ([`TransferLine`]'s fields).
pub const TRANSFER_HEADER: &str =
    "class,label,confidence_source,confidence_target,target_top_class";

/// A row of `transfer-<name>.csv`.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TransferLine {
    pub class: usize,
    pub label: String,
    #[serde(serialize_with = "crate::rundir::rows::plain")]
    pub confidence_source: f64,
    #[serde(serialize_with = "crate::rundir::rows::plain")]
    pub confidence_target: f64,
    pub target_top_class: usize,
}

/// Re-scores the champions of the run in `dir` on `net`: their saved PNGs, read as the
/// target takes images (`crops` crops each for ImageNet networks given larger images).
pub fn transfer(
    gpu: &Gpu,
    dir: &Path,
    net: &Network,
    crops: Option<usize>,
) -> Result<Vec<Transferred>> {
    let champions = read_champions(dir)?;
    let classes = net.arch.num_classes();
    let mut input = Vec::new();
    for c in &champions {
        if c.class >= classes {
            return Err(Error::setting("net", format!(
                    "{} has {classes} classes; the run's champion of class {} has none to be scored for",
                    net.arch.name, c.class
                )));
        }
        input.extend(crate::imaging::load::load_input(
            &net.arch,
            &c.image_path(dir)?,
            false,
            crops,
        )?);
    }
    let probs = net.classify_crops(gpu, &input, crops.unwrap_or(1))?;
    Ok(champions
        .into_iter()
        .zip(probs)
        .map(|(champion, p)| {
            let top = (0..p.len())
                .max_by(|&a, &b| p[a].total_cmp(&p[b]).then(b.cmp(&a)))
                .unwrap_or(0);
            Transferred {
                target: p[champion.class],
                top,
                champion,
            }
        })
        .collect())
}

/// `x` as the f64 of its shortest decimal (0.9999f32 → 0.9999), which the file shows as
/// that decimal and reads back as the same f64.
fn decimal(x: f32) -> f64 {
    x.to_string().parse().unwrap_or(x as f64)
}

/// Writes `dir/transfer-<name>.csv` atomically.
pub fn write_transfer(dir: &Path, name: &str, rows: &[Transferred]) -> Result<PathBuf> {
    let lines: Vec<TransferLine> = rows
        .iter()
        .map(|r| TransferLine {
            class: r.champion.class,
            label: r.champion.label.clone(),
            confidence_source: decimal(r.champion.confidence),
            confidence_target: decimal(r.target),
            target_top_class: r.top,
        })
        .collect();
    let path = dir.join(format!("transfer-{name}.csv"));
    let csv = crate::rundir::rows::text(&path, TRANSFER_HEADER, &lines)?;
    write_atomic(&path, csv.as_bytes())?;
    Ok(path)
}

/// What a user gives for a transfer: `fooling transfer`'s options, declared here once (the
/// command line flattens them; each doc line is its `--help`).
#[derive(Clone, Debug, clap::Args)]
pub struct TransferSettings {
    /// The run (evolution, ascent or merged) whose champions to re-score.
    #[arg(long, value_name = "DIR")]
    pub run: PathBuf,
    /// The target network: a built-in architecture or an ONNX model (FILE.onnx).
    #[arg(long, default_value = "lenet")]
    pub net: String,
    /// The target's weights [default: weights/<net>_mnist.safetensors; none for an ONNX model].
    #[arg(long, value_name = "FILE")]
    pub weights: Option<PathBuf>,
    /// An ONNX target's preprocessing.
    #[command(flatten)]
    pub preprocess: crate::nn::preprocess::Preprocess,
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

impl TransferSettings {
    pub fn new(run: &Path, net: &str, weights: Option<PathBuf>) -> TransferSettings {
        TransferSettings {
            run: run.into(),
            net: net.into(),
            weights,
            name: None,
            crops: None,
            force: false,
            preprocess: Default::default(),
        }
    }

    /// The name of the output, `transfer-<name>.csv`: `--name`, else the weights file's
    /// stem, else the network's name. A name is letters, digits and `_ - . +` (no path).
    pub fn output_name(&self) -> Result<String> {
        let name = match &self.name {
            Some(n) => n.clone(),
            None => match &self.weights {
                Some(w) => w.clone(),
                None if nn::onnx::is_onnx(&self.net) => PathBuf::from(&self.net),
                None => nn::shipped_weights(&self.net)?,
            }
            .file_stem()
            .map_or_else(|| self.net.clone(), |s| s.to_string_lossy().into_owned()),
        };
        let fine = |c: char| c.is_ascii_alphanumeric() || "_-.+".contains(c);
        if name.is_empty() || name.starts_with('.') || !name.chars().all(fine) {
            return Err(Error::setting(
                "name",
                format!(
                    "{name:?} cannot name a file in the run: use letters, digits and _ - . + \
                     (not first: .)"
                ),
            ));
        }
        Ok(name)
    }

    /// The file the transfer writes: `RUN/transfer-<name>.csv`.
    pub fn output(&self) -> Result<PathBuf> {
        Ok(self
            .run
            .join(format!("transfer-{}.csv", self.output_name()?)))
    }
}

/// Counts of a transfer at the paper's thresholds, on the source and on the target.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub champions: usize,
    pub source_099: usize,
    pub source_09999: usize,
    pub target_099: usize,
    pub target_09999: usize,
    /// Champions whose class is still the target's top class.
    pub top: usize,
}

impl Tally {
    pub fn of(rows: &[Transferred]) -> Tally {
        let count = |f: &dyn Fn(&Transferred) -> bool| rows.iter().filter(|r| f(r)).count();
        Tally {
            champions: rows.len(),
            source_099: count(&|r| r.champion.confidence >= 0.99),
            source_09999: count(&|r| r.champion.confidence >= 0.9999),
            target_099: count(&|r| r.target >= 0.99),
            target_09999: count(&|r| r.target >= 0.9999),
            top: count(&|r| r.top == r.champion.class),
        }
    }

    /// `k` as a percentage of the champions (0 when there are none).
    pub fn percent(&self, k: usize) -> f64 {
        100.0 * k as f64 / self.champions.max(1) as f64
    }
}

/// What a transfer wrote.
#[derive(Clone, Debug)]
pub struct TransferOutcome {
    pub name: String,
    pub path: PathBuf,
    pub rows: Vec<Transferred>,
    pub tally: Tally,
}

/// Re-scores the champions of `s.run` on the target of `s` and writes `transfer-<name>.csv`.
pub fn run(gpu: &Gpu, s: &TransferSettings) -> Result<TransferOutcome> {
    let loaded = nn::load(&s.net, s.weights.as_deref(), &s.preprocess)?;
    let (arch, weights) = (loaded.arch, loaded.weights);
    let run = crate::rundir::RunDir::open(&s.run).ok().flatten();
    let crops = s.crops.or_else(|| {
        // a colour target given the run's 256×256 images scores them as the run did
        (arch.input[0] == 3)
            .then(|| run.as_ref().and_then(|r| r.crops()))
            .flatten()
    });
    let name = s.output_name()?;
    let path = s.output()?;
    crate::io::check_output("name", &path, None, s.force)?;
    let _lock = crate::io::lock_dir(&s.run)?;
    let net = Network::new(gpu, arch, &weights)?;
    let rows = transfer(gpu, &s.run, &net, crops)?;
    let path = write_transfer(&s.run, &name, &rows)?;
    Ok(TransferOutcome {
        name,
        path,
        tally: Tally::of(&rows),
        rows,
    })
}
