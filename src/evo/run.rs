//! A run directory: `config.toml` (every effective parameter), `stats.csv` (a row per
//! recorded generation), `cells.csv` (every cell's confidence at those generations),
//! `champions.csv`, `archive/` (one PNG per class), `gallery.png`, and
//! `checkpoint/state.safetensors` (the generation, the archive and its confidences), every
//! file written atomically so an interrupted run loses nothing already written.

use super::direct::DirectConfig;
use super::CppnConfig;
use crate::error::{Error, Result};
use crate::io::{load_toml, save_toml, write_atomic};
use crate::report::{save_gallery, save_png, Tile};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Everything that defines a run: written to `config.toml`, read back by `--resume`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunConfig {
    pub net: String,
    pub weights: PathBuf,
    /// sha256 of the weights file: `--resume` refuses other weights.
    pub weights_sha256: String,
    pub encoding: String,
    pub generations: u32,
    pub checkpoint_every: u32,
    pub stats_every: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direct: Option<DirectConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cppn: Option<CppnConfig>,
    /// Colour genomes for ImageNet networks (absent for grey networks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<ColorConfig>,
    pub fooling_version: String,
}

/// How colour genomes become an ImageNet network's input (PAPER.md sections 3 and 5).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ColorConfig {
    pub model: crate::imaging::ColorModel,
    /// The genome's side (256).
    pub size: usize,
    /// Crops per evaluation: 10 (Caffe's oversample) or 1 (the centre).
    pub crops: usize,
    /// A mean image (PNG, cropped at the centre) instead of the per-channel mean.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_image: Option<PathBuf>,
    /// Its sha256: `--resume` refuses another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_image_sha256: Option<String>,
}

/// The header of `stats.csv`.
pub const STATS_HEADER: &str =
    "generation,evaluations,median,mean,min,max,n_ge_0.99,n_ge_0.9999,seconds";

/// Summary statistics of the cells' confidences.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stats {
    pub median: f64,
    pub mean: f64,
    pub min: f64,
    pub max: f64,
    pub n_ge_099: usize,
    pub n_ge_09999: usize,
}

impl Stats {
    pub fn of(conf: &[f32]) -> Stats {
        let mut v: Vec<f64> = conf.iter().map(|&c| c as f64).collect();
        v.sort_by(|a, b| a.total_cmp(b));
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        Stats {
            median,
            mean: v.iter().sum::<f64>() / n as f64,
            min: v[0],
            max: v[n - 1],
            n_ge_099: v.iter().filter(|&&c| c >= 0.99).count(),
            n_ge_09999: v.iter().filter(|&&c| c >= 0.9999).count(),
        }
    }

    pub fn csv_row(&self, generation: u32, evaluations: u64, seconds: f64) -> String {
        format!(
            "{generation},{evaluations},{:.6},{:.6},{:.6},{:.6},{},{},{seconds:.3}",
            self.median, self.mean, self.min, self.max, self.n_ge_099, self.n_ge_09999
        )
    }
}

/// The state a checkpoint holds.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint {
    pub generation: u32,
    pub evaluations: u64,
    /// Wall-clock seconds of the run so far.
    pub seconds: f64,
    /// `(classes, genes)`.
    pub archive: Vec<f32>,
    pub conf: Vec<f32>,
}

pub fn checkpoint_path(dir: &Path) -> PathBuf {
    dir.join("checkpoint").join("state.safetensors")
}

impl Checkpoint {
    pub fn save(&self, dir: &Path, classes: usize, genes: usize) -> Result<()> {
        std::fs::create_dir_all(dir.join("checkpoint"))
            .map_err(|e| Error::io(dir.join("checkpoint"), e))?;
        let meta: HashMap<String, String> = [
            ("generation".to_string(), self.generation.to_string()),
            ("evaluations".to_string(), self.evaluations.to_string()),
            ("seconds".to_string(), format!("{}", self.seconds)),
        ]
        .into();
        let views = vec![
            (
                "archive",
                safetensors::tensor::TensorView::new(
                    safetensors::Dtype::F32,
                    vec![classes, genes],
                    bytemuck::cast_slice(&self.archive),
                )
                .expect("shape"),
            ),
            (
                "conf",
                safetensors::tensor::TensorView::new(
                    safetensors::Dtype::F32,
                    vec![classes],
                    bytemuck::cast_slice(&self.conf),
                )
                .expect("shape"),
            ),
        ];
        let bytes = safetensors::serialize(views, Some(meta)).expect("f32 tensors serialise");
        write_atomic(&checkpoint_path(dir), &bytes)
    }

