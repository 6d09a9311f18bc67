//! Users' networks from ONNX files (tests/fixtures/onnx, from tools/onnx_fixture.py):
//! torchvision's ResNet-18, MobileNetV2, SqueezeNet 1.1, DenseNet-121 and EfficientNet-B0
//! (narrowed) and a VGG-style net, each exported by PyTorch's TorchScript exporter and by its
//! dynamo exporter (weights in an external data file), against PyTorch (float64): the
//! preprocessing, logits, probabilities and the input gradient of a class's probability;
//! the device against the CPU twins composed; and every kind of model the importer must
//! refuse, each refused with the file, the node or the option at fault.

use crate::common::{assert_close, assert_rel_l2, gpu, Tol, NETWORK};
use fooling::nn::onnx;
use fooling::nn::preprocess::Preprocess;
use fooling::nn::{reference_forward, reference_input_gradient, ChannelOrder, Network};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/onnx")
        .join(name)
}

/// torchvision's ImageNet normalisation, as the command line gives it.
fn imagenet() -> Preprocess {
    Preprocess {
        mean: Some(vec![0.485, 0.456, 0.406]),
        std: Some(vec![0.229, 0.224, 0.225]),
        channels: Some(ChannelOrder::Rgb),
        ..Preprocess::default()
    }
}

/// What PyTorch computed for a network (`NAME.io.safetensors`).
struct Expected {
    pixels: Vec<u8>,
    input: Vec<f32>,
    logits: Vec<f32>,
    probs: Vec<f32>,
    target: Vec<u32>,
    grad: Vec<f32>,
}

fn expected(name: &str) -> Expected {
    let bytes = std::fs::read(fixture(&format!("{name}.io.safetensors"))).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let f32s = |n: &str| bytemuck::pod_collect_to_vec::<u8, f32>(st.tensor(n).unwrap().data());
    Expected {
        pixels: st.tensor("pixels").unwrap().data().to_vec(),
        input: f32s("input"),
        logits: f32s("logits"),
        probs: f32s("probs"),
        target: bytemuck::pod_collect_to_vec::<u8, i64>(st.tensor("target").unwrap().data())
            .iter()
            .map(|&t| t as u32)
            .collect(),
        grad: f32s("grad"),
    }
}

/// Probabilities to 1e-4 of PyTorch's (absolute), the figure the README promises.
const PROBS: Tol = Tol {
    rel: 0.0,
    abs: 1e-4,
};

/// The relative L2 error of a whole network's input gradient against PyTorch's float64 (and
/// against the twins), at most. Element by element they may differ where an activation lies
/// within rounding of a ReLU's or ReLU6's kink: the two sums round differently, take
/// different sides, and the pixels behind that activation lose or gain a path (seen: 4.8e-3
/// for MobileNetV2 and 3.2e-3 for SqueezeNet on the fixtures' images, against PyTorch and
/// the twins alike, while on other inputs device and twins agree element by element).
const GRAD_L2: f64 = 2e-2;

fn check_network(name: &str, exporter: &str, given: &Preprocess) {
    let gpu = gpu();
    let path = fixture(&format!("{name}.{exporter}.onnx"));
    let model = onnx::load(&path, given, None).unwrap_or_else(|e| panic!("{e}"));
    let want = expected(name);
    let what = |s: &str| format!("{name} ({exporter}) {s}");
    let arch = &model.arch;
    assert_eq!(arch.num_classes(), 10, "{}", what("classes"));
    // the preprocessing: pixels become PyTorch's input
    let input = arch.to_input(&want.pixels);
    assert_close(
        &what("input"),
        &input,
        &want.input,
        crate::common::F32_ELEMENTWISE,
    );
    let images = want.target.len();
    let net = Network::new(gpu, arch.clone(), &model.weights).unwrap();
    let plan = net.input_gradient_plan(gpu, images).unwrap();
    plan.forward.logits.fill(gpu, f32::NAN);
    plan.grad.fill(gpu, f32::NAN);
    let (prob, grad) = plan.run(gpu, &input, &want.target).unwrap();
    let logits = plan.forward.logits.read(gpu).unwrap();
    let probs = plan.forward.probs.read(gpu).unwrap();
    assert_close(&what("logits"), &logits, &want.logits, NETWORK);
    assert_close(&what("probabilities"), &probs, &want.probs, PROBS);
    let want_p: Vec<f32> = (0..images)
        .map(|b| want.probs[b * 10 + want.target[b] as usize])
        .collect();
    assert_close(&what("target probabilities"), &prob, &want_p, PROBS);
    assert_rel_l2(&what("input gradient"), &grad, &want.grad, GRAD_L2);
    // the device against the CPU twins composed
    let (twin_logits, _) = reference_forward(arch, &model.weights, &input).unwrap();
    assert_close(
        &what("logits against the twins"),
        &logits,
        &twin_logits,
        NETWORK,
    );
    let (_, twin_grad) =
        reference_input_gradient(arch, &model.weights, &input, &want.target).unwrap();
    assert_rel_l2(
        &what("input gradient against the twins"),
        &grad,
        &twin_grad,
        GRAD_L2,
    );
}

