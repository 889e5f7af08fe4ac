// SPDX-License-Identifier: GPL-2.0

//! Context Descriptors (CD): the 64-byte stage 1 configuration of one
//! substream (PASID), selected by SubstreamID from a stream's CD table.
//!
//! A [`Cd`] is eight little-endian 64-bit words. Each field is documented
//! with its qword, its bits within that qword and, in brackets, its absolute
//! position `CD[hi:lo]` as the specification's CD layout numbers it.
//!
//! The translation control fields follow the AArch64 `TCR_EL1` layout for
//! the TTB0 half of the address space (T0SZ, TG0, IR0, OR0, SH0, EPD0) and
//! the TTB1 half (T1SZ, TG1, IR1, OR1, SH1, EPD1). The driver only uses
//! TTB0; TTB1 walks are disabled with EPD1.
//!
//! Builders: [`Cd::s1_paging`] (a DMA API / paging domain),
//! [`Cd::sva`] (a process address space shared with a device) and
//! [`Cd::sva_quiet`] (what an SVA CD becomes when its process exits while the
//! device may still issue DMA).

use crate::hw::bits::{entry_fields, fmt_qwords, FieldError, ENTRY_QWORDS};
use crate::hw::regs::{Features, Oas, Shareability};
use crate::hw::ste::IllegalReason;
use crate::hw::writer::Entry;

/// Number of 64-bit words in a CD.
pub const CD_QWORDS: usize = ENTRY_QWORDS;

/// Size of a CD in bytes.
pub const CD_SIZE: usize = CD_QWORDS * 8;

/// A Context Descriptor.
///
/// Any bit pattern is representable; entries made by this module's builders
/// are legal and set only bits that [`Cd::used_bits`] reports used.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
#[repr(transparent)]
pub struct Cd(pub [u64; CD_QWORDS]);

/// Translation granule in the TCR `TG0` encoding, also used by
/// `STE.VTCR.S2TG`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Granule {
    /// 0b00: 4KB.
    Size4K = 0,
    /// 0b01: 64KB.
    Size64K = 1,
    /// 0b10: 16KB.
    Size16K = 2,
}

impl Granule {
    /// Decodes a two-bit `TG0`/`S2TG` field; `None` for the reserved 0b11.
    pub const fn decode(raw: u64) -> Option<Self> {
        match raw {
            0 => Some(Self::Size4K),
            1 => Some(Self::Size64K),
            2 => Some(Self::Size16K),
            _ => None,
        }
    }

    /// log2 of the granule size in bytes.
    pub const fn shift(self) -> u32 {
        match self {
            Self::Size4K => 12,
            Self::Size16K => 14,
            Self::Size64K => 16,
        }
    }

    /// The granule of `page_shift` (12, 14 or 16).
    pub const fn from_shift(page_shift: u32) -> Option<Self> {
        match page_shift {
            12 => Some(Self::Size4K),
            14 => Some(Self::Size16K),
            16 => Some(Self::Size64K),
            _ => None,
        }
    }
}

/// Cacheability of table walks in the TCR `IRGN`/`ORGN` encoding (CD
/// `IR0`/`OR0`, STE `S2IR0`/`S2OR0`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cacheability {
    /// 0b00: non-cacheable.
    NonCacheable = 0,
    /// 0b01: write-back, read-allocate, write-allocate.
    WriteBackWriteAlloc = 1,
    /// 0b10: write-through, read-allocate, no write-allocate.
    WriteThrough = 2,
    /// 0b11: write-back, read-allocate, no write-allocate.
    WriteBackNoWriteAlloc = 3,
}

/// Hardware translation table update enables of a CD (`HA`, `HD`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CdHttu {
    /// No hardware updates (`HA = HD = 0`).
    #[default]
    None,
    /// Hardware Access flag updates (`HA = 1`).
    Access,
    /// Hardware Access flag and dirty state updates (`HA = HD = 1`).
    AccessDirty,
}

