//! Twin of `shaders/gather.wgsl`.

/// Twin of `gather_batch`, on the unpacked bytes: (x, labels).
pub fn gather_batch(
    pixels: usize,
    scale: f32,
    data: &[u8],
    labels: &[u32],
    idx: &[u32],
) -> (Vec<f32>, Vec<u32>) {
    let mut x = Vec::with_capacity(idx.len() * pixels);
    for &i in idx {
        x.extend(
            data[i as usize * pixels..(i as usize + 1) * pixels]
                .iter()
                .map(|&b| b as f32 * scale),
        );
    }
    (x, idx.iter().map(|&i| labels[i as usize]).collect())
}
