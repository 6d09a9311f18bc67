//! The report's figures from hand-made run directories (no device needed): the summary
//! that `fooling report` renders, the paper-table lines it builds, its refusal of damaged
//! files, and the reproduction's plan.

use fooling::ascent::{AscentConfig, AscentRunFile};
use fooling::evo::run::{EvolveSettings, RunConfig, STATS_HEADER};
use fooling::evo::Encoding;
use fooling::experiments::reproduce::{plan, Half, ReproduceSettings, Scale, Step};
use fooling::experiments::retrain::{RetrainConfig, RETRAIN_HEADER};
use fooling::report::runs::collect;
use fooling::report::summary::Summary;
use std::path::{Path, PathBuf};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fooling-report-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A finished evolution run of LeNet's 10 cells: every cell at `c50` at generation 50 and
/// at `end` at generation 200; its medians are those values.
fn evolution(dir: &Path, seed: u32, c50: f64, end: f64) {
    let config = RunConfig::new(&EvolveSettings {
        seed,
        command: Some(format!(
            "fooling evolve --seed {seed} --out {}",
            dir.display()
        )),
        ..EvolveSettings::new("lenet", Encoding::Direct)
    })
    .unwrap();
    std::fs::create_dir_all(dir).unwrap();
    config.save(dir).unwrap();
    let row = |g: u32, v: f64| {
        let n = |t: f64| if v >= t { 10 } else { 0 };
        format!(
            "{g},{},{v},{v},{v},{v},{},{},1.0\n",
            g * 200,
            n(0.99),
            n(0.9999)
        )
    };
    write(
        &dir.join("stats.csv"),
        &format!(
            "{STATS_HEADER}\n{}{}{}",
            row(0, 0.1),
            row(50, c50),
            row(200, end)
        ),
    );
    let cells = |g: u32, v: f64| format!("{g},{}\n", vec![v.to_string(); 10].join(","));
    let header: Vec<String> = (0..10).map(|c| c.to_string()).collect();
    write(
        &dir.join("cells.csv"),
        &format!(
            "generation,{}\n{}{}{}",
            header.join(","),
            cells(0, 0.1),
            cells(50, c50),
            cells(200, end)
        ),
    );
    write(&dir.join("champions.csv"), "class,label,confidence,image\n");
}

