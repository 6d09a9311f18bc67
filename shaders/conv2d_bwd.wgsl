// Backward passes of conv2d_fwd (y = conv(x, w) + b, stride, zero padding, groups):
//
// conv2d_bwd_input:   dx (batch, in_c, in_h, in_w) from dy (batch, out_c, out_h, out_w) and w
// conv2d_bwd_weight:  dw (out_c, in_c / groups, kh, kw) from dy and x
// (the bias gradient is bias_bwd's: the sum of dy over images and pixels)
//
// Both gather (no atomics, deterministic): one invocation per element of the result, summing
// every term that reaches it. Bindings: `a` = dy, `b` = w (input gradient) or x (weight
// gradient), `out` = the result.

struct Params {
    batch: u32, in_c: u32, in_h: u32, in_w: u32,
    out_c: u32, out_h: u32, out_w: u32, groups: u32,
    kh: u32, kw: u32, stride: u32, pad: u32,
    total: u32, _pad0: u32, _pad1: u32, _pad2: u32,
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

// dx[n, c, iy, ix] = sum over the output channels oc of c's group and the kernel taps
// (ky, kx) with iy = oy * stride - pad + ky, ix likewise, of w[oc, c - g icg, ky, kx] dy[n, oc, oy, ox]
@compute @workgroup_size(256)
fn conv2d_bwd_input(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let i = (wid.x + wid.y * nwg.x) * 256u + li;
    if i >= p.total {
        return;
    }
    let ix = i % p.in_w;
    let iy = (i / p.in_w) % p.in_h;
    let c = (i / (p.in_w * p.in_h)) % p.in_c;
    let n = i / (p.in_w * p.in_h * p.in_c);
    let icg = p.in_c / p.groups;
    let ocg = p.out_c / p.groups;
    let g = c / icg;
    let ci = c % icg;
    var acc = 0.0;
    for (var ky = 0u; ky < p.kh; ky++) {
        let ty = i32(iy + p.pad) - i32(ky); // = oy * stride
        if ty < 0 || u32(ty) % p.stride != 0u {
            continue;
        }
        let oy = u32(ty) / p.stride;
        if oy >= p.out_h {
            continue;
        }
        for (var kx = 0u; kx < p.kw; kx++) {
            let tx = i32(ix + p.pad) - i32(kx);
            if tx < 0 || u32(tx) % p.stride != 0u {
                continue;
            }
            let ox = u32(tx) / p.stride;
            if ox >= p.out_w {
                continue;
            }
            for (var m = 0u; m < ocg; m++) {
                let oc = g * ocg + m;
                acc += b[((oc * icg + ci) * p.kh + ky) * p.kw + kx]
                    * a[((n * p.out_c + oc) * p.out_h + oy) * p.out_w + ox];
            }
        }
    }
    out[i] = acc;
}

// dw[oc, ci, ky, kx] = sum over images and output pixels of dy[n, oc, oy, ox] x[n, g icg + ci, iy, ix]
@compute @workgroup_size(256)
fn conv2d_bwd_weight(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let i = (wid.x + wid.y * nwg.x) * 256u + li;
    if i >= p.total {
        return;
    }
    let icg = p.in_c / p.groups;
    let ocg = p.out_c / p.groups;
    let kx = i % p.kw;
    let ky = (i / p.kw) % p.kh;
    let ci = (i / (p.kw * p.kh)) % icg;
    let oc = i / (p.kw * p.kh * icg);
    let c = (oc / ocg) * icg + ci;
    var acc = 0.0;
    for (var n = 0u; n < p.batch; n++) {
        let xp = (n * p.in_c + c) * p.in_h;
        let dp = (n * p.out_c + oc) * p.out_h;
        for (var oy = 0u; oy < p.out_h; oy++) {
            let iy = i32(oy * p.stride + ky) - i32(p.pad);
            if iy < 0 || iy >= i32(p.in_h) {
                continue;
            }
            let xr = (xp + u32(iy)) * p.in_w;
            let dr = (dp + oy) * p.out_w;
            for (var ox = 0u; ox < p.out_w; ox++) {
                let ix = i32(ox * p.stride + kx) - i32(p.pad);
                if ix >= 0 && ix < i32(p.in_w) {
                    acc += a[dr + ox] * b[xr + u32(ix)];
                }
            }
        }
    }
    out[i] = acc;
}
