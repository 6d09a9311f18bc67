//! Checkpoints: `checkpoint/state.safetensors` (direct: the generation, the archive's genes
//! and confidences) or `checkpoint/state.json` (CPPN: the programs), each one file written
//! atomically, and the [`Search`] trait through which the run loop saves and restores either.

use crate::error::{Error, Result};
use crate::io::write_atomic;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

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

impl Search for crate::evo::DirectSearch<'_> {
    fn step(&mut self, n: u32) -> Result<()> {
        crate::evo::DirectSearch::step(self, n);
        Ok(())
    }
    fn confidences(&self) -> Result<Vec<f32>> {
        crate::evo::DirectSearch::confidences(self)
    }
    fn generation(&self) -> u32 {
        self.generation
    }
    fn evaluations(&self) -> u64 {
        self.evaluations
    }
    fn archive_pixels(&self) -> Result<Vec<u8>> {
        crate::evo::DirectSearch::archive_pixels(self)
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
    archive: Vec<crate::evo::cppn::Cppn>,
}

impl Search for crate::evo::CppnSearch<'_> {
    fn step(&mut self, n: u32) -> Result<()> {
        crate::evo::CppnSearch::step(self, n)
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
        crate::evo::CppnSearch::archive_pixels(self)
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
