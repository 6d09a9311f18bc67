// counter_hash: the counter-based random numbers shared by the device and the host, appended
// to every shader that draws (kernels::Shader names it `with "counter_hash"`). A draw is a
// pure function of (seed, generation, item, gene, stream), so results do not depend on the
// dispatch shape and the CPU twins (crate::evo::rng) draw exactly the bits the shaders draw.

// Chris Wellons' lowbias32 integer hash (crate::evo::rng::hash).
fn hash(v: u32) -> u32 {
    var x = v;
    x ^= x >> 16u;
    x *= 0x7feb352du;
    x ^= x >> 15u;
    x *= 0x846ca68bu;
    x ^= x >> 16u;
    return x;
}

// A uniform draw in [0, 1) with 24 random bits: exact in f32, the same on every device.
fn uniform01(seed: u32, generation: u32, item: u32, gene: u32, stream: u32) -> f32 {
    let h = hash(seed ^ hash(generation ^ hash(item ^ hash(gene ^ hash(stream)))));
    return f32(h >> 8u) * (1.0 / 16777216.0);
}
