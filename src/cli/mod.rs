//! Command-line interface: each subcommand parses its options, makes one library call and
//! prints what came of it. No loop, file format or experiment logic lives here.

mod ablate;
mod args;
mod ascent;
mod classify;
mod convert;
mod evolve;
mod info;
mod merge;
mod report;
mod reproduce;
mod retrain;
mod train;
mod transfer;

use anyhow::Result;
pub use args::*;

pub fn run(cli: Cli) -> Result<()> {
    // the commands that stop at a checkpoint or between batches take SIGINT, SIGTERM and
    // SIGHUP from their first instant: a signal during start-up (opening the device,
    // building pipelines) is honoured at the loop's first check, not the default death
    if matches!(
        cli.command,
        Command::Train(_)
            | Command::Evolve(_)
            | Command::Ascent(_)
            | Command::Ablate(_)
            | Command::Retrain(_)
            | Command::Reproduce(_)
    ) {
        fooling::signal::stop();
    }
    match cli.command {
        Command::Info => info::info(&cli.gpu),
        Command::Classify(args) => classify::classify(&cli.gpu, &args),
        Command::Train(args) => train::train(&cli.gpu, &args),
        Command::Evolve(args) => evolve::evolve(&cli.gpu, &args.indexed()?),
        Command::Ascent(args) => ascent::ascent(&cli.gpu, &args.indexed()?),
        Command::Convert(args) => convert::convert(&args),
        Command::Transfer(args) => transfer::transfer(&cli.gpu, &args),
        Command::Ablate(args) => ablate::ablate(&cli.gpu, &args),
        Command::Merge(args) => merge::merge(&cli.gpu, &args),
        Command::Retrain(args) => retrain::retrain(&cli.gpu, &args),
        Command::Report(args) => report::report(&args),
        Command::Reproduce(args) => reproduce::reproduce(&cli.gpu, &args),
    }
}

/// This process's command line, as a run records it.
pub fn command_line() -> String {
    std::iter::once("fooling".to_string())
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The exit status for `e`: 128 + the signal for work a signal stopped, else 1.
pub fn exit_status(e: &anyhow::Error) -> u8 {
    match e.downcast_ref::<fooling::Error>() {
        Some(fooling::Error::Stopped { signal, .. }) => (128 + signal).clamp(1, 255) as u8,
        _ => 1,
    }
}

/// How an error reads on the command line: a setting as the flag that sets it
/// (`batch` → `--batch`), everything else as the library says it, each cause once (the
/// library's messages already end with the system error they come from).
pub fn describe(e: &anyhow::Error) -> String {
    if let Some(fooling::Error::Setting {
        key,
        value,
        message,
    }) = e.downcast_ref::<fooling::Error>()
    {
        let value = value.as_ref().map(|v| format!(" {v}")).unwrap_or_default();
        return format!("--{}{value}: {message}", key.replace('_', "-"));
    }
    let mut text = String::new();
    for cause in e.chain().map(|c| c.to_string()) {
        if !text.ends_with(&cause) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&cause);
        }
    }
    text
}
