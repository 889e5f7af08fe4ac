// SPDX-License-Identifier: GPL-2.0

//! Stream table and CD table geometry and level-1 descriptors.
//!
//! A stream table maps a StreamID to its [`Ste`](crate::hw::ste::Ste). It is
//! either *linear* (an array of `2^LOG2SIZE` STEs) or *2-level*: a level-1
//! array of [`StrtabL1Desc`] indexed by `SID >> SPLIT`, each pointing to a
//! level-2 array of STEs indexed by `SID & (2^SPLIT - 1)`. The driver uses
//! `SPLIT = 8` (256 STEs, 16KB, per level-2 table, which covers one PCI
//! bus), as Linux does.
//!
//! A CD table maps a SubstreamID to its [`Cd`](crate::hw::cd::Cd). It is
//! linear (`2^S1CDMax` CDs) or 2-level: a level-1 array of [`CdL1Desc`]
//! indexed by the upper SSID bits, each pointing to a leaf table of 1024 CDs
//! (64KB, `S1Fmt = TwoLevel64K`) or 64 CDs (4KB, `S1Fmt = TwoLevel4K`).
//! The driver uses linear tables up to 1024 CDs and 64KB leaves beyond, as
//! Linux does.
//!
//! All index and size computations are checked: out-of-range StreamIDs and
//! SubstreamIDs are errors, never panics or wrapped indexes.

use crate::hw::bits::register;
use crate::hw::cd::CD_SIZE;
use crate::hw::regs::{Features, StrtabBaseCfg, StrtabFmt};
use crate::hw::ste::{S1Fmt, STE_SIZE};

/// StreamID bits resolved by a level-2 stream table in this driver.
pub const STRTAB_SPLIT: u8 = 8;

/// STEs per level-2 stream table with [`STRTAB_SPLIT`].
pub const STRTAB_L2_STES: u32 = 1 << STRTAB_SPLIT;

/// Largest number of level-1 stream table descriptors the driver allocates
/// (1MB of descriptors, covering 25 StreamID bits with `SPLIT = 8`).
pub const STRTAB_MAX_L1_ENTRIES: u32 = 1 << 17;

/// CDs per leaf table of a 2-level CD table with 64KB leaves.
pub const CD_L2_ENTRIES: u32 = 1024;

/// CDs per leaf table of a 2-level CD table with 4KB leaves.
pub const CD_L2_ENTRIES_4K: u32 = 64;

/// log2 of the largest linear CD table (64KB, 1024 CDs) the driver uses
/// when the SMMU lacks 2-level CD tables.
pub const CD_LINEAR_MAX_LOG2: u8 = 10;

/// Size of a level-1 descriptor (stream table or CD table) in bytes.
pub const L1_DESC_SIZE: u64 = 8;

register! {
    /// A level-1 stream table descriptor.
    pub struct StrtabL1Desc(u64) {
        /// `L2Ptr`, bits `[51:6]`: physical address of the level-2 table,
        /// aligned to its size (at least 64 bytes).
        L2PTR: [51:6] addr => l2_ptr, with_l2_ptr;
        /// `Span`, bits `[4:0]`: 0 = invalid descriptor (all its StreamIDs are
        /// invalid); 1..=12 = the level-2 table holds `2^(Span-1)` STEs;
        /// other values are reserved.
        SPAN: [4:0] num => span, with_span;
    }
}

impl StrtabL1Desc {
    /// Largest valid `Span`.
    pub const MAX_SPAN: u64 = 12;

    /// A descriptor pointing at a level-2 table of `2^(span-1)` STEs at
    /// `l2_ptr`, which must be aligned to the table's size.
    pub fn new(l2_ptr: u64, span: u8) -> Result<Self, TableError> {
        let span = u64::from(span);
        if span == 0 || span > Self::MAX_SPAN {
            return Err(TableError::BadSpan(span));
        }
        // span <= 12: at most 2^11 STEs of 64 bytes.
        let bytes = (1u64 << (span - 1)) * STE_SIZE as u64;
        // bytes is a power of two.
        if l2_ptr & (bytes - 1) != 0 {
            return Err(TableError::Misaligned(l2_ptr));
        }
        let d = Self::default()
            .with_l2_ptr(l2_ptr)
            .map_err(|_| TableError::Misaligned(l2_ptr))?;
        d.with_span(span).map_err(|_| TableError::BadSpan(span))
    }

