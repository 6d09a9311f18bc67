//! `ablate.csv`: a row per champion of an ablated run ([`AblateLine`], through serde and the
//! `csv` crate), written atomically and read back (by `fooling report`) with every value
//! checked.

use super::{Ablated, RepetitionTest};
use crate::error::{Error, Result};
use crate::io::write_atomic;
use crate::rundir::champions::Champion;
use crate::rundir::rows::{plain, plain_opt};
use std::path::Path;

/// The header of `ablate.csv` ([`AblateLine`]'s fields).
pub const ABLATE_HEADER: &str = "class,label,confidence_recorded,image,confidence,patch,stride,occlusion_min,occlusion_mean_drop,occlusion_worst_y,occlusion_worst_x,heatmap,copies,period_y,period_x,confidence_one_removed,confidence_half_removed,confidence_all_but_one,image_one_removed,image_half_removed,image_all_but_one";

/// A row of `ablate.csv`. The repetition test's columns are empty for a champion of the
/// direct encoding (not tested), and all but `copies` for one without repeats.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AblateLine {
    pub class: usize,
    pub label: String,
    #[serde(serialize_with = "plain")]
    pub confidence_recorded: f32,
    pub image: String,
    #[serde(serialize_with = "plain")]
    pub confidence: f32,
    pub patch: usize,
    pub stride: usize,
    #[serde(serialize_with = "plain")]
    pub occlusion_min: f32,
    #[serde(serialize_with = "plain")]
    pub occlusion_mean_drop: f32,
    pub occlusion_worst_y: usize,
    pub occlusion_worst_x: usize,
    pub heatmap: String,
    pub copies: Option<usize>,
    pub period_y: Option<i32>,
    pub period_x: Option<i32>,
    #[serde(serialize_with = "plain_opt")]
    pub confidence_one_removed: Option<f32>,
    #[serde(serialize_with = "plain_opt")]
    pub confidence_half_removed: Option<f32>,
    #[serde(serialize_with = "plain_opt")]
    pub confidence_all_but_one: Option<f32>,
    pub image_one_removed: Option<String>,
    pub image_half_removed: Option<String>,
    pub image_all_but_one: Option<String>,
}

impl AblateLine {
    fn new(r: &Ablated, patch: usize, stride: usize) -> AblateLine {
        let c = &r.champion;
        let mut line = AblateLine {
            class: c.class,
            label: c.label.clone(),
            confidence_recorded: c.confidence,
            image: c.image.clone(),
            confidence: r.confidence,
            patch,
            stride,
            occlusion_min: r.occlusion_min,
            occlusion_mean_drop: r.occlusion_mean_drop,
            occlusion_worst_y: r.worst.0,
            occlusion_worst_x: r.worst.1,
            heatmap: r.heatmap.clone(),
            ..AblateLine::default()
        };
        if let Some(t) = &r.repetition {
            line.copies = Some(t.copies);
            if t.copies >= 2 {
                let [one, half, all] = t.confidence;
                let [i1, ih, ia] = t.images.clone();
                line.period_y = Some(t.period.0);
                line.period_x = Some(t.period.1);
                line.confidence_one_removed = Some(one);
                line.confidence_half_removed = Some(half);
                line.confidence_all_but_one = Some(all);
                line.image_one_removed = Some(i1);
                line.image_half_removed = Some(ih);
                line.image_all_but_one = Some(ia);
            }
        }
        line
    }
}

/// Writes `ablate.csv` atomically.
pub(super) fn write_ablate(
    path: &Path,
    patch: usize,
    stride: usize,
    rows: &[Ablated],
) -> Result<()> {
    let lines: Vec<AblateLine> = rows
        .iter()
        .map(|r| AblateLine::new(r, patch, stride))
        .collect();
    let csv = crate::rundir::rows::text(path, ABLATE_HEADER, &lines)?;
    write_atomic(path, csv.as_bytes())
}

