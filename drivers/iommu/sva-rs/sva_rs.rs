// SPDX-License-Identifier: GPL-2.0

//! The Rust SVA and I/O page fault core, from the iommu-sva-rs project.
//!
//! With `CONFIG_IOMMU_SVA_RUST` this crate replaces `iommu-sva.c` and
//! `io-pgfault.c`: it defines the functions `include/linux/iommu.h`
//! declares for them (exported by `sva-rs-exports.c`) and moves
//! `iommu_dev_enable_feature()`/`iommu_dev_disable_feature()` out of
//! `iommu.c`, so that the core knows which devices have SVA enabled.
//!
//! The decisions live in [`sva`] (`core/`, kernel-independent and tested on
//! the host); the modules under `glue/` bind them to kernel objects:
//!
//! - [`dev`]: per-device state (features, bond count, fault state), hung
//!   off `dev->iommu->fault_param`;
//! - [`mm`]: per-mm state behind `mm->iommu_mm` (the C
//!   `struct iommu_mm_data`, PASID first), bind and unbind;
//! - [`iopf`]: the fault queues, fault reports, groups, and the SVA fault
//!   handler that calls `handle_mm_fault()`.
//!
//! # Locking
//!
//! There is no system-wide lock. In acquisition order:
//! 1. a device's feature mutex (`DevSva::feat`): features, bind and unbind
//!    on that device;
//! 2. an mm's mutex (`MmData::inner`): bind and unbind of that mm;
//! 3. an IOPF queue's device list mutex;
//! 4. a device's fault mutex (`DevSva::iopf`): report, response, removal.
//!
//! `dev->iommu->lock` is only taken alone, briefly, to publish or look up
//! the device state. Fault handlers (on the queue's workqueue, or inline in
//! a reporter's context for anonymous memory) take only 4 and the mm's own
//! locks, so unbind can wait for them with 1 and 2 held.

#[path = "core/mod.rs"]
pub mod sva;

#[path = "glue/dev.rs"]
pub mod dev;
#[cfg(CONFIG_IOMMU_IOPF)]
#[path = "glue/iopf.rs"]
pub mod iopf;
#[path = "glue/maps.rs"]
pub mod maps;
#[cfg(CONFIG_IOMMU_SVA)]
#[path = "glue/mm.rs"]
pub mod mm;

/// Prefix of this crate's log messages (what `module!` would define).
const __LOG_PREFIX: &[u8] = b"iommu-sva-rs\0";