    /// The descriptor of a driver level-2 table: `Span = SPLIT + 1`.
    pub fn for_split(l2_ptr: u64) -> Result<Self, TableError> {
        Self::new(l2_ptr, STRTAB_SPLIT + 1)
    }

    /// Whether the descriptor points at a level-2 table (valid `Span`).
    pub const fn is_valid(self) -> bool {
        let s = self.span();
        s != 0 && s <= Self::MAX_SPAN
    }

    /// Number of STEs in the level-2 table, or 0 for an invalid descriptor.
    pub const fn num_stes(self) -> u32 {
        if self.is_valid() {
            1 << (self.span() - 1)
        } else {
            0
        }
    }
}

register! {
    /// A level-1 CD table descriptor.
    pub struct CdL1Desc(u64) {
        /// `L2Ptr`, bits `[51:12]`: physical address of the leaf CD table, 4KB
        /// aligned.
        L2PTR: [51:12] addr => l2_ptr, with_l2_ptr;
        /// `V`, bit `[0]`: the descriptor is valid.
        V: [0:0] bool => v, with_v;
    }
}

impl CdL1Desc {
    /// A valid descriptor pointing at the leaf table at `l2_ptr`.
    pub fn new(l2_ptr: u64) -> Result<Self, TableError> {
        Self::default()
            .with_l2_ptr(l2_ptr)
            .map(|d| d.with_v(true))
            .map_err(|_| TableError::Misaligned(l2_ptr))
    }
}

/// Errors of table geometry computations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableError {
    /// The StreamID is not covered by the stream table.
    SidOutOfRange {
        /// The StreamID.
        sid: u32,
        /// log2 of the number of StreamIDs covered.
        log2size: u8,
    },
    /// The SubstreamID is not covered by the CD table.
    SsidOutOfRange {
        /// The SubstreamID.
        ssid: u32,
        /// log2 of the number of CDs (`S1CDMax`).
        s1cdmax: u8,
    },
    /// A StreamID size beyond 32 bits.
    SidSizeTooLarge(u8),
    /// A SubstreamID size beyond 20 bits.
    SsidSizeTooLarge(u8),
    /// A `SPLIT` other than 6, 8 or 10, or not below `LOG2SIZE`.
    BadSplit(u8),
    /// A reserved `FMT` or `S1Fmt`.
    ReservedFormat,
    /// A 2-level table with more level-1 entries than supported.
    TooManyL1Entries,
    /// An invalid level-1 stream table `Span`.
    BadSpan(u64),
    /// An address not aligned as the table or descriptor requires.
    Misaligned(u64),
    /// A level-1 CD table descriptor with `V == 0` (its SubstreamIDs have
    /// no CD): the raw descriptor.
    InvalidCdL1Desc(u64),
    /// An address computation overflowed.
    AddressOverflow,
}

/// Where the STE of a StreamID lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SteLocation {
    /// Index into a linear stream table.
    Linear(u32),
    /// Indexes into a 2-level stream table.
    TwoLevel {
        /// Index of the level-1 descriptor (`SID >> SPLIT`).
        l1: u32,
        /// Index within the level-2 table (`SID & (2^SPLIT - 1)`).
        l2: u32,
    },
}

/// The shape of a stream table, as programmed in `SMMU_STRTAB_BASE_CFG`.
///
/// # Invariants
///
/// `log2size <= 32`; for 2-level tables `split` is 6, 8 or 10 and below
/// `log2size`, and `2^(log2size - split)` level-1 entries fit in a `u32`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamTableGeometry {
    two_level: bool,
    log2size: u8,
    split: u8,
}

