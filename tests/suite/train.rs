//! Training LeNet on the device: the whole backward pass against finite differences of the
//! CPU forward, and a short run on the shipped real digits.

use crate::common::lenet64::{far_from_switches, slope, Lenet64};
use crate::common::{assert_close, assert_rel_l2, F32_DOT};
use crate::common::{for_each_seed, gpu};
use fooling::data::{load_dir, Dataset};
use fooling::nn::{
    accuracy, lenet, reference_backward, reference_forward, Network, TrainConfig, Trainer, Weights,
};
use rand::seq::SliceRandom;
use rand::Rng;
use std::path::Path;

fn mnist() -> (Dataset, Dataset) {
    load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist-10k")).unwrap()
}

/// Images `idx` of `data` as LeNet's input (pixel / 256) and their labels.
fn batch_of(data: &Dataset, idx: &[u32]) -> (Vec<f32>, Vec<u32>) {
    let input = idx
        .iter()
        .flat_map(|&i| data.image(i as usize).iter().map(|&p| p as f32 / 256.0))
        .collect();
    let labels = idx
        .iter()
        .map(|&i| data.labels[i as usize] as u32)
        .collect();
    (input, labels)
}

/// The relative L2 error of each weight gradient of LeNet, device against twin, at most.
/// Element by element they agree to f32 rounding, except where a max-pool window's two
/// largest inputs lie within rounding of each other: the device and the twin pick different
/// ones and route that channel's gradient through another position (seed 1: conv2's output
/// channel 46, relative L2 error 3.8e-4 in conv1.weight and conv2.weight, below 1e-6 in the
/// biases and the fully-connected layers).
const NETWORK_WEIGHT_GRAD_L2: f64 = 2e-3;

#[test]
fn network_gradients_match_finite_differences() {
    let gpu = gpu();
    for_each_seed("network gradients", &[173], |r| {
        let (train, _) = mnist();
        let arch = lenet();
        // weights and a batch drawn until every max-pool and ReLU decision lies MIN_MARGIN
        // from its switch: where one is closer, the f32 device and the twin may route that
        // gradient differently (seed 173 of a sweep: conv1's gradient 1.9e-2 apart)
        let (weights, t, input, labels) = loop {
            let weights = Weights::random(&arch, r.gen()).unwrap();
            let net = Network::new(gpu, arch.clone(), &weights).unwrap();
            // lr 0: one iteration computes the gradients and leaves the weights as they were
            let config = TrainConfig {
                batch: 8,
                base_lr: 0.0,
                seed: r.gen(),
                ..TrainConfig::default()
            };
            let mut t = Trainer::new(gpu, net, &train, config).unwrap();
            t.step(1).unwrap();
            let (input, labels) = batch_of(&train, &t.last_batch);
            if far_from_switches(&weights, &input) {
                break (weights, t, input, labels);
            }
        };
        let grads = t.gradients().unwrap();
        assert_eq!(
            t.weights().unwrap(),
            weights,
            "lr 0 leaves the weights unchanged"
        );
        // the device's gradients equal the CPU twins' ...
        let (loss, want) = reference_backward(&arch, &weights, &input, &labels).unwrap();
        assert!(
            (loss - t.loss().unwrap() as f64).abs() < 1e-4,
            "loss {loss} vs {}",
            t.loss().unwrap()
        );
        for ((spec, g), w) in arch.params().unwrap().iter().zip(&grads).zip(&want) {
            assert_rel_l2(
                &format!("gradient of {}", spec.name),
                g,
                w,
                NETWORK_WEIGHT_GRAD_L2,
            );
        }
        // ... which equal finite differences of an f64 LeNet
        let f64_weights = Lenet64::new(&weights);
        let mid = f64_weights.logits(&input);
        assert_close(
            "the f64 LeNet's logits against the twin's",
            &mid.iter().map(|&v| v as f32).collect::<Vec<_>>(),
            &reference_forward(&arch, &weights, &input).unwrap().0,
            F32_DOT,
        );
        let n = labels.len();
        let residual: Vec<f64> = mid
            .chunks(10)
            .zip(&labels)
            .flat_map(|(row, &label)| {
                let m = row.iter().cloned().fold(f64::MIN, f64::max);
                let z: f64 = row.iter().map(|&v| (v - m).exp()).sum();
                row.iter()
                    .enumerate()
                    .map(move |(c, &v)| (v - m).exp() / z - (c == label as usize) as u8 as f64)
                    .collect::<Vec<_>>()
            })
            .collect();
        for (spec, g) in arch.params().unwrap().iter().zip(&want) {
            // coordinates in a random order until five have a derivative to compare
            let mut order: Vec<usize> = (0..spec.len()).collect();
            order.shuffle(r);
            let mut checked = 0;
            for &i in &order {
                let moved = |d: f64| {
                    let mut m = f64_weights.clone();
                    m.tensors.get_mut(&spec.name).unwrap()[i] += d;
                    m.logits(&input)
                };
                let Some((slopes, bends)) = slope(moved) else {
                    continue; // a kink within 1e-7 of the weight
                };
                // the loss's derivative: Σ (softmax − onehot) · the logits' slope, and what a
                // bend inside the step could move it by
                let fd = residual
                    .iter()
                    .zip(&slopes)
                    .map(|(r, s)| r * s)
                    .sum::<f64>()
                    / n as f64;
                let bound = residual
                    .iter()
                    .zip(&bends)
                    .map(|(r, b)| r.abs() * b)
                    .sum::<f64>()
                    / n as f64;
                let a = g[i] as f64;
                assert!(
                    (fd - a).abs() <= 1e-4 + 1e-2 * a.abs() + bound,
                    "{}[{i}]: finite difference {fd} vs analytic {a} (bend bound {bound})",
                    spec.name
                );
                checked += 1;
                if checked == 5 {
                    break;
                }
            }
            assert!(
                checked >= 5.min(spec.len()),
                "{}: only {checked} coordinates lie 1e-7 from every kink",
                spec.name
            );
        }
    });
}

