//! The subgroup form of `conv2d_fwd`, `conv2d_bwd_input` and `conv2d_bwd_weight`: the
//! generator's parts for each, and their launchers (same arguments and checks as the file
//! kernels' in `kernels::conv2d` and `kernels::conv2d_bwd`). Each is a product per group g:
//!
//! | kernel | rows (broadcast) | columns (4 a lane) | k |
//! |---|---|---|---|
//! | `conv2d_fwd` | output channels, w's rows | output pixels (image, oy, ox) | (tap, ic) |
//! | `conv2d_bwd_input` | input channels, w's rows | input pixels (image, iy, ix) | (tap, oc) |
//! | `conv2d_bwd_weight` | output channels, dy's rows | (ic, tap) | (image, oy, ox) |
//!
//! The taps (ky, kx) are the outer loop, so where a pixel's term lies, and whether it lies in
//! the image, is worked out once per tap, not once per channel. The weight gradient's k runs
//! over a whole batch's pixels for few outputs (LeNet's conv1: 500), so it is split over
//! images into partial sums that `sum_parts` adds.

use super::wgsl::{header, header_vec4, open, step, stores};
use super::{flag, lanes_for, launch, rows_for, Kernel, CAP};
use crate::error::Result;
use crate::gpu::{Dispatch, Gpu, GpuBuffer, View};
use crate::kernels::Conv2dShape;

/// The params of the generated convolution kernels (mirrors [`FIELDS`]).
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct SgConvParams {
    shape: [u32; 16],
    tiles_m: u32,
    tiles_n: u32,
    num_tiles: u32,
    splits: u32,
    per_split: u32,
    _pad: [u32; 3],
}

/// The WGSL of [`SgConvParams`].
pub(super) const FIELDS: &str = "    batch: u32, in_c: u32, in_h: u32, in_w: u32,
    out_c: u32, out_h: u32, out_w: u32, groups: u32,
    kh: u32, kw: u32, sh: u32, sw: u32,
    pad_t: u32, pad_l: u32, dh: u32, dw: u32,
    tiles_m: u32, tiles_n: u32, num_tiles: u32, splits: u32,
    per_split: u32, _pad0: u32, _pad1: u32, _pad2: u32,";

/// What every convolution kernel names first.
const SIZES: &str = "    let icg = p.in_c / p.groups;
    let ocg = p.out_c / p.groups;
    let hw_in = p.in_h * p.in_w;
    let hw = p.out_h * p.out_w;
    let khkw = p.kh * p.kw;
";

/// `text` once for each of the lane's four columns, `{j}` replaced by 0..3.
fn per_column(text: &str) -> String {
    (0..4)
        .map(|j| text.replace("{j}", &j.to_string()))
        .collect()
}

/// `bv` from the four columns' values `{array}[o{j} + {offset}]`, zero where `ok{j}` is not.
fn gathered(array: &str, offset: &str) -> String {
    let v = (0..4)
        .map(|j| format!("select(0.0, {array}[o{j} + {offset}], ok{j})"))
        .collect::<Vec<_>>()
        .join(", ");
    format!("let bv = vec4<f32>({v});")
}

pub(super) fn fwd(rows: usize) -> String {
    fwd_text(rows, false)
}

/// `conv2d_fwd` for output planes a multiple of 4 pixels: the same product, each lane's four
/// columns (four neighbouring pixels of one image) stored as one vec4 per row where the
/// general form scatters four scalars. With few k per output (LeNet's conv1: 25) the
/// scattered stores cost as much as the multiply-adds.
pub(super) fn fwd4(rows: usize) -> String {
    fwd_text(rows, true)
}

