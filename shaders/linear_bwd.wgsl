// Backward passes of linear_fwd (y = x W^T + b):
//
// linear_bwd_input:   dx (batch, in_f)  = dy (batch, out_f) . W (out_f, in_f)
// linear_bwd_weight:  dW (out_f, in_f)  = dy^T (out_f, batch) . x (batch, in_f)
// (the bias gradient is bias_bwd's: the sum of dy over the batch)
//
// Both read `a` = dy and `b` (= W for the input gradient, x for the weight gradient), and
// write `out`. Each invocation computes a 4 x 4 block: 4 columns k = k0 + lid.x + 16 i of
// `out` (consecutive invocations, consecutive addresses) for 4 rows r = r0 + lid.y + 16 j.

struct Params {
    batch: u32, in_f: u32, out_f: u32, tiles_k: u32,
    num_tiles: u32, _pad0: u32, _pad1: u32, _pad2: u32,
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

// dx[n, k] = sum_m dy[n, m] W[m, k]
@compute @workgroup_size(16, 16)
fn linear_bwd_input(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    let tile = wid.x + wid.y * nwg.x;
    if tile >= p.num_tiles {
        return;
    }
    let k0 = (tile % p.tiles_k) * 64u + lid.x;
    let n0 = (tile / p.tiles_k) * 64u + lid.y;
    var col: array<u32, 4>;
    var row: array<u32, 4>;
    for (var i = 0u; i < 4u; i++) {
        col[i] = min(k0 + 16u * i, p.in_f - 1u);
        row[i] = min(n0 + 16u * i, p.batch - 1u) * p.out_f;
    }
    var acc: array<vec4<f32>, 4>; // acc[j][i]: image j, input feature i
    for (var m = 0u; m < p.out_f; m++) {
        let w = m * p.in_f;
        let wv = vec4<f32>(b[w + col[0]], b[w + col[1]], b[w + col[2]], b[w + col[3]]);
        for (var j = 0u; j < 4u; j++) {
            acc[j] += a[row[j] + m] * wv;
        }
    }
    for (var j = 0u; j < 4u; j++) {
        let n = n0 + 16u * j;
        for (var i = 0u; i < 4u; i++) {
            let k = k0 + 16u * i;
            if n < p.batch && k < p.in_f {
                out[n * p.in_f + k] = acc[j][i];
            }
        }
    }
}

// dW[m, k] = sum_n dy[n, m] x[n, k]
@compute @workgroup_size(16, 16)
fn linear_bwd_weight(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
) {
    let tile = wid.x + wid.y * nwg.x;
    if tile >= p.num_tiles {
        return;
    }
    let k0 = (tile % p.tiles_k) * 64u + lid.x;
    let m0 = (tile / p.tiles_k) * 64u + lid.y;
    var col: array<u32, 4>;
    var feat: array<u32, 4>;
    for (var i = 0u; i < 4u; i++) {
        col[i] = min(k0 + 16u * i, p.in_f - 1u);
        feat[i] = min(m0 + 16u * i, p.out_f - 1u);
    }
    var acc: array<vec4<f32>, 4>; // acc[j][i]: output feature j, input feature i
    for (var n = 0u; n < p.batch; n++) {
        let xr = n * p.in_f;
        let xv = vec4<f32>(b[xr + col[0]], b[xr + col[1]], b[xr + col[2]], b[xr + col[3]]);
        let dr = n * p.out_f;
        for (var j = 0u; j < 4u; j++) {
            acc[j] += a[dr + feat[j]] * xv;
        }
    }
    for (var j = 0u; j < 4u; j++) {
        let m = m0 + 16u * j;
        for (var i = 0u; i < 4u; i++) {
            let k = k0 + 16u * i;
            if m < p.out_f && k < p.in_f {
                out[m * p.in_f + k] = acc[j][i];
            }
        }
    }
}
