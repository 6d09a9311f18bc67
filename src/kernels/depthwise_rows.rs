//! The forward depthwise convolution: generated WGSL, one shader per window (kernel, stride,
//! dilation, left padding mod 4, outputs an invocation), with every loop unrolled in the
//! text. An invocation computes neighbouring outputs of one row and loads each input column
//! they cover once per row of the window, where `depthwise2d_fwd` loads every tap of every
//! output. Rows a multiple of 4 wide (most of a MobileNet's layers) are read as aligned vec4s,
//! 8 outputs an invocation (4 or 5 loads for 8 outputs of a 3×3 window, against 3 scalars
//! per output); other rows (a MobileNet's last blocks: 10, 7 or 5 wide) as scalars, a whole
//! row of up to 16 outputs an invocation. Every multiply-add names its element by a constant
//! index. On a CPU adapter every load whose index differs between lanes is a load per lane,
//! so fewer, wider loads are what make it faster; the window must be in the text because a
//! loop over an array of accumulators does not unroll into registers there.
//!
//! The input gradient of a stride-1 depthwise convolution (one output channel per input
//! channel) is the same product turned round: a forward convolution of `dy` with each
//! channel's window flipped (a shader whose weights are indexed from the last tap) and the
//! padding `(k − 1) · d − pad` on each side, without a bias ([`depthwise2d_bwd_input`]).

use super::{check_len, Conv2dShape, Fused};
use crate::error::Result;
use crate::gpu::{grid_for, Dispatch, Gpu, View};
use std::collections::HashMap;
use std::fmt::Write;
use std::sync::{Mutex, OnceLock};

/// Outputs of a row per invocation, rows read as vec4s.
const OUT: usize = 8;

/// The most outputs of a row an invocation computes, rows read as scalars.
const MAX_SCALAR_OUT: usize = 16;

/// The params of a generated kernel (mirrors the WGSL `Params` of [`source`]).
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct RowParams {
    in_c: u32,
    in_h: u32,
    in_w: u32,
    out_c: u32,
    out_h: u32,
    out_w: u32,
    mult: u32,
    pad_t: u32,
    pad_l: u32,
    pieces: u32,
    pieces_w: u32,
    _pad: u32,
}

/// What a generated shader is fixed for: `(kh, kw)`, `(sh, sw)`, `(dh, dw)`, the left
/// padding mod 4 (where the first column an invocation reads sits in its vec4), for rows
/// read as scalars the outputs an invocation computes (`scalar_out`; 0 for vec4 rows), and
/// whether the window is turned round (`flip`: an input gradient's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Window {
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub dilation: [usize; 2],
    pub pad_l_mod4: usize,
    pub scalar_out: usize,
    pub flip: bool,
}

impl Window {
    fn of(s: &Conv2dShape) -> Window {
        let vec4 = s.in_w.is_multiple_of(4);
        Window {
            kernel: [s.kh, s.kw],
            stride: s.stride,
            dilation: s.dilation,
            pad_l_mod4: if vec4 { s.pad[1] % 4 } else { 0 },
            scalar_out: if vec4 {
                0
            } else {
                s.out_w().min(MAX_SCALAR_OUT)
            },
            flip: false,
        }
    }

    /// Outputs of a row an invocation computes.
    fn out(&self) -> usize {
        if self.scalar_out == 0 {
            OUT
        } else {
            self.scalar_out
        }
    }

    /// Where in its vec4 the first column an invocation reads sits: its index, ox0 · sw −
    /// pad_l, is ≡ −pad_l (mod 4) since ox0 is a multiple of 8, so that many elements of the
    /// first vec4 come before it (0 for rows read as scalars).
    fn offset(&self) -> usize {
        if self.scalar_out == 0 {
            (4 - self.pad_l_mod4) % 4
        } else {
            0
        }
    }

    /// Input columns the outputs of an invocation read.
    fn span(&self) -> usize {
        (self.out() - 1) * self.stride[1] + (self.kernel[1] - 1) * self.dilation[1] + 1
    }
}

