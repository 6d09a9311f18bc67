//! CaffeNet and AlexNet end to end against PyTorch (logits, probabilities, input gradient),
//! and the layers CaffeNet adds to LeNet's at CaffeNet's own sizes: local response
//! normalisation (forward, backward, finite differences) and grouped, strided, padded
//! convolutions (forward in both implementations, backward to the input and the weights),
//! each against its CPU twin with the output poisoned first.

use crate::common::{
    assert_close, conv, for_each_seed, gpu, gpus_for_each_variant, poisoned, uniform, up, F32_DOT,
};
use fooling::kernels::{self, Conv2dShape, LrnShape};
use fooling::reference as twin;
use rand::Rng;

fn lrn(batch: usize, channels: usize, spatial: usize, size: usize) -> LrnShape {
    LrnShape {
        batch,
        channels,
        spatial,
        size,
        alpha: 1e-4,
        beta: 0.75,
        k: 1.0,
    }
}

/// CaffeNet's two LRNs, then odd sizes, windows of 3 and 4 (Caffe's asymmetric window), and
/// constants large enough that the normalisation matters.
fn lrn_shapes() -> Vec<(LrnShape, f32)> {
    let mut strong = lrn(2, 7, 5, 5);
    strong.alpha = 2.0;
    strong.k = 2.0;
    vec![
        (lrn(1, 96, 27 * 27, 5), 200.0), // after pool1: activations in the hundreds
        (lrn(2, 256, 13 * 13, 5), 100.0),
        (lrn(3, 9, 11, 3), 50.0),
        (lrn(2, 6, 7, 4), 50.0),
        (strong, 2.0),
    ]
}

#[test]
fn lrn_fwd_matches_twin() {
    let gpu = gpu();
    for_each_seed("lrn_fwd", &[], |r| {
        for (s, spread) in lrn_shapes() {
            let x = uniform(r, s.len(), -spread, spread);
            let (xb, yb) = (up(&x), poisoned(s.len()));
            let d = kernels::lrn_fwd(gpu, &s, xb.view(), yb.view()).unwrap();
            gpu.run(&[&d]).unwrap();
            let want = twin::lrn_fwd(&s, &x);
            assert_close(
                &format!("lrn_fwd {s:?}"),
                &yb.read(gpu).unwrap(),
                &want,
                F32_DOT,
            );
            // the normalisation is not the identity at these values
            let moved = x
                .iter()
                .zip(&want)
                .filter(|(a, b)| (*a - *b).abs() > 1e-3 * a.abs())
                .count();
            assert!(
                moved > s.len() / 2,
                "{s:?}: LRN left {moved} of {} changed",
                s.len()
            );
        }
    });
}

#[test]
fn lrn_bwd_matches_twin_and_finite_differences() {
    let gpu = gpu();
    for_each_seed("lrn_bwd", &[], |r| {
        for (s, spread) in lrn_shapes() {
            let x = uniform(r, s.len(), -spread, spread);
            let dy = uniform(r, s.len(), -1.0, 1.0);
            let (xb, dyb, dxb) = (up(&x), up(&dy), poisoned(s.len()));
            let d = kernels::lrn_bwd(gpu, &s, xb.view(), dyb.view(), dxb.view()).unwrap();
            gpu.run(&[&d]).unwrap();
            let want = twin::lrn_bwd(&s, &x, &dy);
            assert_close(
                &format!("lrn_bwd {s:?}"),
                &dxb.read(gpu).unwrap(),
                &want,
                F32_DOT,
            );
            // the twin is the gradient of sum(dy * lrn(x))
            let loss = |x: &[f32]| {
                twin::lrn_fwd(&s, x)
                    .iter()
                    .zip(&dy)
                    .map(|(&y, &g)| y as f64 * g as f64)
                    .sum::<f64>()
            };
            let eps = 1e-2 * spread;
            for _ in 0..16 {
                let i = r.gen_range(0..s.len());
                let (mut hi, mut lo) = (x.clone(), x.clone());
                hi[i] += eps;
                lo[i] -= eps;
                let fd = (loss(&hi) - loss(&lo)) / (2.0 * eps as f64);
                let a = want[i] as f64;
                assert!(
                    (fd - a).abs() <= 1e-3 * (1.0 + a.abs()),
                    "{s:?} element {i}: finite difference {fd} vs analytic {a}"
                );
            }
        }
    });
}

/// CaffeNet's five convolutions at full size, one image.
fn caffenet_convs() -> [Conv2dShape; 5] {
    [
        conv([1, 3, 227, 227], 96, 11, [4, 0, 1]),
        conv([1, 96, 27, 27], 256, 5, [1, 2, 2]),
        conv([1, 256, 13, 13], 384, 3, [1, 1, 1]),
        conv([1, 384, 13, 13], 384, 3, [1, 1, 2]),
        conv([1, 384, 13, 13], 256, 3, [1, 1, 2]),
    ]
}