#[test]
fn resnet18_from_both_exporters_matches_pytorch() {
    // its normalisation comes from the sidecar file beside each model
    for exporter in ["torchscript", "dynamo"] {
        check_network("resnet18", exporter, &Preprocess::default());
    }
}

#[test]
fn mobilenet_v2_from_both_exporters_matches_pytorch() {
    for exporter in ["torchscript", "dynamo"] {
        check_network("mobilenet_v2", exporter, &imagenet());
    }
}

#[test]
fn squeezenet1_1_from_both_exporters_matches_pytorch() {
    for exporter in ["torchscript", "dynamo"] {
        check_network("squeezenet1_1", exporter, &imagenet());
    }
}

#[test]
fn densenet121_from_both_exporters_matches_pytorch() {
    for exporter in ["torchscript", "dynamo"] {
        check_network("densenet121", exporter, &imagenet());
    }
}

#[test]
fn efficientnet_b0_from_both_exporters_matches_pytorch() {
    for exporter in ["torchscript", "dynamo"] {
        check_network("efficientnet_b0", exporter, &imagenet());
    }
}

#[test]
fn vgg_style_from_both_exporters_matches_pytorch() {
    for exporter in ["torchscript", "dynamo"] {
        check_network("vgg", exporter, &imagenet());
    }
}