entry_fields! {
    impl Cd {
        /// `T0SZ`, qword 0 bits `[5:0]` (`CD[5:0]`): TTB0 region is `2^(64-T0SZ)`
        /// bytes.
        T0SZ: 0[5:0] num => t0sz, set_t0sz;
        /// `TG0`, qword 0 bits `[7:6]` (`CD[7:6]`): TTB0 granule, see
        /// [`Granule`].
        TG0: 0[7:6] num => tg0, set_tg0;
        /// `IR0`, qword 0 bits `[9:8]` (`CD[9:8]`): inner cacheability of TTB0
        /// walks, see [`Cacheability`].
        IR0: 0[9:8] num => ir0, set_ir0;
        /// `OR0`, qword 0 bits `[11:10]` (`CD[11:10]`): outer cacheability of
        /// TTB0 walks.
        OR0: 0[11:10] num => or0, set_or0;
        /// `SH0`, qword 0 bits `[13:12]` (`CD[13:12]`): shareability of TTB0
        /// walks, see [`Shareability`].
        SH0: 0[13:12] num => sh0, set_sh0;
        /// `EPD0`, qword 0 bit `[14]` (`CD[14]`): TTB0 walks disabled; addresses
        /// in the TTB0 region take a translation fault.
        EPD0: 0[14:14] bool => epd0, set_epd0;
        /// `ENDI`, qword 0 bit `[15]` (`CD[15]`): tables are big-endian.
        ENDI: 0[15:15] bool => endi, set_endi;
        /// `T1SZ`, qword 0 bits `[21:16]` (`CD[21:16]`).
        T1SZ: 0[21:16] num => t1sz, set_t1sz;
        /// `TG1`, qword 0 bits `[23:22]` (`CD[23:22]`), in the `TCR.TG1`
        /// encoding.
        TG1: 0[23:22] num => tg1, set_tg1;
        /// `IR1`, qword 0 bits `[25:24]` (`CD[25:24]`).
        IR1: 0[25:24] num => ir1, set_ir1;
        /// `OR1`, qword 0 bits `[27:26]` (`CD[27:26]`).
        OR1: 0[27:26] num => or1, set_or1;
        /// `SH1`, qword 0 bits `[29:28]` (`CD[29:28]`).
        SH1: 0[29:28] num => sh1, set_sh1;
        /// `EPD1`, qword 0 bit `[30]` (`CD[30]`): TTB1 walks disabled.
        EPD1: 0[30:30] bool => epd1, set_epd1;
        /// `V`, qword 0 bit `[31]` (`CD[31]`): the CD is valid.
        V: 0[31:31] bool => v, set_v;
        /// `IPS`, qword 0 bits `[34:32]` (`CD[34:32]`): intermediate (output)
        /// address size, see [`Oas`].
        IPS: 0[34:32] num => ips, set_ips;
        /// `AFFD`, qword 0 bit `[35]` (`CD[35]`): Access flag faults disabled.
        AFFD: 0[35:35] bool => affd, set_affd;
        /// `WXN`, qword 0 bit `[36]` (`CD[36]`): writable implies execute-never.
        WXN: 0[36:36] bool => wxn, set_wxn;
        /// `UWXN`, qword 0 bit `[37]` (`CD[37]`): unprivileged-writable implies
        /// privileged execute-never.
        UWXN: 0[37:37] bool => uwxn, set_uwxn;
        /// `TBI`, qword 0 bits `[39:38]` (`CD[39:38]`): top byte ignore for the
        /// TTB0 (bit 38) and TTB1 (bit 39) regions.
        TBI: 0[39:38] num => tbi, set_tbi;
        /// `PAN`, qword 0 bit `[40]` (`CD[40]`): privileged access never.
        PAN: 0[40:40] bool => pan, set_pan;
        /// `AA64`, qword 0 bit `[41]` (`CD[41]`): AArch64 translation tables.
        AA64: 0[41:41] bool => aa64, set_aa64;
        /// `HD`, qword 0 bit `[42]` (`CD[42]`): hardware dirty state update.
        HD: 0[42:42] bool => hd, set_hd;
        /// `HA`, qword 0 bit `[43]` (`CD[43]`): hardware Access flag update.
        HA: 0[43:43] bool => ha, set_ha;
        /// `S`, qword 0 bit `[44]` (`CD[44]`): faults stall the transaction.
        S: 0[44:44] bool => s, set_s;
        /// `R`, qword 0 bit `[45]` (`CD[45]`): faults are recorded as events.
        R: 0[45:45] bool => r, set_r;
        /// `A`, qword 0 bit `[46]` (`CD[46]`): terminated transactions are
        /// aborted (rather than RAZ/WI).
        A: 0[46:46] bool => a, set_a;
        /// `ASET`, qword 0 bit `[47]` (`CD[47]`): the ASID set is not shared with
        /// the PE (broadcast TLBIs need not match).
        ASET: 0[47:47] bool => aset, set_aset;
        /// `ASID`, qword 0 bits `[63:48]` (`CD[63:48]`).
        ASID: 0[63:48] num => asid, set_asid;

        /// `TTB0`, qword 1 bits `[51:4]` (`CD[115:68]`): physical address of the
        /// TTB0 table.
        TTB0: 1[51:4] addr => ttb0, set_ttb0;
        /// `TTB1`, qword 2 bits `[51:4]` (`CD[179:132]`): physical address of the
        /// TTB1 table.
        TTB1: 2[51:4] addr => ttb1, set_ttb1;
        /// `MAIR0`, qword 3 bits `[31:0]` (`CD[223:192]`): attribute indexes 0-3.
        MAIR0: 3[31:0] num => mair0, set_mair0;
        /// `MAIR1`, qword 3 bits `[63:32]` (`CD[255:224]`): attribute indexes 4-7.
        MAIR1: 3[63:32] num => mair1, set_mair1;
        /// The whole `MAIR` (`MAIR1:MAIR0`), qword 3 (`CD[255:192]`), laid out
        /// as `MAIR_EL1`.
        MAIR: 3[63:0] num => mair, set_mair;
        /// `AMAIR0`, qword 4 bits `[31:0]` (`CD[287:256]`).
        AMAIR0: 4[31:0] num => amair0, set_amair0;
        /// `AMAIR1`, qword 4 bits `[63:32]` (`CD[319:288]`).
        AMAIR1: 4[63:32] num => amair1, set_amair1;
    }
}

