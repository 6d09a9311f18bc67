//! `fooling reproduce`: [`fooling::experiments::reproduce::run`], printing each step as
//! the command that does the same, with the progress of the runs inside it.

use super::args::GpuArgs;
use super::ascent::Bar as AscentBar;
use super::evolve::Bar as EvolveBar;
use anyhow::Result;
use fooling::ascent::AscentObserver;
use fooling::evo::run::Observer;
use fooling::experiments::reproduce::{self, ReproduceObserver, ReproduceSettings};

struct Lines {
    evolve: EvolveBar,
    ascent: AscentBar,
    start: std::time::Instant,
}

impl ReproduceObserver for Lines {
    fn note(&mut self, line: &str) {
        self.evolve.0.finish_and_clear();
        self.ascent.0.finish_and_clear();
        eprintln!("[{:.0} s] {line}", self.start.elapsed().as_secs_f64());
    }
    fn evolution(&mut self) -> &mut dyn Observer {
        self.evolve = EvolveBar::new();
        &mut self.evolve
    }
    fn ascent(&mut self) -> &mut dyn AscentObserver {
        self.ascent = AscentBar::new();
        &mut self.ascent
    }
}

pub fn reproduce(gpu_args: &GpuArgs, settings: &ReproduceSettings) -> Result<()> {
    let gpu = gpu_args.open()?;
    let mut lines = Lines {
        evolve: EvolveBar::new(),
        ascent: AscentBar::new(),
        start: std::time::Instant::now(),
    };
    let stop = fooling::signal::stop();
    let report = match reproduce::run(&gpu, settings, &mut lines) {
        Ok(report) => report,
        // one route for a stop: the library's error when it stopped by itself, else the
        // error the stop caused, as a stop
        Err(e @ fooling::Error::Stopped { .. }) => return Err(e.into()),
        Err(e) if stop.requested() => {
            return Err(fooling::Error::Stopped {
                signal: stop.signal().unwrap_or(2),
                what: e.to_string(),
            }
            .into())
        }
        Err(e) => return Err(e.into()),
    };
    println!("open {} in a browser", report.display());
    Ok(())
}
