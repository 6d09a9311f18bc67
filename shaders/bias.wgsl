// bias_bwd: the gradient of a per-channel bias, db[c] = sum over n and s of dy[n, c, s].
//
// dy: (batch, channels, spatial) f32, contiguous (spatial = 1 for a fully-connected layer)
// db: (channels) f32
//
// One workgroup per channel; a tree reduction in workgroup memory.

struct Params {
    batch: u32, channels: u32, spatial: u32, _pad0: u32,
}

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read_write> db: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

const WG: u32 = 256u;
var<workgroup> red: array<f32, WG>;

@compute @workgroup_size(256)
fn bias_bwd(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let c = wid.x + wid.y * nwg.x;
    if c >= p.channels {
        return;
    }
    let count = p.batch * p.spatial;
    var sum = 0.0;
    for (var i = li; i < count; i += WG) {
        let n = i / p.spatial;
        let s = i % p.spatial;
        sum += dy[(n * p.channels + c) * p.spatial + s];
    }
    red[li] = sum;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s >>= 1u) {
        if li < s {
            red[li] += red[li + s];
        }
        workgroupBarrier();
    }
    if li == 0u {
        db[c] = red[0];
    }
}
