//! Pictures of results: PNGs of evolved images and a labelled gallery of an archive.

use crate::error::Result;
use crate::io::write_png;
use font8x8::UnicodeFonts;
use std::path::Path;

/// Writes `pixels` (`h × w` 8-bit grey, row-major) as a PNG, atomically.
pub fn save_grey_png(path: &Path, pixels: &[u8], w: usize, h: usize) -> Result<()> {
    let img =
        image::GrayImage::from_raw(w as u32, h as u32, pixels.to_vec()).expect("w × h pixels");
    write_png(path, img.into())
}

/// Draws `text` in the 8×8 public-domain font at (x, y), `scale` pixels per font pixel.
fn draw_text(img: &mut image::RgbImage, x: u32, y: u32, text: &str, scale: u32, ink: u8) {
    for (i, ch) in text.chars().enumerate() {
        let glyph = font8x8::BASIC_FONTS
            .get(ch)
            .or_else(|| font8x8::BASIC_FONTS.get('?'))
            .unwrap();
        for (row, bits) in glyph.iter().enumerate() {
            for col in 0..8 {
                if bits >> col & 1 == 1 {
                    for dy in 0..scale {
                        for dx in 0..scale {
                            let (px, py) = (
                                x + (i as u32 * 8 + col) * scale + dx,
                                y + row as u32 * scale + dy,
                            );
                            if px < img.width() && py < img.height() {
                                img.put_pixel(px, py, image::Rgb([ink; 3]));
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Writes `pixels` (`h × w` 8-bit grey, or `h × w × 3` RGB, row-major) as a PNG, atomically.
pub fn save_png(path: &Path, pixels: &[u8], w: usize, h: usize) -> Result<()> {
    if pixels.len() == w * h {
        return save_grey_png(path, pixels, w, h);
    }
    let img = image::RgbImage::from_raw(w as u32, h as u32, pixels.to_vec()).expect("w × h × 3");
    write_png(path, img.into())
}

/// `(c, h, w)` planes in a network's channel order as a grey image (one channel) or RGB
/// pixels interleaved (three).
pub fn interleave(planes: &[u8], channels: usize, order: crate::nn::ChannelOrder) -> Vec<u8> {
    if channels == 1 {
        return planes.to_vec();
    }
    let n = planes.len() / 3;
    // plane k holds RGB channel src[k], and the orders are their own inverses, so RGB
    // channel c is in plane src[c]
    let src = order.rgb_channels();
    (0..n)
        .flat_map(|i| src.map(|k| planes[k * n + i]))
        .collect()
}

/// One tile of a gallery: `h × w` grey or `h × w × 3` RGB pixels.
pub struct Tile<'a> {
    pub pixels: &'a [u8],
    pub caption: String,
    pub sub: String,
}

/// The largest side of a gallery tile: larger images are shrunk by an integer factor
/// (averaging each block of pixels) so that a gallery of 1000 ImageNet images stays a few
/// thousand pixels wide.
const MAX_TILE: usize = 96;

/// `pixels` (`w × h`, `ch` bytes per pixel) shrunk by `f`, averaging `f × f` blocks.
fn shrink(pixels: &[u8], w: usize, h: usize, ch: usize, f: usize) -> Vec<u8> {
    let (sw, sh) = (w / f, h / f);
    let mut out = Vec::with_capacity(sw * sh * ch);
    for y in 0..sh {
        for x in 0..sw {
            for c in 0..ch {
                let mut sum = 0usize;
                for dy in 0..f {
                    for dx in 0..f {
                        sum += pixels[((y * f + dy) * w + x * f + dx) * ch + c] as usize;
                    }
                }
                out.push(((sum + f * f / 2) / (f * f)) as u8);
            }
        }
    }
    out
}

/// A grid of `w × h` images (grey or RGB), each scaled by `zoom` (or shrunk to at most
/// 96 pixels a side when larger) and captioned with two lines, on a white background;
/// `columns` tiles per row.
pub fn save_gallery(
    path: &Path,
    tiles: &[Tile<'_>],
    w: usize,
    h: usize,
    zoom: usize,
    columns: usize,
) -> Result<()> {
    let f = w.max(h).div_ceil(MAX_TILE);
    if f > 1 {
        let small: Vec<Vec<u8>> = tiles
            .iter()
            .map(|t| shrink(t.pixels, w, h, t.pixels.len() / (w * h), f))
            .collect();
        let tiles: Vec<Tile<'_>> = tiles
            .iter()
            .zip(&small)
            .map(|(t, px)| Tile {
                pixels: px,
                caption: t.caption.clone(),
                sub: t.sub.clone(),
            })
            .collect();
        return save_gallery(path, &tiles, w / f, h / f, 1, columns);
    }
    let (tw, th) = ((w * zoom).max(8 * 12) as u32, (h * zoom) as u32);
    let (pad, text_h) = (8u32, 2 * 10 + 4);
    let cols = columns.max(1).min(tiles.len().max(1)) as u32;
    let rows = (tiles.len() as u32).div_ceil(cols);
    let mut img = image::RgbImage::from_pixel(
        cols * (tw + pad) + pad,
        rows * (th + text_h + pad) + pad,
        image::Rgb([255; 3]),
    );
    for (i, t) in tiles.iter().enumerate() {
        let (cx, cy) = (
            pad + (i as u32 % cols) * (tw + pad),
            pad + (i as u32 / cols) * (th + text_h + pad),
        );
        let x0 = cx + (tw - (w * zoom) as u32) / 2;
        for y in 0..h * zoom {
            for x in 0..w * zoom {
                let k = (y / zoom) * w + x / zoom;
                let rgb = if t.pixels.len() == w * h {
                    [t.pixels[k]; 3]
                } else {
                    [t.pixels[3 * k], t.pixels[3 * k + 1], t.pixels[3 * k + 2]]
                };
                img.put_pixel(x0 + x as u32, cy + y as u32, image::Rgb(rgb));
            }
        }
        let max_chars = (tw / 8) as usize;
        let cut = |s: &str| s.chars().take(max_chars).collect::<String>();
        draw_text(&mut img, cx, cy + th + 3, &cut(&t.caption), 1, 0);
        draw_text(&mut img, cx, cy + th + 13, &cut(&t.sub), 1, 90);
    }
    write_png(path, img.into())
}
