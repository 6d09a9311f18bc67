//! Twin of `shaders/softmax_xent.wgsl`.

/// Twin of `softmax_xent_bwd`: (dx, loss per row).
pub fn softmax_xent_bwd(
    rows: usize,
    cols: usize,
    scale: f32,
    x: &[f32],
    label: &[u32],
) -> (Vec<f32>, Vec<f32>) {
    let mut dx = vec![0f32; rows * cols];
    let mut loss = vec![0f32; rows];
    for r in 0..rows {
        let row = &x[r * cols..(r + 1) * cols];
        let m = row.iter().cloned().fold(f32::MIN, f32::max) as f64;
        let total: f64 = row.iter().map(|&v| (v as f64 - m).exp()).sum();
        let t = (label[r] as usize).min(cols - 1);
        for c in 0..cols {
            let p = (row[c] as f64 - m).exp() / total;
            dx[r * cols + c] = ((p - if c == t { 1.0 } else { 0.0 }) * scale as f64) as f32;
        }
        loss[r] = (total.ln() + m - row[t] as f64) as f32;
    }
    (dx, loss)
}
