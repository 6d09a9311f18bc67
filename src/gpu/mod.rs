//! The GPU context: adapter choice, device with the adapter's own limits, optional features,
//! typed buffers, readback, the pipeline cache and the dispatch-grid helper.
//!
//! Every wgpu call of the crate lives here and in [`crate::kernels`]. Getting a device is
//! separate from doing the work: everything else takes `&Gpu`.

mod buffer;
mod grid;

pub mod memory;
pub use buffer::{GpuBuffer, View};
pub use grid::grid_for;

use crate::error::{Error, Result};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Which graphics API wgpu should use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendChoice {
    /// `WGPU_BACKEND` when set, otherwise the platform's primary APIs (Vulkan, Metal, DX12),
    /// falling back to GL only when none of those has an adapter.
    #[default]
    Auto,
    Vulkan,
    Metal,
    Dx12,
    Gl,
}

impl BackendChoice {
    pub fn backends(self) -> wgpu::Backends {
        match self {
            BackendChoice::Auto => wgpu::Backends::from_env().unwrap_or(wgpu::Backends::PRIMARY),
            BackendChoice::Vulkan => wgpu::Backends::VULKAN,
            BackendChoice::Metal => wgpu::Backends::METAL,
            BackendChoice::Dx12 => wgpu::Backends::DX12,
            BackendChoice::Gl => wgpu::Backends::GL,
        }
    }
}

/// Which implementation of the matrix kernels (convolution, fully-connected) to launch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum KernelChoice {
    /// `subgroup` on CPU adapters with subgroups of at least 8 lanes (lavapipe), `direct` on
    /// other CPU adapters, `tiled` on GPUs.
    #[default]
    Auto,
    /// 64 × 64 tiles staged through workgroup memory: what GPUs want.
    Tiled,
    /// Register blocking straight from storage, no workgroup memory or barriers: what CPU
    /// adapters want (caches do the tiling; barriers are costly there).
    Direct,
    /// Register blocks of 8 to 32 rows fed by subgroup broadcasts (`kernels::subgroup`):
    /// where the adapter has subgroups of at least 8 lanes; `direct` elsewhere, and for
    /// products of fewer than 8 rows.
    Subgroup,
}

/// The resolved kernel variant a device uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    Tiled,
    Direct,
    Subgroup,
}

/// How to pick the adapter.
#[derive(Clone, Debug, Default)]
pub struct GpuOptions {
    pub backend: BackendChoice,
    /// Case-insensitive substring of the adapter's name; `None`: the first adapter in
    /// order discrete GPU, integrated GPU, virtual, CPU, other.
    pub adapter: Option<String>,
    pub kernels: KernelChoice,
    /// Bind at most this many bytes per storage binding, below the adapter's own limit: how
    /// a smaller device would split the same work (the tests exercise splitting with it).
    pub max_binding: Option<u64>,
}

/// Optional features found on the adapter and enabled on the device. None is required.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OptionalFeatures {
    pub timestamps: bool,
    pub shader_f16: bool,
    pub subgroups: bool,
}

impl OptionalFeatures {
    fn from_wgpu(f: wgpu::Features) -> Self {
        OptionalFeatures {
            timestamps: f.contains(wgpu::Features::TIMESTAMP_QUERY),
            shader_f16: f.contains(wgpu::Features::SHADER_F16),
            subgroups: f.contains(wgpu::Features::SUBGROUP),
        }
    }
    fn to_wgpu(self) -> wgpu::Features {
        let mut f = wgpu::Features::empty();
        if self.timestamps {
            f |= wgpu::Features::TIMESTAMP_QUERY;
        }
        if self.shader_f16 {
            f |= wgpu::Features::SHADER_F16;
        }
        if self.subgroups {
            f |= wgpu::Features::SUBGROUP;
        }
        f
    }
}

type PipelineKey = (&'static str, &'static str, Vec<(&'static str, u64)>);

/// One device and queue, plus the state that lives as long as they do.
pub struct Gpu {
    pub adapter: wgpu::Adapter,
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub info: wgpu::AdapterInfo,
    /// The limits the device was opened with (the adapter's own), with the storage-binding
    /// size lowered to [`GpuOptions::max_binding`] when one was asked for.
    pub limits: wgpu::Limits,
    pub features: OptionalFeatures,
    /// The implementation of the matrix kernels this device launches.
    pub variant: Variant,
    /// Every buffer's bytes, charged against what the device may hold.
    pub memory: Arc<memory::Memory>,
    modules: Mutex<HashMap<&'static str, wgpu::ShaderModule>>,
    pipelines: Mutex<HashMap<PipelineKey, Arc<wgpu::ComputePipeline>>>,
}

impl std::fmt::Debug for Gpu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Gpu({}, {:?} kernels)",
            describe(&self.info),
            self.variant
        )
    }
}

