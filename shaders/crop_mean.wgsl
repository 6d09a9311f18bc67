// crop_mean: each image's confidence is the mean of its crops' softmax vectors (docs/paper.md
// §5: the 10-crop mean; with one crop, a copy).
//
// probs: (items * crops, classes) f32: the crops' softmax rows, an image's crops together
// out:   (rows, classes) f32: row first + i receives image i's mean; other rows are untouched

struct Params {
    items: u32, crops: u32, classes: u32, first: u32,
}

@group(0) @binding(0) var<storage, read> probs: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(256)
fn crop_mean(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let i = (wid.x + wid.y * nwg.x) * 256u + li;
    if i >= p.items * p.classes {
        return;
    }
    let item = i / p.classes;
    let c = i % p.classes;
    var sum = 0.0;
    for (var k = 0u; k < p.crops; k++) {
        sum += probs[(item * p.crops + k) * p.classes + c];
    }
    out[(p.first + item) * p.classes + c] = sum / f32(p.crops);
}
