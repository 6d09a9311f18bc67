//! The rows of a run's CSV files, as types read and written through serde and the `csv`
//! crate: `stats.csv` of an evolution ([`GenerationRow`]) and of an ascent ([`IterationRow`]),
//! `cells.csv` ([`CellsRow`]), and the rows that live with their writers (`champions.csv`,
//! `retrain.csv`, `transfer-<name>.csv`, `ablate.csv`). A header is the row type's field names; a field with a
//! comma or a quote (a label) is quoted, never altered. Reading names the file and the line of
//! a row that does not parse.

use crate::error::{Error, Result};
use crate::stats::Stats;
use serde::{de::DeserializeOwned, Serialize, Serializer};
use std::path::Path;

/// Serialises a float with 6 decimals (confidences).
pub fn dp6<S: Serializer>(v: &f64, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_str(&format_args!("{v:.6}"))
}

/// Serialises a float as Rust prints it (`0.00000910759`, where serde's CSV writes
/// `9.10759e-6`): the form every file of a run has had.
pub fn plain<T: std::fmt::Display, S: Serializer>(
    v: &T,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// [`plain`] for a column that may be empty.
pub fn plain_opt<T: std::fmt::Display, S: Serializer>(
    v: &Option<T>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.collect_str(v),
        None => s.serialize_none(),
    }
}

/// Serialises each float of a column group as Rust prints it (see [`plain`]).
pub fn plain_seq<S: Serializer>(v: &[f32], s: S) -> std::result::Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(v.len()))?;
    for x in v {
        seq.serialize_element(&x.to_string())?;
    }
    seq.end()
}

/// Serialises a float with 4 decimals (accuracies).
pub fn dp4<S: Serializer>(v: &f64, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_str(&format_args!("{v:.4}"))
}

/// Serialises a float with 3 decimals (seconds).
pub fn dp3<S: Serializer>(v: &f64, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_str(&format_args!("{v:.3}"))
}

/// The header of an evolution run's `stats.csv` ([`GenerationRow`]'s fields).
pub const STATS_HEADER: &str =
    "generation,evaluations,median,mean,min,max,n_ge_0.99,n_ge_0.9999,seconds";

/// A row of an evolution run's `stats.csv`: the cells' statistics at a recorded generation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct GenerationRow {
    pub generation: u32,
    #[serde(default)]
    pub evaluations: u64,
    #[serde(serialize_with = "dp6")]
    pub median: f64,
    #[serde(serialize_with = "dp6", default)]
    pub mean: f64,
    #[serde(serialize_with = "dp6", default)]
    pub min: f64,
    #[serde(serialize_with = "dp6", default)]
    pub max: f64,
    #[serde(rename = "n_ge_0.99")]
    pub n_ge_099: usize,
    #[serde(rename = "n_ge_0.9999")]
    pub n_ge_09999: usize,
    /// Seconds since the run started (its earlier sessions' included).
    #[serde(serialize_with = "dp3", default)]
    pub seconds: f64,
}

impl GenerationRow {
    pub fn new(generation: u32, evaluations: u64, s: &Stats, seconds: f64) -> GenerationRow {
        GenerationRow {
            generation,
            evaluations,
            median: s.median,
            mean: s.mean,
            min: s.min,
            max: s.max,
            n_ge_099: s.n_ge_099,
            n_ge_09999: s.n_ge_09999,
            seconds,
        }
    }
}

/// A row of an ascent run's `stats.csv`: the statistics over every class at an iteration.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct IterationRow {
    pub iteration: u32,
    #[serde(serialize_with = "dp6")]
    pub median: f64,
    #[serde(serialize_with = "dp6")]
    pub mean: f64,
    #[serde(serialize_with = "dp6")]
    pub min: f64,
    #[serde(serialize_with = "dp6")]
    pub max: f64,
    #[serde(rename = "n_ge_0.99")]
    pub n_ge_099: usize,
    #[serde(rename = "n_ge_0.9999")]
    pub n_ge_09999: usize,
    #[serde(serialize_with = "dp3")]
    pub seconds: f64,
}

/// A row of `cells.csv`: a recorded generation and every cell's confidence (a column each).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CellsRow<'a> {
    pub generation: u32,
    #[serde(serialize_with = "plain_seq")]
    pub cells: &'a [f32],
}

impl IterationRow {
    pub fn new(iteration: u32, s: &Stats, seconds: f64) -> IterationRow {
        IterationRow {
            iteration,
            median: s.median,
            mean: s.mean,
            min: s.min,
            max: s.max,
            n_ge_099: s.n_ge_099,
            n_ge_09999: s.n_ge_09999,
            seconds,
        }
    }
}

