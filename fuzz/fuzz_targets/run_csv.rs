//! A run's CSV files (`champions.csv`, `stats.csv`, `cells.csv`, `ablate.csv`) as `merge`,
//! `transfer` and `report` read them: the same bytes in each, never a panic.
#![no_main]
#[path = "../common/mod.rs"]
mod common;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = common::scratch();
    for name in ["champions.csv", "stats.csv", "cells.csv", "ablate.csv"] {
        std::fs::write(dir.join(name), data).unwrap();
    }
    let _ = fooling::experiments::read_champions(&dir);
    let _ = fooling::report::runs::read_stats(&dir, u32::MAX);
    let _ = fooling::report::runs::read_cells(&dir, u32::MAX);
    let _ = fooling::experiments::ablate::read_ablate(&dir);
    let _ = fooling::report::runs::collect(std::slice::from_ref(&dir));
});
