//! The files of a run directory besides its configuration and checkpoint: `stats.csv` and
//! `cells.csv` (a row per recorded generation), and the outputs written at the end:
//! `archive/` (one PNG per class), `champions.csv` and `gallery.png`.

use crate::error::{Error, Result};
use crate::io::write_atomic;
use std::path::{Path, PathBuf};

pub use crate::rundir::rows::STATS_HEADER;

/// The directory of run `index` of a study in `dir` (`--run-index`).
pub fn study_run(dir: &Path, index: u32) -> PathBuf {
    dir.join(format!("run-{index:03}"))
}

/// The seed of run `index` of a study seeded `seed`: `seed + index`, refused when it does not
/// fit 32 bits (never wrapped onto another run's seed).
pub fn study_seed(seed: u32, index: u32) -> Result<u32> {
    seed.checked_add(index).ok_or_else(|| {
        Error::setting(
            "seed",
            format!("{seed} + run index {index} does not fit 32 bits"),
        )
    })
}

/// Keeps the rows of `stats.csv` and `cells.csv` up to `generation` (a resumed run rewrites
/// what followed its checkpoint; `None`, a run started afresh, keeps none), creating the files with their headers when missing;
/// returns `stats.csv`'s text. `cells` is the number of cells (`cells.csv` has a column each).
pub fn truncate_stats(dir: &Path, generation: Option<u32>, cells: usize) -> Result<String> {
    let cells_header = std::iter::once("generation".to_string())
        .chain((0..cells).map(|c| c.to_string()))
        .collect::<Vec<_>>()
        .join(",");
    truncate_csv(&dir.join("cells.csv"), &cells_header, generation)?;
    truncate_csv(&dir.join("stats.csv"), STATS_HEADER, generation)
}

/// Rewrites `path` with `header` and the rows of generations up to `generation` that have
/// every column (read through the `csv` crate; a row cut short, or that cannot be read, is
/// dropped).
fn truncate_csv(path: &Path, header: &str, generation: Option<u32>) -> Result<String> {
    let mut out = format!("{header}\n");
    let columns = header.split(',').count();
    if let (true, Some(last)) = (path.exists(), generation) {
        let text = crate::io::read::read_own_to_string(path, crate::io::read::MODEL)?;
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        for record in reader.records() {
            let Ok(record) = record else { continue };
            let g = record.get(0).and_then(|g| g.parse::<u32>().ok());
            if record.len() != columns || g.is_none_or(|g| g > last) {
                continue;
            }
            let fields: Vec<_> = record.iter().map(crate::io::csv::field).collect();
            out.push_str(&fields.join(","));
            out.push('\n');
        }
    }
    write_atomic(path, out.as_bytes())?;
    Ok(out)
}

/// A row of `cells.csv` (with its line break): the generation and every cell's confidence.
pub fn cells_row(path: &Path, generation: u32, conf: &[f32]) -> Result<String> {
    let row = crate::rundir::rows::CellsRow {
        generation,
        cells: conf,
    };
    crate::rundir::rows::line(path, &row)
}

/// Writes the champions (`archive/`, `champions.csv`, `gallery.png`) of `w × h` elites, grey
/// or RGB interleaved (`pixels` holds one or three bytes per pixel).
pub fn write_outputs(
    dir: &Path,
    labels: &[String],
    conf: &[f32],
    pixels: &[u8],
    w: usize,
    h: usize,
) -> Result<()> {
    use crate::rundir::champions;
    let n = pixels.len() / labels.len().max(1);
    let entries: Vec<champions::Entry<'_>> = labels
        .iter()
        .enumerate()
        .map(|(c, label)| champions::Entry {
            class: c,
            label,
            confidence: conf[c],
            pixels: &pixels[c * n..(c + 1) * n],
            png: None,
            extra: Vec::new(),
        })
        .collect();
    let layout = champions::Layout {
        width: w,
        height: h,
        zoom: 4,
        extra_columns: &[],
    };
    champions::write(dir, &layout, &entries)
}
