//! Gradient ascent on the input: the probability-gradient, step and blur kernels against
//! their twins with outputs poisoned first, LeNet's whole input gradient against the CPU
//! twin and finite differences, and `fooling ascent` fooling the shipped LeNet on every digit.

use crate::common::lenet64::{slope, Lenet64, MIN_MARGIN};
use crate::common::{
    assert_close, for_each_seed, gpu, poisoned, uniform, up, Tol, F32_ELEMENTWISE, NETWORK,
};
use fooling::gpu::GpuBuffer;
use fooling::kernels::{self, AscentState, Step};
use fooling::nn::{lenet, reference_input_gradient, Network, Weights};
use fooling::reference as twin;
use rand::Rng;
use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn softmax_prob_bwd_matches_twin_and_finite_differences() {
    let gpu = gpu();
    for_each_seed("softmax_prob_bwd", &[], |r| {
        for (rows, cols, spread) in [(10, 10, 5.0), (3, 1000, 8.0), (5, 11, 30.0)] {
            let x = uniform(r, rows * cols, -spread, spread);
            let target: Vec<u32> = (0..rows).map(|_| r.gen_range(0..cols as u32)).collect();
            let (xb, tb) = (up(&x), GpuBuffer::from_slice(gpu, "t", &target).unwrap());
            let (dxb, pb) = (poisoned(rows * cols), poisoned(rows));
            let d = kernels::softmax_prob_bwd(
                gpu,
                rows,
                cols,
                xb.view(),
                tb.view(),
                dxb.view(),
                pb.view(),
            )
            .unwrap();
            gpu.run(&[&d]).unwrap();
            let (want_dx, want_p) = twin::softmax_prob_bwd(rows, cols, &x, &target);
            let tol = Tol {
                rel: 1e-5,
                abs: 1e-7,
            };
            assert_close("softmax_prob dx", &dxb.read(gpu).unwrap(), &want_dx, tol);
            assert_close(
                "softmax_prob p",
                &pb.read(gpu).unwrap(),
                &want_p,
                F32_ELEMENTWISE,
            );
            // the twin is the derivative of the target's probability
            let eps = 1e-3;
            for _ in 0..12 {
                let (row, c) = (r.gen_range(0..rows), r.gen_range(0..cols));
                let p_at = |d: f32| {
                    let mut x = x.clone();
                    x[row * cols + c] += d;
                    let p = twin::softmax_fwd(rows, cols, &x);
                    p[row * cols + target[row] as usize] as f64
                };
                let fd = (p_at(eps) - p_at(-eps)) / (2.0 * eps as f64);
                let a = want_dx[row * cols + c] as f64;
                assert!(
                    (fd - a).abs() <= 1e-4 + 1e-2 * a.abs(),
                    "row {row} logit {c}: finite difference {fd} vs {a}"
                );
            }
        }
        // saturated: p_t = 1 - 9e-9 in f32 is 1.0, yet the target's own term keeps its value
        let (cols, mut x) = (10, vec![0f32; 10]);
        x[3] = 20.0;
        let (xb, tb) = (up(&x), GpuBuffer::from_slice(gpu, "t", &[3u32]).unwrap());
        let (dxb, pb) = (poisoned(cols), poisoned(1));
        let d =
            kernels::softmax_prob_bwd(gpu, 1, cols, xb.view(), tb.view(), dxb.view(), pb.view())
                .unwrap();
        gpu.run(&[&d]).unwrap();
        let want = 9.0 * (-20f64).exp() / (1.0 + 9.0 * (-20f64).exp()).powi(2);
        let got = dxb.read(gpu).unwrap()[3] as f64;
        assert!(
            (got - want).abs() <= 1e-4 * want,
            "d p_t / d x_t near saturation: {got} vs {want}"
        );
    });
}

