//! Twin of `shaders/blur.wgsl`.

/// Twin of `blur` (both passes): the blurred `(images, h, w)` planes, and the network's
/// input `(blurred − offset) · scale` with the offset and scale from rows 1 and 2 of `mean`.
pub fn blur(shape: [usize; 3], sigma: f32, image: &[f32], mean: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let [c, h, w] = shape;
    let n = c * h * w;
    let r = crate::kernels::blur_radius(sigma) as i64;
    let sigma = sigma as f64;
    let weights: Vec<f64> = (-r..=r)
        .map(|k| (-((k * k) as f64) / (2.0 * sigma * sigma)).exp())
        .collect();
    let total: f64 = weights.iter().sum();
    let at = |v: i64, len: usize| v.clamp(0, len as i64 - 1) as usize;
    let mut rows = vec![0f64; image.len()];
    for (plane, out) in rows.chunks_mut(h * w).enumerate() {
        let src = &image[plane * h * w..(plane + 1) * h * w];
        for y in 0..h {
            for x in 0..w {
                out[y * w + x] = (-r..=r)
                    .map(|k| weights[(k + r) as usize] * src[y * w + at(x as i64 + k, w)] as f64)
                    .sum::<f64>()
                    / total;
            }
        }
    }
    let mut out = vec![0f32; image.len()];
    for (plane, dst) in out.chunks_mut(h * w).enumerate() {
        let src = &rows[plane * h * w..(plane + 1) * h * w];
        for y in 0..h {
            for x in 0..w {
                dst[y * w + x] = ((-r..=r)
                    .map(|k| weights[(k + r) as usize] * src[at(y as i64 + k, h) * w + x])
                    .sum::<f64>()
                    / total) as f32;
            }
        }
    }
    let input = out
        .iter()
        .enumerate()
        .map(|(i, &v)| ((v as f64 - mean[n + i % n] as f64) * mean[2 * n + i % n] as f64) as f32)
        .collect();
    (out, input)
}
