//! The run directories a report reads, as typed data: what each directory holds
//! ([`Source`], from its configuration file), and its CSV files read by their headers'
//! names. A file that cannot be read as its format says is an error naming the file and line.

use crate::ascent::AscentRunFile;
use crate::command_line::CommandLine;
use crate::error::{Error, Result};
use crate::evo::run::RunConfig;
use crate::evo::Encoding;
use crate::experiments::merge::MergedFile;
use crate::experiments::retrain::{RetrainConfig, RoundRow};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What a directory holds, with its configuration.
#[derive(Clone, Debug)]
pub enum Source {
    Evolve(Box<RunConfig>),
    Ascent(Box<AscentRunFile>),
    Merged(MergedFile),
    Retrain(RetrainConfig),
}

/// One input directory.
#[derive(Clone, Debug)]
pub struct Run {
    pub dir: PathBuf,
    pub source: Source,
}

fn load_toml<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Result<T> {
    crate::io::load_toml(path, what)
}

impl Run {
    /// The run in `dir`, or `None` when `dir` holds none.
    pub fn open(dir: &Path) -> Result<Option<Run>> {
        let config = dir.join("config.toml");
        let source = if config.exists() {
            let table: toml::Table = load_toml(&config, "a run configuration")?;
            if table.contains_key("encoding") {
                Source::Evolve(Box::new(load_toml(
                    &config,
                    "an evolution run's configuration",
                )?))
            } else {
                Source::Ascent(Box::new(load_toml(
                    &config,
                    "an ascent run's configuration",
                )?))
            }
        } else if dir.join("merged.toml").exists() {
            Source::Merged(load_toml(
                &dir.join("merged.toml"),
                "a merged archive's file",
            )?)
        } else if dir.join("retrain.toml").exists() {
            Source::Retrain(RetrainConfig::load(dir)?)
        } else {
            return Ok(None);
        };
        Ok(Some(Run {
            dir: dir.into(),
            source,
        }))
    }

    pub fn net(&self) -> &str {
        match &self.source {
            Source::Evolve(c) => &c.net,
            Source::Ascent(c) => &c.net,
            Source::Merged(c) => &c.net,
            Source::Retrain(c) => &c.net,
        }
    }