impl core::fmt::Debug for Cd {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        fmt_qwords(f, "Cd", &self.0)
    }
}

/// Why a CD builder refused its inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CdError {
    /// A value does not fit its field, or an address is misaligned or beyond
    /// 52 bits.
    Field(FieldError),
    /// A reserved output address size was given for `IPS`.
    ReservedOas,
}

impl From<FieldError> for CdError {
    fn from(e: FieldError) -> Self {
        Self::Field(e)
    }
}

/// Inputs of [`Cd::s1_paging`], as an io-pgtable stage 1 configuration
/// provides them (its TCR fields, TTBR and MAIR) plus the domain's ASID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct S1PagingCd {
    /// The domain's ASID.
    pub asid: u16,
    /// Physical address of the table (`TTB0`), 16-byte aligned.
    pub ttb0: u64,
    /// `T0SZ`: input size is `64 - t0sz` bits.
    pub t0sz: u8,
    /// `TG0`: granule.
    pub tg0: Granule,
    /// `IR0`: inner cacheability of walks.
    pub irgn0: Cacheability,
    /// `OR0`: outer cacheability of walks.
    pub orgn0: Cacheability,
    /// `SH0`: shareability of walks.
    pub sh0: Shareability,
    /// `IPS`: output address size.
    pub ips: Oas,
    /// `MAIR` (as `MAIR_EL1`).
    pub mair: u64,
    /// Whether faults stall (`S`); only for devices and SMMUs that can.
    pub stall: bool,
    /// Hardware table updates (io-pgtable's HD quirk gives
    /// [`CdHttu::AccessDirty`]).
    pub httu: CdHttu,
}

/// Inputs of [`Cd::sva`] and [`Cd::sva_quiet`]: a process address space as
/// the CPU's MMU sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SvaCd {
    /// The ASID shared with the CPU (or allocated for the device).
    pub asid: u16,
    /// Physical address of the process's page table (its `pgd`).
    pub pgd: u64,
    /// `T0SZ` of the CPU (`64 - vabits`).
    pub t0sz: u8,
    /// The CPU's page size as a granule.
    pub tg0: Granule,
    /// `IPS`: the CPUs' smallest physical address range
    /// (`ID_AA64MMFR0_EL1.PARange`, same encoding).
    pub ips: Oas,
    /// The CPU's `MAIR_EL1`, so that page table attribute indexes mean the
    /// same to the SMMU.
    pub mair: u64,
    /// Whether faults stall (`S`).
    pub stall: bool,
    /// Hardware table updates, mirroring what the CPU does with the same
    /// tables.
    pub httu: CdHttu,
}

impl Cd {
    /// The entry with the given raw qwords.
    pub const fn from_qwords(q: [u64; CD_QWORDS]) -> Self {
        Self(q)
    }

    /// The raw qwords.
    pub const fn qwords(&self) -> &[u64; CD_QWORDS] {
        &self.0
    }

    /// An invalid CD (all zero): transactions using it are terminated with
    /// `C_BAD_CD`.
    pub const fn invalid() -> Self {
        Self([0; CD_QWORDS])
    }

