// copy_cols: copies a block of columns between two row-major matrices,
//   dst[r, dst_col + c] = src[r, src_col + c]   for r < rows, c < width.
// It joins the pieces of a fully-connected layer that was split by output features (its
// weights exceed one storage binding) and splits its gradient again.
//
// src: (rows, src_stride) f32     dst: (rows, dst_stride) f32

struct Params {
    rows: u32, width: u32, src_stride: u32, src_col: u32,
    dst_stride: u32, dst_col: u32, _pad0: u32, _pad1: u32,
}

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(256)
fn copy_cols(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let i = (wid.x + wid.y * nwg.x) * 256u + li;
    if i >= p.rows * p.width {
        return;
    }
    let r = i / p.width;
    let c = i % p.width;
    dst[r * p.dst_stride + p.dst_col + c] = src[r * p.src_stride + p.src_col + c];
}