/// Whether `s` (a depthwise convolution) runs on the generated kernel: a window of at most 11
/// rows and 64 columns an invocation (the text grows with both).
pub fn takes(s: &Conv2dShape) -> bool {
    Window::of(s).span() <= 64 && s.kh <= 11
}

/// The WGSL for `w`.
pub fn source(w: Window) -> String {
    let [kh, kw] = w.kernel;
    let sw = w.stride[1];
    let (out, vec4) = (w.out(), w.scalar_out == 0);
    let off = w.offset();
    let mut s = String::from(
        "struct Params {
    in_c: u32, in_h: u32, in_w: u32, out_c: u32,
    out_h: u32, out_w: u32, mult: u32, pad_t: u32,
    pad_l: u32, pieces: u32, pieces_w: u32, _pad0: u32,
}

override RELU: bool = false;
// false: no bias (an input gradient's product)
override BIAS: bool = true;
// a ReLU's ceiling (ReLU6: 6); the largest f32 for a plain ReLU
override CAP: f32 = 3.4028235e38;

@group(0) @binding(0) var<storage, read> x: array<X>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(64)
fn depthwise2d_fwd_rows(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let q = (wid.x + wid.y * nwg.x) * 64u + li;
    if q >= p.pieces {
        return;
    }
",
    );
    s = s.replace(
        "array<X>",
        if vec4 {
            "array<vec4<f32>>"
        } else {
            "array<f32>"
        },
    );
    let _ = write!(
        s,
        "    let ox0 = (q % p.pieces_w) * {out}u;
    let row = q / p.pieces_w; // (image, channel, output row)
    let oy = row % p.out_h;
    let oc = (row / p.out_h) % p.out_c;
    let img = row / (p.out_h * p.out_c);
    let wb = oc * {};
",
        kh * kw
    );
    if vec4 {
        let _ = write!(
            s,
            "    let w4 = p.in_w / 4u;
    let xb = (img * p.in_c + oc / p.mult) * p.in_h * w4;
    // the vec4 holding the first column read; every column after it at a constant offset
    let v0 = (i32(ox0 * {sw}u) - i32(p.pad_l) - {off}) / 4;
"
        );
    } else {
        let _ = write!(
            s,
            "    let xb = (img * p.in_c + oc / p.mult) * p.in_h * p.in_w;
    // the first column read; every column after it at a constant offset
    let v0 = i32(ox0 * {sw}u) - i32(p.pad_l);
"
        );
    }
    for o in 0..out {
        let _ = writeln!(s, "    var acc{o} = 0.0;");
    }
    for ky in 0..kh {
        s += &window_row(w, ky);
    }
    s += &stores(out);
    s
}

