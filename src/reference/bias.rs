//! Twin of `shaders/bias.wgsl`.

/// Twin of `bias_bwd`: db `(channels)` = Σ over images and positions of dy.
pub fn bias_bwd(batch: usize, channels: usize, spatial: usize, dy: &[f32]) -> Vec<f32> {
    (0..channels)
        .map(|c| {
            let mut acc = 0f64;
            for n in 0..batch {
                for s in 0..spatial {
                    acc += dy[(n * channels + c) * spatial + s] as f64;
                }
            }
            acc as f32
        })
        .collect()
}
