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

/// The `crops` (1 or 10) crops of `crop × crop` from a `size × size` image, in Caffe's
/// order: (0,0), (0,S−K), (S−K,0), (S−K,S−K), the centre ((S−K)/2 both ways), then the
/// mirrors of those five.
pub fn crops(size: usize, crop: usize, crops: usize) -> Result<Vec<Crop>> {
    if crop > size || !(crops == 1 || crops == 10) {
        return Err(Error::Setting {
            key: "crops",
            message: format!(
                "{crops} crops of {crop}x{crop} from {size}x{size}: crops must be 1 or 10 and \
                 no larger than the image"
            ),
        });
    }
    let far = size - crop;
    let five = [(0, 0), (0, far), (far, 0), (far, far), (far / 2, far / 2)];
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

/// `c` planes of a `size × size` image cut to `k`: `(c, k, k)`.
pub fn cut<T: Copy>(planes: &[T], size: usize, k: usize, crop: Crop) -> Vec<T> {
    let c = planes.len() / (size * size);
    let mut out = Vec::with_capacity(c * k * k);
    for ch in 0..c {
        for y in 0..k {
            for x in 0..k {
                let sx = crop.col + if crop.mirror { k - 1 - x } else { x };
                out.push(planes[(ch * size + crop.row + y) * size + sx]);
            }
        }
    }
    out
}
