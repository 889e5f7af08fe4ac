// SPDX-License-Identifier: GPL-2.0

//! The SMMUv3 programming interface: register offsets, register layouts and
//! decoding of the ID registers into [`Features`].
//!
//! The register file spans two 64KB pages. Page 0 holds the identification,
//! control and base registers; page 1 (at [`PAGE1`]) holds the producer and
//! consumer indexes that software polls, `SMMU_EVENTQ_PROD/CONS` and
//! `SMMU_PRIQ_PROD/CONS`. Offsets in [`offsets`] are from the start of page
//! 0; for page-1 registers the page-relative offset is also given (some
//! implementations alias page 1 onto page 0, and a driver then adds the
//! page-relative offset to the page-0 base instead).
//!
//! Every register type is a `Copy` newtype created by
//! `register!` (see `crate::hw::bits`) with one `Field` constant per
//! named field (bit positions as in the specification's register
//! descriptions) and typed accessors. Multi-value fields also get a decoded
//! enum; decoders accept any raw value and map reserved encodings to an
//! explicit `Reserved` variant, so nothing here can panic on what the
//! hardware returns.

use core::fmt;

use crate::hw::bits::{register, Field};

/// The mask of `f` as a `u32`, for fields of 32-bit registers.
///
/// Only used to initialise constants, where the check that the field lies
/// in the low 32 bits is evaluated at compile time.
const fn bit32(f: Field) -> u32 {
    assert!(f.hi() < 32);
    // The field lies in the low 32 bits (checked above).
    f.mask() as u32
}

/// Offset of the second 64KB register page from the SMMU base address.
pub const PAGE1: usize = 0x1_0000;

/// Size of the register frame the driver maps (both pages).
pub const REG_FRAME_SIZE: usize = 0x2_0000;

/// Register byte offsets from the SMMU base address (page 0 unless noted).
pub mod offsets {
    use super::PAGE1;

    /// `SMMU_IDR0`: features (32-bit).
    pub const IDR0: usize = 0x0;
    /// `SMMU_IDR1`: table/queue sizes and presets (32-bit).
    pub const IDR1: usize = 0x4;
    /// `SMMU_IDR2`: VATOS base address (32-bit).
    pub const IDR2: usize = 0x8;
    /// `SMMU_IDR3`: further features (32-bit).
    pub const IDR3: usize = 0xc;
    /// `SMMU_IDR4`: implementation defined (32-bit).
    pub const IDR4: usize = 0x10;
    /// `SMMU_IDR5`: stalls, granules, address sizes (32-bit).
    pub const IDR5: usize = 0x14;
    /// `SMMU_IIDR`: implementation identification (32-bit).
    pub const IIDR: usize = 0x18;
    /// `SMMU_AIDR`: architecture revision (32-bit).
    pub const AIDR: usize = 0x1c;
    /// `SMMU_CR0`: global enables (32-bit).
    pub const CR0: usize = 0x20;
    /// `SMMU_CR0ACK`: acknowledgement of `SMMU_CR0` (32-bit).
    pub const CR0ACK: usize = 0x24;
    /// `SMMU_CR1`: table and queue memory attributes (32-bit).
    pub const CR1: usize = 0x28;
    /// `SMMU_CR2`: further controls (32-bit).
    pub const CR2: usize = 0x2c;
    /// `SMMU_STATUSR` (32-bit).
    pub const STATUSR: usize = 0x40;
    /// `SMMU_GBPA`: global bypass attributes (32-bit).
    pub const GBPA: usize = 0x44;
    /// `SMMU_AGBPA`: implementation defined bypass attributes (32-bit).
    pub const AGBPA: usize = 0x48;
    /// `SMMU_IRQ_CTRL`: interrupt enables (32-bit).
    pub const IRQ_CTRL: usize = 0x50;
    /// `SMMU_IRQ_CTRLACK`: acknowledgement of `SMMU_IRQ_CTRL` (32-bit).
    pub const IRQ_CTRLACK: usize = 0x54;
    /// `SMMU_GERROR`: active global errors (32-bit).
    pub const GERROR: usize = 0x60;
    /// `SMMU_GERRORN`: acknowledged global errors (32-bit).
    pub const GERRORN: usize = 0x64;
    /// `SMMU_GERROR_IRQ_CFG0`: MSI address (64-bit).
    pub const GERROR_IRQ_CFG0: usize = 0x68;
    /// `SMMU_GERROR_IRQ_CFG1`: MSI data (32-bit).
    pub const GERROR_IRQ_CFG1: usize = 0x70;
    /// `SMMU_GERROR_IRQ_CFG2`: MSI attributes (32-bit).
    pub const GERROR_IRQ_CFG2: usize = 0x74;
    /// `SMMU_STRTAB_BASE` (64-bit).
    pub const STRTAB_BASE: usize = 0x80;
    /// `SMMU_STRTAB_BASE_CFG` (32-bit).
    pub const STRTAB_BASE_CFG: usize = 0x88;
    /// `SMMU_CMDQ_BASE` (64-bit).
    pub const CMDQ_BASE: usize = 0x90;
    /// `SMMU_CMDQ_PROD` (32-bit).
    pub const CMDQ_PROD: usize = 0x98;
    /// `SMMU_CMDQ_CONS` (32-bit).
    pub const CMDQ_CONS: usize = 0x9c;
    /// `SMMU_EVENTQ_BASE` (64-bit).
    pub const EVENTQ_BASE: usize = 0xa0;
    /// Offset of `SMMU_EVENTQ_PROD` within page 1.
    pub const EVENTQ_PROD_PAGE1: usize = 0xa8;
    /// `SMMU_EVENTQ_PROD`, in page 1 (32-bit).
    pub const EVENTQ_PROD: usize = PAGE1 + EVENTQ_PROD_PAGE1;
    /// Offset of `SMMU_EVENTQ_CONS` within page 1.
    pub const EVENTQ_CONS_PAGE1: usize = 0xac;
    /// `SMMU_EVENTQ_CONS`, in page 1 (32-bit).
    pub const EVENTQ_CONS: usize = PAGE1 + EVENTQ_CONS_PAGE1;
    /// `SMMU_EVENTQ_IRQ_CFG0`: MSI address (64-bit).
    pub const EVENTQ_IRQ_CFG0: usize = 0xb0;
    /// `SMMU_EVENTQ_IRQ_CFG1`: MSI data (32-bit).
    pub const EVENTQ_IRQ_CFG1: usize = 0xb8;
    /// `SMMU_EVENTQ_IRQ_CFG2`: MSI attributes (32-bit).
    pub const EVENTQ_IRQ_CFG2: usize = 0xbc;
    /// `SMMU_PRIQ_BASE` (64-bit).
    pub const PRIQ_BASE: usize = 0xc0;
    /// Offset of `SMMU_PRIQ_PROD` within page 1.
    pub const PRIQ_PROD_PAGE1: usize = 0xc8;
    /// `SMMU_PRIQ_PROD`, in page 1 (32-bit).
    pub const PRIQ_PROD: usize = PAGE1 + PRIQ_PROD_PAGE1;
    /// Offset of `SMMU_PRIQ_CONS` within page 1.
    pub const PRIQ_CONS_PAGE1: usize = 0xcc;
    /// `SMMU_PRIQ_CONS`, in page 1 (32-bit).
    pub const PRIQ_CONS: usize = PAGE1 + PRIQ_CONS_PAGE1;
    /// `SMMU_PRIQ_IRQ_CFG0`: MSI address (64-bit).
    pub const PRIQ_IRQ_CFG0: usize = 0xd0;
    /// `SMMU_PRIQ_IRQ_CFG1`: MSI data (32-bit).
    pub const PRIQ_IRQ_CFG1: usize = 0xd8;
    /// `SMMU_PRIQ_IRQ_CFG2`: MSI attributes (32-bit).
    pub const PRIQ_IRQ_CFG2: usize = 0xdc;
}

/// The three registers configuring one MSI source (`*_IRQ_CFG0/1/2`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MsiRegs {
    /// Offset of `*_IRQ_CFG0` (address, [`IrqCfg0`]).
    pub cfg0: usize,
    /// Offset of `*_IRQ_CFG1` (data, [`IrqCfg1`]).
    pub cfg1: usize,
    /// Offset of `*_IRQ_CFG2` (attributes, [`IrqCfg2`]).
    pub cfg2: usize,
}

impl MsiRegs {
    /// The global error interrupt's MSI registers.
    pub const GERROR: Self = Self {
        cfg0: offsets::GERROR_IRQ_CFG0,
        cfg1: offsets::GERROR_IRQ_CFG1,
        cfg2: offsets::GERROR_IRQ_CFG2,
    };
    /// The event queue interrupt's MSI registers.
    pub const EVENTQ: Self = Self {
        cfg0: offsets::EVENTQ_IRQ_CFG0,
        cfg1: offsets::EVENTQ_IRQ_CFG1,
        cfg2: offsets::EVENTQ_IRQ_CFG2,
    };
    /// The PRI queue interrupt's MSI registers.
    pub const PRIQ: Self = Self {
        cfg0: offsets::PRIQ_IRQ_CFG0,
        cfg1: offsets::PRIQ_IRQ_CFG1,
        cfg2: offsets::PRIQ_IRQ_CFG2,
    };
}

