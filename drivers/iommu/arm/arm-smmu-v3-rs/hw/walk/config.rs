// SPDX-License-Identifier: GPL-2.0

//! Walk configuration (the stage 1 fields of a context descriptor) and the
//! table geometry derived from it.

use super::{FaultKind, WalkFault};
use crate::hw::cd::Cd;
use crate::hw::regs::{Features, Vax};

/// Translation granule, as selected by `CD.TG0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Granule {
    /// 4KB pages, 512 entries per table.
    K4,
    /// 16KB pages, 2048 entries per table.
    K16,
    /// 64KB pages, 8192 entries per table.
    K64,
}

impl Granule {
    /// Decodes the `TG0` field (`0b00` 4KB, `0b01` 64KB, `0b10` 16KB);
    /// `None` for the reserved value and anything wider than two bits.
    pub const fn from_tg0(tg0: u8) -> Option<Self> {
        match tg0 {
            0b00 => Some(Self::K4),
            0b01 => Some(Self::K64),
            0b10 => Some(Self::K16),
            _ => None,
        }
    }

    /// The `TG0` encoding of this granule.
    pub const fn tg0(self) -> u8 {
        match self {
            Self::K4 => 0b00,
            Self::K64 => 0b01,
            Self::K16 => 0b10,
        }
    }

    /// log2 of the granule size in bytes (12, 14 or 16).
    pub const fn shift(self) -> u32 {
        match self {
            Self::K4 => 12,
            Self::K16 => 14,
            Self::K64 => 16,
        }
    }

    /// The granule size in bytes.
    pub const fn size(self) -> u64 {
        1 << self.shift()
    }

    /// Number of input address bits resolved by one full table level.
    pub const fn stride(self) -> u32 {
        self.shift() - 3
    }
}

impl From<crate::hw::cd::Granule> for Granule {
    /// The same granule (both types use the `TG0` encoding).
    fn from(g: crate::hw::cd::Granule) -> Self {
        match g {
            crate::hw::cd::Granule::Size4K => Self::K4,
            crate::hw::cd::Granule::Size16K => Self::K16,
            crate::hw::cd::Granule::Size64K => Self::K64,
        }
    }
}

impl From<Granule> for crate::hw::cd::Granule {
    /// The same granule (both types use the `TG0` encoding).
    fn from(g: Granule) -> Self {
        match g {
            Granule::K4 => Self::Size4K,
            Granule::K16 => Self::Size16K,
            Granule::K64 => Self::Size64K,
        }
    }
}

/// Decodes an `IPS`/`OAS` field into a number of physical address bits;
/// `None` for a reserved encoding.
pub const fn pa_bits(encoding: u8) -> Option<u32> {
    match encoding {
        0b000 => Some(32),
        0b001 => Some(36),
        0b010 => Some(40),
        0b011 => Some(42),
        0b100 => Some(44),
        0b101 => Some(48),
        0b110 => Some(52),
        _ => None,
    }
}

/// Everything the walker needs to know about one stage 1 address space.
///
/// The fields carry the raw encodings of the corresponding context
/// descriptor fields (plus the few SMMU ID register capabilities that change
/// how those fields are read), so a CD decoder fills them in one to one:
///
/// | field   | source                        |
/// |---------|-------------------------------|
/// | `ttb0`  | `CD.TTB0` (address, bits 51:4)|
/// | `t0sz`  | `CD.T0SZ`                     |
/// | `tg0`   | `CD.TG0`                      |
/// | `ips`   | `CD.IPS`                      |
/// | `epd0`  | `CD.EPD0`                     |
/// | `tbi0`  | `CD.TBI[0]`                   |
/// | `affd`  | `CD.AFFD`                     |
/// | `ha`    | `CD.HA`                       |
/// | `hd`    | `CD.HD`                       |
/// | `wxn`   | `CD.WXN`                      |
/// | `pan`   | `CD.PAN`                      |
/// | `mair`  | `CD.MAIR0` and `CD.MAIR1`     |
/// | `oas`   | `SMMU_IDR5.OAS`               |
/// | `stt`   | `SMMU_IDR3.STT`               |
/// | `vax`   | `SMMU_IDR5.VAX` (52-bit VA)   |
///
/// Only TTB0 is walked: addresses that would select TTB1 are outside the
/// configured region and fault. Translation tables are always little-endian
/// (`CD.ENDI` = 0) and in the AArch64 format (`CD.AA64` = 1); a CD asking
/// for anything else must be rejected before it reaches the walker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WalkConfig {
    /// Physical address of the start-level table. Bits below the table
    /// alignment are ignored.
    pub ttb0: u64,
    /// Size offset: the region covers `2^(64 - t0sz)` bytes.
    pub t0sz: u8,
    /// Granule encoding (see [`Granule::from_tg0`]).
    pub tg0: u8,
    /// Intermediate (here: output) physical address size encoding.
    pub ips: u8,
    /// Walks through TTB0 are disabled: every access faults.
    pub epd0: bool,
    /// Top byte ignore: address bits 63:56 play no part in translation.
    pub tbi0: bool,
    /// Access flag fault disable: a clear AF does not fault (when `ha` is
    /// clear).
    pub affd: bool,
    /// Hardware update of the Access flag.
    pub ha: bool,
    /// Hardware update of dirty state (only effective with `ha`).
    pub hd: bool,
    /// Writable memory is never executable.
    pub wxn: bool,
    /// Privileged access never: privileged data accesses to memory that
    /// unprivileged accesses may use fault.
    pub pan: bool,
    /// Memory attribute indirection register (eight attribute bytes).
    pub mair: u64,
    /// Output address size the SMMU implements (`IPS` encoding); `IPS`
    /// larger than this is capped to it.
    pub oas: u8,
    /// The SMMU supports small translation tables (`T0SZ` above 39).
    pub stt: bool,
    /// The SMMU supports 52-bit input addresses with the 64KB granule.
    pub vax: bool,
}

