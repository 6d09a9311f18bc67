//! ONNX models as `--net FILE.onnx` reads them (protobuf, initializers, constant folding,
//! the graph's translation): an error or a network whose weights fit it, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = std::path::Path::new("fuzz.onnx");
    let p = fooling::nn::preprocess::Preprocess::default();
    if let Ok(m) = fooling::nn::onnx::from_bytes(path, data, &p, None) {
        assert!(m.weights.check(path, &m.arch).is_ok());
    }
});
