//! The paper's experiments on finished runs (PAPER.md section 7): transfer of champions to
//! other networks, and merging the archives of several runs cell by cell.

use crate::error::{Error, Result};
use crate::gpu::Gpu;
use crate::io::write_atomic;
use crate::nn::Network;
use std::path::{Path, PathBuf};

/// One row of a run's `champions.csv` (evolution or ascent): the first four columns.
#[derive(Clone, Debug, PartialEq)]
pub struct Champion {
    pub class: usize,
    pub label: String,
    pub confidence: f32,
    /// The PNG, relative to the run directory.
    pub image: String,
}

/// Reads `dir/champions.csv`.
pub fn read_champions(dir: &Path) -> Result<Vec<Champion>> {
    let path = dir.join("champions.csv");
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    let bad = |line: usize, message: String| Error::Data {
        path: path.clone(),
        message: format!("line {line}: {message}"),
    };
    let mut lines = text.lines();
    match lines.next() {
        Some(h) if h.starts_with("class,label,confidence,image") => {}
        other => {
            return Err(bad(
                1,
                format!("expected the header class,label,confidence,image…, found {other:?}"),
            ))
        }
    }
    lines
        .enumerate()
        .map(|(i, l)| {
            let f: Vec<&str> = l.split(',').collect();
            if f.len() < 4 {
                return Err(bad(
                    i + 2,
                    format!("{} fields, expected at least 4", f.len()),
                ));
            }
            Ok(Champion {
                class: f[0]
                    .parse()
                    .map_err(|e| bad(i + 2, format!("class {:?}: {e}", f[0])))?,
                label: f[1].to_string(),
                confidence: f[2]
                    .parse()
                    .map_err(|e| bad(i + 2, format!("confidence {:?}: {e}", f[2])))?,
                image: f[3].to_string(),
            })
        })
        .collect()
}

/// A run's `config.toml` as a table (evolution and ascent runs both name `net`, `weights`
/// and `weights_sha256`).
pub fn read_config(dir: &Path) -> Result<toml::Table> {
    let path = dir.join("config.toml");
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    text.parse::<toml::Table>().map_err(|e| Error::Data {
        path,
        message: format!("not a run configuration: {e}"),
    })
}

fn config_str(dir: &Path, config: &toml::Table, key: &str) -> Result<String> {
    config
        .get(key)
        .and_then(|v| v.as_str())
        .map(String::from)
        .ok_or_else(|| Error::Data {
            path: dir.join("config.toml"),
            message: format!("no '{key}'"),
        })
}

/// The crops a run scored its champions with (`[color] crops` of an ImageNet evolution run).
pub fn run_crops(config: &toml::Table) -> Option<usize> {
    config
        .get("color")?
        .get("crops")?
        .as_integer()
        .map(|c| c as usize)
}

/// One champion on another network.
#[derive(Clone, Debug, PartialEq)]
pub struct Transferred {
    pub champion: Champion,
    /// Its confidence for its own class on the target network.
    pub target: f32,
    /// The target network's most confident class.
    pub top: usize,
}

/// The header of `transfer-<name>.csv`.
pub const TRANSFER_HEADER: &str =
    "class,label,confidence_source,confidence_target,target_top_class";

/// Re-scores the champions of the run in `dir` on `net`: their saved PNGs, read as the
/// target takes images (`crops` crops each for ImageNet networks given larger images).
pub fn transfer(
    gpu: &Gpu,
    dir: &Path,
    net: &Network,
    crops: Option<usize>,
) -> Result<Vec<Transferred>> {
    let champions = read_champions(dir)?;
    let classes = net.arch.num_classes();
    let mut input = Vec::new();
    for c in &champions {
        if c.class >= classes {
            return Err(Error::Option {
                option: "--net".into(),
                message: format!(
                    "{} has {classes} classes; the run's champion of class {} has none to be scored for",
                    net.arch.name, c.class
                ),
            });
        }
        input.extend(crate::imaging::load::load_input(
            &net.arch,
            &dir.join(&c.image),
            false,
            crops,
        )?);
    }
    let probs = net.classify_crops(gpu, &input, crops.unwrap_or(1))?;
    Ok(champions
        .into_iter()
        .zip(probs)
        .map(|(champion, p)| {
            let top = (0..p.len())
                .max_by(|&a, &b| p[a].total_cmp(&p[b]).then(b.cmp(&a)))
                .unwrap_or(0);
            Transferred {
                target: p[champion.class],
                top,
                champion,
            }
        })
        .collect())
}

/// Writes `dir/transfer-<name>.csv` atomically.
pub fn write_transfer(dir: &Path, name: &str, rows: &[Transferred]) -> Result<PathBuf> {
    let mut csv = format!("{TRANSFER_HEADER}\n");
    for r in rows {
        csv.push_str(&format!(
            "{},{},{},{},{}\n",
            r.champion.class, r.champion.label, r.champion.confidence, r.target, r.top
        ));
    }
    let path = dir.join(format!("transfer-{name}.csv"));
    write_atomic(&path, csv.as_bytes())?;
    Ok(path)
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
/// have been made against the same network and weights.
pub fn merge(out: &Path, runs: &[PathBuf]) -> Result<Vec<Merged>> {
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
    let tiles: Vec<crate::report::Tile<'_>> = images
        .iter()
        .zip(&pixels)
        .map(|((_, m), px)| crate::report::Tile {
            pixels: px,
            caption: m.champion.label.clone(),
            sub: format!("{:.5}%", m.champion.confidence as f64 * 100.0),
        })
        .collect();
    let columns = (tiles.len() as f64).sqrt().ceil() as usize;
    crate::report::save_gallery(&out.join("gallery.png"), &tiles, w, h, 4, columns.max(5))?;
    let mut table = toml::Table::new();
    table.insert("net".into(), net.into());
    if let Some(w) = first.get("weights") {
        table.insert("weights".into(), w.clone());
    }
    table.insert("weights_sha256".into(), sha.into());
    table.insert(
        "runs".into(),
        toml::Value::Array(
            runs.iter()
                .map(|r| toml::Value::String(r.display().to_string()))
                .collect(),
        ),
    );
    table.insert(
        "fooling_version".into(),
        env!("CARGO_PKG_VERSION").to_string().into(),
    );
    write_atomic(&out.join("merged.toml"), table.to_string().as_bytes())?;
    Ok(best.into_values().collect())
}
