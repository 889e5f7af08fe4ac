// SPDX-License-Identifier: GPL-2.0

//! Stream Table Entries (STE): the 64-byte per-StreamID configuration.
//!
//! An [`Ste`] is eight little-endian 64-bit words (*qwords*). Each field is
//! documented with its qword, its bits within that qword and, in brackets,
//! its absolute bit position `STE[hi:lo]` as the specification's STE layout
//! numbers it (absolute = 64 * qword + bit).
//!
//! Builders ([`Ste::abort`], [`Ste::bypass`], [`Ste::cd_table`],
//! [`Ste::s2_domain`], [`Ste::nested`]) produce the entries a Linux-style
//! driver installs; they only set bits that [`Ste::used_bits`] reports as
//! read by the SMMU, which is what lets
//! [`write_entry`](crate::hw::writer::write_entry) update a live entry
//! without disrupting traffic whenever possible.

use crate::hw::bits::{entry_fields, fmt_qwords, FieldError, ENTRY_QWORDS};
use crate::hw::cd::{Cacheability, Granule};
use crate::hw::regs::{Features, Oas, Shareability, TtEndian, Ttf};
use crate::hw::writer::Entry;

/// Number of 64-bit words in an STE.
pub const STE_QWORDS: usize = ENTRY_QWORDS;

/// Size of an STE in bytes.
pub const STE_SIZE: usize = STE_QWORDS * 8;

/// A Stream Table Entry.
///
/// Any bit pattern is representable (the hardware may be handed anything);
/// whether an entry is legal is a separate question answered by the SMMU with
/// `C_BAD_STE`. Entries made by this module's builders are legal for the
/// capabilities they were built for.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
#[repr(transparent)]
pub struct Ste(pub [u64; STE_QWORDS]);

/// `STE.Config`: which stages translate traffic of the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Config {
    /// 0b000: abort all traffic, without recording events.
    Abort,
    /// 0b100: stage 1 and stage 2 bypass.
    Bypass,
    /// 0b101: stage 1 translates, stage 2 bypass.
    S1Translate,
    /// 0b110: stage 1 bypass, stage 2 translates.
    S2Translate,
    /// 0b111: both stages translate (nested).
    Nested,
}

impl Config {
    /// The three-bit encoding.
    pub const fn raw(self) -> u64 {
        match self {
            Self::Abort => 0b000,
            Self::Bypass => 0b100,
            Self::S1Translate => 0b101,
            Self::S2Translate => 0b110,
            Self::Nested => 0b111,
        }
    }

    /// Decodes the field; `None` for the reserved encodings 0b001..=0b011
    /// (which make the STE ILLEGAL).
    pub const fn decode(raw: u64) -> Option<Self> {
        match raw {
            0b000 => Some(Self::Abort),
            0b100 => Some(Self::Bypass),
            0b101 => Some(Self::S1Translate),
            0b110 => Some(Self::S2Translate),
            0b111 => Some(Self::Nested),
            _ => None,
        }
    }

    /// Whether stage 1 translates.
    pub const fn s1(self) -> bool {
        matches!(self, Self::S1Translate | Self::Nested)
    }

    /// Whether stage 2 translates.
    pub const fn s2(self) -> bool {
        matches!(self, Self::S2Translate | Self::Nested)
    }
}

/// `STE.S1Fmt`: layout of the CD table at `S1ContextPtr`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum S1Fmt {
    /// 0b00: a linear array of `2^S1CDMax` CDs.
    Linear,
    /// 0b01: 2-level, leaf tables of 4KB (64 CDs, `SSID[5:0]`).
    TwoLevel4K,
    /// 0b10: 2-level, leaf tables of 64KB (1024 CDs, `SSID[9:0]`).
    TwoLevel64K,
}

impl S1Fmt {
    /// The two-bit encoding.
    pub const fn raw(self) -> u64 {
        match self {
            Self::Linear => 0,
            Self::TwoLevel4K => 1,
            Self::TwoLevel64K => 2,
        }
    }

    /// Decodes the field; `None` for the reserved 0b11.
    pub const fn decode(raw: u64) -> Option<Self> {
        match raw {
            0 => Some(Self::Linear),
            1 => Some(Self::TwoLevel4K),
            2 => Some(Self::TwoLevel64K),
            _ => None,
        }
    }
}

/// `STE.S1DSS`: what happens to transactions without a SubstreamID when
/// substreams are enabled (`S1CDMax != 0`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum S1Dss {
    /// 0b00: terminate them (`F_STREAM_DISABLED`).
    Terminate,
    /// 0b01: stage 1 bypass for them.
    Bypass,
    /// 0b10: translate them with CD 0 (and terminate SSID 0 traffic).
    Ssid0,
}

impl S1Dss {
    /// The two-bit encoding.
    pub const fn raw(self) -> u64 {
        match self {
            Self::Terminate => 0,
            Self::Bypass => 1,
            Self::Ssid0 => 2,
        }
    }

    /// Decodes the field; `None` for the reserved 0b11.
    pub const fn decode(raw: u64) -> Option<Self> {
        match raw {
            0 => Some(Self::Terminate),
            1 => Some(Self::Bypass),
            2 => Some(Self::Ssid0),
            _ => None,
        }
    }
}

/// `STE.S1CIR`/`S1COR`: cacheability of CD table fetches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableCache {
    /// 0b00: non-cacheable.
    NonCacheable = 0,
    /// 0b01: write-back, read-allocate.
    WriteBackReadAlloc = 1,
    /// 0b10: write-through, read-allocate.
    WriteThrough = 2,
    /// 0b11: write-back, no read-allocate.
    WriteBack = 3,
}

/// `STE.EATS`: handling of ATS translation requests and translated
/// transactions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Eats {
    /// 0b00: ATS not enabled: translation requests get an Unsupported
    /// Request and translated transactions are aborted.
    Abort,
    /// 0b01: full ATS: requests are translated by all enabled stages.
    Translate,
    /// 0b10: split-stage ATS: the ATC holds stage-1-only results, and
    /// translated transactions are checked by stage 2.
    S1Chk,
}

impl Eats {
    /// The two-bit encoding.
    pub const fn raw(self) -> u64 {
        match self {
            Self::Abort => 0,
            Self::Translate => 1,
            Self::S1Chk => 2,
        }
    }

