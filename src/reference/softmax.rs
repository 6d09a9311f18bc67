//! Twin of `shaders/softmax.wgsl`.

/// Twin of `softmax_fwd`.
pub fn softmax_fwd(rows: usize, cols: usize, x: &[f32]) -> Vec<f32> {
    let mut y = vec![0f32; rows * cols];
    for r in 0..rows {
        let row = &x[r * cols..(r + 1) * cols];
        let m = row.iter().cloned().fold(f32::MIN, f32::max) as f64;
        let sum: f64 = row.iter().map(|&v| (v as f64 - m).exp()).sum();
        for c in 0..cols {
            y[r * cols + c] = ((row[c] as f64 - m).exp() / sum) as f32;
        }
    }
    y
}
