//! Test harness shared by the GPU tests: one device for the whole test binary, named
//! tolerances, random data.
#![allow(dead_code)]

pub mod lenet64;

use fooling::gpu::KernelChoice;
use fooling::{Gpu, GpuOptions};
use rand::Rng;
use std::sync::OnceLock;

/// The kernel variant `FOOLING_KERNELS` asks for (`auto`, `tiled` or `direct`; the CLI's
/// `--kernels` reads the same variable), so a device check runs the suite with each.
pub fn kernels() -> KernelChoice {
    match std::env::var("FOOLING_KERNELS").as_deref() {
        Ok("tiled") => KernelChoice::Tiled,
        Ok("direct") => KernelChoice::Direct,
        Ok("subgroup") => KernelChoice::Subgroup,
        Ok("auto") | Err(_) => KernelChoice::Auto,
        Ok(other) => panic!("FOOLING_KERNELS={other}: expected auto, tiled, direct or subgroup"),
    }
}

/// The device every GPU test of this binary shares. Prints the adapter once; panics (never
/// skips) when there is none, so a CI machine without lavapipe fails loudly.
pub fn gpu() -> &'static Gpu {
    static GPU: OnceLock<Gpu> = OnceLock::new();
    let options = GpuOptions {
        kernels: kernels(),
        ..GpuOptions::default()
    };
    GPU.get_or_init(|| match Gpu::new(&options) {
        Ok(gpu) => {
            eprintln!(
                "GPU tests on: {} ({:?} kernels)",
                fooling::gpu::describe(&gpu.info),
                gpu.variant
            );
            gpu
        }
        Err(e) => panic!("GPU tests need an adapter and found none: {e}"),
    })
}

/// Devices launching each implementation of the matrix kernels, whatever the adapter, so
/// every one is checked on every machine (the subgroup form where the adapter has subgroups
/// of 8 lanes or more, as lavapipe has; elsewhere that device runs `direct` again).
pub fn gpus_for_each_variant() -> [&'static Gpu; 3] {
    static TILED: OnceLock<Gpu> = OnceLock::new();
    static DIRECT: OnceLock<Gpu> = OnceLock::new();
    static SUBGROUP: OnceLock<Gpu> = OnceLock::new();
    let open = |kernels| {
        gpu(); // prints the adapter, fails loudly without one
        Gpu::new(&GpuOptions {
            kernels,
            ..Default::default()
        })
        .unwrap()
    };
    [
        TILED.get_or_init(|| open(KernelChoice::Tiled)),
        DIRECT.get_or_init(|| open(KernelChoice::Direct)),
        SUBGROUP.get_or_init(|| open(KernelChoice::Subgroup)),
    ]
}

/// The random generator of the tests: ChaCha12 seeded by `seed_from_u64`, a stream fixed by
/// `rand_chacha` (the one `rand` 0.8's `StdRng` draws, so seeds recorded earlier replay).
pub type TestRng = rand_chacha::ChaCha12Rng;

/// The seeds a randomised test runs, from `FOOLING_TEST_SEED`:
/// - unset (CI, the README's `cargo test`): a fixed set, the seed of the test's name and
///   then `regressions` (seeds that once found a fault in the code or in the test), so
///   correct code passes every run;
/// - `N`: seed N alone, to replay a failure;
/// - `A..B`: every seed from A to B − 1 (`tools/seed_sweep.sh` runs 300);
/// - `random`: one fresh seed, printed (opt-in exploration).
pub fn seeds(test: &str, regressions: &[u64]) -> Vec<u64> {
    let var = std::env::var("FOOLING_TEST_SEED").unwrap_or_default();
    let var = var.trim();
    if var.is_empty() {
        let mut all = vec![name_seed(test)];
        all.extend_from_slice(regressions);
        return all;
    }
    if var == "random" {
        return vec![rand::thread_rng().gen::<u64>()];
    }
    if let Some((a, b)) = var.split_once("..") {
        let parse = |s: &str| s.trim().parse::<u64>().ok();
        match (parse(a), parse(b)) {
            (Some(a), Some(b)) if a < b => return (a..b).collect(),
            _ => panic!("FOOLING_TEST_SEED={var}: expected N, A..B (A < B) or random"),
        }
    }
    match var.parse() {
        Ok(n) => vec![n],
        Err(_) => panic!("FOOLING_TEST_SEED={var}: expected N, A..B (A < B) or random"),
    }
}

