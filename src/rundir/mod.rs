//! The run directory: what a run of any kind leaves, read and written in one place.
//! [`RunDir`] is a directory opened by its configuration file ([`config`]: `config.toml`,
//! `merged.toml` or `retrain.toml`, tagged by kind), which every command that reads a run
//! takes (transfer, ablate, merge, retrain, report); [`champions`] writes and reads
//! `champions.csv`, `archive/` and `gallery.png` for evolution, gradient ascent and merged
//! runs alike; [`rows`] are the typed rows of its CSV files.

pub mod champions;
pub mod config;
pub mod rows;

pub use config::Kind;

use crate::ascent::AscentRunFile;
use crate::command_line::CommandLine;
use crate::error::{Error, Result};
use crate::evo::run::RunConfig;
use crate::experiments::merge::MergedFile;
use crate::experiments::retrain::RetrainConfig;
use std::path::{Path, PathBuf};

/// A run's configuration, by kind.
#[derive(Clone, Debug)]
pub enum Config {
    Evolution(Box<RunConfig>),
    Ascent(Box<AscentRunFile>),
    Merged(MergedFile),
    Retraining(RetrainConfig),
}

/// A run directory and its configuration.
#[derive(Clone, Debug)]
pub struct RunDir {
    pub dir: PathBuf,
    pub config: Config,
}

impl RunDir {
    /// The run in `dir`, or `None` when `dir` holds none (no configuration file of any kind).
    pub fn open(dir: &Path) -> Result<Option<RunDir>> {
        let Some(file) = ["config.toml", "merged.toml", "retrain.toml"]
            .into_iter()
            .find(|f| dir.join(f).exists())
        else {
            return Ok(None);
        };
        let path = dir.join(file);
        let (kind, text) = config::read_kind(&path, file)?;
        let config = match kind {
            Kind::Evolution => Config::Evolution(Box::new(config::parse(&path, kind, &text)?)),
            Kind::Ascent => Config::Ascent(Box::new(config::parse(&path, kind, &text)?)),
            Kind::Merged => Config::Merged(config::parse(&path, kind, &text)?),
            Kind::Retraining => Config::Retraining(config::parse(&path, kind, &text)?),
        };
        Ok(Some(RunDir {
            dir: dir.into(),
            config,
        }))
    }

    /// The run in `dir`, which the setting `key` named: a directory without one is an error.
    pub fn open_given(dir: &Path, key: &'static str) -> Result<RunDir> {
        RunDir::open(dir)?.ok_or_else(|| {
            Error::setting_value(
                key,
                dir.display(),
                "holds no run (no config.toml, merged.toml or retrain.toml)",
            )
        })
    }

    pub fn kind(&self) -> Kind {
        match &self.config {
            Config::Evolution(_) => Kind::Evolution,
            Config::Ascent(_) => Kind::Ascent,
            Config::Merged(_) => Kind::Merged,
            Config::Retraining(_) => Kind::Retraining,
        }
    }

    /// Its configuration file.
    pub fn config_file(&self) -> PathBuf {
        self.dir.join(self.kind().file())
    }

    /// The network it was made against, as it recorded it.
    pub fn net(&self) -> &str {
        match &self.config {
            Config::Evolution(c) => &c.net,
            Config::Ascent(c) => &c.net,
            Config::Merged(c) => &c.net,
            Config::Retraining(c) => &c.net,
        }
    }

    /// The sha256 of the weights it was made against.
    pub fn weights_sha256(&self) -> &str {
        match &self.config {
            Config::Evolution(c) => &c.weights_sha256,
            Config::Ascent(c) => &c.weights_sha256,
            Config::Merged(c) => &c.weights_sha256,
            Config::Retraining(c) => &c.weights_sha256,
        }
    }

    /// The weights file it recorded, if it did.
    pub fn weights(&self) -> Option<&Path> {
        match &self.config {
            Config::Evolution(c) => Some(&c.weights),
            Config::Ascent(c) => Some(&c.weights),
            Config::Merged(c) => c.weights.as_deref(),
            Config::Retraining(c) => Some(&c.weights),
        }
    }

    /// The crops an ImageNet evolution run scored its champions with.
    pub fn crops(&self) -> Option<usize> {
        match &self.config {
            Config::Evolution(c) => c.color.as_ref().map(|k| k.crops),
            _ => None,
        }
    }

    /// The command that made the run: the one it recorded, else one rebuilt from its
    /// configuration (runs made before commands were recorded).
    pub fn command(&self) -> String {
        let dir = self.dir.display();
        let recorded = match &self.config {
            Config::Evolution(c) => c.command.clone(),
            Config::Ascent(c) => c.command.clone(),
            Config::Retraining(c) => c.command.clone(),
            Config::Merged(_) => None,
        };
        if let Some(c) = recorded {
            return c;
        }
        let line = match &self.config {
            Config::Evolution(c) => CommandLine::new("evolve")
                .arg("net", &c.net)
                .arg("weights", c.weights.display())
                .arg("encoding", c.encoding().name())
                .arg("seed", c.seed())
                .arg("batch", c.search.batch())
                .arg("generations", c.generations)
                .opt("crops", c.color.as_ref().map(|k| k.crops))
                .arg("out", dir),
            Config::Ascent(c) => CommandLine::new("ascent")
                .arg("net", &c.net)
                .arg("weights", c.weights.display())
                .arg("iterations", c.config.iterations)
                .arg("decay", c.config.decay)
                .arg("seed", c.config.seed)
                .arg("out", dir),
            Config::Merged(_) => CommandLine::new("merge").arg("out", dir).words(["…"]),
            Config::Retraining(c) => CommandLine::new("retrain")
                .arg("net", &c.net)
                .arg("weights", c.weights.display())
                .arg("rounds", c.rounds)
                .arg("class_size", c.class_size)
                .arg("generations", c.generations)
                .arg("batch", c.batch)
                .arg("iterations", c.iterations)
                .arg("seed", c.seed)
                .arg("out", dir),
        };
        line.to_string()
    }
}

/// The runs in `dirs`: each a run, or a directory whose subdirectories are runs (a study made
/// with `--run-index`).
pub fn collect(dirs: &[PathBuf]) -> Result<Vec<RunDir>> {
    let mut runs = Vec::new();
    for dir in dirs {
        if let Some(run) = RunDir::open(dir)? {
            runs.push(run);
            continue;
        }
        let mut subs: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| Error::io(dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect();
        subs.sort();
        let before = runs.len();
        for sub in subs {
            if let Some(run) = RunDir::open(&sub)? {
                runs.push(run);
            }
        }
        if runs.len() == before {
            return Err(Error::Data {
                path: dir.clone(),
                message: "not a run, a merged archive, a retraining study, or a directory of runs"
                    .into(),
            });
        }
    }
    Ok(runs)
}