fn fwd_text(rows: usize, vec4_out: bool) -> String {
    let bindings = [("x", false), ("w", false), ("b", false), ("y", true)];
    let vec4: &[&str] = if vec4_out { &["y"] } else { &[] };
    let mut s = header_vec4(FIELDS, &bindings, vec4, &["RELU", "INSIDE"]);
    s += CAP;
    let pre = format!("{SIZES}    let ncols = p.batch * hw;\n    let kdim = icg * khkw;\n");
    let entry = if vec4_out {
        Kernel::Conv2dFwd4
    } else {
        Kernel::Conv2dFwd
    };
    s += &open(entry.entry(), rows, &pre, "ocg");
    s += &per_column(
        "    let n{j} = min(c0 + {j}u, ncols - 1u);
    let pix{j} = n{j} % hw;
    let xb{j} = ((n{j} / hw) * p.in_c + g * icg) * hw_in;
    let iy{j} = i32((pix{j} / p.out_w) * p.sh) - i32(p.pad_t);
    let ix{j} = i32((pix{j} % p.out_w) * p.sw) - i32(p.pad_l);
    let yo{j} = (n{j} / hw) * p.out_c * hw + pix{j};
",
    );
    for t in 0..rows.div_ceil(8) {
        s += &format!("    let wr{t} = (g * ocg + rt{t}) * kdim;\n");
    }
    s += "    for (var ky = 0u; ky < p.kh; ky++) {\n    for (var kx = 0u; kx < p.kw; kx++) {\n        let tap = ky * p.kw + kx;\n";
    s += &per_column(
        "        let yy{j} = iy{j} + i32(ky * p.dh);
        let xx{j} = ix{j} + i32(kx * p.dw);
        let ok{j} = INSIDE || (yy{j} >= 0 && yy{j} < i32(p.in_h) && xx{j} >= 0 && xx{j} < i32(p.in_w));
        let o{j} = select(0u, xb{j} + u32(yy{j}) * p.in_w + u32(xx{j}), ok{j});
",
    );
    s += "        for (var ic = 0u; ic < icg; ic++) {\n            let xc = ic * hw_in;\n            let wk = ic * khkw + tap;\n";
    s += &step(rows, |t| format!("w[wr{t} + wk]"), &gathered("x", "xc"), 12);
    s += "        }\n    }\n    }\n";
    if vec4_out {
        // ncols is a multiple of 4: a lane's columns are all in range or none is
        s += "    if c0 >= ncols {\n        return;\n    }\n    let y4 = yo0 / 4u;\n    let hw4 = hw / 4u;\n";
        s += &vec4_stores(rows, "y4");
        return s + "}\n";
    }
    // where each column's outputs start: worked out once, not at every store
    s += "    let ybase = vec4<u32>(yo0, yo1, yo2, yo3);\n";
    s += &stores(
        rows,
        "ocg",
        "ncols",
        "let oc = g * ocg + row;
        let bias = b[oc];
        let yr = oc * hw;",
        "var o = v + bias;
                if RELU {
                    o = min(max(o, 0.0), CAP);
                }
                y[ybase[j] + yr] = o;",
    );
    s
}

/// The stores of a product whose lane's four columns are neighbouring pixels of one image:
/// each row below `ocg` with its bias and the fused activation, one vec4 at `y[base + oc ·
/// hw4]` (`base`: the lane's first pixel, in vec4s).
fn vec4_stores(rows: usize, base: &str) -> String {
    (0..rows)
        .map(|r| {
            format!(
                "    if i0 + {r}u < ocg {{
        let oc = g * ocg + i0 + {r}u;
        var o = acc{r} + vec4<f32>(b[oc]);
        if RELU {{
            o = min(max(o, vec4<f32>(0.0)), vec4<f32>(CAP));
        }}
        y[{base} + oc * hw4] = o;
    }}
"
            )
        })
        .collect()
}

