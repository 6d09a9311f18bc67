//! The [`Runner`]: one evolution run, or a batch of independent runs evolved together on the
//! device (a study's runs `OUT/run-NNN`, seeds `seed + index`), from their first generation
//! (or their checkpoints) to their last, writing each run's `stats.csv` and `cells.csv` as
//! it goes, checkpoints every `checkpoint_every` generations and when stopped, and the
//! outputs at the end. Each run's directory is the one that run makes alone, byte for byte
//! but for the wall-clock seconds and the command line. It reads the cells' confidences
//! every `stats_every` generations (the only host round trip of the loop) and reports them
//! to an [`Observer`]; printing is the observer's business.

use super::checkpoint::RunMark;
use super::open::{imaging_of, search_of};
use super::{
    study_run, study_seed, truncate_stats, write_outputs, EvolveSettings, RunConfig, Search,
};
use crate::command_line::{flag, CommandLine};
use crate::error::{Error, Result};
use crate::gpu::Gpu;
use crate::io::{lock_dir, DirLock};
use crate::nn::{self, Network};
use crate::rundir::rows::GenerationRow;
use crate::signal::Stop;
use crate::stats::Stats;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Where a run (or a batch of runs) stands after a recorded generation.
#[derive(Clone, Debug)]
pub struct Progress {
    pub generation: u32,
    /// The run's last generation.
    pub generations: u32,
    /// Over every run's cells.
    pub stats: Stats,
    /// Each run's evaluations.
    pub evaluations: u64,
    /// Evaluations per second in this process, all runs together (a resumed run counts
    /// from its resumption).
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

/// One run's directory in a runner.
struct RunDir {
    dir: PathBuf,
    config: RunConfig,
    /// `config.seal()`: what ties the run's checkpoints to it.
    seal: String,
    /// Wall-clock seconds of the sessions before this one.
    seconds_before: f64,
    /// The run directory's lock, held until the runner is dropped.
    _lock: DirLock,
}

/// A run, or a batch of runs, with their search, ready to run.
pub struct Runner<'g> {
    runs: Vec<RunDir>,
    search: Box<dyn Search + 'g>,
    labels: Vec<String>,
    resumed: bool,
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

/// The most runs one device batch holds: each keeps its directory locked (a file open) and
/// its cells on the device; larger studies are job arrays of batches (`--run-index`).
pub const MAX_RUNS: u32 = 512;

/// The directories and seeds of runs `first .. first + runs` of the study in `out`.
fn study(out: &Path, seed: u32, first: u32, runs: u32) -> Result<Vec<(PathBuf, u32)>> {
    if runs == 0 || runs > MAX_RUNS {
        return Err(Error::setting(
            "runs",
            format!("{runs}: a batch holds 1 to {MAX_RUNS} runs; run a larger study as a job array of batches ({})", flag("run_index")),
        ));
    }
    (0..runs)
        .map(|i| {
            let index = first.checked_add(i).ok_or_else(|| {
                Error::setting(
                    "runs",
                    format!("run index {first} + {i} does not fit 32 bits"),
                )
            })?;
            Ok((study_run(out, index), study_seed(seed, index)?))
        })
        .collect()
}

impl<'g> Runner<'g> {
    /// A new run with settings `settings` in `dir`, which must not hold a run already.
    pub fn create(gpu: &'g Gpu, dir: &Path, settings: &EvolveSettings) -> Result<Runner<'g>> {
        Runner::create_all(gpu, vec![(dir.to_path_buf(), RunConfig::new(settings)?)])
    }

    /// Runs `first .. first + runs` of the study in `out` (`out/run-NNN`, seed `settings.seed
    /// + index`, each as `fooling evolve --run-index` makes it), new, as one device batch.
    pub fn create_batch(
        gpu: &'g Gpu,
        out: &Path,
        settings: &EvolveSettings,
        (first, runs): (u32, u32),
    ) -> Result<Runner<'g>> {
        let config = RunConfig::new(settings)?;
        let dirs = study(out, settings.seed, first, runs)?
            .into_iter()
            .map(|(dir, seed)| (dir, config.with_seed(seed)))
            .collect();
        Runner::create_all(gpu, dirs)
    }

