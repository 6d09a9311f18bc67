//! How a setting is spelled on the command line, in one place: the flag of a setting key
//! (`mean_image` → `--mean-image`), and whole `fooling` command lines that a report, a
//! reproduction's plan or a remedy in a message gives the user to run. The library names
//! settings by their keys; this module is the one that writes them as flags.

use std::fmt;

/// The flag that sets `key`: `--` and the key with `-` for `_`.
pub fn flag(key: &str) -> String {
    format!("--{}", key.replace('_', "-"))
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
}