    /// Decodes the field; `None` for the reserved 0b11.
    pub const fn decode(raw: u64) -> Option<Self> {
        match raw {
            0 => Some(Self::Abort),
            1 => Some(Self::Translate),
            2 => Some(Self::S1Chk),
            _ => None,
        }
    }
}

/// `STE.STRW`: the StreamWorld (translation regime) of stage 1 contexts,
/// which selects how TLB entries are tagged and which broadcast TLB
/// invalidations match them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strw {
    /// 0b00: NS-EL1 (ASID and VMID tagged), the usual non-VHE host or a
    /// guest.
    El1,
    /// 0b10: EL2 with `SMMU_CR2.E2H == 1` (EL2-E2H regime, ASID tagged),
    /// matching a VHE host kernel so broadcast TLBIs (BTM) match.
    El2,
}

impl Strw {
    /// The two-bit encoding.
    pub const fn raw(self) -> u64 {
        match self {
            Self::El1 => 0,
            Self::El2 => 2,
        }
    }

    /// Decodes the field; `None` for encodings this library does not use.
    pub const fn decode(raw: u64) -> Option<Self> {
        match raw {
            0 => Some(Self::El1),
            2 => Some(Self::El2),
            _ => None,
        }
    }
}

/// `STE.SHCFG`: shareability override of incoming transactions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shcfg {
    /// 0b00: non-shareable.
    NonShareable = 0,
    /// 0b01: use the incoming shareability.
    Incoming = 1,
    /// 0b10: outer shareable.
    OuterShareable = 2,
    /// 0b11: inner shareable.
    InnerShareable = 3,
}

entry_fields! {
    impl Ste {
        /// `V`, qword 0 bit `[0]` (`STE[0]`): the entry is valid.
        V: 0[0:0] bool => v, set_v;
        /// `Config`, qword 0 bits `[3:1]` (`STE[3:1]`): see [`Config`].
        CONFIG: 0[3:1] num => config_raw, set_config_raw;
        /// `S1Fmt`, qword 0 bits `[5:4]` (`STE[5:4]`): see [`S1Fmt`].
        S1FMT: 0[5:4] num => s1fmt_raw, set_s1fmt_raw;
        /// `S1ContextPtr`, qword 0 bits `[51:6]` (`STE[51:6]`): physical address
        /// of the CD table (or of CD 0 when `S1CDMax == 0`), 64-byte aligned.
        S1_CONTEXT_PTR: 0[51:6] addr => s1_context_ptr, set_s1_context_ptr;
        /// `S1CDMax`, qword 0 bits `[63:59]` (`STE[63:59]`): log2 of the number of
        /// CDs; 0 disables substreams.
        S1CDMAX: 0[63:59] num => s1cdmax, set_s1cdmax;

        /// `S1DSS`, qword 1 bits `[1:0]` (`STE[65:64]`): see [`S1Dss`].
        S1DSS: 1[1:0] num => s1dss_raw, set_s1dss_raw;
        /// `S1CIR`, qword 1 bits `[3:2]` (`STE[67:66]`): inner cacheability of CD
        /// fetches, see [`TableCache`].
        S1CIR: 1[3:2] num => s1cir, set_s1cir;
        /// `S1COR`, qword 1 bits `[5:4]` (`STE[69:68]`): outer cacheability of CD
        /// fetches, see [`TableCache`].
        S1COR: 1[5:4] num => s1cor, set_s1cor;
        /// `S1CSH`, qword 1 bits `[7:6]` (`STE[71:70]`): shareability of CD
        /// fetches, see [`Shareability`].
        S1CSH: 1[7:6] num => s1csh, set_s1csh;
        /// `MEV`, qword 1 bit `[19]` (`STE[83]`): merge events (the SMMU may
        /// coalesce similar fault records).
        MEV: 1[19:19] bool => mev, set_mev;
        /// `S2FWB`, qword 1 bit `[25]` (`STE[89]`): stage 2 forced write-back.
        S2FWB: 1[25:25] bool => s2fwb, set_s2fwb;
        /// `S1STALLD`, qword 1 bit `[27]` (`STE[91]`): stage 1 stalls disabled
        /// (CD.S must then be 0).
        S1STALLD: 1[27:27] bool => s1stalld, set_s1stalld;
        /// `EATS`, qword 1 bits `[29:28]` (`STE[93:92]`): see [`Eats`].
        EATS: 1[29:28] num => eats_raw, set_eats_raw;
        /// `STRW`, qword 1 bits `[31:30]` (`STE[95:94]`): see [`Strw`].
        STRW: 1[31:30] num => strw_raw, set_strw_raw;
        /// `MemAttr`, qword 1 bits `[35:32]` (`STE[99:96]`): memory type override.
        MEMATTR: 1[35:32] num => memattr, set_memattr;
        /// `MTCFG`, qword 1 bit `[36]` (`STE[100]`): use `MemAttr` instead of the
        /// incoming memory type.
        MTCFG: 1[36:36] bool => mtcfg, set_mtcfg;
        /// `ALLOCCFG`, qword 1 bits `[40:37]` (`STE[104:101]`): allocation hint
        /// override.
        ALLOCCFG: 1[40:37] num => alloccfg, set_alloccfg;
        /// `SHCFG`, qword 1 bits `[45:44]` (`STE[109:108]`): see [`Shcfg`].
        SHCFG: 1[45:44] num => shcfg_raw, set_shcfg_raw;
        /// `NSCFG`, qword 1 bits `[47:46]` (`STE[111:110]`): NS attribute
        /// override (Secure streams only).
        NSCFG: 1[47:46] num => nscfg, set_nscfg;
        /// `PRIVCFG`, qword 1 bits `[49:48]` (`STE[113:112]`): privilege override.
        PRIVCFG: 1[49:48] num => privcfg, set_privcfg;
        /// `INSTCFG`, qword 1 bits `[51:50]` (`STE[115:114]`): instruction/data
        /// override.
        INSTCFG: 1[51:50] num => instcfg, set_instcfg;

        /// `S2VMID`, qword 2 bits `[15:0]` (`STE[143:128]`): VMID tagging stage 2
        /// and (NS-EL1 StreamWorld) stage 1 TLB entries.
        S2VMID: 2[15:0] num => s2vmid, set_s2vmid;
        /// The whole `VTCR` field, qword 2 bits `[50:32]` (`STE[178:160]`); its
        /// parts follow.
        VTCR: 2[50:32] num => vtcr, set_vtcr;
        /// `VTCR.S2T0SZ`, qword 2 bits `[37:32]` (`STE[165:160]`): stage 2 input
        /// size is `64 - S2T0SZ` bits.
        S2T0SZ: 2[37:32] num => s2t0sz, set_s2t0sz;
        /// `VTCR.S2SL0`, qword 2 bits `[39:38]` (`STE[167:166]`): starting level.
        S2SL0: 2[39:38] num => s2sl0, set_s2sl0;
        /// `VTCR.S2IR0`, qword 2 bits `[41:40]` (`STE[169:168]`): inner
        /// cacheability of stage 2 walks, see [`Cacheability`].
        S2IR0: 2[41:40] num => s2ir0, set_s2ir0;
        /// `VTCR.S2OR0`, qword 2 bits `[43:42]` (`STE[171:170]`): outer
        /// cacheability of stage 2 walks.
        S2OR0: 2[43:42] num => s2or0, set_s2or0;
        /// `VTCR.S2SH0`, qword 2 bits `[45:44]` (`STE[173:172]`): shareability of
        /// stage 2 walks.
        S2SH0: 2[45:44] num => s2sh0, set_s2sh0;
        /// `VTCR.S2TG`, qword 2 bits `[47:46]` (`STE[175:174]`): stage 2 granule,
        /// see [`Granule`].
        S2TG: 2[47:46] num => s2tg, set_s2tg;
        /// `VTCR.S2PS`, qword 2 bits `[50:48]` (`STE[178:176]`): stage 2 output
        /// size, see [`Oas`].
        S2PS: 2[50:48] num => s2ps, set_s2ps;
        /// `S2AA64`, qword 2 bit `[51]` (`STE[179]`): stage 2 tables are AArch64.
        S2AA64: 2[51:51] bool => s2aa64, set_s2aa64;
        /// `S2ENDI`, qword 2 bit `[52]` (`STE[180]`): stage 2 tables are
        /// big-endian.
        S2ENDI: 2[52:52] bool => s2endi, set_s2endi;
        /// `S2AFFD`, qword 2 bit `[53]` (`STE[181]`): stage 2 Access flag faults
        /// disabled.
        S2AFFD: 2[53:53] bool => s2affd, set_s2affd;
        /// `S2PTW`, qword 2 bit `[54]` (`STE[182]`): stage 1 walks that hit
        /// stage 2 Device memory fault (protected table walk).
        S2PTW: 2[54:54] bool => s2ptw, set_s2ptw;
        /// `S2HD`, qword 2 bit `[55]` (`STE[183]`): stage 2 hardware dirty
        /// state update.
        S2HD: 2[55:55] bool => s2hd, set_s2hd;
        /// `S2HA`, qword 2 bit `[56]` (`STE[184]`): stage 2 hardware Access flag
        /// update.
        S2HA: 2[56:56] bool => s2ha, set_s2ha;
        /// `S2S`, qword 2 bit `[57]` (`STE[185]`): stage 2 faults stall.
        S2S: 2[57:57] bool => s2s, set_s2s;
        /// `S2R`, qword 2 bit `[58]` (`STE[186]`): record stage 2 faults.
        S2R: 2[58:58] bool => s2r, set_s2r;

        /// `S2TTB`, qword 3 bits `[51:4]` (`STE[243:196]`): physical address of
        /// the stage 2 translation table base.
        S2TTB: 3[51:4] addr => s2ttb, set_s2ttb;
    }
}

