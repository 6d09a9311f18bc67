//! The evolution kernels against their twins: the same random draws bit for bit, the
//! mutation's statistics, and MAP-Elites batch insertion equal to one-by-one insertion.

use crate::common::{for_each_seed, gpu, uniform};
use fooling::evo::rng::uniform01;
use fooling::gpu::GpuBuffer;
use fooling::kernels::{self, Mutation, Offsets};
use fooling::reference as twin;
use rand::Rng;

#[test]
fn poly_mutate_draws_the_twins_bits() {
    let gpu = gpu();
    for_each_seed("poly_mutate", &[], |r| {
        let (cells, genes, batch) = (10, 784, 200);
        let parents = uniform(r, cells * genes, 0.0, 1.0);
        let parent: Vec<u32> = (0..batch).map(|_| r.gen_range(0..cells as u32)).collect();
        let m = Mutation {
            seed: r.gen(),
            generation: r.gen_range(1..2000),
            rate: 0.1,
            halve_every: 1000,
            eta: 15.0,
            cross_prob: 0.0,
            eta_c: 10.0,
        };
        let pb = GpuBuffer::from_slice(gpu, "parents", &parents).unwrap();
        let ib = GpuBuffer::from_slice(gpu, "parent", &parent).unwrap();
        let mb = GpuBuffer::from_slice(gpu, "mate", &parent).unwrap();
        let clock = GpuBuffer::from_slice(gpu, "clock", &[m.generation]).unwrap();
        let cb = GpuBuffer::<f32>::zeros(gpu, "children", batch * genes).unwrap();
        cb.fill(gpu, f32::NAN);
        let d = kernels::poly_mutate(
            gpu,
            genes,
            &m,
            Offsets::default(),
            1,
            pb.view(),
            ib.view(),
            mb.view(),
            clock.view(),
            cb.view(),
        )
        .unwrap();
        gpu.run(&[&d]).unwrap();
        let got = cb.read(gpu).unwrap();
        let want = twin::poly_mutate(genes, &m, &parents, &parent, &parent);
        let (mut mutated, mut sum_delta) = (0usize, 0.0f64);
        for (i, (&g, &w)) in got.iter().zip(&want).enumerate() {
            let (child, gene) = (i / genes, i % genes);
            let p = parents[parent[child] as usize * genes + gene];
            if uniform01(m.seed, m.generation, child as u32, gene as u32, 0) < m.rate_at() {
                mutated += 1;
                sum_delta += (w as f64 - p as f64).abs();
                assert!(
                    (g - w).abs() <= 1e-5,
                    "child {child} gene {gene}: {g} vs twin {w}"
                );
            } else {
                assert_eq!(
                    g.to_bits(),
                    p.to_bits(),
                    "child {child} gene {gene} must not change"
                );
            }
        }
        let frac = mutated as f64 / got.len() as f64;
        let rate = if m.generation <= 1000 { 0.1 } else { 0.05 };
        assert_eq!(
            m.rate_at(),
            rate,
            "the paper's schedule halves the rate after 1000"
        );
        assert!(
            (frac - rate as f64).abs() < 0.005,
            "mutated fraction {frac}"
        );
        // E|delta| = 1/17 before clamping; clamping only shrinks it
        let mean = sum_delta / mutated as f64;
        assert!(
            mean > 0.045 && mean < 1.0 / 17.0 + 0.003,
            "mean |delta| {mean}"
        );
        assert!(got.iter().all(|&g| (0.0..=1.0).contains(&g)));
    });
}

#[test]
fn render_grey_matches_twin() {
    let gpu = gpu();
    for_each_seed("render_grey", &[], |r| {
        let mut genes = uniform(r, 3 * 784, -0.1, 1.1);
        genes[0] = 1.0;
        genes[1] = 0.0;
        let gb = GpuBuffer::from_slice(gpu, "genes", &genes).unwrap();
        let xb = GpuBuffer::<f32>::zeros(gpu, "x", genes.len()).unwrap();
        xb.fill(gpu, f32::NAN);
        let d = kernels::render_grey(gpu, (0.0, 1.0 / 256.0), gb.view(), 0, xb.view()).unwrap();
        gpu.run(&[&d]).unwrap();
        let got = xb.read(gpu).unwrap();
        assert!(got == twin::render_grey((0.0, 1.0 / 256.0), &genes));
        assert_eq!((got[0], got[1]), (255.0 / 256.0, 0.0));
    });
}