/// Two ascent steps on the device and in the twin: the first improves every item, the
/// second lowers one item's probability (its best image must stay) and gives another a zero
/// gradient.
#[test]
fn ascent_step_matches_twin() {
    let gpu = gpu();
    for_each_seed("ascent_step", &[], |r| {
        for (batch, n) in [(3, 1000), (2, 37)] {
            let iterations = 4;
            let s = Step {
                decay: r.gen_range(0.0..0.1),
                max_lr: 1e12,
                lo: 0.0,
                hi: 255.0,
            };
            let mut mean = uniform(r, n, 0.0, 255.0);
            mean.extend(uniform(r, n, -10.0, 10.0)); // the network's input offset
            mean.extend(uniform(r, n, 1.0 / 300.0, 1.0 / 200.0)); // and scale, per value
            let mut image = uniform(r, batch * n, 0.0, 255.0);
            let mut input = vec![f32::NAN; batch * n];
            let mut best = vec![f32::NAN; batch * n];
            let mut state = vec![AscentState::START; batch];
            let mut history = vec![f32::NAN; iterations * batch];
            let (mb, ib, inb, bb) = (
                up(&mean),
                up(&image),
                poisoned(batch * n),
                poisoned(batch * n),
            );
            let sb = GpuBuffer::from_slice(gpu, "state", &state).unwrap();
            let hb = poisoned(iterations * batch);
            let (gb, pb) = (poisoned(batch * n), poisoned(batch));
            let d = kernels::ascent_step(
                gpu,
                n,
                &s,
                gb.view(),
                pb.view(),
                mb.view(),
                ib.view(),
                inb.view(),
                bb.view(),
                sb.view(),
                hb.view(),
            )
            .unwrap();
            for step in 0..2 {
                let mut grad = uniform(r, batch * n, -0.05, 0.05);
                let mut prob = uniform(r, batch, 0.3, 0.9);
                if step == 1 {
                    prob[0] = state[0].best_prob - 0.1; // no improvement: the best image stays
                    grad[n..2 * n].fill(0.0); // no gradient: only the decay moves the image
                }
                gb.write(gpu, 0, &grad);
                pb.write(gpu, 0, &prob);
                gpu.run(&[&d]).unwrap();
                twin::ascent_step(
                    n,
                    &s,
                    &grad,
                    &prob,
                    &mean,
                    &mut image,
                    &mut input,
                    &mut best,
                    &mut state,
                    &mut history,
                );
                let tol = Tol {
                    rel: 1e-5,
                    abs: 1e-4,
                };
                assert_close("ascent image", &ib.read(gpu).unwrap(), &image, tol);
                assert_close("ascent input", &inb.read(gpu).unwrap(), &input, tol);
                assert_close("ascent best", &bb.read(gpu).unwrap(), &best, tol);
                assert_eq!(sb.read(gpu).unwrap(), state, "state after step {step}");
                let h = hb.read(gpu).unwrap();
                for (k, (&g, &w)) in h.iter().zip(&history).enumerate() {
                    assert!(
                        g.to_bits() == w.to_bits() || k >= (step + 1) * batch,
                        "history[{k}]: {g} vs {w}"
                    );
                }
                assert!(image.iter().all(|v| (0.0..=255.0).contains(v)));
            }
            assert_eq!(state[0].best_iter, 0, "item 0 peaked at iteration 0");
        }
    });
}

#[test]
fn blur_matches_twin_and_keeps_constants() {
    let gpu = gpu();
    for_each_seed("blur", &[], |r| {
        for (shape, batch, sigma) in [([1, 28, 28], 3, 1.0f32), ([3, 17, 23], 2, 0.6)] {
            let n: usize = shape.iter().product();
            let mut mean = uniform(r, n, 0.0, 255.0);
            mean.extend(uniform(r, n, -5.0, 5.0));
            mean.extend(uniform(r, n, 1.0 / 300.0, 1.0 / 200.0));
            let image = uniform(r, batch * n, 0.0, 255.0);
            let (ib, tmp, mb, inb) = (
                up(&image),
                poisoned(batch * n),
                up(&mean),
                poisoned(batch * n),
            );
            let d = kernels::blur(
                gpu,
                shape,
                sigma,
                ib.view(),
                tmp.view(),
                mb.view(),
                inb.view(),
            )
            .unwrap();
            gpu.run(&[&d[0], &d[1]]).unwrap();
            let (want, want_input) = twin::blur(shape, sigma, &image, &mean);
            let tol = Tol {
                rel: 1e-5,
                abs: 1e-4,
            };
            assert_close("blurred", &ib.read(gpu).unwrap(), &want, tol);
            assert_close("blurred input", &inb.read(gpu).unwrap(), &want_input, tol);
            let flat = vec![77.0f32; batch * n];
            let (blurred, _) = twin::blur(shape, sigma, &flat, &mean);
            assert_close("a constant image", &blurred, &flat, F32_ELEMENTWISE);
        }
        assert!(kernels::blur(
            gpu,
            [1, 2, 2],
            0.0,
            up(&[0.0; 4]).view(),
            up(&[0.0; 4]).view(),
            up(&[0.0; 12]).view(),
            up(&[0.0; 4]).view()
        )
        .is_err());
    });
}