    /// The decoded `TG0`.
    pub const fn granule0(&self) -> Option<Granule> {
        Granule::decode(self.tg0())
    }

    /// The decoded `IPS`.
    pub const fn ips_size(&self) -> Oas {
        // IPS is three bits wide.
        Oas::decode(self.ips() as u32)
    }

    /// Sets `HA` and `HD` from `httu`.
    pub fn set_httu(&mut self, httu: CdHttu) -> &mut Self {
        self.set_ha(!matches!(httu, CdHttu::None))
            .set_hd(matches!(httu, CdHttu::AccessDirty))
    }

    /// Sets the TTB0 walk controls (`T0SZ`, `TG0`, `IR0`, `OR0`, `SH0`).
    pub fn set_tcr0(
        &mut self,
        t0sz: u8,
        tg0: Granule,
        irgn0: Cacheability,
        orgn0: Cacheability,
        sh0: Shareability,
    ) -> Result<&mut Self, CdError> {
        let mut next = *self;
        next.set_t0sz(u64::from(t0sz))?
            .set_tg0(tg0 as u64)?
            .set_ir0(irgn0 as u64)?
            .set_or0(orgn0 as u64)?
            .set_sh0(sh0.raw())?;
        *self = next;
        Ok(self)
    }

    /// The fields common to every CD the driver makes: valid, AArch64,
    /// little-endian tables, TTB1 disabled, faults recorded and aborted,
    /// ASID not shared with broadcast TLB maintenance of other worlds
    /// (`ASET`), plus the output size, ASID, MAIR and stall/HTTU choices.
    fn common(asid: u16, ips: Oas, mair: u64, stall: bool, httu: CdHttu) -> Result<Self, CdError> {
        if matches!(ips, Oas::Reserved(_)) {
            return Err(CdError::ReservedOas);
        }
        let mut cd = Self::invalid();
        cd.set_v(true)
            .set_epd1(true)
            .set_aa64(true)
            .set_r(true)
            .set_a(true)
            .set_aset(true)
            .set_s(stall)
            .set_httu(httu)
            .set_ips(u64::from(ips.raw()))?
            .set_asid(u64::from(asid))?
            .set_mair(mair)?;
        Ok(cd)
    }

    /// The CD of a stage 1 paging domain (an io-pgtable ARM 64-bit LPAE
    /// stage 1 table): TTB0 walks as configured, TTB1 disabled.
    pub fn s1_paging(cfg: &S1PagingCd) -> Result<Self, CdError> {
        let mut cd = Self::common(cfg.asid, cfg.ips, cfg.mair, cfg.stall, cfg.httu)?;
        cd.set_tcr0(cfg.t0sz, cfg.tg0, cfg.irgn0, cfg.orgn0, cfg.sh0)?
            .set_ttb0(cfg.ttb0)?;
        Ok(cd)
    }

    /// The CD sharing a process address space: the CPU's page table at
    /// `pgd`, walked inner-shareable write-back write-allocate like the
    /// CPU's own walks.
    pub fn sva(cfg: &SvaCd) -> Result<Self, CdError> {
        let mut cd = Self::common(cfg.asid, cfg.ips, cfg.mair, cfg.stall, cfg.httu)?;
        cd.set_tcr0(
            cfg.t0sz,
            cfg.tg0,
            Cacheability::WriteBackWriteAlloc,
            Cacheability::WriteBackWriteAlloc,
            Shareability::InnerShareable,
        )?
        .set_ttb0(cfg.pgd)?;
        Ok(cd)
    }

