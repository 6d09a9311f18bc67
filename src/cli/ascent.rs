//! `fooling ascent`: one ascent run through [`fooling::ascent::run`], with a progress bar
//! (or a line every 100 iterations when stderr is not a terminal).

use super::args::AscentArgs;
use super::GpuArgs;
use anyhow::Result;
use fooling::ascent::{AscentObserver, AscentProgress, AscentSettings};
use indicatif::{ProgressBar, ProgressStyle};

pub struct Bar(pub ProgressBar);

impl Bar {
    pub fn new() -> Bar {
        let bar = ProgressBar::new(0);
        if let Ok(style) = ProgressStyle::with_template(
            "{bar:40} {pos}/{len} iterations  {msg}  [{elapsed_precise}, {eta} left]",
        ) {
            bar.set_style(style);
        }
        Bar(bar)
    }
}

impl AscentObserver for Bar {
    fn progress(&mut self, p: &AscentProgress) {
        let (s, rate) = (&p.stats, p.rate);
        self.0.set_length(p.total);
        self.0.set_position(p.done);
        self.0.set_message(format!(
            "classes {}/{}: median {:.4}  min {:.4}  {rate:.0} image steps/s",
            p.end, p.classes, s.median, s.min
        ));
        if self.0.is_hidden() && p.iteration % 100 < 10 {
            eprintln!(
                "classes {}-{} of {}, iteration {}/{}: median {:.6}, min {:.6}, {rate:.0} image steps/s",
                p.first,
                p.end - 1,
                p.classes,
                p.iteration,
                p.iterations,
                s.median,
                s.min
            );
        }
    }
}

pub fn ascent(gpu_args: &GpuArgs, args: &AscentArgs) -> Result<()> {
    let settings = AscentSettings {
        command: Some(super::command_line()),
        ..args.settings.clone()
    };
    let gpu = gpu_args.open()?;
    let mut bar = Bar::new();
    let o = fooling::ascent::run(&gpu, &settings, &args.out, &mut bar)?;
    bar.0.finish_and_clear();
    let s = &o.stats;
    println!(
        "{} iterations: median confidence {:.6} (saved 8-bit images), {} of {} classes >= 0.99, {} >= 0.9999; {:.1} s",
        o.iterations, s.median, s.n_ge_099, o.classes, s.n_ge_09999, o.seconds
    );
    println!("wrote {}", args.out.display());
    Ok(())
}