#[test]
fn caffenet_convolutions_match_twins() {
    for_each_seed("caffenet convolutions", &[], |r| {
        for s in caffenet_convs() {
            let x = uniform(r, s.input_len(), -1.0, 1.0);
            let w = uniform(r, s.weight_len(), -0.1, 0.1);
            let b = uniform(r, s.out_c, -0.1, 0.1);
            let want = twin::conv2d_fwd(&s, true, &x, &w, &b);
            for gpu in gpus_for_each_variant() {
                let (xb, wb, bb) = (
                    fooling::gpu::GpuBuffer::from_slice(gpu, "x", &x).unwrap(),
                    fooling::gpu::GpuBuffer::from_slice(gpu, "w", &w).unwrap(),
                    fooling::gpu::GpuBuffer::from_slice(gpu, "b", &b).unwrap(),
                );
                let yb = fooling::gpu::GpuBuffer::<f32>::zeros(gpu, "y", s.output_len()).unwrap();
                yb.fill(gpu, f32::NAN);
                let d =
                    kernels::conv2d_fwd(gpu, &s, true, xb.view(), wb.view(), bb.view(), yb.view())
                        .unwrap();
                gpu.run(&[&d]).unwrap();
                let what = format!("conv2d_fwd ({:?}) {s:?}", gpu.variant);
                assert_close(&what, &yb.read(gpu).unwrap(), &want, F32_DOT);
            }
            let gpu = gpu();
            let dy = uniform(r, s.output_len(), -1.0, 1.0);
            let (xb, wb, dyb) = (up(&x), up(&w), up(&dy));
            let (dxb, dwb) = (poisoned(s.input_len()), poisoned(s.weight_len()));
            let di = kernels::conv2d_bwd_input(gpu, &s, dyb.view(), wb.view(), dxb.view()).unwrap();
            let dw =
                kernels::conv2d_bwd_weight(gpu, &s, dyb.view(), xb.view(), dwb.view()).unwrap();
            gpu.run(&[&di, &dw]).unwrap();
            let what = format!("{s:?}");
            let want_dx = twin::conv2d_bwd_input(&s, &dy, &w);
            assert_close(
                &format!("conv2d_bwd_input {what}"),
                &dxb.read(gpu).unwrap(),
                &want_dx,
                F32_DOT,
            );
            let want_dw = twin::conv2d_bwd_weight(&s, &dy, &x);
            assert_close(
                &format!("conv2d_bwd_weight {what}"),
                &dwb.read(gpu).unwrap(),
                &want_dw,
                F32_DOT,
            );
        }
    });
}

/// Image `b`'s bytes as tools/caffenet_fixture.py draws them.
fn fixture_bytes(arch: &fooling::nn::Arch, seed: u32, b: u32) -> Vec<u8> {
    (0..arch.input_len() as u32)
        .map(|i| (256.0 * fooling::evo::rng::uniform01(seed, 1000, b, i, 8)).floor() as u8)
        .collect()
}

/// A CaffeNet with counter-based random weights against PyTorch (float64) on two images of
/// random bytes: logits, probabilities, and the input gradient of each image's target
/// probability (every 97th element, and its norm).
fn check_against_pytorch(arch: fooling::nn::Arch, fixture: &str) {
    use fooling::nn::{Network, Weights};
    let gpu = gpu();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(fixture);
    let bytes = std::fs::read(&path).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let get = |name: &str| -> Vec<f32> {
        bytemuck::pod_collect_to_vec::<u8, f32>(st.tensor(name).unwrap().data())
    };
    let stride: usize = 97;
    let weights = Weights::hashed(&arch, 7).unwrap();
    let net = Network::new(gpu, arch.clone(), &weights).unwrap();
    let images = 2;
    let pixels: Vec<u8> = (0..images as u32)
        .flat_map(|b| fixture_bytes(&arch, 7, b))
        .collect();
    let input = arch.to_input(&pixels);
    let targets: Vec<u32> = get("target").iter().map(|&t| t as u32).collect();
    let plan = net.input_gradient_plan(gpu, images).unwrap();
    plan.forward.logits.fill(gpu, f32::NAN);
    plan.grad.fill(gpu, f32::NAN);
    let (prob, grad) = plan.run(gpu, &input, &targets).unwrap();
    let logits = plan.forward.logits.read(gpu).unwrap();
    let probs = plan.forward.probs.read(gpu).unwrap();
    let what = |s: &str| format!("{} {s}", arch.name);
    let tol = crate::common::Tol {
        rel: 1e-3,
        abs: 1e-4,
    };
    assert_close(&what("logits"), &logits, &get("logits"), tol);
    assert_close(&what("probabilities"), &probs, &get("probs"), tol);
    let want_p: Vec<f32> = (0..images)
        .map(|b| get("probs")[b * 1000 + targets[b] as usize])
        .collect();
    assert_close(&what("target probabilities"), &prob, &want_p, tol);
    let n = arch.input_len();
    let samples: Vec<f32> = (0..images)
        .flat_map(|b| {
            grad[b * n..(b + 1) * n]
                .iter()
                .step_by(stride)
                .copied()
                .collect::<Vec<_>>()
        })
        .collect();
    assert_close(
        &what("input gradient samples"),
        &samples,
        &get("grad_samples"),
        tol,
    );
    let norms: Vec<f32> = grad
        .chunks(n)
        .map(|g| g.iter().map(|&v| v as f64 * v as f64).sum::<f64>().sqrt() as f32)
        .collect();
    assert_close(
        &what("input gradient norms"),
        &norms,
        &get("grad_norm"),
        tol,
    );
}

#[test]
fn narrow_caffenet_matches_pytorch() {
    check_against_pytorch(
        fooling::nn::caffenet_narrow(8),
        "tests/fixtures/caffenet_hashed_seed7_div8.safetensors",
    );
}

/// The full BVLC CaffeNet (60,965,224 counter-based random weights) against PyTorch. On
/// lavapipe, which binds at most 128 MiB, fc6's 151 MB of weights run as row blocks.
#[test]
fn full_caffenet_matches_pytorch() {
    check_against_pytorch(
        fooling::nn::caffenet(),
        "tests/fixtures/caffenet_hashed_seed7_div1.safetensors",
    );
}

/// torchvision's AlexNet (its own layer names, RGB input normalised as torchvision does)
/// against PyTorch running torchvision's module.
#[test]
fn alexnet_matches_pytorch() {
    check_against_pytorch(
        fooling::nn::alexnet(),
        "tests/fixtures/alexnet_hashed_seed7.safetensors",
    );
}