register! {
    /// `SMMU_IDR0`: the main feature register.
    pub struct Idr0(u32) @ offsets::IDR0 {
        /// `ST_LVL`, bits `[28:27]`: multi-level stream table support
        /// (decoded by [`Idr0::st_level`]).
        ST_LVL: [28:27] num => st_lvl, with_st_lvl;
        /// `TERM_MODEL`, bit `[26]`: 1 if a terminated transaction is always
        /// aborted (CD.A / STE bits cannot select RAZ/WI).
        TERM_MODEL: [26:26] bool => term_model, with_term_model;
        /// `STALL_MODEL`, bits `[25:24]` (decoded by [`Idr0::stall_model`]).
        STALL_MODEL: [25:24] num => stall_model_raw, with_stall_model_raw;
        /// `TTENDIAN`, bits `[22:21]`: supported translation table endianness
        /// (decoded by [`Idr0::tt_endian`]).
        TTENDIAN: [22:21] num => ttendian_raw, with_ttendian_raw;
        /// `VATOS`, bit `[20]`: virtual ATOS interface.
        VATOS: [20:20] bool => vatos, with_vatos;
        /// `CD2L`, bit `[19]`: 2-level context descriptor tables.
        CD2L: [19:19] bool => cd2l, with_cd2l;
        /// `VMID16`, bit `[18]`: 16-bit VMIDs.
        VMID16: [18:18] bool => vmid16, with_vmid16;
        /// `VMW`, bit `[17]`: VMID wildcard matching.
        VMW: [17:17] bool => vmw, with_vmw;
        /// `PRI`, bit `[16]`: Page Request Interface.
        PRI: [16:16] bool => pri, with_pri;
        /// `ATOS`, bit `[15]`: address translation operations.
        ATOS: [15:15] bool => atos, with_atos;
        /// `SEV`, bit `[14]`: the SMMU can send WFE wake-up events.
        SEV: [14:14] bool => sev, with_sev;
        /// `MSI`, bit `[13]`: message signalled interrupts.
        MSI: [13:13] bool => msi, with_msi;
        /// `ASID16`, bit `[12]`: 16-bit ASIDs.
        ASID16: [12:12] bool => asid16, with_asid16;
        /// `NS1ATS`, bit `[11]`: split-stage ATS is not supported when set.
        NS1ATS: [11:11] bool => ns1ats, with_ns1ats;
        /// `ATS`, bit `[10]`: PCIe ATS.
        ATS: [10:10] bool => ats, with_ats;
        /// `HYP`, bit `[9]`: hypervisor stage 1 contexts (EL2 StreamWorld).
        HYP: [9:9] bool => hyp, with_hyp;
        /// `DORMHINT`, bit `[8]`: dormant hint in `SMMU_STATUSR`.
        DORMHINT: [8:8] bool => dormhint, with_dormhint;
        /// `HTTU`, bits `[7:6]`: hardware translation table update
        /// (decoded by [`Idr0::httu`]).
        HTTU: [7:6] num => httu_raw, with_httu_raw;
        /// `BTM`, bit `[5]`: broadcast TLB maintenance.
        BTM: [5:5] bool => btm, with_btm;
        /// `COHACC`, bit `[4]`: coherent access to tables and queues.
        COHACC: [4:4] bool => cohacc, with_cohacc;
        /// `TTF`, bits `[3:2]`: translation table formats
        /// (decoded by [`Idr0::ttf`]).
        TTF: [3:2] num => ttf_raw, with_ttf_raw;
        /// `S1P`, bit `[1]`: stage 1 translation.
        S1P: [1:1] bool => s1p, with_s1p;
        /// `S2P`, bit `[0]`: stage 2 translation.
        S2P: [0:0] bool => s2p, with_s2p;
    }
}

register! {
    /// `SMMU_IDR1`: table and queue sizes, presets and attribute overrides.
    pub struct Idr1(u32) @ offsets::IDR1 {
        /// `ECMDQ`, bit `[31]`: enhanced command queue interface.
        ECMDQ: [31:31] bool => ecmdq, with_ecmdq;
        /// `TABLES_PRESET`, bit `[30]`: table base addresses are fixed.
        TABLES_PRESET: [30:30] bool => tables_preset, with_tables_preset;
        /// `QUEUES_PRESET`, bit `[29]`: queue base addresses are fixed.
        QUEUES_PRESET: [29:29] bool => queues_preset, with_queues_preset;
        /// `REL`, bit `[28]`: preset addresses are relative to the SMMU base.
        REL: [28:28] bool => rel, with_rel;
        /// `ATTR_TYPES_OVR`, bit `[27]`: incoming memory type/shareability
        /// overrides (STE.MTCFG/MemAttr/ALLOCCFG/SHCFG) are supported.
        ATTR_TYPES_OVR: [27:27] bool => attr_types_ovr, with_attr_types_ovr;
        /// `ATTR_PERMS_OVR`, bit `[26]`: incoming permission overrides
        /// (STE.INSTCFG/PRIVCFG/NSCFG) are supported.
        ATTR_PERMS_OVR: [26:26] bool => attr_perms_ovr, with_attr_perms_ovr;
        /// `CMDQS`, bits `[25:21]`: log2 of the maximum command queue entries.
        CMDQS: [25:21] num => cmdqs, with_cmdqs;
        /// `EVENTQS`, bits `[20:16]`: log2 of the maximum event queue entries.
        EVENTQS: [20:16] num => eventqs, with_eventqs;
        /// `PRIQS`, bits `[15:11]`: log2 of the maximum PRI queue entries.
        PRIQS: [15:11] num => priqs, with_priqs;
        /// `SSIDSIZE`, bits `[10:6]`: number of SubstreamID bits.
        SSIDSIZE: [10:6] num => ssidsize, with_ssidsize;
        /// `SIDSIZE`, bits `[5:0]`: number of StreamID bits.
        SIDSIZE: [5:0] num => sidsize, with_sidsize;
    }
}

register! {
    /// `SMMU_IDR2`.
    pub struct Idr2(u32) @ offsets::IDR2 {
        /// `BA_VATOS`, bits `[9:0]`: VATOS page base, in 64KB units.
        BA_VATOS: [9:0] num => ba_vatos, with_ba_vatos;
    }
}

register! {
    /// `SMMU_IDR3`: further features.
    pub struct Idr3(u32) @ offsets::IDR3 {
        /// `DPT`, bit `[15]`: device permission table.
        DPT: [15:15] bool => dpt, with_dpt;
        /// `PTWNNC`, bit `[14]`: non-cacheable table walks may be cached.
        PTWNNC: [14:14] bool => ptwnnc, with_ptwnnc;
        /// `E0PD`, bit `[13]`: CD.E0PD0/E0PD1.
        E0PD: [13:13] bool => e0pd, with_e0pd;
        /// `BBML`, bits `[12:11]`: break-before-make level
        /// (decoded by [`Idr3::bbml`]).
        BBML: [12:11] num => bbml_raw, with_bbml_raw;
        /// `RIL`, bit `[10]`: range invalidation.
        RIL: [10:10] bool => ril, with_ril;
        /// `STT`, bit `[9]`: small translation tables (T0SZ up to 48).
        STT: [9:9] bool => stt, with_stt;
        /// `FWB`, bit `[8]`: stage 2 forced write-back (STE.S2FWB).
        FWB: [8:8] bool => fwb, with_fwb;
        /// `MPAM`, bit `[7]`: memory partitioning and monitoring.
        MPAM: [7:7] bool => mpam, with_mpam;
        /// `PPS`, bit `[5]`: PRI responses use the PASID of the request.
        PPS: [5:5] bool => pps, with_pps;
        /// `XNX`, bit `[4]`: EL0/EL1 execute-never distinction at stage 2.
        XNX: [4:4] bool => xnx, with_xnx;
        /// `PBHA`, bit `[3]`: page-based hardware attributes.
        PBHA: [3:3] bool => pbha, with_pbha;
        /// `HAD`, bit `[2]`: hierarchical attribute disables (CD.HAD0/1).
        HAD: [2:2] bool => had, with_had;
    }
}

register! {
    /// `SMMU_IDR5`: stalls, translation granules and address sizes.
    pub struct Idr5(u32) @ offsets::IDR5 {
        /// `STALL_MAX`, bits `[31:16]`: maximum outstanding stalled
        /// transactions.
        STALL_MAX: [31:16] num => stall_max, with_stall_max;
        /// `VAX`, bits `[11:10]`: virtual address size (decoded by
        /// [`Idr5::vax`]).
        VAX: [11:10] num => vax_raw, with_vax_raw;
        /// `GRAN64K`, bit `[6]`: 64KB translation granule.
        GRAN64K: [6:6] bool => gran64k, with_gran64k;
        /// `GRAN16K`, bit `[5]`: 16KB translation granule.
        GRAN16K: [5:5] bool => gran16k, with_gran16k;
        /// `GRAN4K`, bit `[4]`: 4KB translation granule.
        GRAN4K: [4:4] bool => gran4k, with_gran4k;
        /// `OAS`, bits `[2:0]`: output address size (decoded by
        /// [`Idr5::oas`]).
        OAS: [2:0] num => oas_raw, with_oas_raw;
    }
}

register! {
    /// `SMMU_IIDR`: implementation identification.
    pub struct Iidr(u32) @ offsets::IIDR {
        /// `ProductID`, bits `[31:20]`.
        PRODUCTID: [31:20] num => product_id, with_product_id;
        /// `Variant`, bits `[19:16]`.
        VARIANT: [19:16] num => variant, with_variant;
        /// `Revision`, bits `[15:12]`.
        REVISION: [15:12] num => revision, with_revision;
        /// `Implementer`, bits `[11:0]`: JEP106 code of the implementer.
        IMPLEMENTER: [11:0] num => implementer, with_implementer;
    }
}

register! {
    /// `SMMU_AIDR`: architecture revision (SMMUv3.`ArchMinorRev`).
    pub struct Aidr(u32) @ offsets::AIDR {
        /// `ArchMajorRev`, bits `[7:4]`: 0 for SMMUv3.
        ARCH_MAJOR_REV: [7:4] num => arch_major_rev, with_arch_major_rev;
        /// `ArchMinorRev`, bits `[3:0]`: the `x` of SMMUv3.x.
        ARCH_MINOR_REV: [3:0] num => arch_minor_rev, with_arch_minor_rev;
    }
}

