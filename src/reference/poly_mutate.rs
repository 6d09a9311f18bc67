//! Twin of `shaders/poly_mutate.wgsl`.

/// Bounded SBX's spread factor (twin of `betaq` in shaders/poly_mutate.wgsl).
fn sbx_betaq(u: f64, d: f64, spread: f64, eta_c: f64) -> f64 {
    let beta = 1.0 + 2.0 * d / spread;
    let tail = beta.powf(-(eta_c + 1.0));
    let alpha = 2.0 - tail;
    let e = 1.0 / (eta_c + 1.0);
    if u <= 1.0 / alpha {
        (u * alpha).powf(e)
    } else {
        (1.0 / (2.0 * (1.0 - u) + u * tail)).powf(e)
    }
}

/// The first offspring of bounded SBX on [0, 1] of `a` (the child's parent) and `b` (its
/// mate), the one on `a`'s side (twin of `sbx` in shaders/poly_mutate.wgsl).
pub fn sbx(a: f32, b: f32, u: f32, eta_c: f32) -> f32 {
    if (a - b).abs() <= 1e-14 {
        return a;
    }
    let (y1, y2) = (a.min(b) as f64, a.max(b) as f64);
    let (spread, u, eta_c) = (y2 - y1, u as f64, eta_c as f64);
    let c1 = (0.5 * ((y1 + y2) - sbx_betaq(u, y1, spread, eta_c) * spread)).clamp(0.0, 1.0);
    let c2 = (0.5 * ((y1 + y2) + sbx_betaq(u, 1.0 - y2, spread, eta_c) * spread)).clamp(0.0, 1.0);
    (if a <= b { c1 } else { c2 }) as f32
}

/// Twin of `poly_mutate`.
pub fn poly_mutate(
    genes: usize,
    m: &crate::kernels::Mutation,
    parents: &[f32],
    parent: &[u32],
    mate: &[u32],
) -> Vec<f32> {
    use crate::evo::rng::uniform01;
    let mut children = Vec::with_capacity(parent.len() * genes);
    for (child, &p) in parent.iter().enumerate() {
        let cross = uniform01(m.seed, m.generation, child as u32, 0, 4) < m.cross_prob;
        for gene in 0..genes {
            let mut g = parents[p as usize * genes + gene];
            if cross && uniform01(m.seed, m.generation, child as u32, gene as u32, 5) < 0.5 {
                let u = uniform01(m.seed, m.generation, child as u32, gene as u32, 6);
                g = sbx(g, parents[mate[child] as usize * genes + gene], u, m.eta_c);
            }
            if uniform01(m.seed, m.generation, child as u32, gene as u32, 0) < m.rate_at() {
                let u = uniform01(m.seed, m.generation, child as u32, gene as u32, 1) as f64;
                let e = 1.0 / (m.eta as f64 + 1.0);
                let delta = if u < 0.5 {
                    (2.0 * u).powf(e) - 1.0
                } else {
                    1.0 - (2.0 * (1.0 - u)).powf(e)
                };
                g = (g as f64 + delta).clamp(0.0, 1.0) as f32;
            }
            children.push(g);
        }
    }
    children
}
