//! The subgroup form of `linear_fwd`, `linear_bwd_input` and `linear_bwd_weight`: the
//! generator's parts for each, and their launchers (same arguments and checks as the file
//! kernels' in `kernels::linear` and `kernels::linear_bwd`).
//!
//! | kernel | rows (broadcast) | columns (4 a lane) | k |
//! |---|---|---|---|
//! | `linear_fwd`: y = x wᵀ + b | images, x's rows | output features, w's rows | in_f |
//! | `linear_bwd_input`: dx = dy w | images, dy's rows | input features, w's columns | out_f |
//! | `linear_bwd_weight`: dw = dyᵀ x | output features, dy's columns | input features, x's columns | images |

use super::wgsl::{header, open, step, stores};
use super::{lanes_for, launch, rows_for, Kernel, CAP};
use crate::error::Result;
use crate::gpu::{Dispatch, Gpu, View};
use crate::kernels::LinearShape;

/// The params of the generated fully-connected kernels (mirrors [`FIELDS`]).
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct SgLinearParams {
    batch: u32,
    in_f: u32,
    out_f: u32,
    tiles_m: u32,
    tiles_n: u32,
    num_tiles: u32,
    _pad: [u32; 2],
}

/// The WGSL of [`SgLinearParams`].
pub(super) const FIELDS: &str = "    batch: u32, in_f: u32, out_f: u32, tiles_m: u32,
    tiles_n: u32, num_tiles: u32, _pad0: u32, _pad1: u32,";

/// The lane's four columns below `n`, clamped to the last (`n{j}`).
fn columns(n: &str) -> String {
    (0..4)
        .map(|j| format!("    let n{j} = min(c0 + {j}u, {n} - 1u);\n"))
        .collect()
}

pub(super) fn fwd(rows: usize) -> String {
    let mut s = header(
        FIELDS,
        &[("x", false), ("w", false), ("b", false), ("y", true)],
        &["RELU"],
    );
    s += CAP;
    s += &open(Kernel::LinearFwd.entry(), rows, "", "p.batch");
    s += &columns("p.out_f");
    for j in 0..4 {
        s += &format!("    let w{j} = n{j} * p.in_f;\n");
    }
    for t in 0..rows.div_ceil(8) {
        s += &format!("    let x{t} = rt{t} * p.in_f;\n");
    }
    s += "    for (var k = 0u; k < p.in_f; k++) {\n";
    s += &step(
        rows,
        |t| format!("x[x{t} + k]"),
        "let bv = vec4<f32>(w[w0 + k], w[w1 + k], w[w2 + k], w[w3 + k]);",
        8,
    );
    s += "    }\n";
    s += &stores(
        rows,
        "p.batch",
        "p.out_f",
        "let yr = row * p.out_f;",
        "var o = v + b[col];
                if RELU {
                    o = min(max(o, 0.0), CAP);
                }
                y[yr + col] = o;",
    );
    s
}

pub(super) fn bwd_input(rows: usize) -> String {
    let mut s = header(FIELDS, &[("dy", false), ("w", false), ("dx", true)], &[]);
    s += &open(Kernel::LinearBwdInput.entry(), rows, "", "p.batch");
    s += &columns("p.in_f");
    for t in 0..rows.div_ceil(8) {
        s += &format!("    let d{t} = rt{t} * p.out_f;\n");
    }
    s += "    for (var k = 0u; k < p.out_f; k++) {\n        let wk = k * p.in_f;\n";
    s += &step(
        rows,
        |t| format!("dy[d{t} + k]"),
        "let bv = vec4<f32>(w[wk + n0], w[wk + n1], w[wk + n2], w[wk + n3]);",
        8,
    );
    s += "    }\n";
    s += &stores(
        rows,
        "p.batch",
        "p.in_f",
        "let xr = row * p.in_f;",
        "dx[xr + col] = v;",
    );
    s
}

pub(super) fn bwd_weight(rows: usize) -> String {
    let mut s = header(FIELDS, &[("dy", false), ("x", false), ("dw", true)], &[]);
    s += &open(Kernel::LinearBwdWeight.entry(), rows, "", "p.out_f");
    s += &columns("p.in_f");
    s += "    for (var k = 0u; k < p.batch; k++) {\n        let dk = k * p.out_f;\n        let xk = k * p.in_f;\n";
    s += &step(
        rows,
        |t| format!("dy[dk + rt{t}]"),
        "let bv = vec4<f32>(x[xk + n0], x[xk + n1], x[xk + n2], x[xk + n3]);",
        8,
    );
    s += "    }\n";
    s += &stores(
        rows,
        "p.out_f",
        "p.in_f",
        "let wr = row * p.in_f;",
        "dw[wr + col] = v;",
    );
    s
}

/// The launch of `kernel` for an `m × n` product of `s`.
fn linear(
    gpu: &Gpu,
    kernel: Kernel,
    s: &LinearShape,
    (m, n): (usize, usize),
    flags: &[(&'static str, f64)],
    buffers: &[(&str, View<'_>)],
) -> Result<Dispatch> {
    let (rows, lanes) = (rows_for(m), lanes_for(n));
    let (tiles_m, tiles_n) = (m.div_ceil(rows), n.div_ceil(4 * lanes));
    let num_tiles = tiles_m * tiles_n;
    let params = SgLinearParams {
        batch: s.batch as u32,
        in_f: s.in_f as u32,
        out_f: s.out_f as u32,
        tiles_m: tiles_m as u32,
        tiles_n: tiles_n as u32,
        num_tiles: num_tiles as u32,
        _pad: [0; 2],
    };
    launch(
        gpu,
        (kernel, rows, lanes),
        flags,
        buffers,
        &params,
        num_tiles as u64,
    )
}

/// `linear_fwd`'s subgroup form (the caller has checked the views).
pub(crate) fn linear_fwd(
    gpu: &Gpu,
    s: &LinearShape,
    act: crate::kernels::Fused,
    [x, w, b, y]: [View<'_>; 4],
) -> Result<Dispatch> {
    linear(
        gpu,
        Kernel::LinearFwd,
        s,
        (s.batch, s.out_f),
        &act.constants(),
        &[("x", x), ("w", w), ("b", b), ("y", y)],
    )
}

/// `linear_bwd_input`'s subgroup form.
pub(crate) fn linear_bwd_input(
    gpu: &Gpu,
    s: &LinearShape,
    [dy, w, dx]: [View<'_>; 3],
) -> Result<Dispatch> {
    linear(
        gpu,
        Kernel::LinearBwdInput,
        s,
        (s.batch, s.in_f),
        &[],
        &[("dy", dy), ("w", w), ("dx", dx)],
    )
}

/// `linear_bwd_weight`'s subgroup form.
pub(crate) fn linear_bwd_weight(
    gpu: &Gpu,
    s: &LinearShape,
    [dy, x, dw]: [View<'_>; 3],
) -> Result<Dispatch> {
    linear(
        gpu,
        Kernel::LinearBwdWeight,
        s,
        (s.out_f, s.in_f),
        &[],
        &[("dy", dy), ("x", x), ("dw", dw)],
    )
}