impl StreamTableGeometry {
    /// A linear table covering `2^log2size` StreamIDs.
    pub const fn linear(log2size: u8) -> Result<Self, TableError> {
        if log2size > Features::MAX_SIDSIZE {
            return Err(TableError::SidSizeTooLarge(log2size));
        }
        Ok(Self {
            two_level: false,
            log2size,
            split: 0,
        })
    }

    /// A 2-level table covering `2^log2size` StreamIDs with level-2 tables
    /// of `2^split` STEs.
    pub const fn two_level(log2size: u8, split: u8) -> Result<Self, TableError> {
        if log2size > Features::MAX_SIDSIZE {
            return Err(TableError::SidSizeTooLarge(log2size));
        }
        if !matches!(split, 6 | 8 | 10) || split >= log2size {
            return Err(TableError::BadSplit(split));
        }
        Ok(Self {
            two_level: true,
            log2size,
            split,
        })
    }

    /// The geometry the driver uses for an SMMU with `sidsize` StreamID bits:
    /// 2-level with `SPLIT = 8` if supported and `sidsize > 8`, with at most
    /// [`STRTAB_MAX_L1_ENTRIES`] level-1 descriptors (higher StreamIDs are
    /// then not covered); linear otherwise.
    pub const fn choose(sidsize: u8, two_level_supported: bool) -> Result<Self, TableError> {
        if sidsize > Features::MAX_SIDSIZE {
            return Err(TableError::SidSizeTooLarge(sidsize));
        }
        if !two_level_supported || sidsize <= STRTAB_SPLIT {
            return Self::linear(sidsize);
        }
        let max_l1_log2 = STRTAB_MAX_L1_ENTRIES.trailing_zeros() as u8;
        let l1_log2 = if sidsize - STRTAB_SPLIT > max_l1_log2 {
            max_l1_log2
        } else {
            sidsize - STRTAB_SPLIT
        };
        Self::two_level(l1_log2 + STRTAB_SPLIT, STRTAB_SPLIT)
    }

    /// [`StreamTableGeometry::choose`] for decoded ID registers.
    pub const fn for_features(f: &Features) -> Result<Self, TableError> {
        Self::choose(f.sidsize, f.two_level_strtab())
    }

    /// Decodes a programmed `SMMU_STRTAB_BASE_CFG` (as the SMMU would).
    pub const fn from_base_cfg(cfg: StrtabBaseCfg) -> Result<Self, TableError> {
        // LOG2SIZE and SPLIT are 6 and 5 bits wide.
        let log2size = cfg.log2size() as u8;
        match cfg.fmt() {
            StrtabFmt::Linear => Self::linear(log2size),
            StrtabFmt::TwoLevel => Self::two_level(log2size, cfg.split() as u8),
            StrtabFmt::Reserved(_) => Err(TableError::ReservedFormat),
        }
    }

    /// The `SMMU_STRTAB_BASE_CFG` value describing this geometry.
    pub const fn base_cfg(&self) -> StrtabBaseCfg {
        let fmt = if self.two_level { 1u32 } else { 0 };
        // All fields fit by the type invariant.
        StrtabBaseCfg::from_raw((fmt << 16) | ((self.split as u32) << 6) | (self.log2size as u32))
    }

    /// Whether the table has two levels.
    pub const fn is_two_level(&self) -> bool {
        self.two_level
    }

    /// log2 of the number of StreamIDs covered (`LOG2SIZE`).
    pub const fn log2size(&self) -> u8 {
        self.log2size
    }

    /// StreamID bits resolved by level 2 (`SPLIT`; 0 for a linear table).
    pub const fn split(&self) -> u8 {
        self.split
    }

    /// Number of StreamIDs covered.
    pub const fn num_sids(&self) -> u64 {
        1u64 << self.log2size
    }

    /// Number of level-1 descriptors (2-level), or of STEs (linear).
    pub const fn l1_entries(&self) -> u64 {
        1u64 << (self.log2size - self.split)
    }

    /// STEs per level-2 table (2-level), or 0 (linear).
    pub const fn l2_entries(&self) -> u32 {
        if self.two_level {
            1 << self.split
        } else {
            0
        }
    }

