//! The CSV files of the run directories a report reads ([`crate::rundir::RunDir`]), read by
//! their headers' names. A file that cannot be read as its format says is an error naming the file and line.

use crate::error::{Error, Result};
use crate::experiments::retrain::{RetrainLine, RoundRow};
pub use crate::rundir::collect;
use std::collections::BTreeMap;
use std::path::Path;

/// One row of an evolution run's `stats.csv`.
pub use crate::rundir::rows::GenerationRow as StatsRow;

/// An evolution run's `stats.csv`, of a run whose last generation is `last`: generations
/// rising to at most `last`, medians that are probabilities.
pub fn read_stats(dir: &Path, last: u32) -> Result<Vec<StatsRow>> {
    let path = dir.join("stats.csv");
    let rows: Vec<StatsRow> = crate::rundir::rows::read(&path)?;
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
    let lines: Vec<RetrainLine> = crate::rundir::rows::read(&dir.join("retrain.csv"))?;
    Ok(lines.into_iter().map(RoundRow::from).collect())
}
