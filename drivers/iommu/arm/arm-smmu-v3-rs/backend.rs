// SPDX-License-Identifier: GPL-2.0

//! Kernel implementations of the driver core's backend traits: registers
//! through an MMIO mapping, coherent memory through `dma_alloc_coherent`,
//! busy-waiting through `udelay`.

use crate::smmu::{AllocError, CoherentBuf, Delay, DmaAlloc, MemFault, RegFault, RegisterIo};
use kernel::{
    bindings, device::Device, dma::CoherentAllocation, io_mem::IoMem, prelude::*, types::ARef,
};

/// The SMMU's register file, mapped.
pub(crate) struct MmioRegs(pub(crate) IoMem);

impl RegisterIo for MmioRegs {
    fn read32(&self, offset: usize) -> Result<u32, RegFault> {
        self.0.read32(offset).map_err(|_| RegFault { offset })
    }

    fn write32(&self, offset: usize, value: u32) -> Result<(), RegFault> {
        self.0
            .write32(value, offset)
            .map_err(|_| RegFault { offset })
    }

    fn read64(&self, offset: usize) -> Result<u64, RegFault> {
        self.0.read64(offset).map_err(|_| RegFault { offset })
    }

    fn write64(&self, offset: usize, value: u64) -> Result<(), RegFault> {
        self.0
            .write64(value, offset)
            .map_err(|_| RegFault { offset })
    }

    fn read32_relaxed(&self, offset: usize) -> Result<u32, RegFault> {
        self.0
            .read32_relaxed(offset)
            .map_err(|_| RegFault { offset })
    }

    fn write32_relaxed(&self, offset: usize, value: u32) -> Result<(), RegFault> {
        self.0
            .write32_relaxed(value, offset)
            .map_err(|_| RegFault { offset })
    }

    fn read64_relaxed(&self, offset: usize) -> Result<u64, RegFault> {
        self.0
            .read64_relaxed(offset)
            .map_err(|_| RegFault { offset })
    }

    fn write64_relaxed(&self, offset: usize, value: u64) -> Result<(), RegFault> {
        self.0
            .write64_relaxed(value, offset)
            .map_err(|_| RegFault { offset })
    }
}

/// The registers of an SMMU instance: MMIO for hardware, or the software
/// model's register file.
pub(crate) enum KernelRegs {
    /// A hardware SMMU.
    Mmio(MmioRegs),
    /// The software model ([`crate::model_backend`]).
    #[cfg(CONFIG_ARM_SMMU_V3_RUST_MODEL)]
    Model(crate::model_backend::ModelRegs),
}

impl KernelRegs {
    /// The model behind these registers, if they are the model's.
    #[cfg(CONFIG_ARM_SMMU_V3_RUST_MODEL)]
    pub(crate) fn model(&self) -> Option<&kernel::sync::Arc<crate::model_backend::ModelSmmu>> {
        match self {
            Self::Model(m) => Some(&m.0),
            Self::Mmio(_) => None,
        }
    }
}

macro_rules! dispatch {
    ($self:ident, $r:ident => $e:expr) => {
        match $self {
            KernelRegs::Mmio($r) => $e,
            #[cfg(CONFIG_ARM_SMMU_V3_RUST_MODEL)]
            KernelRegs::Model($r) => $e,
        }
    };
}

impl RegisterIo for KernelRegs {
    fn read32(&self, offset: usize) -> Result<u32, RegFault> {
        dispatch!(self, r => r.read32(offset))
    }

    fn write32(&self, offset: usize, value: u32) -> Result<(), RegFault> {
        dispatch!(self, r => r.write32(offset, value))
    }

    fn read64(&self, offset: usize) -> Result<u64, RegFault> {
        dispatch!(self, r => r.read64(offset))
    }

    fn write64(&self, offset: usize, value: u64) -> Result<(), RegFault> {
        dispatch!(self, r => r.write64(offset, value))
    }

    fn read32_relaxed(&self, offset: usize) -> Result<u32, RegFault> {
        dispatch!(self, r => r.read32_relaxed(offset))
    }

    fn write32_relaxed(&self, offset: usize, value: u32) -> Result<(), RegFault> {
        dispatch!(self, r => r.write32_relaxed(offset, value))
    }

    fn read64_relaxed(&self, offset: usize) -> Result<u64, RegFault> {
        dispatch!(self, r => r.read64_relaxed(offset))
    }

    fn write64_relaxed(&self, offset: usize, value: u64) -> Result<(), RegFault> {
        dispatch!(self, r => r.write64_relaxed(offset, value))
    }
}

/// Busy-waiting with `udelay`.
pub(crate) struct KernelDelay;

impl Delay for KernelDelay {
    fn udelay(&self, us: u32) {
        // SAFETY: A busy-wait with no preconditions, callable in any context.
        unsafe { bindings::__udelay(us as usize) };
    }
}

/// Coherent memory shared with the SMMU.
pub(crate) struct DmaBuf(CoherentAllocation<u64>);

impl CoherentBuf for DmaBuf {
    fn dma_addr(&self) -> u64 {
        self.0.dma_handle()
    }

    fn size(&self) -> usize {
        self.0.size()
    }

    fn read_u64(&self, offset: usize) -> Result<u64, MemFault> {
        if offset % 8 != 0 {
            return Err(MemFault { offset });
        }
        // Tables and queues are little-endian (the driver never sets the
        // ENDI bits); the Kconfig entry excludes big-endian kernels, and
        // `from_le` keeps the byte order explicit anyway.
        self.0
            .read(offset / 8)
            .map(u64::from_le)
            .map_err(|_| MemFault { offset })
    }

    fn write_u64(&self, offset: usize, value: u64) -> Result<(), MemFault> {
        if offset % 8 != 0 {
            return Err(MemFault { offset });
        }
        self.0
            .write(offset / 8, value.to_le())
            .map_err(|_| MemFault { offset })
    }

    fn dma_wmb(&self) {
        // SAFETY: a barrier with no preconditions.
        unsafe { bindings::dma_wmb() };
    }
}

/// `dma_alloc_coherent` on the SMMU's device.
pub(crate) struct KernelDma {
    pub(crate) dev: ARef<Device>,
}

impl DmaAlloc for KernelDma {
    type Buf = DmaBuf;

    fn alloc_coherent(&self, size: usize) -> Result<DmaBuf, AllocError> {
        // `dma_alloc_coherent` aligns to the allocation's page order, which
        // covers the power-of-two alignment the driver core asks for.
        let words = size.div_ceil(8);
        CoherentAllocation::alloc(&self.dev, words, GFP_KERNEL)
            .map(DmaBuf)
            .map_err(|_| AllocError { size })
    }
}