impl core::fmt::Debug for Ste {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        fmt_qwords(f, "Ste", &self.0)
    }
}

/// Why an STE builder refused its inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SteError {
    /// A value does not fit its field, or an address is misaligned or beyond
    /// 52 bits.
    Field(FieldError),
    /// Stalling was requested but the SMMU's stall model is terminate-only.
    StallUnsupported,
    /// ATS and stage 2 stalls were both requested: `EATS != 0` with
    /// `S2S == 1` is an ILLEGAL STE.
    AtsWithStall,
    /// `S1CDMax` above the architectural SubstreamID size (20).
    CdMaxTooLarge(u8),
    /// A reserved output size was given for `VTCR.S2PS`.
    ReservedOas,
}

impl From<FieldError> for SteError {
    fn from(e: FieldError) -> Self {
        Self::Field(e)
    }
}

/// Why an SMMU cannot use an STE or a CD: the entry is invalid (`V == 0`)
/// or ILLEGAL for the SMMU's features. Either way the SMMU terminates the
/// traffic and records `C_BAD_STE` or `C_BAD_CD`.
///
/// Returned by [`Ste::check`] and [`Cd::check`](crate::hw::cd::Cd::check),
/// which hold the rules shared by the driver (to refuse an entry before
/// installing it) and the software model (to decide when to raise the
/// configuration error).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IllegalReason {
    /// `V == 0`.
    NotValid,
    /// `STE.Config` is a reserved encoding (0b001..=0b011).
    ReservedConfig,
    /// `STE.Config` enables stage 1 but `IDR0.S1P == 0`.
    NoStage1,
    /// `STE.Config` enables stage 2 but `IDR0.S2P == 0`.
    NoStage2,
    /// `STE.S1CDMax` above `IDR1.SSIDSIZE`.
    CdMaxTooLarge,
    /// `STE.S1Fmt` is the reserved 0b11 (with `S1CDMax != 0`).
    ReservedS1Fmt,
    /// A 2-level CD table (`S1Fmt != 0`, `S1CDMax != 0`) without
    /// `IDR0.CD2L`.
    NoCd2l,
    /// `STE.S1DSS` is the reserved 0b11 (with `S1CDMax != 0`).
    ReservedS1Dss,
    /// `STE.STRW` is reserved, Secure (EL3) for a Non-secure stream, or EL2
    /// without `IDR0.HYP`.
    BadStrw,
    /// `STE.S1STALLD == 1` with the forced stall model
    /// (`IDR0.STALL_MODEL == 0b10`).
    StallDisableForced,
    /// With `IDR0.ATS`: `STE.EATS` is the reserved 0b11, or split-stage
    /// (0b10) without stage 2 translation.
    BadEats,
    /// `STE.EATS != 0` with `STE.S2S == 1` (stage 2 translating).
    AtsWithStall,
    /// `STE.VTCR.S2TG` is reserved or selects a granule the SMMU does not
    /// implement (`IDR5.GRAN*`).
    BadS2Granule,
    /// `STE.S2AA64` or `CD.AA64` selects a table format the SMMU does not
    /// implement (`IDR0.TTF`).
    UnsupportedTableFormat,
    /// `STE.S2ENDI` or `CD.ENDI` selects an endianness the SMMU does not
    /// implement (`IDR0.TTENDIAN`).
    UnsupportedEndianness,
    /// `CD.S == 1` in a stream whose STE disables stalls
    /// (`STE.S1STALLD == 1`), on an SMMU that does not force stalling.
    StallDisabledBySte,
}