/// The text of window row `ky` of `w`: the input row's columns loaded once (vec4s or
/// scalars, zero outside the input), the row's weights, and every output's multiply-adds.
fn window_row(w: Window, ky: usize) -> String {
    let [kh, kw] = w.kernel;
    let [sh, sw] = w.stride;
    let [dh, dw] = w.dilation;
    let (out, vec4) = (w.out(), w.scalar_out == 0);
    let off = w.offset();
    let mut s = format!(
        "    {{
        let iy = i32(oy * {sh}u + {}u) - i32(p.pad_t);
        if iy >= 0 && iy < i32(p.in_h) {{
            let xr = xb + u32(iy) * {};
",
        ky * dh,
        if vec4 { "w4" } else { "p.in_w" }
    );
    if vec4 {
        for j in 0..(off + w.span()).div_ceil(4) {
            let _ = writeln!(
                s,
                "            let c{j} = v0 + {j};
            let e{j} = select(vec4<f32>(0.0), x[xr + u32(max(c{j}, 0))], c{j} >= 0 && c{j} < i32(w4));"
            );
        }
    } else {
        for j in 0..w.span() {
            let _ = writeln!(
                s,
                "            let c{j} = v0 + {j};
            let e{j} = select(0.0, x[xr + u32(clamp(c{j}, 0, i32(p.in_w) - 1))], c{j} >= 0 && c{j} < i32(p.in_w));"
            );
        }
    }
    for kx in 0..kw {
        let tap = ky * kw + kx;
        let tap = if w.flip { kh * kw - 1 - tap } else { tap };
        let _ = writeln!(s, "            let w{kx} = w[wb + {tap}u];");
    }
    for o in 0..out {
        for kx in 0..kw {
            let t = off + o * sw + kx * dw;
            let e = if vec4 {
                format!("e{}[{}]", t / 4, t % 4)
            } else {
                format!("e{t}")
            };
            let _ = writeln!(s, "            acc{o} = fma(w{kx}, {e}, acc{o});");
        }
    }
    s + "        }\n    }\n"
}

/// The stores of `out` outputs of a row, with the bias and the fused activation.
fn stores(out: usize) -> String {
    let mut s = String::from(
        "    let bias = select(0.0, b[oc], BIAS);
    let yr = row * p.out_w + ox0;
",
    );
    for o in 0..out {
        let _ = write!(
            s,
            "    if ox0 + {o}u < p.out_w {{
        var v = acc{o} + bias;
        if RELU {{
            v = min(max(v, 0.0), CAP);
        }}
        y[yr + {o}u] = v;
    }}
"
        );
    }
    s + "}\n"
}

/// The generated shader for `w` and the name it goes by: generated once, then served from a
/// cache for the life of the process.
fn shader(w: Window) -> (&'static str, &'static str) {
    type Cache = Mutex<HashMap<Window, (&'static str, &'static str)>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let mut cache = CACHE.get_or_init(Default::default).lock().unwrap();
    *cache.entry(w).or_insert_with(|| {
        let name = format!(
            "depthwise2d_fwd_rows k{}x{} s{}x{} d{}x{} l{} o{}{} (generated)",
            w.kernel[0],
            w.kernel[1],
            w.stride[0],
            w.stride[1],
            w.dilation[0],
            w.dilation[1],
            w.pad_l_mod4,
            w.scalar_out,
            if w.flip { " flipped" } else { "" }
        );
        (
            Box::leak(name.into_boxed_str()),
            Box::leak(source(w).into_boxed_str()),
        )
    })
}

/// The windows of the common depthwise layers (MobileNets' 3×3 and 5×5, strides 1 and 2,
/// TensorFlow's and PyTorch's paddings, a dilated one), rows read as vec4s and as scalars
/// (10, 7 and 5 outputs a row), and the flipped 3×3 windows of input gradients: what the
/// shader tests validate.
pub fn common_sources() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (k, st, d, pad, scalar_out, flip) in [
        (3, 1, 1, 1, 0, false),
        (3, 2, 1, 0, 0, false),
        (3, 2, 1, 1, 0, false),
        (5, 1, 1, 2, 0, false),
        (5, 2, 1, 1, 0, false),
        (3, 1, 2, 2, 0, false),
        (3, 1, 1, 1, 10, false),
        (3, 2, 1, 0, 5, false),
        (5, 1, 1, 2, 7, false),
        (3, 1, 1, 1, 0, true),
        (3, 1, 1, 1, 10, true),
    ] {
        let w = Window {
            kernel: [k; 2],
            stride: [st; 2],
            dilation: [d; 2],
            pad_l_mod4: pad % 4,
            scalar_out,
            flip,
        };
        out.push((shader(w).0.to_string(), source(w)));
    }
    out
}

