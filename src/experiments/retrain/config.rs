//! A retraining study's settings: what a user gives (`RetrainSettings`) and what the study
//! records and checks on every resume (`RetrainConfig`, `retrain.toml`, sealed).

use super::IMAGES_PER_CELL;
use crate::command_line::CommandLine;
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// The settings of a retraining study (`retrain.toml`).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetrainConfig {
    pub net: String,
    /// DNN_1's weights.
    pub weights: PathBuf,
    pub weights_sha256: String,
    /// The training data (IDX directory): the retrained networks learn it plus the fooling class.
    pub data: PathBuf,
    /// Retrainings: networks DNN_2 … DNN_{rounds+1}.
    pub rounds: usize,
    /// Fooling images added in the first round (the paper: as many as an average class);
    /// each later round adds a sixth of that.
    pub class_size: usize,
    /// Generations of each CPPN run.
    pub generations: u32,
    /// Children per generation of each run.
    pub batch: usize,
    /// SGD iterations of each retraining (Caffe's LeNet recipe otherwise).
    pub iterations: usize,
    /// The retrainings' random warps of their training images (`fooling train --augment`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub augment: Option<crate::kernels::Augment>,
    pub seed: u32,
    /// The command line that started the study, when it was recorded, followed by each
    /// `--resume DIR --rounds R` that extended it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    pub fooling_version: String,
    /// The sha256 of every setting that shapes the study (all but `rounds`, which `--resume
    /// DIR --rounds R` may change, the command line and the version): a file edited by hand
    /// is refused, not run as if the study had been made with it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub seal: String,
}

impl RetrainConfig {
    /// The seal of these settings ([`RetrainConfig::seal`]).
    fn sealed(&self) -> String {
        use sha2::Digest;
        let shape = RetrainConfig {
            rounds: 0,
            command: None,
            fooling_version: String::new(),
            seal: String::new(),
            ..self.clone()
        };
        let text = toml::to_string(&shape).unwrap_or_default();
        format!("{:x}", sha2::Sha256::digest(text.as_bytes()))
    }

    /// Fooling images added after evolving against DNN_k (none after the last network).
    pub fn added(&self, k: usize) -> usize {
        match k {
            1 => self.class_size,
            k if k <= self.rounds => (self.class_size / 6).max(1),
            _ => 0,
        }
    }

    /// CPPN runs against DNN_k: enough for its images, and as many as a later round's for
    /// the last network, which is only measured.
    pub fn runs(&self, k: usize, cells: usize) -> usize {
        let per_run = cells * IMAGES_PER_CELL;
        let images = if k > self.rounds {
            (self.class_size / 6).max(1)
        } else {
            self.added(k)
        };
        images.div_ceil(per_run).max(1)
    }
}

/// What a user gives for a new study: `fooling retrain`'s options, declared here once
/// (the command line flattens them; each doc line is its `--help`, each default is here).
#[derive(Clone, Debug, clap::Args)]
pub struct RetrainSettings {
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
    #[arg(long, value_name = "SHIFT,DEG,SCALE", num_args = 0..=1, default_missing_value = "2,10,0.1", value_parser = crate::kernels::Augment::parse)]
    pub augment: Option<crate::kernels::Augment>,
    #[arg(long, default_value_t = 0)]
    pub seed: u32,
    /// The command line that asks for the study, recorded in its `retrain.toml`.
    #[arg(skip)]
    pub command: Option<String>,
}

impl RetrainSettings {
    /// `fooling retrain`'s defaults (the paper's sizes) for the network `net`.
    pub fn new(net: &str) -> RetrainSettings {
        RetrainSettings {
            net: net.into(),
            ..crate::command_line::defaults(&[])
        }
    }
}

