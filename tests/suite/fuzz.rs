//! Property tests of every loader of a file a user or a run gives: random bytes, and valid
//! files mutated (bytes flipped, inserted, removed, the file cut short), must give an error
//! or a valid value, never a panic. No device needed.

use fooling::evo::run::{Checkpoint, RunConfig};
use fooling::nn::{lenet, Weights};
use proptest::prelude::*;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fooling-fuzz-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// One edit of a file.
#[derive(Clone, Debug)]
enum Edit {
    Flip(usize, u8),
    Insert(usize, u8),
    Remove(usize),
    Cut(usize),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Flip(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<usize>().prop_map(Edit::Remove),
        any::<usize>().prop_map(Edit::Cut),
    ];
    proptest::collection::vec(edit, 1..6)
}

/// `bytes` with `edits` applied; positions wrap around the length, and edits near the start
/// (where headers are) are as likely as anywhere else.
fn mutate(bytes: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    for e in edits {
        let n = b.len().max(1);
        // half the edits land in the first 64 bytes
        let at = |i: usize| {
            if i.is_multiple_of(2) {
                (i / 2) % n.min(64)
            } else {
                (i / 2) % n
            }
        };
        match *e {
            Edit::Flip(i, v) if !b.is_empty() => {
                let i = at(i);
                b[i] ^= v.max(1)
            }
            Edit::Insert(i, v) => b.insert(at(i).min(b.len()), v),
            Edit::Remove(i) if !b.is_empty() => {
                b.remove(at(i));
            }
            Edit::Cut(i) => b.truncate(at(i)),
            _ => {}
        }
    }
    b
}