#[test]
fn the_summary_computes_every_figure_of_the_paper_table() {
    let dir = scratch("summary");
    let (a, b) = (dir.join("direct/run-000"), dir.join("direct/run-001"));
    evolution(&a, 0, 0.99995, 0.999999);
    evolution(&b, 1, 0.95, 0.99991);
    // run a's champions transferred: 4 rows, 3 ≥ 0.99 on the source, 2 ≥ 0.99 and 1 ≥
    // 0.9999 on the target, 2 still the top class
    write(
        &a.join("transfer-lenet_mnist_b.csv"),
        "class,label,confidence_source,confidence_target,target_top_class\n\
         0,0,0.999,0.99995,0\n1,1,0.995,0.991,1\n2,2,0.991,0.5,7\n3,3,0.5,0.1,5\n",
    );
    let ascent = dir.join("ascent");
    let file = AscentRunFile {
        net: "lenet".into(),
        weights: "weights/lenet_mnist.safetensors".into(),
        weights_sha256: "0".into(),
        preprocess: None,
        mean_image: "the mean".into(),
        config: AscentConfig {
            classes: vec![0, 1, 2, 3],
            ..AscentConfig::default()
        },
        command: Some("fooling ascent --classes 0,1,2,3".into()),
        fooling_version: "0".into(),
    };
    write(
        &ascent.join("config.toml"),
        &toml::to_string(&file).unwrap(),
    );
    write(
        &ascent.join("champions.csv"),
        "class,label,confidence,image\n0,0,0.99999,a.png\n1,1,0.99995,b.png\n2,2,0.9,c.png\n3,3,0.99991,d.png\n",
    );
    let study = dir.join("retrain");
    std::fs::create_dir_all(&study).unwrap();
    let config: RetrainConfig = toml::from_str(
        "net = \"lenet\"\nweights = \"w\"\nweights_sha256 = \"0\"\ndata = \"d\"\nrounds = 1\n\
         class_size = 10\ngenerations = 5\nbatch = 10\niterations = 10\nseed = 0\n\
         fooling_version = \"0\"\n",
    )
    .unwrap();
    config.save(&study).unwrap();
    write(
        &study.join("retrain.csv"),
        &format!(
            "{RETRAIN_HEADER}\n1,0,0.9700,1,10,0.999900,10,6\n2,10,0.9650,1,10,0.512300,3,0\n"
        ),
    );

    let runs = collect(&[dir.join("direct"), ascent, study]).unwrap();
    assert_eq!(runs.len(), 4);
    let s = Summary::of(&runs).unwrap();
    assert_eq!(s.groups.len(), 1);
    let g = &s.groups[0];
    assert_eq!((g.row, g.runs.len(), g.cells), ("R1", 2, 10));
    assert_eq!(
        (g.with_cells, g.all_by_50),
        (2, 1),
        "only run a had every class by 50"
    );
    assert_eq!(g.runs[1].median_at_50, Some(0.95));
    assert_eq!(g.runs[0].last.generation, 200);
    assert_eq!(g.medians[&200], vec![0.999999, 0.99991]);
    assert_eq!(s.transfers.len(), 1);
    let t = &s.transfers[0];
    assert_eq!(
        (
            t.champions,
            t.source_099,
            t.target_099,
            t.target_09999,
            t.kept
        ),
        (4, 3, 2, 1, 2)
    );
    assert_eq!(s.tallies[0].group, "lenet direct");
    assert_eq!(s.ascents[0].stats.n_ge_09999, 3);

    let ours = s.ours();
    let line = |row: &str| {
        ours[row]
            .iter()
            .map(|(t, _)| t.as_str())
            .collect::<Vec<_>>()
            .join(" | ")
    };
    assert_eq!(
        line("R1"),
        "lenet · 2 runs: median champion confidence at generation 200: 0.999999, 0.999910; \
         every class ≥ 99.99% by generation 50 in 1 of 2 runs"
    );
    assert_eq!(
        ours["R1"][0].1,
        format!(
            "fooling evolve --seed 0 --out {} (and the other seeds above)",
            a.display()
        )
    );
    assert_eq!(
        line("R5"),
        "lenet · 3 of 4 classes ≥ 99.99% (median 0.999930)"
    );
    assert_eq!(
        line("R6"),
        "lenet direct → lenet_mnist_b: 2/4 (50%) ≥ 0.99, 1/4 (25%) ≥ 0.9999 (1 run)"
    );
    assert_eq!(
        line("R7"),
        "2 networks (DNN_1 and 1 retrainings): a champion ≥ 99.99% against 1 of them; medians 0.9999 → 0.5123"
    );
    assert!(!ours.contains_key("R3"), "no ImageNet runs");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn damaged_and_stopped_runs_are_marked_and_not_counted() {
    let dir = scratch("damaged");
    let (good, cut, bad, stopped) = (
        dir.join("run-000"),
        dir.join("run-001"),
        dir.join("run-002"),
        dir.join("run-003"),
    );
    for (k, run) in [&good, &cut, &bad, &stopped].into_iter().enumerate() {
        evolution(run, k as u32, 0.5, 0.6);
    }
    let stats = std::fs::read_to_string(good.join("stats.csv")).unwrap();
    // cut mid-line, as a killed writer or a full disk leaves it
    write(&cut.join("stats.csv"), &stats[..stats.len() - 12]);
    // a value that is no number
    write(
        &bad.join("stats.csv"),
        &stats.replace("40000,0.6", "40000,x"),
    );
    // stopped at generation 50 of 200
    let upto_50: String = stats.lines().take(3).map(|l| format!("{l}\n")).collect();
    write(&stopped.join("stats.csv"), &upto_50);
    // a transfer file cut short
    write(
        &good.join("transfer-b.csv"),
        "class,label,confidence_source,confidence_target,target_top_class\n0,0,0.9\n",
    );

    let s = Summary::of(&collect(std::slice::from_ref(&dir)).unwrap()).unwrap();
    assert_eq!(s.groups.len(), 1);
    assert_eq!(
        s.groups[0].runs.len(),
        1,
        "only the finished, readable run counts"
    );
    assert_eq!(s.groups[0].runs[0].dir, good);
    assert!(
        s.transfers.is_empty(),
        "the damaged transfer is not counted"
    );
    let why = |d: &Path| {
        s.left_out
            .iter()
            .find(|l| l.dir == d)
            .unwrap_or_else(|| panic!("{} is not marked", d.display()))
            .clone()
    };
    let w = why(&cut).why;
    assert!(w.contains("stats.csv") && w.contains("line 4"), "{w}");
    let w = why(&bad).why;
    assert!(w.contains("stats.csv") && w.contains("median"), "{w}");
    let st = why(&stopped);
    assert_eq!(st.why, "stopped at generation 50 of 200");
    assert_eq!(
        st.remedy.as_deref(),
        Some(format!("fooling evolve --resume {}", stopped.display()).as_str())
    );
    let w = why(&good.join("transfer-b.csv")).why;
    assert!(w.contains("transfer-b.csv") && w.contains("line 2"), "{w}");
    let ours = s.ours();
    assert_eq!(
        ours["R1"][0].0,
        "lenet · 1 run: median champion confidence at generation 200: 0.600000; every class \
         ≥ 99.99% by generation 50 in 0 of 1 runs (3 unfinished or damaged runs left out)"
    );
    // the page lists them
    let page = fooling::report::html::render(&s);
    assert!(page.contains("Left out of the figures"), "no section");
    assert!(page.contains("stopped at generation 50 of 200"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn report_replaces_only_its_own_page_without_force() {
    let dir = scratch("force");
    let run = dir.join("run");
    evolution(&run, 0, 0.5, 0.6);
    let page = dir.join("page.html");
    let runs = [run.clone()];
    // a new page, then the same page again: replaced
    fooling::report::write(&runs, Some(&page), false).unwrap();
    fooling::report::write(&runs, Some(&page), false).unwrap();
    // a file the report did not write: refused, kept, then replaced with force
    let other = dir.join("notes.html");
    write(&other, "<html>my notes</html>");
    let err = fooling::report::write(&runs, Some(&other), false)
        .unwrap_err()
        .to_string();
    // the setting by its key (the CLI writes it as --out), the remedy as the flag to pass
    assert!(err.starts_with("out ") && err.contains("--force"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&other).unwrap(),
        "<html>my notes</html>"
    );
    fooling::report::write(&runs, Some(&other), true).unwrap();
    assert!(std::fs::read_to_string(&other)
        .unwrap()
        .contains("fooling report"));
    // a directory that does not exist
    let err = fooling::report::write(&runs, Some(&dir.join("no/page.html")), false)
        .unwrap_err()
        .to_string();
    assert!(err.contains("no directory"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_reproductions_plan_is_the_papers_experiments() {
    let settings = |half, scale| ReproduceSettings {
        half,
        scale,
        net: "lenet".into(),
        weights: None,
        out: Some("runs/r".into()),
    };
    let count = |steps: &[Step]| {
        let mut n = [0usize; 6];
        for s in steps {
            n[match s {
                Step::Evolve { .. } => 0,
                Step::Ascent { .. } => 1,
                Step::Transfer(_) => 2,
                Step::Retrain { .. } => 3,
                Step::Report { .. } => 4,
                Step::Ablate(_) => 5,
            }] += 1;
        }
        n
    };
    let quick = plan(&settings(Half::Mnist, Scale::Quick)).unwrap();
    // 3 seeds: one batch of direct runs and 3 CPPN runs; one ascent; each of 7 champion
    // sets to 2 networks; the 3 CPPN runs ablated
    assert_eq!(count(&quick), [4, 1, 14, 1, 1, 3]);
    assert_eq!(
        quick[0].command(),
        "fooling evolve --net lenet --encoding direct --generations 100 --batch 100 --seed 0 --out runs/r/direct --runs 3"
    );
    assert!(quick[1]
        .command()
        .ends_with("--out runs/r/cppn --run-index 0"));
    let Step::Report { dirs, out } = quick.last().unwrap() else {
        panic!("the report comes last");
    };
    assert_eq!(out, Path::new("runs/r/report.html"));
    assert_eq!(dirs.len(), 4, "direct, cppn, the ascent and the retraining");
    let paper = plan(&settings(Half::Mnist, Scale::Paper)).unwrap();
    assert_eq!(count(&paper), [6, 2, 22, 1, 1, 5]);
    assert!(paper
        .iter()
        .any(|s| s.command() == "fooling ablate --run runs/r/cppn/run-004"));
    assert!(paper.iter().any(|s| s
        .command()
        == "fooling retrain --net lenet --data data/mnist-10k --generations 200 --batch 200 --iterations 10000 --augment 2,10,0.1 --out runs/r/retrain"),
        "the retrained networks learn with the warps the shipped LeNet learnt with");
    let ascent = |steps: &[Step]| {
        steps
            .iter()
            .find(|s| matches!(s, Step::Ascent { .. }))
            .unwrap()
            .command()
    };
    assert_eq!(
        ascent(&quick),
        "fooling ascent --net lenet --classes all --decay 0.001 --data data/mnist-10k --out runs/r/ascent-0.001",
        "a grey network's mean image is the mean of --data"
    );
    let imagenet = plan(&ReproduceSettings {
        net: "caffenet/8".into(),
        weights: Some("w.safetensors".into()),
        ..settings(Half::Imagenet, Scale::Quick)
    })
    .unwrap();
    assert_eq!(
        ascent(&imagenet),
        "fooling ascent --net caffenet/8 --weights w.safetensors --classes 0,1,2,3,4,5,6,7,8,9 --decay 0.01 --out runs/r/ascent",
        "a colour network's mean is per channel: no --data"
    );
    // the ImageNet half on the shipped dog-breed network, which holds its own weights
    let dogs = plan(&settings(Half::Dogs, Scale::Quick)).unwrap();
    assert_eq!(count(&dogs), [2, 1, 0, 0, 1, 1]);
    assert_eq!(
        dogs[0].command(),
        "fooling evolve --net weights/dogs_mobilenetv2.onnx --encoding direct --generations 20 --crops 1 --seed 0 --out runs/r/direct --run-index 0"
    );
    assert_eq!(
        ascent(&dogs),
        "fooling ascent --net weights/dogs_mobilenetv2.onnx --classes 0,1,2,3,4,5,6,7,8,9 --decay 0.01 --out runs/r/ascent"
    );
    let paper = plan(&settings(Half::Dogs, Scale::Paper)).unwrap();
    assert!(paper[1]
        .command()
        .contains("--encoding cppn --generations 5000 --crops 10"));
}

/// A finished run of `classes` cells against `net`: class c's champion at 1 − 0.1^(c mod 6)
/// at the last generation, with `gallery` as its gallery.
fn wide_run(dir: &Path, net: &str, encoding: Encoding, classes: usize, gallery: &Path) {
    let mut config = RunConfig::new(&EvolveSettings::new("lenet", encoding)).unwrap();
    config.net = net.into();
    std::fs::create_dir_all(dir).unwrap();
    config.save(dir).unwrap();
    let g = config.generations;
    write(
        &dir.join("stats.csv"),
        &format!(
            "{STATS_HEADER}\n0,200,0.5,0.5,0.1,0.9,0,0,1.0\n{g},400,0.9,0.9,0.2,0.99,10,1,2.0\n"
        ),
    );
    let header: Vec<String> = (0..classes).map(|c| c.to_string()).collect();
    let last: Vec<String> = (0..classes)
        .map(|c| format!("{}", 1.0 - 0.1f64.powi(c as i32 % 6)))
        .collect();
    write(
        &dir.join("cells.csv"),
        &format!(
            "generation,{}\n0,{}\n{g},{}\n",
            header.join(","),
            vec!["0.1"; classes].join(","),
            last.join(",")
        ),
    );
    write(&dir.join("champions.csv"), "class,label,confidence,image\n");
    std::fs::copy(gallery, dir.join("gallery.png")).unwrap();
}

#[test]
fn a_thousand_class_report_stays_small_and_reads_at_a_glance() {
    use rand::{Rng, SeedableRng};
    let dir = scratch("wide");
    // a gallery of noise, the worst case for compression: 14 MB as a PNG
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let noise = image::RgbImage::from_fn(2200, 2200, |_, _| image::Rgb(rng.gen()));
    let gallery = dir.join("noise.png");
    noise.save(&gallery).unwrap();
    let png_bytes = std::fs::metadata(&gallery).unwrap().len();
    assert!(png_bytes > 12 << 20, "{png_bytes}");
    let mut runs = Vec::new();
    for (e, encoding) in [Encoding::Direct, Encoding::Cppn].into_iter().enumerate() {
        for seed in 0..6 {
            let run = dir.join(format!("run-{e}-{seed}"));
            wide_run(&run, "caffenet", encoding, 1000, &gallery);
            runs.push(run);
        }
    }
    let page = dir.join("report.html");
    fooling::report::write(&runs, Some(&page), false).unwrap();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.len() < 5_000_000, "{} bytes", html.len());
    // the galleries are JPEG thumbnails; those past the budget are named, not embedded
    assert!(html.contains("data:image/jpeg;base64,"));
    assert!(!html.contains("data:image/png;base64,"));
    assert!(
        html.contains("images were not embedded"),
        "no note of the left-out images"
    );
    // one grid of 1000 tiles per group, each class named on hover
    assert_eq!(html.matches("<div class=\"classgrid large\">").count(), 2);
    assert!(
        html.contains("title=\"0 tench: 0.000000\""),
        "class 0's tile"
    );
    assert!(
        html.contains("title=\"5 electric ray: 0.999990\""),
        "class 5's tile"
    );
    let tiles = html.matches("\" title=\"").count();
    assert_eq!(tiles, 2000, "a tile per class and group");
    let _ = std::fs::remove_dir_all(&dir);
}
