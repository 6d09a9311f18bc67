//! Twin of `shaders/peak_gather.wgsl`.

/// Twin of `peak_gather` for `n` invocations of `iterations` rounds over `table`.
pub fn peak_gather(table: &[f32], n: usize, iterations: u32) -> Vec<f32> {
    let mask = table.len() - 1;
    let at = |k: usize| table[k & mask] as f64;
    (0..n)
        .map(|i| {
            let (xo, wo) = (i * 4, (i / 16) * 64 + 7);
            let mut total = 0.0;
            for k in 0..iterations as usize {
                let a = xo + k * 16;
                let xsum: f64 = (0..4).map(|j| at(a + j)).sum();
                let b = wo + k * 4;
                total += (0..4).map(|r| at(b + r)).sum::<f64>() * xsum;
            }
            total as f32
        })
        .collect()
}
