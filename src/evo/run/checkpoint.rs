//! Checkpoints: `checkpoint/state.safetensors` (direct: the generation, the archive's genes
//! and confidences) or `checkpoint/state.json` (CPPN: the programs), each one file written
//! atomically, and the [`Search`] trait through which the run loop saves and restores either.
//!
//! A checkpoint is sealed to its run: it carries the run's seal (`RunConfig::seal`, a hash
//! of every parameter that shapes the run and of the network's weights) and the sha256 of
//! its own contents. A resume refuses a checkpoint of another run, one whose contents were
//! changed, and impossible contents (confidences or genes outside [0, 1], a generation past
//! the run's end), naming the file.

use crate::command_line::flag;
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

/// The sha256 of a checkpoint's contents: its counters, then its f32 tensors' bytes.
fn digest(counters: &str, tensors: &[&[f32]]) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(counters.as_bytes());
    for t in tensors {
        h.update(bytemuck::cast_slice::<f32, u8>(t));
    }
    format!("{:x}", h.finalize())
}

/// Refuses contents no run can have: confidences or genes outside [0, 1] (NaN included), a
/// generation past the run's `last`.
fn check_contents(
    path: &Path,
    generation: u32,
    last: u32,
    conf: &[f32],
    genes: &[f32],
) -> Result<()> {
    let bad = |message: String| Error::Data {
        path: path.into(),
        message,
    };
    if generation > last {
        return Err(bad(format!(
            "generation {generation} is past the run's end ({last}); resume with {} {generation} or more",
            flag("generations")
        )));
    }
    if let Some((c, v)) = conf
        .iter()
        .enumerate()
        .find(|(_, v)| !(0.0..=1.0).contains(*v))
    {
        return Err(bad(format!(
            "cell {c}'s confidence {v} is not a probability"
        )));
    }
    if let Some((i, v)) = genes
        .iter()
        .enumerate()
        .find(|(_, v)| !(0.0..=1.0).contains(*v))
    {
        return Err(bad(format!("gene {i} is {v}, outside [0, 1]")));
    }
    Ok(())
}

impl Checkpoint {
    fn counters(&self) -> String {
        format!("{} {} {}", self.generation, self.evaluations, self.seconds)
    }