/// `conv2d_fwd` of a pointwise convolution (1×1, stride 1, no padding) whose planes are a
/// multiple of 4 pixels: the product's B is the input itself, so a lane's four columns are
/// four neighbouring pixels of one image, loaded as one vec4 and stored as one, where the
/// general form gathers and scatters them one by one. With few input channels (MobileNetV2's
/// expansions of 16 or 24) the stores were most of the general form's time.
pub(super) fn pointwise(rows: usize) -> String {
    let mut s = header_vec4(
        FIELDS,
        &[("x", false), ("w", false), ("b", false), ("y", true)],
        &["x", "y"],
        &["RELU"],
    );
    s += CAP;
    let pre = "    let icg = p.in_c / p.groups;
    let ocg = p.out_c / p.groups;
    let hw = p.out_h * p.out_w;
    let hw4 = hw / 4u;
    let ncols = p.batch * hw;
";
    s += &open(Kernel::Conv2dPointwise.entry(), rows, pre, "ocg");
    // ncols is a multiple of 4: a lane's columns are all in range or none is
    s += "    let n0 = min(c0, ncols - 4u);
    let img = n0 / hw;
    let q = (n0 % hw) / 4u;
    let xb = (img * p.in_c + g * icg) * hw4 + q;
    let yb = img * p.out_c * hw4 + q;
";
    for t in 0..rows.div_ceil(8) {
        s += &format!("    let wr{t} = (g * ocg + rt{t}) * icg;\n");
    }
    s += "    for (var ic = 0u; ic < icg; ic++) {\n";
    s += &step(
        rows,
        |t| format!("w[wr{t} + ic]"),
        "let bv = x[xb + ic * hw4];",
        8,
    );
    s += "    }\n    if c0 >= ncols {\n        return;\n    }\n";
    s += &vec4_stores(rows, "yb");
    s + "}\n"
}

pub(super) fn bwd_input(rows: usize) -> String {
    let mut s = header(
        FIELDS,
        &[("dy", false), ("w", false), ("dx", true)],
        &["UNIT_STRIDE"],
    );
    let pre = format!("{SIZES}    let ncols = p.batch * hw_in;\n");
    s += &open(Kernel::Conv2dBwdInput.entry(), rows, &pre, "icg");
    s += &per_column(
        "    let n{j} = min(c0 + {j}u, ncols - 1u);
    let pix{j} = n{j} % hw_in;
    let py{j} = i32(pix{j} / p.in_w + p.pad_t);
    let px{j} = i32(pix{j} % p.in_w + p.pad_l);
    let db{j} = ((n{j} / hw_in) * p.out_c + g * ocg) * hw;
    let xo{j} = (n{j} / hw_in) * p.in_c * hw_in + pix{j};
",
    );
    for t in 0..rows.div_ceil(8) {
        s += &format!("    let wr{t} = (g * ocg * icg + rt{t}) * khkw;\n");
    }
    s += "    for (var ky = 0u; ky < p.kh; ky++) {\n    for (var kx = 0u; kx < p.kw; kx++) {\n        let tap = ky * p.kw + kx;\n";
    s += &per_column(
        "        let ty{j} = py{j} - i32(ky * p.dh);
        let tx{j} = px{j} - i32(kx * p.dw);
        var oy{j} = ty{j};
        var ox{j} = tx{j};
        if !UNIT_STRIDE {
            oy{j} = ty{j} / i32(p.sh);
            ox{j} = tx{j} / i32(p.sw);
        }
        let ok{j} = ty{j} >= 0 && tx{j} >= 0 && oy{j} * i32(p.sh) == ty{j} && ox{j} * i32(p.sw) == tx{j} && oy{j} < i32(p.out_h) && ox{j} < i32(p.out_w);
        let o{j} = select(0u, db{j} + u32(oy{j}) * p.out_w + u32(ox{j}), ok{j});
",
    );
    s += "        for (var oc = 0u; oc < ocg; oc++) {\n            let dc = oc * hw;\n            let wk = oc * icg * khkw + tap;\n";
    s += &step(
        rows,
        |t| format!("w[wr{t} + wk]"),
        &gathered("dy", "dc"),
        12,
    );
    s += "        }\n    }\n    }\n";
    s += "    let xbase = vec4<u32>(xo0, xo1, xo2, xo3);\n";
    s += &stores(
        rows,
        "icg",
        "ncols",
        "let xr = (g * icg + row) * hw_in;",
        "dx[xbase[j] + xr] = v;",
    );
    s
}