register! {
    /// `SMMU_CR0`: global enables. Each write is acknowledged through
    /// `SMMU_CR0ACK` ([`Cr0::ACK_OFFSET`]), which has the same layout.
    pub struct Cr0(u32) @ offsets::CR0 {
        /// `VMW`, bits `[8:6]`: VMID wildcard for TLB invalidation.
        VMW: [8:6] num => vmw, with_vmw;
        /// `ATSCHK`, bit `[4]`: ATS-translated transactions are checked
        /// against the stream's configuration.
        ATSCHK: [4:4] bool => atschk, with_atschk;
        /// `CMDQEN`, bit `[3]`: command queue enable.
        CMDQEN: [3:3] bool => cmdqen, with_cmdqen;
        /// `EVENTQEN`, bit `[2]`: event queue enable.
        EVENTQEN: [2:2] bool => eventqen, with_eventqen;
        /// `PRIQEN`, bit `[1]`: PRI queue enable.
        PRIQEN: [1:1] bool => priqen, with_priqen;
        /// `SMMUEN`, bit `[0]`: translation enable (otherwise `SMMU_GBPA`
        /// applies to all traffic).
        SMMUEN: [0:0] bool => smmuen, with_smmuen;
    }
}

impl Cr0 {
    /// Offset of `SMMU_CR0ACK`.
    pub const ACK_OFFSET: usize = offsets::CR0ACK;

    /// [`Cr0::SMMUEN`] as a `u32` mask.
    pub const SMMUEN_BIT: u32 = bit32(Self::SMMUEN);
    /// [`Cr0::PRIQEN`] as a `u32` mask.
    pub const PRIQEN_BIT: u32 = bit32(Self::PRIQEN);
    /// [`Cr0::EVENTQEN`] as a `u32` mask.
    pub const EVENTQEN_BIT: u32 = bit32(Self::EVENTQEN);
    /// [`Cr0::CMDQEN`] as a `u32` mask.
    pub const CMDQEN_BIT: u32 = bit32(Self::CMDQEN);
    /// [`Cr0::ATSCHK`] as a `u32` mask.
    pub const ATSCHK_BIT: u32 = bit32(Self::ATSCHK);
    /// [`Cr0::VMW`] as a `u32` mask.
    pub const VMW_MASK: u32 = bit32(Self::VMW);
}

/// Cacheability encoding of `SMMU_CR1` fields (not the TCR-style encoding).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cr1Cache {
    /// Non-cacheable (0b00).
    NonCacheable = 0,
    /// Write-back cacheable (0b01).
    WriteBack = 1,
    /// Write-through cacheable (0b10).
    WriteThrough = 2,
}

/// Shareability encoding shared by `SMMU_CR1`, `*_IRQ_CFG2`, CD.SH0/SH1 and
/// STE.S1CSH/VTCR.S2SH0 (0b01 is reserved).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shareability {
    /// Non-shareable (0b00).
    NonShareable = 0,
    /// Outer shareable (0b10).
    OuterShareable = 2,
    /// Inner shareable (0b11).
    InnerShareable = 3,
}

impl Shareability {
    /// The two-bit encoding.
    pub const fn raw(self) -> u64 {
        self as u64
    }

    /// Decodes a two-bit field; `None` for the reserved encoding or a value
    /// that does not fit.
    pub const fn from_raw(raw: u64) -> Option<Self> {
        match raw {
            0 => Some(Self::NonShareable),
            2 => Some(Self::OuterShareable),
            3 => Some(Self::InnerShareable),
            _ => None,
        }
    }
}

register! {
    /// `SMMU_CR1`: memory attributes of the SMMU's own accesses to tables
    /// and queues. Cacheability fields use [`Cr1Cache`], shareability
    /// fields [`Shareability`].
    pub struct Cr1(u32) @ offsets::CR1 {
        /// `TABLE_SH`, bits `[11:10]`.
        TABLE_SH: [11:10] num => table_sh, with_table_sh;
        /// `TABLE_OC`, bits `[9:8]`.
        TABLE_OC: [9:8] num => table_oc, with_table_oc;
        /// `TABLE_IC`, bits `[7:6]`.
        TABLE_IC: [7:6] num => table_ic, with_table_ic;
        /// `QUEUE_SH`, bits `[5:4]`.
        QUEUE_SH: [5:4] num => queue_sh, with_queue_sh;
        /// `QUEUE_OC`, bits `[3:2]`.
        QUEUE_OC: [3:2] num => queue_oc, with_queue_oc;
        /// `QUEUE_IC`, bits `[1:0]`.
        QUEUE_IC: [1:0] num => queue_ic, with_queue_ic;
    }
}

impl Cr1 {
    /// The usual setting for a coherent SMMU: inner-shareable, write-back
    /// cacheable tables and queues.
    pub const fn coherent_wb() -> Self {
        let wb = Cr1Cache::WriteBack as u32;
        let ish = Shareability::InnerShareable as u32;
        Self::from_raw((ish << 10) | (wb << 8) | (wb << 6) | (ish << 4) | (wb << 2) | wb)
    }
}

register! {
    /// `SMMU_CR2`.
    pub struct Cr2(u32) @ offsets::CR2 {
        /// `PTM`, bit `[2]`: private TLB maintenance (ignore broadcast TLBIs).
        PTM: [2:2] bool => ptm, with_ptm;
        /// `RECINVSID`, bit `[1]`: record `C_BAD_STREAMID` events.
        RECINVSID: [1:1] bool => recinvsid, with_recinvsid;
        /// `E2H`, bit `[0]`: EL2 StreamWorld uses the EL2-E2H regime (ASIDs).
        E2H: [0:0] bool => e2h, with_e2h;
    }
}

register! {
    /// `SMMU_STATUSR`.
    pub struct Statusr(u32) @ offsets::STATUSR {
        /// `DORMANT`, bit `[0]`.
        DORMANT: [0:0] bool => dormant, with_dormant;
    }
}

register! {
    /// `SMMU_GBPA`: attributes of traffic while `SMMU_CR0.SMMUEN == 0`.
    pub struct Gbpa(u32) @ offsets::GBPA {
        /// `Update`, bit `[31]`: written as 1 to apply, reads 1 until done.
        UPDATE: [31:31] bool => update, with_update;
        /// `ABORT`, bit `[20]`: abort all incoming transactions.
        ABORT: [20:20] bool => abort, with_abort;
        /// `INSTCFG`, bits `[19:18]`.
        INSTCFG: [19:18] num => instcfg, with_instcfg;
        /// `PRIVCFG`, bits `[17:16]`.
        PRIVCFG: [17:16] num => privcfg, with_privcfg;
        /// `SHCFG`, bits `[13:12]`.
        SHCFG: [13:12] num => shcfg, with_shcfg;
        /// `ALLOCCFG`, bits `[11:8]`.
        ALLOCCFG: [11:8] num => alloccfg, with_alloccfg;
        /// `MTCFG`, bit `[4]`.
        MTCFG: [4:4] bool => mtcfg, with_mtcfg;
        /// `MemAttr`, bits `[3:0]`.
        MEMATTR: [3:0] num => memattr, with_memattr;
    }
}

impl Gbpa {
    /// [`Gbpa::UPDATE`] as a `u32` mask.
    pub const UPDATE_BIT: u32 = bit32(Self::UPDATE);
    /// [`Gbpa::ABORT`] as a `u32` mask.
    pub const ABORT_BIT: u32 = bit32(Self::ABORT);
}

register! {
    /// `SMMU_IRQ_CTRL`: wired/MSI interrupt enables. Acknowledged through
    /// `SMMU_IRQ_CTRLACK` ([`IrqCtrl::ACK_OFFSET`]), same layout.
    pub struct IrqCtrl(u32) @ offsets::IRQ_CTRL {
        /// `EVENTQ_IRQEN`, bit `[2]`.
        EVENTQ_IRQEN: [2:2] bool => eventq_irqen, with_eventq_irqen;
        /// `PRIQ_IRQEN`, bit `[1]`.
        PRIQ_IRQEN: [1:1] bool => priq_irqen, with_priq_irqen;
        /// `GERROR_IRQEN`, bit `[0]`.
        GERROR_IRQEN: [0:0] bool => gerror_irqen, with_gerror_irqen;
    }
}

impl IrqCtrl {
    /// Offset of `SMMU_IRQ_CTRLACK`.
    pub const ACK_OFFSET: usize = offsets::IRQ_CTRLACK;
}

