//! `fooling info`: the adapters, the chosen one's limits and optional features.

use super::args::*;
use anyhow::Result;
use fooling::gpu::{describe, list_adapters};

pub fn info(gpu_args: &GpuArgs) -> Result<()> {
    let adapters = list_adapters(gpu_args.backend);
    println!("adapters ({}):", adapters.len());
    for a in &adapters {
        println!("  {}", describe(a));
    }
    let gpu = gpu_args.open()?;
    println!("chosen: {}", describe(&gpu.info));
    println!("matrix kernels: {:?}", gpu.variant);
    let l = &gpu.limits;
    println!("limits:");
    for (name, v) in [
        ("max_buffer_size", l.max_buffer_size),
        (
            "max_storage_buffer_binding_size",
            l.max_storage_buffer_binding_size,
        ),
        (
            "max_storage_buffers_per_shader_stage",
            l.max_storage_buffers_per_shader_stage as u64,
        ),
        (
            "min_storage_buffer_offset_alignment",
            l.min_storage_buffer_offset_alignment as u64,
        ),
        (
            "max_uniform_buffer_binding_size",
            l.max_uniform_buffer_binding_size,
        ),
        (
            "max_compute_workgroups_per_dimension",
            l.max_compute_workgroups_per_dimension as u64,
        ),
        (
            "max_compute_invocations_per_workgroup",
            l.max_compute_invocations_per_workgroup as u64,
        ),
        (
            "max_compute_workgroup_size_x",
            l.max_compute_workgroup_size_x as u64,
        ),
        (
            "max_compute_workgroup_size_y",
            l.max_compute_workgroup_size_y as u64,
        ),
        (
            "max_compute_workgroup_storage_size",
            l.max_compute_workgroup_storage_size as u64,
        ),
    ] {
        println!("  {name:<40} {v}");
    }
    let f = gpu.features;
    let yes = |b: bool| if b { "yes" } else { "no" };
    println!("optional features:");
    println!(
        "  timestamp queries                        {}",
        yes(f.timestamps)
    );
    println!(
        "  shader-f16                               {}",
        yes(f.shader_f16)
    );
    println!(
        "  subgroups                                {}",
        yes(f.subgroups)
    );
    Ok(())
}
