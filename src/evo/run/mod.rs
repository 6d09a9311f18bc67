//! A run directory and the loop that fills it. The directory holds `config.toml` (every
//! effective parameter, [`config`]), `stats.csv` and `cells.csv` (a row per recorded
//! generation), `champions.csv`, `archive/` (one PNG per class), `gallery.png` ([`files`]),
//! and `checkpoint/` ([`checkpoint`]), every file written atomically so an interrupted run
//! loses nothing already written. The [`Runner`] drives a search through a run, new or
//! resumed, and tells an [`Observer`] how it goes; it prints nothing itself.

pub mod checkpoint;
pub mod config;
pub mod files;
mod open;
mod runner;

pub use checkpoint::{checkpoint_path, Checkpoint, RunMark, Search};
pub use config::{ColorConfig, EvolveSettings, RunConfig, SearchConfig};
pub use files::{cells_row, study_run, study_seed, truncate_stats, write_outputs, STATS_HEADER};
pub use runner::{Observer, Outcome, Progress, Runner, MAX_RUNS};
