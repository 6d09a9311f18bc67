// conv2d_fwd: y = conv(x, w) + b (optionally ReLU), with strides (sh, sw), zero padding
// (top pad_t, left pad_l; the bottom and right pads only size the output), dilations
// (dh, dw) and groups.
//
// x: (batch, in_c, in_h, in_w)            f32, NCHW, contiguous
// w: (out_c, in_c / groups, kh, kw)       f32, contiguous
// b: (out_c)                              f32
// y: (batch, out_c, out_h, out_w)         f32, NCHW, contiguous
//
// An implicit matrix product per group g: Y_g[m, n] = sum_k W_g[m, k] * X_g[k, n], with
// m an output channel of the group, n = (image, oy, ox) and k = (ic, ky, kx), input row
// oy sh − pad_t + ky dh (likewise columns); X_g is the im2col matrix, gathered on the fly into workgroup memory. Each workgroup computes a
// 64 x 64 tile of Y_g; each of its 16 x 16 invocations a 4 x 4 block of it.

struct Params {
    batch: u32, in_c: u32, in_h: u32, in_w: u32,
    out_c: u32, out_h: u32, out_w: u32, groups: u32,
    kh: u32, kw: u32, sh: u32, sw: u32,
    pad_t: u32, pad_l: u32, dh: u32, dw: u32,
    tiles_m: u32, tiles_n: u32, num_tiles: u32, inside: u32,
}

override RELU: bool = false;
// a ReLU's ceiling (ReLU6: 6); the largest f32 for a plain ReLU
override CAP: f32 = 3.4028235e38;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

const BM: u32 = 64u;
const BN: u32 = 64u;
const BK: u32 = 16u;

var<workgroup> a_tile: array<f32, 1024>; // [BK][BM]
var<workgroup> b_tile: array<f32, 1024>; // [BK][BN]

@compute @workgroup_size(16, 16)
fn conv2d_fwd(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let tile = wid.x + wid.y * nwg.x;
    if tile >= p.num_tiles {
        return;
    }
    let tm = tile % p.tiles_m;
    let rest = tile / p.tiles_m;
    let tn = rest % p.tiles_n;
    let g = rest / p.tiles_n;

    let ocg = p.out_c / p.groups;
    let icg = p.in_c / p.groups;
    let ksz = p.kh * p.kw;
    let kdim = icg * ksz;
    let hw = p.out_h * p.out_w;
    let ndim = p.batch * hw;
    let m0 = tm * BM;
    let n0 = tn * BN;

    // This invocation's im2col column is the same for every k: nn = li % BN (256 is a
    // multiple of BN), rows kk = li / BN + 4 j. Decompose it once.
    let nn = li % BN;
    let n = n0 + nn;
    let n_ok = n < ndim;
    let img = n / hw;
    let oy = (n % hw) / p.out_w;
    let ox = n % p.out_w;
    let x_img = (img * p.in_c + g * icg) * p.in_h * p.in_w;
    let iy0 = i32(oy * p.sh) - i32(p.pad_t);
    let ix0 = i32(ox * p.sw) - i32(p.pad_l);

    var acc: array<vec4<f32>, 4>;
    for (var k0 = 0u; k0 < kdim; k0 += BK) {
        for (var j = 0u; j < 4u; j++) {
            // weights: consecutive invocations read consecutive k
            let e = li + 256u * j;
            let mm = e / BK;
            let kk = e % BK;
            let m = m0 + mm;
            let k = k0 + kk;
            var v = 0.0;
            if m < ocg && k < kdim {
                v = w[(g * ocg + m) * kdim + k];
            }
            a_tile[kk * BM + mm] = v;
        }
        for (var j = 0u; j < 4u; j++) {
            // im2col gather: consecutive invocations read consecutive output pixels
            let kk = li / BN + 4u * j;
            let k = k0 + kk;
            var v = 0.0;
            if n_ok && k < kdim {
                let ic = k / ksz;
                let kr = k % ksz;
                let iy = iy0 + i32((kr / p.kw) * p.dh);
                let ix = ix0 + i32((kr % p.kw) * p.dw);
                if iy >= 0 && iy < i32(p.in_h) && ix >= 0 && ix < i32(p.in_w) {
                    v = x[x_img + (ic * p.in_h + u32(iy)) * p.in_w + u32(ix)];
                }
            }
            b_tile[kk * BN + nn] = v;
        }
        workgroupBarrier();
        for (var kk = 0u; kk < BK; kk++) {
            let bv = vec4<f32>(
                b_tile[kk * BN + lid.x],
                b_tile[kk * BN + lid.x + 16u],
                b_tile[kk * BN + lid.x + 32u],
                b_tile[kk * BN + lid.x + 48u],
            );
            for (var i = 0u; i < 4u; i++) {
                acc[i] += a_tile[kk * BM + lid.y + 16u * i] * bv;
            }
        }
        workgroupBarrier();
    }

    for (var i = 0u; i < 4u; i++) {
        let m = m0 + lid.y + 16u * i;
        if m >= ocg {
            continue;
        }
        let oc = g * ocg + m;
        let bias = b[oc];
        for (var j = 0u; j < 4u; j++) {
            let n = n0 + lid.x + 16u * j;
            if n < ndim {
                var v = acc[i][j] + bias;
                if RELU {
                    v = min(max(v, 0.0), CAP);
                }
                y[((n / hw) * p.out_c + oc) * hw + n % hw] = v;
            }
        }
    }
}

