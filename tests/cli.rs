//! The `fooling` binary as a user runs it.

use std::path::Path;
use std::process::Command;

fn fooling(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fooling"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

#[test]
fn info_names_the_adapter_limits_and_features() {
    let out = fooling(&["info"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for want in [
        "chosen:",
        "max_storage_buffer_binding_size",
        "max_compute_workgroups_per_dimension",
        "subgroups",
    ] {
        assert!(text.contains(want), "missing {want} in:\n{text}");
    }
}

/// A headless command prints nothing it did not mean: no display-server probing. (Mesa 22's
/// device-selection layer printed `error: XDG_RUNTIME_DIR is invalid or not set in the
/// environment.` twice per command until the binary turned that layer off; Mesa 25's layer
/// prints nothing either way, so on such a machine this checks only that nothing else does.)
#[test]
fn a_headless_command_prints_only_its_own_output() {
    let out = Command::new(env!("CARGO_BIN_EXE_fooling"))
        .args(["info"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("DISPLAY")
        .env_remove("NODEVICE_SELECT")
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.is_empty(), "stderr: {err}");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("adapters ("));
}

#[test]
fn classify_json_gives_pytorchs_probabilities() {
    let expected: serde_json::Map<String, serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/lenet_mnist_torch_digits.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let mut args = vec![
        "classify",
        "--net",
        "lenet",
        "--weights",
        "weights/lenet_mnist_torch.safetensors",
        "--top",
        "10",
        "--json",
    ];
    args.extend(expected.keys().map(|k| k.as_str()));
    let out = fooling(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), expected.len());
    for line in &lines {
        let image = line["image"].as_str().unwrap();
        let want = expected[image].as_array().unwrap();
        let top = line["top"].as_array().unwrap();
        assert_eq!(top.len(), 10);
        let mut prev = f64::INFINITY;
        for t in top {
            let (class, conf) = (
                t["class"].as_u64().unwrap() as usize,
                t["confidence"].as_f64().unwrap(),
            );
            assert_eq!(t["label"].as_str().unwrap(), class.to_string());
            assert!(
                (conf - want[class].as_f64().unwrap()).abs() <= 1e-4,
                "{image} class {class}: {conf} vs {}",
                want[class]
            );
            assert!(conf <= prev, "top classes are sorted");
            prev = conf;
        }
    }
}

#[test]
fn classify_refuses_bad_input_clearly() {
    let dir = std::env::temp_dir().join(format!("fooling-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let big = dir.join("big.png");
    image::GrayImage::from_pixel(30, 30, image::Luma([200]))
        .save(&big)
        .unwrap();
    let weights = "weights/lenet_mnist_torch.safetensors";
    let out = fooling(&["classify", "--weights", weights, big.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success()
            && err.contains("big.png")
            && err.contains("30x30")
            && err.contains("--resize"),
        "{err}"
    );
    let out = fooling(&[
        "classify",
        "--weights",
        weights,
        "--resize",
        big.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let colour = dir.join("colour.png");
    image::RgbImage::from_pixel(28, 28, image::Rgb([10, 200, 30]))
        .save(&colour)
        .unwrap();
    assert!(
        fooling(&["classify", "--weights", weights, colour.to_str().unwrap()])
            .status
            .success()
    );
    let out = fooling(&[
        "classify",
        "--net",
        "vgg",
        "--weights",
        weights,
        colour.to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--net"));
    let out = fooling(&[
        "classify",
        "--weights",
        "nope.safetensors",
        colour.to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.safetensors"));
}

#[test]
fn train_writes_weights_and_a_model_card_and_takes_an_extra_class() {
    let dir = std::env::temp_dir().join(format!("fooling-cli-train-{}", std::process::id()));
    let extra = dir.join("extra");
    std::fs::create_dir_all(&extra).unwrap();
    for (i, v) in [30u8, 220].iter().enumerate() {
        image::GrayImage::from_pixel(28, 28, image::Luma([*v]))
            .save(extra.join(format!("{i}.png")))
            .unwrap();
    }
    let out = dir.join("w.safetensors");
    let o = fooling(&[
        "train",
        "--iterations",
        "3",
        "--batch",
        "8",
        "--seed",
        "5",
        "--extra-class",
        extra.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(text.contains("held-out accuracy"), "{text}");
    let card = std::fs::read_to_string(dir.join("w.md")).unwrap();
    for want in [
        "lenet (11 classes)",
        "2 images from",
        "| seed | 5 |",
        "sha256",
        "fooling train --iterations 3",
    ] {
        assert!(card.contains(want), "model card lacks {want}:\n{card}");
    }
    // an 11-class network: classify reads the class count from the file
    let o = fooling(&[
        "classify",
        "--top",
        "11",
        "--json",
        "--weights",
        out.to_str().unwrap(),
        "data/digits/digit0.png",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let line: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let top = line["top"].as_array().unwrap();
    assert_eq!(top.len(), 11);
    assert!(top
        .iter()
        .any(|t| t["label"] == "fooling" && t["class"] == 10));
    // bad options are refused before any work, and nothing is written
    let bad = dir.join("bad.safetensors");
    for args in [
        vec!["train", "--iterations", "0", "--out", bad.to_str().unwrap()],
        vec![
            "train",
            "--batch",
            "0",
            "--iterations",
            "1",
            "--out",
            bad.to_str().unwrap(),
        ],
        vec![
            "train",
            "--data",
            "/nonexistent",
            "--out",
            bad.to_str().unwrap(),
        ],
        vec!["train", "--out", dir.join("w.bin").to_str().unwrap()],
    ] {
        let o = fooling(&args);
        assert!(!o.status.success(), "{args:?} should fail");
        assert!(!bad.exists());
    }
}

fn evolve_dir(name: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("fooling-cli-evolve-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// champions.csv and every archive PNG's bytes.
fn run_result(dir: &Path) -> (String, Vec<Vec<u8>>) {
    let csv = std::fs::read_to_string(dir.join("champions.csv")).unwrap();
    let mut pngs: Vec<_> = std::fs::read_dir(dir.join("archive"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    pngs.sort();
    (
        csv,
        pngs.iter().map(|p| std::fs::read(p).unwrap()).collect(),
    )
}

const WEIGHTS: &str = "weights/lenet_mnist_torch.safetensors";

#[test]
fn evolve_writes_a_run_and_resumes_exactly() {
    let (a, b) = (evolve_dir("a"), evolve_dir("b"));
    let small = [
        "--weights",
        WEIGHTS,
        "--batch",
        "20",
        "--checkpoint-every",
        "2",
    ];
    let run = |dir: &Path, extra: &[&str]| {
        let mut args = vec!["evolve"];
        args.extend(extra);
        args.push(dir.to_str().unwrap());
        let o = fooling(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).to_string()
    };
    let mut args_a: Vec<&str> = small.to_vec();
    args_a.extend(["--generations", "6", "--out"]);
    run(&a, &args_a);
    let mut args_b: Vec<&str> = small.to_vec();
    args_b.extend(["--generations", "3", "--out"]);
    run(&b, &args_b);
    run(&b, &["--generations", "6", "--resume"]);
    assert_eq!(
        run_result(&a),
        run_result(&b),
        "resumed run differs from the uninterrupted one"
    );

    // the outputs a user reads
    let stats = std::fs::read_to_string(a.join("stats.csv")).unwrap();
    let mut lines = stats.lines();
    assert_eq!(
        lines.next().unwrap(),
        "generation,evaluations,median,mean,min,max,n_ge_0.99,n_ge_0.9999,seconds"
    );
    assert_eq!(lines.count(), 7, "generations 0..=6:\n{stats}");
    assert_eq!(
        std::fs::read_to_string(b.join("stats.csv"))
            .unwrap()
            .lines()
            .count(),
        8,
        "the resumed run's stats have no duplicates"
    );
    let config = std::fs::read_to_string(a.join("config.toml")).unwrap();
    for want in [
        "weights_sha256",
        "seed = 0",
        "batch = 20",
        "schedule = \"paper\"",
        "generations = 6",
    ] {
        assert!(config.contains(want), "config.toml lacks {want}:\n{config}");
    }
    assert!(a.join("gallery.png").exists() && a.join("checkpoint/state.safetensors").exists());
    // champions.csv's confidences are what `fooling classify` says of the PNGs
    let (csv, _) = run_result(&a);
    for row in csv.lines().skip(1) {
        let f: Vec<&str> = row.split(',').collect();
        let o = fooling(&[
            "classify",
            "--json",
            "--top",
            "10",
            "--weights",
            WEIGHTS,
            a.join(f[3]).to_str().unwrap(),
        ]);
        let line: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let class: u64 = f[0].parse().unwrap();
        let got = line["top"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["class"] == class)
            .unwrap()["confidence"]
            .as_f64()
            .unwrap();
        let want: f64 = f[2].parse().unwrap();
        assert!(
            (got - want).abs() <= 1e-6,
            "class {class}: champions.csv {want}, classify {got}"
        );
    }
    // a second run into the same directory is refused
    let mut again: Vec<&str> = vec!["evolve"];
    again.extend(small);
    again.extend(["--out", a.to_str().unwrap()]);
    let o = fooling(&again);
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("--resume"));
}

#[test]
fn evolve_interrupted_by_ctrl_c_checkpoints_and_resumes_exactly() {
    interrupted_run_resumes_exactly("INT", 130);
}

/// SIGTERM is what Slurm sends at a job's time limit.
#[test]
fn evolve_stopped_by_sigterm_checkpoints_and_resumes_exactly() {
    interrupted_run_resumes_exactly("TERM", 143);
}

/// SIGHUP: the terminal the run was started from went away.
#[test]
fn evolve_stopped_by_sighup_checkpoints_and_resumes_exactly() {
    interrupted_run_resumes_exactly("HUP", 129);
}

/// Starts an endless evolution (B = 10, no checkpoint before the end) into `dir` and
/// returns once `stats.csv` has `rows` lines.
/// Starts `fooling ARGS` from the repository root, its output captured.
fn spawn(args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_fooling"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

fn long_evolve(dir: &Path, rows: usize) -> std::process::Child {
    let child = spawn(&[
        "evolve",
        "--weights",
        WEIGHTS,
        "--batch",
        "10",
        "--generations",
        "100000",
        "--checkpoint-every",
        "100000",
        "--out",
        dir.to_str().unwrap(),
    ]);
    let t0 = std::time::Instant::now();
    while std::fs::read_to_string(dir.join("stats.csv")).map_or(0, |s| s.lines().count()) < rows {
        assert!(t0.elapsed().as_secs() < 120, "the run did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child
}

/// A run sent `signal` writes a checkpoint, exits with `status` (128 + the signal's number),
/// and resumes to the same archive, byte for byte, as a run that was never stopped.
fn interrupted_run_resumes_exactly(signal: &str, status: i32) {
    let (a, b) = (
        evolve_dir(&format!("{signal}-a")),
        evolve_dir(&format!("{signal}-b")),
    );
    let child = long_evolve(&b, 5);
    Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(status),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("--resume"));
    let stats = std::fs::read_to_string(b.join("stats.csv")).unwrap();
    let stopped: u32 = stats
        .lines()
        .last()
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(stopped >= 3);
    let target = (stopped + 3).to_string();
    let o = fooling(&[
        "evolve",
        "--resume",
        b.to_str().unwrap(),
        "--generations",
        &target,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = fooling(&[
        "evolve",
        "--weights",
        WEIGHTS,
        "--batch",
        "10",
        "--generations",
        &target,
        "--checkpoint-every",
        "100000",
        "--out",
        a.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        run_result(&a),
        run_result(&b),
        "the interrupted and resumed run differs from the uninterrupted one"
    );
}

#[test]
fn cppn_evolve_resumes_exactly() {
    let (a, b) = (evolve_dir("cppn-a"), evolve_dir("cppn-b"));
    let common = [
        "--encoding",
        "cppn",
        "--weights",
        WEIGHTS,
        "--batch",
        "20",
        "--checkpoint-every",
        "2",
    ];
    let run = |args: Vec<&str>| {
        let o = fooling(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    fn with<'a>(common: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
        let mut v = vec!["evolve"];
        v.extend_from_slice(common);
        v.extend_from_slice(extra);
        v
    }
    run(with(
        &common,
        &["--generations", "6", "--out", a.to_str().unwrap()],
    ));
    run(with(
        &common,
        &["--generations", "3", "--out", b.to_str().unwrap()],
    ));
    run(vec![
        "evolve",
        "--resume",
        b.to_str().unwrap(),
        "--generations",
        "6",
    ]);
    assert_eq!(
        run_result(&a),
        run_result(&b),
        "resumed CPPN run differs from the uninterrupted one"
    );
    let config = std::fs::read_to_string(a.join("config.toml")).unwrap();
    assert!(
        config.contains("encoding = \"cppn\"") && config.contains("[cppn]"),
        "{config}"
    );
    assert!(a.join("checkpoint/state.json").exists());
}

/// A setting refused on the command line is named as its flag; the same value read from a
/// resumed run's `config.toml` is named as that file's key, and refused before any work.
#[test]
fn settings_are_named_by_flag_or_by_the_file_they_came_from() {
    let o = fooling(&["evolve", "--batch", "0", "--out", "/nonexistent/never"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("error: --batch: must be at least 1"), "{err}");

    let dir = evolve_dir("settings");
    let d = dir.to_str().unwrap();
    let o = fooling(&[
        "evolve",
        "--weights",
        WEIGHTS,
        "--generations",
        "2",
        "--batch",
        "10",
        "--out",
        d,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for (key, value) in [("checkpoint_every", "0"), ("stats_every", "0")] {
        let path = dir.join("config.toml");
        let config = std::fs::read_to_string(&path).unwrap();
        let edited: String = config
            .lines()
            .map(|l| {
                if l.starts_with(&format!("{key} =")) {
                    format!("{key} = {value}\n")
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        assert_ne!(edited, config, "config.toml has {key}");
        std::fs::write(&path, &edited).unwrap();
        let o = fooling(&["evolve", "--resume", d, "--generations", "4"]);
        assert!(!o.status.success());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("config.toml")
                && err.contains(&format!("key `{key}`"))
                && !err.contains("panicked"),
            "{err}"
        );
        std::fs::write(&path, &config).unwrap();
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Nothing already written is replaced unasked, and a command that would fail to write its
/// output fails before the work: `train` onto existing weights or into a missing directory,
/// `convert` onto its own input.
#[test]
fn outputs_are_checked_before_the_work_and_never_replaced_unasked() {
    let dir = evolve_dir("outputs");
    std::fs::create_dir_all(&dir).unwrap();
    let existing = dir.join("w.safetensors");
    std::fs::write(&existing, b"precious").unwrap();
    let e = existing.to_str().unwrap();
    let t0 = std::time::Instant::now();
    let o = fooling(&["train", "--iterations", "10000", "--out", e]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("exists") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(std::fs::read(&existing).unwrap(), b"precious");
    let missing = dir.join("no/such/dir/w.safetensors");
    let o = fooling(&[
        "train",
        "--iterations",
        "10000",
        "--out",
        missing.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("no directory"), "{err}");
    assert!(t0.elapsed().as_secs() < 60, "refused only after training");
    let o = fooling(&["convert", "--caffemodel", e, "--out", e, "--force"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("input file"), "{err}");
    assert_eq!(std::fs::read(&existing).unwrap(), b"precious");
    // a new run goes only into a new or empty directory: never among another's files
    let d = dir.to_str().unwrap();
    for args in [
        &["evolve", "--generations", "1", "--batch", "10", "--out", d][..],
        &["ascent", "--iterations", "1", "--classes", "3", "--out", d],
        &["retrain", "--rounds", "1", "--generations", "1", "--out", d],
    ] {
        let o = fooling(args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !o.status.success() && err.contains("w.safetensors") && err.contains("new or empty"),
            "{}: {err}",
            args[0]
        );
    }
    assert_eq!(std::fs::read(&existing).unwrap(), b"precious");
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let o = fooling(&[
        "evolve",
        "--generations",
        "1",
        "--batch",
        "10",
        "--out",
        empty.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A `champions.csv` is untrusted: a row naming a file outside its run (an absolute path, or
/// one through `..`), a class twice, or a confidence that is no probability is refused, and
/// a refused merge leaves no `--out` behind.
#[test]
fn merge_refuses_champions_outside_their_run() {
    let dir = evolve_dir("merge-untrusted");
    let run = dir.join("run");
    std::fs::create_dir_all(run.join("archive")).unwrap();
    std::fs::write(
        run.join("config.toml"),
        "net = \"lenet\"\nweights_sha256 = \"0\"\n",
    )
    .unwrap();
    let out = dir.join("merged");
    for (row, want) in [
        ("0,0,0.5,/etc/passwd", "not a path inside the run directory"),
        (
            "0,0,0.5,../../elsewhere.png",
            "not a path inside the run directory",
        ),
        (
            "0,0,0.5,archive/a.png\n0,0,0.6,archive/b.png",
            "class 0 a second time",
        ),
        ("0,0,1.5,archive/a.png", "not a probability"),
    ] {
        std::fs::write(
            run.join("champions.csv"),
            format!("class,label,confidence,image\n{row}\n"),
        )
        .unwrap();
        let o = fooling(&[
            "merge",
            "--out",
            out.to_str().unwrap(),
            run.to_str().unwrap(),
        ]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !o.status.success() && err.contains("champions.csv") && err.contains(want),
            "{row}: {err}"
        );
        assert!(!out.exists(), "a refused merge left {}", out.display());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A checkpoint is sealed to its run: a confidence edited in it, or a parameter edited in
/// `config.toml` half-way, is refused on resume; a run stopped before its first checkpoint
/// resumes from its start and ends as the uninterrupted run does.
#[test]
fn checkpoints_are_sealed_to_their_run() {
    let (a, b) = (evolve_dir("seal-a"), evolve_dir("seal-b"));
    let run = |dir: &Path, generations: &str| {
        fooling(&[
            "evolve",
            "--weights",
            WEIGHTS,
            "--batch",
            "10",
            "--generations",
            generations,
            "--out",
            dir.to_str().unwrap(),
        ])
    };
    let resume = |dir: &Path, generations: &str| {
        fooling(&[
            "evolve",
            "--resume",
            dir.to_str().unwrap(),
            "--generations",
            generations,
        ])
    };
    assert!(run(&a, "6").status.success());
    assert!(run(&b, "3").status.success());

    // a confidence edited in the checkpoint, its tensors and metadata otherwise kept
    let state = b.join("checkpoint/state.safetensors");
    let original = std::fs::read(&state).unwrap();
    let (_, header) = safetensors::SafeTensors::read_metadata(&original).unwrap();
    let st = safetensors::SafeTensors::deserialize(&original).unwrap();
    let archive = st.tensor("archive").unwrap();
    let mut conf: Vec<f32> = bytemuck::pod_collect_to_vec(st.tensor("conf").unwrap().data());
    conf[0] = 0.9999999;
    let views = vec![
        ("archive", archive),
        (
            "conf",
            safetensors::tensor::TensorView::new(
                safetensors::Dtype::F32,
                vec![conf.len()],
                bytemuck::cast_slice(&conf),
            )
            .unwrap(),
        ),
    ];
    let edited = safetensors::serialize(views, header.metadata().clone()).unwrap();
    std::fs::write(&state, &edited).unwrap();
    let o = resume(&b, "6");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("state.safetensors") && err.contains("sha256"),
        "{err}"
    );
    std::fs::write(&state, &original).unwrap();

    // the seed edited in config.toml half-way
    let config = std::fs::read_to_string(b.join("config.toml")).unwrap();
    assert!(config.contains("seed = 0"));
    std::fs::write(
        b.join("config.toml"),
        config.replace("seed = 0", "seed = 1"),
    )
    .unwrap();
    let o = resume(&b, "6");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("another run"), "{err}");
    std::fs::write(b.join("config.toml"), &config).unwrap();

    // stopped before its first checkpoint: resumes from the start
    std::fs::remove_dir_all(b.join("checkpoint")).unwrap();
    let o = resume(&b, "6");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(run_result(&a), run_result(&b));
    let rows = |d: &Path| {
        std::fs::read_to_string(d.join("stats.csv"))
            .unwrap()
            .lines()
            .count()
    };
    assert_eq!(rows(&b), rows(&a), "stats.csv rows once each");
    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);
}

/// A run directory is locked while a command writes it: a second command on it is refused
/// at once, and the lock goes with the process that held it.
#[test]
fn a_run_directory_is_locked_while_written() {
    let dir = evolve_dir("locked");
    let d = dir.to_str().unwrap();
    let child = long_evolve(&dir, 3);
    for args in [
        vec![
            "evolve",
            "--weights",
            WEIGHTS,
            "--batch",
            "10",
            "--generations",
            "2",
            "--out",
            d,
        ],
        vec!["evolve", "--resume", d, "--generations", "5"],
    ] {
        let o = fooling(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !o.status.success() && err.contains("another fooling command"),
            "{args:?}: {err}"
        );
    }
    // SIGKILL: no checkpoint, no clean exit; the lock still goes with the process
    let mut child = child;
    child.kill().unwrap();
    child.wait().unwrap();
    let o = fooling(&["evolve", "--resume", d, "--generations", "3"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `train` stopped by SIGTERM says it does not resume, writes nothing, and exits 143.
#[test]
fn train_stopped_by_sigterm_says_why_it_does_not_resume() {
    let dir = evolve_dir("train-term");
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("w.safetensors");
    let child = spawn(&[
        "train",
        "--iterations",
        "1000000",
        "--out",
        out.to_str().unwrap(),
    ]);
    std::thread::sleep(std::time::Duration::from_secs(4));
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(143), "{err}");
    assert!(err.contains("does not resume"), "{err}");
    assert!(!out.exists() && !out.with_extension("md").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A request that cannot fit is a typed error naming the limit, before anything is
/// allocated, and leaves no run directory behind.
#[test]
fn an_impossible_batch_is_refused_before_allocating() {
    let dir = evolve_dir("impossible");
    let t0 = std::time::Instant::now();
    let o = fooling(&[
        "evolve",
        "--weights",
        WEIGHTS,
        "--batch",
        "4294967295",
        "--generations",
        "1",
        "--out",
        dir.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("limit"), "{err}");
    assert!(t0.elapsed().as_secs() < 30, "took {:?}", t0.elapsed());
    assert!(!dir.exists(), "left {}", dir.display());
}

/// Logits that overflow are an error naming the network, not NaN or uniform confidences.
#[test]
fn overflowing_activations_are_an_error_naming_the_network() {
    let dir = evolve_dir("overflow");
    std::fs::create_dir_all(&dir).unwrap();
    let arch = fooling::nn::lenet();
    let mut w = fooling::nn::Weights::random(&arch, 0).unwrap();
    // the last layer's weights near f32's largest: its logits overflow
    for v in w.tensors.get_mut("ip2.weight").unwrap().data.iter_mut() {
        *v = v.signum() * 3e38;
    }
    let path = dir.join("huge.safetensors");
    w.save(&path).unwrap();
    let o = fooling(&[
        "classify",
        "--weights",
        path.to_str().unwrap(),
        "data/digits/digit7.png",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("lenet") && err.contains("overflowed"),
        "{err}"
    );
    // every weight scaled by 1e30: conv2 overflows, and the NaN that makes is dropped by the
    // ReLU after ip1, so the logits come out finite (uniform probabilities): still an error,
    // naming the node, for classify and for evolution
    let mut w = fooling::nn::Weights::random(&arch, 0).unwrap();
    for t in w.tensors.values_mut() {
        for v in t.data.iter_mut() {
            *v *= 1e30;
        }
    }
    let path = dir.join("scaled.safetensors");
    w.save(&path).unwrap();
    let p = path.to_str().unwrap();
    let run = dir.join("run");
    for args in [
        &["classify", "--weights", p, "data/digits/digit7.png"][..],
        &[
            "evolve",
            "--weights",
            p,
            "--generations",
            "2",
            "--batch",
            "10",
            "--out",
            run.to_str().unwrap(),
        ],
    ] {
        let o = fooling(args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !o.status.success() && err.contains("conv2") && err.contains("overflowed"),
            "{}: {err}",
            args[0]
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
