//! The crate's one error type: every variant carries the context a user needs to fix the
//! problem (the file, tensor, option or limit at fault, expected versus found).

use std::path::PathBuf;

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no GPU adapter found for backend '{backend}'{}: on Linux without a GPU install Mesa's lavapipe (`apt-get install mesa-vulkan-drivers`)",
        .adapter.as_ref().map(|a| format!(" matching adapter name '{a}'")).unwrap_or_default())]
    NoAdapter {
        backend: String,
        adapter: Option<String>,
    },

    #[error("could not open a device on adapter '{adapter}': {source}")]
    RequestDevice {
        adapter: String,
        #[source]
        source: wgpu::RequestDeviceError,
    },

    #[error("{what} needs {requested}, above the adapter's limit {limit_name} = {limit}")]
    LimitExceeded {
        what: String,
        limit_name: &'static str,
        requested: u64,
        limit: u64,
    },

    #[error("shader or pipeline '{kernel}' failed to build: {message}")]
    Pipeline { kernel: String, message: String },

    #[error("GPU error in {context}: {message}")]
    Gpu { context: String, message: String },

    #[error("{kernel}: {what}: expected {expected}, found {found}")]
    Shape {
        kernel: String,
        what: String,
        expected: String,
        found: String,
    },

    #[error("weights file {}: {message}", .path.display())]
    Weights { path: PathBuf, message: String },

    #[error("weights file {}: tensor '{tensor}': expected {expected}, found {found}", .path.display())]
    Tensor {
        path: PathBuf,
        tensor: String,
        expected: String,
        found: String,
    },

    #[error("data file {}: {message}", .path.display())]
    Data { path: PathBuf, message: String },

    /// An ONNX model the engine cannot take; the message names the node and operator.
    #[error("ONNX model {}: {message}", .path.display())]
    Onnx { path: PathBuf, message: String },

    #[error("image {}: {message}", .path.display())]
    Image { path: PathBuf, message: String },

    /// A setting out of its range, named by its key as the settings structs and the run's
    /// files spell it (`batch`, `mean_image`); the CLI names the flag that sets it
    /// (`--batch`), a resumed run the file it came from.
    /// `value` is the value given where it helps to see it (a path, a name).
    #[error("{key}{}: {message}", .value.as_ref().map(|v| format!(" {v}")).unwrap_or_default())]
    Setting {
        key: &'static str,
        value: Option<String>,
        message: String,
    },

    /// Something the user gave that is wrong as a whole, not one setting: a network for a
    /// command, an architecture, a combination of runs.
    #[error("{what}: {message}")]
    Invalid { what: String, message: String },

    /// A signal (SIGINT, SIGTERM, SIGHUP) stopped the work; `what` says what was kept and how
    /// to go on. The CLI exits with 128 + `signal`.
    #[error("stopped by signal {signal}: {what}")]
    Stopped { signal: i32, what: String },

    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub(crate) fn setting(key: &'static str, message: impl Into<String>) -> Self {
        Error::Setting {
            key,
            value: None,
            message: message.into(),
        }
    }

    /// A setting error that shows the value given (`out runs/a: holds a run already`).
    pub(crate) fn setting_value(
        key: &'static str,
        value: impl std::fmt::Display,
        message: impl Into<String>,
    ) -> Self {
        Error::Setting {
            key,
            value: Some(value.to_string()),
            message: message.into(),
        }
    }

    pub(crate) fn invalid(what: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid {
            what: what.into(),
            message: message.into(),
        }
    }

    /// A setting error as one of `file`'s keys (a value read from a run's file, not typed).
    pub fn in_file(self, file: &std::path::Path) -> Self {
        match self {
            Error::Setting { key, message, .. } => Error::Data {
                path: file.into(),
                message: format!("key `{key}`: {message}"),
            },
            e => e,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
