//! The rows of a [`super::Summary`]: one type per table or figure the report shows.

use super::{quantile, ByGeneration, StatsRow};
use crate::evo::Encoding;
use crate::experiments::retrain::RoundRow;
use crate::stats::Stats;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// One evolution run of a group.
#[derive(Clone, Debug)]
pub struct RunRow {
    pub dir: PathBuf,
    pub seed: u32,
    /// The last recorded generation and its figures.
    pub last: StatsRow,
    pub median_at_50: Option<f64>,
    pub command: String,
}

/// Evolution runs against one network with one encoding.
#[derive(Clone, Debug)]
pub struct Group {
    pub net: String,
    pub encoding: Encoding,
    /// The row of the paper's table they answer: R1–R4.
    pub row: &'static str,
    pub runs: Vec<RunRow>,
    /// Over the runs: each's median champion confidence, by generation.
    pub medians: ByGeneration,
    /// One run: its cells' confidences by generation (the band is their quartiles).
    pub cells_of_one: Option<ByGeneration>,
    /// Over the runs, by class: each's champion confidence by generation.
    pub per_class: BTreeMap<usize, ByGeneration>,
    pub cells: usize,
    /// Runs with `cells.csv`, and of them those with every class ≥ 0.9999 by generation 50.
    pub with_cells: usize,
    pub all_by_50: usize,
}

impl Group {
    pub fn title(&self) -> String {
        format!("{} · {} encoding", self.net, self.encoding.name())
    }
}

/// A gradient-ascent run.
#[derive(Clone, Debug)]
pub struct AscentRun {
    pub dir: PathBuf,
    pub net: String,
    pub classes: usize,
    pub stats: Stats,
    pub command: String,
}

/// One `transfer-<target>.csv` of one run.
#[derive(Clone, Debug, PartialEq)]
pub struct TransferRow {
    pub dir: PathBuf,
    pub target: String,
    /// Evolution runs: "NET ENCODING"; ascents: "NET ascent"; else "merged".
    pub group: String,
    pub champions: usize,
    pub source_099: usize,
    pub target_099: usize,
    pub target_09999: usize,
    /// Still the target's top class.
    pub kept: usize,
}

/// The transfers of one kind of run to one target, over runs.
#[derive(Clone, Debug, PartialEq)]
pub struct TransferTally {
    pub group: String,
    pub target: String,
    pub champions: usize,
    pub target_099: usize,
    pub target_09999: usize,
    pub runs: usize,
    pub first: PathBuf,
}

/// The ablation of one run (`ablate.csv`, R9).
#[derive(Clone, Debug)]
pub struct AblationRun {
    pub dir: PathBuf,
    /// As for transfers: "NET ENCODING", "NET ascent" or "merged".
    pub group: String,
    pub patch: usize,
    pub stride: usize,
    pub rows: Vec<crate::experiments::ablate::Ablated>,
    pub tally: crate::experiments::ablate::Tally,
}

impl AblationRun {
    /// The median over the champions with repeated elements of their confidence, and of it
    /// with all copies but one removed.
    pub fn medians(&self) -> (f64, f64) {
        let (mut before, mut after) = crate::experiments::ablate::before_after(&self.rows);
        (quantile(&mut before, 0.5), quantile(&mut after, 0.5))
    }
}

/// A retraining study.
#[derive(Clone, Debug)]
pub struct RetrainStudy {
    pub dir: PathBuf,
    /// The networks the study is to evaluate: DNN_1 and one per round.
    pub networks: usize,
    pub rows: Vec<RoundRow>,
    pub command: String,
}

/// A run the report leaves out of its figures: stopped before its end, or damaged.
#[derive(Clone, Debug, PartialEq)]
pub struct LeftOut {
    pub dir: PathBuf,
    /// Its network.
    pub net: String,
    /// The row of the paper's table it would have counted in (`R1`…), when known.
    pub row: Option<&'static str>,
    /// Why: "stopped at generation g of G", or the damaged file and line.
    pub why: String,
    /// The command that finishes it, when one does.
    pub remedy: Option<String>,
}
