//! Run directories written by an earlier version still open: `tests/fixtures/rundirs-0.1.0`
//! holds an evolution of each encoding (with an ablation and a transfer), an ascent, a merge
//! and a retraining study's files as fooling 0.1.0 wrote them before configuration files were
//! tagged by kind (commit c73e321). Each opens as its kind, an evolution's checkpoint still
//! matches its configuration's seal (so `--resume` accepts it), the report reads every file,
//! and a kind this version does not know is refused naming it and the version.

use fooling::evo::run::{RunConfig, SearchConfig};
use fooling::report::summary::Summary;
use fooling::rundir::{collect, Config, Kind, RunDir};
use std::path::{Path, PathBuf};

const FIXTURES: &str = "tests/fixtures/rundirs-0.1.0";

/// A copy of the fixtures to work on (a report locks the runs it reads).
fn copy() -> PathBuf {
    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            let target = to.join(e.file_name());
            if e.file_type().unwrap().is_dir() {
                copy_dir(&e.path(), &target);
            } else {
                std::fs::copy(e.path(), target).unwrap();
            }
        }
    }
    let dir = std::env::temp_dir().join(format!("fooling-rundirs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(Path::new(FIXTURES), &dir);
    dir
}

/// The seal a checkpoint was written for: the direct encoding's safetensors metadata, the
/// CPPN encoding's JSON.
fn checkpoint_seal(dir: &Path) -> String {
    let cp = dir.join("checkpoint");
    if let Ok(text) = std::fs::read_to_string(cp.join("state.json")) {
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        fn find(v: &serde_json::Value) -> Option<String> {
            match v {
                serde_json::Value::Object(m) => m
                    .get("run")
                    .and_then(|r| r.as_str().map(String::from))
                    .or_else(|| m.values().find_map(find)),
                _ => None,
            }
        }
        return find(&v).expect("a seal in state.json");
    }
    let bytes = std::fs::read(cp.join("state.safetensors")).unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    header["__metadata__"]["run"].as_str().unwrap().to_string()
}

#[test]
fn run_directories_of_0_1_0_still_open() {
    let dir = copy();
    let open = |name: &str| RunDir::open(&dir.join(name)).unwrap().unwrap();
    for (name, kind) in [
        ("evolve-direct", Kind::Evolution),
        ("evolve-cppn", Kind::Evolution),
        ("ascent", Kind::Ascent),
        ("merged", Kind::Merged),
        ("retrain", Kind::Retraining),
    ] {
        let run = open(name);
        assert_eq!(run.kind(), kind, "{name}");
        assert_eq!(run.net(), "lenet", "{name}");
    }
    for (name, cppn) in [("evolve-direct", false), ("evolve-cppn", true)] {
        let Config::Evolution(c) = open(name).config else {
            panic!("{name} is an evolution")
        };
        assert_eq!(matches!(c.search, SearchConfig::Cppn(_)), cppn, "{name}");
        assert_eq!((c.search.batch(), c.generations), (4, 2), "{name}");
        // the seal is what --resume checks the checkpoint against
        let loaded = RunConfig::load(&dir.join(name)).unwrap();
        assert_eq!(loaded.seal(), checkpoint_seal(&dir.join(name)), "{name}");
    }

    // every file a report reads: stats, cells, champions, the ablation, the transfer, the
    // ascent, the merge and the study
    let runs = collect(std::slice::from_ref(&dir)).unwrap();
    assert_eq!(runs.len(), 5);
    let s = Summary::of(&runs).unwrap();
    assert!(s.left_out.is_empty(), "{:?}", s.left_out);
    assert_eq!(s.groups.len(), 2);
    assert!(s
        .groups
        .iter()
        .all(|g| g.runs.len() == 1 && g.runs[0].last.generation == 2));
    assert_eq!((s.ascents.len(), s.merged.len()), (1, 1));
    assert_eq!((s.ablations.len(), s.transfers.len()), (1, 1));
    assert_eq!(s.ablations[0].rows.len(), 10);
    assert_eq!(s.transfers[0].champions, 10);
    assert_eq!(s.retrains.len(), 1);
    assert_eq!(s.retrains[0].rows.len(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn configurations_are_tagged_by_kind_and_an_unknown_kind_is_refused() {
    let dir = copy();
    let run = dir.join("evolve-direct");
    let config = RunConfig::load(&run).unwrap();
    config.save(&run).unwrap();
    let text = std::fs::read_to_string(run.join("config.toml")).unwrap();
    assert!(text.starts_with("kind = \"evolution\"\n"), "{text}");
    assert_eq!(
        RunConfig::load(&run).unwrap(),
        config,
        "read back as written"
    );
    assert_eq!(RunConfig::load(&run).unwrap().seal(), config.seal());

    let future = text.replacen("kind = \"evolution\"", "kind = \"hologram\"", 1);
    std::fs::write(run.join("config.toml"), future).unwrap();
    let err = RunDir::open(&run).unwrap_err().to_string();
    assert!(
        err.contains("config.toml")
            && err.contains("hologram")
            && err.contains(env!("CARGO_PKG_VERSION")),
        "{err}"
    );
    // an encoding without its settings cannot be read into a run
    let cut = text.split("[direct]").next().unwrap().to_string();
    std::fs::write(run.join("config.toml"), cut).unwrap();
    let err = RunConfig::load(&run).unwrap_err().to_string();
    assert!(err.contains("[direct]") && err.contains("none"), "{err}");
    // an ascent's configuration is not an evolution's
    let err = RunConfig::load(&dir.join("ascent"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("gradient-ascent run"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
