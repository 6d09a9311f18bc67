//! Launcher of `augment` (shaders/augment.wgsl): random shifts, rotations and scalings of a
//! training batch, drawn on the device from the counter hash.

use super::{bad_shape, check_len, launch, Shader};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};

/// How far `augment` warps each image: a shift of up to `shift` pixels along each axis, a
/// rotation of up to `rotate` degrees either way, a scaling by up to `scale` (a fraction)
/// either way, each drawn uniformly.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Augment {
    pub shift: f32,
    pub rotate: f32,
    pub scale: f32,
}

impl Default for Augment {
    /// Up to 2 pixels, 10° and 10%: digits stay digits.
    fn default() -> Self {
        Augment {
            shift: 2.0,
            rotate: 10.0,
            scale: 0.1,
        }
    }
}

impl Augment {
    /// `SHIFT,DEG,SCALE` (three numbers, e.g. `2,10,0.1`), validated: the form
    /// `--augment` takes.
    pub fn parse(s: &str) -> std::result::Result<Augment, String> {
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        let [shift, rotate, scale] = parts[..] else {
            return Err(format!(
                "expected SHIFT,DEG,SCALE (three numbers, e.g. 2,10,0.1), got {s:?}"
            ));
        };
        let num = |what: &str, v: &str| {
            v.parse::<f32>()
                .map_err(|_| format!("{what} {v:?} is not a number"))
        };
        let a = Augment {
            shift: num("SHIFT", shift)?,
            rotate: num("DEG", rotate)?,
            scale: num("SCALE", scale)?,
        };
        a.validate().map_err(|e| e.to_string())?;
        Ok(a)
    }

    /// Refuses warps that are not finite or that would turn images inside out: a negative
    /// bound, a rotation past 180°, a scaling by half or more.
    pub fn validate(&self) -> Result<()> {
        let ok = |v: f32, hi: f32| v.is_finite() && (0.0..=hi).contains(&v);
        let fail = |what: &str, v: f32, want: &str| {
            Err(crate::error::Error::setting(
                "augment",
                format!("{what} {v}: expected {want}"),
            ))
        };
        if !ok(self.shift, 1e6) {
            return fail("shift", self.shift, "0 to 1e6 pixels");
        }
        if !ok(self.rotate, 180.0) {
            return fail("rotate", self.rotate, "0 to 180 degrees");
        }
        if !ok(self.scale, 0.5) || self.scale == 0.5 {
            return fail("scale", self.scale, "a fraction in [0, 0.5)");
        }
        Ok(())
    }
}

params! {
    pub(super) struct Params for [Augment] {
        pub(super) shape: [u32; 4],
        pub(super) seed: u32,
        pub(super) _pad0: [u32; 3],
        pub(super) max_shift: f32,
        pub(super) max_rot: f32,
        pub(super) max_scale: f32,
        pub(super) _pad1: f32,
    }
}

/// `y` = `x` `(batch, c, h, w)` with each image warped as [`Augment`] bounds, by the draws
/// `uniform01(seed, step, image, k, 10)` (k = 0..3) of the training step in `step` `(1)`
/// u32; pixels that come from outside the image are 0.
pub fn augment(
    gpu: &Gpu,
    a: &Augment,
    seed: u32,
    [c, h, w]: [usize; 3],
    step: View<'_>,
    x: View<'_>,
    y: View<'_>,
) -> Result<Dispatch> {
    const K: &str = "augment";
    a.validate()?;
    let image = c * h * w;
    if image == 0 || !x.len.is_multiple_of(image) {
        return Err(bad_shape(
            K,
            "x",
            "whole images",
            format!("{} elements of {c}x{h}x{w}", x.len),
        ));
    }
    check_len(K, "step", step.len, 1)?;
    check_len(K, "y", y.len, x.len)?;
    let batch = x.len / image;
    let grid = grid_for(gpu, K, x.len.div_ceil(256) as u64)?;
    launch(
        gpu,
        K,
        (Shader::Augment, K, &[]),
        &[("step", step), ("x", x), ("y", y)],
        &Params {
            shape: [batch, c, h, w].map(|v| v as u32),
            seed,
            _pad0: [0; 3],
            max_shift: a.shift,
            max_rot: a.rotate.to_radians(),
            max_scale: a.scale,
            _pad1: 0.0,
        },
        grid,
    )
}
