//! Twin of `shaders/render.wgsl`.

/// Twin of `render_grey`.
pub fn render_grey(scale: f32, genes: &[f32]) -> Vec<f32> {
    genes
        .iter()
        .map(|&g| (g.clamp(0.0, 1.0) * 255.0).floor() * scale)
        .collect()
}