/// A small IDX image file: magic, dimensions, bytes.
fn idx_bytes() -> Vec<u8> {
    let mut b = vec![0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 3];
    b.extend(0..18u8);
    b
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn weights_never_panic(edits in edits(), random in proptest::collection::vec(any::<u8>(), 0..256)) {
        let arch = lenet();
        let valid = std::fs::read(root().join("tests/fixtures/lenet_random_seed0.weights.safetensors")).unwrap();
        let _ = Weights::from_bytes(&mutate(&valid, &edits), Path::new("mutated.safetensors"), &arch);
        let _ = Weights::from_bytes(&random, Path::new("random.safetensors"), &arch);
    }

    #[test]
    fn idx_never_panics(edits in edits(), random in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = fooling::data::Idx::parse(&mutate(&idx_bytes(), &edits), Path::new("mutated.idx"));
        let _ = fooling::data::Idx::parse(&random, Path::new("random.idx"));
    }

    #[test]
    fn caffemodels_never_panic(random in proptest::collection::vec(any::<u8>(), 0..512)) {
        let dir = scratch("caffemodel");
        let path = dir.join("random.caffemodel");
        std::fs::write(&path, &random).unwrap();
        let _ = fooling::nn::caffemodel::load(&path, &lenet());
    }

    #[test]
    fn pngs_never_panic(edits in edits()) {
        let valid = std::fs::read(root().join("data/digits/digit7.png")).unwrap();
        let dir = scratch("png");
        let path = dir.join("mutated.png");
        std::fs::write(&path, mutate(&valid, &edits)).unwrap();
        let _ = fooling::imaging::load::load_grey(&path, 28, 28, false);
        let _ = fooling::imaging::load::load_input(&lenet(), &path, true, None);
    }

    #[test]
    fn checkpoints_never_panic_and_changes_are_refused(edits in edits()) {
        let dir = scratch("checkpoint");
        let (classes, genes) = (3, 4);
        let cp = Checkpoint {
            generation: 5,
            evaluations: 60,
            seconds: 1.5,
            archive: (0..classes * genes).map(|i| i as f32 / 12.0).collect(),
            conf: vec![0.5, 0.25, 0.75],
        };
        cp.save(&dir, classes, genes, "seal").unwrap();
        let path = fooling::evo::run::checkpoint_path(&dir);
        let valid = std::fs::read(&path).unwrap();
        let bytes = mutate(&valid, &edits);
        std::fs::write(&path, &bytes).unwrap();
        match Checkpoint::load(&dir, classes, genes, "seal", 10) {
            // what loads is what was saved, or an edit that left the contents alone
            Ok(back) => prop_assert_eq!(back, cp),
            Err(e) => prop_assert!(e.to_string().contains("state.safetensors"), "{}", e),
        }
    }

    #[test]
    fn run_files_never_panic(edits in edits()) {
        let dir = scratch("run-files");
        let config = RunConfig::new(&fooling::evo::run::EvolveSettings::new(
            "lenet",
            fooling::evo::Encoding::Direct,
        ))
        .unwrap();
        let text = toml::to_string(&config).unwrap();
        std::fs::write(dir.join("config.toml"), mutate(text.as_bytes(), &edits)).unwrap();
        if let Ok(c) = RunConfig::load(&dir) {
            let _ = c.check();
            let _ = c.seal();
        }
        let champions = "class,label,confidence,image\n0,0,0.5,archive/0000_0.png\n1,1,0.99,archive/0001_1.png\n";
        std::fs::write(dir.join("champions.csv"), mutate(champions.as_bytes(), &edits)).unwrap();
        let _ = fooling::rundir::champions::read(&dir);
        let stats = format!("{}\n0,200,0.5,0.5,0.1,0.9,0,0,1.0\n1,400,0.6,0.6,0.2,0.95,0,0,2.0\n", fooling::evo::run::STATS_HEADER);
        std::fs::write(dir.join("stats.csv"), mutate(stats.as_bytes(), &edits)).unwrap();
        let _ = fooling::report::runs::read_stats(&dir, 1000);
        let cells = "generation,0,1\n0,0.1,0.2\n1,0.3,0.4\n";
        std::fs::write(dir.join("cells.csv"), mutate(cells.as_bytes(), &edits)).unwrap();
        let _ = fooling::report::runs::read_cells(&dir, 1000);
        let ablate = format!(
            "{}\n1,1,0.99,archive/0001_1.png,0.98,4,2,0.5,0.01,8,10,archive/0001_1.occlusion.png,3,0,8,0.9,0.8,0.7,a/1.one_removed.png,a/1.half_removed.png,a/1.all_but_one.png\n0,0,0.5,archive/0000_0.png,0.5,4,2,0.25,0.01,0,0,archive/0000_0.occlusion.png,0,,,,,,,,\n",
            fooling::experiments::ablate::ABLATE_HEADER
        );
        std::fs::write(dir.join("ablate.csv"), mutate(ablate.as_bytes(), &edits)).unwrap();
        let _ = fooling::experiments::ablate::read_ablate(&dir);
        let state = r#"{"network":1,"accuracy":0.9,"trained_with":0,"runs_done":0,"run_confs":[],"images":0,"rows":[]}"#;
        std::fs::write(dir.join("state.json"), mutate(state.as_bytes(), &edits)).unwrap();
        let _ = fooling::experiments::retrain::RetrainState::load(&dir);
        let _ = fooling::report::runs::collect(std::slice::from_ref(&dir));
    }

    #[test]
    fn onnx_models_never_panic(edits in edits(), random in proptest::collection::vec(any::<u8>(), 0..512)) {
        // real models mutated (the VGG-style fixture, weights in its external data file; the
        // shipped LeNet-5, weights inline), and random bytes: an error or a model, never a
        // panic
        use fooling::nn::{onnx, preprocess::Preprocess};
        let p = Preprocess::default();
        for file in ["tests/fixtures/onnx/vgg.dynamo.onnx", "weights/lenet5_mnist_torch.onnx"] {
            let path = root().join(file);
            let good = std::fs::read(&path).unwrap();
            if let Ok(m) = onnx::from_bytes(&path, &mutate(&good, &edits), &p, None) {
                // anything it accepts is a network whose weights fit it
                prop_assert!(m.weights.check(&path, &m.arch).is_ok());
            }
            let _ = onnx::from_bytes(&path, &random, &p, None);
        }
    }
}
