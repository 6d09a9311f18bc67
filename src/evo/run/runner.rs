//! The [`Runner`]: one evolution run from its first generation (or its checkpoint) to its
//! last, writing `stats.csv` and `cells.csv` as it goes, a checkpoint every
//! `checkpoint_every` generations and when stopped, and the outputs at the end. It reads the
//! cells' confidences every `stats_every` generations (the only host round trip of the
//! loop) and reports them to an [`Observer`]; printing is the observer's business.

use super::{truncate_stats, write_outputs, EvolveSettings, RunConfig, Search};
use crate::error::{Error, Result};
use crate::evo::{CppnSearch, DirectSearch, Imaging};
use crate::gpu::Gpu;
use crate::io::{lock_dir, sha256_file, DirLock};
use crate::nn::{self, Network};
use crate::signal::Stop;
use crate::stats::Stats;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Where a run stands after a recorded generation.
#[derive(Clone, Debug)]
pub struct Progress {
    pub generation: u32,
    /// The run's last generation.
    pub generations: u32,
    pub stats: Stats,
    pub evaluations: u64,
    /// Evaluations per second in this process (a resumed run counts from its resumption).
    pub rate: f64,
    /// Generations run since the previous report.
    pub step: u32,
}

/// What a run tells whoever watches it. Both methods do nothing by default.
pub trait Observer {
    /// The run starts (or resumes) at `generation` of `generations`.
    fn started(&mut self, _generation: u32, _generations: u32, _resumed: bool) {}
    /// A generation was recorded.
    fn progress(&mut self, _p: &Progress) {}
}

/// An observer that watches nothing.
impl Observer for () {}

/// How a run ended.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub dir: PathBuf,
    pub generation: u32,
    pub cells: usize,
    pub stats: Stats,
    pub evaluations: u64,
    /// Wall-clock seconds of the whole run, earlier sessions included.
    pub seconds: f64,
    /// Stopped by this signal (a checkpoint was written).
    pub stopped_by: Option<i32>,
}

/// One run directory with its search, ready to run.
pub struct Runner<'g> {
    dir: PathBuf,
    config: RunConfig,
    search: Box<dyn Search + 'g>,
    labels: Vec<String>,
    resumed: bool,
    /// Wall-clock seconds of the sessions before this one.
    seconds_before: f64,
    /// The run directory's lock, held until the runner is dropped.
    _lock: DirLock,
}

/// Refuses non-finite confidences: the network overflowed, and a NaN is no result.
fn finite(net: &str, conf: &[f32]) -> Result<()> {
    match conf.iter().position(|c| !c.is_finite()) {
        Some(c) => Err(Error::Gpu {
            context: format!("network {net}"),
            message: format!(
                "cell {c}'s confidence is {}: the network's activations overflowed (check its weights)",
                conf[c]
            ),
        }),
        None => Ok(()),
    }
}

fn option(option: String, message: String) -> Error {
    Error::Option { option, message }
}

impl<'g> Runner<'g> {
    /// A new run with settings `settings` in `dir`, which must not hold a run already.
    pub fn create(gpu: &'g Gpu, dir: &Path, settings: &EvolveSettings) -> Result<Runner<'g>> {
        let config = RunConfig::new(settings)?;
        let existed = dir.exists();
        let lock = lock_dir(dir)?;
        if dir.join("config.toml").exists() {
            return Err(option(
                format!("--out {}", dir.display()),
                format!(
                    "holds a run already; continue it with --resume {} or choose another directory",
                    dir.display()
                ),
            ));
        }
        crate::io::check_new_dir("--out", dir)?;
        Runner::open(gpu, dir, config, false, lock).inspect_err(|_| {
            // a run that could not start leaves no directory it made
            if !existed {
                let _ = std::fs::remove_file(dir.join(".lock"));
                let _ = std::fs::remove_dir(dir);
            }
        })
    }

    /// The run in `dir`, continued from its checkpoint; `generations` extends (or shortens)
    /// it. The weights and mean image must be the ones it started with.
    pub fn resume(gpu: &'g Gpu, dir: &Path, generations: Option<u32>) -> Result<Runner<'g>> {
        if !dir.join("config.toml").exists() {
            return Err(option(
                format!("--resume {}", dir.display()),
                "holds no run (no config.toml)".into(),
            ));
        }
        let lock = lock_dir(dir)?;
        let mut config = RunConfig::load(dir)?;
        if let Some(g) = generations {
            config.generations = g;
        }
        // a setting refused here came from the run's file, not the command line
        config
            .check()
            .and_then(|_| Runner::open(gpu, dir, config, true, lock))
            .map_err(|e| e.in_file(&dir.join("config.toml")))
    }

    fn open(
        gpu: &'g Gpu,
        dir: &Path,
        config: RunConfig,
        resume: bool,
        lock: DirLock,
    ) -> Result<Runner<'g>> {
        let loaded = nn::load_recorded(&config.net, &config.weights, config.preprocess.as_ref())?;
        let changed = |what: &str, path: &Path| {
            option(
                format!("--resume {}", dir.display()),
                format!(
                    "the {what} {} changed since the run started (sha256 differs)",
                    path.display()
                ),
            )
        };
        if resume && loaded.sha256 != config.weights_sha256 {
            return Err(changed("weights", &config.weights));
        }
        let (arch, weights) = (loaded.arch, loaded.weights);
        let imaging = match &config.color {
            None => Imaging::Grey,
            Some(c) => {
                let [_, h, w] = arch.input;
                let mean = match &c.mean_image {
                    Some(p) => {
                        if resume && Some(sha256_file(p)?) != c.mean_image_sha256 {
                            return Err(changed("mean image", p));
                        }
                        let px =
                            crate::imaging::load::load_color_cropped(p, w, h, arch.pixels.order)
                                .map_err(|e| Error::setting("mean_image", e.to_string()))?;
                        Some(px.iter().map(|&v| v as f32).collect())
                    }
                    None => None,
                };
                Imaging::color(&arch, c.model, c.size, c.crops, mean)?
            }
        };
        let labels = arch.labels.clone();
        let net = Network::new(gpu, arch, &weights)?;
        let mut search: Box<dyn Search + 'g> = match (&config.direct, &config.cppn) {
            (Some(d), _) => Box::new(DirectSearch::with_imaging(gpu, net, d.clone(), imaging)?),
            (None, Some(c)) => Box::new(CppnSearch::with_imaging(gpu, net, c.clone(), imaging)?),
            (None, None) => {
                return Err(Error::Data {
                    path: dir.join("config.toml"),
                    message: "names no encoding's settings".into(),
                })
            }
        };
        // a run stopped before its first checkpoint resumes from its start: every draw
        // depends only on the seed, so it ends as the uninterrupted run would
        let resume = resume && search.checkpoint_file(dir).exists();
        let seal = config.seal();
        let seconds_before = if resume {
            search.resume(dir, &seal, config.generations)?
        } else {
            0.0
        };
        Ok(Runner {
            dir: dir.into(),
            config,
            search,
            labels,
            resumed: resume,
            seconds_before,
            _lock: lock,
        })
    }

