//! CPPN genomes: the operators of docs/paper.md §4 keep every genome acyclic and within
//! capacity over thousands of random mutations; activations are protected.

use crate::common::for_each_seed;
use fooling::evo::cppn::{Act, Capacity, Cppn, CppnMutation, Edge, INPUTS};
use rand::Rng;

#[test]
fn initial_genomes_connect_every_input_to_every_output() {
    for_each_seed(
        "initial_genomes_connect_every_input_to_every_output",
        &[],
        |r| {
            for outputs in [1, 3] {
                let c = Cppn::random(outputs, r);
                assert_eq!(
                    (c.nodes(), c.edges.len()),
                    (INPUTS + outputs, INPUTS * outputs)
                );
                assert!(c.is_valid(Capacity::default()));
                assert!(c.edges.iter().all(|e| (-10.0..10.0).contains(&e.weight())));
            }
        },
    );
}

#[test]
fn thousands_of_mutations_keep_genomes_acyclic_and_within_capacity() {
    for_each_seed(
        "thousands_of_mutations_keep_genomes_acyclic_and_within_capacity",
        &[],
        |r| {
            let cap = Capacity {
                nodes: 24,
                edges: 60,
            };
            let m = CppnMutation::default();
            let (mut max_hidden, mut saw_shrink) = (0, false);
            for outputs in [1, 3] {
                let mut pop: Vec<Cppn> = (0..50).map(|_| Cppn::random(outputs, r)).collect();
                for _ in 0..200 {
                    for c in &mut pop {
                        let before = c.nodes();
                        c.mutate(&m, cap, r);
                        assert!(c.is_valid(cap), "invalid genome after mutation: {c:?}");
                        saw_shrink |= c.nodes() < before;
                        max_hidden = max_hidden.max(c.nodes() - INPUTS - outputs);
                    }
                    // the parent of the next generation: a random member, as MAP-Elites draws them
                    let i = r.gen_range(0..pop.len());
                    let parent = pop[i].clone();
                    pop[0] = parent;
                }
            }
            assert!(max_hidden >= 10, "hidden nodes grow (max {max_hidden})");
            assert!(saw_shrink, "delete node happens");
        },
    );
}

#[test]
fn add_node_splits_an_edge_keeping_its_weight() {
    for_each_seed("add_node_splits_an_edge_keeping_its_weight", &[], |r| {
        let only_add_node = CppnMutation {
            weight: 0.0,
            activation: 0.0,
            add_edge: 0.0,
            delete_edge: 0.0,
            add_node: 1.0,
            delete_node: 0.0,
            eta: 15.0,
        };
        let mut c = Cppn::random(1, r);
        let before = c.edges.clone();
        c.mutate(&only_add_node, Capacity::default(), r);
        let n = INPUTS + 1; // the new hidden node
        assert_eq!(c.nodes(), n + 1);
        let into: Vec<&Edge> = c.edges.iter().filter(|e| e.to == n).collect();
        let out: Vec<&Edge> = c.edges.iter().filter(|e| e.from == n).collect();
        assert_eq!((into.len(), out.len()), (1, 1));
        let split = before
            .iter()
            .find(|e| e.from == into[0].from && e.to == out[0].to)
            .expect("the split edge");
        assert_eq!((into[0].g, out[0].g), (split.g, split.g));
        assert!(
            !c.edges
                .iter()
                .any(|e| e.from == split.from && e.to == split.to),
            "the old edge is gone"
        );
    });
}

#[test]
fn activations_are_protected_and_follow_their_formulas() {
    for act in Act::ALL {
        for p in [
            -1e30f32, -1e6, -40.0, -3.5, -1.0, 0.0, 0.3, 2.0, 50.0, 1e6, 1e30,
        ] {
            let v = act.apply(p);
            assert!(
                v.is_finite() && (-1.0..=1.0).contains(&v),
                "{act:?}({p}) = {v}"
            );
        }
    }
    assert!((Act::Sine.apply(1.0) - 1f32.sin()).abs() < 1e-6);
    assert!((Act::Sine.apply(1.0 + 2.0 * std::f32::consts::PI) - 1f32.sin()).abs() < 1e-5);
    assert!((Act::Sigmoid.apply(1.3) - (2.0 / (1.0 + (-1.3f32).exp()) - 1.0)).abs() < 1e-6);
    assert!((Act::Gaussian.apply(0.7) - (-0.49f32).exp()).abs() < 1e-6);
    assert_eq!(
        (Act::Linear.apply(1.5), Act::Linear.apply(-7.0)),
        (0.5, -1.0)
    );
}

