// act_fwd: y = f(x), element-wise, for the activation KIND (an override constant):
//
//   0 ReLU         max(x, 0)
//   1 LeakyRelu    x if x > 0, else a x
//   2 Clip         min(max(x, a), b)             (ReLU6: a = 0, b = 6)
//   3 Sigmoid      1 / (1 + e^-x)                (from e^-|x|: never overflows)
//   4 Tanh         tanh(x)                       (x clamped to ±20, where tanh is ±1 in f32)
//   5 HardSigmoid  min(max(a x + b, 0), 1)
//   6 HardSwish    x min(max(a x + b, 0), 1)     (a = 1/6, b = 1/2)
//
// x: (n) f32     y: (n) f32
// One invocation per element.

struct Params {
    n: u32, a: f32, b: f32, _pad0: u32,
}

override KIND: u32 = 0u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

fn sigmoid(v: f32) -> f32 {
    let e = exp(-abs(v));
    return select(e / (1.0 + e), 1.0 / (1.0 + e), v >= 0.0);
}

@compute @workgroup_size(256)
fn act_fwd(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let i = (wid.x + wid.y * nwg.x) * 256u + li;
    if i >= p.n {
        return;
    }
    let v = x[i];
    var r = v;
    switch KIND {
        case 0u: { r = max(v, 0.0); }
        case 1u: { r = select(p.a * v, v, v > 0.0); }
        case 2u: { r = min(max(v, p.a), p.b); }
        case 3u: { r = sigmoid(v); }
        case 4u: { r = tanh(clamp(v, -20.0, 20.0)); }
        case 5u: { r = min(max(p.a * v + p.b, 0.0), 1.0); }
        case 6u: { r = v * min(max(p.a * v + p.b, 0.0), 1.0); }
        default: {}
    }
    y[i] = r;
}
