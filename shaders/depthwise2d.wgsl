// Depthwise convolutions: every output channel reads one input channel (in_c = groups; an
// output channel oc reads input channel oc / (out_c / groups)), with strides (sh, sw), zero
// padding (top pad_t, left pad_l), dilations (dh, dw). MobileNets' and EfficientNets' 3x3
// and 5x5 layers: few multiply-adds per output, so each invocation computes four
// neighbouring outputs of one row as a vec4, the weight of each tap loaded once for all four.
//
// depthwise2d_fwd:        y = conv(x, w) + b (optionally ReLU)
// depthwise2d_bwd_input:  dx from dy and w
//
// x, dx: (batch, in_c, in_h, in_w)       f32, NCHW, contiguous
// w:     (out_c, 1, kh, kw)              f32, contiguous
// b:     (out_c)                         f32
// y, dy: (batch, out_c, out_h, out_w)    f32, NCHW, contiguous

struct Params {
    batch: u32, in_c: u32, in_h: u32, in_w: u32,
    out_c: u32, out_h: u32, out_w: u32, groups: u32,
    kh: u32, kw: u32, sh: u32, sw: u32,
    pad_t: u32, pad_l: u32, dh: u32, dw: u32,
    quads: u32, quads_w: u32, _pad0: u32, _pad1: u32,
}

override RELU: bool = false;
// a ReLU's ceiling (ReLU6: 6); the largest f32 for a plain ReLU
override CAP: f32 = 3.4028235e38;

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

// One invocation: outputs (img, oc, oy, 4 qx .. 4 qx + 3) of y. Bindings: src = x, dst = y.
@compute @workgroup_size(64)
fn depthwise2d_fwd(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let q = (wid.x + wid.y * nwg.x) * 64u + li;
    if q >= p.quads {
        return;
    }
    let ox0 = (q % p.quads_w) * 4u;
    let row = q / p.quads_w; // (img, oc, oy)
    let oy = row % p.out_h;
    let oc = (row / p.out_h) % p.out_c;
    let img = row / (p.out_h * p.out_c);
    let ic = oc / (p.out_c / p.groups);
    let xb = (img * p.in_c + ic) * p.in_h * p.in_w;
    var acc = vec4<f32>(b[oc]);
    for (var ky = 0u; ky < p.kh; ky++) {
        let iy = i32(oy * p.sh + ky * p.dh) - i32(p.pad_t);
        if iy < 0 || iy >= i32(p.in_h) {
            continue;
        }
        let xr = xb + u32(iy) * p.in_w;
        for (var kx = 0u; kx < p.kw; kx++) {
            let wv = w[(oc * p.kh + ky) * p.kw + kx];
            var v: vec4<f32>;
            for (var j = 0u; j < 4u; j++) {
                let ix = i32((ox0 + j) * p.sw + kx * p.dw) - i32(p.pad_l);
                let ok = ix >= 0 && ix < i32(p.in_w);
                v[j] = select(0.0, src[xr + u32(select(0, ix, ok))], ok);
            }
            acc = fma(vec4<f32>(wv), v, acc);
        }
    }
    if RELU {
        acc = min(max(acc, vec4<f32>(0.0)), vec4<f32>(CAP));
    }
    let yr = ((img * p.out_c + oc) * p.out_h + oy) * p.out_w;
    for (var j = 0u; j < 4u; j++) {
        if ox0 + j < p.out_w {
            dst[yr + ox0 + j] = acc[j];
        }
    }
}

// One invocation: input gradients (img, ic, iy, 4 qx .. 4 qx + 3) of dx, the sum over the
// output channels that read ic and the taps whose window covers the pixel. Bindings: src = dy,
// dst = dx, b unused (bound to keep one layout).
@compute @workgroup_size(64)
fn depthwise2d_bwd_input(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    _ = b[0]; // bound in both entry points, so they share one layout
    let q = (wid.x + wid.y * nwg.x) * 64u + li;
    if q >= p.quads {
        return;
    }
    let ix0 = (q % p.quads_w) * 4u;
    let row = q / p.quads_w; // (img, ic, iy)
    let iy = row % p.in_h;
    let ic = (row / p.in_h) % p.in_c;
    let img = row / (p.in_h * p.in_c);
    let ocg = p.out_c / p.groups;
    var acc = vec4<f32>(0.0);
    for (var m = 0u; m < ocg; m++) {
        let oc = ic * ocg + m;
        let db = (img * p.out_c + oc) * p.out_h * p.out_w;
        for (var ky = 0u; ky < p.kh; ky++) {
            let ty = i32(iy + p.pad_t) - i32(ky * p.dh);
            let oy = ty / i32(p.sh);
            if ty < 0 || oy * i32(p.sh) != ty || oy >= i32(p.out_h) {
                continue;
            }
            let dr = db + u32(oy) * p.out_w;
            for (var kx = 0u; kx < p.kw; kx++) {
                let wv = w[(oc * p.kh + ky) * p.kw + kx];
                var v: vec4<f32>;
                for (var j = 0u; j < 4u; j++) {
                    let tx = i32(ix0 + j + p.pad_l) - i32(kx * p.dw);
                    let ox = tx / i32(p.sw);
                    let ok = tx >= 0 && ox * i32(p.sw) == tx && ox < i32(p.out_w);
                    v[j] = select(0.0, src[dr + u32(select(0, ox, ok))], ok);
                }
                acc = fma(vec4<f32>(wv), v, acc);
            }
        }
    }
    let xr = ((img * p.in_c + ic) * p.in_h + iy) * p.in_w;
    for (var j = 0u; j < 4u; j++) {
        if ix0 + j < p.in_w {
            dst[xr + ix0 + j] = acc[j];
        }
    }
}