    /// The command that made the run: the one it recorded, else one rebuilt from its
    /// configuration (runs made before commands were recorded).
    pub fn command(&self) -> String {
        let dir = self.dir.display();
        let recorded = match &self.source {
            Source::Evolve(c) => c.command.clone(),
            Source::Ascent(c) => c.command.clone(),
            Source::Retrain(c) => c.command.clone(),
            Source::Merged(_) => None,
        };
        if let Some(c) = recorded {
            return c;
        }
        let line = match &self.source {
            Source::Evolve(c) => {
                let (seed, batch) = match (&c.direct, &c.cppn) {
                    (Some(d), _) => (d.seed, d.batch),
                    (None, Some(p)) => (p.seed, p.batch),
                    (None, None) => (0, 0),
                };
                CommandLine::new("evolve")
                    .arg("net", &c.net)
                    .arg("weights", c.weights.display())
                    .arg("encoding", encoding_name(c.encoding))
                    .arg("seed", seed)
                    .arg("batch", batch)
                    .arg("generations", c.generations)
                    .opt("crops", c.color.as_ref().map(|k| k.crops))
                    .arg("out", dir)
            }
            Source::Ascent(c) => CommandLine::new("ascent")
                .arg("net", &c.net)
                .arg("weights", c.weights.display())
                .arg("iterations", c.config.iterations)
                .arg("decay", c.config.decay)
                .arg("seed", c.config.seed)
                .arg("out", dir),
            Source::Merged(_) => CommandLine::new("merge").arg("out", dir).words(["…"]),
            Source::Retrain(c) => CommandLine::new("retrain")
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

pub(super) fn encoding_name(e: Encoding) -> &'static str {
    match e {
        Encoding::Direct => "direct",
        Encoding::Cppn => "cppn",
    }
}

/// The runs in `dirs`: each a run, or a directory whose subdirectories are runs (a study made
/// with `--run-index`).
pub fn collect(dirs: &[PathBuf]) -> Result<Vec<Run>> {
    let mut runs = Vec::new();
    for dir in dirs {
        if let Some(run) = Run::open(dir)? {
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
            if let Some(run) = Run::open(&sub)? {
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

/// The rows of the CSV file `path` as maps from its header's names, each row checked to
/// have every column.
pub(crate) fn csv_rows(path: &Path) -> Result<Vec<BTreeMap<String, String>>> {
    let text = crate::io::read::read_own_to_string(path, crate::io::read::MODEL)?;
    let records = crate::io::csv::records(&text).map_err(|message| Error::Data {
        path: path.into(),
        message,
    })?;
    let mut records = records.into_iter();
    let header = records.next().map(|(_, h)| h).unwrap_or_default();
    records
        .filter(|(_, f)| !(f.len() == 1 && f[0].is_empty()))
        .map(|(line, fields)| {
            if fields.len() != header.len() {
                return Err(Error::Data {
                    path: path.into(),
                    message: format!(
                        "line {line}: {} fields, the header has {}",
                        fields.len(),
                        header.len()
                    ),
                });
            }
            Ok(header
                .iter()
                .zip(fields)
                .map(|(h, f)| (h.to_string(), f.to_string()))
                .collect())
        })
        .collect()
}

/// Field `key` of a row of `path`, parsed.
pub(crate) fn field<T: std::str::FromStr>(
    path: &Path,
    row: &BTreeMap<String, String>,
    key: &str,
) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    let v = row.get(key).ok_or_else(|| Error::Data {
        path: path.into(),
        message: format!("no column '{key}'"),
    })?;
    v.parse().map_err(|e| Error::Data {
        path: path.into(),
        message: format!("{key} {v:?}: {e}"),
    })
}

/// One row of an evolution run's `stats.csv`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StatsRow {
    pub generation: u32,
    pub median: f64,
    pub n_ge_099: usize,
    pub n_ge_09999: usize,
}

/// An evolution run's `stats.csv`, of a run whose last generation is `last`: generations
/// rising to at most `last`, medians that are probabilities.
pub fn read_stats(dir: &Path, last: u32) -> Result<Vec<StatsRow>> {
    let path = dir.join("stats.csv");
    let rows: Vec<StatsRow> = csv_rows(&path)?
        .iter()
        .map(|r| {
            Ok(StatsRow {
                generation: field(&path, r, "generation")?,
                median: field(&path, r, "median")?,
                n_ge_099: field(&path, r, "n_ge_0.99")?,
                n_ge_09999: field(&path, r, "n_ge_0.9999")?,
            })
        })
        .collect::<Result<_>>()?;
    for (i, r) in rows.iter().enumerate() {
        let why = if r.generation > last {
            Some(format!("generation {} of a run of {last}", r.generation))
        } else if i > 0 && r.generation <= rows[i - 1].generation {
            Some(format!(
                "generation {} after {}",
                r.generation,
                rows[i - 1].generation
            ))
        } else if !(0.0..=1.0).contains(&r.median) {
            Some(format!("median {} is not a probability", r.median))
        } else {
            None
        };
        if let Some(why) = why {
            return Err(Error::Data {
                path,
                message: format!("row {}: {why}", i + 1),
            });
        }
    }
    Ok(rows)
}

/// Confidences by generation.
pub type ByGeneration = BTreeMap<u32, Vec<f64>>;

/// A run's `cells.csv`, of a run whose last generation is `last`: generation → every cell's
/// confidence (`None` for runs made before it existed). Every row has the header's columns
/// (a row cut short is an error, not a row of fewer cells), generations rise to at most
/// `last`, and every confidence is a probability.
pub fn read_cells(dir: &Path, last: u32) -> Result<Option<ByGeneration>> {
    let path = dir.join("cells.csv");
    if !path.exists() {
        return Ok(None);
    }
    let text = crate::io::read::read_own_to_string(&path, crate::io::read::MODEL)?;
    let records = crate::io::csv::records(&text).map_err(|message| Error::Data {
        path: path.clone(),
        message,
    })?;
    let mut records = records.into_iter();
    let columns = records.next().map_or(0, |(_, header)| header.len());
    let mut out = BTreeMap::new();
    for (line, fields) in records {
        let bad = |m: String| Error::Data {
            path: path.clone(),
            message: format!("line {line}: {m}"),
        };
        if fields.len() != columns {
            return Err(bad(format!(
                "{} fields, the header has {columns}",
                fields.len()
            )));
        }
        let g: u32 = fields[0]
            .parse()
            .map_err(|e| bad(format!("generation: {e}")))?;
        if g > last || out.last_key_value().is_some_and(|(&p, _)| g <= p) {
            return Err(bad(format!(
                "generation {g} out of order in a run of {last}"
            )));
        }
        let conf = fields[1..]
            .iter()
            .map(|v| match v.parse::<f64>() {
                Ok(c) if (0.0..=1.0).contains(&c) => Ok(c),
                Ok(c) => Err(bad(format!("confidence {c} is not a probability"))),
                Err(e) => Err(bad(format!("{v:?}: {e}"))),
            })
            .collect::<Result<Vec<f64>>>()?;
        out.insert(g, conf);
    }
    Ok(Some(out))
}

/// A study's `retrain.csv`.
pub(super) fn read_retrain(dir: &Path) -> Result<Vec<RoundRow>> {
    let path = dir.join("retrain.csv");
    csv_rows(&path)?
        .iter()
        .map(|r| {
            Ok(RoundRow {
                network: field(&path, r, "network")?,
                fooling_images: field(&path, r, "fooling_images")?,
                held_out_accuracy: field(&path, r, "held_out_accuracy")?,
                runs: field(&path, r, "runs")?,
                champions: field(&path, r, "champions")?,
                median: field(&path, r, "median")?,
                n_ge_099: field(&path, r, "n_ge_0.99")?,
                n_ge_09999: field(&path, r, "n_ge_0.9999")?,
            })
        })
        .collect()
}