pub(super) fn bwd_weight(rows: usize) -> String {
    let mut s = header(
        FIELDS,
        &[("dy", false), ("x", false), ("dw", true)],
        &["INSIDE"],
    );
    let pre = format!(
        "{SIZES}    let ncols = icg * khkw;
    let grp = g / p.splits;
    let split = g % p.splits;
    let img_lo = split * p.per_split;
    let img_hi = min(img_lo + p.per_split, p.batch);
"
    );
    s += &open(Kernel::Conv2dBwdWeight.entry(), rows, &pre, "ocg");
    s += &per_column(
        "    let n{j} = min(c0 + {j}u, ncols - 1u);
    let tap{j} = n{j} % khkw;
    let xo{j} = (grp * icg + n{j} / khkw) * hw_in;
    let fy{j} = i32((tap{j} / p.kw) * p.dh) - i32(p.pad_t);
    let fx{j} = i32((tap{j} % p.kw) * p.dw) - i32(p.pad_l);
",
    );
    for t in 0..rows.div_ceil(8) {
        s += &format!("    let dr{t} = (grp * ocg + rt{t}) * hw;\n");
    }
    s += "    for (var img = img_lo; img < img_hi; img++) {
        let xi = img * p.in_c * hw_in;
        let di = img * p.out_c * hw;
        for (var oy = 0u; oy < p.out_h; oy++) {
";
    s += &per_column(
        "            let yy{j} = i32(oy * p.sh) + fy{j};
            let ry{j} = INSIDE || (yy{j} >= 0 && yy{j} < i32(p.in_h));
            let xr{j} = xi + xo{j} + u32(yy{j}) * p.in_w;
",
    );
    s += "            for (var ox = 0u; ox < p.out_w; ox++) {\n                let q = di + oy * p.out_w + ox;\n";
    s += &per_column(
        "                let xx{j} = i32(ox * p.sw) + fx{j};
                let ok{j} = ry{j} && (INSIDE || (xx{j} >= 0 && xx{j} < i32(p.in_w)));
                let o{j} = select(0u, xr{j} + u32(xx{j}), ok{j});
",
    );
    s += &step(rows, |t| format!("dy[q + dr{t}]"), &gathered("x", "0u"), 16);
    s += "            }\n        }\n    }\n";
    s += &stores(
        rows,
        "ocg",
        "ncols",
        "let wr = (split * p.out_c + grp * ocg + row) * ncols;",
        "dw[wr + col] = v;",
    );
    s
}

/// The params of a product of `m × n` per group (`parts` tiles of each: groups, or groups ×
/// splits) with `rows` rows and `lanes` lanes a tile.
fn params(
    s: &Conv2dShape,
    (m, n): (usize, usize),
    (rows, lanes): (usize, usize),
    (parts, splits, per_split): (usize, usize, usize),
) -> (SgConvParams, u64) {
    let (tiles_m, tiles_n) = (m.div_ceil(rows), n.div_ceil(4 * lanes));
    let num_tiles = tiles_m * tiles_n * parts;
    let p = SgConvParams {
        shape: s.words(),
        tiles_m: tiles_m as u32,
        tiles_n: tiles_n as u32,
        num_tiles: num_tiles as u32,
        splits: splits as u32,
        per_split: per_split as u32,
        _pad: [0; 3],
    };
    (p, num_tiles as u64)
}

/// Whether `s` is a convolution [`pointwise`] computes: 1×1, stride 1, no padding, planes a
/// multiple of 4 pixels (views bind at offsets of 256 bytes, so every vec4 is aligned).
fn is_pointwise(s: &Conv2dShape) -> bool {
    [s.kh, s.kw] == [1, 1]
        && s.stride == [1, 1]
        && s.pad == [0; 4]
        && (s.out_h() * s.out_w()).is_multiple_of(4)
}

/// `conv2d_fwd`'s subgroup form (the caller has checked the shape and the views).
pub(crate) fn conv2d_fwd(
    gpu: &Gpu,
    s: &Conv2dShape,
    act: crate::kernels::Fused,
    [x, w, b, y]: [View<'_>; 4],
) -> Result<Dispatch> {
    let (m, n) = (s.out_c / s.groups, s.batch * s.out_h() * s.out_w());
    let (rows, lanes) = (rows_for(m), lanes_for(n));
    let (params, tiles) = params(s, (m, n), (rows, lanes), (s.groups, 1, s.batch));
    if is_pointwise(s) {
        return launch(
            gpu,
            (Kernel::Conv2dPointwise, rows, lanes),
            &act.constants(),
            &[("x", x), ("w", w), ("b", b), ("y", y)],
            &params,
            tiles,
        );
    }
    // views bind at offsets of 256 bytes: planes of whole vec4s store as vec4s
    let kernel = if (s.out_h() * s.out_w()).is_multiple_of(4) {
        Kernel::Conv2dFwd4
    } else {
        Kernel::Conv2dFwd
    };
    launch(
        gpu,
        (kernel, rows, lanes),
        &[act.constants().as_slice(), &[flag("INSIDE", s.inside())]].concat(),
        &[("x", x), ("w", w), ("b", b), ("y", y)],
        &params,
        tiles,
    )
}

/// `conv2d_bwd_input`'s subgroup form.
pub(crate) fn conv2d_bwd_input(
    gpu: &Gpu,
    s: &Conv2dShape,
    [dy, w, dx]: [View<'_>; 3],
) -> Result<Dispatch> {
    let (m, n) = (s.in_c / s.groups, s.batch * s.in_h * s.in_w);
    let (rows, lanes) = (rows_for(m), lanes_for(n));
    let (params, tiles) = params(s, (m, n), (rows, lanes), (s.groups, 1, s.batch));
    launch(
        gpu,
        (Kernel::Conv2dBwdInput, rows, lanes),
        &[flag("UNIT_STRIDE", s.stride == [1, 1])],
        &[("dy", dy), ("w", w), ("dx", dx)],
        &params,
        tiles,
    )
}

/// The tiles the weight gradient aims for, so every core of a CPU adapter has several.
const WEIGHT_TILES: usize = 64;

/// `conv2d_bwd_weight`'s subgroup form: over the whole batch when that gives enough tiles,
/// otherwise split over images into partial sums (a buffer the dispatch keeps) that
/// `sum_parts` adds into `dw`.
pub(crate) fn conv2d_bwd_weight(
    gpu: &Gpu,
    s: &Conv2dShape,
    [dy, x, dw]: [View<'_>; 3],
) -> Result<Dispatch> {
    let (m, n) = (s.out_c / s.groups, (s.in_c / s.groups) * s.kh * s.kw);
    let (rows, lanes) = (rows_for(m), lanes_for(n));
    let tiles = m.div_ceil(rows) * n.div_ceil(4 * lanes) * s.groups;
    // the partial sums bind as one buffer
    let fit = (gpu.max_binding() / (4 * dw.len.max(1)) as u64).max(1) as usize;
    let wanted = WEIGHT_TILES
        .div_ceil(tiles)
        .clamp(1, s.batch.max(1))
        .min(fit);
    let per_split = s.batch.div_ceil(wanted).max(1);
    let splits = s.batch.div_ceil(per_split).max(1);
    let (params, tiles) = params(
        s,
        (m, n),
        (rows, lanes),
        (s.groups * splits, splits, per_split),
    );
    let flags = [flag("INSIDE", s.inside())];
    let kernel = (Kernel::Conv2dBwdWeight, rows, lanes);
    if splits == 1 {
        return launch(
            gpu,
            kernel,
            &flags,
            &[("dy", dy), ("x", x), ("dw", dw)],
            &params,
            tiles,
        );
    }
    let parts = GpuBuffer::<f32>::zeros(gpu, "conv2d_bwd_weight partial sums", splits * dw.len)?;
    let partial = launch(
        gpu,
        kernel,
        &flags,
        &[("dy", dy), ("x", x), ("dw", parts.view())],
        &params,
        tiles,
    )?;
    let sum = crate::kernels::sum_parts(gpu, splits, parts.view(), dw)?;
    Ok(partial.then(sum).keep_buffer(parts))
}
