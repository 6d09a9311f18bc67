//! Throughput of the MAP-Elites loop with the direct encoding on LeNet (mutate, render,
//! forward, select, copy on the device; the parents' indices up and the cells' confidences
//! down each generation), against the same generation done by the CPU twins in this run.
//!
//! `cargo bench --bench evolve` or `cargo bench --bench evolve -- --quick`.

use fooling::evo::{DirectConfig, DirectSearch};
use fooling::gpu::GpuOptions;
use fooling::kernels::Mutation;
use fooling::nn::{lenet, reference_forward, Network, Weights};
use fooling::reference as twin;
use std::time::Instant;

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let gpu = fooling::Gpu::new(&GpuOptions::default()).expect("a GPU adapter");
    let arch = lenet();
    let weights = Weights::random(&arch, 0).unwrap();
    println!("adapter: {}", fooling::gpu::describe(&gpu.info));
    println!("matrix kernels: {:?}\n", gpu.variant);

    // CPU twins: one generation of B = 200
    let (b, genes, classes) = (200usize, 784usize, 10usize);
    let parents_genes: Vec<f32> = (0..classes * genes)
        .map(|i| (i % 97) as f32 / 97.0)
        .collect();
    let parent: Vec<u32> = (0..b as u32).map(|i| i % classes as u32).collect();
    let start = Instant::now();
    let m = Mutation {
        seed: 1,
        generation: 1,
        rate: 0.1,
        eta: 15.0,
        cross_prob: 0.0,
        eta_c: 10.0,
    };
    let children = twin::poly_mutate(genes, &m, &parents_genes, &parent, &parent);
    let x = twin::render_grey((0.0, 1.0 / 256.0), &children);
    let (_, probs) = reference_forward(&arch, &weights, &x).unwrap();
    let (mut conf, mut archive) = (vec![-1.0; classes], parents_genes.clone());
    twin::elite_insert(
        b,
        classes,
        genes,
        &probs,
        &children,
        &mut conf,
        &mut archive,
    );
    let cpu_eps = b as f64 / start.elapsed().as_secs_f64();
    println!("CPU twins (f64 accumulation, one thread): {cpu_eps:.0} evaluations/s at B = {b}\n");

    println!("| MAP-Elites, direct, LeNet | B | generations | evaluations/s | generations/s | vs CPU twins |");
    println!("|---|---:|---:|---:|---:|---:|");
    let sizes: &[usize] = if quick { &[200] } else { &[200, 1000, 4000] };
    for &batch in sizes {
        let net = Network::new(&gpu, arch.clone(), &weights).unwrap();
        let mut s = DirectSearch::new(
            &gpu,
            net,
            DirectConfig {
                batch,
                ..DirectConfig::default()
            },
        )
        .unwrap();
        s.confidences().unwrap();
        let gens = if quick {
            5
        } else {
            (40_000 / batch).max(10) as u32
        };
        let start = Instant::now();
        for _ in 0..gens {
            s.step(1);
            s.confidences().unwrap(); // the per-generation readback a run does
        }
        let secs = start.elapsed().as_secs_f64();
        let eps = (gens as usize * batch) as f64 / secs;
        println!(
            "| stats every generation | {batch} | {gens} | {eps:.0} | {:.1} | {:.1}× |",
            gens as f64 / secs,
            eps / cpu_eps
        );
    }
}
