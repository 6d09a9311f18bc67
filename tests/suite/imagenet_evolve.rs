//! Evolution at ImageNet size: the kernels that render colour genomes into crops and average
//! the crops' softmax, the blocked archive and children that a device's binding limit forces,
//! a colour generation against the CPU twins composed, and `fooling evolve --net caffenet/N`
//! end to end, re-scored by `fooling classify --crops`.

use crate::common::{
    assert_close, for_each_seed, gpu, poisoned, uniform, F32_ELEMENTWISE, NETWORK,
};
use fooling::evo::rng::uniform01;
use fooling::evo::{DirectConfig, DirectSearch, Imaging};
use fooling::gpu::{Gpu, GpuBuffer, GpuOptions};
use fooling::imaging::ColorModel;
use fooling::kernels::{self, ColorRender, Mutation, Offsets};
use fooling::nn::{caffenet_narrow, reference_forward, Network, Weights};
use fooling::reference::{self as twin};
use rand::Rng;
use std::process::Command;
use std::sync::OnceLock;

/// A device that binds at most 32 MiB, so a 1000-cell colour archive spans 24 buffers and a
/// 10-crop batch of a narrow CaffeNet runs in waves, whatever the adapter.
fn small_gpu() -> &'static Gpu {
    static GPU: OnceLock<Gpu> = OnceLock::new();
    GPU.get_or_init(|| {
        gpu();
        Gpu::new(&GpuOptions {
            max_binding: Some(32 << 20),
            ..Default::default()
        })
        .unwrap()
    })
}

#[test]
fn render_color_crops_match_twin() {
    let gpu = gpu();
    for_each_seed("render_color_crops", &[], |r| {
        // square, and a non-square network's (height and width apart)
        for (size, crop) in [([40, 40], [31, 31]), ([30, 52], [24, 45])] {
            let count = 5;
            let genes = uniform(r, count * 3 * size[0] * size[1], -0.05, 1.05);
            let gb = GpuBuffer::from_slice(gpu, "genes", &genes).unwrap();
            let mean_image = uniform(r, 3 * crop[0] * crop[1], 0.0, 255.0);
            let mb = GpuBuffer::from_slice(gpu, "mean", &mean_image).unwrap();
            for (model, crops, rgb, with_image) in [
                (ColorModel::HlsOpencv, 10, false, false),
                (ColorModel::Hsv, 10, true, true),
                (ColorModel::HlsOpencv, 1, false, true),
                (ColorModel::Hsv, 1, true, false),
            ] {
                let render = ColorRender {
                    model,
                    size,
                    crop,
                    crops,
                    rgb,
                    mean: [104.0, 116.7, 122.7],
                    inv_std: [1.0, 0.5, 0.25],
                };
                let (first, items) = (2, 3);
                let x = poisoned(items * crops * render.crop_len());
                let d = kernels::render_color_crops(
                    gpu,
                    &render,
                    gb.view(),
                    first,
                    with_image.then(|| mb.view()),
                    x.view(),
                )
                .unwrap();
                gpu.run(&[&d]).unwrap();
                let want = twin::render_color_crops(
                    &render,
                    &genes,
                    first,
                    items,
                    with_image.then_some(&mean_image[..]),
                );
                assert_close(
                    &format!("{size:?} {model:?} crops {crops} rgb {rgb} mean image {with_image}"),
                    &x.read(gpu).unwrap(),
                    &want,
                    F32_ELEMENTWISE,
                );
            }
        }
    });
}

