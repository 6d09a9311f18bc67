//! Plain-Rust twins of the WGSL kernels: same names, same shapes and layouts, written to be
//! read side by side with the shaders. They accumulate in f64 and are the tests' oracle and
//! the benches' CPU baseline. Nothing here touches the GPU.

use crate::imaging::ColorModel;
use crate::kernels::{Conv2dShape, LinearShape, Pool2dShape};

/// Visits every term of a convolution: `f(xi, wi, yi)` for each input element `x[xi]` that
/// weight `w[wi]` carries into output `y[yi]` (zero padding contributes nothing). The forward
/// and both backward twins are sums over these triples.
fn conv_terms(s: &Conv2dShape, mut f: impl FnMut(usize, usize, usize)) {
    let (oh, ow) = (s.out_h(), s.out_w());
    let (icg, ocg) = (s.in_c / s.groups, s.out_c / s.groups);
    for n in 0..s.batch {
        for oc in 0..s.out_c {
            let g = oc / ocg;
            for oy in 0..oh {
                for ox in 0..ow {
                    let yi = ((n * s.out_c + oc) * oh + oy) * ow + ox;
                    for ic in 0..icg {
                        for ky in 0..s.kh {
                            let iy = (oy * s.stride + ky) as isize - s.pad as isize;
                            if iy < 0 || iy >= s.in_h as isize {
                                continue;
                            }
                            for kx in 0..s.kw {
                                let ix = (ox * s.stride + kx) as isize - s.pad as isize;
                                if ix < 0 || ix >= s.in_w as isize {
                                    continue;
                                }
                                let xi = ((n * s.in_c + g * icg + ic) * s.in_h + iy as usize)
                                    * s.in_w
                                    + ix as usize;
                                f(xi, ((oc * icg + ic) * s.kh + ky) * s.kw + kx, yi);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Twin of `conv2d_fwd`.
pub fn conv2d_fwd(s: &Conv2dShape, relu: bool, x: &[f32], w: &[f32], b: &[f32]) -> Vec<f32> {
    let plane = s.out_h() * s.out_w();
    let mut acc: Vec<f64> = (0..s.output_len())
        .map(|i| b[(i / plane) % s.out_c] as f64)
        .collect();
    conv_terms(s, |xi, wi, yi| acc[yi] += x[xi] as f64 * w[wi] as f64);
    acc.into_iter()
        .map(|v| if relu { v.max(0.0) as f32 } else { v as f32 })
        .collect()
}

/// Twin of `linear_fwd`.
pub fn linear_fwd(s: &LinearShape, relu: bool, x: &[f32], w: &[f32], b: &[f32]) -> Vec<f32> {
    let mut y = vec![0f32; s.batch * s.out_f];
    for n in 0..s.batch {
        let xr = &x[n * s.in_f..(n + 1) * s.in_f];
        for m in 0..s.out_f {
            let wr = &w[m * s.in_f..(m + 1) * s.in_f];
            let mut acc = b[m] as f64;
            for k in 0..s.in_f {
                acc += xr[k] as f64 * wr[k] as f64;
            }
            if relu {
                acc = acc.max(0.0);
            }
            y[n * s.out_f + m] = acc as f32;
        }
    }
    y
}

/// Twin of `maxpool2d_fwd`: (maxima, arg-max index within the input plane).
pub fn maxpool2d_fwd(s: &Pool2dShape, x: &[f32]) -> (Vec<f32>, Vec<u32>) {
    let (oh, ow) = (s.out_h(), s.out_w());
    let mut y = vec![0f32; s.output_len()];
    let mut arg = vec![0u32; s.output_len()];
    for p in 0..s.planes {
        let plane = &x[p * s.in_h * s.in_w..(p + 1) * s.in_h * s.in_w];
        for oy in 0..oh {
            for ox in 0..ow {
                let y0 = (oy * s.stride) as isize - s.pad as isize;
                let x0 = (ox * s.stride) as isize - s.pad as isize;
                let y1 = (y0 + s.kernel as isize).min(s.in_h as isize);
                let x1 = (x0 + s.kernel as isize).min(s.in_w as isize);
                let (mut best, mut at) = (f32::MIN, 0u32);
                for iy in y0.max(0)..y1 {
                    for ix in x0.max(0)..x1 {
                        let i = iy as usize * s.in_w + ix as usize;
                        if plane[i] > best {
                            best = plane[i];
                            at = i as u32;
                        }
                    }
                }
                y[(p * oh + oy) * ow + ox] = best;
                arg[(p * oh + oy) * ow + ox] = at;
            }
        }
    }
    (y, arg)
}

/// Twin of `relu_fwd` (in place).
pub fn relu_fwd(data: &mut [f32]) {
    for v in data {
        *v = v.max(0.0);
    }
}

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

/// Twin of `linear_bwd_input`: dx `(batch, in_f)` = dy · w.
pub fn linear_bwd_input(s: &LinearShape, dy: &[f32], w: &[f32]) -> Vec<f32> {
    let mut dx = vec![0f32; s.batch * s.in_f];
    for n in 0..s.batch {
        for k in 0..s.in_f {
            let mut acc = 0f64;
            for m in 0..s.out_f {
                acc += dy[n * s.out_f + m] as f64 * w[m * s.in_f + k] as f64;
            }
            dx[n * s.in_f + k] = acc as f32;
        }
    }
    dx
}

/// Twin of `linear_bwd_weight`: dw `(out_f, in_f)` = dyᵀ · x.
pub fn linear_bwd_weight(s: &LinearShape, dy: &[f32], x: &[f32]) -> Vec<f32> {
    let mut dw = vec![0f32; s.out_f * s.in_f];
    for m in 0..s.out_f {
        for k in 0..s.in_f {
            let mut acc = 0f64;
            for n in 0..s.batch {
                acc += dy[n * s.out_f + m] as f64 * x[n * s.in_f + k] as f64;
            }
            dw[m * s.in_f + k] = acc as f32;
        }
    }
    dw
}

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

/// Twin of `relu_bwd` (in place on `dy`).
pub fn relu_bwd(y: &[f32], dy: &mut [f32]) {
    for (d, &v) in dy.iter_mut().zip(y) {
        if v <= 0.0 {
            *d = 0.0;
        }
    }
}

/// Twin of `maxpool2d_bwd`: dy routed to each window's arg-max, summed where windows overlap.
pub fn maxpool2d_bwd(s: &Pool2dShape, dy: &[f32], arg: &[u32]) -> Vec<f32> {
    let (oh, ow, plane) = (s.out_h(), s.out_w(), s.in_h * s.in_w);
    let mut dx = vec![0f64; s.input_len()];
    for p in 0..s.planes {
        for o in 0..oh * ow {
            dx[p * plane + arg[p * oh * ow + o] as usize] += dy[p * oh * ow + o] as f64;
        }
    }
    dx.into_iter().map(|v| v as f32).collect()
}

/// Twin of `conv2d_bwd_input`: dx `(batch, in_c, in_h, in_w)`.
pub fn conv2d_bwd_input(s: &Conv2dShape, dy: &[f32], w: &[f32]) -> Vec<f32> {
    let mut dx = vec![0f64; s.input_len()];
    conv_terms(s, |xi, wi, yi| dx[xi] += w[wi] as f64 * dy[yi] as f64);
    dx.into_iter().map(|v| v as f32).collect()
}

/// Twin of `conv2d_bwd_weight`: dw `(out_c, in_c / groups, kh, kw)`.
pub fn conv2d_bwd_weight(s: &Conv2dShape, dy: &[f32], x: &[f32]) -> Vec<f32> {
    let mut dw = vec![0f64; s.weight_len()];
    conv_terms(s, |xi, wi, yi| dw[wi] += x[xi] as f64 * dy[yi] as f64);
    dw.into_iter().map(|v| v as f32).collect()
}

/// Twin of `sgd_update` (in place on `w` and `v`); `hyper` = `[lr, momentum, decay]`.
pub fn sgd_update(
    lr_mult: f32,
    decay_mult: f32,
    g: &[f32],
    hyper: [f32; 3],
    w: &mut [f32],
    v: &mut [f32],
) {
    let (lr, momentum, decay) = (hyper[0] * lr_mult, hyper[1], hyper[2] * decay_mult);
    for i in 0..w.len() {
        let step = momentum * v[i] + lr * (g[i] + decay * w[i]);
        v[i] = step;
        w[i] -= step;
    }
}

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
            if uniform01(m.seed, m.generation, child as u32, gene as u32, 0) < m.rate {
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

/// Twin of `render_grey`.
pub fn render_grey(scale: f32, genes: &[f32]) -> Vec<f32> {
    genes
        .iter()
        .map(|&g| (g.clamp(0.0, 1.0) * 255.0).floor() * scale)
        .collect()
}

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

const SECTORS: [[usize; 3]; 6] = [
    [1, 3, 0],
    [1, 0, 2],
    [3, 0, 1],
    [0, 2, 1],
    [0, 1, 3],
    [2, 1, 0],
];

/// One pixel's colour bytes (in the model's letter order) to (B, G, R) bytes, in f32 as
/// OpenCV computes them (twin of `to_bgr` in shaders/render_color.wgsl).
pub fn color_to_bgr(model: ColorModel, bytes: [u8; 3]) -> [u8; 3] {
    let inv = 1.0f32 / 255.0;
    let (mut h, a, c) = (
        bytes[0] as f32,
        bytes[1] as f32 * inv,
        bytes[2] as f32 * inv,
    );
    let wrap = |mut h: f32| {
        while h < 0.0 {
            h += 6.0;
        }
        while h >= 6.0 {
            h -= 6.0;
        }
        h
    };
    let bgr = match model {
        ColorModel::HlsOpencv => {
            let (l, s) = (a, c);
            if s == 0.0 {
                [l, l, l]
            } else {
                let p2 = if l <= 0.5 {
                    l * (1.0 + s)
                } else {
                    l + s - l * s
                };
                let p1 = 2.0 * l - p2;
                h = wrap(h * (6.0f32 / 180.0));
                let sector = h.floor() as usize;
                h -= sector as f32;
                let tab = [p2, p1, p1 + (p2 - p1) * (1.0 - h), p1 + (p2 - p1) * h];
                SECTORS[sector.min(5)].map(|k| tab[k])
            }
        }
        ColorModel::Hsv => {
            let (s, v) = (a, c);
            if s == 0.0 {
                [v, v, v]
            } else {
                h = wrap(h * (6.0f32 / 255.0));
                let sector = h.floor() as usize;
                h -= sector as f32;
                let tab = [
                    v,
                    v * (1.0 - s),
                    v * (1.0 - s * h),
                    v * (1.0 - s * (1.0 - h)),
                ];
                SECTORS[sector.min(5)].map(|k| tab[k])
            }
        }
    };
    bgr.map(|x| (x * 255.0).round_ties_even().clamp(0.0, 255.0) as u8)
}

/// Twin of `render_color`: genes `(batch, 3, size, size)` (planar, the model's letter order)
/// to BGR pixel values `(batch, 3, size, size)` in 0–255.
pub fn render_color(model: ColorModel, batch: usize, size: usize, genes: &[f32]) -> Vec<f32> {
    let plane = size * size;
    let mut out = vec![0f32; batch * 3 * plane];
    for b in 0..batch {
        for i in 0..plane {
            let byte =
                |c: usize| (genes[(b * 3 + c) * plane + i].clamp(0.0, 1.0) * 255.0).floor() as u8;
            let bgr = color_to_bgr(model, [byte(0), byte(1), byte(2)]);
            for c in 0..3 {
                out[(b * 3 + c) * plane + i] = bgr[c] as f32;
            }
        }
    }
    out
}

/// Twin of `render_color_crops`: genomes `first .. first + items` of `genes` (`(.., 3, S, S)`)
/// to the network's input `(items · crops, 3, K, K)`.
pub fn render_color_crops(
    r: &crate::kernels::ColorRender,
    genes: &[f32],
    first: usize,
    items: usize,
    mean_image: Option<&[f32]>,
) -> Vec<f32> {
    let g = r.genes();
    let bgr = render_color(
        r.model,
        items,
        r.size,
        &genes[first * g..(first + items) * g],
    );
    let crops = crate::imaging::crops::crops(r.size, r.crop, r.crops).expect("valid crops");
    let area = r.crop * r.crop;
    let mut out = Vec::with_capacity(items * crops.len() * 3 * area);
    for item in 0..items {
        for &crop in &crops {
            let cut =
                crate::imaging::crops::cut(&bgr[item * g..(item + 1) * g], r.size, r.crop, crop);
            for c in 0..3 {
                let src = if r.rgb { 2 - c } else { c };
                for at in 0..area {
                    let mut v = cut[src * area + at] as f64 - r.mean[c] as f64;
                    if let Some(m) = mean_image {
                        v -= m[c * area + at] as f64;
                    }
                    out.push((v * r.inv_std[c] as f64) as f32);
                }
            }
        }
    }
    out
}

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
        let scale = s.scale as f64;
        let norm2 = grad[range.clone()]
            .iter()
            .map(|&g| g as f64 * g as f64)
            .sum::<f64>()
            * scale
            * scale;
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
            let next = (m + keep * (cur + lr * scale * grad[i] as f64 - m))
                .clamp(s.lo as f64, s.hi as f64);
            image[i] = next as f32;
            input[i] = ((next - mean[n + i - item * n] as f64) * scale) as f32;
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

/// Twin of `blur` (both passes): the blurred `(images, h, w)` planes, and the network's
/// input `(blurred − offset) · scale` with the offset from row 1 of `mean`.
pub fn blur(
    shape: [usize; 3],
    sigma: f32,
    scale: f32,
    image: &[f32],
    mean: &[f32],
) -> (Vec<f32>, Vec<f32>) {
    let [c, h, w] = shape;
    let n = c * h * w;
    let r = crate::kernels::blur_radius(sigma) as i64;
    let sigma = sigma as f64;
    let weights: Vec<f64> = (-r..=r)
        .map(|k| (-((k * k) as f64) / (2.0 * sigma * sigma)).exp())
        .collect();
    let total: f64 = weights.iter().sum();
    let at = |v: i64, len: usize| v.clamp(0, len as i64 - 1) as usize;
    let mut rows = vec![0f64; image.len()];
    for (plane, out) in rows.chunks_mut(h * w).enumerate() {
        let src = &image[plane * h * w..(plane + 1) * h * w];
        for y in 0..h {
            for x in 0..w {
                out[y * w + x] = (-r..=r)
                    .map(|k| weights[(k + r) as usize] * src[y * w + at(x as i64 + k, w)] as f64)
                    .sum::<f64>()
                    / total;
            }
        }
    }
    let mut out = vec![0f32; image.len()];
    for (plane, dst) in out.chunks_mut(h * w).enumerate() {
        let src = &rows[plane * h * w..(plane + 1) * h * w];
        for y in 0..h {
            for x in 0..w {
                dst[y * w + x] = ((-r..=r)
                    .map(|k| weights[(k + r) as usize] * src[at(y as i64 + k, h) * w + x])
                    .sum::<f64>()
                    / total) as f32;
            }
        }
    }
    let input = out
        .iter()
        .enumerate()
        .map(|(i, &v)| ((v as f64 - mean[n + i % n] as f64) * scale as f64) as f32)
        .collect();
    (out, input)
}

/// The normalising scale `k + α/size · Σ x²` of every element (shared by the LRN twins).
fn lrn_scales(s: &crate::kernels::LrnShape, x: &[f32]) -> Vec<f64> {
    let mut scale = vec![0f64; x.len()];
    for n in 0..s.batch {
        for c in 0..s.channels {
            let (lo, hi) = s.window(c);
            for i in 0..s.spatial {
                let sum: f64 = (lo..hi)
                    .map(|j| (x[(n * s.channels + j) * s.spatial + i] as f64).powi(2))
                    .sum();
                scale[(n * s.channels + c) * s.spatial + i] =
                    s.k as f64 + s.alpha as f64 / s.size as f64 * sum;
            }
        }
    }
    scale
}

/// Twin of `lrn_fwd`.
pub fn lrn_fwd(s: &crate::kernels::LrnShape, x: &[f32]) -> Vec<f32> {
    let scale = lrn_scales(s, x);
    x.iter()
        .zip(&scale)
        .map(|(&v, &sc)| (v as f64 * sc.powf(-s.beta as f64)) as f32)
        .collect()
}

/// Twin of `lrn_bwd`, written as the transpose of the Jacobian: every output `c` sends
/// `dy[c] · ∂y[c]/∂x[j]` to each `j` of its window.
pub fn lrn_bwd(s: &crate::kernels::LrnShape, x: &[f32], dy: &[f32]) -> Vec<f32> {
    let scale = lrn_scales(s, x);
    let (alpha, beta, size) = (s.alpha as f64, s.beta as f64, s.size as f64);
    let mut dx = vec![0f64; x.len()];
    for n in 0..s.batch {
        for c in 0..s.channels {
            let (lo, hi) = s.window(c);
            for i in 0..s.spatial {
                let e = (n * s.channels + c) * s.spatial + i;
                let (g, xc, sc) = (dy[e] as f64, x[e] as f64, scale[e]);
                dx[e] += g * sc.powf(-beta);
                for j in lo..hi {
                    let ej = (n * s.channels + j) * s.spatial + i;
                    dx[ej] -=
                        g * xc * beta * sc.powf(-beta - 1.0) * 2.0 * alpha / size * x[ej] as f64;
                }
            }
        }
    }
    dx.into_iter().map(|v| v as f32).collect()
}

/// Twin of `copy_cols` (into `dst` in place).
pub fn copy_cols(s: &crate::kernels::Cols, src: &[f32], dst: &mut [f32]) {
    for r in 0..s.rows {
        for c in 0..s.width {
            dst[r * s.dst_stride + s.dst_col + c] = src[r * s.src_stride + s.src_col + c];
        }
    }
}

/// Twin of `add_inplace`.
pub fn add_inplace(x: &[f32], y: &mut [f32]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y += x;
    }
}

/// Twin of `dropout` (in place), at training step `step`.
pub fn dropout(m: &crate::kernels::DropoutMask, step: u32, x: &mut [f32]) {
    for (i, v) in x.iter_mut().enumerate() {
        let keep = crate::evo::rng::uniform01(m.seed, step, m.stream, i as u32, 9) >= m.p;
        *v = if keep { *v / (1.0 - m.p) } else { 0.0 };
    }
}
