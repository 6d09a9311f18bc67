//! Evolution runs through the binary: a run resumes exactly after `--resume`, Ctrl-C, SIGTERM
//! or SIGHUP; a batch of runs (`--runs`) writes what its runs write alone.

use crate::cli::{evolve_dir, fooling, run_result, WEIGHTS};
use std::path::Path;
use std::process::Command;

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

/// Starts `fooling ARGS` from the repository root, its output captured.
pub(crate) fn spawn(args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_fooling"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// `fooling args` if it ends within `seconds`; killed and `None` otherwise.
pub(crate) fn within(seconds: u64, args: &[&str]) -> Option<std::process::Output> {
    let mut child = spawn(args);
    let t0 = std::time::Instant::now();
    while t0.elapsed().as_secs() < seconds {
        if child.try_wait().unwrap().is_some() {
            return Some(child.wait_with_output().unwrap());
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// Sends `signal` (`TERM`, `INT`, `HUP`) to `child` and waits for its output.
pub(crate) fn signal(child: std::process::Child, signal: &str) -> std::process::Output {
    Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Starts an endless evolution (B = 10, no checkpoint before the end) into `dir` and
/// returns once `stats.csv` has `rows` lines.
pub(crate) fn long_evolve(dir: &Path, rows: usize) -> std::process::Child {
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

/// A stop that arrives inside a direct-encoding generation of many device waves (a large
/// network with 10 crops; here a small binding splits LeNet's 20,000 children into
/// hundreds) abandons that generation rather than finishing it: no row for it, and the run
/// resumes to the archive, byte for byte, of a run never stopped.
#[test]
fn a_stop_inside_a_long_generation_abandons_it() {
    fn words(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }
    for encoding in ["direct"] {
        let (a, b) = (
            evolve_dir(&format!("waves-{encoding}-a")),
            evolve_dir(&format!("waves-{encoding}-b")),
        );
        let run = |dir: &Path, generations: &str| {
            vec![
                "--max-binding".to_string(),
                "1000000".into(),
                "evolve".into(),
                "--weights".into(),
                WEIGHTS.into(),
                "--encoding".into(),
                encoding.into(),
                "--batch".into(),
                "20000".into(),
                "--generations".into(),
                generations.into(),
                "--out".into(),
                dir.to_str().unwrap().into(),
            ]
        };
        let args = run(&b, "3");
        let child = spawn(&words(&args));
        let t0 = std::time::Instant::now();
        let rows = || std::fs::read_to_string(b.join("stats.csv")).map_or(0, |s| s.lines().count());
        while rows() < 2 {
            assert!(t0.elapsed().as_secs() < 300, "the run did not start");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        // generation 1 (seconds of waves) is under way
        std::thread::sleep(std::time::Duration::from_millis(500));
        let out = signal(child, "INT");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(130), "{encoding}: {err}");
        assert_eq!(
            rows(),
            2,
            "{encoding}: generation 1 was finished, not abandoned"
        );
        let o = fooling(&[
            "--max-binding",
            "1000000",
            "evolve",
            "--resume",
            b.to_str().unwrap(),
            "--generations",
            "1",
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let o = fooling(&words(&run(&a, "1")));
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(
            run_result(&a),
            run_result(&b),
            "{encoding}: the resumed run differs"
        );
        let _ = std::fs::remove_dir_all(&a);
        let _ = std::fs::remove_dir_all(&b);
    }
}

/// A run sent `signal` writes a checkpoint, exits with `status` (128 + the signal's number),
/// and resumes to the same archive, byte for byte, as a run that was never stopped.
fn interrupted_run_resumes_exactly(signal: &str, status: i32) {
    let (a, b) = (
        evolve_dir(&format!("{signal}-a")),
        evolve_dir(&format!("{signal}-b")),
    );
    let out = self::signal(long_evolve(&b, 5), signal);
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

/// A run's rows without their wall-clock seconds (the last column).
fn rows_without_seconds(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.rsplit_once(',').unwrap().0.to_string())
        .collect()
}

/// `--runs 3` writes the three directories that `--run-index 0..3` writes one by one, byte
/// for byte but for the seconds and the command line; a batch stopped half-way resumes as
/// one and ends the same; and `--run-index` with `--runs` names a batch of a job array.
#[test]
fn a_batch_of_runs_writes_what_the_runs_write_alone() {
    let (batch, alone, resumed) = (
        evolve_dir("batch"),
        evolve_dir("alone"),
        evolve_dir("batch-resumed"),
    );
    let common = [
        "evolve",
        "--weights",
        WEIGHTS,
        "--batch",
        "20",
        "--seed",
        "5",
        "--checkpoint-every",
        "2",
    ];
    let ok = |args: &[&str]| {
        let o = fooling(args);
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).to_string()
    };
    fn with<'a>(common: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
        [common, extra].concat()
    }
    let out = ok(&with(
        &common,
        &[
            "--generations",
            "6",
            "--runs",
            "3",
            "--out",
            batch.to_str().unwrap(),
        ],
    ));
    assert_eq!(out.matches("wrote ").count(), 3, "{out}");
    for i in 0..3 {
        ok(&with(
            &common,
            &[
                "--generations",
                "6",
                "--run-index",
                &i.to_string(),
                "--out",
                alone.to_str().unwrap(),
            ],
        ));
    }
    ok(&with(
        &common,
        &[
            "--generations",
            "3",
            "--runs",
            "3",
            "--out",
            resumed.to_str().unwrap(),
        ],
    ));
    ok(&[
        "evolve",
        "--resume",
        resumed.to_str().unwrap(),
        "--runs",
        "3",
        "--generations",
        "6",
    ]);
    for i in 0..3 {
        let run = format!("run-{i:03}");
        let (a, b, c) = (batch.join(&run), alone.join(&run), resumed.join(&run));
        assert_eq!(
            run_result(&a),
            run_result(&b),
            "{run} of the batch differs from the run alone"
        );
        assert_eq!(
            run_result(&c),
            run_result(&b),
            "{run} of the resumed batch differs"
        );
        for f in ["stats.csv", "cells.csv"] {
            assert_eq!(
                rows_without_seconds(&a.join(f)),
                rows_without_seconds(&b.join(f)),
                "{run}/{f}"
            );
            assert_eq!(
                rows_without_seconds(&c.join(f)),
                rows_without_seconds(&b.join(f)),
                "{run}/{f}"
            );
        }
        let seed = |d: &Path| fooling::evo::run::RunConfig::load(d).unwrap().seed();
        assert_eq!(seed(&a), 5 + i);
    }
    let (r0, r1) = (
        run_result(&batch.join("run-000")),
        run_result(&batch.join("run-001")),
    );
    assert_ne!(r0.0, r1.0, "the runs are independent");
    // a batch of a job array: --run-index 1 with --runs 2 is runs 2 and 3
    let arrayed = evolve_dir("arrayed");
    ok(&with(
        &common,
        &[
            "--generations",
            "6",
            "--runs",
            "2",
            "--run-index",
            "1",
            "--out",
            arrayed.to_str().unwrap(),
        ],
    ));
    assert_eq!(
        run_result(&arrayed.join("run-002")),
        run_result(&batch.join("run-002"))
    );
    assert!(
        arrayed.join("run-003").join("champions.csv").exists() && !arrayed.join("run-000").exists()
    );
    // a directory that is not that batch's run is refused, naming its file
    let o = fooling(&[
        "evolve",
        "--resume",
        batch.to_str().unwrap(),
        "--runs",
        "2",
        "--run-index",
        "1",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("run-003"), "{err}");
    let o = fooling(&with(
        &common,
        &[
            "--encoding",
            "cppn",
            "--runs",
            "2",
            "--out",
            evolve_dir("cppn-batch").to_str().unwrap(),
        ],
    ));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("direct encoding"),
        "{err}"
    );
    for d in [batch, alone, resumed, arrayed] {
        let _ = std::fs::remove_dir_all(d);
    }
}