register! {
    /// `SMMU_GERROR` (and `SMMU_GERRORN`, [`Gerror::N_OFFSET`], same
    /// layout). An error is active while its bit differs between the two;
    /// software acknowledges it by toggling the bit in `SMMU_GERRORN`.
    pub struct Gerror(u32) @ offsets::GERROR {
        /// `SFM_ERR`, bit `[8]`: the SMMU entered service failure mode.
        SFM_ERR: [8:8] bool => sfm_err, with_sfm_err;
        /// `MSI_GERROR_ABT_ERR`, bit `[7]`: a GERROR MSI write was aborted.
        MSI_GERROR_ABT_ERR: [7:7] bool => msi_gerror_abt_err, with_msi_gerror_abt_err;
        /// `MSI_PRIQ_ABT_ERR`, bit `[6]`: a PRI queue MSI write was aborted.
        MSI_PRIQ_ABT_ERR: [6:6] bool => msi_priq_abt_err, with_msi_priq_abt_err;
        /// `MSI_EVENTQ_ABT_ERR`, bit `[5]`: an event queue MSI write was
        /// aborted.
        MSI_EVENTQ_ABT_ERR: [5:5] bool => msi_eventq_abt_err, with_msi_eventq_abt_err;
        /// `MSI_CMDQ_ABT_ERR`, bit `[4]`: a CMD_SYNC MSI write was aborted.
        MSI_CMDQ_ABT_ERR: [4:4] bool => msi_cmdq_abt_err, with_msi_cmdq_abt_err;
        /// `PRIQ_ABT_ERR`, bit `[3]`: a PRI queue write was aborted.
        PRIQ_ABT_ERR: [3:3] bool => priq_abt_err, with_priq_abt_err;
        /// `EVENTQ_ABT_ERR`, bit `[2]`: an event queue write was aborted.
        EVENTQ_ABT_ERR: [2:2] bool => eventq_abt_err, with_eventq_abt_err;
        /// `CMDQ_ERR`, bit `[0]`: command queue error, cause in
        /// `SMMU_CMDQ_CONS.ERR`.
        CMDQ_ERR: [0:0] bool => cmdq_err, with_cmdq_err;
    }
}

impl Gerror {
    /// Offset of `SMMU_GERRORN`.
    pub const N_OFFSET: usize = offsets::GERRORN;

    /// [`Gerror::CMDQ_ERR`] as a `u32` mask.
    pub const CMDQ_ERR_BIT: u32 = bit32(Self::CMDQ_ERR);
    /// [`Gerror::EVENTQ_ABT_ERR`] as a `u32` mask.
    pub const EVENTQ_ABT_ERR_BIT: u32 = bit32(Self::EVENTQ_ABT_ERR);
    /// [`Gerror::PRIQ_ABT_ERR`] as a `u32` mask.
    pub const PRIQ_ABT_ERR_BIT: u32 = bit32(Self::PRIQ_ABT_ERR);
    /// [`Gerror::MSI_CMDQ_ABT_ERR`] as a `u32` mask.
    pub const MSI_CMDQ_ABT_ERR_BIT: u32 = bit32(Self::MSI_CMDQ_ABT_ERR);
    /// [`Gerror::MSI_EVENTQ_ABT_ERR`] as a `u32` mask.
    pub const MSI_EVENTQ_ABT_ERR_BIT: u32 = bit32(Self::MSI_EVENTQ_ABT_ERR);
    /// [`Gerror::MSI_PRIQ_ABT_ERR`] as a `u32` mask.
    pub const MSI_PRIQ_ABT_ERR_BIT: u32 = bit32(Self::MSI_PRIQ_ABT_ERR);
    /// [`Gerror::MSI_GERROR_ABT_ERR`] as a `u32` mask.
    pub const MSI_GERROR_ABT_ERR_BIT: u32 = bit32(Self::MSI_GERROR_ABT_ERR);
    /// [`Gerror::SFM_ERR`] as a `u32` mask.
    pub const SFM_ERR_BIT: u32 = bit32(Self::SFM_ERR);

    /// All defined error bits (`0x1fd`).
    pub const ERR_MASK: u32 = Self::CMDQ_ERR_BIT
        | Self::EVENTQ_ABT_ERR_BIT
        | Self::PRIQ_ABT_ERR_BIT
        | Self::MSI_CMDQ_ABT_ERR_BIT
        | Self::MSI_EVENTQ_ABT_ERR_BIT
        | Self::MSI_PRIQ_ABT_ERR_BIT
        | Self::MSI_GERROR_ABT_ERR_BIT
        | Self::SFM_ERR_BIT;

    /// Names and masks of the error bits, for logging.
    pub const NAMES: [(&'static str, u32); 8] = [
        ("CMDQ_ERR", Self::CMDQ_ERR_BIT),
        ("EVENTQ_ABT_ERR", Self::EVENTQ_ABT_ERR_BIT),
        ("PRIQ_ABT_ERR", Self::PRIQ_ABT_ERR_BIT),
        ("MSI_CMDQ_ABT_ERR", Self::MSI_CMDQ_ABT_ERR_BIT),
        ("MSI_EVENTQ_ABT_ERR", Self::MSI_EVENTQ_ABT_ERR_BIT),
        ("MSI_PRIQ_ABT_ERR", Self::MSI_PRIQ_ABT_ERR_BIT),
        ("MSI_GERROR_ABT_ERR", Self::MSI_GERROR_ABT_ERR_BIT),
        ("SFM_ERR", Self::SFM_ERR_BIT),
    ];

    /// The errors active given `SMMU_GERROR` (`self`) and `SMMU_GERRORN`
    /// (`gerrorn`): the defined bits that differ.
    pub const fn active(self, gerrorn: Gerror) -> Gerror {
        Gerror((self.0 ^ gerrorn.0) & Self::ERR_MASK)
    }

    /// The `SMMU_GERRORN` value that acknowledges `active` errors given the
    /// current `SMMU_GERRORN` (`self`).
    pub const fn acknowledge(self, active: Gerror) -> Gerror {
        Gerror(self.0 ^ (active.0 & Self::ERR_MASK))
    }
}

impl fmt::Display for Gerror {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (name, mask) in Self::NAMES {
            if self.0 & mask != 0 {
                if !first {
                    f.write_str("|")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        if first {
            f.write_str("none")?;
        }
        Ok(())
    }
}

register! {
    /// `*_IRQ_CFG0`: MSI target address (64-bit register; offsets in
    /// [`MsiRegs`]).
    pub struct IrqCfg0(u64) {
        /// `ADDR`, bits `[51:2]`: the MSI address, word aligned.
        ADDR: [51:2] addr => addr, with_addr;
    }
}

register! {
    /// `*_IRQ_CFG1`: MSI payload.
    pub struct IrqCfg1(u32) {
        /// `DATA`, bits `[31:0]`.
        DATA: [31:0] num => data, with_data;
    }
}

register! {
    /// `*_IRQ_CFG2`: MSI write attributes.
    pub struct IrqCfg2(u32) {
        /// `SH`, bits `[5:4]`: shareability ([`Shareability`]).
        SH: [5:4] num => sh, with_sh;
        /// `MemAttr`, bits `[3:0]`: memory type (e.g. [`IrqCfg2::MEMATTR_OIWB`]).
        MEMATTR: [3:0] num => memattr, with_memattr;
    }
}

impl IrqCfg2 {
    /// `MemAttr` encoding of Device-nGnRE memory.
    pub const MEMATTR_DEVICE_NGNRE: u32 = 0x1;
    /// `MemAttr` encoding of Normal, inner and outer write-back cacheable.
    pub const MEMATTR_OIWB: u32 = 0xf;
}

register! {
    /// `SMMU_STRTAB_BASE`: stream table base address.
    pub struct StrtabBase(u64) @ offsets::STRTAB_BASE {
        /// `RA`, bit `[62]`: read-allocate hint for stream table accesses.
        RA: [62:62] bool => ra, with_ra;
        /// `ADDR`, bits `[51:6]`: physical address of the (level-1) table.
        ADDR: [51:6] addr => addr, with_addr;
    }
}

/// `SMMU_STRTAB_BASE_CFG.FMT`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StrtabFmt {
    /// A linear array of STEs (0b00).
    Linear,
    /// A level-1 array of descriptors pointing to STE arrays (0b01).
    TwoLevel,
    /// A reserved encoding.
    Reserved(u8),
}

impl StrtabFmt {
    /// Decodes the two-bit field.
    pub const fn decode(raw: u32) -> Self {
        match raw & 3 {
            0 => Self::Linear,
            1 => Self::TwoLevel,
            r => Self::Reserved(r as u8),
        }
    }
}

register! {
    /// `SMMU_STRTAB_BASE_CFG`: stream table format and size.
    pub struct StrtabBaseCfg(u32) @ offsets::STRTAB_BASE_CFG {
        /// `FMT`, bits `[17:16]`: [`StrtabFmt`].
        FMT: [17:16] num => fmt_raw, with_fmt_raw;
        /// `SPLIT`, bits `[10:6]`: StreamID bits resolved by level 2.
        SPLIT: [10:6] num => split, with_split;
        /// `LOG2SIZE`, bits `[5:0]`: log2 of the number of StreamIDs covered.
        LOG2SIZE: [5:0] num => log2size, with_log2size;
    }
}

impl StrtabBaseCfg {
    /// The decoded `FMT` field.
    pub const fn fmt(self) -> StrtabFmt {
        StrtabFmt::decode(self.fmt_raw())
    }
}

macro_rules! queue_regs {
    (
        $base:ident @ $base_off:path, $alloc_doc:literal;
        $prod:ident @ $prod_off:path, $ovf:ident $ovf_get:ident $ovf_set:ident $ovf_doc:literal;
        $cons:ident @ $cons_off:path, $ack:ident $ack_get:ident $ack_set:ident $ack_doc:literal;
        $name:literal
    ) => {
        register! {
            #[doc = concat!("`SMMU_", $name, "_BASE`: queue base address and size.")]
            pub struct $base(u64) @ $base_off {
                #[doc = $alloc_doc]
                RA_WA: [62:62] bool => alloc_hint, with_alloc_hint;
                /// `ADDR`, bits `[51:5]`: physical address of the queue, aligned
                /// to the larger of 32 bytes and the queue size.
                ADDR: [51:5] addr => addr, with_addr;
                /// `LOG2SIZE`, bits `[4:0]`: log2 of the number of entries.
                LOG2SIZE: [4:0] num => log2size, with_log2size;
            }
        }

        register! {
            #[doc = concat!("`SMMU_", $name, "_PROD`.")]
            pub struct $prod(u32) @ $prod_off {
                #[doc = $ovf_doc]
                $ovf: [31:31] bool => $ovf_get, $ovf_set;
                /// `WR`, bits `[19:0]`: write index; bit `LOG2SIZE` is the wrap
                /// flag and bits above it are ignored.
                WR: [19:0] num => wr, with_wr;
            }
        }

        register! {
            #[doc = concat!("`SMMU_", $name, "_CONS`.")]
            pub struct $cons(u32) @ $cons_off {
                #[doc = $ack_doc]
                $ack: [31:31] bool => $ack_get, $ack_set;
                /// `RD`, bits `[19:0]`: read index; bit `LOG2SIZE` is the wrap
                /// flag and bits above it are ignored.
                RD: [19:0] num => rd, with_rd;
            }
        }
    };
}

register! {
    /// `SMMU_CMDQ_BASE`: command queue base address and size.
    pub struct CmdqBase(u64) @ offsets::CMDQ_BASE {
        /// `RA`, bit `[62]`: read-allocate hint for command fetches.
        RA: [62:62] bool => ra, with_ra;
        /// `ADDR`, bits `[51:5]`: physical address of the queue, aligned to the
        /// larger of 32 bytes and the queue size.
        ADDR: [51:5] addr => addr, with_addr;
        /// `LOG2SIZE`, bits `[4:0]`: log2 of the number of entries.
        LOG2SIZE: [4:0] num => log2size, with_log2size;
    }
}

register! {
    /// `SMMU_CMDQ_PROD`.
    pub struct CmdqProd(u32) @ offsets::CMDQ_PROD {
        /// `WR`, bits `[19:0]`: write index; bit `LOG2SIZE` is the wrap flag.
        WR: [19:0] num => wr, with_wr;
    }
}

register! {
    /// `SMMU_CMDQ_CONS`.
    pub struct CmdqCons(u32) @ offsets::CMDQ_CONS {
        /// `ERR`, bits `[30:24]`: reason command processing stopped
        /// ([`CmdqError`]), valid while `SMMU_GERROR.CMDQ_ERR` is active.
        ERR: [30:24] num => err_raw, with_err_raw;
        /// `RD`, bits `[19:0]`: read index; bit `LOG2SIZE` is the wrap flag.
        /// While an error is active it indexes the offending command.
        RD: [19:0] num => rd, with_rd;
    }
}

/// `SMMU_CMDQ_CONS.ERR`: why the command queue stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmdqError {
    /// `CERROR_NONE` (0x00): no error.
    None,
    /// `CERROR_ILL` (0x01): illegal or unrecognised command.
    Illegal,
    /// `CERROR_ABT` (0x02): abort on command fetch.
    Abort,
    /// `CERROR_ATC_INV_SYNC` (0x03): a CMD_SYNC failed to complete an
    /// outstanding ATC invalidation (ATS invalidation timeout).
    AtcInvSync,
    /// Any other (reserved or implementation defined) code.
    Other(u8),
}

impl CmdqError {
    /// Raw `CERROR_NONE`.
    pub const CERROR_NONE: u32 = 0;
    /// Raw `CERROR_ILL`.
    pub const CERROR_ILL: u32 = 1;
    /// Raw `CERROR_ABT`.
    pub const CERROR_ABT: u32 = 2;
    /// Raw `CERROR_ATC_INV_SYNC`.
    pub const CERROR_ATC_INV_SYNC: u32 = 3;