    /// The generation the run stands at (a resumed run: its checkpoint's).
    pub fn generation(&self) -> u32 {
        self.search.generation()
    }

    /// The run's effective configuration.
    pub fn config(&self) -> &RunConfig {
        &self.config
    }

    /// Runs to the last generation, or until `stop` is requested (then a checkpoint is
    /// written and the outcome says which signal stopped it).
    pub fn run(mut self, observer: &mut dyn Observer, stop: &Stop) -> Result<Outcome> {
        let dir = self.dir.clone();
        let seal = self.config.seal();
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let start = Instant::now();
        let search = &mut self.search;
        let cells = search.confidences()?.len();
        // a resumed run keeps the rows up to its checkpoint; a fresh start keeps none
        let kept = self.resumed.then(|| search.generation());
        truncate_stats(&dir, kept, cells)?;
        let seconds_before = self.seconds_before;
        observer.started(search.generation(), self.config.generations, self.resumed);
        self.config.save(&dir)?;
        let append = |name: &str| {
            let path = dir.join(name);
            std::fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .map_err(|e| Error::io(path, e))
        };
        let (mut stats, mut per_cell) = (append("stats.csv")?, append("cells.csv")?);
        let seconds = |start: &Instant| seconds_before + start.elapsed().as_secs_f64();
        let mut record = |generation: u32, evaluations: u64, conf: &[f32], s: f64| {
            let row = Stats::of(conf).csv_row(generation, evaluations, s);
            writeln!(stats, "{row}")
                .and_then(|_| writeln!(per_cell, "{}", super::cells_row(generation, conf)))
                .and_then(|_| stats.flush())
                .and_then(|_| per_cell.flush())
                .map_err(|e| Error::io(dir.join("stats.csv"), e))
        };
        let mut conf = search.confidences()?;
        finite(&self.config.net, &conf)?;
        if !self.resumed {
            record(0, search.evaluations(), &conf, seconds(&start))?;
        }
        let run_start_evals = search.evaluations();
        let generations = self.config.generations;
        while search.generation() < generations && !stop.requested() {
            let n = self
                .config
                .stats_every
                .min(generations - search.generation());
            search.step(n)?;
            conf = search.confidences()?;
            finite(&self.config.net, &conf)?;
            let (generation, evaluations) = (search.generation(), search.evaluations());
            record(generation, evaluations, &conf, seconds(&start))?;
            observer.progress(&Progress {
                generation,
                generations,
                stats: Stats::of(&conf),
                evaluations,
                rate: (evaluations - run_start_evals) as f64 / start.elapsed().as_secs_f64(),
                step: n,
            });
            if generation % self.config.checkpoint_every < n {
                search.checkpoint(&dir, &conf, seconds(&start), &seal)?;
            }
        }
        search.checkpoint(&dir, &conf, seconds(&start), &seal)?;
        let (w, h) = search.picture();
        write_outputs(
            &dir,
            &self.labels[..conf.len()],
            &conf,
            &search.archive_pixels()?,
            w,
            h,
        )?;
        Ok(Outcome {
            dir,
            generation: search.generation(),
            cells: conf.len(),
            stats: Stats::of(&conf),
            evaluations: search.evaluations(),
            seconds: seconds(&start),
            stopped_by: stop.signal(),
        })
    }
}