/// The fixed seed of a test's name (FNV-1a), the same on every machine and every run.
fn name_seed(test: &str) -> u64 {
    test.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Runs `body` with a generator for each of the test's [`seeds`], printing each seed first so a
/// failure can be replayed with `FOOLING_TEST_SEED=…`. Every seed runs; the test then fails
/// naming all that failed (over a sweep, the candidates for `regressions`).
pub fn for_each_seed(test: &str, regressions: &[u64], mut body: impl FnMut(&mut TestRng)) {
    use rand::SeedableRng;
    let failed: Vec<u64> = seeds(test, regressions)
        .into_iter()
        .filter(|&seed| {
            eprintln!("{test}: seed {seed}");
            let run = std::panic::AssertUnwindSafe(|| body(&mut TestRng::seed_from_u64(seed)));
            std::panic::catch_unwind(run).is_err()
        })
        .collect();
    if !failed.is_empty() {
        eprintln!("SEED FAILURES {test}: {failed:?}");
        panic!("{test}: failed for seeds {failed:?}");
    }
}

/// A square-kernel convolution: `[batch, in_c, in_h, in_w]`, `out_c`, kernel `k`,
/// `[stride, pad, groups]`.
pub fn conv(
    x: [usize; 4],
    out_c: usize,
    k: usize,
    spg: [usize; 3],
) -> fooling::kernels::Conv2dShape {
    let [batch, in_c, in_h, in_w] = x;
    let [stride, pad, groups] = spg;
    fooling::kernels::Conv2dShape {
        batch,
        in_c,
        in_h,
        in_w,
        out_c,
        kh: k,
        kw: k,
        stride: [stride; 2],
        pad: [pad; 4],
        dilation: [1; 2],
        groups,
    }
}

/// `data` in a fresh device buffer of the shared device.
pub fn up(data: &[f32]) -> fooling::gpu::GpuBuffer<f32> {
    fooling::gpu::GpuBuffer::from_slice(gpu(), "in", data).unwrap()
}

/// An output buffer of `n` NaNs: an element a kernel fails to write fails any comparison.
pub fn poisoned(n: usize) -> fooling::gpu::GpuBuffer<f32> {
    let b = fooling::gpu::GpuBuffer::<f32>::zeros(gpu(), "out", n).unwrap();
    b.fill(gpu(), f32::NAN);
    b
}

pub fn uniform(rng: &mut impl Rng, n: usize, lo: f32, hi: f32) -> Vec<f32> {
    (0..n).map(|_| rng.gen_range(lo..hi)).collect()
}

/// The absolute values of `v`: a twin run on them gives the magnitudes [`assert_dot_close`]
/// bounds the rounding by.
pub fn abs(v: &[f32]) -> Vec<f32> {
    v.iter().map(|x| x.abs()).collect()
}

/// An element passes when `|got - want| <= abs + rel * |want|`; NaN never passes.
#[derive(Clone, Copy, Debug)]
pub struct Tol {
    pub rel: f64,
    pub abs: f64,
}

/// f32 sums of up to a few thousand products, against an f64 reference. `abs` is relative
/// to the reference's RMS, so results near zero through cancellation are judged fairly.
pub const F32_DOT: Tol = Tol {
    rel: 1e-4,
    abs: 1e-5,
};
/// Element-wise f32 maths (exp, division) against f64.
pub const F32_ELEMENTWISE: Tol = Tol {
    rel: 1e-5,
    abs: 1e-7,
};
/// Softmax gradients p − onehot: where p is close to 1 the subtraction cancels, so f32's
/// absolute error on p (a few ULPs of 1) is what bounds the result, not its magnitude.
pub const F32_PROB_GRAD: Tol = Tol {
    rel: 1e-5,
    abs: 1e-6,
};
/// Two independent implementations of a whole network (different summation orders).
pub const NETWORK: Tol = Tol {
    rel: 1e-4,
    abs: 1e-5,
};

/// Asserts the relative L2 error of `got` against `want` is at most `max`, and every value of
/// `got` finite: for whole-network gradients, where an activation within rounding of a kink
/// (a ReLU's zero, a max-pool's tie) takes different sides in two sums and moves a path.
pub fn assert_rel_l2(what: &str, got: &[f32], want: &[f32], max: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    assert!(
        got.iter().all(|v| v.is_finite()),
        "{what}: a non-finite value"
    );
    let (num, den) = got.iter().zip(want).fold((0f64, 0f64), |(n, d), (&g, &w)| {
        (n + (g as f64 - w as f64).powi(2), d + (w as f64).powi(2))
    });
    let err = (num / den.max(1e-300)).sqrt();
    assert!(
        err <= max,
        "{what}: relative L2 error {err:.3e} above {max:.0e}"
    );
}

/// Compares f32 sums of products with their f64 twin against the rounding-error bound that
/// holds for every order of summation, so that no input can make a correct kernel fail:
/// `|got − want| ≤ γₙ·Σ|terms| + u·|want| + 2n·2⁻¹²⁶`, with u = 2⁻²⁴ and γₙ = nu/(1 − nu)
/// (Higham, *Accuracy and Stability of Numerical Algorithms*, §3.1). `magnitude[i]` is
/// Σ|terms| of element i (the twin run on the inputs' absolute values, bias included) and
/// `terms` the most terms an element sums, each product counted once and the bias once. The
/// last term covers flushed subnormals, the `u·|want|` the twin's own rounding to f32; an
/// activation applied after the sum (a ReLU, a cap) moves no value further apart. A
/// tolerance relative to the output alone is not sound: a long sum that cancels to near zero
/// carries the rounding of its largest terms.
pub fn assert_dot_close(what: &str, got: &[f32], want: &[f32], magnitude: &[f32], terms: usize) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    assert_eq!(magnitude.len(), want.len(), "{what}: magnitudes");
    let u = f64::from(f32::EPSILON) / 2.0;
    let nu = terms as f64 * u;
    assert!(
        nu < 0.5,
        "{what}: {terms} terms is past what the bound covers"
    );
    let gamma = nu / (1.0 - nu);
    let flushed = 2.0 * terms as f64 * f64::from(f32::MIN_POSITIVE);
    let mut worst: Option<(usize, f64, f64)> = None;
    for (i, ((&g, &w), &m)) in got.iter().zip(want).zip(magnitude).enumerate() {
        let (g, w) = (g as f64, w as f64);
        // the magnitude itself was rounded to f32 once
        let bound = gamma * m as f64 * (1.0 + u) + u * w.abs() + flushed;
        let err = (g - w).abs();
        let ok = err <= bound; // false for NaN
        if !ok {
            let excess = if err.is_nan() {
                f64::INFINITY
            } else {
                err / bound
            };
            if worst.is_none_or(|(_, e, _)| excess > e) {
                worst = Some((i, excess, bound));
            }
        }
    }
    if let Some((i, _, bound)) = worst {
        panic!(
            "{what}: element {i}: got {} want {}, beyond the rounding bound {bound:.3e} of {terms} terms of total magnitude {}",
            got[i], want[i], magnitude[i]
        );
    }
}

/// Compares `got` with `want` element by element; `abs` is scaled by the RMS of `want`.
/// Panics naming the worst element and the relative L2 error.
pub fn assert_close(what: &str, got: &[f32], want: &[f32], tol: Tol) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let rms =
        (want.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / want.len().max(1) as f64).sqrt();
    let abs = tol.abs * rms.max(1e-30);
    let mut worst: Option<(usize, f64)> = None;
    let (mut num, mut den) = (0.0f64, 0.0f64);
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let (g, w) = (g as f64, w as f64);
        let err = (g - w).abs();
        num += err * err;
        den += w * w;
        let ok = err <= abs + tol.rel * w.abs(); // false for NaN
        if !ok {
            let excess = if err.is_nan() {
                f64::INFINITY
            } else {
                err / (abs + tol.rel * w.abs())
            };
            if worst.is_none_or(|(_, e)| excess > e) {
                worst = Some((i, excess));
            }
        }
    }
    if let Some((i, _)) = worst {
        panic!(
            "{what}: element {i}: got {} want {} (tolerance {tol:?}, rms {rms:.3e}); relative L2 error {:.3e}",
            got[i],
            want[i],
            (num / den.max(1e-300)).sqrt()
        );
    }
}