#[test]
fn evaluation_follows_the_graph() {
    // out = gaussian(w_a * hidden + w_b * bias), hidden = sine(w_c * d)
    let g = |w: f32| (w + 10.0) / 20.0;
    let c = Cppn {
        outputs: 1,
        acts: vec![Act::Gaussian, Act::Sine],
        edges: vec![
            Edge {
                from: INPUTS + 1,
                to: INPUTS,
                g: g(0.5),
            },
            Edge {
                from: 3,
                to: INPUTS,
                g: g(-0.25),
            },
            Edge {
                from: 2,
                to: INPUTS + 1,
                g: g(2.0),
            },
        ],
    };
    assert!(c.is_valid(Capacity::default()));
    let inputs = Cppn::inputs(27, 0, 28, 28);
    assert_eq!(inputs, [27.0, 0.0, 2f32.sqrt(), 1.0]);
    let hidden = (2.0 * inputs[2]).sin();
    let want = (-(0.5 * hidden - 0.25f32).powi(2)).exp();
    assert!((c.eval(inputs)[0] - want).abs() < 1e-6);
    // a node with no inputs outputs act(0)
    let lonely = Cppn {
        outputs: 1,
        acts: vec![Act::Gaussian],
        edges: vec![],
    };
    assert_eq!(lonely.eval(inputs), vec![1.0]);
    assert_eq!(lonely.render_grey(4, 4), vec![255; 16]);
}

#[test]
fn render_cppn_matches_the_cpu_evaluation() {
    use fooling::gpu::GpuBuffer;
    let gpu = crate::common::gpu();
    for_each_seed("render_cppn_matches_the_cpu_evaluation", &[], |r| {
        let cap = Capacity::default();
        let m = CppnMutation::default();
        for outputs in [1, 3] {
            // a population grown by a few hundred mutations, so hidden nodes and odd graphs occur
            let mut pop: Vec<Cppn> = (0..12).map(|_| Cppn::random(outputs, r)).collect();
            for c in &mut pop {
                for _ in 0..r.gen_range(0..120) {
                    c.mutate(&m, cap, r);
                }
            }
            let (w, h) = (28, 23);
            let programs: Vec<u32> = pop.iter().flat_map(|c| c.compile(cap)).collect();
            let pb = GpuBuffer::from_slice(gpu, "programs", &programs).unwrap();
            let gb = GpuBuffer::<f32>::zeros(gpu, "genes", pop.len() * outputs * w * h).unwrap();
            gb.fill(gpu, f32::NAN);
            let d =
                fooling::kernels::render_cppn(gpu, cap, outputs, (w, h), pb.view(), 0, gb.view())
                    .unwrap();
            gpu.run(&[&d]).unwrap();
            let got = gb.read(gpu).unwrap();
            let want: Vec<f32> = pop.iter().flat_map(|c| c.render_genes(w, h)).collect();
            // the same bytes, but for a few pixels whose |out| · 255 lies within f32 rounding of an
            // integer: the device's sin/tanh/exp and fused multiply-adds differ from Rust's by a
            // few ULPs, and weights up to ±10 on coordinates up to 27 amplify that through deep graphs
            let bytes = |v: &[f32]| {
                v.iter()
                    .map(|&g| (g * 255.0).floor() as i32)
                    .collect::<Vec<_>>()
            };
            let (gb_, wb) = (bytes(&got), bytes(&want));
            let off: Vec<usize> = (0..gb_.len()).filter(|&i| gb_[i] != wb[i]).collect();
            assert!(
                off.iter().all(|&i| (gb_[i] - wb[i]).abs() <= 1),
                "a byte off by more than 1"
            );
            assert!(
                off.len() * 100 <= got.len(),
                "{} of {} bytes differ",
                off.len(),
                got.len()
            );
            assert!(got.iter().all(|g| g.is_finite()));
            let hidden: usize = pop.iter().map(|c| c.nodes() - INPUTS - outputs).sum();
            eprintln!(
                "{outputs} outputs: {hidden} hidden nodes in the population, {} of {} bytes off by one",
                off.len(),
                got.len()
            );
        }
    });
}
