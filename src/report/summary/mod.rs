//! The summary of a set of runs: every figure `fooling report` prints, computed from the
//! runs' typed files ([`super::runs`]) and nothing else, so each can be tested without HTML.
//! How each figure reads in the paper table's rows is [`Summary::ours`] (`paper_rows`).

mod paper_rows;
mod rows;

pub use rows::{
    AblationRun, AscentRun, Group, LeftOut, RetrainStudy, RunRow, TransferRow, TransferTally,
};

use super::runs::{read_cells, read_retrain, read_stats, ByGeneration, StatsRow};
use crate::ascent::AscentRunFile;
use crate::command_line::CommandLine;
use crate::error::{Error, Result};
use crate::evo::run::RunConfig;
use crate::evo::Encoding;
use crate::experiments::transfer::TransferLine;
use crate::rundir::{Config, RunDir};
use crate::stats::Stats;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Linear-interpolated quantile `q` of `v` (NaN for none).
pub fn quantile(v: &mut [f64], q: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        return f64::NAN;
    }
    let x = q * (v.len() - 1) as f64;
    let (lo, hi) = (x.floor() as usize, x.ceil() as usize);
    v[lo] + (v[hi] - v[lo]) * (x - lo as f64)
}

/// (generation, median, first quartile, third quartile) by generation.
pub type Band = Vec<(f64, f64, f64, f64)>;

pub fn band(by_generation: &ByGeneration) -> Band {
    by_generation
        .iter()
        .map(|(&g, v)| {
            let mut v = v.clone();
            (
                g as f64,
                quantile(&mut v, 0.5),
                quantile(&mut v, 0.25),
                quantile(&mut v, 0.75),
            )
        })
        .collect()
}

/// Everything the report shows.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub inputs: usize,
    /// Runs left out of every figure, and why.
    pub left_out: Vec<LeftOut>,
    pub groups: Vec<Group>,
    pub ascents: Vec<AscentRun>,
    pub transfers: Vec<TransferRow>,
    pub tallies: Vec<TransferTally>,
    pub ablations: Vec<AblationRun>,
    pub retrains: Vec<RetrainStudy>,
    pub merged: Vec<PathBuf>,
    /// Directories whose galleries the report shows, by group (at most 6 each).
    pub galleries: Vec<Vec<PathBuf>>,
    /// The labels of each group's network.
    pub labels: Vec<Vec<String>>,
}

/// The row of the paper's table an evolution run answers: R1–R4.
fn paper_row(c: &RunConfig) -> &'static str {
    match (c.encoding(), c.color.is_some()) {
        (Encoding::Direct, false) => "R1",
        (Encoding::Cppn, false) => "R2",
        (Encoding::Direct, true) => "R3",
        (Encoding::Cppn, true) => "R4",
    }
}

/// The counts of one `transfer-<target>.csv` (its run, target and group left empty).
fn read_transfer(f: &std::path::Path) -> Result<TransferRow> {
    let rows: Vec<TransferLine> = crate::rundir::rows::read(f)?;
    if rows.is_empty() {
        return Err(Error::Data {
            path: f.into(),
            message: "no champions: not a transfer file fooling transfer wrote".into(),
        });
    }
    let mut t = TransferRow {
        dir: PathBuf::new(),
        target: String::new(),
        group: String::new(),
        champions: rows.len(),
        source_099: 0,
        target_099: 0,
        target_09999: 0,
        kept: 0,
    };
    for row in &rows {
        let (class, source, target, top) = (
            row.class,
            row.confidence_source,
            row.confidence_target,
            row.target_top_class,
        );
        if !(0.0..=1.0).contains(&source) || !(0.0..=1.0).contains(&target) {
            return Err(Error::Data {
                path: f.into(),
                message: format!("class {class}: a confidence that is not a probability"),
            });
        }
        t.source_099 += (source >= 0.99) as usize;
        t.target_099 += (target >= 0.99) as usize;
        t.target_09999 += (target >= 0.9999) as usize;
        t.kept += (top == class) as usize;
    }
    Ok(t)
}

