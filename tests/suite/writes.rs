//! Writes that must neither destroy nor lose: an output path that is a device, a FIFO or a
//! symbolic link is refused, `--force` included; a destination that cannot be written is
//! refused before the work; file names made from labels stay within the file-name limit;
//! a CPPN checkpoint resumes whatever floats it holds. Special files are made in a temporary
//! directory (`mkfifo`, and `mknod` where the user may), never the system's.

use crate::cli::{evolve_dir, fooling, WEIGHTS};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Special files in `dir`: a FIFO always, a character device (`/dev/null`'s numbers) when
/// this user may make one (root, as on most cluster nodes and containers).
/// Each is named `KIND-name`.
fn special_files(dir: &Path, name: &str) -> Vec<(PathBuf, &'static str)> {
    let mut files = Vec::new();
    let fifo = dir.join(format!("fifo-{name}"));
    let ok = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(ok.success(), "mkfifo");
    files.push((fifo, "a FIFO"));
    let null = dir.join(format!("null-{name}"));
    let made = Command::new("mknod")
        .arg(&null)
        .args(["c", "1", "3"])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if made {
        files.push((null, "a device"));
    } else {
        eprintln!("mknod not permitted here: the device case is left to root");
    }
    let target = dir.join("target");
    std::fs::write(&target, b"kept").unwrap();
    let link = dir.join(format!("link-{name}"));
    std::os::unix::fs::symlink(&target, &link).unwrap();
    files.push((link, "a symbolic link"));
    files
}

/// What kind of file `path` is now, as `special_files` names it.
fn kind(path: &Path) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = std::fs::symlink_metadata(path).unwrap().file_type();
    if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a device"
    } else if t.is_symlink() {
        "a symbolic link"
    } else {
        "a regular file"
    }
}

