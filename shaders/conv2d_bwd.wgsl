// Backward passes of conv2d_fwd (y = conv(x, w) + b, strides, zero padding, dilations,
// groups):
//
// conv2d_bwd_input:   dx (batch, in_c, in_h, in_w) from dy (batch, out_c, out_h, out_w) and w
// conv2d_bwd_weight:  dw (out_c, in_c / groups, kh, kw) from dy and x
// (the bias gradient is bias_bwd's: the sum of dy over images and pixels)
//
// Both are gathers (no atomics, deterministic) written as register-blocked products: each
// invocation of a WX x WY workgroup computes a 4 x 4 block of the result, rows r0 + lid.y
// + WY i and columns c0 + lid.x + WX j; a workgroup covers a (4 WY) x (4 WX) tile of one
// group. The launcher sizes WX and WY to the layer so that few rows or columns waste little.
// Bindings: `a` = dy, `b` = w (input gradient) or x (weight gradient), `out` = the result.

struct Params {
    batch: u32, in_c: u32, in_h: u32, in_w: u32,
    out_c: u32, out_h: u32, out_w: u32, groups: u32,
    kh: u32, kw: u32, sh: u32, sw: u32,
    pad_t: u32, pad_l: u32, dh: u32, dw: u32,
    tiles_r: u32, tiles_c: u32, num_tiles: u32, inside: u32,
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

override WX: u32 = 16u;
override WY: u32 = 16u;

// dx of group g: rows = input channels ci of the group, columns = input pixels (n, iy, ix);
// dx[n, g icg + ci, iy, ix] = sum over the group's output channels and the taps (ky, kx)
// with oy sh = iy + pad_t - ky dh (likewise x) of w[oc, ci, ky, kx] dy[n, oc, oy, ox]
@compute @workgroup_size(WX, WY)
fn conv2d_bwd_input(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    let tile = wid.x + wid.y * nwg.x;
    if tile >= p.num_tiles {
        return;
    }
    let tr = tile % p.tiles_r;
    let rest = tile / p.tiles_r;
    let tc = rest % p.tiles_c;
    let g = rest / p.tiles_c;
    let icg = p.in_c / p.groups;
    let ocg = p.out_c / p.groups;
    let hw = p.in_h * p.in_w;
    let ncols = p.batch * hw;
    let r0 = tr * 4u * WY + lid.y;
    let c0 = tc * 4u * WX + lid.x;

    var wrow: array<u32, 4>; // offset of w[g ocg, ci, 0, 0]
    var img: array<u32, 4>;
    var py: array<i32, 4>; // iy + pad_t
    var px: array<i32, 4>; // ix + pad_l
    for (var i = 0u; i < 4u; i++) {
        wrow[i] = ((g * ocg) * icg + min(r0 + WY * i, icg - 1u)) * p.kh * p.kw;
        let col = min(c0 + WX * i, ncols - 1u);
        img[i] = col / hw;
        py[i] = i32((col % hw) / p.in_w + p.pad_t);
        px[i] = i32(col % p.in_w + p.pad_l);
    }
    let ohw = p.out_h * p.out_w;
    let sy = i32(p.sh);
    let sx = i32(p.sw);
    var acc: array<vec4<f32>, 4>; // acc[i][j]: channel i, pixel j
    for (var ky = 0u; ky < p.kh; ky++) {
        for (var kx = 0u; kx < p.kw; kx++) {
            // where each pixel's term for this tap lies in dy (or -1 when none does)
            var at: array<i32, 4>;
            for (var j = 0u; j < 4u; j++) {
                let ty = py[j] - i32(ky * p.dh);
                let tx = px[j] - i32(kx * p.dw);
                let oy = ty / sy;
                let ox = tx / sx;
                let ok = ty >= 0 && tx >= 0 && oy * sy == ty && ox * sx == tx && oy < i32(p.out_h) && ox < i32(p.out_w);
                at[j] = select(-1, i32((img[j] * p.out_c + g * ocg) * ohw) + oy * i32(p.out_w) + ox, ok);
            }
            let tap = ky * p.kw + kx;
            for (var m = 0u; m < ocg; m++) {
                let dm = i32(m * ohw);
                var dv: vec4<f32>;
                for (var j = 0u; j < 4u; j++) {
                    dv[j] = select(0.0, a[u32(max(at[j] + dm, 0))], at[j] >= 0);
                }
                let wm = m * icg * p.kh * p.kw + tap;
                for (var i = 0u; i < 4u; i++) {
                    acc[i] += b[wrow[i] + wm] * dv;
                }
            }
        }
    }
    for (var i = 0u; i < 4u; i++) {
        let ci = r0 + WY * i;
        if ci >= icg {
            continue;
        }
        for (var j = 0u; j < 4u; j++) {
            let col = c0 + WX * j;
            if col < ncols {
                out[((col / hw) * p.in_c + g * icg + ci) * hw + col % hw] = acc[i][j];
            }
        }
    }
}

// dw of group g: rows = the group's output channels, columns = (ci, ky, kx);
// dw[oc, ci, ky, kx] = sum over images and output pixels of dy[n, oc, oy, ox] x[n, g icg + ci, iy, ix]
@compute @workgroup_size(WX, WY)
fn conv2d_bwd_weight(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    let tile = wid.x + wid.y * nwg.x;
    if tile >= p.num_tiles {
        return;
    }
    let tr = tile % p.tiles_r;
    let rest = tile / p.tiles_r;
    let tc = rest % p.tiles_c;
    let g = rest / p.tiles_c;
    let icg = p.in_c / p.groups;
    let ocg = p.out_c / p.groups;
    let ksz = p.kh * p.kw;
    let ncols = icg * ksz;
    let r0 = tr * 4u * WY + lid.y;
    let c0 = tc * 4u * WX + lid.x;
    let hw = p.in_h * p.in_w;
    let ohw = p.out_h * p.out_w;

    var drow: array<u32, 4>; // offset of dy[0, oc, 0, 0]
    var xoff: array<u32, 4>; // offset of x[0, g icg + ci, 0, 0]
    var ky: array<i32, 4>;
    var kx: array<i32, 4>;
    for (var i = 0u; i < 4u; i++) {
        drow[i] = (g * ocg + min(r0 + WY * i, ocg - 1u)) * ohw;
        let col = min(c0 + WX * i, ncols - 1u);
        xoff[i] = (g * icg + col / ksz) * hw;
        ky[i] = i32(((col % ksz) / p.kw) * p.dh) - i32(p.pad_t);
        kx[i] = i32((col % p.kw) * p.dw) - i32(p.pad_l);
    }
    var acc: array<vec4<f32>, 4>; // acc[i][j]: output channel i, column j
    for (var n = 0u; n < p.batch; n++) {
        let dn = n * p.out_c * ohw;
        let xn = n * p.in_c * hw;
        for (var oy = 0u; oy < p.out_h; oy++) {
            for (var ox = 0u; ox < p.out_w; ox++) {
                let o = dn + oy * p.out_w + ox;
                let dv = vec4<f32>(a[o + drow[0]], a[o + drow[1]], a[o + drow[2]], a[o + drow[3]]);
                var xv: vec4<f32>;
                for (var j = 0u; j < 4u; j++) {
                    let iy = i32(oy * p.sh) + ky[j];
                    let ix = i32(ox * p.sw) + kx[j];
                    let ok = iy >= 0 && iy < i32(p.in_h) && ix >= 0 && ix < i32(p.in_w);
                    xv[j] = select(0.0, b[u32(max(i32(xn + xoff[j]) + iy * i32(p.in_w) + ix, 0))], ok);
                }
                for (var i = 0u; i < 4u; i++) {
                    acc[i] += dv[i] * xv;
                }
            }
        }
    }
    for (var i = 0u; i < 4u; i++) {
        let m = r0 + WY * i;
        if m >= ocg {
            continue;
        }
        for (var j = 0u; j < 4u; j++) {
            let col = c0 + WX * j;
            if col < ncols {
                out[(g * ocg + m) * ncols + col] = acc[i][j];
            }
        }
    }
}