impl IllegalReason {
    /// Whether the translation table format (`AA64 == 1`: AArch64,
    /// otherwise AArch32 LPAE) is implemented, per `IDR0.TTF`.
    pub(crate) const fn table_format_ok(f: &Features, aa64: bool) -> bool {
        if aa64 {
            matches!(f.ttf, Ttf::AArch64 | Ttf::Both)
        } else {
            matches!(f.ttf, Ttf::AArch32 | Ttf::Both)
        }
    }

    /// Whether big-endian (`endi`) or little-endian tables are implemented,
    /// per `IDR0.TTENDIAN`.
    pub(crate) const fn endianness_ok(f: &Features, endi: bool) -> bool {
        if endi {
            matches!(f.tt_endian, TtEndian::Mixed | TtEndian::Big)
        } else {
            matches!(f.tt_endian, TtEndian::Mixed | TtEndian::Little)
        }
    }
}

impl core::fmt::Display for IllegalReason {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let s = match self {
            Self::NotValid => "not valid (V == 0)",
            Self::ReservedConfig => "reserved Config",
            Self::NoStage1 => "stage 1 not implemented",
            Self::NoStage2 => "stage 2 not implemented",
            Self::CdMaxTooLarge => "S1CDMax above SSIDSIZE",
            Self::ReservedS1Fmt => "reserved S1Fmt",
            Self::NoCd2l => "2-level CD table without CD2L",
            Self::ReservedS1Dss => "reserved S1DSS",
            Self::BadStrw => "unsupported STRW",
            Self::StallDisableForced => "S1STALLD with forced stall model",
            Self::BadEats => "unsupported EATS",
            Self::AtsWithStall => "EATS with S2S",
            Self::BadS2Granule => "unsupported S2TG",
            Self::UnsupportedTableFormat => "unsupported table format",
            Self::UnsupportedEndianness => "unsupported table endianness",
            Self::StallDisabledBySte => "CD.S with STE.S1STALLD",
        };
        f.write_str(s)
    }
}

/// SMMU and host properties that STE builders depend on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SteCaps {
    /// `IDR1.ATTR_TYPES_OVR`: `SHCFG` may be set to "use incoming" for
    /// bypassed traffic (otherwise it is left 0, which such SMMUs treat as
    /// "use incoming" anyway).
    pub attr_types_ovr: bool,
    /// The stall model permits stalling (`IDR0.STALL_MODEL` is not
    /// terminate-only).
    pub stalls: bool,
    /// Stalling is forced (`IDR0.STALL_MODEL == 0b10`): `S1STALLD` must not
    /// be set.
    pub stall_forced: bool,
    /// The host kernel runs in EL2 with E2H and `SMMU_CR2.E2H` is set: stage
    /// 1 contexts use the EL2 StreamWorld so broadcast TLBIs of the host
    /// match them.
    pub e2h: bool,
}

impl SteCaps {
    /// Derives the capabilities from decoded ID registers; `e2h` says
    /// whether the host runs with VHE and enables `SMMU_CR2.E2H` (requires
    /// `IDR0.HYP`, checked here).
    pub const fn from_features(f: &Features, e2h: bool) -> Self {
        Self {
            attr_types_ovr: f.attr_types_ovr,
            stalls: f.stalls(),
            stall_forced: f.stall_forced(),
            e2h: e2h && f.hyp,
        }
    }
}

/// Inputs of [`Ste::cd_table`]: a stream whose stage 1 is described by a CD
/// table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CdTableSte {
    /// Physical address of the CD table (`S1ContextPtr`), 64-byte aligned.
    pub cd_table: u64,
    /// Layout of the CD table.
    pub s1fmt: S1Fmt,
    /// log2 of the number of CDs (`S1CDMax`), at most 20.
    pub s1cdmax: u8,
    /// Treatment of transactions without a SubstreamID.
    pub s1dss: S1Dss,
    /// Whether the device uses ATS (`EATS = Translate`).
    pub ats: bool,
    /// Whether the device can tolerate stalled transactions (if not, and the
    /// SMMU can stall, `S1STALLD` is set).
    pub stall: bool,
}

/// Stage 2 translation control (`STE.VTCR`), as produced by an io-pgtable
/// stage 2 configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Vtcr {
    /// `S2T0SZ`: input size is `64 - t0sz` bits (6 bits).
    pub t0sz: u8,
    /// `S2SL0`: starting level (2 bits; meaning depends on the granule).
    pub sl0: u8,
    /// `S2IR0`: inner cacheability of table walks.
    pub irgn0: Cacheability,
    /// `S2OR0`: outer cacheability of table walks.
    pub orgn0: Cacheability,
    /// `S2SH0`: shareability of table walks.
    pub sh0: Shareability,
    /// `S2TG`: translation granule.
    pub tg: Granule,
    /// `S2PS`: output (physical) address size.
    pub ps: Oas,
}

impl Vtcr {
    /// The 19-bit `VTCR` field value.
    pub fn encode(&self) -> Result<u64, SteError> {
        let mut ste = Ste::default();
        ste.set_vtcr_parts(self)?;
        Ok(ste.vtcr())
    }
}

