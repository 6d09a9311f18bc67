//! A run's champions: `champions.csv` (a row per class: class, label, confidence, image, then
//! the columns of the kind of run), `archive/` (a PNG per class) and `gallery.png`. Written
//! by [`write`] for evolution, gradient ascent and merged runs alike, through the `csv` crate
//! (a label's commas and quotes are quoted, not altered); read by [`read`].

use crate::error::{Error, Result};
use crate::io::write_atomic;
use crate::report::png::{save_gallery, save_png, Tile};
use std::path::Path;

/// Characters of a label that name its PNG; the label itself is kept whole in the CSV.
const MAX_SLUG: usize = 64;

/// File-name-safe form of a label: ASCII letters and digits (lower case), `_` for anything
/// else, at most [`MAX_SLUG`] characters.
pub fn slug(label: &str) -> String {
    label
        .chars()
        .take(MAX_SLUG)
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The PNG of a class's champion in the run directory: `archive/CCCC_slug.png`.
pub fn image_name(class: usize, label: &str) -> String {
    format!("archive/{class:04}_{}.png", slug(label))
}

/// One champion to write: its class, label and confidence, its image (`pixels`, grey or RGB
/// interleaved at the archive's size, for the gallery; `png`, a PNG file to copy as it is,
/// else `pixels` encoded), and the values of the run's own columns.
pub struct Entry<'a> {
    pub class: usize,
    pub label: &'a str,
    pub confidence: f32,
    pub pixels: &'a [u8],
    pub png: Option<&'a [u8]>,
    pub extra: Vec<String>,
}

/// What every champion of a run shares: the images' size, the gallery's zoom, and the names of
/// the run's own columns after the four every run has.
pub struct Layout<'a> {
    pub width: usize,
    pub height: usize,
    pub zoom: usize,
    pub extra_columns: &'a [&'a str],
}

/// The columns every `champions.csv` starts with.
pub const COLUMNS: [&str; 4] = ["class", "label", "confidence", "image"];

/// Writes `dir/archive/` (a PNG per champion), `dir/champions.csv` and `dir/gallery.png`.
pub fn write(dir: &Path, layout: &Layout<'_>, entries: &[Entry<'_>]) -> Result<()> {
    let archive = dir.join("archive");
    std::fs::create_dir_all(&archive).map_err(|e| Error::io(&archive, e))?;
    let csv_path = dir.join("champions.csv");
    let mut csv = csv::Writer::from_writer(Vec::new());
    let header = COLUMNS.iter().chain(layout.extra_columns);
    let bad = |e: csv::Error| Error::Data {
        path: csv_path.clone(),
        message: e.to_string(),
    };
    csv.write_record(header).map_err(bad)?;
    let mut tiles = Vec::with_capacity(entries.len());
    for e in entries {
        let name = image_name(e.class, e.label);
        match e.png {
            Some(bytes) => write_atomic(&dir.join(&name), bytes)?,
            None => save_png(&dir.join(&name), e.pixels, layout.width, layout.height)?,
        }
        let row = [
            e.class.to_string(),
            e.label.to_string(),
            e.confidence.to_string(),
            name,
        ];
        csv.write_record(row.iter().chain(&e.extra)).map_err(bad)?;
        tiles.push(Tile {
            pixels: e.pixels,
            caption: e.label.to_string(),
            sub: format!("{:.5}%", e.confidence as f64 * 100.0),
        });
    }
    let text = csv.into_inner().map_err(|e| Error::Data {
        path: csv_path.clone(),
        message: e.to_string(),
    })?;
    write_atomic(&csv_path, &text)?;
    let columns = (entries.len() as f64).sqrt().ceil() as usize;
    save_gallery(
        &dir.join("gallery.png"),
        &tiles,
        layout.width,
        layout.height,
        layout.zoom,
        columns.max(5),
    )
}

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
pub fn read(dir: &Path) -> Result<Vec<Champion>> {
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
        Some((_, h)) if h.len() >= 4 && h[..4] == COLUMNS => {}
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
