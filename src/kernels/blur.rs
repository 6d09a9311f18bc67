//! Launchers of `blur_radius`, `blur` (shaders/blur.wgsl).

use super::{check_len, launch, Shader};
use crate::error::{Error, Result};
use crate::gpu::{grid_for, Dispatch, Gpu, View};

params! {
    pub(super) struct BlurParams for [Blur] {
        pub(super) images: u32,
        pub(super) h: u32,
        pub(super) w: u32,
        pub(super) radius: u32,
        pub(super) dir: u32,
        pub(super) n: u32,
        pub(super) sigma: f32,
        pub(super) _pad: f32,
    }
}

/// The reach of a Gaussian of `sigma` pixels: weights beyond 3σ are dropped.
pub fn blur_radius(sigma: f32) -> usize {
    (3.0 * sigma).ceil().max(1.0) as usize
}

/// A Gaussian blur (σ = `sigma` pixels) of the `(batch, c, h, w)` images in `image`, in two
/// passes through `scratch` (same size); the second pass also writes the network's input,
/// `(image − offset) · scale` with the offset and scale from rows 1 and 2 of `mean`
/// `(3, c·h·w)`.
#[allow(clippy::too_many_arguments)]
pub fn blur(
    gpu: &Gpu,
    shape: [usize; 3],
    sigma: f32,
    image: View<'_>,
    scratch: View<'_>,
    mean: View<'_>,
    input: View<'_>,
) -> Result<[Dispatch; 2]> {
    const K: &str = "blur";
    let [c, h, w] = shape;
    let n = c * h * w;
    if !(sigma > 0.0 && sigma.is_finite()) {
        return Err(Error::Setting {
            value: None,
            key: "blur_sigma",
            message: format!("must be a positive number of pixels, not {sigma}"),
        });
    }
    check_len(K, "image (a multiple of c·h·w)", image.len % n.max(1), 0)?;
    check_len(K, "scratch", scratch.len, image.len)?;
    check_len(K, "input", input.len, image.len)?;
    check_len(K, "mean", mean.len, 3 * n)?;
    let grid = grid_for(gpu, K, image.len.div_ceil(256) as u64)?;
    let pass = |dir: u32, src: View<'_>, dst: View<'_>| {
        launch(
            gpu,
            K,
            (Shader::Blur, K, &[]),
            &[("src", src), ("dst", dst), ("mean", mean), ("input", input)],
            &BlurParams {
                images: (image.len / (h * w).max(1)) as u32,
                h: h as u32,
                w: w as u32,
                radius: blur_radius(sigma) as u32,
                dir,
                n: n as u32,
                sigma,
                _pad: 0.0,
            },
            grid,
        )
    };
    Ok([pass(0, image, scratch)?, pass(1, scratch, image)?])
}