#[test]
fn crops_are_caffes_oversample() {
    // Caffe's python/caffe/io.py oversample for 256 -> 227: corners, centre at 14, mirrors
    let c = fooling::imaging::crops::crops([256; 2], [227; 2], 10).unwrap();
    let corners: Vec<(usize, usize, bool)> = c.iter().map(|c| (c.row, c.col, c.mirror)).collect();
    assert_eq!(
        corners,
        vec![
            (0, 0, false),
            (0, 29, false),
            (29, 0, false),
            (29, 29, false),
            (14, 14, false),
            (0, 0, true),
            (0, 29, true),
            (29, 0, true),
            (29, 29, true),
            (14, 14, true),
        ]
    );
    assert_eq!(
        fooling::imaging::crops::crops([256; 2], [224; 2], 1).unwrap()[0],
        fooling::imaging::crops::Crop {
            row: 16,
            col: 16,
            mirror: false
        }
    );
    let planes: Vec<u8> = (0..2 * 4 * 4).map(|i| i as u8).collect();
    let m = fooling::imaging::crops::Crop {
        row: 1,
        col: 0,
        mirror: true,
    };
    assert_eq!(
        fooling::imaging::crops::cut(&planes, [4; 2], [3; 2], m),
        vec![6, 5, 4, 10, 9, 8, 14, 13, 12, 22, 21, 20, 26, 25, 24, 30, 29, 28]
    );
    // a non-square image and crop: the margins along each axis apart
    let c = fooling::imaging::crops::crops([48, 60], [40, 50], 10).unwrap();
    let corners: Vec<(usize, usize)> = c[..5].iter().map(|c| (c.row, c.col)).collect();
    assert_eq!(corners, vec![(0, 0), (0, 10), (8, 0), (8, 10), (4, 5)]);
    // one plane of 3 rows × 4 columns, rows 1..3 and columns 1..4 mirrored
    let plane: Vec<u8> = (0..12).collect();
    let m = fooling::imaging::crops::Crop {
        row: 1,
        col: 1,
        mirror: true,
    };
    assert_eq!(
        fooling::imaging::crops::cut(&plane, [3, 4], [2, 3], m),
        vec![7, 6, 5, 11, 10, 9]
    );
    assert!(fooling::imaging::crops::crops([200; 2], [227; 2], 10).is_err());
    assert!(fooling::imaging::crops::crops([256, 200], [227; 2], 1).is_err());
    assert!(fooling::imaging::crops::crops([256; 2], [227; 2], 5).is_err());
}

#[test]
fn crop_mean_matches_twin_and_leaves_other_rows() {
    let gpu = gpu();
    for_each_seed("crop_mean", &[], |r| {
        let (items, crops, classes, first, rows) = (7, 10, 13, 5, 20);
        let probs = uniform(r, items * crops * classes, 0.0, 1.0);
        let pb = GpuBuffer::from_slice(gpu, "probs", &probs).unwrap();
        let out = poisoned(rows * classes);
        let d = kernels::crop_mean(gpu, crops, classes, pb.view(), first, out.view()).unwrap();
        gpu.run(&[&d]).unwrap();
        let got = out.read(gpu).unwrap();
        assert_close(
            "crop_mean",
            &got[first * classes..(first + items) * classes],
            &twin::crop_mean(crops, classes, &probs),
            F32_ELEMENTWISE,
        );
        assert!(got[..first * classes].iter().all(|v| v.is_nan()));
        assert!(got[(first + items) * classes..].iter().all(|v| v.is_nan()));
    });
}