    /// Bytes of the table `SMMU_STRTAB_BASE` points at: the STE array
    /// (linear) or the level-1 descriptor array (2-level).
    pub const fn base_table_bytes(&self) -> u64 {
        let entry = if self.two_level {
            L1_DESC_SIZE
        } else {
            STE_SIZE as u64
        };
        // At most 2^32 entries of 64 bytes: fits in u64.
        self.l1_entries() * entry
    }

    /// Bytes of one level-2 table (0 for a linear table).
    pub const fn l2_table_bytes(&self) -> u64 {
        self.l2_entries() as u64 * STE_SIZE as u64
    }

    /// Where the STE of `sid` lives, or an error if it is not covered.
    pub const fn locate(&self, sid: u32) -> Result<SteLocation, TableError> {
        if (sid as u64) >= self.num_sids() {
            return Err(TableError::SidOutOfRange {
                sid,
                log2size: self.log2size,
            });
        }
        if self.two_level {
            Ok(SteLocation::TwoLevel {
                l1: sid >> self.split,
                l2: sid & ((1 << self.split) - 1),
            })
        } else {
            Ok(SteLocation::Linear(sid))
        }
    }

    /// Physical address of the STE of `sid` in a linear table at `base`, or
    /// of its level-1 descriptor in a 2-level table at `base`.
    pub const fn base_entry_addr(&self, base: u64, sid: u32) -> Result<u64, TableError> {
        let (index, size) = match self.locate(sid) {
            Ok(SteLocation::Linear(i)) => (i, STE_SIZE as u64),
            Ok(SteLocation::TwoLevel { l1, .. }) => (l1, L1_DESC_SIZE),
            Err(e) => return Err(e),
        };
        match base.checked_add(index as u64 * size) {
            Some(a) => Ok(a),
            None => Err(TableError::AddressOverflow),
        }
    }

    /// Physical address of the STE of `sid` in the level-2 table described
    /// by `desc`; an error if the table is linear, `sid` is not covered, the
    /// descriptor is invalid or its span does not reach `sid`.
    pub const fn l2_ste_addr(&self, desc: StrtabL1Desc, sid: u32) -> Result<u64, TableError> {
        let l2 = match self.locate(sid) {
            Ok(SteLocation::TwoLevel { l2, .. }) => l2,
            Ok(SteLocation::Linear(_)) => return Err(TableError::ReservedFormat),
            Err(e) => return Err(e),
        };
        if !desc.is_valid() {
            return Err(TableError::BadSpan(desc.span()));
        }
        if l2 >= desc.num_stes() {
            return Err(TableError::SidOutOfRange {
                sid,
                log2size: self.log2size,
            });
        }
        match desc.l2_ptr().checked_add(l2 as u64 * STE_SIZE as u64) {
            Some(a) => Ok(a),
            None => Err(TableError::AddressOverflow),
        }
    }
}

/// Where the CD of a SubstreamID lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CdLocation {
    /// Index into a linear CD table.
    Linear(u32),
    /// Indexes into a 2-level CD table.
    TwoLevel {
        /// Index of the level-1 descriptor.
        l1: u32,
        /// Index within the leaf table.
        l2: u32,
    },
}

/// The shape of a CD table, as described by `STE.S1Fmt` and `STE.S1CDMax`.
///
/// # Invariants
///
/// `s1cdmax <= 20`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CdTableGeometry {
    s1fmt: S1Fmt,
    s1cdmax: u8,
}

impl CdTableGeometry {
    /// A geometry from STE fields (as the SMMU reads them). With
    /// `s1cdmax == 0` the table is one CD and `s1fmt` is ignored.
    pub const fn new(s1fmt: S1Fmt, s1cdmax: u8) -> Result<Self, TableError> {
        if s1cdmax > Features::MAX_SSIDSIZE {
            return Err(TableError::SsidSizeTooLarge(s1cdmax));
        }
        let s1fmt = if s1cdmax == 0 { S1Fmt::Linear } else { s1fmt };
        Ok(Self { s1fmt, s1cdmax })
    }

