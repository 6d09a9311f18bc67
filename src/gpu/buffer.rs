//! Typed device buffers and views into them.

use super::Gpu;
use crate::error::{Error, Result};
use std::marker::PhantomData;

/// A device buffer of `len` elements of `T`, usable as storage, copy source and copy
/// destination. Its size is checked against the device's `max_buffer_size` on creation.
pub struct GpuBuffer<T> {
    buffer: wgpu::Buffer,
    len: usize,
    /// Its bytes against the device's budget, credited back when the buffer is dropped.
    _charge: super::memory::Charge,
    _t: PhantomData<T>,
}

/// A typed window `[offset, offset + len)` (in elements) of a [`GpuBuffer`], as bound to a
/// kernel.
#[derive(Clone, Copy)]
pub struct View<'a> {
    pub buffer: &'a wgpu::Buffer,
    /// Offset in elements.
    pub offset: usize,
    /// Length in elements.
    pub len: usize,
    elem: usize,
}

impl<'a> View<'a> {
    /// The view as a storage binding, checked against the binding limits.
    pub fn binding(&self, gpu: &Gpu, what: &str) -> Result<wgpu::BindingResource<'a>> {
        let bytes = (self.len * self.elem) as u64;
        let offset = (self.offset * self.elem) as u64;
        if bytes > gpu.limits.max_storage_buffer_binding_size {
            return Err(Error::LimitExceeded {
                what: format!("binding {what} ({} elements)", self.len),
                limit_name: "max_storage_buffer_binding_size",
                requested: bytes,
                limit: gpu.limits.max_storage_buffer_binding_size,
            });
        }
        let align = gpu.limits.min_storage_buffer_offset_alignment as u64;
        if !offset.is_multiple_of(align) {
            return Err(Error::LimitExceeded {
                what: format!(
                    "binding {what} at byte offset {offset}, not a multiple of the alignment"
                ),
                limit_name: "min_storage_buffer_offset_alignment",
                requested: offset,
                limit: align,
            });
        }
        Ok(wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer: self.buffer,
            offset,
            size: std::num::NonZeroU64::new(bytes.max(4)),
        }))
    }
}