#[test]
fn batch_insertion_equals_one_by_one_insertion() {
    let gpu = gpu();
    for_each_seed("elite", &[], |r| {
        for (batch, classes, genes) in [(200, 10, 16), (7, 1000, 3), (130, 10, 5)] {
            // confidences on a coarse grid, so ties within the batch and with the cells are common
            let probs: Vec<f32> = (0..batch * classes)
                .map(|_| r.gen_range(0..8) as f32 / 8.0)
                .collect();
            let children = uniform(r, batch * genes, 0.0, 1.0);
            let conf0: Vec<f32> = (0..classes)
                .map(|c| {
                    if c % 3 == 0 {
                        -1.0
                    } else {
                        r.gen_range(0..8) as f32 / 8.0
                    }
                })
                .collect();
            let archive0 = uniform(r, classes * genes, 0.0, 1.0);
            let pb = GpuBuffer::from_slice(gpu, "probs", &probs).unwrap();
            let cb = GpuBuffer::from_slice(gpu, "conf", &conf0).unwrap();
            let kb = GpuBuffer::from_slice(gpu, "children", &children).unwrap();
            let ab = GpuBuffer::from_slice(gpu, "archive", &archive0).unwrap();
            let wb = GpuBuffer::<u32>::zeros(gpu, "winner", classes).unwrap();
            wb.fill(gpu, 12345);
            let d1 =
                kernels::elite_select(gpu, (1, batch), classes, pb.view(), cb.view(), wb.view())
                    .unwrap();
            let d2 = kernels::elite_copy(
                gpu,
                genes,
                Offsets::default(),
                kb.view(),
                wb.view(),
                ab.view(),
            )
            .unwrap();
            gpu.run(&[&d1, &d2]).unwrap();
            let (mut conf, mut archive) = (conf0.clone(), archive0.clone());
            let winner = twin::elite_insert(
                batch,
                classes,
                genes,
                &probs,
                &children,
                &mut conf,
                &mut archive,
            );
            assert_eq!(
                wb.read(gpu).unwrap(),
                winner,
                "winners ({batch}, {classes})"
            );
            assert_eq!(cb.read(gpu).unwrap(), conf, "confidences");
            assert_eq!(ab.read(gpu).unwrap(), archive, "archive genomes");
            // empty cells (-1) are always filled
            assert!(conf.iter().all(|&c| c >= 0.0));
        }
    });
}

#[test]
fn sbx_crossover_matches_twin_and_keeps_equal_genes() {
    let gpu = gpu();
    for_each_seed("sbx", &[], |r| {
        let (cells, genes, batch) = (10, 300, 64);
        let mut parents = uniform(r, cells * genes, 0.0, 1.0);
        // cells 0 and 1 share their first 100 genes: crossing them must leave those genes alone
        for g in 0..100 {
            parents[genes + g] = parents[g];
        }
        let parent: Vec<u32> = (0..batch)
            .map(|b| {
                if b % 2 == 0 {
                    0
                } else {
                    r.gen_range(0..cells as u32)
                }
            })
            .collect();
        let mate: Vec<u32> = (0..batch)
            .map(|b| {
                if b % 2 == 0 {
                    1
                } else {
                    r.gen_range(0..cells as u32)
                }
            })
            .collect();
        let m = Mutation {
            seed: r.gen(),
            generation: 7,
            rate: 0.0,
            halve_every: 0,
            eta: 15.0,
            cross_prob: 1.0,
            eta_c: 10.0,
        };
        let bufs = [&parents].map(|v| GpuBuffer::from_slice(gpu, "parents", v).unwrap());
        let (ib, mb) = (
            GpuBuffer::from_slice(gpu, "parent", &parent).unwrap(),
            GpuBuffer::from_slice(gpu, "mate", &mate).unwrap(),
        );
        let clock = GpuBuffer::from_slice(gpu, "clock", &[m.generation]).unwrap();
        let cb = GpuBuffer::<f32>::zeros(gpu, "children", batch * genes).unwrap();
        cb.fill(gpu, f32::NAN);
        let d = kernels::poly_mutate(
            gpu,
            genes,
            &m,
            Offsets::default(),
            1,
            bufs[0].view(),
            ib.view(),
            mb.view(),
            clock.view(),
            cb.view(),
        )
        .unwrap();
        gpu.run(&[&d]).unwrap();
        let got = cb.read(gpu).unwrap();
        let want = twin::poly_mutate(genes, &m, &parents, &parent, &mate);
        let mut crossed = 0;
        for (i, (&g, &w)) in got.iter().zip(&want).enumerate() {
            let (child, gene) = (i / genes, i % genes);
            assert!(
                (g - w).abs() <= 1e-5,
                "child {child} gene {gene}: {g} vs twin {w}"
            );
            assert!((0.0..=1.0).contains(&g));
            let p = parents[parent[child] as usize * genes + gene];
            if uniform01(m.seed, m.generation, child as u32, gene as u32, 5) >= 0.5 {
                assert_eq!(
                    g.to_bits(),
                    p.to_bits(),
                    "an uncrossed gene is inherited as it is"
                );
            } else if g != p {
                crossed += 1;
            }
            if child % 2 == 0 && gene < 100 {
                assert_eq!(
                    g.to_bits(),
                    p.to_bits(),
                    "genes equal in both parents are kept (not reset to 0.5)"
                );
            }
        }
        assert!(crossed > batch * genes / 4, "{crossed} genes crossed");
        // bounded SBX keeps the pair's centre when the parents sit symmetrically in [0, 1]
        for _ in 0..1000 {
            let (a, u) = (r.gen_range(0.05f32..0.45), r.gen_range(0.0f32..1.0));
            let (c1, c2) = (
                twin::sbx(a, 1.0 - a, u, 10.0),
                twin::sbx(1.0 - a, a, u, 10.0),
            );
            assert!((c1 + c2 - 1.0).abs() < 1e-5, "{a}: {c1} + {c2}");
            assert!(c1 <= 0.5 + 1e-6 && c2 >= 0.5 - 1e-6);
        }
    });
}

