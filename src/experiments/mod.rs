//! The paper's experiments over runs (docs/paper.md §7 and §8): transfer of champions to
//! other networks ([`transfer`]), ablation of champions (R9, [`ablate`]), merging the
//! archives of several runs cell by cell ([`merge`]), retraining with a fooling class
//! ([`retrain`]), and the whole reproduction as a typed plan ([`reproduce`]). This file reads what every experiment reads of a finished run: its
//! `champions.csv` and `config.toml`.

pub mod ablate;
pub mod merge;
mod recorded;
pub mod reproduce;
pub mod retrain;
pub mod transfer;

use crate::error::{Error, Result};
pub(crate) use recorded::{run_network, RunNetwork};
use std::path::Path;

/// One row of a run's `champions.csv` (evolution or ascent): the first four columns.
#[derive(Clone, Debug, PartialEq)]
pub struct Champion {
    pub class: usize,
    pub label: String,
    pub confidence: f32,
    /// The PNG, relative to the run directory.
    pub image: String,
}

impl Champion {
    /// Its PNG in the run directory `run`: a file inside it, symbolic links resolved.
    pub fn image_path(&self, run: &Path) -> Result<std::path::PathBuf> {
        crate::io::read::inside(
            run,
            Path::new(&self.image),
            &format!("champions.csv's image of class {}", self.class),
        )
    }
}

/// Reads `dir/champions.csv`.
pub fn read_champions(dir: &Path) -> Result<Vec<Champion>> {
    let path = dir.join("champions.csv");
    let text = crate::io::read::read_own_to_string(&path, crate::io::read::TEXT)?;
    let bad = |line: usize, message: String| Error::Data {
        path: path.clone(),
        message: format!("line {line}: {message}"),
    };
    let records = crate::io::csv::records(&text).map_err(|m| Error::Data {
        path: path.clone(),
        message: m,
    })?;
    let mut records = records.into_iter();
    match records.next() {
        Some((_, h)) if h.len() >= 4 && h[..4] == ["class", "label", "confidence", "image"] => {}
        other => {
            return Err(bad(
                1,
                format!(
                    "expected the header class,label,confidence,image…, found {:?}",
                    other.map(|(_, h)| h.join(","))
                ),
            ))
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    records
        .filter(|(_, f)| !(f.len() == 1 && f[0].is_empty()))
        .map(|(line, f)| {
            if f.len() < 4 {
                return Err(bad(
                    line,
                    format!("{} fields, expected at least 4", f.len()),
                ));
            }
            let champion = Champion {
                class: f[0]
                    .parse()
                    .map_err(|e| bad(line, format!("class {:?}: {e}", f[0])))?,
                label: f[1].to_string(),
                confidence: f[2]
                    .parse()
                    .map_err(|e| bad(line, format!("confidence {:?}: {e}", f[2])))?,
                image: f[3].to_string(),
            };
            if !(0.0..=1.0).contains(&champion.confidence) {
                return Err(bad(
                    line,
                    format!("confidence {} is not a probability", champion.confidence),
                ));
            }
            if !seen.insert(champion.class) {
                return Err(bad(line, format!("class {} a second time", champion.class)));
            }
            if !inside(&champion.image) {
                return Err(bad(
                    line,
                    format!(
                        "image {:?} is not a path inside the run directory",
                        champion.image
                    ),
                ));
            }
            Ok(champion)
        })
        .collect()
}

/// Whether `image` is a relative path that stays inside the directory it is relative to (no
/// root, no `..`, no prefix): a `champions.csv` names only its own run's files.
pub(crate) fn inside(image: &str) -> bool {
    use std::path::Component;
    !image.is_empty()
        && Path::new(image)
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

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
