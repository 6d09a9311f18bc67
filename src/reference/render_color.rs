//! Twin of `shaders/render_color.wgsl`.

use crate::imaging::ColorModel;

const SECTORS: [[usize; 3]; 6] = [
    [1, 3, 0],
    [1, 0, 2],
    [3, 0, 1],
    [0, 2, 1],
    [0, 1, 3],
    [2, 1, 0],
];

/// One pixel's colour bytes (in the model's letter order) to (B, G, R) bytes, in f32 as
/// OpenCV computes them (twin of `to_bgr` in shaders/render_color.wgsl).
pub fn color_to_bgr(model: ColorModel, bytes: [u8; 3]) -> [u8; 3] {
    let inv = 1.0f32 / 255.0;
    let (mut h, a, c) = (
        bytes[0] as f32,
        bytes[1] as f32 * inv,
        bytes[2] as f32 * inv,
    );
    let wrap = |mut h: f32| {
        while h < 0.0 {
            h += 6.0;
        }
        while h >= 6.0 {
            h -= 6.0;
        }
        h
    };
    let bgr = match model {
        ColorModel::HlsOpencv => {
            let (l, s) = (a, c);
            if s == 0.0 {
                [l, l, l]
            } else {
                let p2 = if l <= 0.5 {
                    l * (1.0 + s)
                } else {
                    l + s - l * s
                };
                let p1 = 2.0 * l - p2;
                h = wrap(h * (6.0f32 / 180.0));
                let sector = h.floor() as usize;
                h -= sector as f32;
                let tab = [p2, p1, p1 + (p2 - p1) * (1.0 - h), p1 + (p2 - p1) * h];
                SECTORS[sector.min(5)].map(|k| tab[k])
            }
        }
        ColorModel::Hsv => {
            let (s, v) = (a, c);
            if s == 0.0 {
                [v, v, v]
            } else {
                h = wrap(h * (6.0f32 / 255.0));
                let sector = h.floor() as usize;
                h -= sector as f32;
                let tab = [
                    v,
                    v * (1.0 - s),
                    v * (1.0 - s * h),
                    v * (1.0 - s * (1.0 - h)),
                ];
                SECTORS[sector.min(5)].map(|k| tab[k])
            }
        }
    };
    bgr.map(|x| (x * 255.0).round_ties_even().clamp(0.0, 255.0) as u8)
}

/// Twin of `render_color`: genes `(batch, 3, h, w)` (`size` = `(h, w)`; planar, the model's
/// letter order) to BGR pixel values `(batch, 3, h, w)` in 0–255.
pub fn render_color(model: ColorModel, batch: usize, size: [usize; 2], genes: &[f32]) -> Vec<f32> {
    let plane = size[0] * size[1];
    let mut out = vec![0f32; batch * 3 * plane];
    for b in 0..batch {
        for i in 0..plane {
            let byte =
                |c: usize| (genes[(b * 3 + c) * plane + i].clamp(0.0, 1.0) * 255.0).floor() as u8;
            let bgr = color_to_bgr(model, [byte(0), byte(1), byte(2)]);
            for c in 0..3 {
                out[(b * 3 + c) * plane + i] = bgr[c] as f32;
            }
        }
    }
    out
}

/// Twin of `render_color_crops`: genomes `first .. first + items` of `genes` (`(.., 3, H, W)`)
/// to the network's input `(items · crops, 3, L, K)`.
pub fn render_color_crops(
    r: &crate::kernels::ColorRender,
    genes: &[f32],
    first: usize,
    items: usize,
    mean_image: Option<&[f32]>,
) -> Vec<f32> {
    let g = r.genes();
    let bgr = render_color(
        r.model,
        items,
        r.size,
        &genes[first * g..(first + items) * g],
    );
    let crops = crate::imaging::crops::crops(r.size, r.crop, r.crops).expect("valid crops");
    let area = r.crop[0] * r.crop[1];
    let mut out = Vec::with_capacity(items * crops.len() * 3 * area);
    for item in 0..items {
        for &crop in &crops {
            let cut =
                crate::imaging::crops::cut(&bgr[item * g..(item + 1) * g], r.size, r.crop, crop);
            for c in 0..3 {
                let src = if r.rgb { 2 - c } else { c };
                for at in 0..area {
                    let mut v = cut[src * area + at] as f64 - r.mean[c] as f64;
                    if let Some(m) = mean_image {
                        v -= m[c * area + at] as f64;
                    }
                    out.push((v * r.inv_std[c] as f64) as f32);
                }
            }
        }
    }
    out
}
