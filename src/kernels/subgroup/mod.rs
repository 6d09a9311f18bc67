//! The subgroup form of the matrix kernels, for adapters whose subgroups have at least 8
//! lanes (lavapipe's 8, NVIDIA's 32, AMD's 32 or 64, Apple's and Intel's): every matrix
//! kernel (`conv2d_fwd` as an implicit product, `linear_fwd`, and their backward passes) as
//! one generated shader per register block.
//!
//! Each is a product `C[m, n] = Σ_k A(m, k) B(k, n)` tiled so that a workgroup of `LANES`
//! invocations holds `R` rows × `4 · LANES` columns: every lane keeps `R` vec4
//! accumulators (its 4 columns of each row). At each k, lane s of a subgroup loads the
//! elements of rows `i0 + s + 8t` (t < ⌈R / 8⌉) and `subgroupBroadcast(·, constant)` hands each
//! to every lane; each lane loads its 4 elements of B once for all R rows. On a CPU adapter a
//! storage load whose index differs between lanes costs a load per lane, while a broadcast of
//! a value one lane loaded costs a shuffle: so a lane loads about 4 + R/8 elements per 4R
//! multiply-adds, where the `direct` form's 4 × 4 block loads 8 per 16.
//!
//! The rows must be unrolled in the text (an array of accumulators indexed in a loop was
//! slow), so a short generator here writes the WGSL: [`source`] gives each (kernel, R)
//! once, validated by naga in the tests like the files of `shaders/`. The launchers, one per
//! kernel, live with the generator's parts for it: [`conv`] and [`linear`]. Each computes
//! what the file kernel of the same name computes, and is tested against the same twin.

mod conv;
mod linear;
mod wgsl;

pub(crate) use conv::{conv2d_bwd_input, conv2d_bwd_weight, conv2d_fwd};
pub(crate) use linear::{linear_bwd_input, linear_bwd_weight, linear_fwd};

use crate::error::Result;
use crate::gpu::{Dispatch, Gpu, View};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// The kernels with a subgroup form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kernel {
    Conv2dFwd,
    Conv2dFwd4,
    Conv2dPointwise,
    Conv2dBwdInput,
    Conv2dBwdWeight,
    LinearFwd,
    LinearBwdInput,
    LinearBwdWeight,
}

impl Kernel {
    pub const ALL: [Kernel; 8] = [
        Kernel::Conv2dFwd,
        Kernel::Conv2dFwd4,
        Kernel::Conv2dPointwise,
        Kernel::Conv2dBwdInput,
        Kernel::Conv2dBwdWeight,
        Kernel::LinearFwd,
        Kernel::LinearBwdInput,
        Kernel::LinearBwdWeight,
    ];

    /// The entry point, `<op>_<direction>_sg`.
    pub fn entry(self) -> &'static str {
        match self {
            Kernel::Conv2dFwd => "conv2d_fwd_sg",
            Kernel::Conv2dFwd4 => "conv2d_fwd4_sg",
            Kernel::Conv2dPointwise => "conv2d_pointwise_sg",
            Kernel::Conv2dBwdInput => "conv2d_bwd_input_sg",
            Kernel::Conv2dBwdWeight => "conv2d_bwd_weight_sg",
            Kernel::LinearFwd => "linear_fwd_sg",
            Kernel::LinearBwdInput => "linear_bwd_input_sg",
            Kernel::LinearBwdWeight => "linear_bwd_weight_sg",
        }
    }
}

/// The most rows a register block holds: 32 vec4 accumulators a lane.
pub const MAX_ROWS: usize = 32;

/// Register blocks the shader tests validate: every size from 1 to [`MAX_ROWS`] is generated
/// the same way; these cover a partial last load (5, 25, 29) and every whole one.
pub const ROWS: [usize; 7] = [1, 5, 8, 16, 24, 25, 32];

/// The most lanes a workgroup has (and the default).
pub const LANES: usize = 64;

/// The register block for `m` rows: as few blocks as hold them at [`MAX_ROWS`] each, as even
/// as they can be (LeNet's 50 output channels: two blocks of 25, where blocks of 32 would
/// compute 14 rows for nothing).
pub(crate) fn rows_for(m: usize) -> usize {
    let blocks = m.div_ceil(MAX_ROWS).max(1);
    m.div_ceil(blocks).clamp(1, MAX_ROWS)
}

