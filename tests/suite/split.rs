//! Work larger than one storage binding, split as a small device must split it: on a device
//! held to 256 KiB per binding, LeNet's ip1 weights (1.6 MB) run as blocks of 64 output
//! features and batches run in chunks of 5 images. The forward pass, the input gradient,
//! the training gradients and one SGD step must equal the CPU twins'. (CaffeNet's fc6, 151
//! MB, splits the same way on lavapipe's 128 MiB: see tests/suite/caffenet.rs.)

use crate::common::lenet64::far_from_switches;
use crate::common::{assert_close, for_each_seed, gpu, uniform, up, F32_DOT, F32_ELEMENTWISE};
use fooling::gpu::GpuOptions;
use fooling::kernels::{self, Cols, LinearShape};
use fooling::nn::{
    lenet, reference_backward, reference_forward, reference_input_gradient, Network, TrainConfig,
    Trainer, Weights,
};
use fooling::reference as twin;
use fooling::Gpu;
use rand::Rng;
use std::sync::OnceLock;

const LIMIT: u64 = 256 * 1024;

fn small_gpu() -> &'static Gpu {
    static GPU: OnceLock<Gpu> = OnceLock::new();
    GPU.get_or_init(|| {
        gpu(); // prints the adapter, fails loudly without one
        Gpu::new(&GpuOptions {
            max_binding: Some(LIMIT),
            ..Default::default()
        })
        .unwrap()
    })
}

#[test]
fn copy_cols_and_add_inplace_match_twins() {
    let gpu = gpu();
    for_each_seed("copy_cols", &[], |r| {
        let s = Cols {
            rows: 7,
            width: 5,
            src_stride: 9,
            src_col: 3,
            dst_stride: 13,
            dst_col: 6,
        };
        let src = uniform(r, s.rows * s.src_stride, -1.0, 1.0);
        let dst0 = uniform(r, s.rows * s.dst_stride, -1.0, 1.0);
        let (sb, db) = (up(&src), up(&dst0));
        let d = kernels::copy_cols(gpu, &s, sb.view(), db.view()).unwrap();
        gpu.run(&[&d]).unwrap();
        let mut want = dst0.clone();
        twin::copy_cols(&s, &src, &mut want);
        assert_eq!(
            db.read(gpu).unwrap(),
            want,
            "copied columns, the others untouched"
        );
        let bad = Cols { dst_col: 9, ..s };
        assert!(kernels::copy_cols(gpu, &bad, sb.view(), db.view()).is_err());

        let (x, y0) = (uniform(r, 1000, -1.0, 1.0), uniform(r, 1000, -1.0, 1.0));
        let (xb, yb) = (up(&x), up(&y0));
        let d = kernels::add_inplace(gpu, xb.view(), yb.view()).unwrap();
        gpu.run(&[&d]).unwrap();
        let mut want = y0.clone();
        twin::add_inplace(&x, &mut want);
        assert_close(
            "add_inplace",
            &yb.read(gpu).unwrap(),
            &want,
            F32_ELEMENTWISE,
        );
    });
}

#[test]
fn ip1_splits_into_aligned_blocks() {
    let gpu = small_gpu();
    let s = LinearShape {
        batch: 5,
        in_f: 800,
        out_f: 500,
    };
    let blocks = kernels::linear_pieces(gpu, &s).unwrap();
    assert_eq!(blocks.len(), 8);
    assert!(blocks.iter().all(|&(first, _)| first % 64 == 0));
    assert_eq!(blocks.iter().map(|b| b.1).sum::<usize>(), 500);
    // on the full device the same layer is one block
    assert_eq!(
        kernels::linear_pieces(crate::common::gpu(), &s)
            .unwrap()
            .len(),
        1
    );
    // a row too wide for even 64 rows per binding is a clear error
    let wide = LinearShape { in_f: 4096, ..s };
    let e = kernels::linear_pieces(gpu, &wide).unwrap_err().to_string();
    assert!(e.contains("max_storage_buffer_binding_size"), "{e}");
}

