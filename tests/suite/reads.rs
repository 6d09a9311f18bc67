//! Reads stay bounded and in their place: a file one file names (an ONNX model's external
//! data, a sidecar's labels, a run's archive images) is read only inside the directory it
//! belongs to, a device or FIFO is never read, and an image too large is refused from its
//! header. Each case is a real process or a real loader on files made in a temporary
//! directory; `/dev/zero` stands for an endless file (reading it whole would never end).

use crate::cli::{evolve_dir, fooling, WEIGHTS};
use fooling::nn::onnx;
use fooling::nn::preprocess::Preprocess;
use prost::Message;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/onnx")
        .join(name)
}

/// A fresh temporary directory for one test.
fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fooling-reads-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `onnx::load`'s error, or a panic when the model loads.
fn refused(path: &Path) -> String {
    match onnx::load(path, &Preprocess::default(), None) {
        Ok(_) => panic!("{} loaded", path.display()),
        Err(e) => e.to_string(),
    }
}

/// External data is read inside the model's directory only: a symbolic link there to an
/// endless device or to a file outside is refused, and a location on a tensor stored
/// inline is never read at all.
#[test]
fn onnx_external_data_stays_in_the_models_directory() {
    let dir = temp("external");
    let model = dir.join("vgg.dynamo.onnx");
    std::fs::copy(fixture("vgg.dynamo.onnx"), &model).unwrap();
    let data = dir.join("vgg.dynamo.onnx.data");

    std::os::unix::fs::symlink("/dev/zero", &data).unwrap();
    let e = refused(&model);
    assert!(
        e.contains("vgg.dynamo.onnx.data") && e.contains("leads out of"),
        "{e}"
    );
    std::fs::remove_file(&data).unwrap();

    let outside = temp("external-outside").join("weights.data");
    std::fs::copy(fixture("vgg.dynamo.onnx.data"), &outside).unwrap();
    std::os::unix::fs::symlink(&outside, &data).unwrap();
    let e = refused(&model);
    assert!(e.contains("leads out of"), "{e}");
    std::fs::remove_file(&data).unwrap();

    // a FIFO in the directory itself: refused, never opened (an open would block)
    assert!(std::process::Command::new("mkfifo")
        .arg(&data)
        .status()
        .unwrap()
        .success());
    let e = refused(&model);
    assert!(e.contains("not a regular file"), "{e}");
    std::fs::remove_file(&data).unwrap();

    // an inline initializer that also names a location: its own bytes are the data
    let mut m = onnx::proto::ModelProto::decode(
        &std::fs::read(fixture("vgg.torchscript.onnx")).unwrap()[..],
    )
    .unwrap();
    let i = m
        .graph
        .as_ref()
        .unwrap()
        .initializer
        .iter()
        .position(|t| !t.raw_data.as_deref().unwrap_or_default().is_empty())
        .expect("an initializer with raw data");
    for location in ["/dev/zero", "../../../etc/passwd"] {
        m.graph.as_mut().unwrap().initializer[i].external_data =
            vec![onnx::proto::StringStringEntryProto {
                key: Some("location".into()),
                value: Some(location.into()),
            }];
        let path = dir.join("inline.onnx");
        std::fs::write(&path, m.encode_to_vec()).unwrap();
        let started = std::time::Instant::now();
        let loaded = onnx::load(&path, &Preprocess::default(), None);
        assert!(loaded.is_ok(), "{location}: {:?}", loaded.err());
        assert!(
            started.elapsed().as_secs() < 20,
            "{location}: read for {:?}",
            started.elapsed()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(outside.parent().unwrap());
}

/// A sidecar's labels lie beside it: a path out of its directory, or a device, is refused
/// naming the sidecar's key, and no line of another file reaches the output.
#[test]
fn a_sidecars_labels_stay_beside_it() {
    let dir = temp("sidecar");
    let secret = dir.join("secret.txt");
    std::fs::write(
        &secret,
        (0..10).map(|i| format!("SECRET{i}\n")).collect::<String>(),
    )
    .unwrap();
    let models = dir.join("models");
    std::fs::create_dir_all(&models).unwrap();
    let model = models.join("lenet.onnx");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("weights/lenet5_mnist_torch.onnx"),
        &model,
    )
    .unwrap();
    std::os::unix::fs::symlink(&secret, models.join("link.txt")).unwrap();
    for labels in [
        "../secret.txt".to_string(),
        secret.display().to_string(),
        "link.txt".into(),
        "/dev/zero".into(),
    ] {
        std::fs::write(
            models.join("lenet.onnx.toml"),
            format!("std = [0.00390625]\nlabels = \"{labels}\"\n"),
        )
        .unwrap();
        let o = fooling(&[
            "classify",
            "--net",
            model.to_str().unwrap(),
            "data/digits/digit7.png",
        ]);
        let (out, err) = (
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr),
        );
        assert!(!o.status.success(), "{labels}: {out}");
        assert!(
            err.contains("lenet.onnx.toml") && err.contains("labels") && !err.contains("SECRET"),
            "{labels}: {err}"
        );
        assert!(!out.contains("SECRET"), "{labels}: {out}");
    }
    // the same labels beside the sidecar are read
    std::fs::copy(&secret, models.join("digits.txt")).unwrap();
    std::fs::write(
        models.join("lenet.onnx.toml"),
        "std = [0.00390625]\nlabels = \"digits.txt\"\n",
    )
    .unwrap();
    let o = fooling(&[
        "classify",
        "--net",
        model.to_str().unwrap(),
        "data/digits/digit7.png",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("SECRET7"));
    // and --labels on the command line may name any regular file, but no device
    let o = fooling(&[
        "classify",
        "--net",
        model.to_str().unwrap(),
        "--labels",
        "/dev/zero",
        "data/digits/digit7.png",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("not a regular file"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `ablate`, `merge` and `transfer` read a run's champions inside the run: an archive PNG
/// that is a symbolic link out of it is refused.
#[test]
fn champions_are_read_inside_their_run() {
    let run = evolve_dir("reads-champions");
    let r = run.to_str().unwrap();
    let o = fooling(&[
        "evolve",
        "--weights",
        WEIGHTS,
        "--generations",
        "1",
        "--batch",
        "10",
        "--out",
        r,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let outside = temp("champions-outside");
    let png = std::fs::read_dir(run.join("archive"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("0003_")
        })
        .unwrap();
    let moved = outside.join("three.png");
    std::fs::rename(&png, &moved).unwrap();
    std::os::unix::fs::symlink(&moved, &png).unwrap();
    let merged = outside.join("merged");
    for args in [
        vec!["ablate", "--run", r],
        vec!["merge", "--out", merged.to_str().unwrap(), r],
        vec![
            "transfer",
            "--run",
            r,
            "--weights",
            WEIGHTS,
            "--name",
            "again",
        ],
    ] {
        let o = fooling(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !o.status.success() && err.contains("leads out of") && err.contains("0003_"),
            "{args:?}: {err}"
        );
    }
    let _ = std::fs::remove_dir_all(&run);
    let _ = std::fs::remove_dir_all(&outside);
}

/// An image whose header claims 20000×20000 is refused before its pixels are decoded.
#[test]
fn a_huge_image_is_refused_from_its_header() {
    let dir = temp("huge");
    let path = dir.join("huge.png");
    std::fs::write(&path, huge_png(20_000)).unwrap();
    let o = fooling(&["classify", "--weights", WEIGHTS, path.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("20000x20000") && err.contains("at most 8192x8192"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A valid grey PNG of `side`² black pixels, written without holding them: zlib stored
/// blocks are not needed, a deflate stream of zeros compresses a thousandfold.
fn huge_png(side: u32) -> Vec<u8> {
    use std::io::Write;
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend(kind);
        out.extend(data);
        let crc = crc32(&out[start..]);
        out.extend(crc.to_be_bytes());
    }
    let mut ihdr = Vec::new();
    ihdr.extend(side.to_be_bytes());
    ihdr.extend(side.to_be_bytes());
    ihdr.extend([8, 0, 0, 0, 0]); // 8-bit grey, no interlace
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let row = vec![0u8; side as usize + 1]; // filter byte 0, then the row
    for _ in 0..side {
        z.write_all(&row).unwrap();
    }
    let idat = z.finish().unwrap();
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &idat);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// CRC-32 (IEEE), as PNG chunks carry it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xffff_ffffu32;
    for &b in bytes {
        c ^= b as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}
