//! What the benches share: timing a recorded replay.

use fooling::gpu::Gpu;
use std::time::Instant;

/// The adapter with the matrix kernels `FOOLING_KERNELS` asks for (`auto` when unset, as
/// the CLI's `--kernels`): `FOOLING_KERNELS=direct` measures the kernels the subgroup form
/// replaced, on the same machine.
pub fn gpu() -> Gpu {
    use fooling::gpu::{GpuOptions, KernelChoice};
    let kernels = match std::env::var("FOOLING_KERNELS").as_deref() {
        Ok("tiled") => KernelChoice::Tiled,
        Ok("direct") => KernelChoice::Direct,
        Ok("subgroup") => KernelChoice::Subgroup,
        Ok("auto") | Err(_) => KernelChoice::Auto,
        Ok(other) => panic!("FOOLING_KERNELS={other}: expected auto, tiled, direct or subgroup"),
    };
    Gpu::new(&GpuOptions {
        kernels,
        ..GpuOptions::default()
    })
    .expect("a GPU adapter")
}

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

/// The adapter's own ceilings, measured in this run: arithmetic (GFLOP/s of a kernel of
/// independent vec4 multiply-adds in registers, `peak_fma`) and memory (GB/s of a vec4 copy
/// of 64 MiB, `peak_copy`). Every figure of a bench is read against these.
#[derive(Clone, Copy, Debug)]
pub struct Peak {
    pub gflops: f64,
    pub gbps: f64,
    /// GFLOP/s of `peak_gather`: the direct convolution's loads and multiply-adds, in the
    /// same proportion, with nothing else.
    pub gather: f64,
}

impl Peak {
    pub fn measure(gpu: &Gpu, quick: bool) -> Peak {
        use fooling::gpu::GpuBuffer;
        use fooling::kernels;
        let (invocations, iterations) = (256 * 1024, if quick { 64 } else { 256 });
        let out = GpuBuffer::<f32>::zeros(gpu, "peak out", invocations).unwrap();
        let fma = kernels::peak_fma(gpu, iterations, out.view()).unwrap();
        let secs = time(gpu, quick, &|pass| fma.record(pass));
        let gflops = invocations as f64 * kernels::peak_flop(iterations) / secs / 1e9;
        let n = (if quick { 4 } else { 16 }) << 20;
        let (src, dst) = (
            GpuBuffer::<f32>::zeros(gpu, "peak src", n).unwrap(),
            GpuBuffer::<f32>::zeros(gpu, "peak dst", n).unwrap(),
        );
        let copy = kernels::peak_copy(gpu, src.view(), dst.view()).unwrap();
        let secs = time(gpu, quick, &|pass| copy.record(pass));
        let gbps = 2.0 * 4.0 * n as f64 / secs / 1e9;
        // a table that stays in cache (1 MiB), as a layer's weights and input tile do
        let table = GpuBuffer::<f32>::zeros(gpu, "peak table", 1 << 18).unwrap();
        table.fill(gpu, 0.5);
        let gathered = kernels::peak_gather(gpu, iterations, table.view(), out.view()).unwrap();
        let secs = time(gpu, quick, &|pass| gathered.record(pass));
        let gather = invocations as f64 * kernels::gather_flop(iterations) / secs / 1e9;
        let peak = Peak {
            gflops,
            gbps,
            gather,
        };
        println!(
            "adapter peak (measured in this run): {:.1} GFLOP/s (peak_fma: independent vec4 multiply-adds), {:.1} GB/s (peak_copy: a vec4 copy of {} MiB); the direct convolution's access pattern alone (peak_gather: 8 loads per 32 FLOP): {:.1} GFLOP/s, {}",
            peak.gflops,
            peak.gbps,
            (n * 4) >> 20,
            peak.gather,
            peak.of(peak.gather)
        );
        peak
    }

    /// `gflops` as a percentage of the arithmetic peak.
    pub fn of(&self, gflops: f64) -> String {
        format!("{:.0}%", 100.0 * gflops / self.gflops)
    }
}
