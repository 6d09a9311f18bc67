// softmax_xent_bwd: softmax cross-entropy loss and its gradient with respect to the logits.
//
// x:      (rows, cols) f32 logits, row-major
// label:  (rows) u32, each < cols
// dx:     (rows, cols) f32: (softmax(x) - onehot(label)) * scale   (scale = 1 / batch for a mean loss)
// loss:   (rows) f32: -log softmax(x)[label], computed as logsumexp(x) - x[label]
//
// One workgroup per row: max and sum reductions in workgroup memory, as softmax_fwd.

struct Params {
    rows: u32, cols: u32, scale: f32, _pad0: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> label: array<u32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<storage, read_write> loss: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

const WG: u32 = 128u;
var<workgroup> red: array<f32, WG>;

@compute @workgroup_size(128)
fn softmax_xent_bwd(
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
    let total = red[0];
    let want = min(label[row], p.cols - 1u);

    for (var c = li; c < p.cols; c += WG) {
        let prob = exp(x[base + c] - m) / total;
        dx[base + c] = (prob - select(0.0, 1.0, c == want)) * p.scale;
    }
    if li == 0u {
        loss[row] = log(total) + m - x[base + want];
    }
}
