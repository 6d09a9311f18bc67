//! The paper's experiments over runs (docs/paper.md §7 and §8): transfer of champions to
//! other networks ([`transfer`]), ablation of champions (R9, [`ablate`]), merging the
//! archives of several runs cell by cell ([`merge`]), retraining with a fooling class
//! ([`retrain`]), and the whole reproduction as a typed plan ([`reproduce`]). This file reads
//! what every experiment reads of a finished run's `config.toml`; its champions are
//! [`crate::rundir::champions`]'.

pub mod ablate;
pub mod merge;
mod recorded;
pub mod reproduce;
pub mod retrain;
pub mod transfer;

use crate::error::{Error, Result};
pub(crate) use recorded::{run_network, RunNetwork};
use std::path::Path;

/// A run's `config.toml` as a table (evolution and ascent runs both name `net`, `weights`
/// and `weights_sha256`).
pub fn read_config(dir: &Path) -> Result<toml::Table> {
    let path = dir.join("config.toml");
    let text = crate::io::read::read_own_to_string(&path, crate::io::read::TEXT)?;
    text.parse::<toml::Table>().map_err(|e| Error::Data {
        path,
        message: format!("not a run configuration: {e}"),
    })
}

pub(crate) fn config_str(dir: &Path, config: &toml::Table, key: &str) -> Result<String> {
    config
        .get(key)
        .and_then(|v| v.as_str())
        .map(String::from)
        .ok_or_else(|| Error::Data {
            path: dir.join("config.toml"),
            message: format!("no '{key}'"),
        })
}

/// The crops a run scored its champions with (`[color] crops` of an ImageNet evolution run).
pub fn run_crops(config: &toml::Table) -> Option<usize> {
    config
        .get("color")?
        .get("crops")?
        .as_integer()
        .map(|c| c as usize)
}
