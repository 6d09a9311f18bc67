//! A run's files are untrusted input to `report` and `merge`: a row cut short, a generation
//! past the run's end, a transfer file of garbage, a class the network does not have, or a
//! confidence its image does not give is refused or left out by name, never shown as a
//! figure; and a run another command is writing is not merged.

use crate::cli::{evolve_dir, fooling, WEIGHTS};
use std::path::{Path, PathBuf};

/// A finished 10-class run of 4 generations.
fn small_run(name: &str) -> PathBuf {
    let dir = evolve_dir(name);
    let o = fooling(&[
        "evolve",
        "--weights",
        WEIGHTS,
        "--generations",
        "4",
        "--batch",
        "10",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    dir
}

/// `fooling report RUN --out OUT`: its status, and the page or the error.
fn report(run: &Path, out: &Path) -> (bool, String) {
    let o = fooling(&[
        "report",
        run.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--force",
    ]);
    let text = if o.status.success() {
        std::fs::read_to_string(out).unwrap()
    } else {
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    (o.status.success(), text)
}

#[test]
fn report_refuses_rows_no_run_can_have() {
    let run = small_run("untrusted-report");
    let out = run.join("page.html");
    let (ok, _) = report(&run, &out);
    assert!(ok);
    // the last row of cells.csv cut short, a generation past the run's end, a confidence
    // that is no probability
    let cut = |t: &str| t.trim_end().rsplit_once(',').unwrap().0.to_string() + "\n";
    let late = |t: &str| t.replacen("\n4,", "\n4000000000,", 1);
    let above = |t: &str| format!("{},1.5\n", t.trim_end().rsplit_once(',').unwrap().0);
    type Edit<'a> = &'a dyn Fn(&str) -> String;
    let edits: [(&str, Edit, &str); 3] = [
        ("cells.csv", &cut, "fields, the header has"),
        ("stats.csv", &late, "generation 4000000000 of a run of 4"),
        ("cells.csv", &above, "not a probability"),
    ];
    for (file, edit, says) in edits {
        let path = run.join(file);
        let kept = std::fs::read_to_string(&path).unwrap();
        let edited = edit(&kept);
        assert_ne!(edited, kept, "{file}");
        std::fs::write(&path, &edited).unwrap();
        let (_, text) = report(&run, &out);
        assert!(text.contains(file) && text.contains(says), "{file}: {text}");
        std::fs::write(&path, kept).unwrap();
    }
    // a transfer file of garbage is left out by name, not counted as 0 of 0
    std::fs::write(run.join("transfer-garbage.csv"), "\u{1}\u{2}garbage\n").unwrap();
    let (ok, page) = report(&run, &out);
    assert!(ok, "{page}");
    assert!(
        page.contains("transfer-garbage.csv") && page.contains("damaged"),
        "the garbage transfer file is not named as damaged"
    );
    let _ = std::fs::remove_dir_all(&run);
}

/// The row of `class` in `champions.csv` and every other row, as lines.
fn rows(run: &Path) -> Vec<String> {
    std::fs::read_to_string(run.join("champions.csv"))
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn merge_rescores_what_it_merges_and_locks_its_runs() {
    let run = small_run("untrusted-merge");
    let r = run.to_str().unwrap();
    let out = run.with_extension("merged");
    let o = out.to_str().unwrap();
    let merge = || fooling(&["merge", "--out", o, r]);
    let kept = rows(&run);
    let csv = run.join("champions.csv");
    // a class the network does not have
    let mut extra = kept.clone();
    let image = kept[1].split(',').nth(3).unwrap().to_string();
    extra.push(format!("37,37,0.5,{image}"));
    std::fs::write(&csv, extra.join("\n") + "\n").unwrap();
    let m = merge();
    let err = String::from_utf8_lossy(&m.stderr);
    assert!(
        !m.status.success() && err.contains("class 37 is past the 10 classes"),
        "{err}"
    );
    // a confidence its image does not give: the lowest champion claims 0.99999999
    let lowest = (1..kept.len())
        .min_by(|&a, &b| {
            let c = |i: usize| kept[i].split(',').nth(2).unwrap().parse::<f64>().unwrap();
            c(a).total_cmp(&c(b))
        })
        .unwrap();
    let mut edited = kept.clone();
    let f: Vec<&str> = kept[lowest].split(',').collect();
    assert!(f[2].parse::<f64>().unwrap() < 0.99, "{}", kept[lowest]);
    edited[lowest] = format!("{},{},0.99999999,{}", f[0], f[1], f[3]);
    std::fs::write(&csv, edited.join("\n") + "\n").unwrap();
    let m = merge();
    let err = String::from_utf8_lossy(&m.stderr);
    assert!(
        !m.status.success() && err.contains(&format!("class {} records confidence 1,", f[0])),
        "{err}"
    );
    std::fs::write(&csv, kept.join("\n") + "\n").unwrap();
    // a run another command holds is not merged
    let lock = std::fs::OpenOptions::new()
        .write(true)
        .open(run.join(".lock"))
        .unwrap();
    lock.lock().unwrap();
    let m = merge();
    let err = String::from_utf8_lossy(&m.stderr);
    assert!(
        !m.status.success() && err.contains("another fooling command is writing"),
        "{err}"
    );
    assert!(!out.exists());
    drop(lock);
    // the run as it was merges, at the confidences its images give
    let m = merge();
    assert!(m.status.success(), "{}", String::from_utf8_lossy(&m.stderr));
    let _ = std::fs::remove_dir_all(&run);
    let _ = std::fs::remove_dir_all(&out);
}
