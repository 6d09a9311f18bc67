// softmax_fwd: y[r, :] = exp(x[r, :] - max) / sum(exp(x[r, :] - max)), per row.
//
// x: (rows, cols) f32, row-major     y: (rows, cols) f32, row-major
//
// One workgroup per row: a max reduction, then a sum reduction, in workgroup memory.
// Subtracting the row maximum keeps every exponent <= 0: no overflow for any logits.

struct Params {
    rows: u32, cols: u32, _pad0: u32, _pad1: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

const WG: u32 = 128u;
var<workgroup> red: array<f32, WG>;

@compute @workgroup_size(128)
fn softmax_fwd(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let row = wid.x + wid.y * nwg.x;
    if row >= p.rows {
        return;
    }
    let base = row * p.cols;

    var m = -3.402823e38;
    for (var c = li; c < p.cols; c += WG) {
        m = max(m, x[base + c]);
    }
    red[li] = m;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s >>= 1u) {
        if li < s {
            red[li] = max(red[li], red[li + s]);
        }
        workgroupBarrier();
    }
    m = red[0];
    workgroupBarrier();

    var sum = 0.0;
    for (var c = li; c < p.cols; c += WG) {
        sum += exp(x[base + c] - m);
    }
    red[li] = sum;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s >>= 1u) {
        if li < s {
            red[li] += red[li + s];
        }
        workgroupBarrier();
    }
    let inv = 1.0 / red[0];

    for (var c = li; c < p.cols; c += WG) {
        y[base + c] = exp(x[base + c] - m) * inv;
    }
}