/// An ablation read back from `dir/ablate.csv`: its patch, stride and rows. Every value is
/// checked as the command would check it; an error names the file and line.
pub fn read_ablate(dir: &Path) -> Result<(usize, usize, Vec<Ablated>)> {
    let path = dir.join("ablate.csv");
    let lines: Vec<AblateLine> = crate::rundir::rows::read(&path)?;
    let mut out = Vec::with_capacity(lines.len());
    let mut sizes = None;
    for (i, row) in lines.iter().enumerate() {
        let check = Check {
            path: &path,
            number: i + 2,
        };
        let (patch, stride) = (row.patch, row.stride);
        if patch == 0 || stride == 0 || sizes.is_some_and(|s| s != (patch, stride)) {
            return Err(check.bad(format!(
                "patch {patch} and stride {stride}: each at least 1, the same on every line"
            )));
        }
        sizes = Some((patch, stride));
        out.push(check.ablated(row)?);
    }
    let (patch, stride) = sizes.ok_or_else(|| Error::Data {
        path: path.clone(),
        message: "no champions".into(),
    })?;
    Ok((patch, stride, out))
}

/// The checks of a line of `ablate.csv`.
struct Check<'a> {
    path: &'a Path,
    number: usize,
}

impl Check<'_> {
    fn bad(&self, message: String) -> Error {
        Error::Data {
            path: self.path.into(),
            message: format!("line {}: {message}", self.number),
        }
    }

    fn probability(&self, key: &str, v: f32) -> Result<f32> {
        if (0.0..=1.0).contains(&v) {
            Ok(v)
        } else {
            Err(self.bad(format!("{key} {v} is not a probability")))
        }
    }

    /// A file of the run: a path inside its directory.
    fn file(&self, key: &str, v: &str) -> Result<String> {
        if crate::rundir::champions::inside(v) {
            Ok(v.to_string())
        } else {
            Err(self.bad(format!(
                "{key} {v:?} is not a path inside the run directory"
            )))
        }
    }

    /// A column the repetition test fills when it found copies.
    fn given<T: Clone>(&self, key: &str, v: &Option<T>) -> Result<T> {
        v.clone()
            .ok_or_else(|| self.bad(format!("{key} is empty, but copies is at least 2")))
    }

    fn ablated(&self, r: &AblateLine) -> Result<Ablated> {
        Ok(Ablated {
            champion: Champion {
                class: r.class,
                label: r.label.clone(),
                confidence: self.probability("confidence_recorded", r.confidence_recorded)?,
                image: self.file("image", &r.image)?,
            },
            confidence: self.probability("confidence", r.confidence)?,
            occlusion_min: self.probability("occlusion_min", r.occlusion_min)?,
            worst: (r.occlusion_worst_y, r.occlusion_worst_x),
            occlusion_mean_drop: r.occlusion_mean_drop,
            heatmap: self.file("heatmap", &r.heatmap)?,
            repetition: self.repetition(r)?,
        })
    }

    /// The repetition test: none for a run of the direct encoding (copies empty), no
    /// repeats found (fewer than 2 copies), or the confidences with repeats removed.
    fn repetition(&self, r: &AblateLine) -> Result<Option<RepetitionTest>> {
        let Some(copies) = r.copies else {
            return Ok(None);
        };
        if copies < 2 {
            return Ok(Some(RepetitionTest {
                copies,
                period: (0, 0),
                confidence: [f32::NAN; 3],
                images: Default::default(),
            }));
        }
        let p = |key: &str, v: &Option<f32>| self.probability(key, self.given(key, v)?);
        let f = |key: &str, v: &Option<String>| self.file(key, &self.given(key, v)?);
        Ok(Some(RepetitionTest {
            copies,
            period: (
                self.given("period_y", &r.period_y)?,
                self.given("period_x", &r.period_x)?,
            ),
            confidence: [
                p("confidence_one_removed", &r.confidence_one_removed)?,
                p("confidence_half_removed", &r.confidence_half_removed)?,
                p("confidence_all_but_one", &r.confidence_all_but_one)?,
            ],
            images: [
                f("image_one_removed", &r.image_one_removed)?,
                f("image_half_removed", &r.image_half_removed)?,
                f("image_all_but_one", &r.image_all_but_one)?,
            ],
        }))
    }
}
