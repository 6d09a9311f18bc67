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
    use crate::report::runs::{csv_rows, field};
    let path = dir.join("ablate.csv");
    let rows = csv_rows(&path)?;
    let mut out = Vec::with_capacity(rows.len());
    let mut sizes = None;
    for (i, row) in rows.iter().enumerate() {
        let bad = |message: String| Error::Data {
            path: path.clone(),
            message: format!("line {}: {message}", i + 2),
        };
        let at = |e: Error| match e {
            Error::Data { message, .. } => bad(message),
            other => bad(other.to_string()),
        };
        let probability = |key: &str| -> Result<f32> {
            let v: f32 = field(&path, row, key).map_err(at)?;
            if (0.0..=1.0).contains(&v) {
                Ok(v)
            } else {
                Err(bad(format!("{key} {v} is not a probability")))
            }
        };
        let file = |key: &str| -> Result<String> {
            let v: String = field(&path, row, key).map_err(at)?;
            if crate::rundir::champions::inside(&v) {
                Ok(v)
            } else {
                Err(bad(format!(
                    "{key} {v:?} is not a path inside the run directory"
                )))
            }
        };
        let (patch, stride): (usize, usize) = (
            field(&path, row, "patch").map_err(at)?,
            field(&path, row, "stride").map_err(at)?,
        );
        if patch == 0 || stride == 0 || sizes.is_some_and(|s| s != (patch, stride)) {
            return Err(bad(format!(
                "patch {patch} and stride {stride}: each at least 1, the same on every line"
            )));
        }
        sizes = Some((patch, stride));
        let copies: String = field(&path, row, "copies").map_err(at)?;
        let repetition = match copies.as_str() {
            "" => None,
            _ => {
                let copies: usize = field(&path, row, "copies").map_err(at)?;
                Some(if copies < 2 {
                    RepetitionTest {
                        copies,
                        period: (0, 0),
                        confidence: [f32::NAN; 3],
                        images: Default::default(),
                    }
                } else {
                    RepetitionTest {
                        copies,
                        period: (
                            field(&path, row, "period_y").map_err(at)?,
                            field(&path, row, "period_x").map_err(at)?,
                        ),
                        confidence: [
                            probability("confidence_one_removed")?,
                            probability("confidence_half_removed")?,
                            probability("confidence_all_but_one")?,
                        ],
                        images: [
                            file("image_one_removed")?,
                            file("image_half_removed")?,
                            file("image_all_but_one")?,
                        ],
                    }
                })
            }
        };
        out.push(Ablated {
            champion: Champion {
                class: field(&path, row, "class").map_err(at)?,
                label: field(&path, row, "label").map_err(at)?,
                confidence: probability("confidence_recorded")?,
                image: file("image")?,
            },
            confidence: probability("confidence")?,
            occlusion_min: probability("occlusion_min")?,
            worst: (
                field(&path, row, "occlusion_worst_y").map_err(at)?,
                field(&path, row, "occlusion_worst_x").map_err(at)?,
            ),
            occlusion_mean_drop: field(&path, row, "occlusion_mean_drop").map_err(at)?,
            heatmap: file("heatmap")?,
            repetition,
        });
    }
    let (patch, stride) = sizes.ok_or_else(|| Error::Data {
        path: path.clone(),
        message: "no champions".into(),
    })?;
    Ok((patch, stride, out))
}