    pub fn load(dir: &Path, classes: usize, genes: usize) -> Result<Checkpoint> {
        let path = checkpoint_path(dir);
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        let bad = |message: String| Error::Data {
            path: path.clone(),
            message,
        };
        let (_, header) = safetensors::SafeTensors::read_metadata(&bytes)
            .map_err(|e| bad(format!("not a valid checkpoint: {e}")))?;
        let st = safetensors::SafeTensors::deserialize(&bytes)
            .map_err(|e| bad(format!("not a valid checkpoint: {e}")))?;
        let meta = header.metadata().clone().unwrap_or_default();
        let field = |k: &str| {
            meta.get(k)
                .cloned()
                .ok_or_else(|| bad(format!("no '{k}' in the checkpoint's metadata")))
        };
        let tensor = |name: &str, len: usize| -> Result<Vec<f32>> {
            let t = st
                .tensor(name)
                .map_err(|_| bad(format!("no tensor '{name}'")))?;
            if t.dtype() != safetensors::Dtype::F32 || t.data().len() != len * 4 {
                return Err(bad(format!(
                    "tensor '{name}' should be {len} f32, found {:?} {:?}",
                    t.dtype(),
                    t.shape()
                )));
            }
            Ok(bytemuck::pod_collect_to_vec(t.data()))
        };
        Ok(Checkpoint {
            generation: field("generation")?
                .parse()
                .map_err(|e| bad(format!("generation: {e}")))?,
            evaluations: field("evaluations")?
                .parse()
                .map_err(|e| bad(format!("evaluations: {e}")))?,
            seconds: field("seconds")?
                .parse()
                .map_err(|e| bad(format!("seconds: {e}")))?,
            archive: tensor("archive", classes * genes)?,
            conf: tensor("conf", classes)?,
        })
    }
}

impl RunConfig {
    pub fn save(&self, dir: &Path) -> Result<()> {
        save_toml(&dir.join("config.toml"), self)
    }

    pub fn load(dir: &Path) -> Result<RunConfig> {
        load_toml(&dir.join("config.toml"), "a run configuration")
    }
}

/// The directory of run `index` of a study in `dir` (`--run-index`).
pub fn study_run(dir: &Path, index: u32) -> PathBuf {
    dir.join(format!("run-{index:03}"))
}

/// Keeps the rows of `stats.csv` and `cells.csv` up to `generation` (a resumed run rewrites
/// what followed its checkpoint), creating the files with their headers when missing;
/// returns `stats.csv`'s text. `cells` is the number of cells (`cells.csv` has a column each).
pub fn truncate_stats(dir: &Path, generation: u32, cells: usize) -> Result<String> {
    let cells_header = std::iter::once("generation".to_string())
        .chain((0..cells).map(|c| c.to_string()))
        .collect::<Vec<_>>()
        .join(",");
    truncate_csv(&dir.join("cells.csv"), &cells_header, generation)?;
    truncate_csv(&dir.join("stats.csv"), STATS_HEADER, generation)
}

fn truncate_csv(path: &Path, header: &str, generation: u32) -> Result<String> {
    let mut out = format!("{header}\n");
    let columns = header.split(',').count();
    if let Ok(text) = std::fs::read_to_string(path) {
        for line in text.lines().skip(1) {
            let complete = line.split(',').count() == columns;
            match line.split(',').next().and_then(|g| g.parse::<u32>().ok()) {
                Some(g) if g <= generation && complete => {
                    out.push_str(line);
                    out.push('\n');
                }
                _ => {}
            }
        }
    }
    write_atomic(path, out.as_bytes())?;
    Ok(out)
}

/// A row of `cells.csv`: the generation and every cell's confidence.
pub fn cells_row(generation: u32, conf: &[f32]) -> String {
    std::iter::once(generation.to_string())
        .chain(conf.iter().map(|c| c.to_string()))
        .collect::<Vec<_>>()
        .join(",")
}

