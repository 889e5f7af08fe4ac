// SPDX-License-Identifier: GPL-2.0

//! Errors of the driver logic.

use core::fmt;

use crate::hw::bits::FieldError;
use crate::hw::cmd::CmdError;
use crate::hw::queue::QueueError;
use crate::hw::regs::{CmdqError, Unusable};
use crate::hw::ste::IllegalReason;
use crate::hw::strtab::TableError;
use crate::hw::writer::WriteError;
use crate::smmu::backend::{AllocError, MemFault, RegFault};

/// Which acknowledged register update timed out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AckReg {
    /// `SMMU_CR0ACK` did not follow `SMMU_CR0`.
    Cr0,
    /// `SMMU_IRQ_CTRLACK` did not follow `SMMU_IRQ_CTRL`.
    IrqCtrl,
    /// `SMMU_GBPA.Update` did not clear.
    Gbpa,
}

/// An error of the SMMU driver logic.
///
/// Variants carry what a log message needs. [`SmmuError::errno`] maps them
/// to the Linux error code the kernel glue returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmmuError {
    /// The register backend refused an access.
    Reg(RegFault),
    /// A coherent buffer refused an access.
    Mem(MemFault),
    /// Coherent memory could not be allocated.
    NoMemory(AllocError),
    /// A coherent buffer is not aligned or sized as the SMMU requires.
    BadBuffer {
        /// Its DMA address.
        dma_addr: u64,
        /// Its size in bytes.
        size: usize,
        /// The size it needed to have (and its alignment).
        needed: u64,
    },
    /// The SMMU lacks something the driver needs.
    Unusable(Unusable),
    /// A register update was not acknowledged in time.
    AckTimeout {
        /// The register.
        reg: AckReg,
        /// The value written.
        wanted: u32,
        /// The last value read back.
        got: u32,
    },
    /// No command queue space became free in time (the SMMU stopped
    /// consuming).
    CmdqFull {
        /// Driver's producer index.
        prod: u32,
        /// Last consumer index read.
        cons: u32,
    },
    /// A `CMD_SYNC` did not complete in time.
    SyncTimeout {
        /// Producer index of the `CMD_SYNC`.
        sync_prod: u32,
        /// Last consumer index read.
        cons: u32,
    },
    /// The command queue kept reporting `CERROR_ABT` (command fetch
    /// aborts) after the driver's retries.
    CmdFetchAbort {
        /// Consumer index of the failing command.
        cons: u32,
    },
    /// The SMMU reported `CERROR_ATC_INV_SYNC` while this `CMD_SYNC` was
    /// pending: an ATS invalidation issued before it may not have
    /// completed. The queue itself has completed the sync.
    AtcInvTimeout,
    /// The SMMU rejected a command (`CERROR_ILL`, or an unknown error code)
    /// while the caller was waiting; the driver replaced it with a
    /// `CMD_SYNC` so the queue could make progress, so the command had no
    /// effect.
    CommandSkipped {
        /// The rejected command's two words.
        raw: [u64; 2],
        /// The error the SMMU reported.
        err: CmdqError,
    },
    /// A queue pointer read from the SMMU is malformed or inconsistent
    /// with the driver's own pointer.
    BadQueuePointer {
        /// Register offset it was read from.
        offset: usize,
        /// What is wrong with it.
        err: QueueError,
    },
    /// A command could not be encoded (a caller passed an out-of-range
    /// field).
    Command(CmdError),
    /// A stream table computation failed, e.g. a StreamID beyond
    /// `SMMU_IDR1.SIDSIZE`.
    Table(TableError),
    /// The container for level-2 stream tables is smaller than the
    /// level-1 table.
    L2SlotsTooSmall {
        /// Slots provided.
        have: usize,
        /// Level-1 descriptors to cover.
        need: u64,
    },
    /// The level-2 stream table of a StreamID has not been allocated.
    NoL2Table {
        /// The StreamID.
        sid: u32,
    },
    /// The leaf table of a 2-level CD table covering a SubstreamID has not
    /// been allocated.
    NoCdLeaf {
        /// The SubstreamID.
        ssid: u32,
    },
    /// The entry writer refused the target entry.
    Write(WriteError),
    /// The STE to install is ILLEGAL for this SMMU
    /// ([`Ste::check`](crate::hw::ste::Ste::check)); it was not written.
    IllegalSte(IllegalReason),
    /// The CD to install is ILLEGAL for this SMMU and stream
    /// ([`Cd::check`](crate::hw::cd::Cd::check)); it was not written.
    IllegalCd(IllegalReason),
    /// A register field could not hold a value.
    Field(FieldError),
    /// The SMMU implements PRI but no PRI queue was given to
    /// [`Device::reset`](crate::smmu::Device::reset).
    NoPriQueue,
    /// The SMMU reported service failure mode (`SMMU_GERROR.SFM_ERR`); the
    /// driver disabled it.
    ServiceFailure,
}