#[test]
fn split_lenet_matches_the_twins() {
    let gpu = small_gpu();
    for_each_seed("split lenet", &[], |r| {
        let arch = lenet();
        let weights = Weights::random(&arch, r.gen()).unwrap();
        let net = Network::new(gpu, arch.clone(), &weights).unwrap();
        assert_eq!(net.max_chunk(gpu).unwrap(), 5);

        // forward: 12 images in chunks, every fully-connected output from its blocks
        let n = 12;
        let images = uniform(r, n * arch.input_len(), 0.0, 1.0);
        let plan = net.forward_plan_chunked(gpu, n, 5);
        // chunks start at multiples of 64 images, so a batch past one chunk needs 64 per chunk:
        // at this limit it is refused, and a batch within a chunk is the unit of work
        assert!(plan.is_err());
        let probs: Vec<f32> = images
            .chunks(5 * arch.input_len())
            .flat_map(|part| net.classify(gpu, part).unwrap().concat())
            .collect();
        let (_, want) = reference_forward(&arch, &weights, &images).unwrap();
        assert_close("split forward", &probs, &want, F32_ELEMENTWISE);

        // the input gradient through the split layer (blocks summed)
        let b = 5;
        let targets: Vec<u32> = (0..b as u32).map(|i| (i * 3) % 10).collect();
        let plan = net.input_gradient_plan(gpu, b).unwrap();
        plan.grad.fill(gpu, f32::NAN);
        let x = &images[..b * arch.input_len()];
        let (prob, grad) = plan.run(gpu, x, &targets).unwrap();
        let (want_p, want_g) = reference_input_gradient(&arch, &weights, x, &targets).unwrap();
        assert_close(
            "split target probabilities",
            &prob,
            &want_p,
            F32_ELEMENTWISE,
        );
        assert_close("split input gradient", &grad, &want_g, F32_DOT);
    });
}

#[test]
fn split_training_step_matches_the_twins() {
    let gpu = small_gpu();
    for_each_seed("split training", &[98], |r| {
        let (mut train, _) = fooling::data::load_dir(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist-10k"),
        )
        .unwrap();
        // 300 digits, so that the dataset itself fits one 256 KiB binding
        train.images.truncate(300 * 28 * 28);
        train.labels.truncate(300);
        let arch = lenet();
        // weights and a batch drawn until every max-pool and ReLU decision lies MIN_MARGIN
        // from its switch: where one is closer, the f32 device and the twin may route that
        // gradient differently, and no element-wise comparison is sound (a sweep's seed 98)
        let (weights, config, t, batch, input) = loop {
            let weights = Weights::random(&arch, r.gen()).unwrap();
            let net = Network::new(gpu, arch.clone(), &weights).unwrap();
            let config = TrainConfig {
                batch: 4,
                seed: r.gen(),
                ..TrainConfig::default()
            };
            let mut t = Trainer::new(gpu, net, &train, config.clone()).unwrap();
            t.step(1).unwrap();
            let batch = t.last_batch.clone();
            let input: Vec<f32> = batch
                .iter()
                .flat_map(|&i| train.image(i as usize).iter().map(|&p| p as f32 / 256.0))
                .collect();
            if far_from_switches(&weights, &input) {
                break (weights, config, t, batch, input);
            }
        };
        let labels: Vec<u32> = batch
            .iter()
            .map(|&i| train.labels[i as usize] as u32)
            .collect();
        let (_, want) = reference_backward(&arch, &weights, &input, &labels).unwrap();
        let grads = t.gradients().unwrap();
        let after = t.weights().unwrap();
        let lr = config.lr(0);
        for ((spec, g), w) in arch.params().unwrap().iter().zip(&grads).zip(&want) {
            assert_close(&format!("split gradient of {}", spec.name), g, w, F32_DOT);
            // the first step from zero momentum: w - lr·mult·(g + decay·w), every block updated
            let mult = if spec.shape.len() == 1 {
                config.bias_lr_mult
            } else {
                1.0
            };
            let w0 = weights.get(&spec.name);
            let expect: Vec<f32> = w0
                .iter()
                .zip(w)
                .map(|(&w0, &g)| w0 - lr * mult * (g + config.weight_decay * w0))
                .collect();
            assert_close(
                &format!("split SGD step of {}", spec.name),
                after.get(&spec.name),
                &expect,
                F32_DOT,
            );
        }
    });
}
