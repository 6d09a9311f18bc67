// gather_batch: assembles a training batch from a dataset held on the device.
//
// data:      the dataset's 8-bit pixels, packed 4 to a u32 (little-endian), image after image
// labels:    (images) u32
// idx:       (batch) u32, the images of this batch
// x:         (batch, pixels) f32 = pixel * scale
// label_out: (batch) u32
//
// One invocation per output pixel; the first pixel's invocation also copies the label.

struct Params {
    batch: u32, pixels: u32, scale: f32, _pad0: u32,
}

@group(0) @binding(0) var<storage, read> data: array<u32>;
@group(0) @binding(1) var<storage, read> labels: array<u32>;
@group(0) @binding(2) var<storage, read> idx: array<u32>;
@group(0) @binding(3) var<storage, read_write> x: array<f32>;
@group(0) @binding(4) var<storage, read_write> label_out: array<u32>;
@group(0) @binding(5) var<uniform> p: Params;

@compute @workgroup_size(256)
fn gather_batch(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let i = (wid.x + wid.y * nwg.x) * 256u + li;
    if i >= p.batch * p.pixels {
        return;
    }
    let b = i / p.pixels;
    let k = i % p.pixels;
    let image = idx[b];
    let g = image * p.pixels + k;
    let byte = (data[g / 4u] >> (8u * (g % 4u))) & 255u;
    x[i] = f32(byte) * p.scale;
    if k == 0u {
        label_out[b] = labels[image];
    }
}
