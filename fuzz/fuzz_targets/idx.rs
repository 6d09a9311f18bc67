//! IDX files (MNIST's format): an error or an array, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = fooling::data::Idx::parse(data, std::path::Path::new("fuzz.idx"));
});