/// Mutation and elite copying run once per pair of (children block, archive block); together
/// they write exactly what one unsplit kernel writes (itself checked against the twins in
/// tests/suite/evo.rs).
#[test]
fn blocked_mutation_and_copy_equal_unsplit() {
    let gpu = gpu();
    for_each_seed("blocked", &[], |r| {
        let (cells, genes, batch) = (9, 70, 11);
        let (cell_block, child_block) = (4, 5);
        let archive = uniform(r, cells * genes, 0.0, 1.0);
        let parent: Vec<u32> = (0..batch).map(|_| r.gen_range(0..cells as u32)).collect();
        let m = Mutation {
            seed: r.gen(),
            generation: 3,
            rate: 0.3,
            halve_every: 0,
            eta: 15.0,
            cross_prob: 0.0,
            eta_c: 10.0,
        };
        let ib = GpuBuffer::from_slice(gpu, "parent", &parent).unwrap();
        let ab = GpuBuffer::from_slice(gpu, "archive", &archive).unwrap();
        let clock = GpuBuffer::from_slice(gpu, "clock", &[m.generation]).unwrap();
        let whole = poisoned(batch * genes);
        let d = kernels::poly_mutate(
            gpu,
            genes,
            &m,
            Offsets::default(),
            1,
            ab.view(),
            ib.view(),
            ib.view(),
            clock.view(),
            whole.view(),
        )
        .unwrap();
        gpu.run(&[&d]).unwrap();
        let want = whole.read(gpu).unwrap();
        assert_eq!(
            want,
            twin::poly_mutate(genes, &m, &archive, &parent, &parent)
                .iter()
                .zip(&want)
                .map(|(&t, &g)| if (t - g).abs() <= 1e-5 { g } else { t })
                .collect::<Vec<_>>()
        );

        let cell_bufs: Vec<(usize, GpuBuffer<f32>)> = (0..cells)
            .step_by(cell_block)
            .map(|c| {
                let n = cell_block.min(cells - c);
                let part = &archive[c * genes..(c + n) * genes];
                (c, GpuBuffer::from_slice(gpu, "cells", part).unwrap())
            })
            .collect();
        let child_bufs: Vec<(usize, GpuBuffer<f32>)> = (0..batch)
            .step_by(child_block)
            .map(|b| (b, poisoned(child_block.min(batch - b) * genes)))
            .collect();
        // archive blocks in reverse order, so a dispatch that wrote past its block would show
        let mut ds = Vec::new();
        for (child, kids) in &child_bufs {
            for (cell, elites) in cell_bufs.iter().rev() {
                let at = Offsets {
                    cell: *cell,
                    child: *child,
                };
                ds.push(
                    kernels::poly_mutate(
                        gpu,
                        genes,
                        &m,
                        at,
                        1,
                        elites.view(),
                        ib.view(),
                        ib.view(),
                        clock.view(),
                        kids.view(),
                    )
                    .unwrap(),
                );
            }
        }
        gpu.run(&ds.iter().collect::<Vec<_>>()).unwrap();
        let got: Vec<f32> = child_bufs
            .iter()
            .flat_map(|(_, b)| b.read(gpu).unwrap())
            .collect();
        assert!(got == want, "blocked mutation differs from the unsplit one");

        // copy: winners from every children block into every archive block
        let winner: Vec<u32> = (0..cells)
            .map(|c| {
                if c % 3 == 0 {
                    u32::MAX
                } else {
                    r.gen_range(0..batch as u32)
                }
            })
            .collect();
        let wb = GpuBuffer::from_slice(gpu, "winner", &winner).unwrap();
        let mut ds = Vec::new();
        for (child, kids) in child_bufs.iter().rev() {
            for (cell, elites) in &cell_bufs {
                let at = Offsets {
                    cell: *cell,
                    child: *child,
                };
                ds.push(
                    kernels::elite_copy(gpu, genes, at, kids.view(), wb.view(), elites.view())
                        .unwrap(),
                );
            }
        }
        gpu.run(&ds.iter().collect::<Vec<_>>()).unwrap();
        let got: Vec<f32> = cell_bufs
            .iter()
            .flat_map(|(_, b)| b.read(gpu).unwrap())
            .collect();
        for c in 0..cells {
            let row = &got[c * genes..(c + 1) * genes];
            let w = winner[c];
            let expect = if w == u32::MAX {
                &archive[c * genes..(c + 1) * genes]
            } else {
                &want[w as usize * genes..(w as usize + 1) * genes]
            };
            assert!(row == expect, "cell {c} (winner {w})");
        }
    });
}

#[test]
fn render_from_an_offset() {
    let gpu = gpu();
    for_each_seed("render_offset", &[], |r| {
        // grey: elements first .. first + n
        let genes = uniform(r, 5 * 784, -0.1, 1.1);
        let gb = GpuBuffer::from_slice(gpu, "genes", &genes).unwrap();
        let x = poisoned(2 * 784);
        let d =
            kernels::render_grey(gpu, (0.0, 1.0 / 256.0), gb.view(), 3 * 784, x.view()).unwrap();
        gpu.run(&[&d]).unwrap();
        assert!(x.read(gpu).unwrap() == twin::render_grey((0.0, 1.0 / 256.0), &genes[3 * 784..]));
        assert!(kernels::render_grey(gpu, (0.0, 1.0), gb.view(), 4 * 784, x.view()).is_err());

        // CPPNs: programs first .. first + batch
        use fooling::evo::cppn::{Capacity, Cppn, CppnMutation};
        let cap = Capacity::default();
        let pop: Vec<Cppn> = (0..5)
            .map(|_| {
                let mut c = Cppn::random(3, r);
                for _ in 0..5 {
                    c.mutate(&CppnMutation::default(), cap, r);
                }
                c
            })
            .collect();
        let programs: Vec<u32> = pop.iter().flat_map(|c| c.compile(cap)).collect();
        let pb = GpuBuffer::from_slice(gpu, "programs", &programs).unwrap();
        let (w, h) = (13, 9);
        let all = poisoned(5 * 3 * w * h);
        let part = poisoned(2 * 3 * w * h);
        let d1 = kernels::render_cppn(gpu, cap, 3, (w, h), pb.view(), 0, all.view()).unwrap();
        let d2 = kernels::render_cppn(gpu, cap, 3, (w, h), pb.view(), 3, part.view()).unwrap();
        gpu.run(&[&d1, &d2]).unwrap();
        assert!(part.read(gpu).unwrap() == all.read(gpu).unwrap()[3 * 3 * w * h..]);
        assert!(kernels::render_cppn(gpu, cap, 3, (w, h), pb.view(), 4, part.view()).is_err());
    });
}