impl WalkConfig {
    /// A configuration for tables at `ttb0` with `granule` and `t0sz`.
    ///
    /// Everything else takes the value a plain SVA context would use: 48-bit
    /// output addresses, no HTTU, no WXN/PAN/TBI, MAIR all Device-nGnRnE,
    /// and an SMMU without STT or VAX.
    pub const fn new(ttb0: u64, granule: Granule, t0sz: u8) -> Self {
        Self {
            ttb0,
            t0sz,
            tg0: granule.tg0(),
            ips: 0b101,
            epd0: false,
            tbi0: false,
            affd: false,
            ha: false,
            hd: false,
            wxn: false,
            pan: false,
            mair: 0,
            oas: 0b101,
            stt: false,
            vax: false,
        }
    }

    /// The walk configuration of the TTB0 half of context descriptor `cd` on
    /// an SMMU with features `f`: the fields of the table in
    /// [`WalkConfig`]'s documentation, with the hardware update enables
    /// limited to what the SMMU implements (`CD.HA` only with `IDR0.HTTU`
    /// access updates, `CD.HD` only with dirty updates and `HA`).
    ///
    /// Only the walk is described: whether the CD is usable at all
    /// (`V`, `AA64`, `ENDI`, ...) is [`Cd::check`]'s question, which the
    /// caller must ask first.
    pub const fn from_cd(cd: &Cd, f: &Features) -> Self {
        let ha = f.hw_access() && cd.ha();
        Self {
            ttb0: cd.ttb0(),
            // T0SZ, TG0 and IPS are 6, 2 and 3 bits wide.
            t0sz: cd.t0sz() as u8,
            tg0: cd.tg0() as u8,
            ips: cd.ips() as u8,
            epd0: cd.epd0(),
            tbi0: cd.tbi() & 1 != 0,
            affd: cd.affd(),
            ha,
            hd: ha && f.hw_dirty() && cd.hd(),
            wxn: cd.wxn(),
            pan: cd.pan(),
            mair: cd.mair(),
            oas: f.oas.raw(),
            stt: f.stt,
            vax: matches!(f.vax, Vax::Va52),
        }
    }

    /// Smallest valid `T0SZ` for `granule`: 12 (52-bit VA) for 64KB when
    /// the SMMU has VAX, 16 (48-bit VA) otherwise.
    pub const fn min_t0sz(&self, granule: Granule) -> u8 {
        match granule {
            Granule::K64 if self.vax => 12,
            _ => 16,
        }
    }

    /// Largest valid `T0SZ` for `granule`: 39 without small translation
    /// tables, else 48 (4KB, 16KB) or 47 (64KB).
    pub const fn max_t0sz(&self, granule: Granule) -> u8 {
        if !self.stt {
            return 39;
        }
        match granule {
            Granule::K64 => 47,
            Granule::K4 | Granule::K16 => 48,
        }
    }

    /// Effective output address size in bits.
    ///
    /// `IPS` is capped to the implemented `OAS`; a reserved `IPS` reads as
    /// `OAS` and a reserved `OAS` as 48 bits. 52-bit output needs the 64KB
    /// granule in this descriptor format, so the other granules stop at 48.
    pub const fn oa_bits(&self, granule: Granule) -> u32 {
        let oas = match pa_bits(self.oas) {
            Some(bits) => bits,
            None => 48,
        };
        let ips = match pa_bits(self.ips) {
            Some(bits) if bits < oas => bits,
            _ => oas,
        };
        match granule {
            Granule::K64 => ips,
            Granule::K4 | Granule::K16 if ips > 48 => 48,
            Granule::K4 | Granule::K16 => ips,
        }
    }

