//! The paper's experiments over runs (docs/paper.md §7 and §8): transfer of champions to
//! other networks ([`transfer`]), ablation of champions (R9, [`ablate`]), merging the
//! archives of several runs cell by cell ([`merge`]), retraining with a fooling class
//! ([`retrain`]), and the whole reproduction as a typed plan ([`reproduce`]). What they read of
//! a finished run is [`crate::rundir`]'s.

pub mod ablate;
pub mod merge;
mod recorded;
pub mod reproduce;
pub mod retrain;
pub mod transfer;

pub(crate) use recorded::{run_network, RunNetwork};
