//! MAP-Elites with the direct encoding on a real LeNet (the independent PyTorch-trained one).

use crate::common::gpu;
use fooling::evo::{Crossover, DirectConfig, DirectSearch, Schedule};
use fooling::nn::{lenet, Network, Weights};
use std::path::Path;

fn net() -> Network {
    let arch = lenet();
    let w = Weights::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("weights/lenet_mnist_torch.safetensors"),
        &arch,
    )
    .unwrap();
    Network::new(gpu(), arch, &w).unwrap()
}

fn median(v: &[f32]) -> f32 {
    let mut v = v.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2.0
}

#[test]
fn elites_only_improve_and_classify_at_their_recorded_confidence() {
    let gpu = gpu();
    let mut s = DirectSearch::new(
        gpu,
        net(),
        DirectConfig {
            seed: 11,
            ..DirectConfig::default()
        },
    )
    .unwrap();
    let mut prev = s.confidences().unwrap();
    assert!(
        prev.iter().all(|&c| (0.0..=1.0).contains(&c)),
        "the initial batch fills every cell: {prev:?}"
    );
    let first_median = median(&prev);
    for _ in 0..3 {
        s.step(10);
        let now = s.confidences().unwrap();
        for (c, (a, b)) in prev.iter().zip(&now).enumerate() {
            assert!(b >= a, "cell {c} went from {a} to {b}");
        }
        prev = now;
    }
    assert_eq!((s.generation, s.evaluations), (30, 31 * 200));
    assert!(
        median(&prev) > first_median,
        "median {first_median} -> {}",
        median(&prev)
    );
    eprintln!(
        "median confidence: generation 0 {first_median:.4}, generation 30 {:.4}",
        median(&prev)
    );
    // the saved 8-bit images are what the network saw
    let pixels = s.archive_pixels().unwrap();
    let input: Vec<f32> = pixels.iter().map(|&p| p as f32 / 256.0).collect();
    let probs = s.net.classify(gpu, &input).unwrap();
    for (c, p) in probs.iter().enumerate() {
        assert!(
            (p[c] - prev[c]).abs() <= 1e-6,
            "cell {c}: recorded {} but the saved image scores {}",
            prev[c],
            p[c]
        );
    }
}

#[test]
fn same_seed_same_run_and_the_schedules() {
    let gpu = gpu();
    let run = |seed| {
        let mut s = DirectSearch::new(
            gpu,
            net(),
            DirectConfig {
                seed,
                batch: 50,
                ..DirectConfig::default()
            },
        )
        .unwrap();
        s.step(5);
        (s.confidences().unwrap(), s.archive().unwrap())
    };
    let (a, b, c) = (run(3), run(3), run(4));
    assert!(a == b, "the same seed gives the same archive");
    assert!(a.1 != c.1, "another seed gives another archive");
    let paper = DirectConfig::default();
    assert_eq!(
        (
            paper.rate_at(1),
            paper.rate_at(1000),
            paper.rate_at(1001),
            paper.rate_at(2500)
        ),
        (0.1, 0.1, 0.05, 0.025)
    );
    let constant = DirectConfig {
        schedule: Schedule::Constant,
        ..paper
    };
    assert_eq!(constant.rate_at(5000), 0.1);
    assert!(DirectSearch::new(
        gpu,
        net(),
        DirectConfig {
            batch: 0,
            ..DirectConfig::default()
        }
    )
    .is_err());
}

#[test]
fn sbx_runs_keep_their_elites() {
    let gpu = gpu();
    let config = DirectConfig {
        seed: 2,
        batch: 100,
        crossover: Crossover::Sbx,
        ..DirectConfig::default()
    };
    let mut s = DirectSearch::new(gpu, net(), config).unwrap();
    let before = s.confidences().unwrap();
    s.step(10);
    let after = s.confidences().unwrap();
    assert!(before.iter().zip(&after).all(|(a, b)| b >= a));
    assert!(median(&after) > median(&before));
}

#[test]
fn cppn_runs_improve_deterministically_and_their_images_score_as_recorded() {
    use fooling::evo::{CppnConfig, CppnSearch};
    let gpu = gpu();
    let run = |seed, overlap| {
        let mut s = CppnSearch::new(
            gpu,
            net(),
            CppnConfig {
                seed,
                batch: 60,
                ..CppnConfig::default()
            },
        )
        .unwrap();
        s.overlap = overlap;
        let first = s.conf_host.clone();
        assert!(
            first.iter().all(|&c| (0.0..=1.0).contains(&c)),
            "the initial batch fills every cell"
        );
        s.step(15).unwrap();
        assert!(
            first.iter().zip(&s.conf_host).all(|(a, b)| b >= a),
            "elites never get worse"
        );
        assert_eq!(s.evaluations, 16 * 60);
        (first, s)
    };
    let (first, s) = run(5, true);
    assert!(
        median(&s.conf_host) > median(&first),
        "median {} -> {}",
        median(&first),
        median(&s.conf_host)
    );
    let pixels = s.archive_pixels().unwrap();
    let input: Vec<f32> = pixels.iter().map(|&p| p as f32 / 256.0).collect();
    let probs = s.net.classify(gpu, &input).unwrap();
    for (c, p) in probs.iter().enumerate() {
        assert!(
            (p[c] - s.conf_host[c]).abs() <= 1e-6,
            "cell {c}: recorded {} but its image scores {}",
            s.conf_host[c],
            p[c]
        );
    }
    // bred during the device's work (the children of changed cells bred again) or after it
    let (_, again) = run(5, false);
    assert_eq!(
        again.archive, s.archive,
        "the same seed evolves the same genomes, overlapped or not"
    );
    assert!(
        s.archive
            .iter()
            .any(|c| c.nodes() > fooling::evo::cppn::INPUTS + 1),
        "topologies grow"
    );
}

