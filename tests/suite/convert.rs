//! `.caffemodel` conversion without Caffe: synthetic files in Caffe's three layer formats
//! (current `layer`, V1 `layers` with 4-D legacy blob shapes, V0 inside V1 with unpacked
//! floats), written by a small protobuf encoder here, convert to exactly the weights they
//! were made from; bad files give errors naming the layer.

use fooling::nn::{caffemodel, caffenet_narrow, lenet, Arch, Weights};
use std::path::{Path, PathBuf};
use std::process::Command;

fn varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn field_bytes(out: &mut Vec<u8>, field: u64, bytes: &[u8]) {
    varint(out, field << 3 | 2);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn field_varint(out: &mut Vec<u8>, field: u64, v: u64) {
    varint(out, field << 3);
    varint(out, v);
}

#[derive(Clone, Copy, PartialEq)]
enum Format {
    Current,
    V1,
    V0,
}

/// A BlobProto of `data` with `shape` in the format's way.
fn blob(format: Format, shape: &[usize], data: &[f32]) -> Vec<u8> {
    let mut b = Vec::new();
    match format {
        Format::Current => {
            let mut dims = Vec::new();
            for &d in shape {
                varint(&mut dims, d as u64);
            }
            let mut s = Vec::new();
            field_bytes(&mut s, 1, &dims); // packed int64 dims
            field_bytes(&mut b, 7, &s);
        }
        Format::V1 | Format::V0 => {
            // num, channels, height, width: fully-connected (out, in) as (1, 1, out, in)
            let mut four = vec![1usize; 4 - shape.len()];
            four.extend_from_slice(shape);
            for (k, &d) in four.iter().enumerate() {
                field_varint(&mut b, k as u64 + 1, d as u64);
            }
        }
    }
    if format == Format::V0 {
        for &v in data {
            varint(&mut b, 5 << 3 | 5); // unpacked fixed32
            b.extend_from_slice(&v.to_le_bytes());
        }
    } else {
        let bytes: Vec<u8> = data.iter().flat_map(|v| v.to_le_bytes()).collect();
        field_bytes(&mut b, 5, &bytes);
    }
    b
}

/// A NetParameter holding `weights` for `arch`'s layers, plus blob-less layers around them.
fn caffemodel(format: Format, arch: &Arch, weights: &Weights) -> Vec<u8> {
    let mut net = Vec::new();
    field_bytes(&mut net, 1, b"net");
    let mut layer = |name: &str, blobs: &[Vec<u8>]| {
        let mut l = Vec::new();
        match format {
            Format::Current => {
                field_bytes(&mut l, 1, name.as_bytes());
                field_bytes(&mut l, 2, b"Convolution");
                for b in blobs {
                    field_bytes(&mut l, 7, b);
                }
                field_bytes(&mut net, 100, &l);
            }
            Format::V1 => {
                field_bytes(&mut l, 4, name.as_bytes());
                field_varint(&mut l, 5, 4);
                for b in blobs {
                    field_bytes(&mut l, 6, b);
                }
                field_bytes(&mut net, 2, &l);
            }
            Format::V0 => {
                let mut v0 = Vec::new();
                field_bytes(&mut v0, 1, name.as_bytes());
                field_bytes(&mut v0, 2, b"conv");
                for b in blobs {
                    field_bytes(&mut v0, 50, b);
                }
                field_bytes(&mut l, 1, &v0);
                field_bytes(&mut net, 2, &l);
            }
        }
    };
    layer("data", &[]);
    let specs = arch.params().unwrap();
    for pair in specs.chunks(2) {
        let name = pair[0].name.rsplit_once('.').unwrap().0;
        let blobs: Vec<Vec<u8>> = pair
            .iter()
            .map(|s| blob(format, &s.shape, weights.get(&s.name)))
            .collect();
        layer(name, &blobs);
        layer(&format!("relu_after_{name}"), &[]);
    }
    net
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("fooling-convert-{}-{name}", std::process::id()))
}

