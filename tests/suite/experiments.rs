//! The experiments on finished runs as a user runs them: a small study of two runs made by
//! `--run-index` (as a Slurm job array makes them), `fooling transfer` to the shipped second
//! networks (re-checked with `fooling classify`), and `fooling merge`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fooling(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fooling"));
    cmd.args(args)
        .current_dir(root())
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .env_remove("SLURM_ARRAY_TASK_ID");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn ok(o: &std::process::Output) -> String {
    assert!(
        o.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `classify --json --top 10` of one PNG: the confidences by class.
fn classify(net: &str, weights: &str, png: &Path) -> Vec<f64> {
    let out = ok(&fooling(
        &[
            "classify",
            "--net",
            net,
            "--weights",
            weights,
            "--json",
            "--top",
            "10",
            png.to_str().unwrap(),
        ],
        &[],
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let mut p = vec![0.0; 10];
    for t in v["top"].as_array().unwrap() {
        p[t["class"].as_u64().unwrap() as usize] = t["confidence"].as_f64().unwrap();
    }
    p
}

fn rows(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(String::from).collect())
        .collect()
}

#[test]
fn study_transfer_and_merge() {
    let dir = std::env::temp_dir().join(format!("fooling-study-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let study = dir.join("study");
    let s = study.to_str().unwrap();
    let evolve = ["evolve", "--batch", "40", "--generations", "8", "--out", s];
    // run 0 by option, run 1 as a Slurm array task
    ok(&fooling(
        &[&evolve[..], &["--run-index", "0"]].concat(),
        &[],
    ));
    ok(&fooling(&evolve, &[("SLURM_ARRAY_TASK_ID", "1")]));
    let runs: Vec<PathBuf> = ["run-000", "run-001"]
        .iter()
        .map(|r| study.join(r))
        .collect();
    for (i, r) in runs.iter().enumerate() {
        let config = std::fs::read_to_string(r.join("config.toml")).unwrap();
        assert!(config.contains(&format!("seed = {i}\n")), "{config}");
    }
    // the same index resumes the same run
    let o = fooling(
        &["evolve", "--resume", s, "--generations", "9"],
        &[("SLURM_ARRAY_TASK_ID", "1")],
    );
    ok(&o);
    assert!(std::fs::read_to_string(runs[1].join("stats.csv"))
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .starts_with("9,"));

    // cells.csv: every cell's confidence at each stats.csv row, the last the champions'
    let cells = rows(&runs[1].join("cells.csv"));
    assert_eq!(cells.len(), rows(&runs[1].join("stats.csv")).len());
    assert_eq!(cells.len(), 10, "generations 0 to 9");
    let champs = rows(&runs[1].join("champions.csv"));
    for (c, champ) in champs.iter().enumerate() {
        assert_eq!(cells[9][1 + c], champ[2], "cell {c}");
    }

    // transfer to the two shipped second networks
    for (net, weights, name) in [
        (
            "lenet",
            "weights/lenet_mnist_b.safetensors",
            "lenet_mnist_b",
        ),
        ("mlp", "weights/mlp_mnist.safetensors", "mlp_mnist"),
    ] {
        let out = ok(&fooling(
            &[
                "transfer",
                "--run",
                runs[0].to_str().unwrap(),
                "--net",
                net,
                "--weights",
                weights,
            ],
            &[],
        ));
        assert!(out.contains(&format!("on {name} ")), "{out}");
        let csv = runs[0].join(format!("transfer-{name}.csv"));
        let header = std::fs::read_to_string(&csv).unwrap();
        assert!(header
            .starts_with("class,label,confidence_source,confidence_target,target_top_class\n"));
        let champions = rows(&runs[0].join("champions.csv"));
        let t = rows(&csv);
        assert_eq!(t.len(), 10);
        for (c, (row, champ)) in t.iter().zip(&champions).enumerate() {
            assert_eq!(row[0], c.to_string());
            assert_eq!(row[2], champ[2], "the source confidence is the run's");
            let p = classify(net, weights, &runs[0].join(&champ[3]));
            let target: f64 = row[3].parse().unwrap();
            assert!(
                (target - p[c]).abs() <= 1e-6 * p[c].max(1e-30),
                "{name} class {c}: transfer {target}, classify {}",
                p[c]
            );
            let top = (0..10).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap();
            assert_eq!(row[4], top.to_string());
        }
    }

    // a transfer's output is replaced only with --force, and its name stays in the run
    let csv = runs[0].join("transfer-mlp_mnist.csv");
    let before = std::fs::read(&csv).unwrap();
    let r0 = runs[0].to_str().unwrap();
    let again = [
        "transfer",
        "--run",
        r0,
        "--net",
        "mlp",
        "--weights",
        "weights/mlp_mnist.safetensors",
    ];
    let o = fooling(&again, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("--force"), "{err}");
    assert_eq!(std::fs::read(&csv).unwrap(), before);
    ok(&fooling(&[&again[..], &["--force"]].concat(), &[]));
    for name in ["../escape", "/tmp/x", ".hidden", "a b"] {
        let o = fooling(&[&again[..], &["--name", name]].concat(), &[]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !o.status.success() && err.contains("--name"),
            "{name}: {err}"
        );
    }
    assert!(!dir.join("study/escape.csv").exists() && !dir.join("study/transfer-..").exists());

    // merge: each cell's better champion, its PNG copied
    let merged = dir.join("merged");
    let m = merged.to_str().unwrap();
    let out = ok(&fooling(
        &[
            "merge",
            "--out",
            m,
            runs[0].to_str().unwrap(),
            runs[1].to_str().unwrap(),
        ],
        &[],
    ));
    assert!(out.contains("10 cells from 2 runs"), "{out}");
    let (a, b) = (
        rows(&runs[0].join("champions.csv")),
        rows(&runs[1].join("champions.csv")),
    );
    let mrows = rows(&merged.join("champions.csv"));
    assert_eq!(mrows.len(), 10);
    for (c, row) in mrows.iter().enumerate() {
        let (ca, cb): (f32, f32) = (a[c][2].parse().unwrap(), b[c][2].parse().unwrap());
        let (want, src) = if cb > ca {
            (&b[c], &runs[1])
        } else {
            (&a[c], &runs[0])
        };
        assert_eq!(row[2], want[2], "cell {c}");
        assert_eq!(row[4], src.display().to_string());
        assert_eq!(
            std::fs::read(merged.join(&row[3])).unwrap(),
            std::fs::read(src.join(&want[3])).unwrap()
        );
    }
    assert!(merged.join("gallery.png").exists());
    assert!(std::fs::read_to_string(merged.join("merged.toml"))
        .unwrap()
        .contains("run-001"));
    // a merged archive transfers like a run
    ok(&fooling(
        &[
            "transfer",
            "--run",
            m,
            "--weights",
            "weights/lenet_mnist_b.safetensors",
        ],
        &[],
    ));
    assert_eq!(rows(&merged.join("transfer-lenet_mnist_b.csv")).len(), 10);

    // the report: the paper's table with ours beside it, charts, galleries, transfer
    let ascent = dir.join("ascent");
    ok(&fooling(
        &[
            "ascent",
            "--iterations",
            "20",
            "--classes",
            "3,7",
            "--out",
            ascent.to_str().unwrap(),
        ],
        &[],
    ));
    let report = dir.join("report.html");
    ok(&fooling(
        &[
            "report",
            "--out",
            report.to_str().unwrap(),
            s,
            ascent.to_str().unwrap(),
            m,
        ],
        &[],
    ));
    let html = std::fs::read_to_string(&report).unwrap();
    for want in [
        "<table id=\"paper\">",
        "<td>R1</td><td>MNIST, direct encoding</td>",
        "lenet · 2 runs: median champion confidence at generation 9",
        "every class ≥ 99.99% by generation 50 in 0 of 2 runs",
        "<td>R5</td>",
        "lenet · ",
        "of 2 classes ≥ 99.99%",
        "→ lenet_mnist_b: ",
        "→ mlp_mnist: ",
        "<h2 id=\"R6\">Transfer</h2>",
        "class 9",
        "Merged archive",
    ] {
        assert!(html.contains(want), "the report lacks {want:?}");
    }
    assert_eq!(
        html.matches("<svg").count(),
        2,
        "overall and per-class charts"
    );
    // 2 runs' galleries, the ascent's and the merged archive's, all real images (PNG, or
    // JPEG thumbnails where smaller)
    let images: Vec<&str> = html.split("src=\"data:image/").skip(1).collect();
    assert_eq!(images.len(), 4);
    use base64::Engine;
    for p in images {
        let p = p
            .strip_prefix("png;base64,")
            .or_else(|| p.strip_prefix("jpeg;base64,"))
            .expect("a PNG or a JPEG");
        let b64 = &p[..p.find('"').unwrap()];
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        assert!(image::load_from_memory(&bytes).is_ok());
    }
    assert!(
        html.contains("not in these runs"),
        "R3 and R4 have no runs here"
    );

    // refused: runs against other weights, an existing output, a target with too few classes
    let other = dir.join("other");
    ok(&fooling(
        &[
            "evolve",
            "--weights",
            "weights/lenet_mnist_b.safetensors",
            "--batch",
            "20",
            "--generations",
            "1",
            "--out",
            other.to_str().unwrap(),
        ],
        &[],
    ));
    let o = fooling(
        &[
            "merge",
            "--out",
            dir.join("m2").to_str().unwrap(),
            runs[0].to_str().unwrap(),
            other.to_str().unwrap(),
        ],
        &[],
    );
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("other") && err.contains("sha256"), "{err}");
    let o = fooling(&["merge", "--out", m, runs[0].to_str().unwrap()], &[]);
    assert!(!o.status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

/// `fooling retrain` at a tiny scale: one round (DNN_1 → 30 fooling images → DNN_2 with an
/// 11th class → runs against DNN_2 on the ten digits' cells), then extended by a round with
/// `--resume`, which keeps the rows already measured and adds a sixth of the class.
#[test]
fn retrain_rounds_and_resume() {
    let dir = std::env::temp_dir().join(format!("fooling-retrain-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let d = dir.to_str().unwrap();
    let out = ok(&fooling(
        &[
            "retrain",
            "--rounds",
            "1",
            "--class-size",
            "30",
            "--generations",
            "2",
            "--batch",
            "20",
            "--iterations",
            "30",
            "--augment",
            "--out",
            d,
        ],
        &[],
    ));
    assert!(out.contains("| DNN_2 | 30 |"), "{out}");
    let toml = std::fs::read_to_string(dir.join("retrain.toml")).unwrap();
    assert!(
        toml.contains("[augment]") && toml.contains("rotate = 10.0"),
        "{toml}"
    );
    let first = rows(&dir.join("retrain.csv"));
    assert_eq!(first.len(), 2);
    assert_eq!(first[0][0..2], ["1", "0"]);
    assert_eq!(first[0][2], "0.9890", "DNN_1 is the shipped LeNet");
    assert_eq!(first[0][3..5], ["2", "20"], "30 images need two runs of 20");
    assert_eq!(first[1][0..2], ["2", "30"]);
    assert_eq!(std::fs::read_dir(dir.join("fooling")).unwrap().count(), 30);
    // DNN_2 has the extra class, and classifies like any network
    let png = dir.join("fooling").join("00029.png");
    let o = ok(&fooling(
        &[
            "classify",
            "--weights",
            dir.join("networks/dnn-2.safetensors").to_str().unwrap(),
            "--top",
            "11",
            png.to_str().unwrap(),
        ],
        &[],
    ));
    assert!(o.contains("fooling"), "{o}");

    let o = fooling(&["retrain", "--resume", d, "--rounds", "2"], &[]);
    ok(&o);
    let second = rows(&dir.join("retrain.csv"));
    assert_eq!(second.len(), 3);
    assert_eq!(second[0], first[0]);
    assert_eq!(
        second[1], first[1],
        "DNN_2's runs are seeded: the same again"
    );
    assert_eq!(second[2][0..2], ["3", "35"]);
    let toml = std::fs::read_to_string(dir.join("retrain.toml")).unwrap();
    assert!(
        toml.contains(&format!(
            "--out {d} && fooling retrain --resume {d} --rounds 2\""
        )),
        "the recorded command makes the extended study: {toml}"
    );
    assert_eq!(std::fs::read_dir(dir.join("fooling")).unwrap().count(), 35);
    let o = fooling(&["retrain", "--out", d], &[]);
    assert!(!o.status.success());
    // the warps read back from the file are checked as --augment's are
    let toml = std::fs::read_to_string(dir.join("retrain.toml")).unwrap();
    std::fs::write(
        dir.join("retrain.toml"),
        toml.replace("rotate = 10.0", "rotate = 500.0"),
    )
    .unwrap();
    let o = fooling(&["retrain", "--resume", d, "--rounds", "3"], &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("retrain.toml") && err.contains("rotate"),
        "{err}"
    );
    // a value out of range is named as the file's key; any other edit breaks the seal, and a
    // lost state.json is an error, never a fresh start over the study's work
    for (from, to, says) in [
        ("iterations = 30", "iterations = 0", "key `iterations`"),
        ("seed = 0", "seed = 1", "changed since the study started"),
        (
            "batch = 20",
            "batch = 21",
            "changed since the study started",
        ),
    ] {
        assert!(toml.contains(from), "{toml}");
        std::fs::write(dir.join("retrain.toml"), toml.replace(from, to)).unwrap();
        let o = fooling(&["retrain", "--resume", d, "--rounds", "3"], &[]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !o.status.success() && err.contains("retrain.toml") && err.contains(says),
            "{to}: {err}"
        );
    }
    std::fs::write(dir.join("retrain.toml"), &toml).unwrap();
    std::fs::remove_file(dir.join("state.json")).unwrap();
    let o = fooling(&["retrain", "--resume", d, "--rounds", "3"], &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("state.json") && err.contains("missing"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