impl Summary {
    /// The summary of `runs`.
    pub fn of(runs: &[RunDir]) -> Result<Summary> {
        let mut s = Summary {
            inputs: runs.len(),
            ..Summary::default()
        };
        for r in runs {
            let added = match &r.config {
                Config::Evolution(c) => s.add_evolution(r, c),
                Config::Ascent(c) => ascent_run(r, c).map(|a| {
                    let done = a.is_some();
                    s.ascents.extend(a);
                    if !done {
                        s.left_out.push(LeftOut {
                            dir: r.dir.clone(),
                            net: r.net().into(),
                            row: Some("R5"),
                            why: "stopped before its end (no champions.csv)".into(),
                            remedy: Some(
                                "an ascent does not resume: run it again into a new directory"
                                    .into(),
                            ),
                        });
                    }
                    done
                }),
                Config::Merged(_) => {
                    s.merged.push(r.dir.clone());
                    Ok(true)
                }
                Config::Retraining(c) => read_retrain(&r.dir).map(|rows| {
                    s.retrains.push(RetrainStudy {
                        dir: r.dir.clone(),
                        networks: c.rounds + 1,
                        rows,
                        command: r.command(),
                    });
                    true
                }),
            };
            let added = added.unwrap_or_else(|e| {
                s.left_out.push(LeftOut {
                    dir: r.dir.clone(),
                    net: r.net().into(),
                    row: match &r.config {
                        Config::Evolution(c) => Some(paper_row(c)),
                        Config::Ascent(_) => Some("R5"),
                        Config::Retraining(_) => Some("R7"),
                        Config::Merged(_) => None,
                    },
                    why: format!("damaged: {e}"),
                    remedy: None,
                });
                false
            });
            if added && !matches!(r.config, Config::Retraining(_)) {
                s.add_transfers(r);
                s.add_ablation(r);
            }
        }
        Ok(s)
    }

    /// The runs against `net` of paper row `row` left out of the figures.
    pub fn left_out_of(&self, row: &str, net: &str) -> usize {
        self.left_out
            .iter()
            .filter(|l| l.row == Some(row) && l.net == net)
            .count()
    }

    /// The index of the group of runs against `c`'s network with its encoding, new if none.
    fn group_of(&mut self, c: &RunConfig, dir: &std::path::Path) -> usize {
        match self
            .groups
            .iter()
            .position(|g| g.net == c.net && g.encoding == c.encoding())
        {
            Some(i) => i,
            None => {
                self.groups.push(Group {
                    net: c.net.clone(),
                    encoding: c.encoding(),
                    row: paper_row(c),
                    runs: Vec::new(),
                    medians: BTreeMap::new(),
                    cells_of_one: None,
                    per_class: BTreeMap::new(),
                    cells: 0,
                    with_cells: 0,
                    all_by_50: 0,
                });
                self.galleries.push(Vec::new());
                // a built-in network's labels, else (a user's model) those its run saved
                let saved = || {
                    crate::rundir::champions::read(dir)
                        .map(|c| c.into_iter().map(|c| c.label).collect())
                        .unwrap_or_default()
                };
                self.labels.push(
                    crate::nn::by_name(&c.net)
                        .map(|a| a.labels)
                        .unwrap_or_else(|_| saved()),
                );
                self.groups.len() - 1
            }
        }
    }

    /// Adds an evolution run to its group when it finished; a run stopped before its last
    /// generation is left out (`Ok(false)`), and so is one whose files cannot be read (the
    /// error).
    fn add_evolution(&mut self, r: &RunDir, c: &RunConfig) -> Result<bool> {
        let stats = read_stats(&r.dir, c.generations)?;
        let cells = read_cells(&r.dir, c.generations)?;
        let last = stats.last().map_or(0, |s| s.generation);
        if last < c.generations || !r.dir.join("champions.csv").exists() {
            self.left_out.push(LeftOut {
                dir: r.dir.clone(),
                net: c.net.clone(),
                row: Some(paper_row(c)),
                why: format!("stopped at generation {last} of {}", c.generations),
                remedy: Some(
                    CommandLine::new("evolve")
                        .arg("resume", r.dir.display())
                        .to_string(),
                ),
            });
            return Ok(false);
        }
        let i = self.group_of(c, &r.dir);
        let g = &mut self.groups[i];
        for st in &stats {
            g.medians.entry(st.generation).or_default().push(st.median);
        }
        if let Some(cells) = &cells {
            for (&gen, conf) in cells {
                g.cells = conf.len();
                for (k, &v) in conf.iter().enumerate() {
                    g.per_class
                        .entry(k)
                        .or_default()
                        .entry(gen)
                        .or_default()
                        .push(v);
                }
            }
            g.with_cells += 1;
            if cells
                .range(..=50)
                .next_back()
                .is_some_and(|(_, v)| v.iter().all(|&x| x >= 0.9999))
            {
                g.all_by_50 += 1;
            }
        }
        g.cells_of_one = if g.runs.is_empty() { cells } else { None };
        let seed = c.seed();
        g.runs.push(RunRow {
            dir: r.dir.clone(),
            seed,
            last: stats.last().copied().unwrap_or(StatsRow {
                generation: 0,
                median: f64::NAN,
                ..StatsRow::default()
            }),
            median_at_50: stats.iter().find(|p| p.generation == 50).map(|p| p.median),
            command: r.command(),
        });
        if self.galleries[i].len() < 6 {
            self.galleries[i].push(r.dir.clone());
        }
        Ok(true)
    }

