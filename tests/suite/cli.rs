//! The `fooling` binary as a user runs it.

use std::path::Path;
use std::process::Command;

pub(crate) fn fooling(args: &[&str]) -> std::process::Output {
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
        "--augment",
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
        "shifted by up to 2 px, rotated by up to 10° and scaled by up to 10%",
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
        vec!["train", "--augment", "2,10", "--out", bad.to_str().unwrap()],
        vec![
            "train",
            "--augment",
            "2,200,0.1",
            "--out",
            bad.to_str().unwrap(),
        ],
        vec![
            "train",
            "--augment",
            "-1,10,0.1",
            "--out",
            bad.to_str().unwrap(),
        ],
        vec![
            "train",
            "--augment",
            "2,10,x",
            "--out",
            bad.to_str().unwrap(),
        ],
    ] {
        let o = fooling(&args);
        assert!(!o.status.success(), "{args:?} should fail");
        assert!(!bad.exists());
    }
}

/// `--net lenet-fashion` on the committed Fashion-MNIST slice (official `t10k-*` names):
/// the card names the network and the data, and `classify` prints garment names.
#[test]
fn train_and_classify_lenet_fashion_on_the_fashion_slice() {
    let dir = std::env::temp_dir().join(format!("fooling-cli-fashion-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fashion-mnist-slice");
    let out = dir.join("fashion.safetensors");
    let o = fooling(&[
        "train",
        "--net",
        "lenet-fashion",
        "--data",
        data.to_str().unwrap(),
        "--iterations",
        "2",
        "--batch",
        "8",
        "--augment",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("(100 images)"));
    let card = std::fs::read_to_string(dir.join("fashion.md")).unwrap();
    assert!(card.contains("lenet-fashion (10 classes)"), "{card}");
    assert!(card.contains("300 training images, 100 held out"), "{card}");
    // the first test image (an ankle boot) as a PNG, classified with every class printed
    let (_, held) = fooling::data::load_dir(&data).unwrap();
    assert_eq!(held.labels[0], 9);
    let png = dir.join("boot.png");
    image::GrayImage::from_raw(28, 28, held.image(0).to_vec())
        .unwrap()
        .save(&png)
        .unwrap();
    let o = fooling(&[
        "classify",
        "--net",
        "lenet-fashion",
        "--weights",
        out.to_str().unwrap(),
        "--top",
        "10",
        "--json",
        png.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let line: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let labels: Vec<&str> = line["top"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["label"].as_str().unwrap())
        .collect();
    for want in fooling::nn::FASHION_LABELS {
        assert!(labels.contains(&want), "{want} not in {labels:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

pub(crate) fn evolve_dir(name: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("fooling-cli-evolve-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// champions.csv and every archive PNG's bytes.
pub(crate) fn run_result(dir: &Path) -> (String, Vec<Vec<u8>>) {
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

pub(crate) const WEIGHTS: &str = "weights/lenet_mnist_torch.safetensors";
