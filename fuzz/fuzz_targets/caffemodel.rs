//! Caffe's binary protobuf weights, parsed and checked against LeNet: never a panic.
#![no_main]
#[path = "../common/mod.rs"]
mod common;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = fooling::nn::caffemodel::parse(data);
    let path = common::file("fuzz.caffemodel", data);
    let _ = fooling::nn::caffemodel::load(&path, &fooling::nn::lenet());
});
