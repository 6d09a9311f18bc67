//! What the benches share: timing a recorded replay.

use fooling::gpu::Gpu;
use std::time::Instant;

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Seconds per replay of what `record` records: one replay to warm up (an adapter may
/// compile a pipeline at its first use: lavapipe does, for seconds), then the median of a
/// few samples (one when a replay takes seconds, as on a CPU adapter), each synced once.
pub fn time(gpu: &Gpu, quick: bool, record: &dyn Fn(&mut wgpu::ComputePass<'_>)) -> f64 {
    let run = |reps: usize| {
        let start = Instant::now();
        let mut enc = gpu.device.create_command_encoder(&Default::default());
        {
            let mut pass = enc.begin_compute_pass(&Default::default());
            for _ in 0..reps {
                record(&mut pass);
            }
        }
        gpu.queue.submit([enc.finish()]);
        gpu.wait().unwrap();
        start.elapsed().as_secs_f64()
    };
    run(1);
    let once = run(1).max(1e-6);
    if once > 2.0 {
        return once;
    }
    let target = if quick { 0.05 } else { 0.3 };
    let reps = ((target / once) as usize).clamp(1, 1000);
    median(
        (0..if quick { 3 } else { 5 })
            .map(|_| run(reps) / reps as f64)
            .collect(),
    )
}