/// Inputs of [`Ste::s2_domain`]: a stream translated by a stage 2 domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct S2DomainSte {
    /// The domain's VMID (`S2VMID`).
    pub vmid: u16,
    /// Physical address of the stage 2 table base (`S2TTB`), 16-byte
    /// aligned.
    pub s2ttb: u64,
    /// Stage 2 translation control.
    pub vtcr: Vtcr,
    /// Whether the device uses ATS (`EATS = Translate`).
    pub ats: bool,
    /// Whether stage 2 faults stall (`S2S`).
    pub stall: bool,
    /// Hardware Access flag update at stage 2 (`S2HA`).
    pub hw_access: bool,
    /// Hardware dirty state update at stage 2 (`S2HD`, implies `S2HA`).
    pub hw_dirty: bool,
}

impl Ste {
    /// The entry with the given raw qwords.
    pub const fn from_qwords(q: [u64; STE_QWORDS]) -> Self {
        Self(q)
    }

    /// The raw qwords.
    pub const fn qwords(&self) -> &[u64; STE_QWORDS] {
        &self.0
    }

    /// An invalid entry (all zero, `V == 0`): traffic is terminated and
    /// `C_BAD_STE` recorded.
    pub const fn invalid() -> Self {
        Self([0; STE_QWORDS])
    }

    /// The decoded `Config` field, or `None` for a reserved encoding.
    pub const fn config(&self) -> Option<Config> {
        Config::decode(self.config_raw())
    }

    /// Sets `Config`.
    pub fn set_config(&mut self, c: Config) -> &mut Self {
        Self::CONFIG.set(&mut self.0, c.raw());
        self
    }

    /// The decoded `S1Fmt` field.
    pub const fn s1fmt(&self) -> Option<S1Fmt> {
        S1Fmt::decode(self.s1fmt_raw())
    }

    /// Sets `S1Fmt`.
    pub fn set_s1fmt(&mut self, v: S1Fmt) -> &mut Self {
        Self::S1FMT.set(&mut self.0, v.raw());
        self
    }

    /// The decoded `S1DSS` field.
    pub const fn s1dss(&self) -> Option<S1Dss> {
        S1Dss::decode(self.s1dss_raw())
    }

    /// Sets `S1DSS`.
    pub fn set_s1dss(&mut self, v: S1Dss) -> &mut Self {
        Self::S1DSS.set(&mut self.0, v.raw());
        self
    }

    /// The decoded `EATS` field.
    pub const fn eats(&self) -> Option<Eats> {
        Eats::decode(self.eats_raw())
    }

    /// Sets `EATS`.
    pub fn set_eats(&mut self, v: Eats) -> &mut Self {
        Self::EATS.set(&mut self.0, v.raw());
        self
    }

    /// The decoded `STRW` field.
    pub const fn strw(&self) -> Option<Strw> {
        Strw::decode(self.strw_raw())
    }

    /// Sets `STRW`.
    pub fn set_strw(&mut self, v: Strw) -> &mut Self {
        Self::STRW.set(&mut self.0, v.raw());
        self
    }

    /// Sets `SHCFG`.
    pub fn set_shcfg(&mut self, v: Shcfg) -> &mut Self {
        Self::SHCFG.set(&mut self.0, v as u64);
        self
    }

    /// Sets the CD fetch attributes `S1CIR`, `S1COR` and `S1CSH`.
    pub fn set_s1_table_attrs(
        &mut self,
        inner: TableCache,
        outer: TableCache,
        sh: Shareability,
    ) -> &mut Self {
        Self::S1CIR.set(&mut self.0, inner as u64);
        Self::S1COR.set(&mut self.0, outer as u64);
        Self::S1CSH.set(&mut self.0, sh.raw());
        self
    }

    /// Sets all parts of the `VTCR` field.
    pub fn set_vtcr_parts(&mut self, vtcr: &Vtcr) -> Result<&mut Self, SteError> {
        if matches!(vtcr.ps, Oas::Reserved(_)) {
            return Err(SteError::ReservedOas);
        }
        let mut next = *self;
        next.set_s2t0sz(u64::from(vtcr.t0sz))?;
        next.set_s2sl0(u64::from(vtcr.sl0))?;
        next.set_s2ir0(vtcr.irgn0 as u64)?;
        next.set_s2or0(vtcr.orgn0 as u64)?;
        next.set_s2sh0(vtcr.sh0.raw())?;
        next.set_s2tg(vtcr.tg as u64)?;
        next.set_s2ps(u64::from(vtcr.ps.raw()))?;
        *self = next;
        Ok(self)
    }

    /// An entry that aborts all traffic of the stream silently
    /// (`V = 1, Config = abort`).
    pub fn abort() -> Self {
        let mut ste = Self::invalid();
        ste.set_v(true).set_config(Config::Abort);
        ste
    }

    /// An entry that lets traffic through untranslated
    /// (`V = 1, Config = bypass`), with incoming shareability kept when the
    /// SMMU supports the override.
    pub fn bypass(caps: &SteCaps) -> Self {
        let mut ste = Self::invalid();
        ste.set_v(true).set_config(Config::Bypass);
        if caps.attr_types_ovr {
            ste.set_shcfg(Shcfg::Incoming);
        }
        ste
    }

    /// An entry whose stage 1 uses the CD table described by `cfg`
    /// (`Config = S1 translate`).
    ///
    /// CD fetches are inner-shareable write-back read-allocate. `S1STALLD`
    /// is set when the SMMU could stall but the device cannot tolerate it.
    /// With [`SteCaps::e2h`] the EL2 StreamWorld is used, otherwise NS-EL1
    /// with VMID 0 (VMID 0 is kept for stage 1 streams and never given to a
    /// stage 2 domain). Traffic without a SubstreamID that bypasses stage 1
    /// (`S1DSS = bypass`) keeps its incoming shareability.
    pub fn cd_table(caps: &SteCaps, cfg: &CdTableSte) -> Result<Self, SteError> {
        if cfg.stall && !caps.stalls {
            return Err(SteError::StallUnsupported);
        }
        if cfg.s1cdmax > Features::MAX_SSIDSIZE {
            return Err(SteError::CdMaxTooLarge(cfg.s1cdmax));
        }
        let mut ste = Self::invalid();
        ste.set_v(true)
            .set_config(Config::S1Translate)
            .set_s1fmt(cfg.s1fmt)
            .set_s1_context_ptr(cfg.cd_table)?
            .set_s1cdmax(u64::from(cfg.s1cdmax))?;
        ste.set_s1dss(cfg.s1dss)
            .set_s1_table_attrs(
                TableCache::WriteBackReadAlloc,
                TableCache::WriteBackReadAlloc,
                Shareability::InnerShareable,
            )
            .set_s1stalld(caps.stalls && !caps.stall_forced && !cfg.stall)
            .set_eats(if cfg.ats {
                Eats::Translate
            } else {
                Eats::Abort
            });
        if caps.attr_types_ovr && cfg.s1dss == S1Dss::Bypass {
            ste.set_shcfg(Shcfg::Incoming);
        }
        if caps.e2h {
            ste.set_strw(Strw::El2);
        } else {
            ste.set_strw(Strw::El1).set_s2vmid(0)?;
        }
        Ok(ste)
    }