/// A small finished run to report on.
fn small_run(name: &str) -> PathBuf {
    let dir = evolve_dir(name);
    let o = fooling(&[
        "evolve",
        "--weights",
        WEIGHTS,
        "--generations",
        "1",
        "--batch",
        "10",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    dir
}

#[test]
fn outputs_onto_special_files_are_refused_even_with_force() {
    let run = small_run("special");
    let dir = run.join("specials");
    std::fs::create_dir_all(&dir).unwrap();
    let weights = Path::new(env!("CARGO_MANIFEST_DIR")).join(WEIGHTS);
    let (r, w) = (run.to_str().unwrap(), weights.to_str().unwrap());
    let commands: [(&str, Vec<&str>); 3] = [
        ("report.html", vec!["report", r]),
        (
            "c.safetensors",
            vec!["convert", "--net", "lenet", "--caffemodel", w],
        ),
        ("t.safetensors", vec!["train", "--iterations", "1"]),
    ];
    for (name, command) in commands {
        for (path, what) in special_files(&dir, name) {
            let p = path.to_str().unwrap();
            let mut args = command.clone();
            args.extend(["--out", p, "--force"]);
            let o = fooling(&args);
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(!o.status.success(), "{args:?} onto {what} succeeded");
            assert!(
                err.contains("not a regular file") && err.contains(p) && !err.contains("panicked"),
                "{args:?}: {err}"
            );
            assert_eq!(kind(&path), what, "{args:?} changed {what}");
        }
    }
    assert_eq!(std::fs::read(dir.join("target")).unwrap(), b"kept");
    let _ = std::fs::remove_dir_all(&run);
}

/// A destination that exists but cannot take files fails before training, not after it.
#[test]
fn an_unwritable_destination_is_refused_before_the_work() {
    let dir = evolve_dir("readonly");
    std::fs::create_dir_all(&dir).unwrap();
    for out in [
        "/proc/self/w.safetensors".to_string(),
        // a regular file's name used as a directory
        format!("{}/file/w.safetensors", dir.display()),
    ] {
        if out.contains("/file/") {
            std::fs::write(dir.join("file"), b"").unwrap();
        }
        let o = crate::runs::within(30, &["train", "--iterations", "100000", "--out", &out])
            .unwrap_or_else(|| panic!("{out}: not refused within 30 s: the training began"));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && err.contains("--out"), "{out}: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Labels of any length: the archive's file names are bounded, the CSV keeps the label whole.
#[test]
fn a_label_longer_than_a_file_name_is_kept_whole_in_the_csv() {
    let dir = evolve_dir("long-label");
    std::fs::create_dir_all(&dir).unwrap();
    let long = "a very long label ".repeat(40); // 720 bytes, past every file-name limit
    let labels: String = (0..10).map(|d| format!("{d} {long}\n")).collect();
    let labels_path = dir.join("labels.txt");
    std::fs::write(&labels_path, labels).unwrap();
    let run = dir.join("run");
    let o = fooling(&[
        "evolve",
        "--net",
        "weights/lenet5_mnist_torch.onnx",
        "--labels",
        labels_path.to_str().unwrap(),
        "--generations",
        "1",
        "--batch",
        "10",
        "--out",
        run.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(run.join("champions.csv")).unwrap();
    assert!(csv.contains(&format!("3 {}", long.trim_end())), "{csv}");
    for e in std::fs::read_dir(run.join("archive")).unwrap() {
        let name = e.unwrap().file_name();
        assert!(name.len() <= 100, "{name:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A CPPN checkpoint whose wall-clock seconds print with 17 digits resumes: the digest covers
/// the bytes as written, and every float parses back bit for bit (1.8714797829999998 parsed
/// one ulp off, so the re-serialised digest of earlier versions refused an intact file).
#[test]
fn a_cppn_checkpoint_resumes_whatever_floats_it_holds() {
    use sha2::Digest;
    let sha = |b: &[u8]| format!("{:x}", sha2::Sha256::digest(b));
    let dir = evolve_dir("cppn-floats");
    let d = dir.to_str().unwrap();
    let o = fooling(&[
        "evolve",
        "--encoding",
        "cppn",
        "--weights",
        WEIGHTS,
        "--batch",
        "10",
        "--generations",
        "2",
        "--out",
        d,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let path = dir.join("checkpoint/state.json");
    let written = std::fs::read_to_string(&path).unwrap();
    let (digest, state) = written
        .strip_prefix("{\"sha256\":\"")
        .and_then(|s| s.split_once("\",\"state\":"))
        .and_then(|(d, s)| Some((d, s.strip_suffix('}')?)))
        .unwrap_or_else(|| panic!("state.json: {{\"sha256\":…,\"state\":…}}, found {written}"));
    assert_eq!(
        digest,
        sha(state.as_bytes()),
        "the digest of the bytes as written"
    );
    // the seconds of a real run that could not be resumed
    let key = "\"seconds\":";
    let at = state.find(key).unwrap() + key.len();
    let end = at + state[at..].find(',').unwrap();
    let state = format!("{}1.8714797829999998{}", &state[..at], &state[end..]);
    // as this version writes it, and as earlier versions did (the digest inside, over the JSON
    // with it empty)
    let legacy_unsealed = format!("{},\"sha256\":\"\"}}", &state[..state.len() - 1]);
    let legacy = format!(
        "{},\"sha256\":\"{}\"}}",
        &state[..state.len() - 1],
        sha(legacy_unsealed.as_bytes())
    );
    let sealed = format!(
        "{{\"sha256\":\"{}\",\"state\":{state}}}",
        sha(state.as_bytes())
    );
    for (what, bytes) in [("sealed", sealed), ("earlier version's", legacy)] {
        std::fs::write(&path, &bytes).unwrap();
        let o = fooling(&["evolve", "--resume", d, "--generations", "3"]);
        assert!(
            o.status.success(),
            "{what} checkpoint: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let stats = std::fs::read_to_string(dir.join("stats.csv")).unwrap();
        assert!(stats.lines().last().unwrap().starts_with("3,"), "{stats}");
        // back to generation 2 for the next form
        std::fs::write(&path, &bytes).unwrap();
    }
    let _ = std::fs::remove_dir_all(&dir);
}