/// The lanes of a workgroup for `n` columns (4 a lane): a multiple of 8, at most [`LANES`].
pub(crate) fn lanes_for(n: usize) -> usize {
    (n.div_ceil(4).div_ceil(8) * 8).clamp(8, LANES)
}

/// The WGSL of `kernel` with `rows` rows a register block (1 to [`MAX_ROWS`]): generated once,
/// then served from a cache for the life of the process.
pub fn source(kernel: Kernel, rows: usize) -> &'static str {
    static CACHE: OnceLock<Mutex<HashMap<(Kernel, usize), &'static str>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache.lock().unwrap();
    cache.entry((kernel, rows)).or_insert_with(|| {
        let text = match kernel {
            Kernel::Conv2dFwd => conv::fwd(rows),
            Kernel::Conv2dFwd4 => conv::fwd4(rows),
            Kernel::Conv2dPointwise => conv::pointwise(rows),
            Kernel::Conv2dBwdInput => conv::bwd_input(rows),
            Kernel::Conv2dBwdWeight => conv::bwd_weight(rows),
            Kernel::LinearFwd => linear::fwd(rows),
            Kernel::LinearBwdInput => linear::bwd_input(rows),
            Kernel::LinearBwdWeight => linear::bwd_weight(rows),
        };
        Box::leak(text.into_boxed_str())
    })
}

/// The name a generated shader goes by (its pipeline's cache key and its error messages).
fn file_name(kernel: Kernel, rows: usize) -> &'static str {
    static NAMES: OnceLock<Mutex<HashMap<(Kernel, usize), &'static str>>> = OnceLock::new();
    let names = NAMES.get_or_init(Default::default);
    let mut names = names.lock().unwrap();
    names.entry((kernel, rows)).or_insert_with(|| {
        Box::leak(format!("{}_r{rows}.wgsl (generated)", kernel.entry()).into_boxed_str())
    })
}

/// A launch of a generated kernel: as [`super::launch`], for the shader of (`kernel`, `rows`)
/// with `lanes` lanes a workgroup and the `override` constants `flags`.
fn launch<P: bytemuck::Pod>(
    gpu: &Gpu,
    (kernel, rows, lanes): (Kernel, usize, usize),
    flags: &[(&'static str, f64)],
    buffers: &[(&str, View<'_>)],
    params: &P,
    workgroups: u64,
) -> Result<Dispatch> {
    let pipeline = gpu.pipeline(
        file_name(kernel, rows),
        source(kernel, rows),
        kernel.entry(),
        &constants(lanes, flags),
    )?;
    let label = kernel.entry();
    let grid = crate::gpu::grid_for(gpu, label, workgroups)?;
    let u = gpu.uniform(label, params);
    let mut resources = Vec::with_capacity(buffers.len() + 1);
    for (name, view) in buffers {
        resources.push(view.binding(gpu, &format!("{label} {name}"))?);
    }
    resources.push(u.as_entire_binding());
    Ok(Dispatch::new(gpu, label, pipeline, &resources, grid)?.keep_uniform(u))
}

/// The `override` constants of a launch: the lanes, then the flags.
fn constants(lanes: usize, flags: &[(&'static str, f64)]) -> Vec<(&'static str, f64)> {
    std::iter::once(("LANES", lanes as f64))
        .chain(flags.iter().copied())
        .collect()
}

/// A boolean `override` constant's value.
fn flag(name: &'static str, on: bool) -> (&'static str, f64) {
    (name, on as u8 as f64)
}

/// What a forward kernel's ReLU is capped at: an `override`, the largest f32 by default.
const CAP: &str = "// a ReLU's ceiling (ReLU6: 6); the largest f32 for a plain ReLU
override CAP: f32 = 3.4028235e38;
";

/// Every generated shader: (entry point, rows, source), what the shader tests validate and
/// translate.
pub fn all_sources() -> Vec<(&'static str, usize, &'static str)> {
    Kernel::ALL
        .iter()
        .flat_map(|&k| ROWS.map(|r| (k.entry(), r, source(k, r))))
        .collect()
}
