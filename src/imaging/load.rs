//! Reading images for the networks.

use crate::command_line::flag;
use crate::error::{Error, Result};
use std::path::Path;

/// The largest side of an image fooling decodes: past any network's input (ImageNet's are
/// 227–256), and its pixels are far below memory's limits.
pub const MAX_SIDE: u32 = 8192;

/// Decodes `path` (PNG or any format the `image` crate knows): a regular file of at most
/// [`crate::io::read::IMAGE`] bytes, whose size is refused from its header, before any
/// pixel is decoded, when a side is past [`MAX_SIDE`].
fn open(path: &Path) -> Result<image::DynamicImage> {
    Ok(read_image(path)?.1)
}

/// The file `path` as [`open`] reads it: its bytes, and the image they decode to.
pub fn read_image(path: &Path) -> Result<(Vec<u8>, image::DynamicImage)> {
    let bytes = crate::io::read::read(path, crate::io::read::IMAGE)?;
    let bad = |message: String| Error::Image {
        path: path.into(),
        message,
    };
    let reader = image::ImageReader::new(std::io::Cursor::new(&bytes))
        .with_guessed_format()
        .map_err(|e| bad(format!("cannot read: {e}")))?;
    let (w, h) = reader
        .into_dimensions()
        .map_err(|e| bad(format!("cannot read: {e}")))?;
    if w > MAX_SIDE || h > MAX_SIDE {
        return Err(bad(format!(
            "is {w}x{h}: fooling decodes images of at most {MAX_SIDE}x{MAX_SIDE}"
        )));
    }
    let mut reader = image::ImageReader::new(std::io::Cursor::new(&bytes))
        .with_guessed_format()
        .map_err(|e| bad(format!("cannot read: {e}")))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    reader.limits(limits);
    let img = reader
        .decode()
        .map_err(|e| bad(format!("cannot read: {e}")))?;
    Ok((bytes, img))
}

/// `img` at `w × h`: as it is, scaled with a triangle filter when `resize`, else an error
/// naming `path`.
fn fit<P: image::Pixel + 'static>(
    img: image::ImageBuffer<P, Vec<P::Subpixel>>,
    path: &Path,
    w: usize,
    h: usize,
    resize: bool,
) -> Result<image::ImageBuffer<P, Vec<P::Subpixel>>> {
    if (img.width() as usize, img.height() as usize) == (w, h) {
        return Ok(img);
    }
    if !resize {
        let (iw, ih) = (img.width() as usize, img.height() as usize);
        // a colour run's images are larger than the network's input by the crops' margin:
        // scaling one would not score it as the run did
        let crops = if P::CHANNEL_COUNT == 3 && iw == ih && iw > w.max(h) {
            format!(
                "; an image of a colour run is scored as the run scored it with {0} 1 (its \
                 centre) or {0} 10 (for a run with 10 crops)",
                flag("crops")
            )
        } else {
            String::new()
        };
        return Err(Error::Image {
            path: path.into(),
            message: format!(
                "is {iw}x{ih}, the network takes {w}x{h}: pass {} to scale it{crops}",
                flag("resize")
            ),
        });
    }
    Ok(image::imageops::resize(
        &img,
        w as u32,
        h as u32,
        image::imageops::FilterType::Triangle,
    ))
}

/// Reads a PNG (or any format the `image` crate decodes) as `w × h` 8-bit grey, row-major.
/// Colour is converted to luma (Rec. 709 weights); alpha is dropped. An image of another size
/// is an error unless `resize`, which scales it with a triangle filter.
pub fn load_grey(path: &Path, w: usize, h: usize, resize: bool) -> Result<Vec<u8>> {
    Ok(fit(open(path)?.to_luma8(), path, w, h, resize)?.into_raw())
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
    let rgb = fit(open(path)?.to_rgb8(), path, w, h, resize)?;
    Ok(planes(&rgb, order))
}

/// An RGB image as `(3, h, w)` planes in `order`.
fn planes(rgb: &image::RgbImage, order: crate::nn::ChannelOrder) -> Vec<u8> {
    let mut out = Vec::with_capacity(rgb.len());
    for c in order.rgb_channels() {
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
    let img = open(path)?;
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

/// Reads a colour image of any size as `(3, h, w)` 8-bit planes in `order`, with its `(h,
/// w)`.
pub fn load_color_any(
    path: &Path,
    order: crate::nn::ChannelOrder,
) -> Result<(Vec<u8>, [usize; 2])> {
    let rgb = open(path)?.to_rgb8();
    let size = [rgb.height() as usize, rgb.width() as usize];
    Ok((planes(&rgb, order), size))
}

/// An image as a network reads it: `(c, h, w)` 8-bit planes in the network's channel
/// order, before they become input values.
#[derive(Clone, Debug, PartialEq)]
pub struct Planes {
    pub pixels: Vec<u8>,
    pub channels: usize,
    pub h: usize,
    pub w: usize,
}

/// The planes of the image at `path` as `arch` reads it: grey or colour at its input size
/// (scaled when `resize`), or, with `crops`, a colour image of any size at least the input's
/// to take the crops from.
pub fn load_planes(
    arch: &crate::nn::Arch,
    path: &Path,
    resize: bool,
    crops: Option<usize>,
) -> Result<Planes> {
    let [c, h, w] = arch.input;
    if crops.is_some() {
        if c != 3 {
            return Err(Error::Setting {
                value: None,
                key: "crops",
                message: format!(
                    "{} takes grey {w}x{h} images; crops are for ImageNet networks",
                    arch.name
                ),
            });
        }
        let (pixels, [h, w]) = load_color_any(path, arch.pixels.order)?;
        return Ok(Planes {
            pixels,
            channels: 3,
            h,
            w,
        });
    }
    let pixels = if c == 1 {
        load_grey(path, w, h, resize)?
    } else {
        load_color(path, w, h, resize, arch.pixels.order)?
    };
    Ok(Planes {
        pixels,
        channels: c,
        h,
        w,
    })
}

/// The network input of `planes` (as [`load_planes`] gives them): the image itself, or its
/// `crops` crops (`(crops, c, h, w)`, Caffe's oversample order). `path` names the image in
/// errors.
pub fn planes_input(
    arch: &crate::nn::Arch,
    planes: &Planes,
    crops: Option<usize>,
    path: &Path,
) -> Result<Vec<f32>> {
    let Some(n) = crops else {
        return Ok(arch.to_input(&planes.pixels));
    };
    let k = [arch.input[1], arch.input[2]];
    let size = [planes.h, planes.w];
    let mut out = Vec::with_capacity(n * arch.input_len());
    for crop in crate::imaging::crops::crops(size, k, n).map_err(|e| Error::Image {
        path: path.into(),
        message: e.to_string(),
    })? {
        out.extend(arch.to_input(&crate::imaging::crops::cut(&planes.pixels, size, k, crop)));
    }
    Ok(out)
}

/// The network input for the image at `path`: grey or colour as `arch` takes it, at its size
/// (scaled when `resize`), or, with `crops`, the `crops` crops of a larger colour image
/// (`(crops, c, h, w)`, Caffe's oversample order).
pub fn load_input(
    arch: &crate::nn::Arch,
    path: &Path,
    resize: bool,
    crops: Option<usize>,
) -> Result<Vec<f32>> {
    planes_input(arch, &load_planes(arch, path, resize, crops)?, crops, path)
}