/// `y = conv(x, w) + b` and the fused activation for a depthwise `s` that [`takes`] (the
/// caller has checked the shape and the views).
pub(super) fn depthwise2d_fwd(
    gpu: &Gpu,
    s: &Conv2dShape,
    act: Fused,
    [x, w, b, y]: [View<'_>; 4],
) -> Result<Dispatch> {
    const K: &str = "depthwise2d_fwd_rows";
    check_len(K, "x", x.len, s.input_len())?;
    let mut constants = act.constants().to_vec();
    constants.push(("BIAS", 1.0));
    launch(gpu, (K, s, Window::of(s), &constants), [x, w, b, y])
}

/// The product turned round that gives a depthwise `s`'s input gradient: `dy` convolved with
/// each channel's window flipped, stride 1, the padding `(k − 1) · d − pad`; `None` where that
/// does not hold (a stride or channel multiplier past 1, a padding past the window) or the
/// product's window is past [`takes`].
fn turned_round(s: &Conv2dShape) -> Option<Conv2dShape> {
    let [dh, dw] = s.dilation;
    let (reach_h, reach_w) = ((s.kh - 1) * dh, (s.kw - 1) * dw);
    let [t, l, b, r] = s.pad;
    let fits =
        s.stride == [1, 1] && s.out_c == s.in_c && t.max(b) <= reach_h && l.max(r) <= reach_w;
    let turned = Conv2dShape {
        in_h: s.out_h(),
        in_w: s.out_w(),
        pad: [reach_h - t, reach_w - l, reach_h - b, reach_w - r],
        ..*s
    };
    (fits && takes(&turned)).then_some(turned)
}

/// Whether a depthwise `s`'s input gradient runs on the generated kernel
/// ([`depthwise2d_bwd_input`]).
pub fn takes_bwd_input(s: &Conv2dShape) -> bool {
    turned_round(s).is_some()
}

/// `dx`, the input gradient of a depthwise `s` that [`takes_bwd_input`], from `dy` and the
/// weights `w`: the forward product of `dy` with the windows flipped (the caller has checked
/// the shape and the views).
pub(super) fn depthwise2d_bwd_input(
    gpu: &Gpu,
    s: &Conv2dShape,
    [dy, w, dx]: [View<'_>; 3],
) -> Result<Dispatch> {
    const K: &str = "depthwise2d_bwd_input_rows";
    let turned = turned_round(s).ok_or_else(|| {
        super::bad_shape(
            K,
            "shape",
            "stride 1, one output channel per input channel",
            format!("{s:?}"),
        )
    })?;
    let window = Window {
        flip: true,
        ..Window::of(&turned)
    };
    // the bias is not read (BIAS off); the weights stand in for its binding
    let constants = [("BIAS", 0.0)];
    launch(gpu, (K, &turned, window, &constants), [dy, w, w, dx])
}

/// A launch of the generated kernel for `window` on the product `s`.
fn launch(
    gpu: &Gpu,
    (label, s, window, constants): (&'static str, &Conv2dShape, Window, &[(&'static str, f64)]),
    [x, w, b, y]: [View<'_>; 4],
) -> Result<Dispatch> {
    // rows read as vec4s bind the input as vec4s: views bind at offsets of 256 bytes
    let (file, text) = shader(window);
    let pipeline = gpu.pipeline(file, text, "depthwise2d_fwd_rows", constants)?;
    let pieces_w = s.out_w().div_ceil(window.out());
    let pieces = s.batch * s.out_c * s.out_h() * pieces_w;
    let params = RowParams {
        in_c: s.in_c as u32,
        in_h: s.in_h as u32,
        in_w: s.in_w as u32,
        out_c: s.out_c as u32,
        out_h: s.out_h() as u32,
        out_w: s.out_w() as u32,
        mult: (s.out_c / s.groups) as u32,
        pad_t: s.pad[0] as u32,
        pad_l: s.pad[1] as u32,
        pieces: pieces as u32,
        pieces_w: pieces_w as u32,
        _pad: 0,
    };
    let grid = grid_for(gpu, label, pieces.div_ceil(64) as u64)?;
    let u = gpu.uniform(label, &params);
    let mut resources = Vec::with_capacity(5);
    for (name, view) in [("x", x), ("w", w), ("b", b), ("y", y)] {
        resources.push(view.binding(gpu, &format!("{label} {name}"))?);
    }
    resources.push(u.as_entire_binding());
    Ok(Dispatch::new(gpu, label, pipeline, &resources, grid)?.keep_uniform(u))
}
