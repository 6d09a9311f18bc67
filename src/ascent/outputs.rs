//! The files an ascent run writes at its end: `archive/` (one PNG per target class),
//! `champions.csv` (with the first iterations above the thresholds) and `gallery.png`.

use super::AscentState;
use crate::error::{Error, Result};

/// The header of an ascent run's `champions.csv`.
pub const CHAMPIONS_HEADER: &str =
    "class,label,confidence,image,first_0.99,first_0.999,first_0.9999,confidence_float,best_iteration";

/// Writes `archive/` (one PNG per target class), `champions.csv` and `gallery.png`:
/// `pixels` holds each class's `(c, h, w)` 8-bit planes in the network's channel `order`;
/// `conf8` is each saved 8-bit image's confidence, re-measured; `states` carry the best
/// float confidence and its iteration; `firsts` the first iterations above 0.99, 0.999 and
/// 0.9999 (empty in the CSV when never reached).
#[allow(clippy::too_many_arguments)]
pub fn write_outputs(
    dir: &std::path::Path,
    labels: &[String],
    classes: &[u32],
    conf8: &[f32],
    states: &[AscentState],
    firsts: &[[Option<u32>; 3]],
    pixels: &[u8],
    shape: [usize; 3],
    order: crate::nn::ChannelOrder,
) -> Result<()> {
    use crate::report::png::{interleave, save_gallery, save_png, Tile};
    let [c, h, w] = shape;
    let archive = dir.join("archive");
    std::fs::create_dir_all(&archive).map_err(|e| Error::io(&archive, e))?;
    let mut csv = format!("{CHAMPIONS_HEADER}\n");
    let images: Vec<Vec<u8>> = pixels
        .chunks(c * h * w)
        .map(|planes| interleave(planes, c, order))
        .collect();
    let mut tiles = Vec::new();
    for (i, &class) in classes.iter().enumerate() {
        let label = &labels[class as usize];
        let name = format!(
            "archive/{class:04}_{}.png",
            crate::evo::run::files::slug(label)
        );
        save_png(&dir.join(&name), &images[i], w, h)?;
        let first = firsts[i].map(|f| f.map_or(String::new(), |v| v.to_string()));
        csv.push_str(&format!(
            "{class},{},{},{name},{},{},{},{},{}\n",
            crate::io::csv::field(label),
            conf8[i],
            first[0],
            first[1],
            first[2],
            states[i].best_prob,
            states[i].best_iter
        ));
        tiles.push(Tile {
            pixels: &images[i],
            caption: label.clone(),
            sub: format!("{:.5}%", conf8[i] as f64 * 100.0),
        });
    }
    crate::io::write_atomic(&dir.join("champions.csv"), csv.as_bytes())?;
    let columns = (classes.len() as f64).sqrt().ceil() as usize;
    let zoom = (112 / w.max(1)).max(1);
    save_gallery(&dir.join("gallery.png"), &tiles, w, h, zoom, columns.max(5))
}