#[test]
fn every_caffe_layer_format_converts_exactly() {
    let arch = caffenet_narrow(8);
    let weights = Weights::hashed(&arch, 3).unwrap();
    for (format, tag) in [
        (Format::Current, "current"),
        (Format::V1, "v1"),
        (Format::V0, "v0"),
    ] {
        let path = temp(&format!("{tag}.caffemodel"));
        std::fs::write(&path, caffemodel(format, &arch, &weights)).unwrap();
        let got = caffemodel::load(&path, &arch).unwrap();
        assert!(got == weights, "{tag}: the converted weights differ");
        let _ = std::fs::remove_file(&path);
    }
}

#[test]
fn bad_caffemodels_name_what_is_wrong() {
    let arch = lenet();
    let weights = Weights::hashed(&arch, 1).unwrap();
    let good = caffemodel(Format::Current, &arch, &weights);
    let path = temp("bad.caffemodel");
    // truncated
    std::fs::write(&path, &good[..good.len() - 7]).unwrap();
    let e = caffemodel::load(&path, &arch).unwrap_err().to_string();
    assert!(e.contains("not a readable caffemodel"), "{e}");
    // a layer missing: a LeNet whose last layer is called ip3
    std::fs::write(&path, &good).unwrap();
    let mut renamed = lenet();
    if let Some(fooling::nn::Layer::Linear(fooling::nn::Linear { name, .. })) =
        renamed.nodes.last_mut().map(|n| &mut n.layer)
    {
        *name = "ip3".into();
    }
    let e = caffemodel::load(&path, &renamed).unwrap_err().to_string();
    assert!(e.contains("no layer 'ip3'") && e.contains("ip2"), "{e}");
    // a blob of the wrong size: LeNet with 11 classes wants 11 rows of ip2
    let wide = lenet().with_classes(11, "fooling").unwrap();
    let e = caffemodel::load(&path, &wide).unwrap_err().to_string();
    assert!(e.contains("layer 'ip2'") && e.contains("5500"), "{e}");
    let _ = std::fs::remove_file(&path);
}

/// `fooling convert --net lenet`, then `fooling classify` with the converted weights gives
/// what the source weights give.
#[test]
fn convert_command_writes_weights_classify_uses() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let arch = lenet();
    let source = root.join("weights/lenet_mnist.safetensors");
    let weights = Weights::load(&source, &arch).unwrap();
    let model = temp("lenet.caffemodel");
    let out = temp("lenet.safetensors");
    std::fs::write(&model, caffemodel(Format::V1, &arch, &weights)).unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_fooling"))
            .args(args)
            .current_dir(root)
            .env("XDG_RUNTIME_DIR", std::env::temp_dir())
            .output()
            .unwrap()
    };
    let o = run(&[
        "convert",
        "--net",
        "lenet",
        "--caffemodel",
        model.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("431080 parameters"));
    assert!(Weights::load(&out, &arch).unwrap() == weights);
    let digit = "data/digits/digit7.png";
    let a = run(&[
        "classify",
        "--json",
        "--weights",
        out.to_str().unwrap(),
        digit,
    ]);
    let b = run(&[
        "classify",
        "--json",
        "--weights",
        source.to_str().unwrap(),
        digit,
    ]);
    assert!(a.status.success() && a.stdout == b.stdout);
    // refused: a file that is not a caffemodel, and nothing written
    let junk = temp("junk.caffemodel");
    std::fs::write(&junk, [0xffu8; 9]).unwrap();
    let missing = temp("never.safetensors");
    let o = run(&[
        "convert",
        "--net",
        "lenet",
        "--caffemodel",
        junk.to_str().unwrap(),
        "--out",
        missing.to_str().unwrap(),
    ]);
    assert!(!o.status.success() && !missing.exists());
    assert!(String::from_utf8_lossy(&o.stderr).contains("junk.caffemodel"));
    for p in [model, out, junk] {
        let _ = std::fs::remove_file(p);
    }
}
