//! Where a network's forward pass spends its time: each layer's dispatches timed alone (the
//! first chunk of a batch), the slowest layers and the totals per kind of layer; with
//! `BACKWARD=1`, the input gradient's backward pass (what gradient ascent adds to a forward
//! pass) by kernel.
//!
//! `cargo run --release --example profile_network -- NET [BATCH]`, NET a built-in network
//! (with its shipped weights) or an ONNX model; BATCH default 20.
use fooling::gpu::GpuOptions;
use fooling::nn::{self, Network};
use std::collections::BTreeMap;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let net = args.get(1).map(String::as_str).unwrap_or("lenet");
    let batch: usize = args.get(2).and_then(|b| b.parse().ok()).unwrap_or(20);
    let gpu = fooling::Gpu::new(&GpuOptions::default()).unwrap();
    println!(
        "{} ({:?} kernels)",
        fooling::gpu::describe(&gpu.info),
        gpu.variant
    );
    let loaded = nn::load(net, None, &Default::default()).unwrap();
    let arch = loaded.arch.clone();
    let network = Network::new(&gpu, arch.clone(), &loaded.weights).unwrap();
    let plan = network.forward_plan(&gpu, batch).unwrap();
    plan.run(&gpu, &vec![0.1; batch * arch.input_len()])
        .unwrap();
    let time = |i: usize| {
        let ds: Vec<_> = plan.layer_dispatches(i).iter().collect();
        gpu.run(&ds).unwrap();
        let reps = 3;
        let t = Instant::now();
        for _ in 0..reps {
            gpu.run(&ds).unwrap();
        }
        t.elapsed().as_secs_f64() / reps as f64
    };
    let shapes = arch.shapes().unwrap();
    let mut rows: Vec<(f64, usize)> = (0..arch.nodes.len()).map(|i| (time(i), i)).collect();
    let total: f64 = rows.iter().map(|r| r.0).sum();
    let mut kinds: BTreeMap<&str, (f64, usize)> = BTreeMap::new();
    for &(t, i) in &rows {
        let e = kinds.entry(arch.nodes[i].layer.kind()).or_default();
        e.0 += t;
        e.1 += 1;
    }
    rows.sort_by(|a, b| b.0.total_cmp(&a.0));
    println!(
        "{net}: {} nodes, batch {batch} (first chunk of {}), {:.1} ms in all, {:.1} images/s",
        arch.nodes.len(),
        plan.chunk,
        total * 1e3,
        plan.chunk as f64 / total
    );
    println!("\n| kind | nodes | ms | share |\n|---|---:|---:|---:|");
    let mut by_time: Vec<_> = kinds.into_iter().collect();
    by_time.sort_by(|a, b| b.1 .0.total_cmp(&a.1 .0));
    for (kind, (t, n)) in by_time {
        println!(
            "| {kind} | {n} | {:.2} | {:.0}% |",
            t * 1e3,
            100.0 * t / total
        );
    }
    println!("\n| node | layer | output (c, h, w) | ms |\n|---:|---|---|---:|");
    let shown: usize = std::env::var("ROWS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(15);
    for &(t, i) in rows.iter().take(shown) {
        println!(
            "| {i} | {:?} | {:?} | {:.2} |",
            arch.nodes[i].layer,
            shapes[i],
            t * 1e3
        );
    }
    if std::env::var("BACKWARD").is_ok() {
        backward(&gpu, &network, batch);
    }
}

/// The input gradient's backward pass, each dispatch timed alone, summed by kernel.
fn backward(gpu: &fooling::Gpu, network: &Network, batch: usize) {
    let grad = network.input_gradient_plan(gpu, batch).unwrap();
    let n = batch * network.arch.input_len();
    let targets: Vec<u32> = (0..batch as u32).collect();
    grad.run(gpu, &vec![0.1; n], &targets).unwrap();
    let mut kernels: BTreeMap<&str, (f64, usize)> = BTreeMap::new();
    for d in grad.backward_dispatches() {
        gpu.run(&[d]).unwrap();
        let t = Instant::now();
        gpu.run(&[d]).unwrap();
        let e = kernels.entry(d.label).or_default();
        e.0 += t.elapsed().as_secs_f64();
        e.1 += 1;
    }
    let total: f64 = kernels.values().map(|k| k.0).sum();
    println!("\nbackward to the input, batch {batch}: {:.1} ms\n\n| kernel | dispatches | ms | share |\n|---|---:|---:|---:|", total * 1e3);
    let mut by_time: Vec<_> = kernels.into_iter().collect();
    by_time.sort_by(|a, b| b.1 .0.total_cmp(&a.1 .0));
    for (k, (t, c)) in by_time {
        println!("| {k} | {c} | {:.2} | {:.0}% |", t * 1e3, 100.0 * t / total);
    }
}
