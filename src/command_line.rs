//! How a setting is spelled on the command line, in one place: the flag of a setting key
//! (`mean_image` → `--mean-image`), and whole `fooling` command lines that a report, a
//! reproduction's plan or a remedy in a message gives the user to run. The library names
//! settings by their keys; this module is the one that writes them as flags.

use std::fmt;

/// The flag that sets `key`: `--` and the key with `-` for `_`.
pub fn flag(key: &str) -> String {
    format!("--{}", key.replace('_', "-"))
}

/// The settings `T` as a command line that gives none of its options makes them: the
/// defaults its `#[arg]` attributes declare, so they live in one place. `required` holds
/// the words of `T`'s required options (none for most settings).
pub fn defaults<T: clap::Args + clap::FromArgMatches>(required: &[&str]) -> T {
    let command = T::augment_args(clap::Command::new("defaults").no_binary_name(true));
    let made = command
        .try_get_matches_from(required)
        .map_err(|e| e.to_string())
        .and_then(|m| T::from_arg_matches(&m).map_err(|e| e.to_string()));
    match made {
        Ok(t) => t,
        // a settings type whose defaults do not parse is a bug, caught by its tests
        Err(e) => panic!(
            "the defaults of {} do not parse: {e}",
            std::any::type_name::<T>()
        ),
    }
}

/// A `fooling` command line, built a setting at a time; `Display` writes it as a user types
/// it (`fooling evolve --net lenet --seed 3`).
#[derive(Clone, Debug)]
pub struct CommandLine {
    words: Vec<String>,
}

impl CommandLine {
    /// `fooling COMMAND`.
    pub fn new(command: &str) -> CommandLine {
        CommandLine {
            words: vec!["fooling".into(), command.into()],
        }
    }

    /// The setting `key` with `value`.
    pub fn arg(mut self, key: &str, value: impl fmt::Display) -> CommandLine {
        self.words.push(flag(key));
        self.words.push(value.to_string());
        self
    }

    /// The setting `key` with `value` where there is one.
    pub fn opt<T: fmt::Display>(self, key: &str, value: Option<T>) -> CommandLine {
        match value {
            Some(v) => self.arg(key, v),
            None => self,
        }
    }

    /// The switch `key` (a setting without a value), where `on`.
    pub fn switch(mut self, key: &str, on: bool) -> CommandLine {
        if on {
            self.words.push(flag(key));
        }
        self
    }

    /// Positional words (run directories, images), or a `…` for those left out.
    pub fn words<T: fmt::Display>(mut self, words: impl IntoIterator<Item = T>) -> CommandLine {
        self.words.extend(words.into_iter().map(|w| w.to_string()));
        self
    }
}

impl fmt::Display for CommandLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.words.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_written_as_flags() {
        assert_eq!(flag("mean_image"), "--mean-image");
        let line = CommandLine::new("evolve")
            .arg("net", "lenet")
            .opt("weights", None::<&str>)
            .opt("crops", Some(10))
            .switch("force", true)
            .switch("quiet", false)
            .words(["a", "b"]);
        assert_eq!(
            line.to_string(),
            "fooling evolve --net lenet --crops 10 --force a b"
        );
    }

    #[test]
    fn settings_defaults_are_their_declared_ones() {
        let r = crate::experiments::retrain::RetrainSettings::new("mlp");
        assert_eq!(r.net, "mlp");
        assert_eq!(
            (r.generations, r.batch, r.iterations, r.seed),
            (200, 200, 10_000, 0)
        );
        assert_eq!(r.data, std::path::PathBuf::from("data/mnist-10k"));
        assert!(r.weights.is_none() && r.rounds.is_none() && r.class_size.is_none());
        assert!(r.augment.is_none() && r.command.is_none());
        let a: crate::experiments::ablate::AblateSettings = defaults(&["--run", "runs/x"]);
        assert_eq!(a.run, std::path::PathBuf::from("runs/x"));
        assert!(a.patch.is_none() && a.stride.is_none() && !a.force);
        // Caffe's MNIST LeNet solver and the paper's ascent
        let t = crate::nn::TrainConfig::default();
        assert_eq!((t.iterations, t.batch, t.seed), (10_000, 64, 0));
        assert_eq!((t.base_lr, t.momentum, t.weight_decay), (0.01, 0.9, 5e-4));
        assert_eq!((t.gamma, t.power, t.bias_lr_mult), (1e-4, 0.75, 2.0));
        assert!(t.augment.is_none());
        let c = crate::ascent::AscentConfig::default();
        assert_eq!(
            (c.iterations, c.decay, c.max_lr, c.seed),
            (300, 0.01, 1e12, 0)
        );
        assert_eq!((c.noise, c.blur_every, c.blur_sigma), (1.0, 0, 1.0));
        let e = crate::evo::run::EvolveSettings::new("mlp", crate::evo::Encoding::Cppn);
        assert_eq!(
            (e.net.as_str(), e.encoding),
            ("mlp", crate::evo::Encoding::Cppn)
        );
        assert_eq!(
            (e.rate, e.checkpoint_every, e.stats_every, e.seed),
            (0.1, 100, 1, 0)
        );
        assert!(e.generations.is_none() && e.batch.is_none() && e.crops.is_none());
    }
}