    /// Checks the configuration and derives the walk geometry.
    ///
    /// A reserved `TG0` or a `T0SZ` outside the range the granule and the
    /// SMMU allow gives a Translation fault at level 0 (the architecture
    /// leaves some of these cases CONSTRAINED UNPREDICTABLE; faulting is one
    /// of the permitted behaviours and the easiest to diagnose). A TTB0 with
    /// bits set above the output size gives an Address size fault at level
    /// 0, the level the architecture uses for faults on the base address.
    pub fn geometry(&self) -> Result<Geometry, WalkFault> {
        let bad = WalkFault::new(FaultKind::Translation, 0);
        let granule = Granule::from_tg0(self.tg0).ok_or(bad)?;
        if self.t0sz < self.min_t0sz(granule) || self.t0sz > self.max_t0sz(granule) {
            return Err(bad);
        }
        let ia_bits = 64u32.checked_sub(u32::from(self.t0sz)).ok_or(bad)?;
        let above_page = ia_bits.checked_sub(granule.shift()).ok_or(bad)?;
        let levels = above_page.div_ceil(granule.stride());
        if levels == 0 || levels > 4 {
            return Err(bad);
        }
        let start_level = u8::try_from(4 - levels).map_err(|_| bad)?;
        let oa_bits = self.oa_bits(granule);
        if self.ttb0.checked_shr(oa_bits).unwrap_or(0) != 0 {
            return Err(WalkFault::new(FaultKind::AddressSize, 0));
        }
        let lpa = granule == Granule::K64 && pa_bits(self.oas) == Some(52);
        let mut geo = Geometry {
            granule,
            ia_bits,
            oa_bits,
            start_level,
            ttb: 0,
            lpa,
        };
        // The start table holds 2^bits entries of 8 bytes, and its base is
        // aligned to its size, but never to less than 64 bytes.
        let align = (geo.index_bits(start_level) + 3).max(6);
        geo.ttb = self.ttb0 & !low_mask(align);
        Ok(geo)
    }
}

/// Shape of the translation tables of one configuration.
///
/// # Invariants
///
/// `start_level <= 3`; `ia_bits` lies between the granule's page shift plus
/// one and 52, and the levels from `start_level` to 3 resolve exactly
/// `ia_bits` bits; `oa_bits <= 52`; `ttb` is below `2^oa_bits` and aligned to
/// the start table size. Values are only built by
/// [`WalkConfig::geometry`], which checks all of this.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    granule: Granule,
    ia_bits: u32,
    oa_bits: u32,
    start_level: u8,
    ttb: u64,
    lpa: bool,
}

impl Geometry {
    /// The granule.
    pub const fn granule(&self) -> Granule {
        self.granule
    }

    /// Input address size in bits (`64 - T0SZ`).
    pub const fn ia_bits(&self) -> u32 {
        self.ia_bits
    }

    /// Effective output address size in bits.
    pub const fn oa_bits(&self) -> u32 {
        self.oa_bits
    }

    /// Level of the first lookup (0 to 3).
    pub const fn start_level(&self) -> u8 {
        self.start_level
    }

    /// Physical address of the start-level table, alignment bits removed.
    pub const fn ttb(&self) -> u64 {
        self.ttb
    }

    /// Whether descriptors carry output address bits 51:48 in bits 15:12
    /// (64KB granule on an SMMU with 52-bit OAS).
    pub const fn lpa(&self) -> bool {
        self.lpa
    }

    /// log2 of the region mapped by one entry at `level` (levels above 3
    /// are treated as 3).
    pub const fn level_shift(&self, level: u8) -> u32 {
        let below = 3u32.saturating_sub(level as u32);
        self.granule.shift() + below * self.granule.stride()
    }

    /// Number of index bits the table at `level` resolves.
    pub const fn index_bits(&self, level: u8) -> u32 {
        if level == self.start_level {
            self.ia_bits.saturating_sub(self.level_shift(level))
        } else {
            self.granule.stride()
        }
    }

    /// Index into the table at `level` selected by `va`.
    pub const fn index(&self, va: u64, level: u8) -> u64 {
        let shifted = match va.checked_shr(self.level_shift(level)) {
            Some(v) => v,
            None => 0,
        };
        shifted & low_mask(self.index_bits(level))
    }

    /// Whether a block descriptor is allowed at `level`.
    ///
    /// 4KB: levels 1 and 2; 16KB: level 2; 64KB: level 2, and level 1 when
    /// 52-bit output addresses are implemented. Level 0 blocks and the 16KB
    /// level 1 block exist only with FEAT_LPA2, which this format excludes.
    pub const fn block_allowed(&self, level: u8) -> bool {
        match (self.granule, level) {
            (Granule::K4, 1 | 2) => true,
            (Granule::K16, 2) => true,
            (Granule::K64, 2) => true,
            (Granule::K64, 1) => self.lpa,
            _ => false,
        }
    }
}

/// Mask of the low `bits` bits (all ones from 64 up).
pub(crate) const fn low_mask(bits: u32) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}
