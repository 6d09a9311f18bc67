//! How each step of a reproduction runs: skipped when its outputs exist, resumed when an
//! evolution was interrupted, else started with the command line it stands for.

use super::{ReproduceObserver, Step};
use crate::ascent::AscentSettings;
use crate::command_line::CommandLine;
use crate::error::{Error, Result};
use crate::evo::run::{study_run, EvolveSettings, Runner};
use crate::experiments::retrain::{self, RetrainConfig, RetrainSettings};
use crate::experiments::transfer;
use crate::gpu::Gpu;
use std::path::Path;

impl Step {
    /// Does this step, or says it is done already.
    pub fn run(&self, gpu: &Gpu, observer: &mut dyn ReproduceObserver) -> Result<()> {
        let step = self;
        match self {
            Step::Evolve {
                dir,
                first,
                runs,
                settings,
            } => self.evolve_batch(gpu, dir, (*first, *runs), settings, observer)?,
            Step::Ascent { dir, settings } => {
                if dir.join("champions.csv").exists() {
                    observer.note(&format!("{} is done", dir.display()));
                    return Ok(());
                }
                if dir.join("config.toml").exists() {
                    std::fs::remove_dir_all(dir).map_err(|e| Error::io(dir, e))?;
                }
                observer.note(&format!("$ {}", step.command()));
                let settings = AscentSettings {
                    command: Some(step.command()),
                    ..settings.clone()
                };
                let o = crate::ascent::run(gpu, &settings, dir, observer.ascent())?;
                observer.note(&format!(
                    "{} iterations: median confidence {:.6}, {} of {} classes >= 0.9999",
                    o.iterations, o.stats.median, o.stats.n_ge_09999, o.classes
                ));
            }
            Step::Transfer(t) => {
                let out = t.output()?;
                if out.exists() {
                    observer.note(&format!("{} is done", out.display()));
                    return Ok(());
                }
                observer.note(&format!("$ {}", step.command()));
                let o = transfer::run(gpu, t)?;
                observer.note(&format!(
                    "on {}: {} of {} >= 0.99, {} >= 0.9999",
                    o.name, o.tally.target_099, o.tally.champions, o.tally.target_09999
                ));
            }
            Step::Ablate(a) => {
                if a.run.join("ablate.csv").exists() {
                    observer.note(&format!("{} is done", a.run.join("ablate.csv").display()));
                    return Ok(());
                }
                observer.note(&format!("$ {}", step.command()));
                let t = crate::experiments::ablate::run(gpu, a)?.tally;
                observer.note(&format!(
                    "repeated elements in {} of {} champions; all copies but one removed lowers the confidence of {}",
                    t.repeating, t.tested, t.falls
                ));
            }
            Step::Retrain { dir, settings } => {
                let config = if dir.join("retrain.toml").exists() {
                    observer.note(&format!(
                        "$ {}",
                        CommandLine::new("retrain").arg("resume", dir.display())
                    ));
                    RetrainConfig::resume(dir, None)?
                } else {
                    observer.note(&format!("$ {}", step.command()));
                    let settings = RetrainSettings {
                        command: Some(step.command()),
                        ..settings.clone()
                    };
                    RetrainConfig::create(dir, &settings)?
                };
                retrain::run(gpu, dir, &config, &mut |line| observer.note(line))?;
            }
            Step::Report { dirs, out } => {
                observer.note(&format!("$ {}", step.command()));
                crate::report::write(dirs, Some(out), false)?;
            }
        }
        Ok(())
    }

    /// Runs `first .. first + runs` of the study in `dir` as one batch when they stand
    /// together (all new, or all interrupted), else one by one; those done are skipped.
    fn evolve_batch(
        &self,
        gpu: &Gpu,
        dir: &Path,
        (first, runs): (u32, u32),
        settings: &EvolveSettings,
        observer: &mut dyn ReproduceObserver,
    ) -> Result<()> {
        let indices = first..first + runs;
        let state = |i: u32, file: &str| study_run(dir, i).join(file).exists();
        let done = indices
            .clone()
            .filter(|&i| state(i, "champions.csv"))
            .count();
        let started = indices.clone().filter(|&i| state(i, "config.toml")).count();
        let runs_n = runs as usize;
        if runs == 1 || done == runs_n || !(started == 0 || (started == runs_n && done == 0)) {
            for index in indices {
                self.evolve(gpu, dir, index, settings, observer)?;
            }
            return Ok(());
        }
        let settings = EvolveSettings {
            command: Some(self.command()),
            ..settings.clone()
        };
        let runner = if started == 0 {
            observer.note(&format!("$ {}", self.command()));
            Runner::create_batch(gpu, dir, &settings, (first, runs))?
        } else {
            observer.note(&format!(
                "$ {}",
                CommandLine::new("evolve")
                    .arg("resume", dir.display())
                    .arg("runs", runs)
            ));
            Runner::resume_batch(gpu, dir, (first, runs), None)?
        };
        let outcomes = runner.run(observer.evolution(), crate::signal::stop())?;
        for o in &outcomes {
            observer.note(&format!(
                "{}: generation {}: median confidence {:.6}, {} of {} classes >= 0.99, {} >= 0.9999",
                o.dir.display(),
                o.generation,
                o.stats.median,
                o.stats.n_ge_099,
                o.cells,
                o.stats.n_ge_09999
            ));
        }
        if outcomes[0].stopped_by.is_some() {
            return Err(Error::invalid(
                "interrupted",
                format!(
                    "checkpoints written; run the same `fooling reproduce` again to continue ({})",
                    dir.display()
                ),
            ));
        }
        Ok(())
    }

    /// Run `index` of the study in `dir`: skipped when done, resumed when interrupted.
    fn evolve(
        &self,
        gpu: &Gpu,
        dir: &Path,
        index: u32,
        settings: &EvolveSettings,
        observer: &mut dyn ReproduceObserver,
    ) -> Result<()> {
        let run = study_run(dir, index);
        let settings = EvolveSettings {
            seed: crate::evo::run::study_seed(settings.seed, index)?,
            command: Some(self.command()),
            ..settings.clone()
        };
        let runner = if run.join("champions.csv").exists() {
            observer.note(&format!("{} is done", run.display()));
            return Ok(());
        } else if run.join("config.toml").exists() {
            observer.note(&format!(
                "$ {}",
                CommandLine::new("evolve")
                    .arg("resume", dir.display())
                    .arg("run_index", index)
            ));
            Runner::resume(gpu, &run, None)?
        } else {
            observer.note(&format!("$ {}", self.command()));
            Runner::create(gpu, &run, &settings)?
        };
        // one run: one outcome
        let o = runner
            .run(observer.evolution(), crate::signal::stop())?
            .swap_remove(0);
        observer.note(&format!(
            "generation {}: median confidence {:.6}, {} of {} classes >= 0.99, {} >= 0.9999",
            o.generation, o.stats.median, o.stats.n_ge_099, o.cells, o.stats.n_ge_09999
        ));
        if o.stopped_by.is_some() {
            return Err(Error::invalid(
                "interrupted",
                format!(
                    "checkpoint written; run the same `fooling reproduce` again to continue ({})",
                    run.display()
                ),
            ));
        }
        Ok(())
    }
}
