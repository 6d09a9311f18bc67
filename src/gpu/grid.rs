//! Launch maths that knows the limits.

use super::Gpu;
use crate::error::{Error, Result};

/// A 2-D grid holding at least `workgroups` workgroups, split past the adapter's
/// `max_compute_workgroups_per_dimension` (65,535 on most adapters).
///
/// Kernels recover their linear workgroup index as `wid.x + wid.y * num_workgroups.x` and
/// return early (uniformly, for the whole workgroup) when it is past their work.
pub fn grid_for(gpu: &Gpu, what: &str, workgroups: u64) -> Result<[u32; 3]> {
    split(
        what,
        workgroups,
        gpu.limits.max_compute_workgroups_per_dimension as u64,
    )
}

pub(crate) fn split(what: &str, workgroups: u64, max_dim: u64) -> Result<[u32; 3]> {
    if workgroups == 0 {
        return Ok([0, 1, 1]);
    }
    let x = workgroups.min(max_dim);
    let y = workgroups.div_ceil(x);
    if y > max_dim {
        return Err(Error::LimitExceeded {
            what: format!("{what}: {workgroups} workgroups"),
            limit_name: "max_compute_workgroups_per_dimension (squared)",
            requested: workgroups,
            limit: max_dim * max_dim,
        });
    }
    Ok([x as u32, y as u32, 1])
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn splits_past_the_per_dimension_limit() {
        assert_eq!(split("k", 10, 65535).unwrap(), [10, 1, 1]);
        assert_eq!(split("k", 65535, 65535).unwrap(), [65535, 1, 1]);
        assert_eq!(split("k", 65536, 65535).unwrap(), [65535, 2, 1]);
        assert_eq!(split("k", 147_456, 65535).unwrap(), [65535, 3, 1]);
        for n in [1u64, 7, 1000, 65_534, 200_000, 1 << 31] {
            let [x, y, _] = split("k", n, 65535).unwrap();
            assert!(x as u64 * y as u64 >= n && (x as u64) * (y as u64 - 1) < n);
        }
        assert!(split("k", 65535 * 65535 + 1, 65535).is_err());
        assert_eq!(split("k", 0, 65535).unwrap(), [0, 1, 1]);
    }
}