/// One line naming an adapter: name, type, backend, driver.
pub fn describe(info: &wgpu::AdapterInfo) -> String {
    let driver = [info.driver.as_str(), info.driver_info.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join(" ");
    format!(
        "{} ({:?}, {:?}{})",
        info.name,
        info.device_type,
        info.backend,
        if driver.is_empty() {
            String::new()
        } else {
            format!(", {driver}")
        }
    )
}

fn instance(backend: BackendChoice) -> wgpu::Instance {
    wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends: backend.backends(),
        flags: wgpu::InstanceFlags::default().with_env(),
        ..wgpu::InstanceDescriptor::new_without_display_handle()
    })
}

fn adapters(backend: BackendChoice) -> Vec<wgpu::Adapter> {
    let found = pollster::block_on(instance(backend).enumerate_adapters(backend.backends()));
    if found.is_empty() && backend == BackendChoice::Auto && wgpu::Backends::from_env().is_none() {
        return pollster::block_on(
            instance(BackendChoice::Gl).enumerate_adapters(wgpu::Backends::GL),
        );
    }
    found
}

/// Every adapter the chosen backend(s) can see.
pub fn list_adapters(backend: BackendChoice) -> Vec<wgpu::AdapterInfo> {
    adapters(backend).iter().map(|a| a.get_info()).collect()
}

fn rank(t: wgpu::DeviceType) -> u8 {
    match t {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Cpu => 3,
        wgpu::DeviceType::Other => 4,
    }
}

impl Gpu {
    /// Opens a device on the adapter chosen by `opts`, with the adapter's own limits and
    /// every optional feature it has.
    pub fn new(opts: &GpuOptions) -> Result<Gpu> {
        let mut adapters = adapters(opts.backend);
        if let Some(want) = &opts.adapter {
            let want = want.to_lowercase();
            adapters.retain(|a| a.get_info().name.to_lowercase().contains(&want));
        }
        adapters.sort_by_key(|a| rank(a.get_info().device_type));
        let adapter = adapters
            .into_iter()
            .next()
            .ok_or_else(|| Error::NoAdapter {
                backend: format!("{:?}", opts.backend).to_lowercase(),
                adapter: opts.adapter.clone(),
            })?;
        let info = adapter.get_info();
        let limits = adapter.limits();
        let opened = limits.clone();
        let mut limits = limits;
        if let Some(cap) = opts.max_binding {
            // a lower limit than the device's is always safe to hold ourselves to
            limits.max_storage_buffer_binding_size =
                limits.max_storage_buffer_binding_size.min(cap.max(256));
        }
        let features = OptionalFeatures::from_wgpu(adapter.features());
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("fooling"),
            required_features: features.to_wgpu(),
            required_limits: opened,
            ..Default::default()
        }))
        .map_err(|source| Error::RequestDevice {
            adapter: info.name.clone(),
            source,
        })?;
        // the subgroup kernels broadcast from lanes 0..8 of every subgroup
        let subgroups = features.subgroups && info.subgroup_min_size >= 8;
        let cpu = info.device_type == wgpu::DeviceType::Cpu;
        let variant = match opts.kernels {
            KernelChoice::Tiled => Variant::Tiled,
            KernelChoice::Direct => Variant::Direct,
            KernelChoice::Subgroup | KernelChoice::Auto
                if subgroups && (cpu || opts.kernels == KernelChoice::Subgroup) =>
            {
                Variant::Subgroup
            }
            KernelChoice::Subgroup => Variant::Direct,
            KernelChoice::Auto if cpu => Variant::Direct,
            KernelChoice::Auto => Variant::Tiled,
        };
        Ok(Gpu {
            variant,
            memory: memory::Memory::for_device(info.device_type),
            adapter,
            device,
            queue,
            info,
            limits,
            features,
            modules: Mutex::new(HashMap::new()),
            pipelines: Mutex::new(HashMap::new()),
        })
    }

    /// A compute pipeline for `entry` of the WGSL `source` (named `file`), with the given
    /// `override` constants; built once, then served from the cache.
    pub fn pipeline(
        &self,
        file: &'static str,
        source: &'static str,
        entry: &'static str,
        constants: &[(&'static str, f64)],
    ) -> Result<Arc<wgpu::ComputePipeline>> {
        let key: PipelineKey = (
            file,
            entry,
            constants.iter().map(|(k, v)| (*k, v.to_bits())).collect(),
        );
        if let Some(p) = self.pipelines.lock().unwrap().get(&key) {
            return Ok(p.clone());
        }
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = {
            let mut modules = self.modules.lock().unwrap();
            modules
                .entry(file)
                .or_insert_with(|| {
                    self.device
                        .create_shader_module(wgpu::ShaderModuleDescriptor {
                            label: Some(file),
                            source: wgpu::ShaderSource::Wgsl(source.into()),
                        })
                })
                .clone()
        };
        let pipeline = self
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(entry),
                layout: None,
                module: &module,
                entry_point: Some(entry),
                compilation_options: wgpu::PipelineCompilationOptions {
                    constants,
                    zero_initialize_workgroup_memory: false,
                },
                cache: None,
            });
        if let Some(err) = pollster::block_on(scope.pop()) {
            return Err(Error::Pipeline {
                kernel: format!("{file}:{entry}"),
                message: err.to_string(),
            });
        }
        let pipeline = Arc::new(pipeline);
        self.pipelines.lock().unwrap().insert(key, pipeline.clone());
        Ok(pipeline)
    }

    /// A uniform buffer holding `params`.
    pub fn uniform<T: bytemuck::Pod>(&self, label: &str, params: &T) -> wgpu::Buffer {
        use wgpu::util::DeviceExt;
        self.device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents: bytemuck::bytes_of(params),
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            })
    }

    /// Records what `record` puts into one compute pass of one encoder, and submits it
    /// (without waiting): the one place outside the kernels that builds an encoder.
    pub fn submit(&self, label: &str, record: impl FnOnce(&mut wgpu::ComputePass<'_>)) {
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some(label) });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some(label),
                timestamp_writes: None,
            });
            record(&mut pass);
        }
        self.queue.submit([encoder.finish()]);
    }

    /// Records `dispatches` into one compute pass, submits once and waits for the device.
    pub fn run(&self, dispatches: &[&Dispatch]) -> Result<()> {
        self.submit("run", |pass| {
            for d in dispatches {
                d.record(pass);
            }
        });
        self.wait()
    }

    /// Blocks until every submitted command has finished.
    pub fn wait(&self) -> Result<()> {
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map(|_| ())
            .map_err(|e| Error::Gpu {
                context: "waiting for the device".into(),
                message: e.to_string(),
            })
    }

    /// The largest number of bytes one storage binding may hold on this device.
    pub fn max_binding(&self) -> u64 {
        self.limits
            .max_storage_buffer_binding_size
            .min(self.limits.max_buffer_size)
    }
}