#[test]
fn short_training_run_learns_real_digits() {
    let gpu = gpu();
    let (train, held) = mnist();
    let arch = lenet();
    let net = Network::new(gpu, arch.clone(), &Weights::random(&arch, 1).unwrap()).unwrap();
    let config = TrainConfig {
        iterations: 300,
        seed: 1,
        ..TrainConfig::default()
    };
    let mut t = Trainer::new(gpu, net, &train, config).unwrap();
    t.step(1).unwrap();
    let first = t.loss().unwrap();
    t.step(299).unwrap();
    let last = t.loss().unwrap();
    assert!(last < first * 0.5, "loss {first} -> {last}");
    let acc = accuracy(gpu, &t.net, &held).unwrap();
    eprintln!("300 iterations: loss {first:.3} -> {last:.3}, held-out accuracy {acc:.4}");
    assert!(acc > 0.90, "held-out accuracy {acc}");
}

#[test]
fn shipped_weights_reach_their_model_cards_accuracy() {
    // weights/lenet_mnist.safetensors and lenet_mnist_b.safetensors: `fooling train --augment
    // --seed 0` and `--seed 1` (10,000 iterations) on the 8,000 training digits, at least
    // 98.5% held-out; lenet_mnist_caffe and lenet_mnist_caffe_b, the same seeds by Caffe's
    // recipe alone; mlp_mnist.safetensors (`--net mlp --seed 0`); each card records the
    // held-out accuracy
    let gpu = gpu();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (_, held) = mnist();
    // and lenet5_mnist_torch.onnx, trained by PyTorch (its card: PyTorch's own figure)
    for (name, net, file, floor) in [
        ("lenet_mnist", "lenet", "lenet_mnist.safetensors", 0.985),
        ("lenet_mnist_b", "lenet", "lenet_mnist_b.safetensors", 0.985),
        (
            "lenet_mnist_caffe",
            "lenet",
            "lenet_mnist_caffe.safetensors",
            0.97,
        ),
        (
            "lenet_mnist_caffe_b",
            "lenet",
            "lenet_mnist_caffe_b.safetensors",
            0.97,
        ),
        ("mlp_mnist", "mlp", "mlp_mnist.safetensors", 0.94),
        ("lenet5_mnist_torch", "", "lenet5_mnist_torch.onnx", 0.97),
    ] {
        let path = root.join("weights").join(file);
        let loaded = if net.is_empty() {
            fooling::nn::load(path.to_str().unwrap(), None, &Default::default())
        } else {
            fooling::nn::load(net, Some(&path), &Default::default())
        }
        .unwrap();
        let net = Network::new(gpu, loaded.arch, &loaded.weights).unwrap();
        let acc = accuracy(gpu, &net, &held).unwrap();
        let card = std::fs::read_to_string(root.join(format!("weights/{name}.md"))).unwrap();
        let recorded: f64 = card
            .lines()
            .find(|l| l.starts_with("| held-out accuracy |"))
            .and_then(|l| l.split('|').nth(2))
            .map(|v| v.trim().split('%').next().unwrap().parse().unwrap())
            .unwrap();
        eprintln!(
            "{name}: held-out accuracy {:.2}% (card: {recorded}%)",
            acc * 100.0
        );
        assert!(
            (acc * 100.0 - recorded).abs() < 0.051,
            "{name}: the card says {recorded}%, the weights give {:.2}%",
            acc * 100.0
        );
        assert!(acc >= floor, "{name}: held-out accuracy {acc}");
    }
}

