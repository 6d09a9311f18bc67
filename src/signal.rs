//! The process-wide stop request: set by Ctrl-C, read by the loops that can stop at a
//! checkpoint. The handler is installed once per process (`reproduce` runs several
//! evolutions in one), and a second Ctrl-C while a checkpoint is written is ignored (the
//! checkpoint is atomic anyway).

use std::sync::atomic::{AtomicBool, Ordering};

/// The flag, with its handler installed on first use.
pub fn stop_flag() -> &'static AtomicBool {
    static FLAG: AtomicBool = AtomicBool::new(false);
    static HANDLER: std::sync::Once = std::sync::Once::new();
    HANDLER.call_once(|| {
        let _ = ctrlc::set_handler(|| FLAG.store(true, Ordering::SeqCst));
    });
    &FLAG
}
