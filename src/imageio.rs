//! Reading images for the networks.

use crate::error::{Error, Result};
use std::path::Path;

/// Reads a PNG (or any format the `image` crate decodes) as `w × h` 8-bit grey, row-major.
/// Colour is converted to luma (Rec. 709 weights); alpha is dropped. An image of another size
/// is an error unless `resize`, which scales it with a triangle filter.
pub fn load_grey(path: &Path, w: usize, h: usize, resize: bool) -> Result<Vec<u8>> {
    let img = image::open(path).map_err(|e| Error::Image {
        path: path.into(),
        message: format!("cannot read: {e}"),
    })?;
    let mut grey = img.to_luma8();
    if (grey.width() as usize, grey.height() as usize) != (w, h) {
        if !resize {
            return Err(Error::Image {
                path: path.into(),
                message: format!(
                    "is {}x{}, the network takes {w}x{h}: pass --resize to scale it",
                    grey.width(),
                    grey.height()
                ),
            });
        }
        grey = image::imageops::resize(
            &grey,
            w as u32,
            h as u32,
            image::imageops::FilterType::Triangle,
        );
    }
    Ok(grey.into_raw())
}

/// Reads a PNG (or any format the `image` crate knows) as `(3, h, w)` 8-bit planes in
/// `order` (grey images are repeated into three channels), scaling it to `w × h` when
/// `resize` allows, and otherwise refusing another size.
pub fn load_color(
    path: &Path,
    w: usize,
    h: usize,
    resize: bool,
    order: crate::nn::ChannelOrder,
) -> Result<Vec<u8>> {
    let img = image::open(path).map_err(|e| Error::Image {
        path: path.into(),
        message: format!("cannot read: {e}"),
    })?;
    let mut rgb = img.to_rgb8();
    if (rgb.width() as usize, rgb.height() as usize) != (w, h) {
        if !resize {
            return Err(Error::Image {
                path: path.into(),
                message: format!(
                    "is {}x{}, the network takes {w}x{h}: pass --resize to scale it",
                    rgb.width(),
                    rgb.height()
                ),
            });
        }
        rgb = image::imageops::resize(
            &rgb,
            w as u32,
            h as u32,
            image::imageops::FilterType::Triangle,
        );
    }
    Ok(planes(&rgb, order))
}

/// An RGB image as `(3, h, w)` planes in `order`.
fn planes(rgb: &image::RgbImage, order: crate::nn::ChannelOrder) -> Vec<u8> {
    let channels: [usize; 3] = match order {
        crate::nn::ChannelOrder::Bgr => [2, 1, 0],
        _ => [0, 1, 2],
    };
    let mut out = Vec::with_capacity(rgb.len());
    for c in channels {
        out.extend(rgb.pixels().map(|p| p.0[c]));
    }
    out
}

/// Reads a colour image of at least `w × h` and takes its centre `w × h` (a 256×256
/// ImageNet mean image gives rows and columns 14..241 for 227×227), as `(3, h, w)` planes
/// in `order`.
pub fn load_color_cropped(
    path: &Path,
    w: usize,
    h: usize,
    order: crate::nn::ChannelOrder,
) -> Result<Vec<u8>> {
    let img = image::open(path).map_err(|e| Error::Image {
        path: path.into(),
        message: format!("cannot read: {e}"),
    })?;
    let (iw, ih) = (img.width() as usize, img.height() as usize);
    if iw < w || ih < h {
        return Err(Error::Image {
            path: path.into(),
            message: format!("is {iw}x{ih}, smaller than the network's {w}x{h}"),
        });
    }
    let crop = img.crop_imm(
        ((iw - w) / 2) as u32,
        ((ih - h) / 2) as u32,
        w as u32,
        h as u32,
    );
    Ok(planes(&crop.to_rgb8(), order))
}
