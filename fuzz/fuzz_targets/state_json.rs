//! A retraining study's `state.json`: an error or a state, never a panic.
#![no_main]
#[path = "../common/mod.rs"]
mod common;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = common::scratch();
    std::fs::write(dir.join("state.json"), data).unwrap();
    let _ = fooling::experiments::retrain::RetrainState::load(&dir);
});