impl<T: bytemuck::Pod> GpuBuffer<T> {
    fn create(
        gpu: &Gpu,
        label: &str,
        len: usize,
        mapped: bool,
    ) -> Result<(wgpu::Buffer, super::memory::Charge)> {
        let too_big = || Error::LimitExceeded {
            what: format!("buffer '{label}' of {len} elements"),
            limit_name: "max_buffer_size",
            requested: u64::MAX,
            limit: gpu.limits.max_buffer_size,
        };
        let bytes = len
            .max(1)
            .checked_mul(std::mem::size_of::<T>())
            .ok_or_else(too_big)?
            .next_multiple_of(4) as u64;
        if bytes > gpu.limits.max_buffer_size {
            return Err(Error::LimitExceeded {
                what: format!("buffer '{label}' of {len} elements"),
                limit_name: "max_buffer_size",
                requested: bytes,
                limit: gpu.limits.max_buffer_size,
            });
        }
        let charge = gpu
            .memory
            .charge(&format!("buffer '{label}' of {len} elements"), bytes)?;
        let scope = gpu.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let buffer = gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: bytes,
            usage: wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_SRC
                | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: mapped,
        });
        if pollster::block_on(scope.pop()).is_some() {
            return Err(gpu
                .memory
                .exceeded(&format!("buffer '{label}' of {len} elements"), bytes));
        }
        Ok((buffer, charge))
    }

    /// A buffer of `len` elements whose contents are all zero bytes.
    pub fn zeros(gpu: &Gpu, label: &str, len: usize) -> Result<Self> {
        let (buffer, charge) = Self::create(gpu, label, len, false)?;
        Ok(GpuBuffer {
            buffer,
            len,
            _charge: charge,
            _t: PhantomData,
        })
    }

    /// A buffer holding a copy of `data`.
    pub fn from_slice(gpu: &Gpu, label: &str, data: &[T]) -> Result<Self> {
        let (buffer, charge) = Self::create(gpu, label, data.len(), true)?;
        {
            let bytes: &[u8] = bytemuck::cast_slice(data);
            let mut view = buffer
                .slice(..)
                .get_mapped_range_mut()
                .map_err(|e| Error::Gpu {
                    context: format!("filling buffer '{label}'"),
                    message: e.to_string(),
                })?;
            view.slice(..bytes.len()).copy_from_slice(bytes);
        }
        buffer.unmap();
        Ok(GpuBuffer {
            buffer,
            len: data.len(),
            _charge: charge,
            _t: PhantomData,
        })
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn raw(&self) -> &wgpu::Buffer {
        &self.buffer
    }

    /// The whole buffer as a view.
    pub fn view(&self) -> View<'_> {
        self.slice(0, self.len)
    }

    /// Elements `[offset, offset + len)`.
    pub fn slice(&self, offset: usize, len: usize) -> View<'_> {
        assert!(
            offset + len <= self.len,
            "view [{offset}, {}) past the end of a buffer of {} elements",
            offset + len,
            self.len
        );
        View {
            buffer: &self.buffer,
            offset,
            len,
            elem: std::mem::size_of::<T>(),
        }
    }

    /// Writes `data` at element `offset` (queued; ordered before the next submit).
    pub fn write(&self, gpu: &Gpu, offset: usize, data: &[T]) {
        assert!(
            offset + data.len() <= self.len,
            "write past the end of the buffer"
        );
        gpu.queue.write_buffer(
            &self.buffer,
            (offset * std::mem::size_of::<T>()) as u64,
            bytemuck::cast_slice(data),
        );
    }

    /// Fills the buffer with copies of `value` (tests poison outputs with NaN this way).
    pub fn fill(&self, gpu: &Gpu, value: T) {
        self.write(gpu, 0, &vec![value; self.len]);
    }

    /// Copies the whole buffer back to the host; waits for the device.
    pub fn read(&self, gpu: &Gpu) -> Result<Vec<T>> {
        self.read_range(gpu, 0, self.len)
    }

    /// Copies elements `[offset, offset + len)` back to the host; waits for the device.
    pub fn read_range(&self, gpu: &Gpu, offset: usize, len: usize) -> Result<Vec<T>> {
        let mut encoder = gpu.device.create_command_encoder(&Default::default());
        let staged = self.stage(gpu, &mut encoder, offset, len);
        gpu.queue.submit([encoder.finish()]);
        staged.finish(gpu)
    }

    /// Copies this buffer and `other` back to the host with one submit and one wait (for
    /// loops that need both each iteration).
    pub fn read_with<U: bytemuck::Pod>(
        &self,
        other: &GpuBuffer<U>,
        gpu: &Gpu,
    ) -> Result<(Vec<T>, Vec<U>)> {
        let mut encoder = gpu.device.create_command_encoder(&Default::default());
        let a = self.stage(gpu, &mut encoder, 0, self.len);
        let b = other.stage(gpu, &mut encoder, 0, other.len);
        gpu.queue.submit([encoder.finish()]);
        Ok((a.finish(gpu)?, b.finish(gpu)?))
    }

    /// Records a copy of elements `[offset, offset + len)` into a new staging buffer.
    fn stage(
        &self,
        gpu: &Gpu,
        encoder: &mut wgpu::CommandEncoder,
        offset: usize,
        len: usize,
    ) -> Staged<T> {
        assert!(offset + len <= self.len, "read past the end of the buffer");
        let size = std::mem::size_of::<T>();
        let (start, bytes) = ((offset * size) as u64, (len * size) as u64);
        // copies need 4-byte alignment: widen the window and trim on the host
        let (a_start, a_end) = (start & !3, (start + bytes).next_multiple_of(4));
        let staging = gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size: (a_end - a_start).max(4),
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        if a_end > a_start {
            encoder.copy_buffer_to_buffer(&self.buffer, a_start, &staging, 0, a_end - a_start);
        }
        Staged {
            staging,
            lo: (start - a_start) as usize,
            bytes: bytes as usize,
            _t: PhantomData,
        }
    }
}

/// A copy recorded by `GpuBuffer::stage`, to be mapped once its submit has run.
struct Staged<T> {
    staging: wgpu::Buffer,
    lo: usize,
    bytes: usize,
    _t: PhantomData<T>,
}

impl<T: bytemuck::Pod> Staged<T> {
    /// Waits for the device and returns the copied elements.
    fn finish(self, gpu: &Gpu) -> Result<Vec<T>> {
        let err = |context: &str, e: String| Error::Gpu {
            context: context.into(),
            message: e,
        };
        let (tx, rx) = std::sync::mpsc::channel();
        self.staging
            .slice(..)
            .map_async(wgpu::MapMode::Read, move |r| tx.send(r).unwrap_or(()));
        gpu.wait()?;
        rx.recv()
            .map_err(|e| err("reading a buffer back", e.to_string()))?
            .map_err(|e| err("mapping a buffer for reading", e.to_string()))?;
        let mapped = self
            .staging
            .slice(..)
            .get_mapped_range()
            .map_err(|e| err("reading a mapped buffer", e.to_string()))?;
        let out = bytemuck::pod_collect_to_vec(&mapped[self.lo..self.lo + self.bytes]);
        drop(mapped);
        self.staging.unmap();
        Ok(out)
    }
}
