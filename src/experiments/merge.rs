//! Merging the archives of several runs cell by cell (islands, job arrays): each class's
//! most confident champion, with its PNG, `champions.csv`, `gallery.png` and `merged.toml`.
//!
//! A run's `champions.csv` is not trusted: every champion is re-scored on the device by the
//! runs' network (checked against the sha256 they recorded), a confidence its image does not
//! give is refused, and each run is locked while it is read, so a run still being written
//! cannot be merged half-way.

use super::run_network;
use crate::error::{Error, Result};
use crate::gpu::Gpu;
use crate::rundir::champions::{read as read_champions, Champion};
use crate::rundir::{Kind, RunDir};
use std::path::{Path, PathBuf};

/// A merged archive's `merged.toml`: the network and the runs it came from.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergedFile {
    pub net: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<PathBuf>,
    pub weights_sha256: String,
    pub runs: Vec<PathBuf>,
    pub fooling_version: String,
}

/// Where each cell of a merged archive came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Merged {
    pub champion: Champion,
    /// Index into the merged runs.
    pub run: usize,
}

/// What a user gives for a merge: `fooling merge`'s options, declared here once (the command
/// line flattens them).
#[derive(Clone, Debug, clap::Args)]
pub struct MergeSettings {
    /// The directory to write the merged archive into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Runs made against the same network and weights.
    #[arg(required = true, value_name = "RUN")]
    pub runs: Vec<PathBuf>,
}

