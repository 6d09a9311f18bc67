//! Twin of `shaders/elite.wgsl`.

/// Twin of `elite_select` followed by `elite_copy`, written as the sequential rule: children
/// are offered to every cell one by one in index order and replace an elite they beat
/// strictly. Returns the winners (`u32::MAX` where a cell kept its elite).
pub fn elite_insert(
    batch: usize,
    classes: usize,
    genes: usize,
    probs: &[f32],
    children: &[f32],
    conf: &mut [f32],
    archive: &mut [f32],
) -> Vec<u32> {
    let mut winner = vec![u32::MAX; classes];
    for b in 0..batch {
        for c in 0..classes {
            if probs[b * classes + c] > conf[c] {
                conf[c] = probs[b * classes + c];
                winner[c] = b as u32;
            }
        }
    }
    for (c, &w) in winner.iter().enumerate() {
        if w != u32::MAX {
            archive[c * genes..(c + 1) * genes]
                .copy_from_slice(&children[w as usize * genes..(w as usize + 1) * genes]);
        }
    }
    winner
}