    /// Adds the run's `ablate.csv` when it has one; a damaged one is left out, named.
    fn add_ablation(&mut self, r: &RunDir) {
        if !r.dir.join("ablate.csv").exists() {
            return;
        }
        match crate::experiments::ablate::read_ablate(&r.dir) {
            Ok((patch, stride, rows)) => self.ablations.push(AblationRun {
                dir: r.dir.clone(),
                group: group_name(r),
                patch,
                stride,
                tally: crate::experiments::ablate::Tally::of(&rows),
                rows,
            }),
            Err(e) => self.left_out.push(LeftOut {
                dir: r.dir.join("ablate.csv"),
                net: r.net().into(),
                row: Some("R9"),
                why: format!("damaged: {e}"),
                remedy: Some(
                    CommandLine::new("ablate")
                        .arg("run", r.dir.display())
                        .switch("force", true)
                        .to_string(),
                ),
            }),
        }
    }

    /// Adds the run's `transfer-*.csv` files; a damaged one is left out, named.
    fn add_transfers(&mut self, r: &RunDir) {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&r.dir)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("transfer-") && n.ends_with(".csv"))
            })
            .collect();
        files.sort();
        let group = group_name(r);
        for f in files {
            let target = f
                .file_stem()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix("transfer-"))
                .unwrap_or_default()
                .to_string();
            let row = match read_transfer(&f) {
                Ok(counts) => TransferRow {
                    dir: r.dir.clone(),
                    target: target.clone(),
                    group: group.clone(),
                    ..counts
                },
                Err(e) => {
                    self.left_out.push(LeftOut {
                        dir: f.clone(),
                        net: r.net().into(),
                        row: Some("R6"),
                        why: format!("damaged: {e}"),
                        remedy: None,
                    });
                    continue;
                }
            };
            match self
                .tallies
                .iter_mut()
                .find(|t| t.group == group && t.target == target)
            {
                Some(t) => {
                    t.champions += row.champions;
                    t.target_099 += row.target_099;
                    t.target_09999 += row.target_09999;
                    t.runs += 1;
                }
                None => self.tallies.push(TransferTally {
                    group: group.clone(),
                    target,
                    champions: row.champions,
                    target_099: row.target_099,
                    target_09999: row.target_09999,
                    runs: 1,
                    first: r.dir.clone(),
                }),
            }
            self.transfers.push(row);
        }
        self.tallies
            .sort_by(|a, b| (&a.group, &a.target).cmp(&(&b.group, &b.target)));
    }
}

/// The kind of run `r` is, as the transfer and ablation tables group runs: "NET ENCODING",
/// "NET ascent" or "merged".
fn group_name(r: &RunDir) -> String {
    match &r.config {
        Config::Evolution(c) => format!("{} {}", c.net, c.encoding().name()),
        Config::Ascent(c) => format!("{} ascent", c.net),
        _ => "merged".to_string(),
    }
}

/// The ascent in `r`, `None` when it stopped before writing its champions.
fn ascent_run(r: &RunDir, c: &AscentRunFile) -> Result<Option<AscentRun>> {
    if !r.dir.join("champions.csv").exists() {
        return Ok(None);
    }
    let champs = crate::rundir::champions::read(&r.dir)?;
    let conf: Vec<f32> = champs.iter().map(|c| c.confidence).collect();
    if conf.is_empty() {
        return Err(Error::Data {
            path: r.dir.join("champions.csv"),
            message: "no champions".into(),
        });
    }
    Ok(Some(AscentRun {
        dir: r.dir.clone(),
        net: c.net.clone(),
        classes: conf.len(),
        stats: Stats::of(&conf),
        command: r.command(),
    }))
}