    /// An entry translated by the stage 2 domain `cfg`
    /// (`Config = S2 translate`): AArch64 little-endian tables, protected
    /// table walks (`S2PTW`), faults recorded (`S2R`), and incoming
    /// shareability kept when the SMMU supports the override.
    pub fn s2_domain(caps: &SteCaps, cfg: &S2DomainSte) -> Result<Self, SteError> {
        if cfg.stall && !caps.stalls {
            return Err(SteError::StallUnsupported);
        }
        if cfg.stall && cfg.ats {
            return Err(SteError::AtsWithStall);
        }
        let mut ste = Self::invalid();
        ste.set_v(true)
            .set_config(Config::S2Translate)
            .set_eats(if cfg.ats {
                Eats::Translate
            } else {
                Eats::Abort
            });
        if caps.attr_types_ovr {
            ste.set_shcfg(Shcfg::Incoming);
        }
        ste.set_s2vmid(u64::from(cfg.vmid))?
            .set_vtcr_parts(&cfg.vtcr)?
            .set_s2aa64(true)
            .set_s2ptw(true)
            .set_s2s(cfg.stall)
            .set_s2r(true)
            .set_s2ha(cfg.hw_access || cfg.hw_dirty)
            .set_s2hd(cfg.hw_dirty)
            .set_s2ttb(cfg.s2ttb)?;
        Ok(ste)
    }

    /// An entry translating with both stages (`Config = nested`): the stage
    /// 1 part of `s1` and the stage 2 part of `s2`. `EATS` is taken from
    /// `s1.ats` (ATS translates through both stages); `s2.ats` is ignored.
    pub fn nested(caps: &SteCaps, s1: &CdTableSte, s2: &S2DomainSte) -> Result<Self, SteError> {
        let s1_ste = Self::cd_table(caps, s1)?;
        let s2_ste = Self::s2_domain(caps, &S2DomainSte { ats: false, ..*s2 })?;
        if s1.ats && s2.stall {
            return Err(SteError::AtsWithStall);
        }
        let mut ste = s1_ste;
        ste.set_config(Config::Nested);
        ste.0[2] = s2_ste.0[2];
        ste.0[3] = s2_ste.0[3];
        // Stage 2 uses SHCFG in a nested configuration.
        if caps.attr_types_ovr {
            ste.set_shcfg(Shcfg::Incoming);
        }
        Ok(ste)
    }