/// The confidences of `children` `(n, 3, S, S)` by the CPU twins: render, crop, forward in
/// f64, crop mean.
fn twin_confidences(
    net: &Network,
    weights: &Weights,
    imaging: &Imaging,
    children: &[f32],
) -> Vec<f32> {
    let Imaging::Color { render, mean_image } = imaging else {
        unreachable!()
    };
    let n = children.len() / render.genes();
    let x = twin::render_color_crops(render, children, 0, n, mean_image.as_deref());
    let (_, probs) = reference_forward(&net.arch, weights, &x).unwrap();
    twin::crop_mean(render.crops, net.arch.num_classes(), &probs)
}

/// Every cell holds a child whose twin confidence for the cell is the best of the batch (up
/// to the two implementations' difference), or kept its elite when no child beat it.
#[allow(clippy::too_many_arguments)]
fn check_cells(
    what: &str,
    conf_before: &[f32],
    conf: &[f32],
    twin_probs: &[f32],
    classes: usize,
    archive_before: &[f32],
    archive: &[f32],
    children: &[f32],
) {
    let genes = children.len() * classes / twin_probs.len();
    let n = twin_probs.len() / classes;
    let mut changed = 0;
    for c in 0..classes {
        let best = (0..n)
            .map(|b| twin_probs[b * classes + c])
            .fold(f32::MIN, f32::max);
        let want = best.max(conf_before[c]);
        let tol = 1e-4 * want.abs() + 1e-6;
        assert!(
            (conf[c] - want).abs() <= tol,
            "{what}: cell {c}: confidence {} vs twin {want}",
            conf[c]
        );
        let row = &archive[c * genes..(c + 1) * genes];
        if row == &archive_before[c * genes..(c + 1) * genes] && conf[c] == conf_before[c] {
            continue;
        }
        changed += 1;
        let holder = (0..n)
            .find(|&b| row == &children[b * genes..(b + 1) * genes])
            .unwrap_or_else(|| panic!("{what}: cell {c} holds no child of the batch"));
        let p = twin_probs[holder * classes + c];
        assert!(
            (p - conf[c]).abs() <= tol,
            "{what}: cell {c} holds child {holder} at twin confidence {p}, recorded {}",
            conf[c]
        );
    }
    assert!(changed > 0, "{what}: no cell changed");
}

/// One colour run of a narrow CaffeNet, 10 crops, on a device that splits the archive into
/// 24 buffers and the batch into two waves: generation 0 and generation 1 against the twins.
#[test]
fn colour_generations_match_the_twins() {
    let gpu = small_gpu();
    let arch = caffenet_narrow(16);
    let weights = Weights::hashed(&arch, 3).unwrap();
    let net = Network::new(gpu, arch.clone(), &weights).unwrap();
    let twin_net = Network::new(gpu, arch.clone(), &weights).unwrap();
    let imaging = Imaging::color(&arch, ColorModel::HlsOpencv, [256; 2], 10, None).unwrap();
    let config = DirectConfig {
        batch: 7,
        seed: 11,
        rate: 0.5,
        ..DirectConfig::default()
    };
    let mut s = DirectSearch::with_imaging(gpu, net, config.clone(), imaging.clone()).unwrap();
    let classes = 1000;
    let genes = 3 * 256 * 256;

    // generation 0: the random children fill every cell
    let children0: Vec<f32> = (0..config.batch * genes)
        .map(|i| uniform01(11, u32::MAX, (i / genes) as u32, (i % genes) as u32, 3))
        .collect();
    assert!(s.children().unwrap() == children0);
    let p0 = twin_confidences(&twin_net, &weights, &imaging, &children0);
    let conf0 = s.confidences().unwrap();
    let archive0 = s.archive().unwrap();
    check_cells(
        "generation 0",
        &vec![-1.0; classes],
        &conf0,
        &p0,
        classes,
        &vec![f32::NAN; classes * genes],
        &archive0,
        &children0,
    );

    // generation 1: children mutated from their parents' cells, inserted where they win
    s.step(1);
    let conf1 = s.confidences().unwrap();
    let children1 = s.children().unwrap();
    let want = twin::poly_mutate(
        genes,
        &config.mutation(1),
        &archive0,
        &s.parents(1),
        &s.parents(1),
    );
    assert_close("generation 1 children", &children1, &want, NETWORK);
    let p1 = twin_confidences(&twin_net, &weights, &imaging, &children1);
    check_cells(
        "generation 1",
        &conf0,
        &conf1,
        &p1,
        classes,
        &archive0,
        &s.archive().unwrap(),
        &children1,
    );
}