/// LeNet with dropout (p = 0.5) after ip1: a training step's gradients are those of the
/// network with that step's mask (the CPU twins, with the same counter-based mask), not
/// those of the network at inference; the next step draws another mask.
#[test]
fn dropout_training_gradients_use_the_steps_mask() {
    use fooling::nn::{reference_backward_train, Arch, Dropout, Layer};
    let gpu = gpu();
    for_each_seed("dropout training", &[210, 245], |r| {
        let (train, _) = mnist();
        let plain = lenet();
        let mut layers: Vec<Layer> = plain.nodes.iter().map(|n| n.layer.clone()).collect();
        layers.insert(5, Layer::Dropout(Dropout { p: 0.5 }));
        let arch = Arch::chain("lenet", plain.input, plain.pixels, layers, plain.labels);
        // weights and batches drawn until every max-pool and ReLU decision lies MIN_MARGIN
        // from its switch (seed 210 of a sweep: a gradient routed through the other of two
        // near-equal pool inputs); the gradients then agree to rounding, judged over each
        // tensor (an element that sums thousands of products cancels: seed 245)
        let (weights, seed, steps) = loop {
            let weights = Weights::random(&arch, r.gen()).unwrap();
            let net = Network::new(gpu, arch.clone(), &weights).unwrap();
            let config = TrainConfig {
                batch: 8,
                base_lr: 0.0,
                seed: r.gen::<u32>() as u64,
                ..TrainConfig::default()
            };
            let seed = config.seed as u32;
            let mut t = Trainer::new(gpu, net, &train, config).unwrap();
            let mut steps = Vec::new();
            for _ in 0..2u32 {
                t.step(1).unwrap();
                let (input, labels) = batch_of(&train, &t.last_batch);
                steps.push((input, labels, t.loss().unwrap(), t.gradients().unwrap()));
            }
            if steps.iter().all(|s| far_from_switches(&weights, &s.0)) {
                break (weights, seed, steps);
            }
        };
        for (step, (input, labels, device_loss, grads)) in (0u32..).zip(steps) {
            let (loss, want) =
                reference_backward_train(&arch, &weights, &input, &labels, Some((seed, step)))
                    .unwrap();
            assert!(
                (loss - device_loss as f64).abs() < 1e-4,
                "step {step}: loss {loss}"
            );
            for ((spec, g), w) in arch.params().unwrap().iter().zip(&grads).zip(&want) {
                assert_rel_l2(
                    &format!("step {step}: gradient of {}", spec.name),
                    g,
                    w,
                    NETWORK_WEIGHT_GRAD_L2,
                );
            }
            let (_, inference) = reference_backward(&arch, &weights, &input, &labels).unwrap();
            let ip2 = &inference[6]; // ip2.weight: its input is ip1's dropped output
            let differs = grads[6]
                .iter()
                .zip(ip2)
                .filter(|(a, b)| (*a - *b).abs() > 1e-4)
                .count();
            assert!(
                differs > ip2.len() / 4,
                "step {step}: the mask changed nothing"
            );
        }
    });
}