    /// Writes the checkpoint of the run sealed `seal`.
    pub fn save(&self, dir: &Path, classes: usize, genes: usize, seal: &str) -> Result<()> {
        std::fs::create_dir_all(dir.join("checkpoint"))
            .map_err(|e| Error::io(dir.join("checkpoint"), e))?;
        let meta: HashMap<String, String> = [
            ("generation".to_string(), self.generation.to_string()),
            ("evaluations".to_string(), self.evaluations.to_string()),
            ("seconds".to_string(), format!("{}", self.seconds)),
            ("run".to_string(), seal.to_string()),
            (
                "sha256".to_string(),
                digest(&self.counters(), &[&self.archive, &self.conf]),
            ),
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

    /// Reads the checkpoint of the run sealed `seal`, whose last generation is `last`.
    pub fn load(
        dir: &Path,
        classes: usize,
        genes: usize,
        seal: &str,
        last: u32,
    ) -> Result<Checkpoint> {
        let path = checkpoint_path(dir);
        // the archive's genes and confidences, and a header
        let size = (classes as u64 + 1) * (genes as u64 + 1) * 4 + (1 << 20);
        let bytes = crate::io::read::read_own(&path, size)?;
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
        if field("run")? != seal {
            return Err(bad(
                "is the checkpoint of another run: config.toml or the weights changed since it was written".into(),
            ));
        }
        let cp = Checkpoint {
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
        };
        if field("sha256")? != digest(&cp.counters(), &[&cp.archive, &cp.conf]) {
            return Err(bad(
                "its contents do not match their sha256: the file was changed".into(),
            ));
        }
        check_contents(&path, cp.generation, last, &cp.conf, &cp.archive)?;
        Ok(cp)
    }
}

/// Where one run of a search keeps its checkpoint: its directory, its seal, and its
/// wall-clock seconds so far.
pub struct RunMark<'a> {
    pub dir: &'a Path,
    pub seal: &'a str,
    pub seconds: f64,
}

/// What the run loop needs of a search, whatever its encoding. A search may hold a batch of
/// independent runs, all at the same generation; its cells are run by run.
pub trait Search {
    /// Runs `n` generations, or fewer when `stop` is requested inside one (that generation
    /// is abandoned, not half done); returns the generations completed.
    fn step(&mut self, n: u32, stop: &crate::signal::Stop) -> Result<u32>;
    /// Every run's cells' confidences, run by run (waits for the device).
    fn confidences(&self) -> Result<Vec<f32>>;
    fn generation(&self) -> u32;
    /// Children each run has evaluated.
    fn evaluations(&self) -> u64;
    /// Independent runs in the search.
    fn runs(&self) -> usize {
        1
    }
    /// The 8-bit pixels of every cell's elite before any crop, run by run: grey, or RGB
    /// interleaved.
    fn archive_pixels(&self) -> Result<Vec<u8>>;
    /// `(width, height)` of those pictures.
    fn picture(&self) -> (usize, usize);
    /// Writes each run's checkpoint (atomically) into its directory, sealed to it; `conf`
    /// holds every run's cells.
    fn checkpoint(&self, runs: &[RunMark<'_>], conf: &[f32]) -> Result<()>;
    /// Continues every run from its checkpoint (`runs[r]`: its directory and seal; all at
    /// the same generation), whose last generation is `last`; returns each run's seconds.
    fn resume(&mut self, runs: &[(&Path, &str)], last: u32) -> Result<Vec<f64>>;
    /// The checkpoint's file in the run directory `dir`.
    fn checkpoint_file(&self, dir: &Path) -> PathBuf;
}

impl Search for crate::evo::DirectSearch<'_> {
    fn step(&mut self, n: u32, stop: &crate::signal::Stop) -> Result<u32> {
        self.step_until(n, stop)
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
    fn runs(&self) -> usize {
        self.runs
    }
    fn checkpoint(&self, runs: &[RunMark<'_>], conf: &[f32]) -> Result<()> {
        let (classes, genes) = (self.classes, self.genes);
        let archive = self.archive()?;
        for (r, run) in runs.iter().enumerate() {
            Checkpoint {
                generation: self.generation,
                evaluations: self.evaluations,
                seconds: run.seconds,
                archive: archive[r * classes * genes..(r + 1) * classes * genes].to_vec(),
                conf: conf[r * classes..(r + 1) * classes].to_vec(),
            }
            .save(run.dir, classes, genes, run.seal)?;
        }
        Ok(())
    }
    fn resume(&mut self, runs: &[(&Path, &str)], last: u32) -> Result<Vec<f64>> {
        let mut cps = Vec::with_capacity(runs.len());
        for &(dir, seal) in runs {
            let cp = Checkpoint::load(dir, self.classes, self.genes, seal, last)?;
            same_generation(&cps, &cp, dir, runs[0].0)?;
            cps.push(cp);
        }
        let archive: Vec<f32> = cps.iter().flat_map(|c| c.archive.iter().copied()).collect();
        let conf: Vec<f32> = cps.iter().flat_map(|c| c.conf.iter().copied()).collect();
        self.restore(cps[0].generation, cps[0].evaluations, &archive, &conf)?;
        Ok(cps.iter().map(|c| c.seconds).collect())
    }
    fn checkpoint_file(&self, dir: &Path) -> PathBuf {
        checkpoint_path(dir)
    }
}

/// Refuses a batch's checkpoint that stands at another generation or count than the first
/// run's (a batch stopped while writing its checkpoints): each run can still be resumed
/// alone.
fn same_generation(
    earlier: &[Checkpoint],
    cp: &Checkpoint,
    dir: &Path,
    first: &Path,
) -> Result<()> {
    match earlier.first() {
        Some(c) if (c.generation, c.evaluations) != (cp.generation, cp.evaluations) => {
            Err(Error::Data {
                path: checkpoint_path(dir),
                message: format!(
                    "is at generation {} but {} is at {}: the batch was stopped while checkpointing; resume each run alone ({} DIR/run-NNN)",
                    flag("resume"),
                    cp.generation,
                    first.display(),
                    c.generation
                ),
            })
        }
        _ => Ok(()),
    }
}

/// A CPPN search holds one run.
fn one_run(n: usize) -> Error {
    Error::setting(
        "runs",
        format!(
            "a CPPN search holds one run, not {n}: run a batch with {} direct",
            flag("encoding")
        ),
    )
}

/// A CPPN run's state, as `checkpoint/state.json` holds it.
#[derive(serde::Serialize, serde::Deserialize)]
struct CppnCheckpoint {
    generation: u32,
    evaluations: u64,
    seconds: f64,
    conf: Vec<f32>,
    archive: Vec<crate::evo::cppn::Cppn>,
    /// The run's seal.
    #[serde(default)]
    run: String,
    /// Files of earlier versions: the sha256 of this JSON re-serialised with `sha256` empty.
    #[serde(default, skip_serializing)]
    sha256: String,
}

/// `checkpoint/state.json`: the state's JSON as written, and the sha256 of exactly those bytes
/// (a digest over a re-serialisation would hang on every float parsing back bit for bit).
#[derive(serde::Deserialize)]
struct SealedState<'a> {
    sha256: String,
    #[serde(borrow)]
    state: &'a serde_json::value::RawValue,
}

/// An earlier version's `state.json`, as its digest was taken: the fields in this order, the
/// digest empty.
#[derive(serde::Serialize)]
struct LegacyState<'a> {
    generation: u32,
    evaluations: u64,
    seconds: f64,
    conf: &'a [f32],
    archive: &'a [crate::evo::cppn::Cppn],
    run: &'a str,
    sha256: &'a str,
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(bytes))
}

impl CppnCheckpoint {
    /// The file's bytes: `{"sha256":"…","state":{…}}`.
    fn seal(&self) -> Vec<u8> {
        let state = serde_json::to_string(self).expect("a checkpoint serialises");
        format!(
            "{{\"sha256\":\"{}\",\"state\":{state}}}",
            sha256_hex(state.as_bytes())
        )
        .into_bytes()
    }

