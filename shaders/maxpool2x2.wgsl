// maxpool2x2_fwd: `maxpool2d_fwd` (maxpool2d.wgsl) for 2×2 windows every 2 pixels without
// padding, input rows a multiple of 8 wide and planes an even number of rows high (LeNet's
// pools): each invocation computes four neighbouring outputs of a row from two vec4s of each
// of its two input rows, and stores them (and their arg-maxes) as one vec4. On a CPU adapter a
// load whose index differs between lanes costs a load per lane: 4 vec4 loads where the
// general kernel makes 16 scalar ones. The same values and arg-maxes as the general kernel:
// the window read row by row, the first of equal maxima kept, NaN never chosen.
//
// x:   (planes, in_h, in_w / 4)       vec4<f32>
// y:   (planes, out_h, out_w / 4)     vec4<f32>
// arg: (planes, out_h, out_w / 4)     vec4<u32>: iy * in_w + ix of each maximum

struct Params {
    planes: u32, in_h: u32, in_w: u32, out_h: u32,
    out_w: u32, kh: u32, kw: u32, sh: u32,
    sw: u32, pad_t: u32, pad_l: u32, pad_b: u32,
    pad_r: u32, _pad0: u32, _pad1: u32, _pad2: u32,
}

@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> y: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> arg: array<vec4<u32>>;
@group(0) @binding(3) var<uniform> p: Params;

struct Best {
    v: f32,
    at: u32,
}

// The window's top pair `t` and bottom pair `b` (each left, right), the top-left's index `at`.
fn window(t: vec2<f32>, b: vec2<f32>, at: u32) -> Best {
    var best = Best(-3.402823e38, 0u);
    if t.x > best.v {
        best = Best(t.x, at);
    }
    if t.y > best.v {
        best = Best(t.y, at + 1u);
    }
    if b.x > best.v {
        best = Best(b.x, at + p.in_w);
    }
    if b.y > best.v {
        best = Best(b.y, at + p.in_w + 1u);
    }
    return best;
}

@compute @workgroup_size(256)
fn maxpool2x2_fwd(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let q = (wid.x + wid.y * nwg.x) * 256u + li;
    let quads_w = p.out_w / 4u;
    if q >= p.planes * p.out_h * quads_w {
        return;
    }
    let row = q / quads_w; // plane * out_h + oy
    let qx = q % quads_w;
    let oy = row % p.out_h;
    let plane = row / p.out_h;
    let w4 = p.in_w / 4u;
    let top = (plane * p.in_h + 2u * oy) * w4 + 2u * qx;
    let a0 = x[top];
    let a1 = x[top + 1u];
    let b0 = x[top + w4];
    let b1 = x[top + w4 + 1u];
    // the index in the plane of the first window's top-left input
    let at = 2u * oy * p.in_w + 8u * qx;
    let o0 = window(a0.xy, b0.xy, at);
    let o1 = window(a0.zw, b0.zw, at + 2u);
    let o2 = window(a1.xy, b1.xy, at + 4u);
    let o3 = window(a1.zw, b1.zw, at + 6u);
    y[q] = vec4<f32>(o0.v, o1.v, o2.v, o3.v);
    arg[q] = vec4<u32>(o0.at, o1.at, o2.at, o3.at);
}
