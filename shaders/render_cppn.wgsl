// render_cppn: a whole population of CPPNs, one invocation per (genome, pixel).
//
// programs: (batch, stride) u32: compiled genomes (src/evo/cppn.rs, Cppn::compile):
//   [n, outputs, out_slot0, out_slot1, out_slot2, 0, 0, 0]
//   then per non-input node t < n (topological order): [activation, end of its edges]
//   then per edge: [source slot, weight as f32 bits]
//   slots 0-3 hold the inputs x, y, d, bias; slot 4 + t holds node t's value.
// genes:    (batch, outputs, height, width) f32, for programs first .. first + batch: (floor(|out| * 255 + 0.001) + 0.5) / 255, the
//           byte-valued genes that render_grey / render_color turn into the network's input.
//
// Activations are protected: sine wraps its argument into [-pi, pi], tanh and exp see
// clamped arguments; no input gives Inf or NaN.

struct Params {
    batch: u32, width: u32, height: u32, stride: u32,
    max_nodes: u32, outputs: u32, first: u32, _pad1: u32,
}

@group(0) @binding(0) var<storage, read> programs: array<u32>;
@group(0) @binding(1) var<storage, read_write> genes: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

const HEADER: u32 = 8u;
const PI: f32 = 3.14159265358979;
const TAU: f32 = 6.28318530717959;

fn act(code: u32, x: f32) -> f32 {
    switch code {
        case 0u: {
            return sin(x - TAU * floor((x + PI) / TAU));
        }
        case 1u: {
            return tanh(clamp(x, -40.0, 40.0) * 0.5);
        }
        case 2u: {
            let q = clamp(x, -20.0, 20.0);
            return exp(-q * q);
        }
        default: {
            return clamp(x, -3.0, 3.0) / 3.0;
        }
    }
}

@compute @workgroup_size(256)
fn render_cppn(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let i = (wid.x + wid.y * nwg.x) * 256u + li;
    let plane = p.width * p.height;
    if i >= p.batch * plane {
        return;
    }
    let genome = i / plane;
    let pixel = i % plane;
    let col = pixel % p.width;
    let row = pixel / p.width;
    let base = (p.first + genome) * p.stride;
    var vals: array<f32, 64>;
    var xn = 0.0;
    var yn = 0.0;
    if p.width > 1u {
        xn = 2.0 * f32(col) / f32(p.width - 1u) - 1.0;
    }
    if p.height > 1u {
        yn = 2.0 * f32(row) / f32(p.height - 1u) - 1.0;
    }
    vals[0] = f32(col);
    vals[1] = f32(row);
    vals[2] = sqrt(xn * xn + yn * yn);
    vals[3] = 1.0;
    let n = min(programs[base], 60u);
    let edges = base + HEADER + 2u * (p.max_nodes - 4u);
    var start = 0u;
    for (var t = 0u; t < n; t++) {
        let end = programs[base + HEADER + 2u * t + 1u];
        var sum = 0.0;
        for (var e = start; e < end; e++) {
            let src = min(programs[edges + 2u * e], 63u);
            sum += bitcast<f32>(programs[edges + 2u * e + 1u]) * vals[src];
        }
        vals[4u + t] = act(programs[base + HEADER + 2u * t], sum);
        start = end;
    }
    for (var o = 0u; o < p.outputs; o++) {
        let v = vals[min(programs[base + 2u + o], 63u)];
        // a thousandth of a grey level of slack: a saturated output is exactly 1 on one device
        // and an ULP short on another, and floor would make that a whole grey level
        genes[(genome * p.outputs + o) * plane + pixel] = (floor(min(abs(v), 1.0) * 255.0 + 1e-3) + 0.5) / 255.0;
    }
}