    /// Whether an SMMU with features `f` can use this entry: `Ok` if it is
    /// valid and legal, otherwise why the SMMU would report `C_BAD_STE`.
    ///
    /// Only fields the entry's `Config` makes the SMMU read are checked:
    ///
    /// - `V`, and `Config` not reserved;
    /// - each enabled stage is implemented (`IDR0.S1P`, `IDR0.S2P`);
    /// - stage 1: `S1CDMax <= IDR1.SSIDSIZE`; with substreams
    ///   (`S1CDMax != 0`) `S1Fmt` and `S1DSS` not reserved and 2-level CD
    ///   tables only with `IDR0.CD2L`; `STRW` NS-EL1, or EL2 with
    ///   `IDR0.HYP`; `S1STALLD` clear if stalling is forced;
    /// - stage 2: `S2TG` an implemented granule, `S2AA64` and `S2ENDI` an
    ///   implemented table format and endianness;
    /// - with `IDR0.ATS` and a translating `Config`: `EATS` not reserved,
    ///   split-stage only with stage 2, and no ATS with `S2S`.
    ///
    /// Abort and bypass entries are legal whatever their other fields hold.
    /// The entries this module's builders make pass for the features they
    /// were built for ([`SteCaps::from_features`]).
    pub const fn check(&self, f: &Features) -> Result<(), IllegalReason> {
        if !self.v() {
            return Err(IllegalReason::NotValid);
        }
        let config = match self.config() {
            Some(c) => c,
            None => return Err(IllegalReason::ReservedConfig),
        };
        if matches!(config, Config::Abort | Config::Bypass) {
            return Ok(());
        }
        if config.s1() {
            if !f.s1p {
                return Err(IllegalReason::NoStage1);
            }
            let cdmax = self.s1cdmax();
            if cdmax > f.ssidsize as u64 {
                return Err(IllegalReason::CdMaxTooLarge);
            }
            if cdmax > 0 {
                match self.s1fmt() {
                    None => return Err(IllegalReason::ReservedS1Fmt),
                    Some(S1Fmt::Linear) => {}
                    Some(_) if !f.cd2l => return Err(IllegalReason::NoCd2l),
                    Some(_) => {}
                }
                if self.s1dss().is_none() {
                    return Err(IllegalReason::ReservedS1Dss);
                }
            }
            match self.strw() {
                Some(Strw::El1) => {}
                Some(Strw::El2) if f.hyp => {}
                _ => return Err(IllegalReason::BadStrw),
            }
            if self.s1stalld() && f.stall_forced() {
                return Err(IllegalReason::StallDisableForced);
            }
        }
        if config.s2() {
            if !f.s2p {
                return Err(IllegalReason::NoStage2);
            }
            let granule_ok = match Granule::decode(self.s2tg()) {
                Some(Granule::Size4K) => f.gran4k,
                Some(Granule::Size16K) => f.gran16k,
                Some(Granule::Size64K) => f.gran64k,
                None => false,
            };
            if !granule_ok {
                return Err(IllegalReason::BadS2Granule);
            }
            if !IllegalReason::table_format_ok(f, self.s2aa64()) {
                return Err(IllegalReason::UnsupportedTableFormat);
            }
            if !IllegalReason::endianness_ok(f, self.s2endi()) {
                return Err(IllegalReason::UnsupportedEndianness);
            }
        }
        if f.ats {
            match self.eats() {
                None => return Err(IllegalReason::BadEats),
                Some(Eats::S1Chk) if !config.s2() => return Err(IllegalReason::BadEats),
                Some(Eats::Abort) => {}
                Some(_) if config.s2() && self.s2s() => return Err(IllegalReason::AtsWithStall),
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// The bits of `self` that the SMMU reads, given the entry's own
    /// contents.
    ///
    /// This is a conservative superset: a field is reported used whenever
    /// the configuration selected by the entry may consult it. It must be,
    /// because the entry writer changes unused bits freely while the entry is
    /// live.
    ///
    /// - `V == 0`: only `V`.
    /// - Otherwise `Config`, and by stage:
    ///   - stage 1 (`Config` S1 or nested): `S1Fmt`, `S1ContextPtr`,
    ///     `S1CDMax`, `S1DSS`, CD fetch attributes, `S1STALLD`, `STRW`,
    ///     `EATS`, `MEV` and `S2VMID` (stage 1 TLB entries of the NS-EL1
    ///     world are VMID tagged); `SHCFG` only if `S1DSS == bypass`;
    ///   - stage 2 (`Config` S2 or nested): `EATS`, `MEV`, `SHCFG`, `S2VMID`,
    ///     `VTCR`, `S2AA64`, `S2ENDI`, `S2AFFD`, `S2PTW`, `S2HD`, `S2HA`,
    ///     `S2S`, `S2R` and `S2TTB`;
    ///   - bypass: `SHCFG`;
    ///   - abort, or a reserved `Config` (an ILLEGAL entry): nothing else.
    ///
    /// The bits that decide what is used (`V`, `Config`, `S1DSS`) are
    /// themselves used, so two entries agreeing on `a.used_bits()` have the
    /// same used bits.
    pub fn used_bits(&self) -> [u64; STE_QWORDS] {
        let mut used = [0u64; STE_QWORDS];
        used[0] = Self::V.field().mask();
        if !self.v() {
            return used;
        }
        used[0] |= Self::CONFIG.field().mask();
        let Some(config) = self.config() else {
            return used;
        };
        if config.s1() {
            used[0] |= Self::S1FMT.field().mask()
                | Self::S1_CONTEXT_PTR.field().mask()
                | Self::S1CDMAX.field().mask();
            used[1] |= Self::S1DSS.field().mask()
                | Self::S1CIR.field().mask()
                | Self::S1COR.field().mask()
                | Self::S1CSH.field().mask()
                | Self::S1STALLD.field().mask()
                | Self::STRW.field().mask()
                | Self::EATS.field().mask()
                | Self::MEV.field().mask();
            used[2] |= Self::S2VMID.field().mask();
            if self.s1dss_raw() == S1Dss::Bypass.raw() {
                used[1] |= Self::SHCFG.field().mask();
            }
        }
        if config.s2() {
            used[1] |=
                Self::EATS.field().mask() | Self::MEV.field().mask() | Self::SHCFG.field().mask();
            used[2] |= Self::S2VMID.field().mask()
                | Self::VTCR.field().mask()
                | Self::S2AA64.field().mask()
                | Self::S2ENDI.field().mask()
                | Self::S2AFFD.field().mask()
                | Self::S2PTW.field().mask()
                | Self::S2HD.field().mask()
                | Self::S2HA.field().mask()
                | Self::S2S.field().mask()
                | Self::S2R.field().mask();
            used[3] |= Self::S2TTB.field().mask();
        }
        if config == Config::Bypass {
            used[1] |= Self::SHCFG.field().mask();
        }
        used
    }

    /// Bits that may change in either order relative to the rest of an
    /// update from `cur` to `target`, even though both entries use them.
    ///
    /// - `MEV` only changes how many fault records are written; the
    ///   specification already requires software to cope with merged records
    ///   when `MEV == 0`, so a transient mix is harmless.
    /// - `EATS` between abort (0b00) and translate (0b01): a driver changes
    ///   it only while ATS is disabled in the device's ATS capability (it
    ///   disables ATS in the device before an update that drops it, and
    ///   enables it only after an update that adds it), so no translation
    ///   requests arrive while the entry is in flux. `EATS == 0b00` protects
    ///   against a device that issues ATS requests anyway; that protection is
    ///   being deliberately turned on or off, i.e. the device is trusted at
    ///   that point. Excluded: any entry with `EATS == 0b10` (S1CHK), where
    ///   mixing bits could form the reserved 0b11, and any entry with
    ///   `S2S == 1`, because `S2S == 1` with non-zero `EATS` is ILLEGAL and a
    ///   mix could produce it.
    ///
    /// The writer only relaxes bits both entries use (see
    /// [`Entry::update_safe`]).
    pub fn update_safe_bits(cur: &Self, target: &Self) -> [u64; STE_QWORDS] {
        let mut safe = [0u64; STE_QWORDS];
        safe[1] |= Self::MEV.field().mask();
        let s1chk = Self::EATS.field().set(0, Eats::S1Chk.raw());
        let s2s = Self::S2S.field().mask();
        if (cur.0[1] | target.0[1]) & s1chk == 0 && (cur.0[2] | target.0[2]) & s2s == 0 {
            safe[1] |= Self::EATS.field().set(0, Eats::Translate.raw());
        }
        safe
    }
}

impl Entry for Ste {
    const NAME: &'static str = "STE";

    fn qwords(&self) -> &[u64; ENTRY_QWORDS] {
        &self.0
    }

    fn from_qwords(q: [u64; ENTRY_QWORDS]) -> Self {
        Self(q)
    }

    fn used(&self) -> [u64; ENTRY_QWORDS] {
        self.used_bits()
    }

    fn update_safe(cur: &Self, target: &Self) -> [u64; ENTRY_QWORDS] {
        Self::update_safe_bits(cur, target)
    }

    fn is_valid(&self) -> bool {
        self.v()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hw::bits::genmask;

    fn caps() -> SteCaps {
        SteCaps {
            attr_types_ovr: true,
            stalls: true,
            stall_forced: false,
            e2h: false,
        }
    }

    #[test]
    fn debug_shows_the_qwords() {
        let mut q = [0u64; STE_QWORDS];
        q[0] = 1;
        q[7] = 0xdead_beef;
        let words = "0000000000000001 0000000000000000 0000000000000000 0000000000000000 \
                     0000000000000000 0000000000000000 0000000000000000 00000000deadbeef";
        assert_eq!(std::format!("{:?}", Ste(q)), std::format!("Ste[{words}]"));
        assert_eq!(
            std::format!("{:?}", crate::hw::cd::Cd(q)),
            std::format!("Cd[{words}]")
        );
    }

    /// Field positions, checked against the masks of the C header.
    #[test]
    fn field_positions_match_c_header() {
        assert_eq!(Ste::V.field().mask(), 1);
        assert_eq!(Ste::CONFIG.field().mask(), genmask(3, 1));
        assert_eq!(Ste::S1FMT.field().mask(), genmask(5, 4));
        assert_eq!(Ste::S1_CONTEXT_PTR.field().mask(), genmask(51, 6));
        assert_eq!(Ste::S1CDMAX.field().mask(), genmask(63, 59));
        assert_eq!((Ste::S1DSS.qword(), Ste::S1DSS.field().mask()), (1, 3));
        assert_eq!(Ste::S1CIR.field().mask(), genmask(3, 2));
        assert_eq!(Ste::S1COR.field().mask(), genmask(5, 4));
        assert_eq!(Ste::S1CSH.field().mask(), genmask(7, 6));
        assert_eq!(Ste::S1STALLD.field().mask(), 1 << 27);
        assert_eq!(Ste::EATS.field().mask(), genmask(29, 28));
        assert_eq!(Ste::STRW.field().mask(), genmask(31, 30));
        assert_eq!(Ste::SHCFG.field().mask(), genmask(45, 44));
        assert_eq!(
            (Ste::S2VMID.qword(), Ste::S2VMID.field().mask()),
            (2, 0xffff)
        );
        assert_eq!(Ste::VTCR.field().mask(), genmask(50, 32));
        assert_eq!(Ste::S2T0SZ.field().mask(), genmask(5, 0) << 32);
        assert_eq!(Ste::S2SL0.field().mask(), genmask(7, 6) << 32);
        assert_eq!(Ste::S2IR0.field().mask(), genmask(9, 8) << 32);
        assert_eq!(Ste::S2OR0.field().mask(), genmask(11, 10) << 32);
        assert_eq!(Ste::S2SH0.field().mask(), genmask(13, 12) << 32);
        assert_eq!(Ste::S2TG.field().mask(), genmask(15, 14) << 32);
        assert_eq!(Ste::S2PS.field().mask(), genmask(18, 16) << 32);
        assert_eq!(Ste::S2AA64.field().mask(), 1 << 51);
        assert_eq!(Ste::S2ENDI.field().mask(), 1 << 52);
        assert_eq!(Ste::S2PTW.field().mask(), 1 << 54);
        assert_eq!(Ste::S2S.field().mask(), 1 << 57);
        assert_eq!(Ste::S2R.field().mask(), 1 << 58);
        assert_eq!(
            (Ste::S2TTB.qword(), Ste::S2TTB.field().mask()),
            (3, genmask(51, 4))
        );
        // Absolute positions as the specification's STE layout gives them.
        assert_eq!((Ste::EATS.abs_hi(), Ste::EATS.abs_lo()), (93, 92));
        assert_eq!(Ste::MEV.abs_lo(), 83);
        assert_eq!((Ste::VTCR.abs_hi(), Ste::VTCR.abs_lo()), (178, 160));
        assert_eq!(Ste::S2R.abs_lo(), 186);
    }

    #[test]
    fn builders_match_upstream_encodings() {
        assert_eq!(Ste::abort().0, [1, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            Ste::bypass(&caps()).0,
            [1 | (4 << 1), 1 << 44, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(Ste::bypass(&SteCaps::default()).0[1], 0);

        let cfg = CdTableSte {
            cd_table: 0xf0f0_f0f0_f0c0,
            s1fmt: S1Fmt::TwoLevel64K,
            s1cdmax: 20,
            s1dss: S1Dss::Ssid0,
            ats: true,
            stall: false,
        };
        let ste = Ste::cd_table(&caps(), &cfg).unwrap();
        assert_eq!(
            ste.0[0],
            1 | (5 << 1) | (2 << 4) | 0xf0f0_f0f0_f0c0 | (20 << 59)
        );
        assert_eq!(
            ste.0[1],
            2 | (1 << 2) | (1 << 4) | (3 << 6) | (1 << 27) | (1 << 28)
        );
        assert_eq!(ste.config(), Some(Config::S1Translate));
        let used = ste.used_bits();
        for (i, (q, u)) in ste.0.iter().zip(used).enumerate() {
            assert_eq!(q & !u, 0, "builder sets unused bits in qword {i}");
        }

        let e2h = Ste::cd_table(
            &SteCaps {
                e2h: true,
                ..caps()
            },
            &cfg,
        )
        .unwrap();
        assert_eq!(e2h.strw(), Some(Strw::El2));
    }

    #[test]
    fn builder_errors() {
        let mut cfg = CdTableSte {
            cd_table: 0x1001,
            s1fmt: S1Fmt::Linear,
            s1cdmax: 0,
            s1dss: S1Dss::Ssid0,
            ats: false,
            stall: false,
        };
        assert!(matches!(
            Ste::cd_table(&caps(), &cfg),
            Err(SteError::Field(_))
        ));
        cfg.cd_table = 0x1000;
        cfg.s1cdmax = 21;
        assert_eq!(
            Ste::cd_table(&caps(), &cfg),
            Err(SteError::CdMaxTooLarge(21))
        );
        cfg.s1cdmax = 0;
        cfg.stall = true;
        assert_eq!(
            Ste::cd_table(&SteCaps::default(), &cfg),
            Err(SteError::StallUnsupported)
        );
    }
}
