//! Loading weights: every way a file can be wrong gives an error naming the file, the tensor,
//! and expected versus found.

use fooling::nn::{lenet, Weights};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fooling-weights-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// A LeNet weights file with `edit` applied to the (name -> (dtype, shape, bytes)) map.
fn write_edited(
    name: &str,
    edit: impl FnOnce(&mut HashMap<String, (safetensors::Dtype, Vec<usize>, Vec<u8>)>),
) -> PathBuf {
    let w = Weights::random(&lenet(), 1).unwrap();
    let mut map: HashMap<_, _> = w
        .tensors
        .iter()
        .map(|(k, t)| {
            (
                k.clone(),
                (
                    safetensors::Dtype::F32,
                    t.shape.clone(),
                    bytemuck::cast_slice(&t.data).to_vec(),
                ),
            )
        })
        .collect();
    edit(&mut map);
    let views: Vec<_> = map
        .iter()
        .map(|(k, (d, s, b))| {
            (
                k.clone(),
                safetensors::tensor::TensorView::new(*d, s.clone(), b).unwrap(),
            )
        })
        .collect();
    let path = tmp(name);
    std::fs::write(&path, safetensors::serialize(views, None).unwrap()).unwrap();
    path
}

fn load_err(path: &Path) -> String {
    Weights::load(path, &lenet()).unwrap_err().to_string()
}

#[test]
fn round_trip() {
    let w = Weights::random(&lenet(), 3).unwrap();
    let path = tmp("round.safetensors");
    w.save(&path).unwrap();
    assert_eq!(Weights::load(&path, &lenet()).unwrap(), w);
    // the atomic save leaves no temporary file behind
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn missing_tensor() {
    let p = write_edited("missing.safetensors", |m| {
        m.remove("conv2.bias");
    });
    let e = load_err(&p);
    assert!(
        e.contains("missing.safetensors")
            && e.contains("conv2.bias")
            && e.contains("no such tensor")
            && e.contains("[50]"),
        "{e}"
    );
}

#[test]
fn wrong_shape() {
    let p = write_edited("shape.safetensors", |m| {
        m.insert(
            "conv1.weight".into(),
            (
                safetensors::Dtype::F32,
                vec![20, 1, 3, 3],
                vec![0; 20 * 9 * 4],
            ),
        );
    });
    let e = load_err(&p);
    assert!(
        e.contains("shape.safetensors")
            && e.contains("conv1.weight")
            && e.contains("[20, 1, 5, 5]")
            && e.contains("[20, 1, 3, 3]"),
        "{e}"
    );
}

#[test]
fn wrong_dtype() {
    let p = write_edited("dtype.safetensors", |m| {
        m.insert(
            "ip2.bias".into(),
            (safetensors::Dtype::F64, vec![10], vec![0; 80]),
        );
    });
    let e = load_err(&p);
    assert!(
        e.contains("dtype.safetensors")
            && e.contains("ip2.bias")
            && e.contains("F32")
            && e.contains("F64"),
        "{e}"
    );
}

#[test]
fn extra_tensor() {
    let p = write_edited("extra.safetensors", |m| {
        m.insert(
            "ip3.weight".into(),
            (safetensors::Dtype::F32, vec![2], vec![0; 8]),
        );
    });
    let e = load_err(&p);
    assert!(
        e.contains("extra.safetensors") && e.contains("ip3.weight"),
        "{e}"
    );
}

#[test]
fn non_finite_value() {
    let p = write_edited("nan.safetensors", |m| {
        let t = m.get_mut("ip1.bias").unwrap();
        t.2[8..12].copy_from_slice(&f32::NAN.to_le_bytes());
    });
    let e = load_err(&p);
    assert!(
        e.contains("ip1.bias") && e.contains("finite") && e.contains("index 2"),
        "{e}"
    );
}

#[test]
fn truncated_and_corrupt_files() {
    let good = Weights::random(&lenet(), 2).unwrap().to_bytes();
    let p = tmp("truncated.safetensors");
    std::fs::write(&p, &good[..good.len() - 100]).unwrap();
    let e = load_err(&p);
    assert!(
        e.contains("truncated.safetensors") && e.contains("not a valid safetensors"),
        "{e}"
    );
    let p = tmp("corrupt.safetensors");
    let mut bad = good.clone();
    bad[8..16].copy_from_slice(b"garbage!");
    std::fs::write(&p, &bad).unwrap();
    let e = load_err(&p);
    assert!(
        e.contains("corrupt.safetensors") && e.contains("not a valid safetensors"),
        "{e}"
    );
    let e = load_err(Path::new("/nonexistent/w.safetensors"));
    assert!(e.contains("/nonexistent/w.safetensors"), "{e}");
}
