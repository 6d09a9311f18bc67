// linear_fwd: fully-connected layer y = x W^T + b (optionally ReLU).
//
// x: (batch, in_f)     f32, row-major (a conv output (batch, C, H, W) is read as flattened C,H,W)
// w: (out_f, in_f)     f32, row-major (Caffe's and PyTorch's layout)
// b: (out_f)           f32
// y: (batch, out_f)    f32, row-major
//
// The matrix product Y^T[m, n] = sum_k W[m, k] X[n, k], m an output feature, n an image,
// in 64 x 64 tiles through workgroup memory; each of the 16 x 16 invocations owns 4 x 4.

struct Params {
    batch: u32, in_f: u32, out_f: u32, tiles_m: u32,
    num_tiles: u32, _pad0: u32, _pad1: u32, _pad2: u32,
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

var<workgroup> a_tile: array<f32, 1024>; // [BK][BM]: weights
var<workgroup> b_tile: array<f32, 1024>; // [BK][BN]: inputs

@compute @workgroup_size(16, 16)
fn linear_fwd(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let tile = wid.x + wid.y * nwg.x;
    if tile >= p.num_tiles {
        return;
    }
    let m0 = (tile % p.tiles_m) * BM;
    let n0 = (tile / p.tiles_m) * BN;
    let kdim = p.in_f;

    var acc: array<vec4<f32>, 4>;
    for (var k0 = 0u; k0 < kdim; k0 += BK) {
        for (var j = 0u; j < 4u; j++) {
            // both operands are k-contiguous: consecutive invocations read consecutive k
            let e = li + 256u * j;
            let row = e / BK;
            let kk = e % BK;
            let k = k0 + kk;
            var wv = 0.0;
            if m0 + row < p.out_f && k < kdim {
                wv = w[(m0 + row) * kdim + k];
            }
            a_tile[kk * BM + row] = wv;
            var xv = 0.0;
            if n0 + row < p.batch && k < kdim {
                xv = x[(n0 + row) * kdim + k];
            }
            b_tile[kk * BN + row] = xv;
        }
        workgroupBarrier();
        for (var kk = 0u; kk < BK; kk++) {
            let av = vec4<f32>(
                a_tile[kk * BM + lid.x],
                a_tile[kk * BM + lid.x + 16u],
                a_tile[kk * BM + lid.x + 32u],
                a_tile[kk * BM + lid.x + 48u],
            );
            for (var j = 0u; j < 4u; j++) {
                acc[j] += b_tile[kk * BN + lid.y + 16u * j] * av;
            }
        }
        workgroupBarrier();
    }

    // acc[j][i]: image n0 + lid.y + 16 j, feature m0 + lid.x + 16 i (stores coalesce along m)
    for (var j = 0u; j < 4u; j++) {
        let n = n0 + lid.y + 16u * j;
        if n >= p.batch {
            continue;
        }
        for (var i = 0u; i < 4u; i++) {
            let m = m0 + lid.x + 16u * i;
            if m < p.out_f {
                var v = acc[j][i] + b[m];
                if RELU {
                    v = min(max(v, 0.0), CAP);
                }
                y[n * p.out_f + m] = v;
            }
        }
    }
}

// linear_fwd_direct: the same function without workgroup memory or barriers, for adapters
// where caches do the tiling (CPU adapters such as lavapipe, where barriers are costly).
// Each invocation computes 4 features (m = m0 + lid.x + WX i) of 4 images
// (n = n0 + lid.y + WY j). WX x WY (= 256) is chosen per layer; the tile is (4 WX) x (4 WY).

override WX: u32 = 16u;
override WY: u32 = 16u;

@compute @workgroup_size(WX, WY)
fn linear_fwd_direct(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    let tile = wid.x + wid.y * nwg.x;
    if tile >= p.num_tiles {
        return;
    }
    let m0 = (tile % p.tiles_m) * 4u * WX + lid.x;
    let n0 = (tile / p.tiles_m) * 4u * WY + lid.y;
    let kdim = p.in_f;
    var wrow: array<u32, 4>;
    var xrow: array<u32, 4>;
    for (var i = 0u; i < 4u; i++) {
        wrow[i] = min(m0 + WX * i, p.out_f - 1u) * kdim;
        xrow[i] = min(n0 + WY * i, p.batch - 1u) * kdim;
    }
    var acc: array<vec4<f32>, 4>; // acc[j][i]: image j, feature i
    for (var k = 0u; k < kdim; k++) {
        let wv = vec4<f32>(w[wrow[0] + k], w[wrow[1] + k], w[wrow[2] + k], w[wrow[3] + k]);
        for (var j = 0u; j < 4u; j++) {
            acc[j] += x[xrow[j] + k] * wv;
        }
    }
    for (var j = 0u; j < 4u; j++) {
        let n = n0 + WY * j;
        if n >= p.batch {
            continue;
        }
        for (var i = 0u; i < 4u; i++) {
            let m = m0 + WX * i;
            if m < p.out_f {
                var v = acc[j][i] + b[m];
                if RELU {
                    v = min(max(v, 0.0), CAP);
                }
                y[n * p.out_f + m] = v;
            }
        }
    }
}
