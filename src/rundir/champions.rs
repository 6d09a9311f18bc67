//! A run's champions: `champions.csv` (a row per class: class, label, confidence, image, then
//! the columns of the kind of run), `archive/` (a PNG per class) and `gallery.png`. Written
//! by [`write`] for evolution, gradient ascent and merged runs alike, as serde rows through
//! the `csv` crate (a label's commas and quotes are quoted, not altered); read by [`read`].

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
    let header: Vec<&str> = COLUMNS
        .iter()
        .chain(layout.extra_columns)
        .copied()
        .collect();
    let mut text = crate::rundir::rows::line(&csv_path, &header)?;
    let mut tiles = Vec::with_capacity(entries.len());
    for e in entries {
        let name = image_name(e.class, e.label);
        match e.png {
            Some(bytes) => write_atomic(&dir.join(&name), bytes)?,
            None => save_png(&dir.join(&name), e.pixels, layout.width, layout.height)?,
        }
        let row = ChampionLine {
            class: e.class,
            label: e.label,
            confidence: e.confidence,
            image: &name,
            extra: &e.extra,
        };
        text.push_str(&crate::rundir::rows::line(&csv_path, &row)?);
        tiles.push(Tile {
            pixels: e.pixels,
            caption: e.label.to_string(),
            sub: format!("{:.5}%", e.confidence as f64 * 100.0),
        });
    }
    write_atomic(&csv_path, text.as_bytes())?;
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

/// A row of `champions.csv` as written: the four columns every run has, then the values of
/// its kind's own.
#[derive(serde::Serialize)]
struct ChampionLine<'a> {
    class: usize,
    label: &'a str,
    #[serde(serialize_with = "crate::rundir::rows::plain")]
    confidence: f32,
    image: &'a str,
    extra: &'a [String],
}

/// One row of a run's `champions.csv` (evolution or ascent): the first four columns.
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
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

/// Reads `dir/champions.csv`: its first four columns by name, each row checked (a
/// probability, each class once, an image inside the run).
pub fn read(dir: &Path) -> Result<Vec<Champion>> {
    let path = dir.join("champions.csv");
    let header = |h: &csv::StringRecord| {
        (h.len() < 4 || h.iter().take(4).ne(COLUMNS)).then(|| {
            format!(
                "expected the header class,label,confidence,image…, found {:?}",
                h.iter().collect::<Vec<_>>().join(",")
            )
        })
    };
    let rows: Vec<(u64, Champion)> = crate::rundir::rows::read_lines(&path, &header)?;
    let bad = |line: u64, message: String| Error::Data {
        path: path.clone(),
        message: format!("line {line}: {message}"),
    };
    let mut seen = std::collections::BTreeSet::new();
    rows.into_iter()
        .map(|(line, champion)| {
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