    /// Decodes the seven-bit `ERR` field (higher bits are ignored).
    pub const fn decode(raw: u32) -> Self {
        let raw = raw & 0x7f;
        match raw {
            Self::CERROR_NONE => Self::None,
            Self::CERROR_ILL => Self::Illegal,
            Self::CERROR_ABT => Self::Abort,
            Self::CERROR_ATC_INV_SYNC => Self::AtcInvSync,
            r => Self::Other(r as u8),
        }
    }

    /// The specification's name of the error.
    pub const fn name(self) -> &'static str {
        match self {
            Self::None => "CERROR_NONE",
            Self::Illegal => "CERROR_ILL",
            Self::Abort => "CERROR_ABT",
            Self::AtcInvSync => "CERROR_ATC_INV_SYNC",
            Self::Other(_) => "CERROR_UNKNOWN",
        }
    }
}

impl CmdqProd {
    /// [`CmdqProd::WR`] as a `u32` mask (`0x000f_ffff`).
    pub const WR_MASK: u32 = bit32(Self::WR);
}

impl CmdqCons {
    /// [`CmdqCons::RD`] as a `u32` mask (`0x000f_ffff`).
    pub const RD_MASK: u32 = bit32(Self::RD);
    /// [`CmdqCons::ERR`] as a `u32` mask (`0x7f00_0000`).
    pub const ERR_MASK: u32 = bit32(Self::ERR);

    /// The decoded `ERR` field.
    pub const fn err(self) -> CmdqError {
        CmdqError::decode(self.err_raw())
    }
}

queue_regs! {
    EventqBase @ offsets::EVENTQ_BASE,
        "`WA`, bit `[62]`: write-allocate hint for event record writes.";
    EventqProd @ offsets::EVENTQ_PROD, OVFLG ovflg with_ovflg
        "`OVFLG`, bit `[31]`: toggled by the SMMU when events were lost.";
    EventqCons @ offsets::EVENTQ_CONS, OVACKFLG ovackflg with_ovackflg
        "`OVACKFLG`, bit `[31]`: software copies `OVFLG` here to acknowledge.";
    "EVENTQ"
}

queue_regs! {
    PriqBase @ offsets::PRIQ_BASE,
        "`WA`, bit `[62]`: write-allocate hint for PRI request writes.";
    PriqProd @ offsets::PRIQ_PROD, OVFLG ovflg with_ovflg
        "`OVFLG`, bit `[31]`: toggled by the SMMU when requests were lost.";
    PriqCons @ offsets::PRIQ_CONS, OVACKFLG ovackflg with_ovackflg
        "`OVACKFLG`, bit `[31]`: software copies `OVFLG` here to acknowledge.";
    "PRIQ"
}

impl EventqProd {
    /// Offset of the register within page 1.
    pub const PAGE1_OFFSET: usize = offsets::EVENTQ_PROD_PAGE1;
}

impl EventqCons {
    /// Offset of the register within page 1.
    pub const PAGE1_OFFSET: usize = offsets::EVENTQ_CONS_PAGE1;
}

impl PriqProd {
    /// Offset of the register within page 1.
    pub const PAGE1_OFFSET: usize = offsets::PRIQ_PROD_PAGE1;
}

impl PriqCons {
    /// Offset of the register within page 1.
    pub const PAGE1_OFFSET: usize = offsets::PRIQ_CONS_PAGE1;
}

// ---------------------------------------------------------------------------
// ID register decoding.

/// `SMMU_IDR0.ST_LVL`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StLevel {
    /// Linear stream tables only (0b00).
    Linear,
    /// Linear and 2-level stream tables (0b01).
    TwoLevel,
    /// A reserved encoding.
    Reserved(u8),
}

/// `SMMU_IDR0.STALL_MODEL`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StallModel {
    /// Stall and terminate models both supported (0b00).
    StallAndTerminate,
    /// Terminate model only: faulting transactions are never stalled
    /// (0b01).
    TerminateOnly,
    /// Stall model forced: faulting transactions always stall when CD.S
    /// would be consulted, and STE.S1STALLD must not be set (0b10).
    StallForced,
    /// A reserved encoding.
    Reserved(u8),
}

/// `SMMU_IDR0.TTENDIAN`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TtEndian {
    /// Mixed-endian: both, selected by CD.ENDI/STE.S2ENDI (0b00).
    Mixed,
    /// Little-endian only (0b10).
    Little,
    /// Big-endian only (0b11).
    Big,
    /// A reserved encoding (0b01).
    Reserved(u8),
}

/// `SMMU_IDR0.HTTU`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Httu {
    /// No hardware translation table updates (0b00).
    None,
    /// Hardware Access flag updates (0b01).
    Access,
    /// Hardware Access flag and dirty state updates (0b10).
    AccessDirty,
    /// A reserved encoding.
    Reserved(u8),
}

/// `SMMU_IDR0.TTF`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ttf {
    /// AArch32 (LPAE) tables only (0b01).
    AArch32,
    /// AArch64 tables only (0b10).
    AArch64,
    /// Both formats (0b11).
    Both,
    /// A reserved encoding (0b00).
    Reserved(u8),
}

/// `SMMU_IDR5.VAX`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vax {
    /// 48-bit virtual addresses (0b00).
    Va48,
    /// 52-bit virtual addresses with 64KB granule (0b01).
    Va52,
    /// A reserved encoding.
    Reserved(u8),
}

/// `SMMU_IDR3.BBML`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bbml {
    /// No break-before-make relaxation advertised (0b00).
    None,
    /// Level 1 (0b01).
    Level1,
    /// Level 2 (0b10).
    Level2,
    /// A reserved encoding.
    Reserved(u8),
}

/// An output/physical address size: `SMMU_IDR5.OAS`, also the encoding of
/// CD.IPS and STE.VTCR.S2PS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Oas {
    /// 32 bits, 4GB (0b000).
    Bits32,
    /// 36 bits, 64GB (0b001).
    Bits36,
    /// 40 bits, 1TB (0b010).
    Bits40,
    /// 42 bits, 4TB (0b011).
    Bits42,
    /// 44 bits, 16TB (0b100).
    Bits44,
    /// 48 bits, 256TB (0b101).
    Bits48,
    /// 52 bits, 4PB (0b110).
    Bits52,
    /// A reserved encoding (0b111).
    Reserved(u8),
}

