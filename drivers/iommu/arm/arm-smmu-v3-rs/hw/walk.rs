// SPDX-License-Identifier: GPL-2.0

//! VMSAv8-64 stage 1 translation table walker.
//!
//! Translates one access (virtual address, read/write/fetch, privileged or
//! not) through the TTB0 tables of a context descriptor, reading and
//! updating the tables only through
//! [`PhysMem`](crate::hw::mem::PhysMem). The tables are untrusted
//! input: any content produces either a [`Translation`] or a precise
//! [`WalkFault`], never a panic.
//!
//! Supported: 4KB, 16KB and 64KB granules; start levels 0 to 3 as implied by
//! `T0SZ` (including the small-table sizes of `SMMU_IDR3.STT` and the
//! 52-bit VA of the 64KB granule); 48-bit output addresses, plus 52-bit with
//! the 64KB granule; blocks and pages; hierarchical permissions; WXN and
//! PAN; hardware Access flag and dirty state updates (HTTU).
//!
//! Not supported: FEAT_LPA2 descriptors (`DS`), TTB1, big-endian tables,
//! the AArch32 formats, permission indirection and overlays, and stage 2.
//!
//! # Choices where the architecture leaves room
//!
//! - Input addresses outside the TTB0 region (any of bits 63 down to
//!   `64 - T0SZ` set, bits 63:56 excepted when `TBI0` is set) give a
//!   Translation fault at level 0, as does `EPD0`.
//! - Invalid `TG0`/`T0SZ` give a Translation fault at level 0; an oversized
//!   TTB0 gives an Address size fault at level 0.
//! - Descriptor bits above the 48-bit address field that are reserved in
//!   this format (51:48 of table descriptors, 49:48 of leaves) are treated
//!   as output address bits, so a non-zero value is an Address size fault.
//! - Reserved low bits of block output addresses are ignored.
//! - An instruction fetch needs execute permission only, as for a PE
//!   (execute-only memory is allowed).
//! - A Permission fault does not set the Access flag: hardware updates are
//!   made only by accesses that complete.
//! - If a descriptor keeps changing under the atomic update, the walk gives
//!   up after [`MAX_HTTU_RETRIES`] attempts and reports the fault the access
//!   would have taken without the update.
//!
//! Faults are reported in priority order within a lookup: external abort on
//! the descriptor read, Translation, Address size, Access flag, Permission.

mod attrs;
mod config;
pub mod desc;
mod walker;

pub use attrs::{Attrs, Cacheability, DeviceKind, MemType, Permissions, Shareability};
pub use config::{pa_bits, Geometry, Granule, WalkConfig};
pub use walker::{describe, walk, DescKind, WalkStep, WalkTrace, MAX_HTTU_RETRIES};

/// Deepest table level (levels run from the start level down to this).
pub const MAX_LEVEL: u8 = 3;

/// What an access wants to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccessKind {
    /// Data read.
    Read,
    /// Data write.
    Write,
    /// Instruction fetch.
    Exec,
}

/// One access to translate, with the SMMU transaction attributes that
/// matter for stage 1 permission checks (`RnW`, `InD`, `PnU`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Access {
    /// Input (virtual) address.
    pub va: u64,
    /// Read, write or fetch.
    pub kind: AccessKind,
    /// Privileged (`PnU` = 1) rather than unprivileged.
    pub privileged: bool,
}

impl Access {
    /// An unprivileged data read of `va`.
    pub const fn read(va: u64) -> Self {
        Self {
            va,
            kind: AccessKind::Read,
            privileged: false,
        }
    }

    /// An unprivileged data write of `va`.
    pub const fn write(va: u64) -> Self {
        Self {
            va,
            kind: AccessKind::Write,
            privileged: false,
        }
    }

    /// An unprivileged instruction fetch from `va`.
    pub const fn exec(va: u64) -> Self {
        Self {
            va,
            kind: AccessKind::Exec,
            privileged: false,
        }
    }

    /// The same access, made privileged.
    pub const fn privileged(self) -> Self {
        Self {
            privileged: true,
            ..self
        }
    }
}

/// The kind of a walk fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// No valid translation (invalid or reserved descriptor, address
    /// outside the region, walks disabled, bad configuration).
    Translation,
    /// The leaf's Access flag is clear and neither HTTU nor AFFD covers it.
    AccessFlag,
    /// The leaf does not permit the access.
    Permission,
    /// A table or output address exceeds the output address size.
    AddressSize,
    /// Reading or updating a descriptor at `pa` failed.
    ExternalAbort {
        /// Physical address of the failed access.
        pa: u64,
    },
}

/// The SMMU event a walk fault is reported as.
///
/// The mapping to event record encodings belongs to the event code; this
/// only names the event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultEvent {
    /// `F_TRANSLATION`.
    Translation,
    /// `F_ACCESS`.
    Access,
    /// `F_PERMISSION`.
    Permission,
    /// `F_ADDR_SIZE`.
    AddrSize,
    /// `F_WALK_EABT`.
    WalkEabt,
}

/// A failed walk: what went wrong and at which lookup level.
///
/// # Invariants
///
/// `level <= MAX_LEVEL`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WalkFault {
    /// What went wrong.
    pub kind: FaultKind,
    /// Level of the lookup that faulted; 0 for faults on the configuration
    /// or the input address.
    pub level: u8,
}

impl WalkFault {
    /// A fault of `kind` at `level` (clamped to [`MAX_LEVEL`]).
    pub const fn new(kind: FaultKind, level: u8) -> Self {
        let level = if level > MAX_LEVEL { MAX_LEVEL } else { level };
        Self { kind, level }
    }

    /// The SMMU event this fault is reported as.
    pub const fn event(&self) -> FaultEvent {
        match self.kind {
            FaultKind::Translation => FaultEvent::Translation,
            FaultKind::AccessFlag => FaultEvent::Access,
            FaultKind::Permission => FaultEvent::Permission,
            FaultKind::AddressSize => FaultEvent::AddrSize,
            FaultKind::ExternalAbort { .. } => FaultEvent::WalkEabt,
        }
    }
}

/// A successful walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Translation {
    /// The output (physical) address of the access.
    pub oa: u64,
    /// Level of the leaf descriptor.
    pub level: u8,
    /// log2 of the size of the region the leaf maps.
    pub size_shift: u32,
    /// Attributes of the leaf.
    pub attrs: Attrs,
    /// Physical address of the leaf descriptor.
    pub desc_pa: u64,
    /// The leaf descriptor, after any hardware update.
    pub desc: u64,
    /// Whether the walk set the Access flag or the dirty state (for
    /// [`describe`]: whether a real access would have).
    pub hw_updated: bool,
}

impl Translation {
    /// Size in bytes of the region the leaf maps.
    pub const fn size(&self) -> u64 {
        match 1u64.checked_shl(self.size_shift) {
            Some(size) => size,
            None => 0,
        }
    }

    /// Output address of the start of the region the leaf maps.
    pub const fn base(&self) -> u64 {
        self.oa & !self.size().wrapping_sub(1)
    }
}
