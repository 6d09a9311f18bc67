//! IDX files and datasets: round trips, the shipped digits, and every way a file can be bad.

use fooling::data::{load_dir, Dataset, Idx};
use std::path::{Path, PathBuf};

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fooling-data-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn err(bytes: &[u8]) -> String {
    let p = tmp("bad-idx");
    std::fs::write(&p, bytes).unwrap();
    Idx::read(&p).unwrap_err().to_string()
}

#[test]
fn round_trips_raw_and_gzip() {
    let idx = Idx {
        dims: vec![3, 2, 4],
        data: (0..24).collect(),
    };
    for name in ["a-idx3-ubyte", "a-idx3-ubyte.gz"] {
        let p = tmp(name);
        idx.write(&p).unwrap();
        assert_eq!(Idx::read(&p).unwrap(), idx, "{name}");
    }
    assert_ne!(
        std::fs::read(tmp("a-idx3-ubyte.gz")).unwrap()[..2],
        [0, 0],
        "compressed"
    );
}

#[test]
fn bad_files_are_named_and_explained() {
    let good = Idx {
        dims: vec![2, 3],
        data: vec![1; 6],
    }
    .to_bytes();
    let e = err(&[1, 2]);
    assert!(e.contains("bad-idx") && e.contains("truncated"), "{e}");
    let e = err(&[0x50, 0x4b, 3, 4, 0, 0, 0, 0]);
    assert!(e.contains("not an IDX file") && e.contains("504b"), "{e}");
    let e = err(&[0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0]);
    assert!(e.contains("0x0d") && e.contains("unsigned bytes"), "{e}");
    let e = err(&good[..7]);
    assert!(e.contains("truncated") && e.contains("header"), "{e}");
    let e = err(&good[..good.len() - 1]);
    assert!(
        e.contains("truncated") && e.contains("[2, 3]") && e.contains("need 6"),
        "{e}"
    );
    let mut long = good.clone();
    long.push(9);
    assert!(err(&long).contains("1 bytes after"));
    let e = err(&[0x1f, 0x8b, 8, 0, 1, 2, 3]);
    assert!(e.contains("gzip"), "{e}");
}

#[test]
fn labels_must_match_images() {
    let (im, lb) = (tmp("m-images"), tmp("m-labels"));
    Idx {
        dims: vec![3, 2, 2],
        data: vec![0; 12],
    }
    .write(&im)
    .unwrap();
    Idx {
        dims: vec![4],
        data: vec![0; 4],
    }
    .write(&lb)
    .unwrap();
    let e = Dataset::from_idx(&im, &lb).unwrap_err().to_string();
    assert!(e.contains("4 labels for the 3 images"), "{e}");
    Idx {
        dims: vec![3, 4],
        data: vec![0; 12],
    }
    .write(&im)
    .unwrap();
    let e = Dataset::from_idx(&im, &lb).unwrap_err().to_string();
    assert!(e.contains("3 dimensions"), "{e}");
    let e = load_dir(&tmp("nowhere")).unwrap_err().to_string();
    assert!(e.contains("train-images-idx3-ubyte"), "{e}");
}

#[test]
fn shipped_mnist_10k_is_as_documented() {
    let (train, held) =
        load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist-10k")).unwrap();
    assert_eq!((train.len(), held.len()), (8000, 2000));
    assert_eq!(
        (train.height, train.width, train.num_classes()),
        (28, 28, 10)
    );
    let per_class: Vec<usize> = (0..10)
        .map(|d| held.labels.iter().filter(|&&l| l == d).count())
        .collect();
    assert_eq!(
        per_class,
        [200, 225, 198, 206, 196, 173, 203, 214, 189, 196]
    );
    // the first held-out digit of each class is the shipped PNG
    for d in 0..10u8 {
        let i = held.labels.iter().position(|&l| l == d).unwrap();
        let png = fooling::imaging::load::load_grey(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("data/digits/digit{d}.png")),
            28,
            28,
            false,
        )
        .unwrap();
        assert_eq!(held.image(i), &png[..]);
    }
}
