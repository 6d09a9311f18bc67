//! A run's checkpoint (`checkpoint/state.safetensors`): an error, or exactly what a sealed
//! checkpoint of the same shape holds, never a panic.
#![no_main]
#[path = "../common/mod.rs"]
mod common;
use fooling::evo::run::{checkpoint_path, Checkpoint};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = common::scratch();
    let path = checkpoint_path(&dir);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, data).unwrap();
    if let Ok(cp) = Checkpoint::load(&dir, 3, 4, "seal", 10) {
        // anything accepted must be a checkpoint a run could have written
        assert!(cp.generation <= 10);
        assert!(cp.conf.iter().all(|c| (0.0..=1.0).contains(c)));
        assert!(cp.archive.iter().all(|g| (0.0..=1.0).contains(g)));
    }
});
