//! Merging the archives of several runs cell by cell (islands, job arrays): each class's
//! most confident champion, with its PNG, `champions.csv`, `gallery.png` and `merged.toml`.

use super::{config_str, read_champions, read_config, Champion};
use crate::error::{Error, Result};
use crate::io::write_atomic;
use std::path::{Path, PathBuf};

/// A merged archive's `merged.toml`: the network and the runs it came from.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
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

/// Merges the champions of `runs` cell by cell into `out`: each class's most confident
/// champion (the earliest run on ties), its PNG copied into `out/archive/`, `champions.csv`
/// with a `run` column, `gallery.png` and `merged.toml` naming the sources. Every run must
/// have been made against the same network and weights. `out` must not exist or be empty:
/// the archive is written into a sibling directory and renamed to `out` once complete, so a
/// failed merge leaves nothing a later one could mistake for a result.
pub fn merge(out: &Path, runs: &[PathBuf]) -> Result<Vec<Merged>> {
    let occupied = std::fs::read_dir(out).is_ok_and(|mut d| d.next().is_some());
    if occupied || out.is_file() {
        return Err(Error::Option {
            option: format!("--out {}", out.display()),
            message: "holds results already; choose another directory".into(),
        });
    }
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "merged".into());
    let partial = out.with_file_name(format!(".{name}.partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&partial);
    let merged = write_merged(&partial, runs).and_then(|merged| {
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

/// The merge of `runs` written into `out`.
fn write_merged(out: &Path, runs: &[PathBuf]) -> Result<Vec<Merged>> {
    if runs.is_empty() {
        return Err(Error::Option {
            option: "RUN".into(),
            message: "name at least one run directory".into(),
        });
    }
    let first = read_config(&runs[0])?;
    let (net, sha) = (
        config_str(&runs[0], &first, "net")?,
        config_str(&runs[0], &first, "weights_sha256")?,
    );
    let mut best: std::collections::BTreeMap<usize, Merged> = Default::default();
    for (i, dir) in runs.iter().enumerate() {
        let config = read_config(dir)?;
        let (n, s) = (
            config_str(dir, &config, "net")?,
            config_str(dir, &config, "weights_sha256")?,
        );
        if n != net || s != sha {
            return Err(Error::Data {
                path: dir.join("config.toml"),
                message: format!(
                    "made against {n} with weights sha256 {s}, but {} used {net} with {sha}: only runs against the same network merge",
                    runs[0].display()
                ),
            });
        }
        for c in read_champions(dir)? {
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
    let images = write_archive(out, runs, &best)?;
    write_gallery(out, &images)?;
    let file = MergedFile {
        net,
        weights: first
            .get("weights")
            .and_then(|w| w.as_str())
            .map(PathBuf::from),
        weights_sha256: sha,
        runs: runs.to_vec(),
        fooling_version: env!("CARGO_PKG_VERSION").into(),
    };
    let text = toml::to_string(&file).map_err(|e| Error::Data {
        path: out.join("merged.toml"),
        message: e.to_string(),
    })?;
    write_atomic(&out.join("merged.toml"), text.as_bytes())?;
    Ok(best.into_values().collect())
}

/// Copies each cell's PNG into `out/archive/` and writes `champions.csv`'s text into
/// `out/champions.csv`; returns the decoded images with their cells.
fn write_archive<'a>(
    out: &Path,
    runs: &[PathBuf],
    best: &'a std::collections::BTreeMap<usize, Merged>,
) -> Result<Vec<(image::DynamicImage, &'a Merged)>> {
    let archive = out.join("archive");
    std::fs::create_dir_all(&archive).map_err(|e| Error::io(&archive, e))?;
    let mut csv = String::from("class,label,confidence,image,run\n");
    let mut images = Vec::new();
    for m in best.values() {
        let src = runs[m.run].join(&m.champion.image);
        let name = format!(
            "archive/{:04}_{}",
            m.champion.class,
            src.file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.split_once('_').map(|(_, rest)| rest.to_string()))
                .unwrap_or_else(|| "image.png".into())
        );
        let bytes = std::fs::read(&src).map_err(|e| Error::io(&src, e))?;
        write_atomic(&out.join(&name), &bytes)?;
        csv.push_str(&format!(
            "{},{},{},{name},{}\n",
            m.champion.class,
            m.champion.label,
            m.champion.confidence,
            runs[m.run].display()
        ));
        images.push((
            image::load_from_memory(&bytes).map_err(|e| Error::Image {
                path: src.clone(),
                message: format!("cannot read: {e}"),
            })?,
            m,
        ));
    }
    write_atomic(&out.join("champions.csv"), csv.as_bytes())?;
    Ok(images)
}

/// `out/gallery.png` of the merged cells, every image at the first's size.
fn write_gallery(out: &Path, images: &[(image::DynamicImage, &Merged)]) -> Result<()> {
    let rgb = images.iter().any(|(img, _)| img.color().has_color());
    let (w, h) = (images[0].0.width() as usize, images[0].0.height() as usize);
    let pixels: Vec<Vec<u8>> = images
        .iter()
        .map(|(img, _)| {
            let img = img.resize_exact(w as u32, h as u32, image::imageops::FilterType::Triangle);
            if rgb {
                img.to_rgb8().into_raw()
            } else {
                img.to_luma8().into_raw()
            }
        })
        .collect();
    let tiles: Vec<crate::report::png::Tile<'_>> = images
        .iter()
        .zip(&pixels)
        .map(|((_, m), px)| crate::report::png::Tile {
            pixels: px,
            caption: m.champion.label.clone(),
            sub: format!("{:.5}%", m.champion.confidence as f64 * 100.0),
        })
        .collect();
    let columns = (tiles.len() as f64).sqrt().ceil() as usize;
    crate::report::png::save_gallery(&out.join("gallery.png"), &tiles, w, h, 4, columns.max(5))
}
