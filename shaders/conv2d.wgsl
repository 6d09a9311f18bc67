// conv2d_fwd: y = conv(x, w) + b (optionally ReLU), stride, zero padding and groups.
//
// x: (batch, in_c, in_h, in_w)            f32, NCHW, contiguous
// w: (out_c, in_c / groups, kh, kw)       f32, contiguous
// b: (out_c)                              f32
// y: (batch, out_c, out_h, out_w)         f32, NCHW, contiguous
//
// An implicit matrix product per group g: Y_g[m, n] = sum_k W_g[m, k] * X_g[k, n], with
// m an output channel of the group, n = (image, oy, ox) and k = (ic, ky, kx); X_g is the
// im2col matrix, gathered on the fly into workgroup memory. Each workgroup computes a
// 64 x 64 tile of Y_g; each of its 16 x 16 invocations a 4 x 4 block of it.

struct Params {
    batch: u32, in_c: u32, in_h: u32, in_w: u32,
    out_c: u32, out_h: u32, out_w: u32, groups: u32,
    kh: u32, kw: u32, stride: u32, pad: u32,
    tiles_m: u32, tiles_n: u32, num_tiles: u32, _pad0: u32,
}

override RELU: bool = false;

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
            let e = li + 256u * j;
            let nn = e % BN;
            let kk = e / BN;
            let n = n0 + nn;
            let k = k0 + kk;
            var v = 0.0;
            if n < ndim && k < kdim {
                let img = n / hw;
                let r = n % hw;
                let oy = r / p.out_w;
                let ox = r % p.out_w;
                let ic = k / ksz;
                let kr = k % ksz;
                let iy = i32(oy * p.stride + kr / p.kw) - i32(p.pad);
                let ix = i32(ox * p.stride + kr % p.kw) - i32(p.pad);
                if iy >= 0 && iy < i32(p.in_h) && ix >= 0 && ix < i32(p.in_w) {
                    v = x[((img * p.in_c + g * icg + ic) * p.in_h + u32(iy)) * p.in_w + u32(ix)];
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
                    v = max(v, 0.0);
                }
                y[((n / hw) * p.out_c + oc) * hw + n % hw] = v;
            }
        }
    }
}
