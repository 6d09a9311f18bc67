//! `fooling reproduce`: the paper's experiments as a typed plan of steps (evolution runs,
//! ascents, transfers, a retraining study, the report), each a call into the library with
//! the settings a user would give on the command line. Finished steps are skipped and
//! interrupted evolutions resumed, so running a reproduction again continues it.

use crate::ascent::{AscentObserver, AscentSettings};
use crate::error::{Error, Result};
use crate::evo::run::{study_run, EvolveSettings, Observer, Runner};
use crate::evo::Encoding;
use crate::experiments::retrain::{self, RetrainConfig, RetrainSettings};
use crate::experiments::transfer::{self, TransferSettings};
use crate::gpu::Gpu;
use std::path::{Path, PathBuf};

/// Which half of the paper.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Half {
    /// LeNet on MNIST: evolution (direct and CPPN, several seeds), gradient ascent, transfer
    /// to the two shipped second networks, retraining with a fooling class.
    Mnist,
    /// An ImageNet network (--weights): evolution (direct and CPPN) and gradient ascent.
    Imagenet,
    /// The MNIST half on Fashion-MNIST (`apt-get install dataset-fashion-mnist`): the shipped
    /// `lenet-fashion`, transfer to its second seed, retraining on all 60,000 images.
    Fashion,
}

/// What the MNIST half runs on: the network, its data, its transfer targets.
struct Grey {
    net: &'static str,
    /// The training data (the retraining's, and the ascent's mean image).
    data: PathBuf,
    /// The weights file of the same architecture trained with another seed.
    second: &'static str,
    /// Another architecture trained on the same data, with its shipped weights.
    other: Option<&'static str>,
    /// The random warps the shipped network learnt with (`fooling train --augment`): the
    /// retrained networks learn with the same, so that DNN_1 and DNN_2 differ only by the
    /// fooling class.
    augment: Option<crate::kernels::Augment>,
}

impl Grey {
    fn mnist() -> Grey {
        Grey {
            net: "lenet",
            data: PathBuf::from("data/mnist-10k"),
            second: "lenet_mnist_b.safetensors",
            other: Some("mlp"),
            augment: Some(crate::kernels::Augment::default()),
        }
    }

    /// Fashion-MNIST where Debian's `dataset-fashion-mnist` puts it.
    fn fashion() -> Result<Grey> {
        let data = PathBuf::from(FASHION_DATA);
        if !data.join("train-images-idx3-ubyte.gz").exists() {
            return Err(Error::Option {
                option: "reproduce fashion".into(),
                message: format!(
                    "no Fashion-MNIST in {FASHION_DATA}: apt-get install dataset-fashion-mnist"
                ),
            });
        }
        for (file, seed) in [
            ("lenet_fashion.safetensors", 0),
            ("lenet_fashion_b.safetensors", 1),
        ] {
            if crate::nn::weights::shipped(file).is_err() {
                return Err(Error::Option {
                    option: "reproduce fashion".into(),
                    message: format!(
                        "no weights/{file}: train it first with `fooling train --net lenet-fashion --data {FASHION_DATA} --iterations {FASHION_ITERATIONS} --seed {seed} --out weights/{file}`"
                    ),
                });
            }
        }
        Ok(Grey {
            net: "lenet-fashion",
            data,
            second: "lenet_fashion_b.safetensors",
            other: None,
            augment: None,
        })
    }
}

/// Where Debian's `dataset-fashion-mnist` installs the 70,000 images (IDX, gzip).
pub const FASHION_DATA: &str = "/usr/share/datasets/fashion-mnist";

/// The SGD iterations of the shipped Fashion-MNIST LeNet (Caffe's recipe otherwise): 3.2
/// passes over the 60,000 training images.
pub const FASHION_ITERATIONS: usize = 3000;

