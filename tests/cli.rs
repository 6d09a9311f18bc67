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
