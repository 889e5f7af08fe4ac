// SPDX-License-Identifier: GPL-2.0

//! Coherent DMA memory.
//!
//! C header: [`include/linux/dma-mapping.h`](srctree/include/linux/dma-mapping.h)
//!
//! [`CoherentAllocation`] owns a zeroed buffer that a device and the CPU
//! share without explicit cache maintenance, such as the tables and queues
//! an IOMMU reads. Element accesses are volatile and bounds-checked: an
//! aligned 64-bit element is read and written in a single access, which is
//! what hardware that reads the buffer concurrently needs.

use crate::{
    alloc::Flags,
    bindings,
    device::Device,
    error::{code::*, to_result, Result},
    types::ARef,
};
use core::ptr::NonNull;

/// A DMA address as the device sees it.
pub type DmaAddr = bindings::dma_addr_t;

/// Sets the DMA mask of `dev` for streaming and coherent mappings to `bits`.
pub fn set_mask_and_coherent(dev: &Device, bits: u32) -> Result {
    let mask = if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    // SAFETY: `dev` is a valid device.
    to_result(unsafe { bindings::dma_set_mask(dev.as_raw(), mask) })?;
    // SAFETY: `dev` is a valid device.
    to_result(unsafe { bindings::dma_set_coherent_mask(dev.as_raw(), mask) })
}

/// A zeroed coherent DMA buffer of `count` elements of `T`.
///
/// # Invariants
///
/// `cpu_addr` points to `count * size_of::<T>()` bytes returned by
/// `dma_alloc_attrs` for `dev`, at device address `dma_handle`; the buffer is
/// freed on drop. `T` is a plain integer type, so any bit pattern the device
/// leaves in the buffer is a valid `T`.
pub struct CoherentAllocation<T: Element> {
    dev: ARef<Device>,
    dma_handle: DmaAddr,
    count: usize,
    cpu_addr: NonNull<T>,
}

/// Element types of a [`CoherentAllocation`]: integers, for which every bit
/// pattern is valid.
pub trait Element: Copy + private::Sealed {}

mod private {
    pub trait Sealed {}
}

macro_rules! impl_element {
    ($($t:ty),*) => {
        $(impl private::Sealed for $t {} impl Element for $t {})*
    };
}
impl_element!(u8, u16, u32, u64);

// SAFETY: the buffer is plain memory; accesses are volatile element accesses
// that are safe from any thread.
unsafe impl<T: Element> Send for CoherentAllocation<T> {}
// SAFETY: as above; concurrent element accesses are the caller's protocol,
// exactly as with the device.
unsafe impl<T: Element> Sync for CoherentAllocation<T> {}

impl<T: Element> CoherentAllocation<T> {
    /// Allocates `count` zeroed elements for `dev`.
    pub fn alloc(dev: &Device, count: usize, flags: Flags) -> Result<Self> {
        let size = count.checked_mul(core::mem::size_of::<T>()).ok_or(EINVAL)?;
        if size == 0 {
            return Err(EINVAL);
        }
        let mut dma_handle: DmaAddr = 0;
        // SAFETY: `dev` is valid; `dma_handle` is a valid out-pointer.
        let ptr = unsafe {
            bindings::dma_alloc_attrs(
                dev.as_raw(),
                size,
                &mut dma_handle,
                flags.as_raw() | bindings::__GFP_ZERO,
                0,
            )
        };
        let cpu_addr = NonNull::new(ptr.cast::<T>()).ok_or(ENOMEM)?;
        // INVARIANT: allocated above for `dev` with the given size.
        Ok(Self {
            dev: dev.into(),
            dma_handle,
            count,
            cpu_addr,
        })
    }

    /// The device address of element 0.
    pub fn dma_handle(&self) -> DmaAddr {
        self.dma_handle
    }

    /// The number of elements.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Size in bytes.
    pub fn size(&self) -> usize {
        self.count * core::mem::size_of::<T>()
    }

    /// Reads element `index` in one access.
    pub fn read(&self, index: usize) -> Result<T> {
        if index >= self.count {
            return Err(EINVAL);
        }
        // SAFETY: in bounds (checked), aligned (allocation is page aligned
        // and `T` is an integer), and any bit pattern is a valid `T`.
        Ok(unsafe { self.cpu_addr.as_ptr().add(index).read_volatile() })
    }

    /// Writes element `index` in one access.
    pub fn write(&self, index: usize, value: T) -> Result {
        if index >= self.count {
            return Err(EINVAL);
        }
        // SAFETY: in bounds (checked) and aligned, see `read`.
        unsafe { self.cpu_addr.as_ptr().add(index).write_volatile(value) };
        Ok(())
    }

    /// The CPU address of element 0, for code that hands the buffer to C.
    pub fn cpu_addr(&self) -> *mut T {
        self.cpu_addr.as_ptr()
    }
}

impl<T: Element> Drop for CoherentAllocation<T> {
    fn drop(&mut self) {
        // SAFETY: by the type invariant the buffer was allocated for `dev`
        // with this size and handle, and is not used after this point.
        unsafe {
            bindings::dma_free_attrs(
                self.dev.as_raw(),
                self.size(),
                self.cpu_addr.as_ptr().cast(),
                self.dma_handle,
                0,
            )
        };
    }
}