fn fooling(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fooling"))
        .args(args)
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .output()
        .unwrap()
}

/// Reads champions.csv: (class, confidence, image path).
fn champions(dir: &std::path::Path) -> Vec<(usize, f32, String)> {
    std::fs::read_to_string(dir.join("champions.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                f[0].parse().unwrap(),
                f[2].parse().unwrap(),
                f[3].to_string(),
            )
        })
        .collect()
}

/// `classify --crops` of the PNGs of the three most confident champions and of cell 0 gives
/// the confidences the run recorded.
fn rescore(dir: &std::path::Path, weights: &str, crops: &str) {
    let champs = champions(dir);
    assert_eq!(champs.len(), 1000);
    let mut order: Vec<usize> = (0..1000).collect();
    order.sort_by(|&a, &b| champs[b].1.total_cmp(&champs[a].1));
    for &c in order[..3].iter().chain(&[0]) {
        let (class, conf, ref png) = champs[c];
        assert_eq!(class, c);
        let path = dir.join(png);
        let img = image::open(&path).unwrap();
        assert_eq!((img.width(), img.height()), (256, 256));
        assert!(matches!(img, image::DynamicImage::ImageRgb8(_)));
        let o = fooling(&[
            "classify",
            "--net",
            "caffenet/16",
            "--weights",
            weights,
            "--crops",
            crops,
            "--json",
            "--top",
            "1000",
            path.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let got = v["top"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["class"] == c)
            .unwrap()["confidence"]
            .as_f64()
            .unwrap();
        assert!(
            (got - conf as f64).abs() <= 1e-5 * conf as f64,
            "cell {c}: classify --crops {crops} gives {got}, the run recorded {conf}"
        );
    }
}

/// `fooling evolve --net caffenet/16` with random weights: direct genomes with ten crops
/// (resumed once), then colour CPPNs with one crop in the paper's HSV; saved 256×256 PNGs
/// re-score to their recorded confidences through `fooling classify --crops`.
#[test]
fn evolve_imagenet_size_end_to_end() {
    let dir = std::env::temp_dir().join(format!("fooling-imagenet-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let arch = caffenet_narrow(16);
    let weights = dir.join("caffenet16.safetensors");
    Weights::hashed(&arch, 5).unwrap().save(&weights).unwrap();
    let w = weights.to_str().unwrap();

    let run = dir.join("direct");
    let r = run.to_str().unwrap();
    let o = fooling(&[
        "evolve",
        "--net",
        "caffenet/16",
        "--weights",
        w,
        "--batch",
        "6",
        "--generations",
        "2",
        "--out",
        r,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let config = std::fs::read_to_string(run.join("config.toml")).unwrap();
    assert!(
        config.contains("model = \"hls-opencv\"") && config.contains("crops = 10"),
        "{config}"
    );
    let o = fooling(&["evolve", "--resume", r, "--generations", "3"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stats = std::fs::read_to_string(run.join("stats.csv")).unwrap();
    assert_eq!(stats.lines().count(), 1 + 4, "{stats}");
    assert!(
        stats.lines().last().unwrap().starts_with("3,24,"),
        "{stats}"
    );
    rescore(&run, w, "10");
    let gallery = image::open(run.join("gallery.png")).unwrap();
    assert!(gallery.width() < 4000 && gallery.height() < 4000);

    let run = dir.join("cppn");
    let r = run.to_str().unwrap();
    let o = fooling(&[
        "evolve",
        "--net",
        "caffenet/16",
        "--weights",
        w,
        "--encoding",
        "cppn",
        "--batch",
        "5",
        "--color",
        "hsv",
        "--crops",
        "1",
        "--generations",
        "1",
        "--out",
        r,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let config = std::fs::read_to_string(run.join("config.toml")).unwrap();
    assert!(
        config.contains("model = \"hsv\"") && config.contains("crops = 1"),
        "{config}"
    );
    rescore(&run, w, "1");
    // without --crops, the message says how to score a champion as the run did
    let png = run.join(&champions(&run)[0].2);
    let o = fooling(&[
        "classify",
        "--net",
        "caffenet/16",
        "--weights",
        w,
        png.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("--crops 1") && err.contains("--crops 10"),
        "{err}"
    );

    // options that only colour networks take
    let o = fooling(&[
        "evolve",
        "--crops",
        "10",
        "--out",
        dir.join("x").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--crops"));
    let o = fooling(&[
        "evolve",
        "--net",
        "caffenet/16",
        "--weights",
        w,
        "--crops",
        "3",
        "--out",
        dir.join("y").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--crops"));
    let _ = std::fs::remove_dir_all(&dir);
}
