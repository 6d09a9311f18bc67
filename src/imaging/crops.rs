//! Caffe's crops of an ImageNet image (docs/paper.md §5): `oversample`'s ten (the four
//! corners, the centre, and the horizontal mirror of each) or the centre alone. The device
//! kernel (shaders/render_color.wgsl) and `fooling classify --crops` take the same crops.

use crate::error::{Error, Result};

/// One crop: its top-left corner and whether it is mirrored left to right.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Crop {
    pub row: usize,
    pub col: usize,
    pub mirror: bool,
}

/// The `crops` (1 or 10) crops of `crop` `(height, width)` from an image of `size` `(height,
/// width)`, in Caffe's order for an H × W image and L × K crops, as (row, column): (0,0),
/// (0,W−K), (H−L,0), (H−L,W−K), the centre ((H−L)/2, (W−K)/2), then the mirrors of those five.
pub fn crops(size: [usize; 2], crop: [usize; 2], crops: usize) -> Result<Vec<Crop>> {
    if crop[0] > size[0] || crop[1] > size[1] || !(crops == 1 || crops == 10) {
        return Err(Error::Setting {
            value: None,
            key: "crops",
            message: format!(
                "{crops} crops of {}x{} from {}x{}: crops must be 1 or 10 and no larger than \
                 the image",
                crop[1], crop[0], size[1], size[0]
            ),
        });
    }
    let (fh, fw) = (size[0] - crop[0], size[1] - crop[1]);
    let five = [(0, 0), (0, fw), (fh, 0), (fh, fw), (fh / 2, fw / 2)];
    let at = |(row, col): (usize, usize), mirror| Crop { row, col, mirror };
    Ok(if crops == 1 {
        vec![at(five[4], false)]
    } else {
        [false, true]
            .iter()
            .flat_map(|&m| five.iter().map(move |&c| at(c, m)))
            .collect()
    })
}

/// `c` planes of an image of `size` `(height, width)` cut to `k` `(height, width)`: `(c, k[0],
/// k[1])`.
pub fn cut<T: Copy>(planes: &[T], size: [usize; 2], k: [usize; 2], crop: Crop) -> Vec<T> {
    let [h, w] = size;
    let c = planes.len() / (h * w);
    let mut out = Vec::with_capacity(c * k[0] * k[1]);
    for ch in 0..c {
        for y in 0..k[0] {
            for x in 0..k[1] {
                let sx = crop.col + if crop.mirror { k[1] - 1 - x } else { x };
                out.push(planes[(ch * h + crop.row + y) * w + sx]);
            }
        }
    }
    out
}