impl Oas {
    /// Decodes the three-bit encoding (higher bits are ignored).
    pub const fn decode(raw: u32) -> Self {
        match raw & 7 {
            0 => Self::Bits32,
            1 => Self::Bits36,
            2 => Self::Bits40,
            3 => Self::Bits42,
            4 => Self::Bits44,
            5 => Self::Bits48,
            6 => Self::Bits52,
            r => Self::Reserved(r as u8),
        }
    }

    /// The three-bit encoding.
    pub const fn raw(self) -> u8 {
        match self {
            Self::Bits32 => 0,
            Self::Bits36 => 1,
            Self::Bits40 => 2,
            Self::Bits42 => 3,
            Self::Bits44 => 4,
            Self::Bits48 => 5,
            Self::Bits52 => 6,
            Self::Reserved(r) => r & 7,
        }
    }

    /// The size in bits, or `None` for a reserved encoding.
    pub const fn bits(self) -> Option<u32> {
        match self {
            Self::Bits32 => Some(32),
            Self::Bits36 => Some(36),
            Self::Bits40 => Some(40),
            Self::Bits42 => Some(42),
            Self::Bits44 => Some(44),
            Self::Bits48 => Some(48),
            Self::Bits52 => Some(52),
            Self::Reserved(_) => None,
        }
    }

    /// The encoding of a size in bits, or `None` if it has none.
    pub const fn from_bits(bits: u32) -> Option<Self> {
        match bits {
            32 => Some(Self::Bits32),
            36 => Some(Self::Bits36),
            40 => Some(Self::Bits40),
            42 => Some(Self::Bits42),
            44 => Some(Self::Bits44),
            48 => Some(Self::Bits48),
            52 => Some(Self::Bits52),
            _ => None,
        }
    }
}

impl Idr0 {
    /// The decoded `ST_LVL` field.
    pub const fn st_level(self) -> StLevel {
        match self.st_lvl() {
            0 => StLevel::Linear,
            1 => StLevel::TwoLevel,
            r => StLevel::Reserved(r as u8),
        }
    }

    /// The decoded `STALL_MODEL` field.
    pub const fn stall_model(self) -> StallModel {
        match self.stall_model_raw() {
            0 => StallModel::StallAndTerminate,
            1 => StallModel::TerminateOnly,
            2 => StallModel::StallForced,
            r => StallModel::Reserved(r as u8),
        }
    }

    /// The decoded `TTENDIAN` field.
    pub const fn tt_endian(self) -> TtEndian {
        match self.ttendian_raw() {
            0 => TtEndian::Mixed,
            2 => TtEndian::Little,
            3 => TtEndian::Big,
            r => TtEndian::Reserved(r as u8),
        }
    }

    /// The decoded `HTTU` field.
    pub const fn httu(self) -> Httu {
        match self.httu_raw() {
            0 => Httu::None,
            1 => Httu::Access,
            2 => Httu::AccessDirty,
            r => Httu::Reserved(r as u8),
        }
    }

    /// The decoded `TTF` field.
    pub const fn ttf(self) -> Ttf {
        match self.ttf_raw() {
            1 => Ttf::AArch32,
            2 => Ttf::AArch64,
            3 => Ttf::Both,
            r => Ttf::Reserved(r as u8),
        }
    }
}

impl Idr3 {
    /// The decoded `BBML` field.
    pub const fn bbml(self) -> Bbml {
        match self.bbml_raw() {
            0 => Bbml::None,
            1 => Bbml::Level1,
            2 => Bbml::Level2,
            r => Bbml::Reserved(r as u8),
        }
    }
}

impl Idr5 {
    /// The decoded `VAX` field.
    pub const fn vax(self) -> Vax {
        match self.vax_raw() {
            0 => Vax::Va48,
            1 => Vax::Va52,
            r => Vax::Reserved(r as u8),
        }
    }

    /// The decoded `OAS` field.
    pub const fn oas(self) -> Oas {
        Oas::decode(self.oas_raw())
    }
}

/// The raw identification registers an SMMU is probed with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IdRegs {
    /// `SMMU_IDR0`.
    pub idr0: Idr0,
    /// `SMMU_IDR1`.
    pub idr1: Idr1,
    /// `SMMU_IDR3`.
    pub idr3: Idr3,
    /// `SMMU_IDR5`.
    pub idr5: Idr5,
    /// `SMMU_IIDR`.
    pub iidr: Iidr,
    /// `SMMU_AIDR`.
    pub aidr: Aidr,
}

/// What an SMMU implements, decoded from its ID registers.
///
/// Every field is a direct decoding of one register field; helper methods
/// derive the quantities a driver needs. Decoding never fails: reserved
/// encodings are kept as `Reserved` variants (and in the raw sizes), and it is
/// up to the driver to refuse an SMMU it cannot drive (see
/// [`Features::check_usable`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Features {
    /// `IDR0.ST_LVL`: 2-level stream table support.
    pub st_level: StLevel,
    /// `IDR0.TERM_MODEL`.
    pub term_model: bool,
    /// `IDR0.STALL_MODEL`.
    pub stall_model: StallModel,
    /// `IDR0.TTENDIAN`.
    pub tt_endian: TtEndian,
    /// `IDR0.VATOS`.
    pub vatos: bool,
    /// `IDR0.CD2L`: 2-level CD tables.
    pub cd2l: bool,
    /// `IDR0.VMID16`.
    pub vmid16: bool,
    /// `IDR0.VMW`.
    pub vmw: bool,
    /// `IDR0.PRI`.
    pub pri: bool,
    /// `IDR0.ATOS`.
    pub atos: bool,
    /// `IDR0.SEV`.
    pub sev: bool,
    /// `IDR0.MSI`.
    pub msi: bool,
    /// `IDR0.ASID16`.
    pub asid16: bool,
    /// `IDR0.NS1ATS`.
    pub ns1ats: bool,
    /// `IDR0.ATS`.
    pub ats: bool,
    /// `IDR0.HYP`.
    pub hyp: bool,
    /// `IDR0.DORMHINT`.
    pub dormhint: bool,
    /// `IDR0.HTTU`.
    pub httu: Httu,
    /// `IDR0.BTM`.
    pub btm: bool,
    /// `IDR0.COHACC`: coherent table and queue access.
    pub cohacc: bool,
    /// `IDR0.TTF`.
    pub ttf: Ttf,
    /// `IDR0.S1P`.
    pub s1p: bool,
    /// `IDR0.S2P`.
    pub s2p: bool,
    /// `IDR1.ECMDQ`.
    pub ecmdq: bool,
    /// `IDR1.TABLES_PRESET`.
    pub tables_preset: bool,
    /// `IDR1.QUEUES_PRESET`.
    pub queues_preset: bool,
    /// `IDR1.REL`.
    pub rel: bool,
    /// `IDR1.ATTR_TYPES_OVR`.
    pub attr_types_ovr: bool,
    /// `IDR1.ATTR_PERMS_OVR`.
    pub attr_perms_ovr: bool,
    /// `IDR1.CMDQS`: log2 of the maximum command queue entries.
    pub cmdqs: u8,
    /// `IDR1.EVENTQS`: log2 of the maximum event queue entries.
    pub eventqs: u8,
    /// `IDR1.PRIQS`: log2 of the maximum PRI queue entries.
    pub priqs: u8,
    /// `IDR1.SSIDSIZE`: SubstreamID bits (0: no substreams).
    pub ssidsize: u8,
    /// `IDR1.SIDSIZE`: StreamID bits.
    pub sidsize: u8,
    /// `IDR3.RIL`: range invalidation.
    pub ril: bool,
    /// `IDR3.BBML`.
    pub bbml: Bbml,
    /// `IDR3.STT`.
    pub stt: bool,
    /// `IDR3.FWB`.
    pub fwb: bool,
    /// `IDR3.MPAM`.
    pub mpam: bool,
    /// `IDR3.PPS`.
    pub pps: bool,
    /// `IDR3.HAD`.
    pub had: bool,
    /// `IDR3.E0PD`.
    pub e0pd: bool,
    /// `IDR5.STALL_MAX`.
    pub stall_max: u16,
    /// `IDR5.VAX`.
    pub vax: Vax,
    /// `IDR5.GRAN4K`.
    pub gran4k: bool,
    /// `IDR5.GRAN16K`.
    pub gran16k: bool,
    /// `IDR5.GRAN64K`.
    pub gran64k: bool,
    /// `IDR5.OAS`.
    pub oas: Oas,
    /// `AIDR.ArchMinorRev`: the `x` of SMMUv3.x.
    pub arch_minor_rev: u8,
    /// The raw `SMMU_IIDR`.
    pub iidr: Iidr,
}

/// Why a driver cannot use an SMMU (see [`Features::check_usable`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unusable {
    /// Neither stage 1 nor stage 2 translation is implemented.
    NoTranslation,
    /// The AArch64 translation table format is not implemented.
    NoAArch64Tables,
    /// Little-endian translation tables are not supported.
    NoLittleEndian,
    /// Embedded implementation with preset tables or queues.
    Preset,
    /// The command queue cannot hold the driver's minimum batch.
    CmdqTooSmall,
    /// `IDR1.SIDSIZE` is beyond the architectural maximum of 32.
    BadSidSize,
    /// `IDR1.SSIDSIZE` is beyond the architectural maximum of 20.
    BadSsidSize,
    /// `IDR5.OAS` holds a reserved encoding.
    BadOas,
}

impl Features {
    /// Architectural maximum of `IDR1.SIDSIZE`.
    pub const MAX_SIDSIZE: u8 = 32;
    /// Architectural maximum of `IDR1.SSIDSIZE`.
    pub const MAX_SSIDSIZE: u8 = 20;