/// The header line of `R`'s rows (no line break).
pub fn header<R: Serialize + Default>() -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    // serialising one row writes the header first
    let _ = w.serialize(R::default());
    let text = String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default();
    text.lines().next().unwrap_or_default().to_string()
}

/// The CSV text of `rows` under their header (`path`, the file it is for, names any error).
pub fn text<R: Serialize>(path: &Path, header: &str, rows: &[R]) -> Result<String> {
    let mut out = format!("{header}\n");
    for r in rows {
        out.push_str(&line(path, r)?);
    }
    Ok(out)
}

/// One row as a CSV line (with its line break), no header.
pub fn line<R: Serialize>(path: &Path, row: &R) -> Result<String> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    let bad = |message: String| Error::Data {
        path: path.into(),
        message,
    };
    w.serialize(row).map_err(|e| bad(e.to_string()))?;
    let bytes = w.into_inner().map_err(|e| bad(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| bad(e.to_string()))
}

/// The rows of the CSV file `path`, each read by its header's names; an empty line is
/// skipped, a row that does not parse is an error naming the line.
pub fn read<R: DeserializeOwned>(path: &Path) -> Result<Vec<R>> {
    Ok(read_lines(path, &|_| None)?
        .into_iter()
        .map(|(_, r)| r)
        .collect())
}

/// [`read`], each row with its line, the header first checked by `header` (`Some(why)`: it is
/// not the file's).
pub fn read_lines<R: DeserializeOwned>(
    path: &Path,
    header: &dyn Fn(&csv::StringRecord) -> Option<String>,
) -> Result<Vec<(u64, R)>> {
    let text = crate::io::read::read_own_to_string(path, crate::io::read::MODEL)?;
    let bad = |message: String| Error::Data {
        path: path.into(),
        message,
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| bad(e.to_string()))?.clone();
    if let Some(why) = header(&headers) {
        return Err(bad(format!("line 1: {why}")));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| bad(e.to_string()))?;
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != headers.len() {
            return Err(bad(format!(
                "line {line}: {} fields, the header has {}",
                record.len(),
                headers.len()
            )));
        }
        let row = record
            .deserialize(Some(&headers))
            .map_err(|e| bad(format!("line {line}: {}", deserialize_error(&e, &headers))))?;
        rows.push((line, row));
    }
    Ok(rows)
}

/// A field that does not parse, named by its column.
fn deserialize_error(e: &csv::Error, headers: &csv::StringRecord) -> String {
    match e.kind() {
        csv::ErrorKind::Deserialize { err, .. } => {
            let column = err
                .field()
                .and_then(|f| headers.get(f as usize))
                .map_or(String::new(), |h| format!("{h}: "));
            format!("{column}{}", err.kind())
        }
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_headers_are_the_rows_fields() {
        use crate::experiments::{retrain, transfer};
        assert_eq!(header::<GenerationRow>(), STATS_HEADER);
        assert_eq!(header::<retrain::RetrainLine>(), retrain::RETRAIN_HEADER);
        assert_eq!(
            header::<transfer::TransferLine>(),
            transfer::TRANSFER_HEADER
        );
        assert_eq!(
            header::<crate::experiments::ablate::AblateLine>(),
            crate::experiments::ablate::ABLATE_HEADER
        );
        assert_eq!(
            header::<IterationRow>(),
            "iteration,median,mean,min,max,n_ge_0.99,n_ge_0.9999,seconds"
        );
    }

    #[test]
    fn rows_round_trip_with_their_decimals() {
        let path = Path::new("stats.csv");
        let row = GenerationRow {
            generation: 3,
            evaluations: 800,
            median: 0.5,
            mean: 0.25,
            min: 0.0,
            max: 1.0,
            n_ge_099: 1,
            n_ge_09999: 0,
            seconds: 1.23456,
        };
        let text = text(path, &header::<GenerationRow>(), &[row]).unwrap();
        assert_eq!(
            text,
            "generation,evaluations,median,mean,min,max,n_ge_0.99,n_ge_0.9999,seconds\n\
             3,800,0.500000,0.250000,0.000000,1.000000,1,0,1.235\n"
        );
        let dir = std::env::temp_dir().join(format!("fooling-rows-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("stats.csv"), &text).unwrap();
        let back: Vec<GenerationRow> = read(&dir.join("stats.csv")).unwrap();
        assert_eq!(
            back,
            [GenerationRow {
                seconds: 1.235,
                ..row
            }]
        );
        std::fs::write(dir.join("stats.csv"), text.replace("0.500000", "half")).unwrap();
        let err = read::<GenerationRow>(&dir.join("stats.csv"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2: median"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
