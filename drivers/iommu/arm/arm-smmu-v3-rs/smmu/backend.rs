// SPDX-License-Identifier: GPL-2.0

//! The backends the driver logic is generic over.
//!
//! | trait | kernel | host tests |
//! |---|---|---|
//! | [`RegisterIo`] | `kernel::io_mem::IoMem` over the SMMU's two register pages | the software SMMUv3 (`crate::model`) or a scripted fake |
//! | [`DmaAlloc`] / [`CoherentBuf`] | `dma_alloc_coherent` | an allocator over a sparse simulated memory |
//! | [`Delay`] | `udelay` | a counter (optionally advancing the model) |
//!
//! # Errors
//!
//! Register and buffer accessors return `Result`: the kernel's `IoMem`
//! checks every offset against the mapping, and a coherent buffer checks
//! every offset against its size. The driver only computes offsets from
//! validated indexes, so these errors indicate a backend or driver bug;
//! they are nevertheless propagated as [`SmmuError`](super::SmmuError)s
//! rather than ignored or turned into panics.

use core::fmt;

/// A register access the backend refused (offset outside the mapping, or
/// misaligned for the access size).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegFault {
    /// Byte offset of the refused access from the SMMU base.
    pub offset: usize,
}

impl fmt::Display for RegFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "register access at offset {:#x} refused", self.offset)
    }
}

/// Access to the SMMU's register file (pages 0 and 1, offsets as in
/// [`crate::hw::regs::offsets`]).
///
/// The ordered variants have the semantics of the kernel's `readl`/`writel`
/// family:
///
/// * an ordered *write* is not observed by the SMMU before any earlier CPU
///   write to coherent memory (the command queue entries before
///   `SMMU_CMDQ_PROD`, a repaired command before `SMMU_GERRORN`), nor
///   before earlier CPU reads of coherent memory complete (event records
///   before `SMMU_EVENTQ_CONS` frees their slots);
/// * an ordered *read* completes before any later CPU read of coherent
///   memory (records read after `SMMU_EVENTQ_PROD`).
///
/// The relaxed variants give no ordering against memory and default to
/// the ordered ones, which is always correct; a backend overrides them
/// when it has something cheaper.
///
/// Methods take `&self`: register state lives in the device, and the
/// backend is shared by the command queue, the event queue consumers and
/// the error handler.
pub trait RegisterIo {
    /// Ordered 32-bit read (`readl`).
    fn read32(&self, offset: usize) -> Result<u32, RegFault>;

    /// Ordered 32-bit write (`writel`).
    fn write32(&self, offset: usize, value: u32) -> Result<(), RegFault>;

    /// Ordered 64-bit read (`readq`).
    fn read64(&self, offset: usize) -> Result<u64, RegFault>;

    /// Ordered 64-bit write (`writeq`).
    fn write64(&self, offset: usize, value: u64) -> Result<(), RegFault>;

    /// Relaxed 32-bit read (`readl_relaxed`).
    fn read32_relaxed(&self, offset: usize) -> Result<u32, RegFault> {
        self.read32(offset)
    }

    /// Relaxed 32-bit write (`writel_relaxed`).
    fn write32_relaxed(&self, offset: usize, value: u32) -> Result<(), RegFault> {
        self.write32(offset, value)
    }

    /// Relaxed 64-bit read (`readq_relaxed`).
    fn read64_relaxed(&self, offset: usize) -> Result<u64, RegFault> {
        self.read64(offset)
    }

    /// Relaxed 64-bit write (`writeq_relaxed`).
    fn write64_relaxed(&self, offset: usize, value: u64) -> Result<(), RegFault> {
        self.write64(offset, value)
    }
}

/// An access outside a coherent buffer, or not 8-byte aligned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemFault {
    /// Byte offset of the refused access within the buffer.
    pub offset: usize,
}

impl fmt::Display for MemFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "coherent buffer access at offset {:#x} refused",
            self.offset
        )
    }
}

