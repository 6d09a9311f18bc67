//! Twin of `shaders/augment.wgsl`.

use crate::evo::rng::uniform01;
use crate::kernels::Augment;

/// Twin of `augment`: each image of `x` `(batch, c, h, w)` warped by its draws at `step`
/// (f64 geometry, the same f32 draws).
pub fn augment(a: &Augment, seed: u32, step: u32, [c, h, w]: [usize; 3], x: &[f32]) -> Vec<f32> {
    let image = c * h * w;
    let mut y = vec![0.0f32; x.len()];
    for (b, (src, dst)) in x.chunks(image).zip(y.chunks_mut(image)).enumerate() {
        let u = |k| 2.0 * uniform01(seed, step, b as u32, k, 10) as f64 - 1.0;
        let angle = u(0) * (a.rotate as f64).to_radians();
        let scale = 1.0 + u(1) * a.scale as f64;
        let (tx, ty) = (u(2) * a.shift as f64, u(3) * a.shift as f64);
        let (mx, my) = ((w - 1) as f64 / 2.0, (h - 1) as f64 / 2.0);
        let (cos, sin) = (angle.cos(), angle.sin());
        for (plane_in, plane_out) in src.chunks(h * w).zip(dst.chunks_mut(h * w)) {
            let at = |iy: i64, ix: i64| {
                if (0..h as i64).contains(&iy) && (0..w as i64).contains(&ix) {
                    plane_in[iy as usize * w + ix as usize] as f64
                } else {
                    0.0
                }
            };
            for (r, out) in plane_out.iter_mut().enumerate() {
                let dx = ((r % w) as f64 - mx - tx) / scale;
                let dy = ((r / w) as f64 - my - ty) / scale;
                let (sx, sy) = (mx + cos * dx + sin * dy, my - sin * dx + cos * dy);
                let (fx, fy) = (sx.floor(), sy.floor());
                let (ax, ay) = (sx - fx, sy - fy);
                let (ix, iy) = (fx as i64, fy as i64);
                let top = at(iy, ix) * (1.0 - ax) + at(iy, ix + 1) * ax;
                let bottom = at(iy + 1, ix) * (1.0 - ax) + at(iy + 1, ix + 1) * ax;
                *out = (top * (1.0 - ay) + bottom * ay) as f32;
            }
        }
    }
    y
}