// conv2d_fwd_direct: the same function without workgroup memory or barriers, for adapters
// where caches do the tiling (CPU adapters such as lavapipe, where barriers are costly).
// Each invocation computes 4 output channels (m = m0 + lid.y + WY i) of 4 output pixels
// (n = n0 + lid.x + WX j), reading weights and inputs straight from storage. The workgroup
// shape WX x WY is chosen per layer (WX * WY = 256) so small layers waste little: the tile
// is (4 WY) x (4 WX).

override WX: u32 = 16u;
override WY: u32 = 16u;

@compute @workgroup_size(WX, WY)
fn conv2d_fwd_direct(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    let tile = wid.x + wid.y * nwg.x;
    if tile >= p.num_tiles {
        return;
    }
    let tm = tile % p.tiles_m;
    let rest = tile / p.tiles_m;
    let tn = rest % p.tiles_n;
    let g = rest / p.tiles_n;

    let ocg = p.out_c / p.groups;
    let icg = p.in_c / p.groups;
    let kdim = icg * p.kh * p.kw;
    let hw = p.out_h * p.out_w;
    let ndim = p.batch * hw;
    let m0 = tm * 4u * WY + lid.y;
    let n0 = tn * 4u * WX + lid.x;
    let plane = p.in_h * p.in_w;

    // rows of w and input windows of this invocation's 4 channels and 4 pixels (clamped to
    // valid ones; results of clamped rows or pixels are computed and not stored)
    var wrow: array<u32, 4>;
    var xbase: array<i32, 4>;
    var iy0: array<i32, 4>;
    var ix0: array<i32, 4>;
    for (var i = 0u; i < 4u; i++) {
        wrow[i] = (g * ocg + min(m0 + WY * i, ocg - 1u)) * kdim;
        let n = min(n0 + WX * i, ndim - 1u);
        let img = n / hw;
        let r = n % hw;
        iy0[i] = i32((r / p.out_w) * p.sh) - i32(p.pad_t);
        ix0[i] = i32((r % p.out_w) * p.sw) - i32(p.pad_l);
        xbase[i] = i32((img * p.in_c + g * icg) * plane);
    }

    var acc: array<vec4<f32>, 4>; // acc[i][j]: channel i, pixel j
    var k = 0u;
    if p.inside == 1u {
        // every window lies inside the image (no padding): no bounds checks
        var xoff: array<u32, 4>;
        for (var j = 0u; j < 4u; j++) {
            xoff[j] = u32(xbase[j] + iy0[j] * i32(p.in_w) + ix0[j]);
        }
        for (var ic = 0u; ic < icg; ic++) {
            for (var ky = 0u; ky < p.kh; ky++) {
                let row = ic * plane + ky * p.dh * p.in_w;
                for (var kx = 0u; kx < p.kw; kx++) {
                    let at = row + kx * p.dw;
                    let xv = vec4<f32>(x[xoff[0] + at], x[xoff[1] + at], x[xoff[2] + at], x[xoff[3] + at]);
                    for (var i = 0u; i < 4u; i++) {
                        acc[i] += w[wrow[i] + k] * xv;
                    }
                    k++;
                }
            }
        }
    } else {
        for (var ic = 0u; ic < icg; ic++) {
            for (var ky = 0u; ky < p.kh; ky++) {
                for (var kx = 0u; kx < p.kw; kx++) {
                    var xv: vec4<f32>;
                    for (var j = 0u; j < 4u; j++) {
                        let iy = iy0[j] + i32(ky * p.dh);
                        let ix = ix0[j] + i32(kx * p.dw);
                        let inside = iy >= 0 && iy < i32(p.in_h) && ix >= 0 && ix < i32(p.in_w);
                        let at = xbase[j] + i32(ic * plane) + iy * i32(p.in_w) + ix;
                        xv[j] = select(0.0, x[u32(max(at, 0))], inside);
                    }
                    for (var i = 0u; i < 4u; i++) {
                        acc[i] += w[wrow[i] + k] * xv;
                    }
                    k++;
                }
            }
        }
    }

    for (var i = 0u; i < 4u; i++) {
        let m = m0 + WY * i;
        if m >= ocg {
            continue;
        }
        let oc = g * ocg + m;
        let bias = b[oc];
        for (var j = 0u; j < 4u; j++) {
            let n = n0 + WX * j;
            if n < ndim {
                var v = acc[i][j] + bias;
                if RELU {
                    v = min(max(v, 0.0), CAP);
                }
                y[((n / hw) * p.out_c + oc) * hw + n % hw] = v;
            }
        }
    }
}