    fn create_all(gpu: &'g Gpu, runs: Vec<(PathBuf, RunConfig)>) -> Result<Runner<'g>> {
        let mut made = Vec::new();
        let mut slots = Vec::new();
        let result = (|| {
            for (dir, config) in runs {
                if !dir.exists() {
                    made.push(dir.clone());
                }
                let lock = lock_dir(&dir)?;
                if dir.join("config.toml").exists() {
                    return Err(Error::setting_value(
                        "out",
                        dir.display(),
                        format!(
                            "holds a run already; continue it with `{}` or choose another directory",
                            CommandLine::new("evolve").arg("resume", dir.display())
                        ),
                    ));
                }
                crate::io::check_new_dir("out", &dir)?;
                slots.push((dir, config, lock));
            }
            Runner::open(gpu, slots, false)
        })();
        result.inspect_err(|_| {
            // runs that could not start leave no directory they made
            for dir in made.iter().rev() {
                let _ = std::fs::remove_file(dir.join(".lock"));
                let _ = std::fs::remove_dir(dir);
            }
        })
    }

    /// The run in `dir`, continued from its checkpoint; `generations` extends (or shortens)
    /// it. The weights and mean image must be the ones it started with.
    pub fn resume(gpu: &'g Gpu, dir: &Path, generations: Option<u32>) -> Result<Runner<'g>> {
        Runner::resume_all(gpu, &[dir.to_path_buf()], generations)
    }

    /// Runs `first .. first + runs` of the study in `out`, continued from their checkpoints
    /// as one device batch: they must be one batch's runs (the same settings, seeds `seed +
    /// index`) at the same generation.
    pub fn resume_batch(
        gpu: &'g Gpu,
        out: &Path,
        (first, runs): (u32, u32),
        generations: Option<u32>,
    ) -> Result<Runner<'g>> {
        let dirs: Vec<PathBuf> = study(out, 0, first, runs)?
            .into_iter()
            .map(|(dir, _)| dir)
            .collect();
        Runner::resume_all(gpu, &dirs, generations)
    }

    fn resume_all(gpu: &'g Gpu, dirs: &[PathBuf], generations: Option<u32>) -> Result<Runner<'g>> {
        let mut slots: Vec<(PathBuf, RunConfig, DirLock)> = Vec::new();
        for dir in dirs {
            if !dir.join("config.toml").exists() {
                return Err(Error::setting_value(
                    "resume",
                    dir.display(),
                    "holds no run (no config.toml)",
                ));
            }
            let lock = lock_dir(dir)?;
            let in_file = |e: Error| e.in_file(&dir.join("config.toml"));
            let mut config = RunConfig::load(dir)?;
            if let Some(g) = generations {
                config.generations = g;
            }
            // a setting refused here came from the run's file, not the command line
            config.check().map_err(in_file)?;
            if let Some((_, first, _)) = slots.first() {
                let seed = first.seed().checked_add(slots.len() as u32);
                if seed != Some(config.seed()) || !config.with_seed(first.seed()).same_run_as(first)
                {
                    return Err(in_file(Error::setting(
                        "seed",
                        format!(
                            "is not run {} of the batch that {} starts (the same settings, seed {} + {}): resume it alone",
                            slots.len(),
                            dirs[0].display(),
                            first.seed(),
                            slots.len()
                        ),
                    )));
                }
            }
            slots.push((dir.clone(), config, lock));
        }
        let first = dirs[0].join("config.toml");
        Runner::open(gpu, slots, true).map_err(|e| e.in_file(&first))
    }

    fn open(
        gpu: &'g Gpu,
        slots: Vec<(PathBuf, RunConfig, DirLock)>,
        resume: bool,
    ) -> Result<Runner<'g>> {
        let (dir, config) = (&slots[0].0, &slots[0].1);
        let loaded = nn::load_recorded(
            &config.net,
            &config.weights,
            config.preprocess.as_ref(),
            &dir.join("config.toml"),
        )?;
        let changed = |what: &str, path: &Path| {
            Error::setting_value(
                "resume",
                dir.display(),
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
        let imaging = imaging_of(config, &arch, resume, &changed)?;
        let labels = arch.labels.clone();
        let net = Network::new(gpu, arch, &weights)?;
        let n = slots.len();
        let mut search = search_of(gpu, net, config, imaging, n)?;
        // a run stopped before its first checkpoint resumes from its start: every draw
        // depends only on the seed, so it ends as the uninterrupted run would
        let present = slots
            .iter()
            .filter(|(d, _, _)| search.checkpoint_file(d).exists())
            .count();
        if resume && present != 0 && present != n {
            return Err(Error::setting_value(
                "resume",
                dir.display(),
                format!(
                    "{present} of the batch's {n} runs have a checkpoint: resume each run alone"
                ),
            ));
        }
        let resume = resume && present == n;
        let seals: Vec<String> = slots.iter().map(|(_, c, _)| c.seal()).collect();
        let seconds_before = if resume {
            let marks: Vec<(&Path, &str)> = slots
                .iter()
                .zip(&seals)
                .map(|((d, _, _), s)| (d.as_path(), s.as_str()))
                .collect();
            search.resume(&marks, config.generations)?
        } else {
            vec![0.0; n]
        };
        Ok(Runner {
            runs: slots
                .into_iter()
                .zip(seals)
                .zip(seconds_before)
                .map(|(((dir, config, lock), seal), seconds_before)| RunDir {
                    dir,
                    config,
                    seal,
                    seconds_before,
                    _lock: lock,
                })
                .collect(),
            search,
            labels,
            resumed: resume,
        })
    }

    /// The generation the runs stand at (resumed runs: their checkpoints').
    pub fn generation(&self) -> u32 {
        self.search.generation()
    }

    /// The (first) run's effective configuration.
    pub fn config(&self) -> &RunConfig {
        &self.runs[0].config
    }

    /// Runs to the last generation, or until `stop` is requested (then checkpoints are
    /// written and the outcomes say which signal stopped them); one outcome per run.
    pub fn run(mut self, observer: &mut dyn Observer, stop: &Stop) -> Result<Vec<Outcome>> {
        let start = Instant::now();
        let mut conf = self.search.confidences()?;
        let cells = conf.len() / self.runs.len();
        // a resumed run keeps the rows up to its checkpoint; a fresh start keeps none
        let kept = self.resumed.then(|| self.search.generation());
        let mut files = self.open_logs(kept, cells)?;
        let search = &mut self.search;
        let config = self.runs[0].config.clone();
        observer.started(search.generation(), config.generations, self.resumed);
        let seconds = |run: &RunDir| run.seconds_before + start.elapsed().as_secs_f64();
        let record = |files: &mut Vec<(File, File)>,
                      generation: u32,
                      evaluations: u64,
                      conf: &[f32]|
         -> Result<()> {
            for ((run, (stats, per_cell)), conf) in self
                .runs
                .iter()
                .zip(files.iter_mut())
                .zip(conf.chunks(cells))
            {
                let path = run.dir.join("stats.csv");
                let row =
                    GenerationRow::new(generation, evaluations, &Stats::of(conf), seconds(run));
                let row = crate::rundir::rows::line(&path, &row)?;
                let cells_row = super::cells_row(&run.dir.join("cells.csv"), generation, conf)?;
                stats
                    .write_all(row.as_bytes())
                    .and_then(|_| per_cell.write_all(cells_row.as_bytes()))
                    .and_then(|_| stats.flush())
                    .and_then(|_| per_cell.flush())
                    .map_err(|e| Error::io(run.dir.join("stats.csv"), e))?;
            }
            Ok(())
        };
        let checkpoint = |search: &dyn Search, conf: &[f32]| {
            let marks: Vec<RunMark<'_>> = self
                .runs
                .iter()
                .map(|run| RunMark {
                    dir: &run.dir,
                    seal: &run.seal,
                    seconds: seconds(run),
                })
                .collect();
            search.checkpoint(&marks, conf)
        };
        finite(&config.net, &conf)?;
        if !self.resumed {
            record(&mut files, 0, search.evaluations(), &conf)?;
        }
        let run_start_evals = search.evaluations();
        let generations = config.generations;
        let n_runs = self.runs.len() as f64;
        while search.generation() < generations && !stop.requested() {
            let n = config.stats_every.min(generations - search.generation());
            if search.step(n, stop)? == 0 {
                break; // stopped inside the step's first generation: nothing new to record
            }
            conf = search.confidences()?;
            finite(&config.net, &conf)?;
            let (generation, evaluations) = (search.generation(), search.evaluations());
            record(&mut files, generation, evaluations, &conf)?;
            observer.progress(&Progress {
                generation,
                generations,
                stats: Stats::of(&conf),
                evaluations,
                rate: n_runs * (evaluations - run_start_evals) as f64
                    / start.elapsed().as_secs_f64(),
                step: n,
            });
            if generation % config.checkpoint_every < n {
                checkpoint(search.as_ref(), &conf)?;
            }
        }
        checkpoint(search.as_ref(), &conf)?;
        let seconds: Vec<f64> = self.runs.iter().map(seconds).collect();
        self.outcomes(&conf, &seconds, stop)
    }

    /// Each run's directory made, its `stats.csv` and `cells.csv` kept up to generation
    /// `kept` (none for a fresh start) and opened to append, its configuration saved.
    fn open_logs(&self, kept: Option<u32>, cells: usize) -> Result<Vec<(File, File)>> {
        let mut files = Vec::new();
        for run in &self.runs {
            std::fs::create_dir_all(&run.dir).map_err(|e| Error::io(&run.dir, e))?;
            truncate_stats(&run.dir, kept, cells)?;
            run.config.save(&run.dir)?;
            let append = |name: &str| {
                let path = run.dir.join(name);
                std::fs::OpenOptions::new()
                    .append(true)
                    .open(&path)
                    .map_err(|e| Error::io(path, e))
            };
            files.push((append("stats.csv")?, append("cells.csv")?));
        }
        Ok(files)
    }

    /// Each run's champions written, and its outcome: `conf` every run's cells, `seconds`
    /// each run's time.
    fn outcomes(&self, conf: &[f32], seconds: &[f64], stop: &Stop) -> Result<Vec<Outcome>> {
        let search = &self.search;
        let cells = conf.len() / self.runs.len();
        let (w, h) = search.picture();
        let pixels = search.archive_pixels()?;
        let per_run = pixels.len() / self.runs.len();
        let mut outcomes = Vec::new();
        for (((run, conf), pixels), &seconds) in self
            .runs
            .iter()
            .zip(conf.chunks(cells))
            .zip(pixels.chunks(per_run))
            .zip(seconds)
        {
            write_outputs(&run.dir, &self.labels[..cells], conf, pixels, w, h)?;
            outcomes.push(Outcome {
                dir: run.dir.clone(),
                generation: search.generation(),
                cells,
                stats: Stats::of(conf),
                evaluations: search.evaluations(),
                seconds,
                stopped_by: stop.signal(),
            });
        }
        Ok(outcomes)
    }
}
