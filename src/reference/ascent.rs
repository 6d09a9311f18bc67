//! Twin of `shaders/ascent.wgsl`.

/// Twin of `ascent_step`: one step for every item, updating `image`, `input`, `best`,
/// `state` and `history` in place (layouts as in shaders/ascent.wgsl).
#[allow(clippy::too_many_arguments)]
pub fn ascent_step(
    n: usize,
    s: &crate::kernels::Step,
    grad: &[f32],
    prob: &[f32],
    mean: &[f32],
    image: &mut [f32],
    input: &mut [f32],
    best: &mut [f32],
    state: &mut [crate::kernels::AscentState],
    history: &mut [f32],
) {
    let batch = state.len();
    let iterations = history.len() / batch.max(1);
    for item in 0..batch {
        let range = item * n..(item + 1) * n;
        let p = prob[item] as f64;
        let improved = prob[item] > state[item].best_prob;
        let scale = |i: usize| mean[2 * n + i - item * n] as f64;
        let norm2 = range
            .clone()
            .map(|i| (grad[i] as f64 * scale(i)).powi(2))
            .sum::<f64>();
        let desired = (0.1 * (1.0 - p)).min(0.03);
        let lr = if norm2 > 0.0 {
            (desired / norm2).min(s.max_lr as f64)
        } else {
            s.max_lr as f64
        };
        let keep = 1.0 - s.decay as f64;
        for i in range {
            let cur = image[i] as f64;
            if improved {
                best[i] = image[i];
            }
            let m = mean[i - item * n] as f64;
            let next = (m + keep * (cur + lr * scale(i) * grad[i] as f64 - m))
                .clamp(s.lo as f64, s.hi as f64);
            image[i] = next as f32;
            input[i] = ((next - mean[n + i - item * n] as f64) * scale(i)) as f32;
        }
        let st = &mut state[item];
        if improved {
            st.best_prob = prob[item];
            st.best_iter = st.iter;
        }
        if (st.iter as usize) < iterations {
            history[st.iter as usize * batch + item] = prob[item];
        }
        st.iter += 1;
    }
}
