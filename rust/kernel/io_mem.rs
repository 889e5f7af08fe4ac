// SPDX-License-Identifier: GPL-2.0

//! Memory-mapped I/O regions.
//!
//! C header: [`include/asm-generic/io.h`](srctree/include/asm-generic/io.h)
//!
//! [`IoMem`] owns a claimed and mapped physical region and gives 32- and
//! 64-bit register access to it. Every access is checked against the size of
//! the mapping and the natural alignment of the access, so a bad offset is an
//! error (`EINVAL`), never a stray access.

use crate::{
    bindings,
    error::{code::*, Result},
    ffi::c_void,
    str::CStr,
};

/// A claimed and mapped MMIO region.
///
/// # Invariants
///
/// `addr` is the virtual address of an `ioremap()` mapping of `size` bytes
/// starting at physical address `start`, and the physical range is claimed
/// with `request_mem_region()`; both are released on drop.
pub struct IoMem {
    addr: usize,
    size: usize,
    start: u64,
}

// SAFETY: MMIO accessors may be used from any thread.
unsafe impl Send for IoMem {}
// SAFETY: concurrent accesses are accesses to device registers; ordering
// between them is the user's business, as in C.
unsafe impl Sync for IoMem {}

impl IoMem {
    /// Claims `[start, start + size)` under `name` and maps it.
    pub fn new(start: u64, size: usize, name: &CStr) -> Result<Self> {
        if size == 0 {
            return Err(EINVAL);
        }
        // SAFETY: `iomem_resource` is the root of the I/O memory tree; the
        // name outlives the claim (it is the device's name and the region is
        // released before the device goes away, when `self` is dropped by
        // the bound driver).
        let res = unsafe {
            bindings::__request_region(
                core::ptr::addr_of_mut!(bindings::iomem_resource),
                start,
                size as u64,
                name.as_char_ptr(),
                0,
            )
        };
        if res.is_null() {
            return Err(EBUSY);
        }
        // SAFETY: the region is ours; mapping it has no other precondition.
        let addr = unsafe { bindings::ioremap(start, size) };
        if addr.is_null() {
            // SAFETY: releasing the region claimed just above.
            unsafe {
                bindings::__release_region(
                    core::ptr::addr_of_mut!(bindings::iomem_resource),
                    start,
                    size as u64,
                )
            };
            return Err(ENOMEM);
        }
        // INVARIANT: mapped and claimed above.
        Ok(Self {
            addr: addr as usize,
            size,
            start,
        })
    }

    /// Size of the mapping in bytes.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Physical address of the first byte.
    pub fn phys_start(&self) -> u64 {
        self.start
    }

    fn checked(&self, offset: usize, width: usize) -> Result<*mut c_void> {
        let end = offset.checked_add(width).ok_or(EINVAL)?;
        if end > self.size || offset % width != 0 {
            return Err(EINVAL);
        }
        Ok((self.addr + offset) as *mut c_void)
    }

    /// Reads the 32-bit register at `offset` (ordered against DMA, `readl`).
    pub fn read32(&self, offset: usize) -> Result<u32> {
        let p = self.checked(offset, 4)?;
        // SAFETY: `p` is in bounds of the mapping and aligned (checked).
        Ok(unsafe { bindings::readl(p) })
    }

    /// Reads the 32-bit register at `offset` without ordering (`readl_relaxed`).
    pub fn read32_relaxed(&self, offset: usize) -> Result<u32> {
        let p = self.checked(offset, 4)?;
        // SAFETY: `p` is in bounds of the mapping and aligned (checked).
        Ok(unsafe { bindings::readl_relaxed(p) })
    }

    /// Writes the 32-bit register at `offset` (ordered after prior memory
    /// writes, `writel`).
    pub fn write32(&self, value: u32, offset: usize) -> Result {
        let p = self.checked(offset, 4)?;
        // SAFETY: `p` is in bounds of the mapping and aligned (checked).
        unsafe { bindings::writel(value, p) };
        Ok(())
    }

    /// Writes the 32-bit register at `offset` without ordering.
    pub fn write32_relaxed(&self, value: u32, offset: usize) -> Result {
        let p = self.checked(offset, 4)?;
        // SAFETY: `p` is in bounds of the mapping and aligned (checked).
        unsafe { bindings::writel_relaxed(value, p) };
        Ok(())
    }

    /// Reads the 64-bit register at `offset` (`readq`).
    pub fn read64(&self, offset: usize) -> Result<u64> {
        let p = self.checked(offset, 8)?;
        // SAFETY: `p` is in bounds of the mapping and aligned (checked).
        Ok(unsafe { bindings::readq(p) })
    }

    /// Reads the 64-bit register at `offset` without ordering.
    pub fn read64_relaxed(&self, offset: usize) -> Result<u64> {
        let p = self.checked(offset, 8)?;
        // SAFETY: `p` is in bounds of the mapping and aligned (checked).
        Ok(unsafe { bindings::readq_relaxed(p) })
    }

    /// Writes the 64-bit register at `offset` (`writeq`).
    pub fn write64(&self, value: u64, offset: usize) -> Result {
        let p = self.checked(offset, 8)?;
        // SAFETY: `p` is in bounds of the mapping and aligned (checked).
        unsafe { bindings::writeq(value, p) };
        Ok(())
    }

    /// Writes the 64-bit register at `offset` without ordering.
    pub fn write64_relaxed(&self, value: u64, offset: usize) -> Result {
        let p = self.checked(offset, 8)?;
        // SAFETY: `p` is in bounds of the mapping and aligned (checked).
        unsafe { bindings::writeq_relaxed(value, p) };
        Ok(())
    }
}

impl Drop for IoMem {
    fn drop(&mut self) {
        // SAFETY: by the type invariant the mapping and the claim are ours.
        unsafe {
            bindings::iounmap(self.addr as *mut c_void);
            bindings::__release_region(
                core::ptr::addr_of_mut!(bindings::iomem_resource),
                self.start,
                self.size as u64,
            );
        }
    }
}