    /// Decodes the ID registers.
    pub const fn decode(regs: &IdRegs) -> Self {
        let (i0, i1, i3, i5) = (regs.idr0, regs.idr1, regs.idr3, regs.idr5);
        Self {
            st_level: i0.st_level(),
            term_model: i0.term_model(),
            stall_model: i0.stall_model(),
            tt_endian: i0.tt_endian(),
            vatos: i0.vatos(),
            cd2l: i0.cd2l(),
            vmid16: i0.vmid16(),
            vmw: i0.vmw(),
            pri: i0.pri(),
            atos: i0.atos(),
            sev: i0.sev(),
            msi: i0.msi(),
            asid16: i0.asid16(),
            ns1ats: i0.ns1ats(),
            ats: i0.ats(),
            hyp: i0.hyp(),
            dormhint: i0.dormhint(),
            httu: i0.httu(),
            btm: i0.btm(),
            cohacc: i0.cohacc(),
            ttf: i0.ttf(),
            s1p: i0.s1p(),
            s2p: i0.s2p(),
            ecmdq: i1.ecmdq(),
            tables_preset: i1.tables_preset(),
            queues_preset: i1.queues_preset(),
            rel: i1.rel(),
            attr_types_ovr: i1.attr_types_ovr(),
            attr_perms_ovr: i1.attr_perms_ovr(),
            // The fields are at most 6 bits wide, so they fit in u8.
            cmdqs: i1.cmdqs() as u8,
            eventqs: i1.eventqs() as u8,
            priqs: i1.priqs() as u8,
            ssidsize: i1.ssidsize() as u8,
            sidsize: i1.sidsize() as u8,
            ril: i3.ril(),
            bbml: i3.bbml(),
            stt: i3.stt(),
            fwb: i3.fwb(),
            mpam: i3.mpam(),
            pps: i3.pps(),
            had: i3.had(),
            e0pd: i3.e0pd(),
            stall_max: i5.stall_max() as u16,
            vax: i5.vax(),
            gran4k: i5.gran4k(),
            gran16k: i5.gran16k(),
            gran64k: i5.gran64k(),
            oas: i5.oas(),
            arch_minor_rev: regs.aidr.arch_minor_rev() as u8,
            iidr: regs.iidr,
        }
    }

    /// Whether 2-level stream tables are implemented.
    pub const fn two_level_strtab(&self) -> bool {
        matches!(self.st_level, StLevel::TwoLevel)
    }

    /// Whether CD.S can make faulting transactions stall (stall model is not
    /// terminate-only). Upstream calls this `ARM_SMMU_FEAT_STALLS`.
    pub const fn stalls(&self) -> bool {
        matches!(
            self.stall_model,
            StallModel::StallAndTerminate | StallModel::StallForced
        )
    }

    /// Whether stalling is forced (STE.S1STALLD must stay 0 and stall
    /// cannot be disabled per context).
    pub const fn stall_forced(&self) -> bool {
        matches!(self.stall_model, StallModel::StallForced)
    }

    /// Whether hardware Access-flag updates are implemented.
    pub const fn hw_access(&self) -> bool {
        matches!(self.httu, Httu::Access | Httu::AccessDirty)
    }

    /// Whether hardware dirty-state updates are implemented.
    pub const fn hw_dirty(&self) -> bool {
        matches!(self.httu, Httu::AccessDirty)
    }

    /// Whether both stages are implemented (nested translation possible).
    pub const fn nesting(&self) -> bool {
        self.s1p && self.s2p
    }

    /// Number of ASID bits (8 or 16).
    pub const fn asid_bits(&self) -> u32 {
        if self.asid16 {
            16
        } else {
            8
        }
    }

    /// Number of VMID bits (8 or 16).
    pub const fn vmid_bits(&self) -> u32 {
        if self.vmid16 {
            16
        } else {
            8
        }
    }

    /// Output address size in bits, or `None` for a reserved encoding.
    pub const fn oas_bits(&self) -> Option<u32> {
        self.oas.bits()
    }

    /// Input (virtual) address size in bits of stage 1: 52 with `VAX`, else
    /// 48.
    pub const fn va_bits(&self) -> u32 {
        match self.vax {
            Vax::Va52 => 52,
            _ => 48,
        }
    }

    /// Page and block sizes supported by the granules (an io-pgtable
    /// `pgsize_bitmap`): 4KB/2MB/1GB, 16KB/32MB, 64KB/512MB, plus 4TB blocks
    /// with 52-bit output addresses and the 64KB granule.
    pub const fn pgsize_bitmap(&self) -> u64 {
        let mut bitmap = 0;
        if self.gran4k {
            bitmap |= (1 << 12) | (1 << 21) | (1 << 30);
        }
        if self.gran16k {
            bitmap |= (1 << 14) | (1 << 25);
        }
        if self.gran64k {
            bitmap |= (1 << 16) | (1 << 29);
            if matches!(self.oas, Oas::Bits52) {
                bitmap |= 1 << 42;
            }
        }
        bitmap
    }

    /// Checks the minimum a Linux-style driver needs: some translation
    /// stage, AArch64 little-endian tables, no presets, a command queue of
    /// more than `min_cmdq_log2` entries (log2), sane ID sizes and a defined
    /// OAS.
    pub const fn check_usable(&self, min_cmdq_log2: u8) -> Result<(), Unusable> {
        if !self.s1p && !self.s2p {
            return Err(Unusable::NoTranslation);
        }
        if !matches!(self.ttf, Ttf::AArch64 | Ttf::Both) {
            return Err(Unusable::NoAArch64Tables);
        }
        if !matches!(self.tt_endian, TtEndian::Mixed | TtEndian::Little) {
            return Err(Unusable::NoLittleEndian);
        }
        if self.tables_preset || self.queues_preset || self.rel {
            return Err(Unusable::Preset);
        }
        if self.cmdqs <= min_cmdq_log2 {
            return Err(Unusable::CmdqTooSmall);
        }
        if self.sidsize > Self::MAX_SIDSIZE {
            return Err(Unusable::BadSidSize);
        }
        if self.ssidsize > Self::MAX_SSIDSIZE {
            return Err(Unusable::BadSsidSize);
        }
        if self.oas.bits().is_none() {
            return Err(Unusable::BadOas);
        }
        Ok(())
    }
}

/// Writes `name` if `cond`, preceded by a space.
fn flag(f: &mut fmt::Formatter<'_>, cond: bool, name: &str) -> fmt::Result {
    if cond {
        write!(f, " {name}")
    } else {
        Ok(())
    }
}