/// The error of loading `path` with `given`.
fn refusal(path: &Path, given: &Preprocess) -> String {
    match onnx::load(path, given, None) {
        Ok(_) => panic!("{} loaded", path.display()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_models_are_refused_naming_the_file_and_the_node() {
    let p = Preprocess::default();
    let bad = |name: &str| fixture(&format!("bad/{name}.onnx"));
    for (name, wants) in [
        (
            "erf",
            &[
                "node \"gelu_part\"",
                "Erf",
                "not supported",
                "Conv, Pad, BatchNormalization",
            ][..],
        ),
        ("int8", &["QuantizeLinear", "quantized"]),
        ("f16", &["float16", "float32 image inputs"]),
        ("f16_weights", &["fc.weight", "float16", "float32"]),
        ("two_outputs", &["2 outputs", "scores, features"]),
        ("vector_input", &["2 dimensions", "(N, C, H, W)"]),
        ("opset9", &["opset 9", "11 to 23"]),
        ("dilated_pool", &["node \"pool\"", "MaxPool", "dilated"]),
    ] {
        let e = refusal(&bad(name), &p);
        assert!(e.contains(&format!("bad/{name}.onnx")), "{name}: {e}");
        for w in wants {
            assert!(e.contains(w), "{name}: {e} lacks {w:?}");
        }
    }
    // truncated and corrupt protobuf
    let dir = std::env::temp_dir().join(format!("fooling-onnx-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = std::fs::read(fixture("vgg.torchscript.onnx")).unwrap();
    let cut = dir.join("cut.onnx");
    std::fs::write(&cut, &good[..good.len() / 2]).unwrap();
    let e = refusal(&cut, &p);
    assert!(
        e.contains("cut.onnx") && e.contains("truncated or corrupt"),
        "{e}"
    );
    let noise = dir.join("noise.onnx");
    std::fs::write(
        &noise,
        (0..4096u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let e = refusal(&noise, &p);
    assert!(e.contains("noise.onnx"), "{e}");
    // an external data file that is missing, or that a model points outside its directory
    let graph = std::fs::read(fixture("vgg.dynamo.onnx")).unwrap();
    let lonely = dir.join("vgg.dynamo.onnx");
    std::fs::write(&lonely, &graph).unwrap();
    let e = refusal(&lonely, &p);
    assert!(
        e.contains("vgg.dynamo.onnx.data") && e.contains("external data"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    // preprocessing that does not fit the input's channels
    let vgg = fixture("vgg.torchscript.onnx");
    let two = Preprocess {
        mean: Some(vec![0.5, 0.5]),
        ..Preprocess::default()
    };
    let e = refusal(&vgg, &two);
    assert!(
        // the library names the setting by its key; the CLI phrases it as --mean
        e.starts_with("mean:") && e.contains("2 values") && e.contains("3 input channels"),
        "{e}"
    );
    let grey = Preprocess {
        channels: Some(ChannelOrder::Grey),
        ..Preprocess::default()
    };
    assert!(refusal(&vgg, &grey).starts_with("channels:"));
    let zero = Preprocess {
        std: Some(vec![0.0]),
        ..Preprocess::default()
    };
    assert!(refusal(&vgg, &zero).starts_with("std:"));
    // a fixed input size is kept: --input-size may only repeat it
    let size = Preprocess {
        input_size: Some([64, 64]),
        ..Preprocess::default()
    };
    assert!(refusal(&vgg, &size).starts_with("input_size:"));
}

#[test]
fn a_sidecar_gives_preprocessing_the_command_line_overrides() {
    let path = fixture("resnet18.torchscript.onnx");
    let m = onnx::load(&path, &Preprocess::default(), None).unwrap();
    assert_eq!(m.preprocess.mean, Some(vec![0.485, 0.456, 0.406]));
    assert_eq!(m.arch.pixels.order, ChannelOrder::Rgb);
    let bgr = Preprocess {
        channels: Some(ChannelOrder::Bgr),
        mean: Some(vec![0.5]),
        ..Preprocess::default()
    };
    let m = onnx::load(&path, &bgr, None).unwrap();
    assert_eq!(m.arch.pixels.order, ChannelOrder::Bgr);
    assert_eq!(m.preprocess.mean, Some(vec![0.5; 3]));
    assert_eq!(
        m.preprocess.std,
        Some(vec![0.229, 0.224, 0.225]),
        "the sidecar's std stays"
    );
    // a run's recorded preprocessing is used as it is, without the sidecar
    let m = onnx::load(
        &path,
        &Preprocess::default(),
        Some(Path::new("config.toml")),
    )
    .unwrap();
    assert_eq!(m.preprocess.mean, Some(vec![0.0; 3]));
    // the model's checksum covers its external data
    let a = onnx::load(
        &fixture("resnet18.dynamo.onnx"),
        &Preprocess::default(),
        None,
    )
    .unwrap();
    let mut expected = sha2_hex(&[
        &std::fs::read(fixture("resnet18.dynamo.onnx")).unwrap(),
        &std::fs::read(fixture("resnet18.dynamo.onnx.data")).unwrap(),
    ]);
    assert_eq!(a.sha256, expected);
    expected.clear();
}

fn sha2_hex(parts: &[&[u8]]) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for p in parts {
        h.update(p);
    }
    format!("{:x}", h.finalize())
}

/// `proto/onnx.rs` (the committed prost types) was generated from `proto/onnx.proto` as it is:
/// its second line records the schema's sha256, which `tools/onnx_proto` writes.
#[test]
fn the_generated_onnx_types_match_the_schema() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let schema = fooling::io::sha256_file(&root.join("proto/onnx.proto")).unwrap();
    let generated = std::fs::read_to_string(root.join("proto/onnx.rs")).unwrap();
    let recorded = generated
        .lines()
        .nth(1)
        .and_then(|l| l.strip_prefix("// proto/onnx.proto sha256 "))
        .expect("proto/onnx.rs: a second line recording the schema's sha256");
    assert_eq!(
        recorded, schema,
        "proto/onnx.proto changed: regenerate proto/onnx.rs with `cargo run --manifest-path tools/onnx_proto/Cargo.toml`"
    );
}