/// With `augment`, a step's gradients are those of the batch warped as the twin warps it
/// (the same draws from the seed and the step), not those of the images as stored.
#[test]
fn augmented_training_gradients_are_those_of_the_warped_batch() {
    use fooling::kernels::Augment;
    use fooling::reference as twin;
    let gpu = gpu();
    for_each_seed("augmented training", &[57, 83, 133, 173, 285], |r| {
        let (train, _) = mnist();
        let arch = lenet();
        let a = Augment::default();
        // weights and batches drawn until every decision lies MIN_MARGIN from its switch, as
        // above (seeds 57, 83, 133, 173 and 285 of a sweep)
        let (weights, steps) = loop {
            let weights = Weights::random(&arch, r.gen()).unwrap();
            let net = Network::new(gpu, arch.clone(), &weights).unwrap();
            // two images a batch: a warped digit's smooth edges put a pool's two largest
            // inputs near each other more often than a stored one's, and every image of
            // both steps must be far from its switches
            let config = TrainConfig {
                batch: 2,
                base_lr: 0.0,
                seed: r.gen::<u32>() as u64,
                augment: Some(a),
                ..TrainConfig::default()
            };
            let seed = config.seed as u32;
            let mut t = Trainer::new(gpu, net, &train, config).unwrap();
            let mut steps = Vec::new();
            for step in 0..2u32 {
                t.step(1).unwrap();
                let (stored, labels) = batch_of(&train, &t.last_batch);
                let input = twin::augment(&a, seed, step, arch.input, &stored);
                let (loss, grads) = (t.loss().unwrap(), t.gradients().unwrap());
                steps.push((stored, input, labels, loss, grads));
            }
            if steps.iter().all(|s| far_from_switches(&weights, &s.1)) {
                break (weights, steps);
            }
        };
        for (step, (stored, input, labels, device_loss, grads)) in (0u32..).zip(steps) {
            let (loss, want) = reference_backward(&arch, &weights, &input, &labels).unwrap();
            assert!(
                (loss - device_loss as f64).abs() < 1e-4,
                "step {step}: loss {loss} against {device_loss}"
            );
            for ((spec, g), w) in arch.params().unwrap().iter().zip(&grads).zip(&want) {
                assert_rel_l2(
                    &format!("step {step}: gradient of {}", spec.name),
                    g,
                    w,
                    NETWORK_WEIGHT_GRAD_L2,
                );
            }
            let (plain, _) = reference_backward(&arch, &weights, &stored, &labels).unwrap();
            assert!(
                (plain - loss).abs() > 1e-4,
                "step {step}: the warp changed nothing"
            );
        }
    });
}

/// weights/lenet_fashion.safetensors, found as `--net lenet-fashion`'s shipped weights, and
/// its second seed lenet_fashion_b (transfer's target in `fooling reproduce fashion`): each
/// model card holds its file's sha256, and each network knows garments: the first 100
/// Fashion-MNIST test images (the committed slice; the cards' figures are over all 10,000,
/// which CI does not have).
#[test]
fn shipped_fashion_lenets_match_their_cards_and_know_garments() {
    let gpu = gpu();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (_, held) = load_dir(&root.join("tests/fixtures/fashion-mnist-slice")).unwrap();
    let default = fooling::nn::load("lenet-fashion", None, &Default::default()).unwrap();
    assert!(default.file.ends_with("weights/lenet_fashion.safetensors"));
    for name in ["lenet_fashion", "lenet_fashion_b"] {
        let file = root.join(format!("weights/{name}.safetensors"));
        let loaded = fooling::nn::load("lenet-fashion", Some(&file), &Default::default()).unwrap();
        let card = std::fs::read_to_string(root.join(format!("weights/{name}.md"))).unwrap();
        assert!(
            card.contains(&loaded.sha256),
            "{name}: the card's sha256 is not the file's"
        );
        assert!(card.contains("lenet-fashion (10 classes)"), "{card}");
        let net = Network::new(gpu, loaded.arch, &loaded.weights).unwrap();
        let acc = accuracy(gpu, &net, &held).unwrap();
        eprintln!("{name}: {:.0}% of the slice's 100 test images", acc * 100.0);
        // 89.17% and 89.26% over the 10,000; the first 100 are a small sample of them
        assert!(acc >= 0.8, "{name}: accuracy {acc} on the slice");
    }
}