/// One recorded kernel launch: pipeline, bind group and grid, built once and replayed.
pub struct Dispatch {
    pub label: &'static str,
    pipeline: Arc<wgpu::ComputePipeline>,
    bind_group: wgpu::BindGroup,
    grid: [u32; 3],
    /// The params uniform, kept by launchers whose params change between replays.
    uniform: Option<wgpu::Buffer>,
    /// Dispatches recorded right after this one (a kernel in two steps, such as partial sums
    /// and their total), and the scratch buffers they share, kept as long as the dispatch.
    then: Vec<Dispatch>,
    scratch: Vec<GpuBuffer<f32>>,
}

impl Dispatch {
    /// Binds `resources` in order to bindings 0.. of group 0 of `pipeline`.
    pub fn new(
        gpu: &Gpu,
        label: &'static str,
        pipeline: Arc<wgpu::ComputePipeline>,
        resources: &[wgpu::BindingResource<'_>],
        grid: [u32; 3],
    ) -> Result<Dispatch> {
        let layout = pipeline.get_bind_group_layout(0);
        let entries: Vec<_> = resources
            .iter()
            .enumerate()
            .map(|(i, r)| wgpu::BindGroupEntry {
                binding: i as u32,
                resource: r.clone(),
            })
            .collect();
        let scope = gpu.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let bind_group = gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(label),
            layout: &layout,
            entries: &entries,
        });
        if let Some(err) = pollster::block_on(scope.pop()) {
            return Err(Error::Gpu {
                context: format!("binding the buffers of {label}"),
                message: err.to_string(),
            });
        }
        Ok(Dispatch {
            label,
            pipeline,
            bind_group,
            grid,
            uniform: None,
            then: Vec::new(),
            scratch: Vec::new(),
        })
    }

    /// This dispatch, then `next` (recorded after it in the same pass, where it sees what
    /// this one wrote).
    pub fn then(mut self, next: Dispatch) -> Dispatch {
        self.then.push(next);
        self
    }

    /// Keeps `buffer` (scratch this dispatch and those after it bind) alive with it.
    pub fn keep_buffer(mut self, buffer: GpuBuffer<f32>) -> Dispatch {
        self.scratch.push(buffer);
        self
    }

    /// Keeps `uniform` (the dispatch's params buffer) so [`Dispatch::write_uniform`] can
    /// change the params between replays without rebuilding the bind group.
    pub fn keep_uniform(mut self, uniform: wgpu::Buffer) -> Dispatch {
        self.uniform = Some(uniform);
        self
    }

    /// Rewrites the kept params uniform (ordered before the next submit).
    pub fn write_uniform<T: bytemuck::Pod>(&self, gpu: &Gpu, params: &T) {
        let u = self
            .uniform
            .as_ref()
            .expect("a dispatch built with keep_uniform");
        gpu.queue.write_buffer(u, 0, bytemuck::bytes_of(params));
    }

    pub fn record(&self, pass: &mut wgpu::ComputePass<'_>) {
        if !self.grid.contains(&0) {
            pass.set_pipeline(&self.pipeline);
            pass.set_bind_group(0, &self.bind_group, &[]);
            pass.dispatch_workgroups(self.grid[0], self.grid[1], self.grid[2]);
        }
        for next in &self.then {
            next.record(pass);
        }
    }
}