/// Merges the champions of `runs` cell by cell into `out`: each class's most confident
/// champion (the earliest run on ties), its PNG copied into `out/archive/`, `champions.csv`
/// with a `run` column, `gallery.png` and `merged.toml` naming the sources. Every run must
/// have been made against the same network and weights, and every champion's image must
/// score (on `gpu`) the confidence its run recorded. `out` must not exist or be empty:
/// the archive is written into a sibling directory and renamed to `out` once complete, so a
/// failed merge leaves nothing a later one could mistake for a result.
pub fn merge(gpu: &Gpu, out: &Path, runs: &[PathBuf]) -> Result<Vec<Merged>> {
    let occupied = std::fs::read_dir(out).is_ok_and(|mut d| d.next().is_some());
    if occupied || out.is_file() {
        return Err(Error::setting_value(
            "out",
            out.display(),
            "holds results already; choose another directory",
        ));
    }
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "merged".into());
    let partial = out.with_file_name(format!(".{name}.partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&partial);
    let merged = write_merged(gpu, &partial, runs).and_then(|merged| {
        if out.exists() {
            std::fs::remove_dir(out).map_err(|e| Error::io(out, e))?;
        }
        std::fs::rename(&partial, out).map_err(|e| Error::io(out, e))?;
        Ok(merged)
    });
    if merged.is_err() {
        let _ = std::fs::remove_dir_all(&partial);
    }
    merged
}

/// How far a recorded confidence may lie from its image's re-scored one: the device's sums
/// in another order (a few ulps), far below any edit that would change a merge.
fn agrees(recorded: f32, scored: f32) -> bool {
    (recorded - scored).abs() <= 1e-4 + 1e-3 * scored
}

/// The merge of `runs` written into `out`.
fn write_merged(gpu: &Gpu, out: &Path, runs: &[PathBuf]) -> Result<Vec<Merged>> {
    if runs.is_empty() {
        return Err(Error::invalid("RUN", "name at least one run directory"));
    }
    let first = champions_run(&runs[0])?;
    let (net, sha) = (first.net().to_string(), first.weights_sha256().to_string());
    // every run's files first (the cheap refusals), each run locked from here on
    let (champions, _locks) = read_runs(runs, (&net, &sha))?;
    let recorded = run_network(&runs[0])?;
    let classes = recorded.loaded.arch.num_classes();
    let network = crate::nn::Network::new(gpu, recorded.loaded.arch, &recorded.loaded.weights)?;
    let mut best: std::collections::BTreeMap<usize, Merged> = Default::default();
    for (i, (dir, list)) in runs.iter().zip(champions).enumerate() {
        let bad = |message: String| Error::Data {
            path: dir.join("champions.csv"),
            message,
        };
        if let Some(c) = list.iter().find(|c| c.class >= classes) {
            return Err(bad(format!(
                "class {} is past the {classes} classes of {}",
                c.class, network.arch.name
            )));
        }
        let scored = super::transfer::transfer(gpu, dir, &network, recorded.crops)?;
        for t in scored {
            let c = t.champion;
            if !agrees(c.confidence, t.target) {
                return Err(bad(format!(
                    "class {} records confidence {}, but its image {} scores {}: the file or the image was changed",
                    c.class, c.confidence, c.image, t.target
                )));
            }
            let c = Champion {
                confidence: t.target,
                ..c
            };
            let better = best
                .get(&c.class)
                .is_none_or(|m| c.confidence > m.champion.confidence);
            if better {
                best.insert(
                    c.class,
                    Merged {
                        champion: c,
                        run: i,
                    },
                );
            }
        }
    }
    write_champions(out, runs, &best)?;
    let file = MergedFile {
        net,
        weights: first.weights().map(PathBuf::from),
        weights_sha256: sha,
        runs: runs.to_vec(),
        fooling_version: env!("CARGO_PKG_VERSION").into(),
    };
    crate::rundir::config::write(out, crate::rundir::Kind::Merged, &file)?;
    Ok(best.into_values().collect())
}

/// The run in `dir`, one that holds champions (an evolution, an ascent or a merged archive).
fn champions_run(dir: &Path) -> Result<RunDir> {
    let refuse = |message: &str| Error::invalid(format!("RUN {}", dir.display()), message);
    match RunDir::open(dir)? {
        None => Err(refuse(
            "holds no run (no config.toml, merged.toml or retrain.toml)",
        )),
        Some(run) if run.kind() == Kind::Retraining => Err(refuse(
            "is a retraining study, which holds no champions of its own: merge its rounds' runs",
        )),
        Some(run) => Ok(run),
    }
}

/// Every run's champions, each run checked to be against the network `net` with weights
/// `sha`, and locked (the locks returned, to hold while merging).
fn read_runs(
    runs: &[PathBuf],
    (net, sha): (&str, &str),
) -> Result<(Vec<Vec<Champion>>, Vec<crate::io::DirLock>)> {
    let mut champions = Vec::with_capacity(runs.len());
    let mut locks = Vec::with_capacity(runs.len());
    for dir in runs {
        let run = champions_run(dir)?;
        let (n, s) = (run.net(), run.weights_sha256());
        if n != net || s != sha {
            return Err(Error::Data {
                path: run.config_file(),
                message: format!(
                    "made against {n} with weights sha256 {s}, but {} used {net} with {sha}: only runs against the same network merge",
                    runs[0].display()
                ),
            });
        }
        champions.push(read_champions(dir)?);
        locks.push(crate::io::lock_existing(dir)?);
    }
    Ok((champions, locks))
}

/// The merged champions in `out`: each cell's PNG copied as it is, with the run it came
/// from in `champions.csv`; the gallery shows every image at the first's size.
fn write_champions(
    out: &Path,
    runs: &[PathBuf],
    best: &std::collections::BTreeMap<usize, Merged>,
) -> Result<()> {
    use crate::rundir::champions;
    let mut files = Vec::with_capacity(best.len());
    for m in best.values() {
        let src = m.champion.image_path(&runs[m.run])?;
        files.push(crate::imaging::load::read_image(&src)?);
    }
    let Some((_, first)) = files.first() else {
        return Err(Error::Data {
            path: runs[0].join("champions.csv"),
            message: "the runs hold no champions to merge".into(),
        });
    };
    let (w, h) = (first.width() as usize, first.height() as usize);
    let rgb = files.iter().any(|(_, img)| img.color().has_color());
    let pixels: Vec<Vec<u8>> = files
        .iter()
        .map(|(_, img)| {
            let img = img.resize_exact(w as u32, h as u32, image::imageops::FilterType::Triangle);
            if rgb {
                img.to_rgb8().into_raw()
            } else {
                img.to_luma8().into_raw()
            }
        })
        .collect();
    let entries: Vec<champions::Entry<'_>> = best
        .values()
        .zip(&files)
        .zip(&pixels)
        .map(|((m, (bytes, _)), px)| champions::Entry {
            class: m.champion.class,
            label: &m.champion.label,
            confidence: m.champion.confidence,
            pixels: px,
            png: Some(bytes),
            extra: vec![runs[m.run].display().to_string()],
        })
        .collect();
    let layout = champions::Layout {
        width: w,
        height: h,
        zoom: 4,
        extra_columns: &["run"],
    };
    champions::write(out, &layout, &entries)
}
