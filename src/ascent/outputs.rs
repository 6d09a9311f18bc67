//! The files an ascent run writes at its end: `archive/` (one PNG per target class),
//! `champions.csv` (with the first iterations above the thresholds) and `gallery.png`.

use super::AscentState;
use crate::error::Result;

/// The columns of an ascent run's `champions.csv` after the four every run has.
const EXTRA_COLUMNS: [&str; 5] = [
    "first_0.99",
    "first_0.999",
    "first_0.9999",
    "confidence_float",
    "best_iteration",
];

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
    use crate::rundir::champions;
    let [c, h, w] = shape;
    let images: Vec<Vec<u8>> = pixels
        .chunks(c * h * w)
        .map(|planes| crate::report::png::interleave(planes, c, order))
        .collect();
    let entries: Vec<champions::Entry<'_>> = classes
        .iter()
        .enumerate()
        .map(|(i, &class)| {
            let first = firsts[i].map(|f| f.map_or(String::new(), |v| v.to_string()));
            champions::Entry {
                class: class as usize,
                label: &labels[class as usize],
                confidence: conf8[i],
                pixels: &images[i],
                png: None,
                extra: vec![
                    first[0].clone(),
                    first[1].clone(),
                    first[2].clone(),
                    states[i].best_prob.to_string(),
                    states[i].best_iter.to_string(),
                ],
            }
        })
        .collect();
    let layout = champions::Layout {
        width: w,
        height: h,
        zoom: (112 / w.max(1)).max(1),
        extra_columns: &EXTRA_COLUMNS,
    };
    champions::write(dir, &layout, &entries)
}
