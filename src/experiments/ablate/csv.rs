//! `ablate.csv`: a row per champion of an ablated run, written atomically and read back
//! (by `fooling report`) with every value checked.

use super::{Ablated, RepetitionTest};
use crate::error::{Error, Result};
use crate::io::write_atomic;
use crate::rundir::champions::Champion;
use std::path::Path;

/// The header of `ablate.csv`.
pub const ABLATE_HEADER: &str = "class,label,confidence_recorded,image,confidence,patch,stride,occlusion_min,occlusion_mean_drop,occlusion_worst_y,occlusion_worst_x,heatmap,copies,period_y,period_x,confidence_one_removed,confidence_half_removed,confidence_all_but_one,image_one_removed,image_half_removed,image_all_but_one";

/// Writes `ablate.csv` atomically.
pub(super) fn write_ablate(
    path: &Path,
    patch: usize,
    stride: usize,
    rows: &[Ablated],
) -> Result<()> {
    let mut csv = format!("{ABLATE_HEADER}\n");
    for r in rows {
        let c = &r.champion;
        let rep = match &r.repetition {
            None => ",,,,,,,,".to_string(),
            Some(t) if t.copies < 2 => format!("{},,,,,,,,", t.copies),
            Some(t) => format!(
                "{},{},{},{},{},{},{},{},{}",
                t.copies,
                t.period.0,
                t.period.1,
                t.confidence[0],
                t.confidence[1],
                t.confidence[2],
                t.images[0],
                t.images[1],
                t.images[2]
            ),
        };
        csv.push_str(&format!(
            "{},{},{},{},{},{patch},{stride},{},{},{},{},{},{rep}\n",
            c.class,
            crate::io::csv::field(&c.label),
            c.confidence,
            c.image,
            r.confidence,
            r.occlusion_min,
            r.occlusion_mean_drop,
            r.worst.0,
            r.worst.1,
            r.heatmap
        ));
    }
    write_atomic(path, csv.as_bytes())
}

/// An ablation read back from `dir/ablate.csv`: its patch, stride and rows. Every value is
/// checked as the command would check it; an error names the file and line.
pub fn read_ablate(dir: &Path) -> Result<(usize, usize, Vec<Ablated>)> {
    let path = dir.join("ablate.csv");
    let rows = crate::report::runs::csv_rows(&path)?;
    let mut out = Vec::with_capacity(rows.len());
    let mut sizes = None;
    for (i, row) in rows.iter().enumerate() {
        let line = Line {
            path: &path,
            row,
            number: i + 2,
        };
        let (patch, stride): (usize, usize) = (line.get("patch")?, line.get("stride")?);
        if patch == 0 || stride == 0 || sizes.is_some_and(|s| s != (patch, stride)) {
            return Err(line.bad(format!(
                "patch {patch} and stride {stride}: each at least 1, the same on every line"
            )));
        }
        sizes = Some((patch, stride));
        out.push(line.ablated()?);
    }
    let (patch, stride) = sizes.ok_or_else(|| Error::Data {
        path: path.clone(),
        message: "no champions".into(),
    })?;
    Ok((patch, stride, out))
}

/// A line of `ablate.csv`, its values read and checked by name.
struct Line<'a> {
    path: &'a Path,
    row: &'a std::collections::BTreeMap<String, String>,
    number: usize,
}

impl Line<'_> {
    fn bad(&self, message: String) -> Error {
        Error::Data {
            path: self.path.into(),
            message: format!("line {}: {message}", self.number),
        }
    }

    fn get<T: std::str::FromStr>(&self, key: &str) -> Result<T>
    where
        T::Err: std::fmt::Display,
    {
        crate::report::runs::field(self.path, self.row, key).map_err(|e| match e {
            Error::Data { message, .. } => self.bad(message),
            other => self.bad(other.to_string()),
        })
    }

    fn probability(&self, key: &str) -> Result<f32> {
        let v: f32 = self.get(key)?;
        if (0.0..=1.0).contains(&v) {
            Ok(v)
        } else {
            Err(self.bad(format!("{key} {v} is not a probability")))
        }
    }

    /// A file of the run: a path inside its directory.
    fn file(&self, key: &str) -> Result<String> {
        let v: String = self.get(key)?;
        if crate::rundir::champions::inside(&v) {
            Ok(v)
        } else {
            Err(self.bad(format!(
                "{key} {v:?} is not a path inside the run directory"
            )))
        }
    }

    fn ablated(&self) -> Result<Ablated> {
        Ok(Ablated {
            champion: Champion {
                class: self.get("class")?,
                label: self.get("label")?,
                confidence: self.probability("confidence_recorded")?,
                image: self.file("image")?,
            },
            confidence: self.probability("confidence")?,
            occlusion_min: self.probability("occlusion_min")?,
            worst: (
                self.get("occlusion_worst_y")?,
                self.get("occlusion_worst_x")?,
            ),
            occlusion_mean_drop: self.get("occlusion_mean_drop")?,
            heatmap: self.file("heatmap")?,
            repetition: self.repetition()?,
        })
    }

    /// The repetition test: none for a run of the direct encoding (copies empty), no
    /// repeats found (fewer than 2 copies), or the confidences with repeats removed.
    fn repetition(&self) -> Result<Option<RepetitionTest>> {
        let copies: String = self.get("copies")?;
        if copies.is_empty() {
            return Ok(None);
        }
        let copies: usize = self.get("copies")?;
        Ok(Some(if copies < 2 {
            RepetitionTest {
                copies,
                period: (0, 0),
                confidence: [f32::NAN; 3],
                images: Default::default(),
            }
        } else {
            RepetitionTest {
                copies,
                period: (self.get("period_y")?, self.get("period_x")?),
                confidence: [
                    self.probability("confidence_one_removed")?,
                    self.probability("confidence_half_removed")?,
                    self.probability("confidence_all_but_one")?,
                ],
                images: [
                    self.file("image_one_removed")?,
                    self.file("image_half_removed")?,
                    self.file("image_all_but_one")?,
                ],
            }
        }))
    }
}
