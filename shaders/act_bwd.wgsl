// act_bwd: dx = dy f'(x), element-wise, for the activations of act_fwd (same KIND, a, b),
// from the activation's input x. Where f has a kink the derivative is PyTorch's:
//
//   0 ReLU         1 where x > 0
//   1 LeakyRelu    1 where x > 0, else a
//   2 Clip         1 where a < x < b                 (hardtanh's)
//   3 Sigmoid      s (1 − s) = e / (1 + e)², e = e^−|x| (no cancellation where s nears 1)
//   4 Tanh         1 − tanh(x)² = 4 e / (1 + e)², e = e^−2|x| (no cancellation)
//   5 HardSigmoid  a where 0 < a x + b < 1
//   6 HardSwish    0 where a x + b <= 0, 1 where a x + b >= 1, else 2 a x + b
//
// x: (n) f32     dy: (n) f32     dx: (n) f32
// One invocation per element.

struct Params {
    n: u32, a: f32, b: f32, _pad0: u32,
}

override KIND: u32 = 0u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(256)
fn act_bwd(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let i = (wid.x + wid.y * nwg.x) * 256u + li;
    if i >= p.n {
        return;
    }
    let v = x[i];
    var d = 1.0;
    switch KIND {
        case 0u: { d = select(0.0, 1.0, v > 0.0); }
        case 1u: { d = select(p.a, 1.0, v > 0.0); }
        case 2u: { d = select(0.0, 1.0, v > p.a && v < p.b); }
        case 3u: { let e = exp(-abs(v)); d = e / ((1.0 + e) * (1.0 + e)); }
        case 4u: { let e = exp(-2.0 * abs(v)); d = 4.0 * e / ((1.0 + e) * (1.0 + e)); }
        case 5u: {
            let u = p.a * v + p.b;
            d = select(0.0, p.a, u > 0.0 && u < 1.0);
        }
        case 6u: {
            let u = p.a * v + p.b;
            d = select(select(2.0 * p.a * v + p.b, 1.0, u >= 1.0), 0.0, u <= 0.0);
        }
        default: {}
    }
    dx[i] = dy[i] * d;
}