    /// The "quiet" CD that replaces an SVA CD when its process's address
    /// space goes away (`mm` release) while the device may still issue DMA
    /// with the PASID.
    ///
    /// Compared with [`Cd::sva`] for the same `cfg`:
    ///
    /// - `V` stays 1 and the ASID is unchanged, so the device's transactions
    ///   do not raise `C_BAD_CD` configuration errors, and TLB entries keep
    ///   the tag that the caller invalidates (by ASID) afterwards;
    /// - `EPD0` is set, so every address takes a translation fault instead
    ///   of walking the freed page table; `T0SZ`, `TG0`, `IR0`, `OR0`, `SH0`
    ///   and `TTB0` are cleared (they are ignored with `EPD0` set);
    /// - unless `stall_forced`, `S` and `R` are cleared: faulting
    ///   transactions are terminated at once rather than stalled, and are not
    ///   recorded, so a device still doing a lot of DMA neither waits for a
    ///   page-fault handler that will never succeed nor floods the event
    ///   queue. With a forced stall model `S` cannot be cleared and both are
    ///   kept;
    /// - everything else (`EPD1`, `IPS`, `AA64`, `A`, `ASET`, `HA`/`HD`,
    ///   `MAIR`) is kept.
    ///
    /// The switch to and from this CD is hitless: only qword 0 changes in
    /// bits the SMMU uses (TTB0 in qword 1 is unused on the quiet side), so
    /// the writer needs two syncs and never makes the CD invalid.
    pub fn sva_quiet(cfg: &SvaCd, stall_forced: bool) -> Result<Self, CdError> {
        let mut cd = Self::common(cfg.asid, cfg.ips, cfg.mair, cfg.stall, cfg.httu)?;
        cd.set_epd0(true);
        if !stall_forced {
            cd.set_s(false).set_r(false);
        }
        Ok(cd)
    }

    /// Whether an SMMU with features `f` can use this CD in a stream whose
    /// STE has `S1STALLD == s1stalld`: `Ok` if it is valid and legal,
    /// otherwise why the SMMU would report `C_BAD_CD`.
    ///
    /// Checked: `V`; `AA64` selects an implemented table format
    /// (`IDR0.TTF`); `ENDI` an implemented endianness (`IDR0.TTENDIAN`);
    /// `S == 1` is not combined with `STE.S1STALLD == 1` unless stalling is
    /// forced (`IDR0.STALL_MODEL == 0b10`, where `S` is ignored).
    ///
    /// Walk parameters (`T0SZ`, `TG0`, `IPS`, `TTB0`) are not judged here:
    /// out-of-range values make translations fault, see
    /// [`WalkConfig::from_cd`](crate::hw::walk::WalkConfig::from_cd) and
    /// [`WalkConfig::geometry`](crate::hw::walk::WalkConfig::geometry).
    /// The CDs this module's builders make pass on SMMUs with AArch64
    /// little-endian tables (unless a stalling CD is put in a stream with
    /// stalls disabled).
    pub const fn check(&self, f: &Features, s1stalld: bool) -> Result<(), IllegalReason> {
        if !self.v() {
            return Err(IllegalReason::NotValid);
        }
        if !IllegalReason::table_format_ok(f, self.aa64()) {
            return Err(IllegalReason::UnsupportedTableFormat);
        }
        if !IllegalReason::endianness_ok(f, self.endi()) {
            return Err(IllegalReason::UnsupportedEndianness);
        }
        if self.s() && s1stalld && !f.stall_forced() {
            return Err(IllegalReason::StallDisabledBySte);
        }
        Ok(())
    }

    /// The bits of `self` that the SMMU reads, given the entry's own
    /// contents (a conservative superset).
    ///
    /// - `V == 0`: only `V`.
    /// - Otherwise every bit, except: with `EPD0` set, the TTB0 walk
    ///   controls (`T0SZ`, `TG0`, `IR0`, `OR0`, `SH0`) and `TTB0`; with
    ///   `EPD1` set, the TTB1 ones (`T1SZ`, `TG1`, `IR1`, `OR1`, `SH1`) and
    ///   `TTB1`. With walks of a region disabled every address in it faults
    ///   whatever its size, granule or walk attributes.
    pub fn used_bits(&self) -> [u64; CD_QWORDS] {
        let mut used = [0u64; CD_QWORDS];
        used[0] = Self::V.field().mask();
        if !self.v() {
            return used;
        }
        used = [u64::MAX; CD_QWORDS];
        if self.epd0() {
            used[0] &= !(Self::T0SZ.field().mask()
                | Self::TG0.field().mask()
                | Self::IR0.field().mask()
                | Self::OR0.field().mask()
                | Self::SH0.field().mask());
            used[1] &= !Self::TTB0.field().mask();
        }
        if self.epd1() {
            used[0] &= !(Self::T1SZ.field().mask()
                | Self::TG1.field().mask()
                | Self::IR1.field().mask()
                | Self::OR1.field().mask()
                | Self::SH1.field().mask());
            used[2] &= !Self::TTB1.field().mask();
        }
        used
    }
}

impl Entry for Cd {
    const NAME: &'static str = "CD";

    fn qwords(&self) -> &[u64; ENTRY_QWORDS] {
        &self.0
    }

    fn from_qwords(q: [u64; ENTRY_QWORDS]) -> Self {
        Self(q)
    }

