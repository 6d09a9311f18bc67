//! Twin of `shaders/crop_mean.wgsl`.

/// Twin of `crop_mean`: the mean of each item's `crops` rows of `probs`.
pub fn crop_mean(crops: usize, classes: usize, probs: &[f32]) -> Vec<f32> {
    let items = probs.len() / (crops * classes);
    (0..items * classes)
        .map(|i| {
            let (item, c) = (i / classes, i % classes);
            let sum: f64 = (0..crops)
                .map(|k| probs[(item * crops + k) * classes + c] as f64)
                .sum();
            (sum / crops as f64) as f32
        })
        .collect()
}
