//! Where a retraining study stands: `state.json` (written atomically after every run and
//! every training) and `retrain.csv` (a row per network).

use super::RetrainConfig;
use crate::error::{Error, Result};
use crate::io::write_atomic;
use std::path::Path;

/// One network of the study.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RoundRow {
    /// k of DNN_k.
    pub network: usize,
    /// Fooling-class images it was trained with (0 for DNN_1).
    pub fooling_images: usize,
    /// Its accuracy on the held-out digits (the extra class counts as wrong).
    pub held_out_accuracy: f64,
    pub runs: usize,
    /// Champions over all runs against it (cells × runs).
    pub champions: usize,
    pub median: f64,
    pub n_ge_099: usize,
    pub n_ge_09999: usize,
}

/// The header of `retrain.csv` ([`RetrainLine`]'s fields).
pub const RETRAIN_HEADER: &str =
    "network,fooling_images,held_out_accuracy,runs,champions,median,n_ge_0.99,n_ge_0.9999";

/// A row of `retrain.csv`: a [`RoundRow`] with the file's decimals (`state.json` holds the
/// same rows as numbers).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RetrainLine {
    pub network: usize,
    pub fooling_images: usize,
    #[serde(serialize_with = "crate::rundir::rows::dp4")]
    pub held_out_accuracy: f64,
    pub runs: usize,
    pub champions: usize,
    #[serde(serialize_with = "crate::rundir::rows::dp6")]
    pub median: f64,
    #[serde(rename = "n_ge_0.99")]
    pub n_ge_099: usize,
    #[serde(rename = "n_ge_0.9999")]
    pub n_ge_09999: usize,
}

impl From<&RoundRow> for RetrainLine {
    fn from(r: &RoundRow) -> RetrainLine {
        RetrainLine {
            network: r.network,
            fooling_images: r.fooling_images,
            held_out_accuracy: r.held_out_accuracy,
            runs: r.runs,
            champions: r.champions,
            median: r.median,
            n_ge_099: r.n_ge_099,
            n_ge_09999: r.n_ge_09999,
        }
    }
}

impl From<RetrainLine> for RoundRow {
    fn from(r: RetrainLine) -> RoundRow {
        RoundRow {
            network: r.network,
            fooling_images: r.fooling_images,
            held_out_accuracy: r.held_out_accuracy,
            runs: r.runs,
            champions: r.champions,
            median: r.median,
            n_ge_099: r.n_ge_099,
            n_ge_09999: r.n_ge_09999,
        }
    }
}

/// Where a study stands (`state.json`).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetrainState {
    /// The network being evolved against (1-based).
    pub network: usize,
    /// Its held-out accuracy.
    pub accuracy: f64,
    /// Fooling-class images it was trained with.
    pub trained_with: usize,
    /// Runs done against it, and their champions' confidences.
    pub runs_done: usize,
    pub run_confs: Vec<f32>,
    /// Fooling images collected so far (`fooling/00000.png` …).
    pub images: usize,
    /// Finished networks.
    pub rows: Vec<RoundRow>,
}

impl RetrainState {
    pub fn load(dir: &Path) -> Result<RetrainState> {
        let path = dir.join("state.json");
        let text = crate::io::read::read_own(&path, crate::io::read::TEXT)?;
        serde_json::from_slice(&text).map_err(|e| Error::Data {
            path,
            message: format!("not a retraining state: {e}"),
        })
    }

    pub(super) fn save(&self, dir: &Path) -> Result<()> {
        write_atomic(
            &dir.join("state.json"),
            &serde_json::to_vec_pretty(self).expect("a state serialises"),
        )
    }

    /// Refuses a state no study of `config` (on `cells` cells) can be in, naming `path`.
    pub(super) fn check(&self, config: &RetrainConfig, cells: usize, path: &Path) -> Result<()> {
        let bad = |message: String| Error::Data {
            path: path.into(),
            message,
        };
        if !(1..=config.rounds + 1).contains(&self.network) {
            return Err(bad(format!(
                "network {} is not one of DNN_1 … DNN_{}",
                self.network,
                config.rounds + 1
            )));
        }
        if self.runs_done > config.runs(self.network, cells) || self.rows.len() > config.rounds + 1
        {
            return Err(bad("more runs or networks than the study has".into()));
        }
        if let Some(c) = self.run_confs.iter().find(|c| !(0.0..=1.0).contains(*c)) {
            return Err(bad(format!(
                "a champion's confidence {c} is not a probability"
            )));
        }
        Ok(())
    }

    /// Whether every network has been measured.
    pub fn done(&self, config: &RetrainConfig) -> bool {
        self.rows.len() > config.rounds
    }
}

pub(super) fn write_csv(dir: &Path, rows: &[RoundRow]) -> Result<()> {
    let path = dir.join("retrain.csv");
    let lines: Vec<RetrainLine> = rows.iter().map(RetrainLine::from).collect();
    let csv = crate::rundir::rows::text(&path, RETRAIN_HEADER, &lines)?;
    write_atomic(&path, csv.as_bytes())
}