/// How big.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Scale {
    /// Minutes on a 2-core machine with lavapipe (MNIST): fewer seeds, generations and rounds.
    Quick,
    /// The paper's sizes (MNIST: hours on lavapipe; ImageNet: a GPU's days or a cluster).
    Paper,
}

/// What a user gives for a reproduction.
#[derive(Clone, Debug)]
pub struct ReproduceSettings {
    pub half: Half,
    pub scale: Scale,
    /// ImageNet: the network.
    pub net: String,
    /// ImageNet: its weights [default: the shipped ones for `net`].
    pub weights: Option<PathBuf>,
    /// [default: runs/reproduce-<half>-<scale>]
    pub out: Option<PathBuf>,
}

/// One step of the plan.
#[derive(Clone, Debug)]
pub enum Step {
    /// Runs `first .. first + runs` of the study in `dir` (more than one: a device batch,
    /// `--runs`): resumed when interrupted, skipped when done.
    Evolve {
        dir: PathBuf,
        first: u32,
        runs: u32,
        settings: EvolveSettings,
    },
    /// An ascent run (short: redone from the start when interrupted).
    Ascent {
        dir: PathBuf,
        settings: AscentSettings,
    },
    Transfer(TransferSettings),
    /// The ablation of a CPPN run's champions (R9).
    Ablate(super::ablate::AblateSettings),
    Retrain {
        dir: PathBuf,
        settings: RetrainSettings,
    },
    Report {
        dirs: Vec<PathBuf>,
        out: PathBuf,
    },
}

fn opt<T: ToString>(name: &str, v: &Option<T>) -> String {
    v.as_ref()
        .map(|v| format!(" {name} {}", v.to_string()))
        .unwrap_or_default()
}

fn path(name: &str, v: &Option<PathBuf>) -> String {
    opt(name, &v.as_ref().map(|p| p.display().to_string()))
}

