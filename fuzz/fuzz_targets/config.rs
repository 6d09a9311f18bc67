//! A run's `config.toml`, loaded, checked and sealed as `--resume` does: never a panic.
#![no_main]
#[path = "../common/mod.rs"]
mod common;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = common::scratch();
    std::fs::write(dir.join("config.toml"), data).unwrap();
    if let Ok(c) = fooling::evo::run::RunConfig::load(&dir) {
        let _ = c.check();
        let _ = c.seal();
    }
    let _ = fooling::experiments::retrain::RetrainConfig::load(&dir);
});