/// A block of DMA-coherent memory shared with the SMMU.
///
/// Freed when dropped. Accesses are single-copy-atomic, little-endian
/// 64-bit loads and stores (`READ_ONCE`/`WRITE_ONCE` of an `__le64`): the
/// SMMU reads the same words concurrently, so an implementation must never
/// split or merge them.
///
/// Methods take `&self` because the memory is shared with the device, as
/// with [`crate::hw::mem::PhysMem`]; the driver's own structures serialise
/// CPU-side writers.
///
/// # Invariants
///
/// Implementations guarantee that the memory is zeroed when allocated, that
/// [`CoherentBuf::dma_addr`] is aligned as requested from
/// [`DmaAlloc::alloc_coherent`], and that `dma_addr() + size()` does not
/// overflow.
pub trait CoherentBuf {
    /// The address the SMMU uses for the first byte of the buffer.
    fn dma_addr(&self) -> u64;

    /// Size of the buffer in bytes.
    fn size(&self) -> usize;

    /// Reads the 64-bit word at byte `offset` (a multiple of 8).
    fn read_u64(&self, offset: usize) -> Result<u64, MemFault>;

    /// Writes the 64-bit word at byte `offset` (a multiple of 8).
    fn write_u64(&self, offset: usize, value: u64) -> Result<(), MemFault>;

    /// Orders all earlier CPU writes to coherent memory before later ones
    /// as observed by the SMMU (`dma_wmb()`): a level-2 table before the
    /// level-1 descriptor pointing to it, a CD before the STE using it.
    fn dma_wmb(&self);
}

/// A coherent memory allocation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AllocError {
    /// The requested size in bytes.
    pub size: usize,
}

/// Allocator of DMA-coherent memory the SMMU can access.
///
/// The kernel implements it with `dma_alloc_coherent` on the SMMU's
/// device; the host tests with a bump allocator over simulated memory.
/// Buffers are returned by value so that the caller decides where they
/// live (a field, a fixed array, or a kernel container such as `KVec`):
/// this code has no heap.
pub trait DmaAlloc {
    /// The buffer type.
    type Buf: CoherentBuf;

    /// Allocates `size` bytes of zeroed coherent memory whose DMA address
    /// is aligned to `size` rounded up to a power of two (the driver only
    /// asks for power-of-two sizes of at least 64 bytes), as
    /// `dma_alloc_coherent` provides for power-of-two sizes.
    fn alloc_coherent(&self, size: usize) -> Result<Self::Buf, AllocError>;
}

/// A busy-wait time source for polling with timeouts.
///
/// Timeouts are counted in calls: a poll loop that has called
/// [`Delay::udelay`] with a total of `n` microseconds has waited at least
/// `n` microseconds of real time in the kernel. On the host the call is a
/// counter, or a hook that lets a simulated SMMU make progress.
pub trait Delay {
    /// Waits for about `us` microseconds without sleeping (callable in
    /// atomic context).
    fn udelay(&self, us: u32);
}

impl<T: RegisterIo + ?Sized> RegisterIo for &T {
    fn read32(&self, offset: usize) -> Result<u32, RegFault> {
        (**self).read32(offset)
    }

    fn write32(&self, offset: usize, value: u32) -> Result<(), RegFault> {
        (**self).write32(offset, value)
    }

    fn read64(&self, offset: usize) -> Result<u64, RegFault> {
        (**self).read64(offset)
    }

    fn write64(&self, offset: usize, value: u64) -> Result<(), RegFault> {
        (**self).write64(offset, value)
    }

    fn read32_relaxed(&self, offset: usize) -> Result<u32, RegFault> {
        (**self).read32_relaxed(offset)
    }

    fn write32_relaxed(&self, offset: usize, value: u32) -> Result<(), RegFault> {
        (**self).write32_relaxed(offset, value)
    }

    fn read64_relaxed(&self, offset: usize) -> Result<u64, RegFault> {
        (**self).read64_relaxed(offset)
    }

    fn write64_relaxed(&self, offset: usize, value: u64) -> Result<(), RegFault> {
        (**self).write64_relaxed(offset, value)
    }
}

impl<T: Delay + ?Sized> Delay for &T {
    fn udelay(&self, us: u32) {
        (**self).udelay(us)
    }
}