impl Step {
    /// The command line that does the same as this step.
    pub fn command(&self) -> String {
        match self {
            Step::Evolve {
                dir,
                first,
                runs,
                settings: s,
            } => format!(
                "fooling evolve --net {}{} --encoding {}{}{}{} --seed {} --out {} {}",
                s.net,
                path("--weights", &s.weights),
                match s.encoding {
                    Encoding::Direct => "direct",
                    Encoding::Cppn => "cppn",
                },
                opt("--generations", &s.generations),
                opt("--batch", &s.batch),
                opt("--crops", &s.crops),
                s.seed,
                dir.display(),
                if *runs == 1 {
                    format!("--run-index {first}")
                } else {
                    format!("--runs {runs}")
                }
            ),
            Step::Ascent { dir, settings: s } => format!(
                "fooling ascent --net {}{} --classes {} --decay {} --data {} --out {}",
                s.net,
                path("--weights", &s.weights),
                s.classes,
                s.decay,
                s.data.display(),
                dir.display()
            ),
            Step::Transfer(t) => format!(
                "fooling transfer --run {} --net {}{}",
                t.run.display(),
                t.net,
                path("--weights", &t.weights)
            ),
            Step::Ablate(a) => format!("fooling ablate --run {}", a.run.display()),
            Step::Retrain { dir, settings: s } => format!(
                "fooling retrain --net {} --data {}{}{} --generations {} --batch {} --iterations {}{} --out {}",
                s.net,
                s.data.display(),
                opt("--rounds", &s.rounds),
                opt("--class-size", &s.class_size),
                s.generations,
                s.batch,
                s.iterations,
                opt(
                    "--augment",
                    &s.augment.map(|a| format!("{},{},{}", a.shift, a.rotate, a.scale))
                ),
                dir.display()
            ),
            Step::Report { dirs, out } => format!(
                "fooling report --out {} {}",
                out.display(),
                dirs.iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        }
    }
}

/// The reproduction's directory.
pub fn out_dir(s: &ReproduceSettings) -> PathBuf {
    s.out.clone().unwrap_or_else(|| {
        PathBuf::from(format!(
            "runs/reproduce-{}-{}",
            match s.half {
                Half::Mnist => "mnist",
                Half::Imagenet => "imagenet",
                Half::Fashion => "fashion",
            },
            match s.scale {
                Scale::Quick => "quick",
                Scale::Paper => "paper",
            }
        ))
    })
}

/// Runs `0..seeds` of the study `base` with `settings`: one device batch for the direct
/// encoding, one run at a time for CPPNs (mutated on the host).
fn evolve(steps: &mut Vec<Step>, out: &Path, base: &str, settings: EvolveSettings, seeds: u32) {
    let batches: Vec<(u32, u32)> = match settings.encoding {
        Encoding::Direct => vec![(0, seeds)],
        Encoding::Cppn => (0..seeds).map(|i| (i, 1)).collect(),
    };
    for (first, runs) in batches {
        steps.push(Step::Evolve {
            dir: out.join(base),
            first,
            runs,
            settings: settings.clone(),
        });
    }
}

/// The ablation (R9) of runs `0..seeds` of the CPPN study `study`.
fn ablate(steps: &mut Vec<Step>, study: &Path, seeds: u32) {
    for i in 0..seeds {
        steps.push(Step::Ablate(super::ablate::AblateSettings {
            run: study_run(study, i),
            ..Default::default()
        }));
    }
}

/// The steps of the reproduction `s`, in order.
pub fn plan(s: &ReproduceSettings) -> Result<Vec<Step>> {
    let out = out_dir(s);
    let paper = s.scale == Scale::Paper;
    let (mut steps, report) = match s.half {
        Half::Mnist => grey(&Grey::mnist(), &out, paper)?,
        Half::Fashion => grey(&Grey::fashion()?, &out, paper)?,
        Half::Imagenet => imagenet(s, &out, paper)?,
    };
    steps.push(Step::Report {
        dirs: report,
        out: out.join("report.html"),
    });
    Ok(steps)
}

/// The MNIST half on `g`'s network and data: its steps and the directories its report shows.
fn grey(g: &Grey, out: &Path, paper: bool) -> Result<(Vec<Step>, Vec<PathBuf>)> {
    let (mut steps, mut report) = (Vec::new(), Vec::new());
    let (seeds, generations, batch) = if paper { (5, 200, 200) } else { (3, 100, 100) };
    for (name, encoding) in [("direct", Encoding::Direct), ("cppn", Encoding::Cppn)] {
        let settings = EvolveSettings {
            generations: Some(generations),
            batch: Some(batch),
            ..EvolveSettings::new(g.net, encoding)
        };
        evolve(&mut steps, out, name, settings, seeds);
        report.push(out.join(name));
    }
    let mut ascents = vec![("ascent-0.001", 0.001)];
    if paper {
        ascents.push(("ascent", AscentSettings::new(g.net).decay));
    }
    for (name, decay) in &ascents {
        steps.push(Step::Ascent {
            dir: out.join(name),
            settings: AscentSettings {
                decay: *decay,
                data: g.data.clone(),
                ..AscentSettings::new(g.net)
            },
        });
        report.push(out.join(name));
    }
    // transfer of every champion set to the second networks
    let mut sets: Vec<PathBuf> = Vec::new();
    for enc in ["direct", "cppn"] {
        sets.extend((0..seeds).map(|i| study_run(&out.join(enc), i)));
    }
    sets.push(out.join("ascent-0.001"));
    let second = crate::nn::weights::shipped(g.second)?;
    for set in &sets {
        steps.push(Step::Transfer(TransferSettings::new(
            set,
            g.net,
            Some(second.clone()),
        )));
        if let Some(other) = g.other {
            steps.push(Step::Transfer(TransferSettings::new(set, other, None)));
        }
    }
    ablate(&mut steps, &out.join("cppn"), seeds);
    // the retrained networks learn as the shipped DNN_1 did
    let settings = if paper {
        RetrainSettings {
            data: g.data.clone(),
            augment: g.augment,
            ..RetrainSettings::new(g.net)
        }
    } else {
        RetrainSettings {
            rounds: Some(2),
            class_size: Some(100),
            generations: 20,
            batch: 50,
            iterations: 500,
            data: g.data.clone(),
            augment: g.augment,
            ..RetrainSettings::new(g.net)
        }
    };
    steps.push(Step::Retrain {
        dir: out.join("retrain"),
        settings,
    });
    report.push(out.join("retrain"));
    Ok((steps, report))
}

/// The ImageNet half for the network of `s`: its steps and the directories its report shows.
fn imagenet(s: &ReproduceSettings, out: &Path, paper: bool) -> Result<(Vec<Step>, Vec<PathBuf>)> {
    let (mut steps, mut report) = (Vec::new(), Vec::new());
    let weights = Some(match &s.weights {
        Some(p) => p.clone(),
        None => crate::nn::shipped_weights(&s.net)?,
    });
    let (direct_g, cppn_g, crops) = if paper {
        (20000, 5000, 10)
    } else {
        (20, 20, 1)
    };
    for (name, encoding, g) in [
        ("direct", Encoding::Direct, direct_g),
        ("cppn", Encoding::Cppn, cppn_g),
    ] {
        let settings = EvolveSettings {
            weights: weights.clone(),
            generations: Some(g),
            crops: Some(crops),
            ..EvolveSettings::new(&s.net, encoding)
        };
        evolve(&mut steps, out, name, settings, 1);
        report.push(out.join(name));
    }
    ablate(&mut steps, &out.join("cppn"), 1);
    steps.push(Step::Ascent {
        dir: out.join("ascent"),
        settings: AscentSettings {
            weights,
            classes: if paper { "all" } else { "0,1,2,3,4,5,6,7,8,9" }.into(),
            ..AscentSettings::new(&s.net)
        },
    });
    report.push(out.join("ascent"));
    Ok((steps, report))
}

/// What a reproduction tells whoever watches it: a line for each step and each result,
/// and observers for the evolutions and ascents inside it.
pub trait ReproduceObserver {
    fn note(&mut self, line: &str);
    fn evolution(&mut self) -> &mut dyn Observer;
    fn ascent(&mut self) -> &mut dyn AscentObserver;
}

/// Runs the plan of `s` on `gpu`, skipping what is done; returns the report's path.
pub fn run(
    gpu: &Gpu,
    s: &ReproduceSettings,
    observer: &mut dyn ReproduceObserver,
) -> Result<PathBuf> {
    let out = out_dir(s);
    std::fs::create_dir_all(&out).map_err(|e| Error::io(&out, e))?;
    for step in plan(s)? {
        step.run(gpu, observer)?;
    }
    Ok(out.join("report.html"))
}

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
                let t = super::ablate::run(gpu, a)?.tally;
                observer.note(&format!(
                    "repeated elements in {} of {} champions; all copies but one removed lowers the confidence of {}",
                    t.repeating, t.tested, t.falls
                ));
            }
            Step::Retrain { dir, settings } => {
                let config = if dir.join("retrain.toml").exists() {
                    observer.note(&format!("$ fooling retrain --resume {}", dir.display()));
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
                "$ fooling evolve --resume {} --runs {runs}",
                dir.display()
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
            return Err(Error::Option {
                option: "interrupted".into(),
                message: format!(
                    "checkpoints written; run the same `fooling reproduce` again to continue ({})",
                    dir.display()
                ),
            });
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
                "$ fooling evolve --resume {} --run-index {index}",
                dir.display()
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
            return Err(Error::Option {
                option: "interrupted".into(),
                message: format!(
                    "checkpoint written; run the same `fooling reproduce` again to continue ({})",
                    run.display()
                ),
            });
        }
        Ok(())
    }
}