    fn used(&self) -> [u64; ENTRY_QWORDS] {
        self.used_bits()
    }

    fn is_valid(&self) -> bool {
        self.v()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hw::bits::genmask;

    #[test]
    fn field_positions_match_c_header() {
        assert_eq!(Cd::T0SZ.field().mask(), genmask(5, 0));
        assert_eq!(Cd::TG0.field().mask(), genmask(7, 6));
        assert_eq!(Cd::IR0.field().mask(), genmask(9, 8));
        assert_eq!(Cd::OR0.field().mask(), genmask(11, 10));
        assert_eq!(Cd::SH0.field().mask(), genmask(13, 12));
        assert_eq!(Cd::EPD0.field().mask(), 1 << 14);
        assert_eq!(Cd::ENDI.field().mask(), 1 << 15);
        assert_eq!(Cd::EPD1.field().mask(), 1 << 30);
        assert_eq!(Cd::V.field().mask(), 1 << 31);
        assert_eq!(Cd::IPS.field().mask(), genmask(34, 32));
        assert_eq!(Cd::TBI.field().mask() & (1 << 38), 1 << 38);
        assert_eq!(Cd::AA64.field().mask(), 1 << 41);
        assert_eq!(Cd::HD.field().mask(), 1 << 42);
        assert_eq!(Cd::HA.field().mask(), 1 << 43);
        assert_eq!(Cd::S.field().mask(), 1 << 44);
        assert_eq!(Cd::R.field().mask(), 1 << 45);
        assert_eq!(Cd::A.field().mask(), 1 << 46);
        assert_eq!(Cd::ASET.field().mask(), 1 << 47);
        assert_eq!(Cd::ASID.field().mask(), genmask(63, 48));
        assert_eq!(
            (Cd::TTB0.qword(), Cd::TTB0.field().mask()),
            (1, genmask(51, 4))
        );
        assert_eq!(Cd::MAIR.qword(), 3);
        assert_eq!((Cd::TTB0.abs_hi(), Cd::TTB0.abs_lo()), (115, 68));
    }

    fn paging() -> S1PagingCd {
        S1PagingCd {
            asid: 1997,
            ttb0: 0x000d_beef_dead_bee0,
            t0sz: 4,
            tg0: Granule::Size16K,
            irgn0: Cacheability::WriteThrough,
            orgn0: Cacheability::WriteBackWriteAlloc,
            sh0: Shareability::InnerShareable,
            ips: Oas::Bits36,
            mair: 0x0abc_def0_1234_5678,
            stall: false,
            httu: CdHttu::None,
        }
    }

    #[test]
    fn s1_paging_matches_upstream_encoding() {
        let cd = Cd::s1_paging(&paging()).unwrap();
        let q0 = 4
            | (2 << 6)
            | (2 << 8)
            | (1 << 10)
            | (3 << 12)
            | (1 << 30)
            | (1 << 31)
            | (1 << 32)
            | (1 << 41)
            | (1 << 45)
            | (1 << 46)
            | (1 << 47)
            | (1997 << 48);
        assert_eq!(
            cd.0,
            [
                q0,
                0x000d_beef_dead_bee0,
                0,
                0x0abc_def0_1234_5678,
                0,
                0,
                0,
                0
            ]
        );
        let hd = Cd::s1_paging(&S1PagingCd {
            httu: CdHttu::AccessDirty,
            ..paging()
        })
        .unwrap();
        assert_eq!(hd.0[0], q0 | (1 << 42) | (1 << 43));
    }

    #[test]
    fn quiet_cd_keeps_asid_and_disables_walks() {
        let sva = SvaCd {
            asid: 7,
            pgd: 0x8000_0000,
            t0sz: 16,
            tg0: Granule::Size4K,
            ips: Oas::Bits48,
            mair: 0xff,
            stall: true,
            httu: CdHttu::AccessDirty,
        };
        let live = Cd::sva(&sva).unwrap();
        let quiet = Cd::sva_quiet(&sva, false).unwrap();
        assert!(quiet.v() && quiet.epd0() && !quiet.s() && !quiet.r());
        assert_eq!(quiet.asid(), live.asid());
        assert_eq!(quiet.ttb0(), 0);
        let forced = Cd::sva_quiet(&sva, true).unwrap();
        assert!(forced.s() && forced.r());
        assert!(matches!(
            Cd::sva(&SvaCd {
                pgd: 0x8000_0008,
                ..sva
            }),
            Err(CdError::Field(_))
        ));
    }
}