/// File-name-safe form of a label.
pub(crate) fn slug(label: &str) -> String {
    label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// Writes `archive/`, `champions.csv` and `gallery.png` for `w × h` elites, grey or RGB
/// interleaved (`pixels` holds one or three bytes per pixel).
pub fn write_outputs(
    dir: &Path,
    labels: &[String],
    conf: &[f32],
    pixels: &[u8],
    w: usize,
    h: usize,
) -> Result<()> {
    let archive_dir = dir.join("archive");
    std::fs::create_dir_all(&archive_dir).map_err(|e| Error::io(&archive_dir, e))?;
    let mut csv = String::from("class,label,confidence,image\n");
    let mut tiles = Vec::new();
    let n = pixels.len() / labels.len().max(1);
    for (c, label) in labels.iter().enumerate() {
        let name = format!("archive/{c:04}_{}.png", slug(label));
        let px = &pixels[c * n..(c + 1) * n];
        save_png(&dir.join(&name), px, w, h)?;
        csv.push_str(&format!(
            "{c},{},{},{name}\n",
            label.replace(',', ";"),
            conf[c]
        ));
        tiles.push(Tile {
            pixels: px,
            caption: label.clone(),
            sub: format!("{:.5}%", conf[c] as f64 * 100.0),
        });
    }
    write_atomic(&dir.join("champions.csv"), csv.as_bytes())?;
    let columns = (labels.len() as f64).sqrt().ceil() as usize;
    save_gallery(&dir.join("gallery.png"), &tiles, w, h, 4, columns.max(5))
}

/// What the run loop needs of a search, whatever its encoding.
pub trait Search {
    /// Runs `n` generations.
    fn step(&mut self, n: u32) -> Result<()>;
    /// The cells' confidences (waits for the device).
    fn confidences(&self) -> Result<Vec<f32>>;
    fn generation(&self) -> u32;
    fn evaluations(&self) -> u64;
    /// The 8-bit pixels of every cell's elite before any crop: grey, or RGB interleaved.
    fn archive_pixels(&self) -> Result<Vec<u8>>;
    /// `(width, height)` of those pictures.
    fn picture(&self) -> (usize, usize);
    /// Writes the checkpoint (atomically) with the run's wall-clock `seconds` so far.
    fn checkpoint(&self, dir: &Path, conf: &[f32], seconds: f64) -> Result<()>;
    /// Continues from the checkpoint in `dir`; returns the seconds the run had taken.
    fn resume(&mut self, dir: &Path) -> Result<f64>;
}

impl Search for super::DirectSearch<'_> {
    fn step(&mut self, n: u32) -> Result<()> {
        super::DirectSearch::step(self, n);
        Ok(())
    }
    fn confidences(&self) -> Result<Vec<f32>> {
        super::DirectSearch::confidences(self)
    }
    fn generation(&self) -> u32 {
        self.generation
    }
    fn evaluations(&self) -> u64 {
        self.evaluations
    }
    fn archive_pixels(&self) -> Result<Vec<u8>> {
        super::DirectSearch::archive_pixels(self)
    }
    fn picture(&self) -> (usize, usize) {
        let (w, h, _) = self.imaging.picture(&self.net.arch);
        (w, h)
    }
    fn checkpoint(&self, dir: &Path, conf: &[f32], seconds: f64) -> Result<()> {
        Checkpoint {
            generation: self.generation,
            evaluations: self.evaluations,
            seconds,
            archive: self.archive()?,
            conf: conf.to_vec(),
        }
        .save(dir, self.classes, self.genes)
    }
    fn resume(&mut self, dir: &Path) -> Result<f64> {
        let cp = Checkpoint::load(dir, self.classes, self.genes)?;
        self.restore(cp.generation, cp.evaluations, &cp.archive, &cp.conf)?;
        Ok(cp.seconds)
    }
}

/// A CPPN run's checkpoint: `checkpoint/state.json`, one file written atomically.
#[derive(serde::Serialize, serde::Deserialize)]
struct CppnCheckpoint {
    generation: u32,
    evaluations: u64,
    seconds: f64,
    conf: Vec<f32>,
    archive: Vec<super::cppn::Cppn>,
}

impl Search for super::CppnSearch<'_> {
    fn step(&mut self, n: u32) -> Result<()> {
        super::CppnSearch::step(self, n)
    }
    fn confidences(&self) -> Result<Vec<f32>> {
        Ok(self.conf_host.clone())
    }
    fn generation(&self) -> u32 {
        self.generation
    }
    fn evaluations(&self) -> u64 {
        self.evaluations
    }
    fn archive_pixels(&self) -> Result<Vec<u8>> {
        super::CppnSearch::archive_pixels(self)
    }
    fn picture(&self) -> (usize, usize) {
        let (w, h, _) = self.imaging.picture(&self.net.arch);
        (w, h)
    }
    fn checkpoint(&self, dir: &Path, conf: &[f32], seconds: f64) -> Result<()> {
        let cp = CppnCheckpoint {
            generation: self.generation,
            evaluations: self.evaluations,
            seconds,
            conf: conf.to_vec(),
            archive: self.archive.clone(),
        };
        std::fs::create_dir_all(dir.join("checkpoint"))
            .map_err(|e| Error::io(dir.join("checkpoint"), e))?;
        let json = serde_json::to_vec(&cp).expect("a checkpoint serialises");
        write_atomic(&dir.join("checkpoint").join("state.json"), &json)
    }
    fn resume(&mut self, dir: &Path) -> Result<f64> {
        let path = dir.join("checkpoint").join("state.json");
        let text = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        let cp: CppnCheckpoint = serde_json::from_slice(&text).map_err(|e| Error::Data {
            path: path.clone(),
            message: format!("not a CPPN checkpoint: {e}"),
        })?;
        self.restore(cp.generation, cp.evaluations, cp.archive, &cp.conf)?;
        Ok(cp.seconds)
    }
}
