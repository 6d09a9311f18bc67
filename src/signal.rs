//! The process-wide stop request: SIGINT (Ctrl-C), SIGTERM (what Slurm and other schedulers
//! send at a time limit) and SIGHUP (a closed terminal) ask the loops that can stop at a
//! checkpoint to do so, and the command then exits with the conventional status, 128 + the
//! signal's number. The handlers are installed once per process (`reproduce` runs several
//! evolutions in one); a second signal while a checkpoint is written changes nothing (the
//! checkpoint is atomic anyway). Elsewhere than Unix, Ctrl-C alone is caught.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

/// SIGINT's number, the status base of an interruption.
const SIGINT: usize = 2;

/// The stop request: the number of the signal that asked to stop, 0 while none has.
pub struct Stop(Arc<AtomicUsize>);

impl Stop {
    /// The signal that asked to stop, if one has.
    pub fn signal(&self) -> Option<i32> {
        match self.0.load(Ordering::SeqCst) {
            0 => None,
            s => Some(s as i32),
        }
    }

    /// Whether a signal asked to stop.
    pub fn requested(&self) -> bool {
        self.signal().is_some()
    }

    /// `Err(Error::Stopped)` saying `what` when a signal asked to stop, else `Ok`.
    pub fn check(&self, what: impl FnOnce() -> String) -> crate::Result<()> {
        match self.signal() {
            Some(signal) => Err(crate::Error::Stopped {
                signal,
                what: what(),
            }),
            None => Ok(()),
        }
    }

    /// The conventional exit status after stopping: 128 + the signal's number (130 for
    /// SIGINT, 143 for SIGTERM, 129 for SIGHUP).
    pub fn exit_status(&self) -> i32 {
        128 + self.signal().unwrap_or(SIGINT as i32)
    }
}

/// The stop request, with its handlers installed on first use.
pub fn stop() -> &'static Stop {
    static STOP: OnceLock<Stop> = OnceLock::new();
    STOP.get_or_init(|| {
        let flag = Arc::new(AtomicUsize::new(0));
        install(&flag);
        Stop(flag)
    })
}

#[cfg(unix)]
fn install(flag: &Arc<AtomicUsize>) {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    for sig in [SIGINT, SIGTERM, SIGHUP] {
        let _ = signal_hook::flag::register_usize(sig, flag.clone(), sig as usize);
    }
}

#[cfg(not(unix))]
fn install(flag: &Arc<AtomicUsize>) {
    let flag = flag.clone();
    let _ = ctrlc::set_handler(move || flag.store(SIGINT, Ordering::SeqCst));
}