impl fmt::Display for Features {
    /// One line, suitable for a kernel log message, e.g.
    /// `SMMUv3.2 S1P S2P COHACC 2LVL-ST CD2L ATS PRI ... HTTU=AD
    /// stall=stall+terminate ASID16 VMID16 RIL OAS=48 SID=16 SSID=20
    /// CMDQS=19 EVENTQS=19 PRIQS=19 GRAN=4K,16K,64K VA=48`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SMMUv3.{}", self.arch_minor_rev)?;
        flag(f, self.s1p, "S1P")?;
        flag(f, self.s2p, "S2P")?;
        flag(f, self.cohacc, "COHACC")?;
        match self.st_level {
            StLevel::Linear => {}
            StLevel::TwoLevel => f.write_str(" 2LVL-ST")?,
            StLevel::Reserved(r) => write!(f, " ST_LVL=reserved({r})")?,
        }
        flag(f, self.cd2l, "CD2L")?;
        flag(f, self.ats, "ATS")?;
        flag(f, self.pri, "PRI")?;
        flag(f, self.sev, "SEV")?;
        flag(f, self.msi, "MSI")?;
        flag(f, self.hyp, "HYP")?;
        flag(f, self.btm, "BTM")?;
        flag(f, self.attr_types_ovr, "ATTR_TYPES_OVR")?;
        match self.httu {
            Httu::None => {}
            Httu::Access => f.write_str(" HTTU=A")?,
            Httu::AccessDirty => f.write_str(" HTTU=AD")?,
            Httu::Reserved(r) => write!(f, " HTTU=reserved({r})")?,
        }
        match self.ttf {
            Ttf::AArch64 => {}
            Ttf::AArch32 => f.write_str(" TTF=AArch32")?,
            Ttf::Both => f.write_str(" TTF=AArch32+64")?,
            Ttf::Reserved(r) => write!(f, " TTF=reserved({r})")?,
        }
        match self.tt_endian {
            TtEndian::Mixed => {}
            TtEndian::Little => f.write_str(" TTENDIAN=LE")?,
            TtEndian::Big => f.write_str(" TTENDIAN=BE")?,
            TtEndian::Reserved(r) => write!(f, " TTENDIAN=reserved({r})")?,
        }
        match self.stall_model {
            StallModel::StallAndTerminate => f.write_str(" stall=stall+terminate")?,
            StallModel::TerminateOnly => f.write_str(" stall=terminate")?,
            StallModel::StallForced => f.write_str(" stall=forced")?,
            StallModel::Reserved(r) => write!(f, " stall=reserved({r})")?,
        }
        flag(f, self.asid16, "ASID16")?;
        flag(f, self.vmid16, "VMID16")?;
        flag(f, self.ril, "RIL")?;
        match self.bbml {
            Bbml::None => {}
            Bbml::Level1 => f.write_str(" BBML1")?,
            Bbml::Level2 => f.write_str(" BBML2")?,
            Bbml::Reserved(r) => write!(f, " BBML=reserved({r})")?,
        }
        match self.oas.bits() {
            Some(bits) => write!(f, " OAS={bits}")?,
            None => write!(f, " OAS=reserved({})", self.oas.raw())?,
        }
        write!(
            f,
            " SID={} SSID={} CMDQS={} EVENTQS={} PRIQS={}",
            self.sidsize, self.ssidsize, self.cmdqs, self.eventqs, self.priqs
        )?;
        f.write_str(" GRAN=")?;
        let mut sep = "";
        for (present, name) in [
            (self.gran4k, "4K"),
            (self.gran16k, "16K"),
            (self.gran64k, "64K"),
        ] {
            if present {
                write!(f, "{sep}{name}")?;
                sep = ",";
            }
        }
        if sep.is_empty() {
            f.write_str("none")?;
        }
        match self.vax {
            Vax::Va48 => f.write_str(" VA=48"),
            Vax::Va52 => f.write_str(" VA=52"),
            Vax::Reserved(r) => write!(f, " VAX=reserved({r})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    #[test]
    fn offsets_match_spec() {
        assert_eq!(Idr0::OFFSET, 0x0);
        assert_eq!(Idr5::OFFSET, 0x14);
        assert_eq!(Cr0::ACK_OFFSET, 0x24);
        assert_eq!(Gerror::N_OFFSET, 0x64);
        assert_eq!(StrtabBaseCfg::OFFSET, 0x88);
        assert_eq!(CmdqCons::OFFSET, 0x9c);
        assert_eq!(EventqProd::OFFSET, 0x100a8);
        assert_eq!(EventqCons::OFFSET, 0x100ac);
        assert_eq!(PriqProd::OFFSET, 0x100c8);
        assert_eq!(PriqCons::OFFSET, 0x100cc);
        assert_eq!(EventqProd::PAGE1_OFFSET, 0xa8);
        assert_eq!(MsiRegs::PRIQ.cfg2, 0xdc);
    }

    #[test]
    fn field_masks_match_c_header() {
        assert_eq!(Idr0::ST_LVL.mask(), 0x1800_0000);
        assert_eq!(Idr0::STALL_MODEL.mask(), 0x0300_0000);
        assert_eq!(Idr0::TTENDIAN.mask(), 0x0060_0000);
        assert_eq!(Idr0::CD2L.mask(), 1 << 19);
        assert_eq!(Idr0::HTTU.mask(), 0xc0);
        assert_eq!(Idr0::TTF.mask(), 0xc);
        assert_eq!(Idr1::CMDQS.mask(), 0x03e0_0000);
        assert_eq!(Idr1::SSIDSIZE.mask(), 0x7c0);
        assert_eq!(Idr1::SIDSIZE.mask(), 0x3f);
        assert_eq!(Idr3::RIL.mask(), 1 << 10);
        assert_eq!(Idr5::STALL_MAX.mask(), 0xffff_0000);
        assert_eq!(Idr5::VAX.mask(), 0xc00);
        assert_eq!(Gerror::ERR_MASK, 0x1fd);
        assert_eq!(StrtabBase::ADDR.mask(), 0x000f_ffff_ffff_ffc0);
        assert_eq!(StrtabBase::RA.mask(), 1 << 62);
        assert_eq!(CmdqBase::ADDR.mask(), 0x000f_ffff_ffff_ffe0);
        assert_eq!(CmdqCons::ERR.mask(), 0x7f00_0000);
        assert_eq!(IrqCfg0::ADDR.mask(), 0x000f_ffff_ffff_fffc);
        assert_eq!(Cr1::coherent_wb().raw(), 0xd75);
    }

    /// The `u32` bit constants, against the specification's bit numbers.
    #[test]
    fn u32_bit_constants_match_spec() {
        assert_eq!(Cr0::SMMUEN_BIT, 1 << 0);
        assert_eq!(Cr0::PRIQEN_BIT, 1 << 1);
        assert_eq!(Cr0::EVENTQEN_BIT, 1 << 2);
        assert_eq!(Cr0::CMDQEN_BIT, 1 << 3);
        assert_eq!(Cr0::ATSCHK_BIT, 1 << 4);
        assert_eq!(Cr0::VMW_MASK, 0x1c0);
        assert_eq!(Gerror::CMDQ_ERR_BIT, 1 << 0);
        assert_eq!(Gerror::EVENTQ_ABT_ERR_BIT, 1 << 2);
        assert_eq!(Gerror::PRIQ_ABT_ERR_BIT, 1 << 3);
        assert_eq!(Gerror::MSI_CMDQ_ABT_ERR_BIT, 1 << 4);
        assert_eq!(Gerror::MSI_EVENTQ_ABT_ERR_BIT, 1 << 5);
        assert_eq!(Gerror::MSI_PRIQ_ABT_ERR_BIT, 1 << 6);
        assert_eq!(Gerror::MSI_GERROR_ABT_ERR_BIT, 1 << 7);
        assert_eq!(Gerror::SFM_ERR_BIT, 1 << 8);
        assert_eq!(Gbpa::UPDATE_BIT, 1 << 31);
        assert_eq!(Gbpa::ABORT_BIT, 1 << 20);
        assert_eq!(CmdqCons::ERR_MASK, 0x7f00_0000);
        assert_eq!((CmdqProd::WR_MASK, CmdqCons::RD_MASK), (0xf_ffff, 0xf_ffff));
        let names = Gerror::NAMES.iter().fold(0, |acc, (_, m)| acc | m);
        assert_eq!(names, Gerror::ERR_MASK);
        assert_eq!(
            Gerror::default().with_cmdq_err(true).raw(),
            Gerror::CMDQ_ERR_BIT
        );
        assert_eq!(Cr0::default().with_cmdqen(true).raw(), Cr0::CMDQEN_BIT);
    }

    #[test]
    fn decode_typical_idrs() {
        let regs = IdRegs {
            idr0: Idr0::from_raw(
                (1 << 27)
                    | (2 << 21)
                    | (1 << 19)
                    | (1 << 18)
                    | (1 << 16)
                    | (1 << 14)
                    | (1 << 13)
                    | (1 << 12)
                    | (1 << 10)
                    | (1 << 9)
                    | (2 << 6)
                    | (1 << 5)
                    | (1 << 4)
                    | (2 << 2)
                    | 3,
            ),
            idr1: Idr1::from_raw((19 << 21) | (19 << 16) | (19 << 11) | (20 << 6) | 16),
            idr3: Idr3::from_raw(1 << 10),
            idr5: Idr5::from_raw((0x80 << 16) | (7 << 4) | 5),
            iidr: Iidr::default(),
            aidr: Aidr::from_raw(2),
        };
        let f = Features::decode(&regs);
        assert!(f.two_level_strtab() && f.cd2l && f.hw_dirty() && f.hw_access());
        assert_eq!(f.tt_endian, TtEndian::Little);
        assert_eq!(f.oas_bits(), Some(48));
        assert_eq!(f.sidsize, 16);
        assert_eq!(f.ssidsize, 20);
        assert_eq!(f.stall_max, 0x80);
        assert_eq!(f.check_usable(6), Ok(()));
        let line = format!("{f}");
        assert_eq!(
            line,
            "SMMUv3.2 S1P S2P COHACC 2LVL-ST CD2L ATS PRI SEV MSI HYP BTM HTTU=AD \
             TTENDIAN=LE stall=stall+terminate ASID16 VMID16 RIL OAS=48 SID=16 SSID=20 \
             CMDQS=19 EVENTQS=19 PRIQS=19 GRAN=4K,16K,64K VA=48"
        );
    }

    #[test]
    fn reserved_encodings_decode_explicitly() {
        let regs = IdRegs {
            idr0: Idr0::from_raw(u32::MAX),
            idr1: Idr1::from_raw(u32::MAX),
            idr3: Idr3::from_raw(u32::MAX),
            idr5: Idr5::from_raw(u32::MAX),
            iidr: Iidr::from_raw(u32::MAX),
            aidr: Aidr::from_raw(u32::MAX),
        };
        let f = Features::decode(&regs);
        assert_eq!(f.st_level, StLevel::Reserved(3));
        assert_eq!(f.stall_model, StallModel::Reserved(3));
        assert_eq!(f.httu, Httu::Reserved(3));
        assert_eq!(f.oas, Oas::Reserved(7));
        assert_eq!(f.vax, Vax::Reserved(3));
        assert_eq!(f.bbml, Bbml::Reserved(3));
        assert_eq!(f.sidsize, 63);
        assert!(f.check_usable(6).is_err());
        assert!(!format!("{f}").is_empty());
    }

    #[test]
    fn gerror_active_and_ack() {
        let g = Gerror::from_raw(0x105);
        let n = Gerror::from_raw(0x004);
        let active = g.active(n);
        assert!(active.cmdq_err() && active.sfm_err() && !active.eventq_abt_err());
        assert_eq!(format!("{active}"), "CMDQ_ERR|SFM_ERR");
        assert_eq!(n.acknowledge(active).raw(), 0x105);
    }

    #[test]
    fn cmdq_cons_err() {
        let c = CmdqCons::from_raw(0)
            .with_err_raw(3)
            .unwrap()
            .with_rd(5)
            .unwrap();
        assert_eq!(c.err(), CmdqError::AtcInvSync);
        assert_eq!(c.rd(), 5);
        assert_eq!(CmdqError::decode(0x7f), CmdqError::Other(0x7f));
        assert!(CmdqCons::default().with_err_raw(0x80).is_err());
    }

    #[test]
    fn checked_setters() {
        let b = StrtabBase::default()
            .with_addr(0x1000)
            .unwrap()
            .with_ra(true);
        assert_eq!(b.raw(), (1 << 62) | 0x1000);
        assert!(StrtabBase::default().with_addr(0x1001).is_err());
        let cfg = StrtabBaseCfg::default()
            .with_fmt_raw(1)
            .and_then(|c| c.with_split(8))
            .and_then(|c| c.with_log2size(16))
            .unwrap();
        assert_eq!(cfg.raw(), (1 << 16) | (8 << 6) | 16);
        assert_eq!(cfg.fmt(), StrtabFmt::TwoLevel);
    }
}
