// SPDX-License-Identifier: GPL-2.0

//! The SMMUv3 driver's hardware-facing logic, generic over its backends.
//!
//! Everything in this module drives an SMMU through three small traits
//! ([`backend`]): register access ([`RegisterIo`]), coherent DMA memory
//! ([`DmaAlloc`]/[`CoherentBuf`]) and a busy-wait time source ([`Delay`]).
//! The kernel implements them over an MMIO mapping, `dma_alloc_coherent`
//! and `udelay`; the host tests implement them over the software SMMUv3 in
//! `crate::model` and a sparse simulated memory. Like `crate::hw`, this code
//! is `no_std`, allocation-free and uses no kernel API, so the same source
//! is compiled into the kernel crate and tested by `cargo test`.
//!
//! # Pieces and ownership
//!
//! * [`Device`]: the probed SMMU. Owns the register backend and the time
//!   source, holds the decoded ID registers and the driver configuration,
//!   and implements the probe/reset sequence ([`Device::reset`]) and the
//!   global error handler ([`Device::handle_gerror`]). Its methods take
//!   `&self`; it is shared by everything else.
//! * [`CmdQueue`]: the command queue producer, with batching
//!   ([`CmdBatch`]), `CMD_SYNC` completion by polling CONS or by MSI
//!   write-back, command error recovery and the invalidation helpers of
//!   [`tlbi`]. Methods take `&mut self`: the kernel serialises producers
//!   with a lock (see the module documentation of [`cmdq`] for how the
//!   queue could become lock-free later).
//! * [`EventQueue`] and [`PriQueue`]: consumers of the event and PRI
//!   queues, run from their interrupt threads.
//! * [`StreamTable`]: the linear or 2-level stream table, with level-2
//!   tables allocated on demand into a caller-provided container
//!   ([`L2Slots`]), and hitless STE installation through
//!   [`crate::hw::writer::write_entry`].
//! * [`CdTable`]: a master's context descriptor (PASID) table, linear or
//!   2-level, shared by all its StreamIDs, with leaf tables allocated on
//!   demand into a caller-provided container ([`CdLeafSlots`]) and freed
//!   when their last CD is cleared, and hitless CD installation with
//!   `CMD_CFGI_CD` for every StreamID of the master.
//! * [`Smmu`]: all of the above in one value, for users (and tests) that
//!   do not need separate locks.
//!
//! Nothing here panics on values read from the hardware or passed by
//! callers: timeouts, inconsistent queue pointers, malformed records and
//! out-of-range StreamIDs and SubstreamIDs are reported as [`SmmuError`]s.

pub mod backend;
pub mod cdtab;
pub mod cmdq;
pub mod device;
pub mod error;
pub mod evtq;
pub mod slot;
pub mod strtab;
pub mod tlbi;

pub use backend::{AllocError, CoherentBuf, Delay, DmaAlloc, MemFault, RegFault, RegisterIo};
pub use cdtab::{CdLeaf, CdLeafSlots, CdTable, CdUpdate, NoCdLeaves};
pub use cmdq::{CmdBatch, CmdQueue, CmdqRecovery, CMDQ_BATCH_MAX};
pub use device::{Config, Device, GerrorReport, Smmu, Timeouts};
pub use error::SmmuError;
pub use evtq::{DrainReport, EventQueue, PriQueue};
pub use slot::{CdSlot, EntrySlot, SteSlot};
pub use strtab::{L2Slots, NoL2Slots, StreamTable};
pub use tlbi::{InvContext, TlbiOutcome};
