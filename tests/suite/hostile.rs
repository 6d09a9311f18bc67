//! Models and inputs no one would make on purpose: a classifier of no classes, a graph far
//! deeper than any real network, an input that never ends. Each is a clear error from a real
//! process, never a panic, an abort or a hang.

use crate::cli::WEIGHTS;
use fooling::nn::onnx::proto;
use prost::Message;
use std::path::{Path, PathBuf};

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fooling-hostile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The shipped PyTorch LeNet-5 as ONNX messages.
fn lenet5() -> proto::ModelProto {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("weights/lenet5_mnist_torch.onnx");
    proto::ModelProto::decode(&std::fs::read(path).unwrap()[..]).unwrap()
}

/// An error from `fooling args`: a failure with a message within a minute, not a crash or
/// a hang.
fn refusal(args: &[&str]) -> String {
    let o = crate::runs::within(60, args)
        .unwrap_or_else(|| panic!("{args:?}: still running after a minute"));
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
    assert!(
        err.starts_with("error: ") && !err.contains("panicked"),
        "{args:?}: {err}"
    );
    err
}

/// A LeNet-5 whose last layer has no rows: no classes.
#[test]
fn a_model_of_no_classes_is_refused_by_every_command() {
    let mut m = lenet5();
    let graph = m.graph.as_mut().unwrap();
    let last = graph
        .node
        .iter()
        .rev()
        .find(|n| n.op_type() == "Gemm")
        .expect("a Gemm")
        .clone();
    for t in graph.initializer.iter_mut() {
        if t.name() == last.input[1] {
            t.dims[0] = 0;
            t.raw_data = Some(Vec::new());
            t.float_data.clear();
        } else if t.name() == last.input[2] {
            t.dims = vec![0];
            t.raw_data = Some(Vec::new());
            t.float_data.clear();
        }
    }
    let dir = temp("classes");
    let path = dir.join("none.onnx");
    std::fs::write(&path, m.encode_to_vec()).unwrap();
    let net = path.to_str().unwrap();
    let out = dir.join("run");
    let out = out.to_str().unwrap();
    for args in [
        vec!["classify", "--net", net, "data/digits/digit7.png"],
        vec!["evolve", "--net", net, "--generations", "1", "--out", out],
        vec!["ascent", "--net", net, "--iterations", "1", "--out", out],
    ] {
        let err = refusal(&args);
        assert!(err.contains("0 classes"), "{args:?}: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A chain of 200,000 ReLUs after LeNet-5's logits: refused or taken, never a stack overflow.
#[test]
fn a_graph_far_deeper_than_any_network_is_an_error() {
    let mut m = lenet5();
    let graph = m.graph.as_mut().unwrap();
    let output = graph.output[0].name().to_string();
    let mut last = format!("{output}_0");
    for n in graph.node.iter_mut() {
        for o in n.output.iter_mut().filter(|o| **o == output) {
            o.clone_from(&last);
        }
    }
    let depth = 200_000;
    for i in 1..=depth {
        let next = if i == depth {
            output.clone()
        } else {
            format!("{output}_{i}")
        };
        graph.node.push(proto::NodeProto {
            op_type: Some("Relu".into()),
            name: Some(format!("deep{i}")),
            input: vec![last.clone()],
            output: vec![next.clone()],
            ..Default::default()
        });
        last = next;
    }
    let dir = temp("deep");
    let path = dir.join("deep.onnx");
    std::fs::write(&path, m.encode_to_vec()).unwrap();
    let err = refusal(&[
        "classify",
        "--net",
        path.to_str().unwrap(),
        "data/digits/digit7.png",
    ]);
    assert!(err.contains("deep.onnx") && err.contains("nodes"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Inputs that never end: a FIFO or a device where an image, a dataset or weights belong.
#[test]
fn inputs_that_never_end_are_refused_at_once() {
    let dir = temp("endless");
    let fifo = dir.join("fifo.png");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let f = fifo.to_str().unwrap();
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    for name in [
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ] {
        std::os::unix::fs::symlink("/dev/zero", data.join(name)).unwrap();
    }
    for args in [
        vec!["classify", "--weights", WEIGHTS, f],
        vec![
            "classify",
            "--weights",
            "/dev/zero",
            "data/digits/digit7.png",
        ],
        vec![
            "train",
            "--data",
            data.to_str().unwrap(),
            "--iterations",
            "1",
            "--out",
            dir.join("w.safetensors").to_str().unwrap(),
        ],
        vec![
            "convert",
            "--net",
            "lenet",
            "--caffemodel",
            f,
            "--out",
            dir.join("c.safetensors").to_str().unwrap(),
        ],
    ] {
        let err = refusal(&args);
        assert!(err.contains("not a regular file"), "{args:?}: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A reader that stops reading (`fooling classify *.png | head -1`) ends the command as it
/// ends `cat`: by SIGPIPE, with no panic and no backtrace.
#[cfg(unix)]
#[test]
fn a_closed_pipe_ends_a_command_quietly() {
    use std::os::unix::process::ExitStatusExt;
    let digits = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/digits");
    let mut images: Vec<PathBuf> = std::fs::read_dir(&digits)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    images.sort();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_fooling"))
        .arg("classify")
        .args(&images)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader is gone before the first line
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(o.status.signal(), Some(13), "SIGPIPE: {:?} {err}", o.status);
}
