//! Launchers of gradient ascent on the input: `ascent_step` (shaders/ascent.wgsl) and the
//! Gaussian `blur` regulariser (shaders/blur.wgsl).

use super::{check_len, shader};
use crate::error::{Error, Result};
use crate::gpu::{grid_for, Dispatch, Gpu, View};

/// The settings of a gradient-ascent step (PAPER.md section 6).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Step {
    /// Network input = (pixel − offset) · scale.
    pub scale: f32,
    /// Each step pulls the image toward the mean image by this fraction (the L2 regulariser).
    pub decay: f32,
    /// The largest step size.
    pub max_lr: f32,
    /// The valid pixel range images are clipped to.
    pub lo: f32,
    pub hi: f32,
}

/// Per item of an ascent batch: the best probability so far, the iteration that reached it,
/// and the iterations done (mirrors `State` in shaders/ascent.wgsl).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct AscentState {
    pub best_prob: f32,
    pub best_iter: u32,
    pub iter: u32,
    pub _pad: u32,
}

impl AscentState {
    /// Before the first iteration: any probability beats it.
    pub const START: AscentState = AscentState {
        best_prob: -1.0,
        best_iter: u32::MAX,
        iter: 0,
        _pad: 0,
    };
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct StepParams {
    batch: u32,
    n: u32,
    iterations: u32,
    _pad0: u32,
    scale: f32,
    decay: f32,
    max_lr: f32,
    lo: f32,
    hi: f32,
    _pad1: [f32; 3],
}

/// One ascent step for each of the `state.len` items of `n` values each (see
/// shaders/ascent.wgsl): `grad`, `image`, `input` and `best` `(batch, n)`, `prob` `(batch)`,
/// `mean` `(2, n)` (the mean image, then the network's input offset), `history`
/// `(iterations, batch)`.
#[allow(clippy::too_many_arguments)]
pub fn ascent_step(
    gpu: &Gpu,
    n: usize,
    s: &Step,
    grad: View<'_>,
    prob: View<'_>,
    mean: View<'_>,
    image: View<'_>,
    input: View<'_>,
    best: View<'_>,
    state: View<'_>,
    history: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "ascent_step";
    let batch = state.len;
    for (what, v) in [
        ("grad", grad),
        ("image", image),
        ("input", input),
        ("best", best),
    ] {
        check_len(K, what, v.len, batch * n)?;
    }
    check_len(K, "prob", prob.len, batch)?;
    check_len(K, "mean", mean.len, 2 * n)?;
    check_len(
        K,
        "history (a multiple of batch)",
        history.len % batch.max(1),
        0,
    )?;
    let grid = grid_for(gpu, K, batch as u64)?;
    let pipeline = gpu.pipeline("ascent.wgsl", shader("ascent.wgsl"), K, &[])?;
    let u = gpu.uniform(
        K,
        &StepParams {
            batch: batch as u32,
            n: n as u32,
            iterations: (history.len / batch.max(1)) as u32,
            _pad0: 0,
            scale: s.scale,
            decay: s.decay,
            max_lr: s.max_lr,
            lo: s.lo,
            hi: s.hi,
            _pad1: [0.0; 3],
        },
    );
    Dispatch::new(
        gpu,
        K,
        pipeline,
        &[
            grad.binding(gpu, "ascent_step grad")?,
            prob.binding(gpu, "ascent_step prob")?,
            mean.binding(gpu, "ascent_step mean")?,
            image.binding(gpu, "ascent_step image")?,
            input.binding(gpu, "ascent_step input")?,
            best.binding(gpu, "ascent_step best")?,
            state.binding(gpu, "ascent_step state")?,
            history.binding(gpu, "ascent_step history")?,
            u.as_entire_binding(),
        ],
        grid,
    )
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct BlurParams {
    images: u32,
    h: u32,
    w: u32,
    radius: u32,
    dir: u32,
    n: u32,
    sigma: f32,
    scale: f32,
}

/// The reach of a Gaussian of `sigma` pixels: weights beyond 3σ are dropped.
pub fn blur_radius(sigma: f32) -> usize {
    (3.0 * sigma).ceil().max(1.0) as usize
}

/// A Gaussian blur (σ = `sigma` pixels) of the `(batch, c, h, w)` images in `image`, in two
/// passes through `scratch` (same size); the second pass also writes the network's input,
/// `(image − offset) · scale` with the offset from row 1 of `mean` `(2, c·h·w)`.
#[allow(clippy::too_many_arguments)]
pub fn blur(
    gpu: &Gpu,
    shape: [usize; 3],
    sigma: f32,
    scale: f32,
    image: View<'_>,
    scratch: View<'_>,
    mean: View<'_>,
    input: View<'_>,
) -> Result<[Dispatch; 2]> {
    const K: &str = "blur";
    let [c, h, w] = shape;
    let n = c * h * w;
    if !(sigma > 0.0 && sigma.is_finite()) {
        return Err(Error::Option {
            option: "--blur-sigma".into(),
            message: format!("must be a positive number of pixels, not {sigma}"),
        });
    }
    check_len(K, "image (a multiple of c·h·w)", image.len % n.max(1), 0)?;
    check_len(K, "scratch", scratch.len, image.len)?;
    check_len(K, "input", input.len, image.len)?;
    check_len(K, "mean", mean.len, 2 * n)?;
    let grid = grid_for(gpu, K, image.len.div_ceil(256) as u64)?;
    let pipeline = gpu.pipeline("blur.wgsl", shader("blur.wgsl"), K, &[])?;
    let pass = |dir: u32, src: View<'_>, dst: View<'_>| {
        let u = gpu.uniform(
            K,
            &BlurParams {
                images: (image.len / (h * w).max(1)) as u32,
                h: h as u32,
                w: w as u32,
                radius: blur_radius(sigma) as u32,
                dir,
                n: n as u32,
                sigma,
                scale,
            },
        );
        Dispatch::new(
            gpu,
            K,
            pipeline.clone(),
            &[
                src.binding(gpu, "blur src")?,
                dst.binding(gpu, "blur dst")?,
                mean.binding(gpu, "blur mean")?,
                input.binding(gpu, "blur input")?,
                u.as_entire_binding(),
            ],
            grid,
        )
    };
    Ok([pass(0, image, scratch)?, pass(1, scratch, image)?])
}
