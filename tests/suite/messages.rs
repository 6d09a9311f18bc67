//! What the program says when a setting or a file is wrong: the setting named as where it came
//! from (a flag, a sidecar's key, a run's file), the real problem rather than a symptom, each
//! system error once; and a run that resumes from any working directory.

use crate::cli::{evolve_dir, fooling, WEIGHTS};
use std::path::Path;
use std::process::Command;

/// `fooling args`' error output, asserting it failed with status 1 and no panic.
fn error(args: &[&str]) -> String {
    let o = fooling(args);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    err
}

#[test]
fn settings_are_refused_as_what_they_are() {
    let out = evolve_dir("messages-settings");
    let o = out.to_str().unwrap();
    let trained = evolve_dir("messages-settings-train");
    std::fs::create_dir_all(&trained).unwrap();
    let w = trained.join("w.safetensors");
    let w = w.to_str().unwrap();
    for (args, says) in [
        (
            vec!["classify", "--net", "nosuchnet", "data/digits/digit7.png"],
            "unknown network 'nosuchnet'",
        ),
        (
            vec!["evolve", "--rate", "-1", "--out", o],
            "--rate: -1 is not a probability",
        ),
        (
            vec!["ascent", "--blur-sigma", "-1", "--out", o],
            "--blur-sigma: must be positive",
        ),
        (
            vec!["train", "--momentum", "-1", "--out", w],
            "--momentum: -1: must be in [0, 1)",
        ),
        (
            vec!["train", "--base-lr", "-0.5", "--out", w],
            "--base-lr: -0.5: must be finite and not negative",
        ),
        (
            vec!["train", "--weight-decay", "-1", "--out", w],
            "--weight-decay: -1: must be finite and not negative",
        ),
    ] {
        let err = error(&args);
        assert!(err.contains(says), "{args:?}: {err}");
    }
    assert!(!out.exists() && !Path::new(w).exists());
    // a system error is said once
    let err = error(&[
        "classify",
        "--weights",
        "/nonexistent",
        "data/digits/digit7.png",
    ]);
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
    let _ = std::fs::remove_dir_all(&trained);
}

#[test]
fn run_files_are_refused_as_what_they_are() {
    let dir = evolve_dir("messages-files");
    std::fs::create_dir_all(&dir).unwrap();
    // a held-out label no training image has
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for f in [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "heldout-images-idx3-ubyte.gz",
    ] {
        std::fs::copy(root.join("data/mnist-10k").join(f), data.join(f)).unwrap();
    }
    let mut labels = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(
            &std::fs::read(root.join("data/mnist-10k/heldout-labels-idx1-ubyte.gz")).unwrap()[..],
        ),
        &mut labels,
    )
    .unwrap();
    labels[8 + 5] = 250; // the IDX header is 8 bytes
    std::fs::write(data.join("heldout-labels-idx1-ubyte"), &labels).unwrap();
    let err = error(&[
        "train",
        "--data",
        data.to_str().unwrap(),
        "--out",
        dir.join("w.safetensors").to_str().unwrap(),
    ]);
    assert!(
        err.contains("holds label 250") && err.contains("up to 9"),
        "{err}"
    );

    // an ascent run is not an evolution to resume
    let asc = dir.join("ascent");
    let a = asc.to_str().unwrap();
    let o = fooling(&[
        "ascent",
        "--weights",
        WEIGHTS,
        "--classes",
        "1",
        "--iterations",
        "2",
        "--out",
        a,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let err = error(&["evolve", "--resume", a]);
    assert!(err.contains("gradient-ascent run"), "{err}");

    // a run resumes from another working directory; an unknown key in its config is named
    let run = dir.join("run");
    let r = run.to_str().unwrap();
    let o = fooling(&[
        "evolve",
        "--weights",
        WEIGHTS,
        "--generations",
        "1",
        "--batch",
        "10",
        "--out",
        r,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = Command::new(env!("CARGO_BIN_EXE_fooling"))
        .args(["evolve", "--resume", r, "--generations", "2"])
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "from elsewhere: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let config = std::fs::read_to_string(run.join("config.toml")).unwrap();
    std::fs::write(
        run.join("config.toml"),
        format!("colour_typo = 3\n{config}"),
    )
    .unwrap();
    let err = error(&["evolve", "--resume", r, "--generations", "3"]);
    assert!(
        err.contains("config.toml") && err.contains("colour_typo"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_models_input_and_sidecar_are_refused_as_what_they_are() {
    use fooling::nn::onnx::proto;
    use prost::Message;
    let dir = evolve_dir("messages-model");
    std::fs::create_dir_all(&dir).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let model = dir.join("resnet.onnx");
    std::fs::copy(
        root.join("tests/fixtures/onnx/resnet18.torchscript.onnx"),
        &model,
    )
    .unwrap();
    let m = model.to_str().unwrap();
    let sidecar = dir.join("resnet.onnx.toml");
    for (text, says) in [
        (
            "input_size = [0, 5]\n",
            "resnet.onnx.toml: key `input_size`: 0,5",
        ),
        (
            "input_size = [9000, 5]\n",
            "resnet.onnx.toml: key `input_size`: 9000,5",
        ),
        ("std = [0, 1, 1]\n", "resnet.onnx.toml: key `std`"),
    ] {
        std::fs::write(&sidecar, text).unwrap();
        let err = error(&["classify", "--net", m, "data/digits/digit7.png"]);
        assert!(err.contains(says) && !err.contains("--"), "{text}: {err}");
    }
    std::fs::remove_file(&sidecar).unwrap();
    // an input declaring a dimension of -5 or 0 is no open size
    let bytes = std::fs::read(&model).unwrap();
    for bad in [-5i64, 0] {
        let mut mp = proto::ModelProto::decode(&bytes[..]).unwrap();
        let input = &mut mp.graph.as_mut().unwrap().input[0];
        let Some(proto::type_proto::Value::TensorType(t)) =
            input.r#type.as_mut().and_then(|t| t.value.as_mut())
        else {
            panic!("a tensor input")
        };
        t.shape.as_mut().unwrap().dim[2].value =
            Some(proto::tensor_shape_proto::dimension::Value::DimValue(bad));
        let path = dir.join("bad.onnx");
        std::fs::write(&path, mp.encode_to_vec()).unwrap();
        let err = error(&[
            "classify",
            "--net",
            path.to_str().unwrap(),
            "data/digits/digit7.png",
        ]);
        assert!(
            err.contains(&format!("dimension 2 as {bad}: not a size")),
            "{bad}: {err}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