/// The gradient of each target's probability with respect to LeNet's input: on the device
/// against the CPU twin, and the twin against central differences of an f64 LeNet. Images
/// are drawn until every max-pool and ReLU decision lies [`MIN_MARGIN`] from its switch, so
/// the device and the twin route the gradient alike and agree element by element.
#[test]
fn lenet_input_gradient_matches_twin_and_finite_differences() {
    let gpu = gpu();
    for_each_seed("input gradient", &[74, 76, 235, 253, 264], |r| {
        let arch = lenet();
        let (train, _) = fooling::data::load_dir(&root().join("data/mnist-10k")).unwrap();
        let shipped =
            Weights::load(&root().join("weights/lenet_mnist.safetensors"), &arch).unwrap();
        for weights in [shipped, Weights::random(&arch, r.gen()).unwrap()] {
            let f64_net = Lenet64::new(&weights);
            let batch = 10;
            let n = arch.input_len();
            let mut images: Vec<f32> = Vec::with_capacity(batch * n);
            for _ in 0..batch {
                let i = r.gen_range(0..train.len());
                let image = (0..1000)
                    .map(|_| noisy(train.image(i), r))
                    .find(|x| {
                        let x64: Vec<f64> = x.iter().map(|&v| v as f64).collect();
                        f64_net.forward(&x64).1 >= MIN_MARGIN
                    })
                    .expect("an image 1e-5 from every switch in 1000 draws of noise");
                images.extend(image);
            }
            // every class once, in a shuffled order
            let mut targets: Vec<u32> = (0..batch as u32).collect();
            for i in (1..batch).rev() {
                targets.swap(i, r.gen_range(0..=i));
            }
            let net = Network::new(gpu, arch.clone(), &weights).unwrap();
            let plan = net.input_gradient_plan(gpu, batch).unwrap();
            plan.grad.fill(gpu, f32::NAN);
            plan.prob.fill(gpu, f32::NAN);
            let (prob, grad) = plan.run(gpu, &images, &targets).unwrap();
            let (want_p, want_g) =
                reference_input_gradient(&arch, &weights, &images, &targets).unwrap();
            // a probability carries its logits' f32 error (sums over a whole network), relative to
            // p itself: e^(z_t - max) amplifies an absolute logit error of 1e-5 into a relative one
            assert_close("target probabilities", &prob, &want_p, NETWORK);
            // the gradient of p_t is p_t (∇z_t − Σ p_j ∇z_j): near p_t = 1 it cancels to (1 − p_t)
            // of the logits' gradients, while f32 leaves an error of a few ulps of them, so an
            // image's tolerance grows as 1 / (1 − p_t) against its own gradient's RMS
            let scale = |item: usize| 1.0 / (1.0 - want_p[item] as f64).max(1e-7);
            for item in 0..batch {
                let at = item * n..(item + 1) * n;
                let tol = Tol {
                    rel: 1e-4,
                    abs: 1e-4 + 1e-6 * scale(item),
                };
                assert_close(
                    &format!("input gradient of image {item}"),
                    &grad[at.clone()],
                    &want_g[at],
                    tol,
                );
            }

            let mut checked = 0;
            while checked < 12 {
                let (item, i) = (r.gen_range(0..batch), r.gen_range(0..n));
                let x: Vec<f64> = images[item * n..(item + 1) * n]
                    .iter()
                    .map(|&v| v as f64)
                    .collect();
                let (logits, _) = f64_net.forward(&x);
                let m = logits.iter().cloned().fold(f64::MIN, f64::max);
                let z: f64 = logits.iter().map(|v| (v - m).exp()).sum();
                let p: Vec<f64> = logits.iter().map(|v| (v - m).exp() / z).collect();
                let t = targets[item] as usize;
                // ∂p_t/∂z_j = p_t (δ_tj − p_j)
                let coef: Vec<f64> = (0..10)
                    .map(|j| p[t] * ((j == t) as u8 as f64 - p[j]))
                    .collect();
                let moved = |d: f64| {
                    let mut x = x.clone();
                    x[i] += d;
                    f64_net.forward(&x).0
                };
                let Some((slopes, bends)) = slope(moved) else {
                    continue; // a switch within 1e-7 of the pixel
                };
                let fd: f64 = coef.iter().zip(&slopes).map(|(c, s)| c * s).sum();
                let bound: f64 = coef.iter().zip(&bends).map(|(c, b)| c.abs() * b).sum();
                let a = want_g[item * n + i] as f64;
                let rms = (want_g[item * n..(item + 1) * n]
                    .iter()
                    .map(|&v| (v as f64).powi(2))
                    .sum::<f64>()
                    / n as f64)
                    .sqrt();
                let tol = 1e-2 * a.abs() + (1e-5 + 1e-6 * scale(item)) * rms + bound;
                assert!(
                    (fd - a).abs() <= tol,
                    "image {item} pixel {i}: finite difference {fd} vs analytic {a} (tolerance {tol})"
                );
                checked += 1;
            }
        }
    });
}