impl SmmuError {
    /// The (negative) Linux error code for this error: `-ETIMEDOUT` for
    /// timeouts, `-ENOMEM` for allocations, `-ENODEV` for an unusable SMMU,
    /// `-ERANGE` for out-of-range identifiers, `-EINVAL` for bad arguments
    /// and `-EIO` for anything the hardware did wrong.
    pub const fn errno(&self) -> i32 {
        const EIO: i32 = 5;
        const ENOMEM: i32 = 12;
        const ENODEV: i32 = 19;
        const EINVAL: i32 = 22;
        const ERANGE: i32 = 34;
        const ETIMEDOUT: i32 = 110;
        -match self {
            Self::NoMemory(_) => ENOMEM,
            Self::Unusable(_) => ENODEV,
            Self::AckTimeout { .. }
            | Self::CmdqFull { .. }
            | Self::SyncTimeout { .. }
            | Self::AtcInvTimeout => ETIMEDOUT,
            Self::Table(TableError::SidOutOfRange { .. })
            | Self::Table(TableError::SsidOutOfRange { .. }) => ERANGE,
            Self::Command(_)
            | Self::Table(_)
            | Self::Write(_)
            | Self::IllegalSte(_)
            | Self::IllegalCd(_)
            | Self::Field(_)
            | Self::L2SlotsTooSmall { .. }
            | Self::NoL2Table { .. }
            | Self::NoCdLeaf { .. }
            | Self::NoPriQueue
            | Self::BadBuffer { .. } => EINVAL,
            Self::Reg(_)
            | Self::Mem(_)
            | Self::CmdFetchAbort { .. }
            | Self::CommandSkipped { .. }
            | Self::BadQueuePointer { .. }
            | Self::ServiceFailure => EIO,
        }
    }
}

impl fmt::Display for SmmuError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Reg(e) => write!(f, "{e}"),
            Self::Mem(e) => write!(f, "{e}"),
            Self::NoMemory(e) => write!(f, "cannot allocate {} bytes of coherent memory", e.size),
            Self::BadBuffer {
                dma_addr,
                size,
                needed,
            } => write!(
                f,
                "coherent buffer at {dma_addr:#x} ({size} bytes) is not a {needed}-byte aligned block"
            ),
            Self::Unusable(why) => write!(f, "unsupported SMMU: {why:?}"),
            Self::AckTimeout { reg, wanted, got } => {
                write!(f, "{reg:?} update to {wanted:#x} not acknowledged (read {got:#x})")
            }
            Self::CmdqFull { prod, cons } => {
                write!(f, "command queue full (prod {prod:#x}, cons {cons:#x}) and not draining")
            }
            Self::SyncTimeout { sync_prod, cons } => {
                write!(f, "CMD_SYNC at {sync_prod:#x} timed out (cons {cons:#x})")
            }
            Self::CmdFetchAbort { cons } => {
                write!(f, "command fetch at {cons:#x} keeps aborting")
            }
            Self::AtcInvTimeout => f.write_str("ATC invalidation did not complete before CMD_SYNC"),
            Self::CommandSkipped { raw, err } => write!(
                f,
                "command {:#018x} {:#018x} rejected ({}) and skipped",
                raw[0],
                raw[1],
                err.name()
            ),
            Self::BadQueuePointer { offset, err } => {
                write!(f, "queue register at {offset:#x}: {err}")
            }
            Self::Command(e) => write!(f, "{e}"),
            Self::Table(e) => write!(f, "stream table: {e:?}"),
            Self::L2SlotsTooSmall { have, need } => {
                write!(f, "{have} level-2 table slots for {need} level-1 descriptors")
            }
            Self::NoL2Table { sid } => write!(f, "no level-2 stream table for StreamID {sid:#x}"),
            Self::NoCdLeaf { ssid } => {
                write!(f, "no leaf CD table for SubstreamID {ssid:#x}")
            }
            Self::Write(e) => write!(f, "entry writer: {e:?}"),
            Self::IllegalSte(r) => write!(f, "illegal STE: {r}"),
            Self::IllegalCd(r) => write!(f, "illegal CD: {r}"),
            Self::Field(e) => write!(f, "value {:#x} does not fit {}", e.value, e.field),
            Self::NoPriQueue => f.write_str("the SMMU implements PRI but has no PRI queue"),
            Self::ServiceFailure => f.write_str("SMMU entered service failure mode"),
        }
    }
}

impl From<RegFault> for SmmuError {
    fn from(e: RegFault) -> Self {
        Self::Reg(e)
    }
}

impl From<MemFault> for SmmuError {
    fn from(e: MemFault) -> Self {
        Self::Mem(e)
    }
}

impl From<AllocError> for SmmuError {
    fn from(e: AllocError) -> Self {
        Self::NoMemory(e)
    }
}

impl From<CmdError> for SmmuError {
    fn from(e: CmdError) -> Self {
        Self::Command(e)
    }
}

impl From<TableError> for SmmuError {
    fn from(e: TableError) -> Self {
        Self::Table(e)
    }
}

impl From<WriteError> for SmmuError {
    fn from(e: WriteError) -> Self {
        Self::Write(e)
    }
}

impl From<FieldError> for SmmuError {
    fn from(e: FieldError) -> Self {
        Self::Field(e)
    }
}

impl From<Unusable> for SmmuError {
    fn from(e: Unusable) -> Self {
        Self::Unusable(e)
    }
}