    /// The geometry the driver uses for a device with `ssid_bits`
    /// SubstreamID bits (already limited to `IDR1.SSIDSIZE`): linear up to
    /// 1024 CDs, 2-level with 64KB leaves beyond if `cd2l` (`IDR0.CD2L`),
    /// else linear capped at 1024 CDs.
    pub const fn choose(ssid_bits: u8, cd2l: bool) -> Result<Self, TableError> {
        if ssid_bits > Features::MAX_SSIDSIZE {
            return Err(TableError::SsidSizeTooLarge(ssid_bits));
        }
        if ssid_bits <= CD_LINEAR_MAX_LOG2 {
            Self::new(S1Fmt::Linear, ssid_bits)
        } else if cd2l {
            Self::new(S1Fmt::TwoLevel64K, ssid_bits)
        } else {
            Self::new(S1Fmt::Linear, CD_LINEAR_MAX_LOG2)
        }
    }

    /// `STE.S1Fmt`.
    pub const fn s1fmt(&self) -> S1Fmt {
        self.s1fmt
    }

    /// `STE.S1CDMax`.
    pub const fn s1cdmax(&self) -> u8 {
        self.s1cdmax
    }

    /// Number of CDs (SubstreamIDs) covered.
    pub const fn num_cds(&self) -> u32 {
        1 << self.s1cdmax
    }

    /// CDs per leaf table (2-level), or 0 (linear).
    pub const fn l2_entries(&self) -> u32 {
        match self.s1fmt {
            S1Fmt::Linear => 0,
            S1Fmt::TwoLevel4K => CD_L2_ENTRIES_4K,
            S1Fmt::TwoLevel64K => CD_L2_ENTRIES,
        }
    }

    /// Number of level-1 descriptors (2-level; the last leaf may be only
    /// partly used), or of CDs (linear).
    pub const fn l1_entries(&self) -> u32 {
        let l2 = self.l2_entries();
        if l2 == 0 {
            self.num_cds()
        } else {
            self.num_cds().div_ceil(l2)
        }
    }

    /// Bytes of the table `STE.S1ContextPtr` points at.
    pub const fn base_table_bytes(&self) -> u64 {
        let entry = if self.l2_entries() == 0 {
            CD_SIZE as u64
        } else {
            L1_DESC_SIZE
        };
        self.l1_entries() as u64 * entry
    }

    /// Bytes of one leaf table (0 for a linear table).
    pub const fn l2_table_bytes(&self) -> u64 {
        self.l2_entries() as u64 * CD_SIZE as u64
    }

    /// Where the CD of `ssid` lives, or an error if it is not covered.
    pub const fn locate(&self, ssid: u32) -> Result<CdLocation, TableError> {
        if ssid >= self.num_cds() {
            return Err(TableError::SsidOutOfRange {
                ssid,
                s1cdmax: self.s1cdmax,
            });
        }
        let l2 = self.l2_entries();
        if l2 == 0 {
            Ok(CdLocation::Linear(ssid))
        } else {
            // l2 is a power of two.
            Ok(CdLocation::TwoLevel {
                l1: ssid >> l2.trailing_zeros(),
                l2: ssid & (l2 - 1),
            })
        }
    }

    /// Physical address of the CD of `ssid` in a linear table at `base`, or
    /// of its level-1 descriptor in a 2-level table at `base`.
    pub const fn base_entry_addr(&self, base: u64, ssid: u32) -> Result<u64, TableError> {
        let (index, size) = match self.locate(ssid) {
            Ok(CdLocation::Linear(i)) => (i, CD_SIZE as u64),
            Ok(CdLocation::TwoLevel { l1, .. }) => (l1, L1_DESC_SIZE),
            Err(e) => return Err(e),
        };
        match base.checked_add(index as u64 * size) {
            Some(a) => Ok(a),
            None => Err(TableError::AddressOverflow),
        }
    }