/// A digit with noise of ±20 grey levels reflected back into [0, 255], not clamped (clamping
/// makes flat patches whose equal convolution outputs are max-pool ties), as LeNet's input.
fn noisy(digit: &[u8], r: &mut impl Rng) -> Vec<f32> {
    digit
        .iter()
        .map(|&p| {
            let v = p as f32 + r.gen_range(-20.0f32..20.0);
            (if v < 0.0 {
                -v
            } else if v > 255.0 {
                510.0 - v
            } else {
                v
            }) / 256.0
        })
        .collect()
}

fn fooling(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fooling"))
        .args(args)
        .current_dir(root())
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .output()
        .unwrap()
}

/// `fooling ascent` on the shipped LeNet, lightly regularised, at the default 300
/// iterations: every digit's saved 8-bit PNG is classified as that digit at >= 0.9999 by
/// `fooling classify`, at the confidence champions.csv reports.
#[test]
fn ascent_fools_the_shipped_lenet_on_every_digit() {
    let dir = std::env::temp_dir().join(format!("fooling-ascent-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = fooling(&["ascent", "--decay", "0.001", "--out", dir.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = std::fs::read_to_string(dir.join("champions.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some(fooling::ascent::CHAMPIONS_HEADER));
    let mut images = Vec::new();
    let mut reported = Vec::new();
    for (c, line) in lines.enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f[0], c.to_string());
        let conf: f32 = f[2].parse().unwrap();
        assert!(conf >= 0.9999, "class {c}: {conf}");
        let first: Vec<u32> = f[4..7].iter().map(|v| v.parse().unwrap()).collect();
        assert!(first[0] <= first[1] && first[1] <= first[2] && first[2] < 300);
        images.push(dir.join(f[3]).to_str().unwrap().to_string());
        reported.push(conf);
    }
    assert_eq!(images.len(), 10);
    let mut args = vec!["classify", "--json", "--top", "1"];
    args.extend(images.iter().map(|s| s.as_str()));
    let out = fooling(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (c, line) in String::from_utf8(out.stdout).unwrap().lines().enumerate() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let top = &v["top"][0];
        assert_eq!(top["class"], c, "{line}");
        let conf = top["confidence"].as_f64().unwrap();
        assert!(conf >= 0.9999, "{line}");
        assert!(
            (conf - reported[c] as f64).abs() < 1e-6,
            "{line} vs {}",
            reported[c]
        );
    }
    let stats = std::fs::read_to_string(dir.join("stats.csv")).unwrap();
    assert_eq!(
        stats.lines().count(),
        301,
        "a header and a row per iteration"
    );
    assert!(dir.join("gallery.png").exists() && dir.join("config.toml").exists());
    let config = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    assert!(config.contains("decay = 0.001") && config.contains("weights_sha256"));
    // a run directory is never overwritten
    let again = fooling(&["ascent", "--out", dir.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("holds a run already"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ascent_refuses_bad_options_clearly() {
    let dir = std::env::temp_dir().join(format!("fooling-ascent-bad-{}", std::process::id()));
    for (args, needle) in [
        (vec!["--classes", "3,10"], "--classes: class 10"),
        (vec!["--classes", "2,x"], "--classes"),
        (vec!["--classes", "2,2"], "named twice"),
        (vec!["--decay", "1.5"], "--decay"),
        (vec!["--iterations", "0"], "--iterations"),
        (vec!["--max-lr", "0"], "--max-lr"),
        (vec!["--noise=-1"], "--noise"),
        (
            vec!["--blur-every", "5", "--blur-sigma", "0"],
            "--blur-sigma",
        ),
        (vec!["--mean-image", "no/such.png"], "no/such.png"),
    ] {
        let mut all = vec!["ascent", "--out", dir.to_str().unwrap()];
        all.extend(args.iter());
        let out = fooling(&all);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} was accepted");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!dir.join("config.toml").exists(), "{args:?} wrote a run");
    }
}

/// ImageNet size: `fooling ascent --net caffenet/8` (CaffeNet's geometry and layer kinds at
/// an eighth of the width, random weights) on two classes writes colour PNGs that
/// `fooling classify` scores at the confidences `champions.csv` reports, and the
/// probability of each target rises.
#[test]
fn ascent_runs_on_a_caffenet_with_random_weights() {
    let dir = std::env::temp_dir().join(format!("fooling-ascent-caffenet-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let arch = fooling::nn::caffenet_narrow(8);
    let weights = dir.join("caffenet8.safetensors");
    Weights::hashed(&arch, 7).unwrap().save(&weights).unwrap();
    let out = dir.join("run");
    let o = fooling(&[
        "ascent",
        "--net",
        "caffenet/8",
        "--weights",
        weights.to_str().unwrap(),
        "--classes",
        "3,700",
        "--iterations",
        "6",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let config = std::fs::read_to_string(out.join("config.toml")).unwrap();
    assert!(config.contains("per-channel input mean"), "{config}");
    let stats = std::fs::read_to_string(out.join("stats.csv")).unwrap();
    let mean_p: Vec<f64> = stats
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap().parse().unwrap())
        .collect();
    assert_eq!(mean_p.len(), 6);
    assert!(
        mean_p[5] > mean_p[0],
        "the targets' mean probability fell: {mean_p:?}"
    );
    let csv = std::fs::read_to_string(out.join("champions.csv")).unwrap();
    for (line, class) in csv.lines().skip(1).zip(["3", "700"]) {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f[0], class);
        let png = out.join(f[3]);
        let img = image::open(&png).unwrap();
        assert_eq!((img.width(), img.height()), (227, 227));
        assert!(matches!(img, image::DynamicImage::ImageRgb8(_)));
        let c = fooling(&[
            "classify",
            "--net",
            "caffenet/8",
            "--weights",
            weights.to_str().unwrap(),
            "--json",
            "--top",
            "1000",
            png.to_str().unwrap(),
        ]);
        assert!(c.status.success(), "{}", String::from_utf8_lossy(&c.stderr));
        let v: serde_json::Value = serde_json::from_slice(&c.stdout).unwrap();
        let p = v["top"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["class"].as_u64().map(|k| k.to_string()).as_deref() == Some(class))
            .unwrap()["confidence"]
            .as_f64()
            .unwrap();
        let reported: f64 = f[2].parse().unwrap();
        assert!(
            (p - reported).abs() < 1e-6 * reported.max(1e-3),
            "{class}: {p} vs {reported}"
        );
    }
    assert!(out.join("gallery.png").exists());
    // an ablation of ImageNet-sized champions runs many device batches; SIGTERM (a
    // scheduler's time limit) stops it between two of them, with the conventional status
    let child = crate::runs::spawn(&[
        "ablate",
        "--run",
        out.to_str().unwrap(),
        "--patch",
        "4",
        "--stride",
        "2",
    ]);
    std::thread::sleep(std::time::Duration::from_secs(3));
    let o = crate::runs::signal(child, "TERM");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(143), "{err}");
    assert!(err.contains("ablate.csv was not written"), "{err}");
    assert!(!out.join("ablate.csv").exists());
    let _ = std::fs::remove_dir_all(&dir);
}
