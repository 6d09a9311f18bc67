//! `fooling ablate` as a user runs it (the paper's R9): on a CPPN run one of whose champions
//! is replaced by three copies of a bar, the copies are found, each ablated image re-scores
//! through `fooling classify` at the confidence recorded, the heatmaps are written, nothing
//! is replaced unasked, and `fooling report` shows the R9 row; on an ascent run, occlusion
//! maps only.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fooling(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fooling"))
        .args(args)
        .current_dir(root())
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .output()
        .unwrap()
}

fn ok(o: &std::process::Output) -> String {
    assert!(
        o.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn failed(o: &std::process::Output) -> String {
    assert!(
        !o.status.success(),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `classify --json --top 10` of PNGs against the shipped LeNet: each one's confidence for
/// `class`, as the f32 it printed.
fn confidences(pngs: &[PathBuf], class: usize) -> Vec<f32> {
    let mut args = vec!["classify", "--json", "--top", "10"];
    args.extend(pngs.iter().map(|p| p.to_str().unwrap()));
    ok(&fooling(&args))
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let top = v["top"].as_array().unwrap();
            let t = top
                .iter()
                .find(|t| t["class"].as_u64() == Some(class as u64))
                .unwrap();
            t["confidence"].as_f64().unwrap() as f32
        })
        .collect()
}

/// `ablate.csv` as rows of named fields.
fn ablate_rows(run: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let text = std::fs::read_to_string(run.join("ablate.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|l| {
            header
                .iter()
                .zip(l.split(','))
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

#[test]
fn ablate_finds_copies_and_its_images_rescore() {
    let dir = std::env::temp_dir().join(format!("fooling-ablate-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let run = dir.join("cppn");
    let r = run.to_str().unwrap();
    ok(&fooling(&[
        "evolve",
        "--encoding",
        "cppn",
        "--batch",
        "20",
        "--generations",
        "2",
        "--out",
        r,
    ]));
    // the champion of class 1: three vertical bars, 8 pixels apart, on grey
    let bars = image::GrayImage::from_fn(28, 28, |x, y| {
        let bar = (4..24).contains(&y) && x >= 5 && (x - 5) % 8 < 3 && x < 26;
        image::Luma([if bar { 230 } else { 90 }])
    });
    bars.save(run.join("archive/0001_1.png")).unwrap();

    let out = ok(&fooling(&[
        "ablate", "--run", r, "--patch", "5", "--stride", "3",
    ]));
    assert!(out.contains("10 champions"), "{out}");
    assert!(out.contains("repetition test:"), "{out}");
    let rows = ablate_rows(&run);
    assert_eq!(rows.len(), 10);
    let one = &rows[1];
    assert_eq!(one["class"], "1");
    assert_eq!(one["copies"], "3", "{one:?}");
    assert_eq!(
        (one["period_y"].as_str(), one["period_x"].as_str()),
        ("0", "8")
    );
    assert_eq!((one["patch"].as_str(), one["stride"].as_str()), ("5", "3"));
    // every image the ablation names re-scores through classify at the confidence recorded
    let mut pngs = vec![run.join(&one["image"])];
    let mut recorded: Vec<f32> = vec![one["confidence"].parse().unwrap()];
    for removal in ["one_removed", "half_removed", "all_but_one"] {
        pngs.push(run.join(&one[&format!("image_{removal}")]));
        recorded.push(one[&format!("confidence_{removal}")].parse().unwrap());
    }
    assert_eq!(confidences(&pngs, 1), recorded);
    // all but one copy removed: one bar is left on the background
    let left = image::open(&pngs[3]).unwrap().to_luma8();
    let bright = left.pixels().filter(|p| p.0[0] > 90).count();
    assert_eq!(bright, 20 * 3, "one bar of 20 × 3 pixels");
    for row in &rows {
        let heat = image::open(run.join(&row["heatmap"])).unwrap();
        assert_eq!((heat.width(), heat.height()), (28, 28));
        let min: f32 = row["occlusion_min"].parse().unwrap();
        let conf: f32 = row["confidence"].parse().unwrap();
        assert!(min <= conf + 1e-6, "{row:?}");
    }

    // nothing replaced unasked; settings checked
    let e = failed(&fooling(&["ablate", "--run", r]));
    assert!(e.contains("ablate.csv") && e.contains("--force"), "{e}");
    let e = failed(&fooling(&["ablate", "--run", r, "--force", "--patch", "0"]));
    assert!(e.contains("--patch"), "{e}");
    let e = failed(&fooling(&[
        "ablate", "--run", r, "--force", "--stride", "29",
    ]));
    assert!(e.contains("--stride"), "{e}");

    // the report's R9 row
    let page = dir.join("report.html");
    ok(&fooling(&["report", r, "--out", page.to_str().unwrap()]));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("id=\"R9\""), "no ablation section");
    assert!(
        html.contains("lenet cppn · repeated elements in"),
        "no R9 figures in the paper's table"
    );
    // a damaged ablate.csv is left out, named with its line
    let csv = std::fs::read_to_string(run.join("ablate.csv")).unwrap();
    let damaged = csv.replacen(&format!(",{},", one["confidence"]), ",1.5,", 1);
    assert_ne!(damaged, csv);
    std::fs::write(run.join("ablate.csv"), damaged).unwrap();
    ok(&fooling(&["report", r, "--out", page.to_str().unwrap()]));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains("line 3: ") && html.contains("1.5 is not a probability"),
        "damaged file not named"
    );

    // an ascent run: occlusion maps, no repetition test
    let ascent = dir.join("ascent");
    let a = ascent.to_str().unwrap();
    ok(&fooling(&["ascent", "--iterations", "3", "--out", a]));
    let out = ok(&fooling(&["ablate", "--run", a]));
    assert!(!out.contains("repetition test"), "{out}");
    let rows = ablate_rows(&ascent);
    assert_eq!(rows.len(), 10);
    assert!(rows
        .iter()
        .all(|r| r["copies"].is_empty() && r["patch"] == "4"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// An ablation whose variants fit a few device batches (a 10-class LeNet run, every 2×2
/// square occluded) stops within seconds of SIGTERM, SIGINT or SIGHUP, with the conventional
/// status and no ablate.csv: the stop request is checked after every batch, the last included.
#[test]
fn a_small_ablation_honours_every_stop_signal() {
    let run = std::env::temp_dir().join(format!("fooling-ablate-signal-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&run);
    let r = run.to_str().unwrap();
    ok(&fooling(&[
        "evolve",
        "--weights",
        "weights/lenet_mnist.safetensors",
        "--generations",
        "1",
        "--batch",
        "10",
        "--out",
        r,
    ]));
    for (signal, status) in [("TERM", 143), ("INT", 130), ("HUP", 129)] {
        let mut child =
            crate::runs::spawn(&["ablate", "--run", r, "--patch", "2", "--stride", "1"]);
        std::thread::sleep(std::time::Duration::from_millis(1500));
        if child.try_wait().unwrap().is_some() {
            // a fast adapter finished before the signal: nothing to stop
            eprintln!("SIG{signal}: the ablation ended within 1.5 s");
            let _ = std::fs::remove_file(run.join("ablate.csv"));
            continue;
        }
        let sent = std::time::Instant::now();
        let o = crate::runs::signal(child, signal);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(status), "SIG{signal}: {err}");
        assert!(err.contains("ablate.csv was not written"), "{err}");
        assert!(
            sent.elapsed().as_secs() < 15,
            "SIG{signal}: stopped {:?} after the signal",
            sent.elapsed()
        );
        assert!(!run.join("ablate.csv").exists());
    }
    let _ = std::fs::remove_dir_all(&run);
}