/// `cells`: a run on the first classes only, for both encodings; each cell's elite is the
/// child best at that class even though the network has more.
#[test]
fn runs_on_the_first_cells_only() {
    use fooling::evo::{CppnConfig, CppnSearch};
    let gpu = gpu();
    let mut s = DirectSearch::new(
        gpu,
        net(),
        DirectConfig {
            batch: 50,
            cells: Some(3),
            ..DirectConfig::default()
        },
    )
    .unwrap();
    s.step(2);
    assert_eq!(s.confidences().unwrap().len(), 3);
    assert_eq!(s.archive().unwrap().len(), 3 * 784);
    let pixels = s.archive_pixels().unwrap();
    let input = s.net.arch.to_input(&pixels);
    let probs = s.net.classify(gpu, &input).unwrap();
    for (c, (p, conf)) in probs.iter().zip(s.confidences().unwrap()).enumerate() {
        assert!((p[c] - conf).abs() <= 1e-6, "cell {c}: {} vs {conf}", p[c]);
    }
    let mut cppn = CppnSearch::new(
        gpu,
        net(),
        CppnConfig {
            batch: 20,
            cells: Some(4),
            ..CppnConfig::default()
        },
    )
    .unwrap();
    cppn.step(1).unwrap();
    assert_eq!(cppn.archive.len(), 4);
    for bad in [Some(0), Some(11)] {
        let config = DirectConfig {
            cells: bad,
            ..DirectConfig::default()
        };
        assert!(DirectSearch::new(gpu, net(), config).is_err(), "{bad:?}");
    }
}

/// A batch of runs evolves each run exactly as it evolves alone: the same elites, bit for
/// bit, and the same confidences (mutation with the paper's schedule past its first halving,
/// and SBX crossover with mates drawn on the device).
#[test]
fn a_batch_of_runs_equals_the_runs_alone() {
    let gpu = gpu();
    for crossover in [Crossover::None, Crossover::Sbx] {
        let config = DirectConfig {
            seed: 40,
            batch: 24,
            crossover,
            schedule: Schedule::Paper,
            ..DirectConfig::default()
        };
        let mut batch =
            DirectSearch::batch_of_runs(gpu, net(), config.clone(), fooling::evo::Imaging::Grey, 3)
                .unwrap();
        let mut alone: Vec<DirectSearch> = (0..3)
            .map(|r| {
                let c = DirectConfig {
                    seed: config.seed + r,
                    ..config.clone()
                };
                DirectSearch::new(gpu, net(), c).unwrap()
            })
            .collect();
        // across the rate's first halving (generation 1001), in one long submit and short ones
        let (archive, conf) = (batch.archive().unwrap(), batch.confidences().unwrap());
        batch.restore(995, 0, &archive, &conf).unwrap();
        for s in &mut alone {
            let (a, c) = (s.archive().unwrap(), s.confidences().unwrap());
            s.restore(995, 0, &a, &c).unwrap();
        }
        batch.step(7);
        for s in &mut alone {
            s.step(3);
            s.step(4);
        }
        let got = (batch.archive().unwrap(), batch.confidences().unwrap());
        let want: (Vec<f32>, Vec<f32>) =
            alone.iter().fold((vec![], vec![]), |(mut a, mut c), s| {
                a.extend(s.archive().unwrap());
                c.extend(s.confidences().unwrap());
                (a, c)
            });
        assert!(
            got.0 == want.0,
            "{crossover:?}: the batch's elites differ from the runs alone"
        );
        assert_eq!(got.1, want.1, "{crossover:?}: confidences");
        assert_eq!(batch.evaluations, alone[0].evaluations);
        // each run's cells differ from the others' (the runs are independent)
        assert_ne!(want.1[..10], want.1[10..20]);
    }
    let too_many = DirectSearch::batch_of_runs(
        gpu,
        net(),
        DirectConfig {
            seed: u32::MAX,
            ..DirectConfig::default()
        },
        fooling::evo::Imaging::Grey,
        2,
    );
    assert!(too_many.is_err(), "seeds past 2^32 − 1 are refused");
}
