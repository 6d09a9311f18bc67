//! `fooling train`: one training through [`fooling::nn::recipe::train`], with a progress
//! bar (or a line every 1,000 iterations when stderr is not a terminal).

use super::GpuArgs;
use anyhow::Result;
use fooling::nn::recipe::{TrainObserver, TrainSettings, TrainStart};
use indicatif::{ProgressBar, ProgressStyle};
use std::time::Instant;

struct Bar {
    bar: ProgressBar,
    data: String,
    start: Instant,
}

impl TrainObserver for Bar {
    fn started(&mut self, s: &TrainStart) {
        eprintln!(
            "training {} on {} ({} images{}, {} held out) on {}",
            s.arch,
            self.data,
            s.images,
            s.extra
                .map(|n| format!(", {n} of them the extra class"))
                .unwrap_or_default(),
            s.held_out,
            s.adapter
        );
        self.start = Instant::now();
    }

    fn progress(&mut self, iteration: usize, iterations: usize, loss: f32, rate: f64) {
        self.bar.set_position(iteration as u64);
        self.bar
            .set_message(format!("loss {loss:.4}  {rate:.0} images/s"));
        if self.bar.is_hidden() && (iteration.is_multiple_of(1000) || iteration == iterations) {
            // headless (stderr is not a terminal): a plain line now and then instead
            eprintln!(
                "iteration {iteration}/{iterations}: loss {loss:.4}, {rate:.0} images/s, {:.0} s",
                self.start.elapsed().as_secs_f64()
            );
        }
    }
}

pub fn train(gpu_args: &GpuArgs, args: &TrainSettings) -> Result<()> {
    let settings = TrainSettings {
        command: super::command_line(),
        ..args.clone()
    };
    let gpu = gpu_args.open()?;
    let bar = ProgressBar::new(args.config.iterations as u64);
    bar.set_style(ProgressStyle::with_template(
        "{bar:40} {pos}/{len} iterations  {msg}  [{elapsed_precise}, {eta} left]",
    )?);
    let mut observer = Bar {
        bar: bar.clone(),
        data: args.data.display().to_string(),
        start: Instant::now(),
    };
    let o = fooling::nn::recipe::train(&gpu, &settings, &mut observer)?;
    bar.finish();
    println!(
        "held-out accuracy: {:.2}% ({} images), final loss {:.4}, {:.0} s",
        o.accuracy * 100.0,
        o.held_out,
        o.loss,
        o.seconds
    );
    println!("wrote {} and {}", args.out.display(), o.card.display());
    Ok(())
}