    /// Reads a file of [`CppnCheckpoint::seal`]'s form, or of an earlier version's (the state
    /// with its digest inside), refusing contents that do not match their digest.
    fn unseal(bytes: &[u8]) -> std::result::Result<CppnCheckpoint, String> {
        if let Ok(sealed) = serde_json::from_slice::<SealedState>(bytes) {
            if sealed.sha256 != sha256_hex(sealed.state.get().as_bytes()) {
                return Err("its contents do not match their sha256: the file was changed".into());
            }
            return serde_json::from_str(sealed.state.get())
                .map_err(|e| format!("not a CPPN checkpoint: {e}"));
        }
        let cp: CppnCheckpoint =
            serde_json::from_slice(bytes).map_err(|e| format!("not a CPPN checkpoint: {e}"))?;
        let unsealed = LegacyState {
            generation: cp.generation,
            evaluations: cp.evaluations,
            seconds: cp.seconds,
            conf: &cp.conf,
            archive: &cp.archive,
            run: &cp.run,
            sha256: "",
        };
        let old = sha256_hex(&serde_json::to_vec(&unsealed).expect("a checkpoint serialises"));
        if cp.sha256 != old {
            return Err("its contents do not match their sha256: the file was changed".into());
        }
        Ok(cp)
    }
}

impl Search for crate::evo::CppnSearch<'_> {
    /// A CPPN generation runs whole: the stop is honoured between generations.
    fn step(&mut self, n: u32, _stop: &crate::signal::Stop) -> Result<u32> {
        crate::evo::CppnSearch::step(self, n)?;
        Ok(n)
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
    fn checkpoint(&self, runs: &[RunMark<'_>], conf: &[f32]) -> Result<()> {
        let [run] = runs else {
            return Err(one_run(runs.len()));
        };
        let dir = run.dir;
        let cp = CppnCheckpoint {
            generation: self.generation,
            evaluations: self.evaluations,
            seconds: run.seconds,
            conf: conf.to_vec(),
            archive: self.archive.clone(),
            run: run.seal.into(),
            sha256: String::new(),
        };
        std::fs::create_dir_all(dir.join("checkpoint"))
            .map_err(|e| Error::io(dir.join("checkpoint"), e))?;
        write_atomic(&dir.join("checkpoint").join("state.json"), &cp.seal())
    }
    fn resume(&mut self, runs: &[(&Path, &str)], last: u32) -> Result<Vec<f64>> {
        let &[(dir, seal)] = runs else {
            return Err(one_run(runs.len()));
        };
        let path = self.checkpoint_file(dir);
        let text = crate::io::read::read_own(&path, crate::io::read::MODEL)?;
        let bad = |message: String| Error::Data {
            path: path.clone(),
            message,
        };
        let cp = CppnCheckpoint::unseal(&text).map_err(bad)?;
        if cp.run != seal {
            return Err(bad(
                "is the checkpoint of another run: config.toml or the weights changed since it was written".into(),
            ));
        }
        check_contents(&path, cp.generation, last, &cp.conf, &[])?;
        self.restore(cp.generation, cp.evaluations, cp.archive, &cp.conf)?;
        Ok(vec![cp.seconds])
    }
    fn checkpoint_file(&self, dir: &Path) -> PathBuf {
        dir.join("checkpoint").join("state.json")
    }
}