/// Cells for only the first classes of each row (a retrained network's extra class has no
/// cell): the same as the twin on the rows cut to those classes.
#[test]
fn elite_select_takes_the_first_columns_of_wider_rows() {
    let gpu = gpu();
    for_each_seed("elite_stride", &[], |r| {
        let (batch, cells, stride) = (37, 10, 11);
        let probs = uniform(r, batch * stride, 0.0, 1.0);
        let conf0 = uniform(r, cells, 0.0, 0.9);
        let pb = GpuBuffer::from_slice(gpu, "probs", &probs).unwrap();
        let cb = GpuBuffer::from_slice(gpu, "conf", &conf0).unwrap();
        let wb = GpuBuffer::<u32>::zeros(gpu, "winner", cells).unwrap();
        let d =
            kernels::elite_select(gpu, (1, batch), cells, pb.view(), cb.view(), wb.view()).unwrap();
        gpu.run(&[&d]).unwrap();
        let cut: Vec<f32> = probs
            .chunks(stride)
            .flat_map(|row| row[..cells].to_vec())
            .collect();
        let mut conf = conf0.clone();
        let mut archive = vec![0.0; cells];
        let winner = twin::elite_insert(
            batch,
            cells,
            1,
            &cut,
            &vec![0.0; batch],
            &mut conf,
            &mut archive,
        );
        assert_eq!(wb.read(gpu).unwrap(), winner);
        assert_eq!(cb.read(gpu).unwrap(), conf);
        // fewer columns than cells is refused
        assert!(
            kernels::elite_select(gpu, (1, batch), 12, pb.view(), cb.view(), wb.view()).is_err()
        );
    });
}

#[test]
fn the_device_clock_and_parent_draws_match_the_host() {
    let gpu = gpu();
    for_each_seed("clock", &[], |r| {
        let (seed, cells, batch) = (r.gen::<u32>(), 13, 1000);
        let start = r.gen_range(0..1_000_000u32);
        let clock = GpuBuffer::from_slice(gpu, "clock", &[start]).unwrap();
        let parent = GpuBuffer::<u32>::zeros(gpu, "parent", batch).unwrap();
        parent.fill(gpu, u32::MAX);
        let step = kernels::clock_step(gpu, clock.view(), 3).unwrap();
        let draw =
            kernels::parents_draw(gpu, (seed, 2), (1, cells), clock.view(), parent.view()).unwrap();
        // two generations in one submit: the draw reads the clock as the step left it
        gpu.run(&[&step, &draw, &step, &draw]).unwrap();
        let mut want_clock = [start];
        twin::clock_step(&mut want_clock, 3);
        twin::clock_step(&mut want_clock, 3);
        assert_eq!(clock.read(gpu).unwrap(), want_clock);
        let got = parent.read(gpu).unwrap();
        let want = fooling::evo::archive::parent_cells(seed, start + 6, batch, cells, 2);
        assert_eq!(got, want, "the device draws the host's parents");
        let mut seen = vec![0usize; cells];
        for &p in &got {
            seen[p as usize] += 1;
        }
        assert!(
            seen.iter().all(|&n| n > batch / cells / 2),
            "draws uniform over the cells: {seen:?}"
        );
        assert!(
            kernels::parents_draw(gpu, (seed, 2), (1, 0), clock.view(), parent.view()).is_err()
        );
        // two runs of 500: the second draws as a run alone with seed + 1, among its own cells
        let two =
            kernels::parents_draw(gpu, (seed, 2), (2, cells), clock.view(), parent.view()).unwrap();
        parent.fill(gpu, u32::MAX);
        gpu.run(&[&two]).unwrap();
        let got = parent.read(gpu).unwrap();
        let alone = |s: u32| fooling::evo::archive::parent_cells(s, start + 6, batch / 2, cells, 2);
        assert_eq!(got[..batch / 2], alone(seed));
        let second: Vec<u32> = alone(seed.wrapping_add(1))
            .iter()
            .map(|p| p + cells as u32)
            .collect();
        assert_eq!(got[batch / 2..], second);
        assert!(
            kernels::parents_draw(gpu, (seed, 2), (3, cells), clock.view(), parent.view()).is_err()
        );
    });
}
