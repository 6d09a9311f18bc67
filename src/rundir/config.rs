//! A run directory's configuration file, tagged by the kind of run that wrote it: the first
//! line of `config.toml`, `merged.toml` or `retrain.toml` says `kind = "<kind>"`, and the rest
//! is that kind's settings, read through serde into their own type. Files written before the
//! tag existed are read by what they hold (an evolution's names its `encoding`, an ascent's its
//! `iterations`); a kind this version does not know is refused with a message naming it and
//! this version.

use crate::error::{Error, Result};
use crate::io::write_atomic;
use std::path::Path;

/// The kinds of run directory, as their files' `kind` names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Evolution,
    Ascent,
    Merged,
    Retraining,
}

impl Kind {
    pub const ALL: [Kind; 4] = [
        Kind::Evolution,
        Kind::Ascent,
        Kind::Merged,
        Kind::Retraining,
    ];

    /// The value of `kind` in the file.
    pub fn tag(self) -> &'static str {
        match self {
            Kind::Evolution => "evolution",
            Kind::Ascent => "ascent",
            Kind::Merged => "merged",
            Kind::Retraining => "retraining",
        }
    }

    /// The configuration file of this kind of run.
    pub fn file(self) -> &'static str {
        match self {
            Kind::Evolution | Kind::Ascent => "config.toml",
            Kind::Merged => "merged.toml",
            Kind::Retraining => "retrain.toml",
        }
    }

    /// What the file is, in words (for errors).
    fn what(self) -> &'static str {
        match self {
            Kind::Evolution => "an evolution run's configuration",
            Kind::Ascent => "a gradient-ascent run's configuration",
            Kind::Merged => "a merged archive's file",
            Kind::Retraining => "a retraining study",
        }
    }
}

/// The text of `value` as a configuration file of `kind`: the tag, then its settings.
pub fn text<T: serde::Serialize>(path: &Path, kind: Kind, value: &T) -> Result<String> {
    let body = toml::to_string(value).map_err(|e| Error::Data {
        path: path.into(),
        message: e.to_string(),
    })?;
    Ok(format!("kind = \"{}\"\n{body}", kind.tag()))
}

/// Writes `value` as `dir`'s configuration file of `kind`, atomically.
pub fn write<T: serde::Serialize>(dir: &Path, kind: Kind, value: &T) -> Result<()> {
    let path = dir.join(kind.file());
    write_atomic(&path, text(&path, kind, value)?.as_bytes())
}

/// The kind of the configuration file `path` (named `file`), from its tag or, in a file
/// written before the tag, from what it holds; and its text with the tag's line blanked, so
/// that every line keeps its number for serde's errors.
pub fn read_kind(path: &Path, file: &str) -> Result<(Kind, String)> {
    let text = crate::io::read::read_own_to_string(path, crate::io::read::TEXT)?;
    let table: toml::Table = text.parse().map_err(|e| Error::Data {
        path: path.into(),
        message: format!("not a run's configuration: {e}"),
    })?;
    let kind = match table.get("kind") {
        Some(tag) => {
            let known = Kind::ALL
                .into_iter()
                .find(|k| tag.as_str() == Some(k.tag()) && k.file() == file);
            known.ok_or_else(|| Error::Data {
                path: path.into(),
                message: format!(
                    "kind = {tag} is not a kind of run this version of fooling ({}) reads in {file}: it reads {}",
                    env!("CARGO_PKG_VERSION"),
                    Kind::ALL
                        .iter()
                        .filter(|k| k.file() == file)
                        .map(|k| format!("\"{}\"", k.tag()))
                        .collect::<Vec<_>>()
                        .join(" and ")
                ),
            })?
        }
        None => match file {
            "merged.toml" => Kind::Merged,
            "retrain.toml" => Kind::Retraining,
            _ if table.contains_key("encoding") => Kind::Evolution,
            _ if table.contains_key("iterations") => Kind::Ascent,
            _ => {
                return Err(Error::Data {
                    path: path.into(),
                    message: "has no kind, and neither an evolution's encoding nor an ascent's iterations: not a run's configuration".into(),
                })
            }
        },
    };
    Ok((kind, blank_tag(&text)))
}

/// `text` with its top-level `kind = …` line emptied (the lines before the first table).
fn blank_tag(text: &str) -> String {
    let mut top = true;
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        top &= !t.starts_with('[');
        let key = t.split('=').next().unwrap_or_default().trim();
        if top && matches!(key, "kind" | "\"kind\"" | "'kind'") {
            out.push('\n');
        } else {
            out.push_str(line);
        }
    }
    out
}

/// The settings of the configuration file of `kind` in `dir`; a file of another kind is
/// refused naming both.
pub fn read<T: serde::de::DeserializeOwned>(dir: &Path, kind: Kind) -> Result<T> {
    let path = dir.join(kind.file());
    let (found, text) = read_kind(&path, kind.file())?;
    if found != kind {
        return Err(Error::Data {
            path,
            message: format!("is {}, not {}", found.what(), kind.what()),
        });
    }
    parse(&path, kind, &text)
}

/// `text` (the tag blanked) as the settings of `kind`.
pub fn parse<T: serde::de::DeserializeOwned>(path: &Path, kind: Kind, text: &str) -> Result<T> {
    toml::from_str(text).map_err(|e| Error::Data {
        path: path.into(),
        message: format!("not {}: {e}", kind.what()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tag_line_is_blanked_only_at_the_top() {
        let text = "kind = \"ascent\"\nnet = \"x\"\n[t]\nkind = 3\n";
        assert_eq!(blank_tag(text), "\nnet = \"x\"\n[t]\nkind = 3\n");
        assert_eq!(blank_tag("kinder = 1\n"), "kinder = 1\n");
    }
}