impl RetrainConfig {
    /// The settings of a new study in `dir` (which must not hold one), checked, with the
    /// defaults filled in; the directory is created.
    pub fn create(dir: &Path, s: &RetrainSettings) -> Result<RetrainConfig> {
        crate::nn::load::builtin_only(&s.net, "retrain")?;
        if dir.join("retrain.toml").exists() {
            return Err(Error::setting_value(
                "out",
                dir.display(),
                format!(
                    "holds a study already; continue it with `{}`",
                    CommandLine::new("retrain").arg("resume", dir.display())
                ),
            ));
        }
        crate::io::check_new_dir("out", dir)?;
        if s.class_size == Some(0) {
            return Err(Error::setting("class_size", "must be at least 1"));
        }
        let weights = match &s.weights {
            Some(p) => p.clone(),
            None => crate::nn::shipped_weights(&s.net)?,
        };
        let class_size = match s.class_size {
            Some(n) => n,
            None => {
                let (train, _) = crate::data::load_dir(&s.data)?;
                train.len() / crate::nn::by_name(&s.net)?.num_classes()
            }
        };
        let config = RetrainConfig {
            net: s.net.clone(),
            weights_sha256: crate::io::sha256_file(&weights)?,
            weights: crate::io::absolute(&weights),
            data: crate::io::absolute(&s.data),
            rounds: s.rounds.unwrap_or(15),
            class_size,
            generations: s.generations,
            batch: s.batch,
            iterations: s.iterations,
            augment: s.augment,
            seed: s.seed,
            command: s.command.clone(),
            fooling_version: env!("CARGO_PKG_VERSION").into(),
            seal: String::new(),
        };
        config.check(crate::nn::by_name(&config.net)?.num_classes())?;
        let config = RetrainConfig {
            seal: config.sealed(),
            ..config
        };
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        Ok(config)
    }

    /// The settings of the study in `dir`, with `rounds` (when given) extending it; its
    /// first network's weights must be the ones it started with.
    pub fn resume(dir: &Path, rounds: Option<usize>) -> Result<RetrainConfig> {
        let mut config = RetrainConfig::load(dir)?;
        if let Some(r) = rounds.filter(|&r| r != config.rounds) {
            // the recorded command line stays one that makes the study as it now is
            config.command = config.command.map(|c| {
                format!(
                    "{c} && {}",
                    CommandLine::new("retrain")
                        .arg("resume", dir.display())
                        .arg("rounds", r)
                )
            });
            config.rounds = r;
        }
        let file = dir.join("retrain.toml");
        config
            .check(crate::nn::by_name(&config.net)?.num_classes())
            .map_err(|e| e.in_file(&file))?;
        let config = config.check_seal(&file)?;
        if crate::io::sha256_file(&config.weights)? != config.weights_sha256 {
            return Err(Error::setting_value(
                "resume",
                dir.display(),
                format!(
                    "the weights {} changed since the study started (sha256 differs)",
                    config.weights.display()
                ),
            ));
        }
        Ok(config)
    }

    /// Refuses warps the kernel would refuse, and a study whose runs' seeds would not fit 32
    /// bits or would collide: run `i` against DNN_k is seeded `seed + 100,000 k + i`.
    pub fn check(&self, cells: usize) -> Result<()> {
        for (v, key) in [
            (self.batch, "batch"),
            (self.iterations, "iterations"),
            (self.generations as usize, "generations"),
            (self.class_size, "class_size"),
        ] {
            if v == 0 {
                return Err(Error::setting(key, "must be at least 1"));
            }
        }
        if let Some(a) = &self.augment {
            a.validate()?;
        }
        let most = (1..=self.rounds + 1)
            .map(|k| self.runs(k, cells))
            .max()
            .unwrap_or(1);
        if most >= 100_000 {
            return Err(Error::setting(
                "class_size",
                format!("needs {most} runs against one network; at most 99,999"),
            ));
        }
        let last = self.seed as u64 + (self.rounds as u64 + 1) * 100_000 + most as u64;
        if last > u32::MAX as u64 {
            return Err(Error::setting(
                "seed",
                format!(
                    "{} with {} rounds seeds runs up to {last}, past 32 bits",
                    self.seed, self.rounds
                ),
            ));
        }
        Ok(())
    }

    pub fn save(&self, dir: &Path) -> Result<()> {
        crate::rundir::config::write(dir, crate::rundir::Kind::Retraining, self)
    }

    pub fn load(dir: &Path) -> Result<RetrainConfig> {
        crate::rundir::config::read(dir, crate::rundir::Kind::Retraining)
    }

    /// Refuses settings that no longer match their seal (`path`: the file they came from); a
    /// study of an earlier version, which has none, is sealed as it is.
    fn check_seal(self, path: &Path) -> Result<RetrainConfig> {
        let seal = self.sealed();
        if self.seal.is_empty() {
            return Ok(RetrainConfig { seal, ..self });
        }
        if self.seal != seal {
            return Err(Error::Data {
                path: path.into(),
                message: format!(
                    "its settings were changed since the study started (they no longer match their seal); only the rounds may change, with `{}`",
                    CommandLine::new("retrain").arg("resume", "DIR").arg("rounds", "R")
                ),
            });
        }
        Ok(self)
    }
}
