//! `fooling evolve`: one run through the library's [`Runner`], with a progress bar (or a
//! line every 100 generations when stderr is not a terminal).

use super::args::EvolveArgs;
use super::GpuArgs;
use anyhow::Result;
use fooling::evo::run::{EvolveSettings, Observer, Progress, Runner};
use indicatif::{ProgressBar, ProgressStyle};

/// A progress bar, or a plain line every 100 generations when stderr is not a terminal.
pub struct Bar(pub ProgressBar);

impl Bar {
    pub fn new() -> Bar {
        let bar = ProgressBar::new(0);
        if let Ok(style) = ProgressStyle::with_template(
            "{bar:40} gen {pos}/{len}  {msg}  [{elapsed_precise}, {eta} left]",
        ) {
            bar.set_style(style);
        }
        Bar(bar)
    }
}

impl Observer for Bar {
    fn started(&mut self, generation: u32, generations: u32, _resumed: bool) {
        self.0.set_length(generations as u64);
        self.0.set_position(generation as u64);
    }

    fn progress(&mut self, p: &Progress) {
        let (s, rate) = (&p.stats, p.rate);
        self.0.set_position(p.generation as u64);
        self.0.set_message(format!(
            "median {:.4}  best {:.4}  {rate:.0} evaluations/s",
            s.median, s.max
        ));
        if self.0.is_hidden() && p.generation % 100 < p.step {
            eprintln!(
                "generation {}/{}: median {:.4}, best {:.4}, {rate:.0} evaluations/s",
                p.generation, p.generations, s.median, s.max
            );
        }
    }
}

fn settings(args: &EvolveArgs) -> EvolveSettings {
    EvolveSettings {
        command: Some(super::command_line()),
        ..args.settings.clone()
    }
}

/// The runs `--runs N` makes or resumes: `(first index, N)`.
fn batch(args: &EvolveArgs) -> Result<Option<(u32, u32)>> {
    let Some(n) = args.runs else {
        return Ok(None);
    };
    let first = match args.run_index {
        Some(i) => i
            .checked_mul(n)
            .ok_or_else(|| anyhow::anyhow!("--run-index {i} × --runs {n} does not fit 32 bits"))?,
        None => 0,
    };
    Ok(Some((first, n)))
}

pub fn evolve(gpu_args: &GpuArgs, args: &EvolveArgs) -> Result<()> {
    let gpu = gpu_args.open()?;
    let runner = match (&args.resume, &args.out, batch(args)?) {
        (Some(dir), _, runs) => {
            let runner = match runs {
                Some(runs) => Runner::resume_batch(&gpu, dir, runs, args.settings.generations)?,
                None => Runner::resume(&gpu, dir, args.settings.generations)?,
            };
            eprintln!(
                "resuming {} at generation {} of {}",
                dir.display(),
                runner.generation(),
                runner.config().generations
            );
            runner
        }
        (None, Some(dir), Some(runs)) => Runner::create_batch(&gpu, dir, &settings(args), runs)?,
        (None, Some(dir), None) => Runner::create(&gpu, dir, &settings(args))?,
        (None, None, _) => anyhow::bail!("--out DIR or --resume DIR is needed"),
    };
    let mut bar = Bar::new();
    let stop = fooling::signal::stop();
    let outcomes = runner.run(&mut bar, stop)?;
    bar.0.finish_and_clear();
    for outcome in &outcomes {
        let s = &outcome.stats;
        println!(
            "generation {}: median confidence {:.6}, {} of {} classes >= 0.99, {} >= 0.9999; {} evaluations in {:.1} s",
            outcome.generation, s.median, s.n_ge_099, outcome.cells, s.n_ge_09999, outcome.evaluations, outcome.seconds
        );
        println!("wrote {}", outcome.dir.display());
    }
    if let Some(signal) = outcomes[0].stopped_by {
        let again = match (&args.resume, &args.out, args.runs) {
            (Some(d), _, Some(n)) | (None, Some(d), Some(n)) => {
                format!("--resume {} --runs {n}", d.display())
            }
            _ => format!("--resume {}", outcomes[0].dir.display()),
        };
        return Err(fooling::Error::Stopped {
            signal,
            what: format!("checkpoint written; continue with `fooling evolve {again}`"),
        }
        .into());
    }
    Ok(())
}
