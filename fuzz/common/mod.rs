//! What the targets share: a scratch directory for the loaders that read a path.

use std::path::PathBuf;

/// A directory of this process's own, made once, for files the loaders read.
pub fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fooling-cargo-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

/// Writes `bytes` to `name` in the scratch directory and returns its path.
#[allow(dead_code)] // not every target reads a path
pub fn file(name: &str, bytes: &[u8]) -> PathBuf {
    let path = scratch().join(name);
    std::fs::write(&path, bytes).expect("a scratch file");
    path
}
