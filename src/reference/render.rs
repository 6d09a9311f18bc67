//! Twin of `shaders/render.wgsl`.

/// Twin of `render_grey`, with `(mean, inv_std)` = `pixels`.
pub fn render_grey((mean, inv_std): (f32, f32), genes: &[f32]) -> Vec<f32> {
    genes
        .iter()
        .map(|&g| ((g.clamp(0.0, 1.0) * 255.0).floor() - mean) * inv_std)
        .collect()
}
