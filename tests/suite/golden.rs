//! The host's random streams pinned to golden values: a dependency upgrade that changes what
//! a seed draws (and with it every CPPN run, every random initialisation, and the resumption
//! of runs made before it) fails here rather than silently.

use crate::common::gpu;
use fooling::evo::{CppnConfig, CppnSearch};
use fooling::nn::{lenet, Network, Weights};
use rand::RngCore;

/// sha256 of `bytes`, hex.
fn sha(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(bytes))
}

#[test]
fn the_host_stream_is_chacha12_as_pinned() {
    let mut r = fooling::host_rng::host_rng(0);
    let first: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
    assert_eq!(first, GOLDEN_STREAM, "host_rng(0)'s first draws changed");
}

#[test]
fn the_first_weights_of_a_training_are_pinned() {
    let w = Weights::random(&lenet(), 1).unwrap();
    let conv1 = w.get("conv1.weight");
    assert_eq!(
        &conv1[..3],
        &GOLDEN_CONV1,
        "Weights::random(lenet, 1) changed"
    );
    let all: Vec<u8> = ["conv1.weight", "conv2.weight", "ip1.weight", "ip2.weight"]
        .iter()
        .flat_map(|k| w.get(k).iter().flat_map(|v| v.to_le_bytes()))
        .collect();
    assert_eq!(sha(&all), GOLDEN_WEIGHTS_SHA256);
}

#[test]
fn the_first_genomes_of_a_cppn_run_are_pinned() {
    let gpu = gpu();
    let w = Weights::random(&lenet(), 1).unwrap();
    let net = Network::new(gpu, lenet(), &w).unwrap();
    let config = CppnConfig {
        batch: 4,
        seed: 7,
        ..Default::default()
    };
    let s = CppnSearch::new(gpu, net, config).unwrap();
    let json = serde_json::to_string(&s.archive).unwrap();
    assert_eq!(
        sha(json.as_bytes()),
        GOLDEN_CPPN_SHA256,
        "the initial CPPNs of seed 7 changed: {}",
        &json[..json.len().min(300)]
    );
}

const GOLDEN_STREAM: [u64; 3] = [
    13486662071293341567,
    14267822071968393595,
    476749353381333526,
];
const GOLDEN_CONV1: [f32; 3] = [0.22513378, 0.32856637, 0.20582277];
const GOLDEN_WEIGHTS_SHA256: &str =
    "bf6ab0523475611e8fea2d7df697bd6afa9f84e685d99c5d0de59bf5d08e5ea0";
const GOLDEN_CPPN_SHA256: &str = "3157d687afd6710325de53f8e6977fda965789159da70908f3b08fc32a0b2b00";
