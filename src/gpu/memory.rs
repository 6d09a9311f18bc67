//! What a device may allocate: every buffer is charged against a budget before it is
//! created and credited back when dropped, so a request that cannot fit is a typed error
//! naming the limit, before anything is allocated, instead of an out-of-memory kill. On a
//! CPU adapter (lavapipe), device memory is the machine's: the budget is three quarters of
//! the memory available when the device was opened. A GPU reports its own shortage, which
//! `GpuBuffer` turns into the same error.

use crate::error::{Error, Result};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The device's allocations against its budget.
#[derive(Debug)]
pub struct Memory {
    used: AtomicU64,
    /// Bytes the device may hold, and what bounds them.
    budget: u64,
    limit_name: &'static str,
}

/// One buffer's charge, credited back when dropped.
#[derive(Debug)]
pub struct Charge {
    memory: Arc<Memory>,
    bytes: u64,
}

impl Drop for Charge {
    fn drop(&mut self) {
        self.memory.used.fetch_sub(self.bytes, Ordering::SeqCst);
    }
}

impl Memory {
    /// The budget of a device of `device_type`.
    pub fn for_device(device_type: wgpu::DeviceType) -> Arc<Memory> {
        let host = (device_type == wgpu::DeviceType::Cpu)
            .then(available_bytes)
            .flatten();
        Arc::new(match host {
            Some(bytes) => Memory {
                used: AtomicU64::new(0),
                budget: bytes / 4 * 3,
                limit_name: "three quarters of the machine's available memory",
            },
            None => Memory {
                used: AtomicU64::new(0),
                budget: u64::MAX,
                limit_name: "the device's memory",
            },
        })
    }

    /// Charges `bytes` for `what`, or says that they do not fit.
    pub fn charge(self: &Arc<Memory>, what: &str, bytes: u64) -> Result<Charge> {
        let before = self.used.fetch_add(bytes, Ordering::SeqCst);
        let total = before.saturating_add(bytes);
        if total > self.budget {
            self.used.fetch_sub(bytes, Ordering::SeqCst);
            return Err(self.exceeded(what, total));
        }
        Ok(Charge {
            memory: self.clone(),
            bytes,
        })
    }

    /// The error for `what` needing `total` bytes in all.
    pub fn exceeded(&self, what: &str, total: u64) -> Error {
        Error::LimitExceeded {
            what: format!("{what} (with what the device holds already)"),
            limit_name: self.limit_name,
            requested: total,
            limit: self.budget,
        }
    }
}

/// The memory available on this machine (Linux: `MemAvailable` of /proc/meminfo).
fn available_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}
