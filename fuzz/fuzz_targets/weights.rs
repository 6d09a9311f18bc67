//! safetensors weights, checked against LeNet's tensors: an error or weights, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let arch = fooling::nn::lenet();
    let _ = fooling::nn::Weights::from_bytes(data, std::path::Path::new("fuzz.safetensors"), &arch);
});