    /// Physical address of the CD of `ssid` in the leaf table of `desc`; an
    /// error for a linear table, an uncovered `ssid` or an invalid
    /// descriptor.
    pub const fn l2_cd_addr(&self, desc: CdL1Desc, ssid: u32) -> Result<u64, TableError> {
        let l2 = match self.locate(ssid) {
            Ok(CdLocation::TwoLevel { l2, .. }) => l2,
            Ok(CdLocation::Linear(_)) => return Err(TableError::ReservedFormat),
            Err(e) => return Err(e),
        };
        if !desc.v() {
            return Err(TableError::InvalidCdL1Desc(desc.raw()));
        }
        match desc.l2_ptr().checked_add(l2 as u64 * CD_SIZE as u64) {
            Some(a) => Ok(a),
            None => Err(TableError::AddressOverflow),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptor_layouts_match_c_header() {
        assert_eq!(StrtabL1Desc::SPAN.mask(), 0x1f);
        assert_eq!(StrtabL1Desc::L2PTR.mask(), 0x000f_ffff_ffff_ffc0);
        assert_eq!(CdL1Desc::V.mask(), 1);
        assert_eq!(CdL1Desc::L2PTR.mask(), 0x000f_ffff_ffff_f000);
        let d = StrtabL1Desc::for_split(0x4000).unwrap();
        assert_eq!(d.raw(), 0x4000 | 9);
        assert_eq!(d.num_stes(), 256);
        assert_eq!(
            StrtabL1Desc::for_split(0x2000),
            Err(TableError::Misaligned(0x2000))
        );
        assert_eq!(CdL1Desc::new(0x1_0000).unwrap().raw(), 0x1_0001);
        assert!(CdL1Desc::new(0x1_0800).is_err());
    }

    #[test]
    fn stream_table_choice_matches_upstream() {
        let g = StreamTableGeometry::choose(16, true).unwrap();
        assert!(g.is_two_level());
        assert_eq!(g.l1_entries(), 256);
        assert_eq!(g.base_cfg().raw(), (1 << 16) | (8 << 6) | 16);
        assert_eq!(
            g.locate(0x1234),
            Ok(SteLocation::TwoLevel { l1: 0x12, l2: 0x34 })
        );
        assert!(g.locate(0x1_0000).is_err());

        let g = StreamTableGeometry::choose(32, true).unwrap();
        assert_eq!(g.log2size(), 25);
        assert_eq!(g.l1_entries(), 1 << 17);
        assert!(g.locate(1 << 25).is_err());

        let g = StreamTableGeometry::choose(8, true).unwrap();
        assert!(!g.is_two_level());
        assert_eq!(g.base_table_bytes(), 256 * 64);
        assert_eq!(g.base_entry_addr(0x10000, 3), Ok(0x10000 + 3 * 64));
        assert!(StreamTableGeometry::choose(33, true).is_err());
        assert_eq!(StreamTableGeometry::from_base_cfg(g.base_cfg()), Ok(g));
    }

    #[test]
    fn cd_table_choice_matches_upstream() {
        let g = CdTableGeometry::choose(20, true).unwrap();
        assert_eq!(g.s1fmt(), S1Fmt::TwoLevel64K);
        assert_eq!(g.l1_entries(), 1024);
        assert_eq!(
            g.locate(0x12345),
            Ok(CdLocation::TwoLevel {
                l1: 0x48,
                l2: 0x345
            })
        );
        assert!(g.locate(1 << 20).is_err());
        let leaf = CdL1Desc::new(0x4_0000).unwrap();
        assert_eq!(g.l2_cd_addr(leaf, 0x12345), Ok(0x4_0000 + 0x345 * 64));
        let invalid = leaf.with_v(false);
        assert_eq!(
            g.l2_cd_addr(invalid, 0x12345),
            Err(TableError::InvalidCdL1Desc(0x4_0000))
        );
        let g = CdTableGeometry::choose(20, false).unwrap();
        assert_eq!((g.s1fmt(), g.s1cdmax()), (S1Fmt::Linear, 10));
        assert_eq!(g.base_table_bytes(), 64 * 1024);
        let g = CdTableGeometry::choose(0, true).unwrap();
        assert_eq!(g.locate(0), Ok(CdLocation::Linear(0)));
        assert!(g.locate(1).is_err());
    }
}
