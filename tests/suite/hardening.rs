//! What a user or a file can give the binary: settings named by where they came from,
//! outputs never replaced unasked, untrusted champions, sealed checkpoints, locked run
//! directories, impossible sizes and overflowing networks, each a clear error.

use crate::cli::{evolve_dir, fooling, run_result, WEIGHTS};
use crate::common::gpu;
use crate::runs::{long_evolve, signal, spawn};
use std::path::Path;

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

/// A whole evolution run's `config.toml` (the weights never read: the champions are refused
/// first).
const EVOLUTION_CONFIG: &str = "kind = \"evolution\"
net = \"lenet\"
weights = \"weights/lenet_mnist.safetensors\"
weights_sha256 = \"0\"
encoding = \"direct\"
generations = 1
checkpoint_every = 1
stats_every = 1
fooling_version = \"0.1.0\"

[direct]
batch = 4
seed = 0
rate = 0.1
schedule = \"paper\"
eta = 15.0
crossover = \"none\"
";

/// A `champions.csv` is untrusted: a row naming a file outside its run (an absolute path, or
/// one through `..`), a class twice, or a confidence that is no probability is refused, and
/// a refused merge leaves no `--out` behind.
#[test]
fn merge_refuses_champions_outside_their_run() {
    let dir = evolve_dir("merge-untrusted");
    let run = dir.join("run");
    std::fs::create_dir_all(run.join("archive")).unwrap();
    std::fs::write(run.join("config.toml"), EVOLUTION_CONFIG).unwrap();
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

/// A run directory is locked while a command writes it: a second command on it (another
/// evolution, an ablation, a transfer) is refused at once, and the lock goes with the
/// process that held it.
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
        // the experiments over a run refuse one still being written, not a missing file
        vec!["ablate", "--run", d],
        vec!["transfer", "--run", d, "--weights", WEIGHTS],
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
    let o = signal(child, "TERM");
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

/// The shipped networks' weights prove that no activation can overflow for inputs within
/// 1024 times the pixels' range, so their forward passes check only the input; an input past
/// that range is refused as the overflow it could cause, and weights that could overflow are
/// checked (the test below).
#[test]
fn proved_layers_go_unchecked_and_the_input_is_held_to_the_proof() {
    let gpu = gpu();
    for net in ["lenet", "weights/dogs_mobilenetv2.onnx"] {
        let loaded = fooling::nn::load(net, None, &Default::default()).unwrap();
        let network = fooling::nn::Network::new(gpu, loaded.arch.clone(), &loaded.weights).unwrap();
        let proved = network.proved_finite().unwrap();
        assert!(proved.iter().all(|&p| p), "{net}: {proved:?}");
    }
    let arch = fooling::nn::lenet();
    let w =
        fooling::nn::Weights::load(&fooling::nn::shipped_weights("lenet").unwrap(), &arch).unwrap();
    let network = fooling::nn::Network::new(gpu, arch.clone(), &w).unwrap();
    let plan = network.forward_plan(gpu, 2).unwrap();
    // LeNet's pixels are x / 255 … 1: the proof covers ±1024
    let mut images = vec![0.5f32; 2 * arch.input_len()];
    plan.run(gpu, &images).unwrap();
    network.check_finite(gpu, &plan).unwrap();
    images[arch.input_len() + 7] = -2000.0;
    plan.run(gpu, &images).unwrap();
    let e = network.check_finite(gpu, &plan).unwrap_err().to_string();
    assert!(e.contains("input value") && e.contains("1.024e3"), "{e}");
    // weights that a trainer changes on the device prove nothing
    let (train, _) =
        fooling::data::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist-10k"))
            .unwrap();
    let config = fooling::nn::TrainConfig {
        batch: 8,
        ..Default::default()
    };
    let t = fooling::nn::Trainer::new(gpu, network, &train, config).unwrap();
    assert!(t.net.proved_finite().is_none());
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
