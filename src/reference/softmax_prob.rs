//! Twin of `shaders/softmax_prob.wgsl`.

/// Twin of `softmax_prob_bwd`: (dx, p_t per row).
pub fn softmax_prob_bwd(
    rows: usize,
    cols: usize,
    x: &[f32],
    target: &[u32],
) -> (Vec<f32>, Vec<f32>) {
    let mut dx = vec![0f32; rows * cols];
    let mut prob = vec![0f32; rows];
    for r in 0..rows {
        let row = &x[r * cols..(r + 1) * cols];
        let m = row.iter().cloned().fold(f32::MIN, f32::max) as f64;
        let total: f64 = row.iter().map(|&v| (v as f64 - m).exp()).sum();
        let t = (target[r] as usize).min(cols - 1);
        let p = |c: usize| (row[c] as f64 - m).exp() / total;
        let rest: f64 = (0..cols).filter(|&c| c != t).map(p).sum();
        for c in 0..cols {
            dx[r * cols + c] = if c == t { p(t) * rest } else { -p(t) * p(c) } as f32;
        }
        prob[r] = p(t) as f32;
    }
    (dx, prob)
}
