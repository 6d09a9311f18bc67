//! PNG images as `classify`, `transfer` and `merge` read them: never a panic.
#![no_main]
#[path = "../common/mod.rs"]
mod common;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = common::file("fuzz.png", data);
    let _ = fooling::imaging::load::load_grey(&path, 28, 28, false);
    let _ = fooling::imaging::load::load_grey(&path, 28, 28, true);
    let _ = fooling::imaging::load::load_input(&fooling::nn::lenet(), &path, true, None);
});
