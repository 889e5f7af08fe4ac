// SPDX-License-Identifier: GPL-2.0

//! Command queue entries (IHI 0070, chapter 4 "Commands").
//!
//! Every command is 16 bytes, held here as two little-endian 64-bit words
//! `[u64; 2]`: word 0 holds bits `[63:0]` of the entry and word 1 holds bits
//! `[127:64]`. The opcode is always in word 0 bits `[7:0]`.
//!
//! [`Command`] is the typed form. [`Command::encode`] checks that every field
//! fits before producing the words, so a driver bug (for example a 21-bit
//! SubstreamID) is reported instead of silently invalidating the wrong
//! context. [`Command::decode`] is what the software model uses when it
//! consumes the queue: it rejects unknown opcodes and reserved field values
//! with a [`CmdError`], which the model reports as `CERROR_ILL`.
//!
//! Decoding only inspects the fields this module models; other bits, which
//! the specification makes RES0, are ignored.

use core::fmt;

use crate::hw::bits::{get, set};

/// Command opcodes, word 0 bits `[7:0]`, named as in IHI 0070 §4.
pub mod opcode {
    /// `CMD_PREFETCH_CONFIG`: prefetch the configuration of a stream.
    pub const CMD_PREFETCH_CONFIG: u8 = 0x01;
    /// `CMD_PREFETCH_ADDR`: prefetch translations for an address range.
    pub const CMD_PREFETCH_ADDR: u8 = 0x02;
    /// `CMD_CFGI_STE`: invalidate the cached STE of one StreamID.
    pub const CMD_CFGI_STE: u8 = 0x03;
    /// `CMD_CFGI_STE_RANGE`: invalidate cached STEs of a StreamID range
    /// (`CMD_CFGI_ALL` is this opcode with Range = 31).
    pub const CMD_CFGI_STE_RANGE: u8 = 0x04;
    /// `CMD_CFGI_CD`: invalidate one cached CD.
    pub const CMD_CFGI_CD: u8 = 0x05;
    /// `CMD_CFGI_CD_ALL`: invalidate all cached CDs of a StreamID.
    pub const CMD_CFGI_CD_ALL: u8 = 0x06;
    /// `CMD_TLBI_NH_ALL`: invalidate all non-hypervisor entries of a VMID.
    pub const CMD_TLBI_NH_ALL: u8 = 0x10;
    /// `CMD_TLBI_NH_ASID`: invalidate entries of an ASID within a VMID.
    pub const CMD_TLBI_NH_ASID: u8 = 0x11;
    /// `CMD_TLBI_NH_VA`: invalidate entries by VA, ASID and VMID.
    pub const CMD_TLBI_NH_VA: u8 = 0x12;
    /// `CMD_TLBI_NH_VAA`: invalidate entries by VA for all ASIDs of a VMID.
    pub const CMD_TLBI_NH_VAA: u8 = 0x13;
    /// `CMD_TLBI_EL3_ALL`: invalidate all EL3 entries (Secure queue only).
    pub const CMD_TLBI_EL3_ALL: u8 = 0x18;
    /// `CMD_TLBI_EL3_VA`: invalidate EL3 entries by VA (Secure queue only).
    pub const CMD_TLBI_EL3_VA: u8 = 0x1a;
    /// `CMD_TLBI_EL2_ALL`: invalidate all EL2 entries.
    pub const CMD_TLBI_EL2_ALL: u8 = 0x20;
    /// `CMD_TLBI_EL2_ASID`: invalidate EL2 entries of an ASID.
    pub const CMD_TLBI_EL2_ASID: u8 = 0x21;
    /// `CMD_TLBI_EL2_VA`: invalidate EL2 entries by VA and ASID.
    pub const CMD_TLBI_EL2_VA: u8 = 0x22;
    /// `CMD_TLBI_EL2_VAA`: invalidate EL2 entries by VA for all ASIDs.
    pub const CMD_TLBI_EL2_VAA: u8 = 0x23;
    /// `CMD_TLBI_S12_VMALL`: invalidate all stage 1 and 2 entries of a VMID.
    pub const CMD_TLBI_S12_VMALL: u8 = 0x28;
    /// `CMD_TLBI_S2_IPA`: invalidate stage 2 entries by IPA.
    pub const CMD_TLBI_S2_IPA: u8 = 0x2a;
    /// `CMD_TLBI_NSNH_ALL`: invalidate all Non-secure non-hypervisor entries.
    pub const CMD_TLBI_NSNH_ALL: u8 = 0x30;
    /// `CMD_ATC_INV`: send an ATS invalidation to an endpoint.
    pub const CMD_ATC_INV: u8 = 0x40;
    /// `CMD_PRI_RESP`: respond to a PRI page request group.
    pub const CMD_PRI_RESP: u8 = 0x41;
    /// `CMD_RESUME`: retry or terminate a stalled transaction.
    pub const CMD_RESUME: u8 = 0x44;
    /// `CMD_STALL_TERM`: terminate all stalled transactions of a StreamID.
    pub const CMD_STALL_TERM: u8 = 0x45;
    /// `CMD_SYNC`: completion barrier for preceding commands.
    pub const CMD_SYNC: u8 = 0x46;
}

/// Number of 64-bit words in a command.
pub const CMD_DWORDS: usize = 2;

/// `CMD_CFGI_STE_RANGE.Range` value that covers every StreamID; the command
/// with this value is called `CMD_CFGI_ALL`.
pub const CFGI_RANGE_ALL: u8 = 31;

/// `CMD_ATC_INV.Size` value used to invalidate the whole ATC of an endpoint
/// (a span of 2^52 4KB pages, i.e. the full 64-bit address space).
pub const ATC_INV_SIZE_ALL: u8 = 52;

// Word 0 fields shared by several commands.
/// SSec, word 0 bit 10 (Secure-queue-only StreamID security flag).
const W0_SSEC: u32 = 10;
/// SSV, word 0 bit 11.
const W0_SSV: u32 = 11;

/// Error from [`Command::encode`] or [`Command::decode`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmdError {
    /// Opcode not defined by the architecture (or not modelled here).
    UnknownOpcode(u8),
    /// SSec is 1; only the Secure command queue may set it.
    SecureOnly,
    /// A field holds a value the specification reserves.
    Reserved {
        /// Field name as in the specification.
        field: &'static str,
        /// Offending value.
        value: u64,
    },
    /// A field value does not fit the width of its encoding.
    OutOfRange {
        /// Field name as in the specification.
        field: &'static str,
        /// Offending value.
        value: u64,
    },
    /// An address has bits set below the field's lowest encoded bit.
    Misaligned {
        /// Field name as in the specification.
        field: &'static str,
        /// Offending value.
        value: u64,
    },
}

impl fmt::Display for CmdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            CmdError::UnknownOpcode(op) => write!(f, "unknown command opcode {op:#04x}"),
            CmdError::SecureOnly => f.write_str("SSec set in a Non-secure command"),
            CmdError::Reserved { field, value } => {
                write!(f, "reserved value {value:#x} in field {field}")
            }
            CmdError::OutOfRange { field, value } => {
                write!(f, "value {value:#x} does not fit field {field}")
            }
            CmdError::Misaligned { field, value } => {
                write!(f, "address {value:#x} misaligned for field {field}")
            }
        }
    }
}

/// Returns `Ok(value)` if `value` fits in `width` bits, else
/// [`CmdError::OutOfRange`].
fn check_width(field: &'static str, value: u64, width: u32) -> Result<u64, CmdError> {
    if width >= 64 || value >> width == 0 {
        Ok(value)
    } else {
        Err(CmdError::OutOfRange { field, value })
    }
}

/// Checks that `addr` only uses bits `hi..=lo`.
fn check_addr(field: &'static str, addr: u64, hi: u32, lo: u32) -> Result<u64, CmdError> {
    if addr & ((1u64 << lo) - 1) != 0 {
        return Err(CmdError::Misaligned { field, value: addr });
    }
    if hi < 63 && addr >> (hi + 1) != 0 {
        return Err(CmdError::OutOfRange { field, value: addr });
    }
    Ok(addr)
}

/// Translation granule of a range invalidation, the `TG` field of the TLBI
/// commands (word 1 bits `[11:10]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Granule {
    /// 4KB granule, TG = 0b01.
    Size4K,
    /// 16KB granule, TG = 0b10.
    Size16K,
    /// 64KB granule, TG = 0b11.
    Size64K,
}

impl Granule {
    /// All granules, smallest first.
    pub const ALL: [Granule; 3] = [Granule::Size4K, Granule::Size16K, Granule::Size64K];

    /// log2 of the granule size in bytes (12, 14 or 16).
    pub const fn shift(self) -> u32 {
        match self {
            Granule::Size4K => 12,
            Granule::Size16K => 14,
            Granule::Size64K => 16,
        }
    }

    /// Granule size in bytes.
    pub const fn bytes(self) -> u64 {
        1 << self.shift()
    }

    /// Encoding of the TG field.
    pub const fn tg(self) -> u64 {
        match self {
            Granule::Size4K => 1,
            Granule::Size16K => 2,
            Granule::Size64K => 3,
        }
    }

    /// Granule from a TG field value; `None` for 0 (not a range command).
    pub const fn from_tg(tg: u64) -> Option<Granule> {
        match tg {
            1 => Some(Granule::Size4K),
            2 => Some(Granule::Size16K),
            3 => Some(Granule::Size64K),
            _ => None,
        }
    }

    /// Granule from log2 of its size in bytes.
    pub const fn from_shift(shift: u32) -> Option<Granule> {
        match shift {
            12 => Some(Granule::Size4K),
            14 => Some(Granule::Size16K),
            16 => Some(Granule::Size64K),
            _ => None,
        }
    }
}

/// Range part of a TLBI-by-address command (SMMUv3.2 range invalidation,
/// `SMMU_IDR3.RIL`).
///
/// The command invalidates `(NUM + 1) << SCALE` granules starting at the
/// command's Address.
///
/// # Invariants
///
/// Once encoded, `ttl <= 3`, `scale <= 31`, `num <= 31`, and not all three
/// are zero (that combination is an invalid command; see
/// [`Command::encode`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TlbiRange {
    /// TG, word 1 bits `[11:10]`: granule the range is counted in.
    pub tg: Granule,
    /// TTL, word 1 bits `[9:8]`: level of the leaf entries to invalidate,
    /// 0 when unknown.
    pub ttl: u8,
    /// SCALE, word 0 bits `[24:20]`.
    pub scale: u8,
    /// NUM, word 0 bits `[16:12]`: number of `2^SCALE` granule blocks, minus 1.
    pub num: u8,
}

impl TlbiRange {
    /// Number of granules covered: `(NUM + 1) << SCALE`, saturating.
    pub fn granules(&self) -> u64 {
        let n = u64::from(self.num & 31) + 1;
        n.checked_shl(u32::from(self.scale & 31))
            .unwrap_or(u64::MAX)
    }

    /// Number of bytes covered, saturating at `u64::MAX`.
    pub fn bytes(&self) -> u64 {
        let g = self.granules();
        if g.leading_zeros() < self.tg.shift() {
            u64::MAX
        } else {
            g << self.tg.shift()
        }
    }
}

/// Address part shared by the TLBI-by-address commands (`TLBI_NH_VA`,
/// `TLBI_NH_VAA`, `TLBI_EL2_VA`, `TLBI_EL2_VAA`, `TLBI_EL3_VA`,
/// `TLBI_S2_IPA`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TlbiVa {
    /// Address, word 1 bits `[63:12]` (`[51:12]` for `TLBI_S2_IPA`); the
    /// value is a byte address whose low 12 bits must be zero.
    pub addr: u64,
    /// Leaf, word 1 bit 0: only invalidate last-level (leaf) entries.
    pub leaf: bool,
    /// Range invalidation fields; `None` encodes TG = 0, a single-address
    /// invalidation.
    pub range: Option<TlbiRange>,
}

impl TlbiVa {
    /// Single-address invalidation of `addr` (TG = 0).
    pub const fn single(addr: u64, leaf: bool) -> TlbiVa {
        TlbiVa {
            addr,
            leaf,
            range: None,
        }
    }

    fn encode(
        &self,
        w: &mut [u64; 2],
        addr_hi: u32,
        addr_field: &'static str,
    ) -> Result<(), CmdError> {
        let addr = check_addr(addr_field, self.addr, addr_hi, 12)?;
        w[1] |= addr;
        w[1] = set(w[1], 0, 0, u64::from(self.leaf));
        if let Some(r) = self.range {
            let ttl = check_width("TTL", u64::from(r.ttl), 2)?;
            let scale = check_width("SCALE", u64::from(r.scale), 5)?;
            let num = check_width("NUM", u64::from(r.num), 5)?;
            if ttl == 0 && scale == 0 && num == 0 {
                return Err(CmdError::Reserved {
                    field: "TTL/SCALE/NUM",
                    value: 0,
                });
            }
            w[0] = set(w[0], 16, 12, num);
            w[0] = set(w[0], 24, 20, scale);
            w[1] = set(w[1], 9, 8, ttl);
            w[1] = set(w[1], 11, 10, r.tg.tg());
        }
        Ok(())
    }

    fn decode(w: &[u64; 2], addr_hi: u32) -> Result<TlbiVa, CmdError> {
        let range = match Granule::from_tg(get(w[1], 11, 10)) {
            None => None,
            Some(tg) => {
                let r = TlbiRange {
                    tg,
                    ttl: get(w[1], 9, 8) as u8,
                    scale: get(w[0], 24, 20) as u8,
                    num: get(w[0], 16, 12) as u8,
                };
                if r.ttl == 0 && r.scale == 0 && r.num == 0 {
                    return Err(CmdError::Reserved {
                        field: "TTL/SCALE/NUM",
                        value: 0,
                    });
                }
                Some(r)
            }
        };
        Ok(TlbiVa {
            addr: w[1] & crate::hw::bits::genmask(addr_hi, 12),
            leaf: get(w[1], 0, 0) != 0,
            range,
        })
    }
}

/// Completion signal of `CMD_SYNC`, the CS field (word 0 bits `[13:12]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SyncCs {
    /// CS = 0b00 (SIG_NONE): completion only visible through CONS.
    None,
    /// CS = 0b01 (SIG_IRQ): write MSIData to MSIAddress on completion.
    Irq,
    /// CS = 0b10 (SIG_SEV): send a WFE wake-up event on completion.
    Sev,
}

/// Fields of `CMD_SYNC`.
///
/// # Invariants
///
/// Once encoded, `msh <= 3`, `msi_attr <= 15`, and `msi_addr` is 4-byte
/// aligned and below 2^52.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SyncCmd {
    /// CS, word 0 bits `[13:12]`.
    pub cs: SyncCs,
    /// MSH, word 0 bits `[23:22]`: shareability of the MSI write.
    pub msh: u8,
    /// MSIAttr, word 0 bits `[27:24]`: memory type of the MSI write.
    pub msi_attr: u8,
    /// MSIData, word 0 bits `[63:32]`.
    pub msi_data: u32,
    /// MSIAddress, word 1 bits `[51:2]`, as a byte address.
    pub msi_addr: u64,
}

impl SyncCmd {
    /// Inner Shareable, the MSH value the driver uses.
    pub const MSH_ISH: u8 = 3;
    /// Normal Inner/Outer Write-Back cacheable, the MSIAttr value the driver
    /// uses.
    pub const MSIATTR_OIWB: u8 = 0xf;

    /// `CMD_SYNC` completing with an event (CS = SIG_SEV).
    pub const fn sev() -> SyncCmd {
        SyncCmd {
            cs: SyncCs::Sev,
            msh: Self::MSH_ISH,
            msi_attr: Self::MSIATTR_OIWB,
            msi_data: 0,
            msi_addr: 0,
        }
    }

    /// `CMD_SYNC` without a completion signal (CS = SIG_NONE).
    pub const fn none() -> SyncCmd {
        SyncCmd {
            cs: SyncCs::None,
            msh: 0,
            msi_attr: 0,
            msi_data: 0,
            msi_addr: 0,
        }
    }

    /// `CMD_SYNC` completing with a write of `data` to `addr` (CS = SIG_IRQ);
    /// pointing `addr` at the command itself gives MSI-based polling.
    pub const fn msi(addr: u64, data: u32) -> SyncCmd {
        SyncCmd {
            cs: SyncCs::Irq,
            msh: Self::MSH_ISH,
            msi_attr: Self::MSIATTR_OIWB,
            msi_data: data,
            msi_addr: addr,
        }
    }
}

/// Response code of `CMD_PRI_RESP`, the Resp field (word 1 bits `[13:12]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PriResp {
    /// Resp = 0b00, DENY: the request is refused ("Invalid Request" in PCIe).
    Deny,
    /// Resp = 0b01, FAIL: catastrophic failure; the function stops issuing
    /// page requests ("Response Failure" in PCIe).
    Fail,
    /// Resp = 0b10, SUCC: pages are now resident ("Success" in PCIe).
    Success,
}

impl PriResp {
    /// Field encoding.
    pub const fn bits(self) -> u64 {
        match self {
            PriResp::Deny => 0,
            PriResp::Fail => 1,
            PriResp::Success => 2,
        }
    }
}

/// Action of `CMD_RESUME`, the Ac (word 0 bit 12) and Ab (word 0 bit 13)
/// fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResumeAction {
    /// Ac = 0, Ab = 0: terminate the transaction; reads return zero and
    /// writes are ignored (RAZ/WI).
    Terminate,
    /// Ac = 1: retry the transaction with the (now updated) configuration
    /// and translations. Ab is ignored.
    Retry,
    /// Ac = 0, Ab = 1: terminate the transaction with an abort to the client.
    Abort,
}

/// A typed command queue entry.
///
/// StreamIDs are 32 bits (word 0 bits `[63:32]`); SubstreamIDs are 20 bits
/// (word 0 bits `[31:12]`). An `Option<u32>` SubstreamID encodes SSV (word 0
/// bit 11): `None` is SSV = 0.
///
/// # Invariants
///
/// [`Command::encode`] enforces the field widths documented on each
/// variant; [`Command::decode`] only produces values within them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Command {
    /// `CMD_PREFETCH_CONFIG` (0x01): StreamID, SSV, SubstreamID.
    PrefetchConfig {
        /// StreamID, word 0 bits `[63:32]`.
        sid: u32,
        /// SubstreamID, word 0 bits `[31:12]`, with SSV (bit 11).
        ssid: Option<u32>,
    },
    /// `CMD_PREFETCH_ADDR` (0x02): StreamID, SSV, SubstreamID, Size,
    /// Address. (The Stride and NS fields are not modelled and encode as 0.)
    PrefetchAddr {
        /// StreamID, word 0 bits `[63:32]`.
        sid: u32,
        /// SubstreamID, word 0 bits `[31:12]`, with SSV (bit 11).
        ssid: Option<u32>,
        /// Size, word 1 bits `[4:0]`: log2 of the number of 4KB pages.
        size: u8,
        /// Address, word 1 bits `[63:12]`.
        addr: u64,
    },
    /// `CMD_CFGI_STE` (0x03): StreamID, Leaf.
    CfgiSte {
        /// StreamID, word 0 bits `[63:32]`.
        sid: u32,
        /// Leaf, word 1 bit 0: only the STE itself, not L1STD pointers.
        leaf: bool,
    },
    /// `CMD_CFGI_STE_RANGE` (0x04) with Range below 31: invalidates STEs of
    /// StreamIDs `sid` with the low `Range + 1` bits ignored.
    CfgiSteRange {
        /// StreamID, word 0 bits `[63:32]`.
        sid: u32,
        /// Range, word 1 bits `[4:0]`; must be at most 30 (31 is
        /// [`Command::CfgiAll`]).
        range: u8,
    },
    /// `CMD_CFGI_ALL`: `CMD_CFGI_STE_RANGE` (0x04) with Range = 31, which
    /// invalidates every cached STE and CD.
    CfgiAll,
    /// `CMD_CFGI_CD` (0x05): StreamID, SubstreamID, Leaf. The command has
    /// no SSV; a stream without substreams uses SubstreamID 0.
    CfgiCd {
        /// StreamID, word 0 bits `[63:32]`.
        sid: u32,
        /// SubstreamID, word 0 bits `[31:12]`.
        ssid: u32,
        /// Leaf, word 1 bit 0: only the CD itself, not L1CD pointers.
        leaf: bool,
    },
    /// `CMD_CFGI_CD_ALL` (0x06): StreamID.
    CfgiCdAll {
        /// StreamID, word 0 bits `[63:32]`.
        sid: u32,
    },
    /// `CMD_TLBI_NH_ALL` (0x10): VMID.
    TlbiNhAll {
        /// VMID, word 0 bits `[47:32]`.
        vmid: u16,
    },
    /// `CMD_TLBI_NH_ASID` (0x11): VMID, ASID.
    TlbiNhAsid {
        /// VMID, word 0 bits `[47:32]`.
        vmid: u16,
        /// ASID, word 0 bits `[63:48]`.
        asid: u16,
    },
    /// `CMD_TLBI_NH_VA` (0x12): VMID, ASID, NUM, SCALE, Leaf, TTL, TG,
    /// `Address[63:12]`.
    TlbiNhVa {
        /// VMID, word 0 bits `[47:32]`.
        vmid: u16,
        /// ASID, word 0 bits `[63:48]`.
        asid: u16,
        /// Address and range fields.
        va: TlbiVa,
    },
    /// `CMD_TLBI_NH_VAA` (0x13): VMID, NUM, SCALE, Leaf, TTL, TG,
    /// `Address[63:12]`, for all ASIDs.
    TlbiNhVaa {
        /// VMID, word 0 bits `[47:32]`.
        vmid: u16,
        /// Address and range fields.
        va: TlbiVa,
    },
    /// `CMD_TLBI_EL3_ALL` (0x18), Secure command queue only.
    TlbiEl3All,
    /// `CMD_TLBI_EL3_VA` (0x1a): NUM, SCALE, Leaf, TTL, TG, `Address[63:12]`;
    /// Secure command queue only.
    TlbiEl3Va {
        /// Address and range fields.
        va: TlbiVa,
    },
    /// `CMD_TLBI_EL2_ALL` (0x20).
    TlbiEl2All,
    /// `CMD_TLBI_EL2_ASID` (0x21): ASID.
    TlbiEl2Asid {
        /// ASID, word 0 bits `[63:48]`.
        asid: u16,
    },
    /// `CMD_TLBI_EL2_VA` (0x22): ASID, NUM, SCALE, Leaf, TTL, TG,
    /// `Address[63:12]`.
    TlbiEl2Va {
        /// ASID, word 0 bits `[63:48]`.
        asid: u16,
        /// Address and range fields.
        va: TlbiVa,
    },
    /// `CMD_TLBI_EL2_VAA` (0x23): NUM, SCALE, Leaf, TTL, TG,
    /// `Address[63:12]`, for all ASIDs.
    TlbiEl2Vaa {
        /// Address and range fields.
        va: TlbiVa,
    },
    /// `CMD_TLBI_S12_VMALL` (0x28): VMID.
    TlbiS12Vmall {
        /// VMID, word 0 bits `[47:32]`.
        vmid: u16,
    },
    /// `CMD_TLBI_S2_IPA` (0x2a): VMID, NUM, SCALE, Leaf, TTL, TG,
    /// `Address[51:12]` (an IPA).
    TlbiS2Ipa {
        /// VMID, word 0 bits `[47:32]`.
        vmid: u16,
        /// IPA and range fields; the address must be below 2^52.
        ipa: TlbiVa,
    },
    /// `CMD_TLBI_NSNH_ALL` (0x30).
    TlbiNsnhAll,
    /// `CMD_ATC_INV` (0x40): SSV, Global, SubstreamID, StreamID, Size,
    /// `Address[63:12]`.
    AtcInv {
        /// StreamID, word 0 bits `[63:32]`.
        sid: u32,
        /// SubstreamID, word 0 bits `[31:12]`, with SSV (bit 11). Without
        /// SSV the ATS invalidation carries no PASID and hits every entry of
        /// the range, PASID-tagged or not.
        ssid: Option<u32>,
        /// Global, word 0 bit 9: also invalidate global entries of every
        /// PASID (only meaningful with a SubstreamID).
        global: bool,
        /// Size, word 1 bits `[5:0]`: the span is `2^Size` 4KB pages;
        /// [`ATC_INV_SIZE_ALL`] invalidates everything.
        size: u8,
        /// Address, word 1 bits `[63:12]`; must be aligned to the span.
        addr: u64,
    },
    /// `CMD_PRI_RESP` (0x41): SSV, SubstreamID, StreamID, PRGI, Resp.
    PriResp {
        /// StreamID, word 0 bits `[63:32]`.
        sid: u32,
        /// SubstreamID, word 0 bits `[31:12]`, with SSV (bit 11).
        ssid: Option<u32>,
        /// PRGI (page request group index), word 1 bits `[8:0]`.
        prgi: u16,
        /// Resp, word 1 bits `[13:12]`.
        resp: PriResp,
    },
    /// `CMD_RESUME` (0x44): StreamID, Ac/Ab action, STAG.
    Resume {
        /// StreamID, word 0 bits `[63:32]`.
        sid: u32,
        /// STAG, word 1 bits `[15:0]`: the stall tag from the fault event.
        stag: u16,
        /// Ac (word 0 bit 12) and Ab (word 0 bit 13).
        action: ResumeAction,
    },
    /// `CMD_STALL_TERM` (0x45): StreamID.
    StallTerm {
        /// StreamID, word 0 bits `[63:32]`.
        sid: u32,
    },
    /// `CMD_SYNC` (0x46): CS, MSH, MSIAttr, MSIData, MSIAddress.
    Sync(SyncCmd),
}

/// Writes SSV and SubstreamID into word 0.
fn put_ssid(w0: u64, ssid: Option<u32>) -> Result<u64, CmdError> {
    match ssid {
        None => Ok(w0),
        Some(id) => {
            let id = check_width("SubstreamID", u64::from(id), 20)?;
            Ok(set(set(w0, W0_SSV, W0_SSV, 1), 31, 12, id))
        }
    }
}

/// Reads SSV and SubstreamID from word 0.
fn get_ssid(w0: u64) -> Option<u32> {
    if get(w0, W0_SSV, W0_SSV) != 0 {
        Some(get(w0, 31, 12) as u32)
    } else {
        None
    }
}

/// StreamID of word 0.
fn get_sid(w0: u64) -> u32 {
    get(w0, 63, 32) as u32
}

impl Command {
    /// The opcode this command encodes to.
    pub const fn opcode(&self) -> u8 {
        use opcode::*;
        match self {
            Command::PrefetchConfig { .. } => CMD_PREFETCH_CONFIG,
            Command::PrefetchAddr { .. } => CMD_PREFETCH_ADDR,
            Command::CfgiSte { .. } => CMD_CFGI_STE,
            Command::CfgiSteRange { .. } | Command::CfgiAll => CMD_CFGI_STE_RANGE,
            Command::CfgiCd { .. } => CMD_CFGI_CD,
            Command::CfgiCdAll { .. } => CMD_CFGI_CD_ALL,
            Command::TlbiNhAll { .. } => CMD_TLBI_NH_ALL,
            Command::TlbiNhAsid { .. } => CMD_TLBI_NH_ASID,
            Command::TlbiNhVa { .. } => CMD_TLBI_NH_VA,
            Command::TlbiNhVaa { .. } => CMD_TLBI_NH_VAA,
            Command::TlbiEl3All => CMD_TLBI_EL3_ALL,
            Command::TlbiEl3Va { .. } => CMD_TLBI_EL3_VA,
            Command::TlbiEl2All => CMD_TLBI_EL2_ALL,
            Command::TlbiEl2Asid { .. } => CMD_TLBI_EL2_ASID,
            Command::TlbiEl2Va { .. } => CMD_TLBI_EL2_VA,
            Command::TlbiEl2Vaa { .. } => CMD_TLBI_EL2_VAA,
            Command::TlbiS12Vmall { .. } => CMD_TLBI_S12_VMALL,
            Command::TlbiS2Ipa { .. } => CMD_TLBI_S2_IPA,
            Command::TlbiNsnhAll => CMD_TLBI_NSNH_ALL,
            Command::AtcInv { .. } => CMD_ATC_INV,
            Command::PriResp { .. } => CMD_PRI_RESP,
            Command::Resume { .. } => CMD_RESUME,
            Command::StallTerm { .. } => CMD_STALL_TERM,
            Command::Sync(_) => CMD_SYNC,
        }
    }

    /// Specification name of the command, e.g. `"CMD_TLBI_NH_VA"`.
    pub const fn name(&self) -> &'static str {
        match self {
            Command::PrefetchConfig { .. } => "CMD_PREFETCH_CONFIG",
            Command::PrefetchAddr { .. } => "CMD_PREFETCH_ADDR",
            Command::CfgiSte { .. } => "CMD_CFGI_STE",
            Command::CfgiSteRange { .. } => "CMD_CFGI_STE_RANGE",
            Command::CfgiAll => "CMD_CFGI_ALL",
            Command::CfgiCd { .. } => "CMD_CFGI_CD",
            Command::CfgiCdAll { .. } => "CMD_CFGI_CD_ALL",
            Command::TlbiNhAll { .. } => "CMD_TLBI_NH_ALL",
            Command::TlbiNhAsid { .. } => "CMD_TLBI_NH_ASID",
            Command::TlbiNhVa { .. } => "CMD_TLBI_NH_VA",
            Command::TlbiNhVaa { .. } => "CMD_TLBI_NH_VAA",
            Command::TlbiEl3All => "CMD_TLBI_EL3_ALL",
            Command::TlbiEl3Va { .. } => "CMD_TLBI_EL3_VA",
            Command::TlbiEl2All => "CMD_TLBI_EL2_ALL",
            Command::TlbiEl2Asid { .. } => "CMD_TLBI_EL2_ASID",
            Command::TlbiEl2Va { .. } => "CMD_TLBI_EL2_VA",
            Command::TlbiEl2Vaa { .. } => "CMD_TLBI_EL2_VAA",
            Command::TlbiS12Vmall { .. } => "CMD_TLBI_S12_VMALL",
            Command::TlbiS2Ipa { .. } => "CMD_TLBI_S2_IPA",
            Command::TlbiNsnhAll => "CMD_TLBI_NSNH_ALL",
            Command::AtcInv { .. } => "CMD_ATC_INV",
            Command::PriResp { .. } => "CMD_PRI_RESP",
            Command::Resume { .. } => "CMD_RESUME",
            Command::StallTerm { .. } => "CMD_STALL_TERM",
            Command::Sync(_) => "CMD_SYNC",
        }
    }

    /// Encodes the command into its two 64-bit words.
    ///
    /// Fails if a field does not fit its encoding, an address is not
    /// aligned to its field, or the command would be invalid (a range TLBI
    /// with TTL, SCALE and NUM all zero; `CMD_CFGI_STE_RANGE` with Range 31,
    /// which must be written as [`Command::CfgiAll`]).
    pub fn encode(&self) -> Result<[u64; 2], CmdError> {
        let mut w = [u64::from(self.opcode()), 0u64];
        let sid_w0 = |w0: u64, sid: u32| set(w0, 63, 32, u64::from(sid));
        let vmid_w0 = |w0: u64, vmid: u16| set(w0, 47, 32, u64::from(vmid));
        let asid_w0 = |w0: u64, asid: u16| set(w0, 63, 48, u64::from(asid));
        match *self {
            Command::PrefetchConfig { sid, ssid } => {
                w[0] = put_ssid(sid_w0(w[0], sid), ssid)?;
            }
            Command::PrefetchAddr {
                sid,
                ssid,
                size,
                addr,
            } => {
                w[0] = put_ssid(sid_w0(w[0], sid), ssid)?;
                w[1] = check_width("Size", u64::from(size), 5)?;
                w[1] |= check_addr("Address", addr, 63, 12)?;
            }
            Command::CfgiSte { sid, leaf } => {
                w[0] = sid_w0(w[0], sid);
                w[1] = u64::from(leaf);
            }
            Command::CfgiSteRange { sid, range } => {
                if range >= CFGI_RANGE_ALL {
                    return Err(CmdError::OutOfRange {
                        field: "Range",
                        value: u64::from(range),
                    });
                }
                w[0] = sid_w0(w[0], sid);
                w[1] = u64::from(range);
            }
            Command::CfgiAll => {
                w[1] = u64::from(CFGI_RANGE_ALL);
            }
            Command::CfgiCd { sid, ssid, leaf } => {
                let ssid = check_width("SubstreamID", u64::from(ssid), 20)?;
                w[0] = set(sid_w0(w[0], sid), 31, 12, ssid);
                w[1] = u64::from(leaf);
            }
            Command::CfgiCdAll { sid } => w[0] = sid_w0(w[0], sid),
            Command::TlbiNhAll { vmid } | Command::TlbiS12Vmall { vmid } => {
                w[0] = vmid_w0(w[0], vmid)
            }
            Command::TlbiNhAsid { vmid, asid } => w[0] = asid_w0(vmid_w0(w[0], vmid), asid),
            Command::TlbiNhVa { vmid, asid, va } => {
                w[0] = asid_w0(vmid_w0(w[0], vmid), asid);
                va.encode(&mut w, 63, "Address")?;
            }
            Command::TlbiNhVaa { vmid, va } => {
                w[0] = vmid_w0(w[0], vmid);
                va.encode(&mut w, 63, "Address")?;
            }
            Command::TlbiEl3All | Command::TlbiEl2All | Command::TlbiNsnhAll => {}
            Command::TlbiEl3Va { va } | Command::TlbiEl2Vaa { va } => {
                va.encode(&mut w, 63, "Address")?
            }
            Command::TlbiEl2Asid { asid } => w[0] = asid_w0(w[0], asid),
            Command::TlbiEl2Va { asid, va } => {
                w[0] = asid_w0(w[0], asid);
                va.encode(&mut w, 63, "Address")?;
            }
            Command::TlbiS2Ipa { vmid, ipa } => {
                w[0] = vmid_w0(w[0], vmid);
                ipa.encode(&mut w, 51, "IPA")?;
            }
            Command::AtcInv {
                sid,
                ssid,
                global,
                size,
                addr,
            } => {
                w[0] = put_ssid(sid_w0(w[0], sid), ssid)?;
                w[0] = set(w[0], 9, 9, u64::from(global));
                let size = check_width("Size", u64::from(size), 6)?;
                let align = if size >= u64::from(ATC_INV_SIZE_ALL) {
                    12
                } else {
                    12 + size as u32
                };
                let addr = check_addr("Address", addr, 63, align)?;
                w[1] = size | addr;
            }
            Command::PriResp {
                sid,
                ssid,
                prgi,
                resp,
            } => {
                w[0] = put_ssid(sid_w0(w[0], sid), ssid)?;
                let prgi = check_width("PRGI", u64::from(prgi), 9)?;
                w[1] = set(prgi, 13, 12, resp.bits());
            }
            Command::Resume { sid, stag, action } => {
                w[0] = sid_w0(w[0], sid);
                let (ac, ab) = match action {
                    ResumeAction::Terminate => (0, 0),
                    ResumeAction::Retry => (1, 0),
                    ResumeAction::Abort => (0, 1),
                };
                w[0] = set(set(w[0], 12, 12, ac), 13, 13, ab);
                w[1] = u64::from(stag);
            }
            Command::StallTerm { sid } => w[0] = sid_w0(w[0], sid),
            Command::Sync(s) => {
                let cs = match s.cs {
                    SyncCs::None => 0,
                    SyncCs::Irq => 1,
                    SyncCs::Sev => 2,
                };
                let msh = check_width("MSH", u64::from(s.msh), 2)?;
                let attr = check_width("MSIAttr", u64::from(s.msi_attr), 4)?;
                w[0] = set(w[0], 13, 12, cs);
                w[0] = set(w[0], 23, 22, msh);
                w[0] = set(w[0], 27, 24, attr);
                w[0] = set(w[0], 63, 32, u64::from(s.msi_data));
                w[1] = check_addr("MSIAddress", s.msi_addr, 51, 2)?;
            }
        }
        Ok(w)
    }

    /// Decodes a command as the SMMU would when consuming it from a
    /// Non-secure command queue.
    ///
    /// Accepts any bit pattern without panicking. Errors are exactly the
    /// conditions under which the model should report `CERROR_ILL`: an
    /// unknown opcode, SSec set, or a reserved value in CS, Resp, or a
    /// range TLBI with TTL, SCALE and NUM all zero.
    pub fn decode(w: [u64; 2]) -> Result<Command, CmdError> {
        use opcode::*;
        let op = get(w[0], 7, 0) as u8;
        let sid = get_sid(w[0]);
        let vmid = get(w[0], 47, 32) as u16;
        let asid = get(w[0], 63, 48) as u16;
        let has_ssec = matches!(
            op,
            CMD_PREFETCH_CONFIG
                | CMD_PREFETCH_ADDR
                | CMD_CFGI_STE
                | CMD_CFGI_STE_RANGE
                | CMD_CFGI_CD
                | CMD_CFGI_CD_ALL
                | CMD_RESUME
                | CMD_STALL_TERM
        );
        if has_ssec && get(w[0], W0_SSEC, W0_SSEC) != 0 {
            return Err(CmdError::SecureOnly);
        }
        let cmd = match op {
            CMD_PREFETCH_CONFIG => Command::PrefetchConfig {
                sid,
                ssid: get_ssid(w[0]),
            },
            CMD_PREFETCH_ADDR => Command::PrefetchAddr {
                sid,
                ssid: get_ssid(w[0]),
                size: get(w[1], 4, 0) as u8,
                addr: w[1] & crate::hw::bits::genmask(63, 12),
            },
            CMD_CFGI_STE => Command::CfgiSte {
                sid,
                leaf: get(w[1], 0, 0) != 0,
            },
            CMD_CFGI_STE_RANGE => {
                let range = get(w[1], 4, 0) as u8;
                if range == CFGI_RANGE_ALL {
                    Command::CfgiAll
                } else {
                    Command::CfgiSteRange { sid, range }
                }
            }
            CMD_CFGI_CD => Command::CfgiCd {
                sid,
                ssid: get(w[0], 31, 12) as u32,
                leaf: get(w[1], 0, 0) != 0,
            },
            CMD_CFGI_CD_ALL => Command::CfgiCdAll { sid },
            CMD_TLBI_NH_ALL => Command::TlbiNhAll { vmid },
            CMD_TLBI_NH_ASID => Command::TlbiNhAsid { vmid, asid },
            CMD_TLBI_NH_VA => Command::TlbiNhVa {
                vmid,
                asid,
                va: TlbiVa::decode(&w, 63)?,
            },
            CMD_TLBI_NH_VAA => Command::TlbiNhVaa {
                vmid,
                va: TlbiVa::decode(&w, 63)?,
            },
            CMD_TLBI_EL3_ALL => Command::TlbiEl3All,
            CMD_TLBI_EL3_VA => Command::TlbiEl3Va {
                va: TlbiVa::decode(&w, 63)?,
            },
            CMD_TLBI_EL2_ALL => Command::TlbiEl2All,
            CMD_TLBI_EL2_ASID => Command::TlbiEl2Asid { asid },
            CMD_TLBI_EL2_VA => Command::TlbiEl2Va {
                asid,
                va: TlbiVa::decode(&w, 63)?,
            },
            CMD_TLBI_EL2_VAA => Command::TlbiEl2Vaa {
                va: TlbiVa::decode(&w, 63)?,
            },
            CMD_TLBI_S12_VMALL => Command::TlbiS12Vmall { vmid },
            CMD_TLBI_S2_IPA => Command::TlbiS2Ipa {
                vmid,
                ipa: TlbiVa::decode(&w, 51)?,
            },
            CMD_TLBI_NSNH_ALL => Command::TlbiNsnhAll,
            CMD_ATC_INV => {
                let size = get(w[1], 5, 0) as u8;
                Command::AtcInv {
                    sid,
                    ssid: get_ssid(w[0]),
                    global: get(w[0], 9, 9) != 0,
                    size,
                    // The SMMU ignores address bits below the span.
                    addr: w[1] & atc_span_mask(size),
                }
            }
            CMD_PRI_RESP => {
                let resp = match get(w[1], 13, 12) {
                    0 => PriResp::Deny,
                    1 => PriResp::Fail,
                    2 => PriResp::Success,
                    v => {
                        return Err(CmdError::Reserved {
                            field: "Resp",
                            value: v,
                        })
                    }
                };
                Command::PriResp {
                    sid,
                    ssid: get_ssid(w[0]),
                    prgi: get(w[1], 8, 0) as u16,
                    resp,
                }
            }
            CMD_RESUME => {
                let action = if get(w[0], 12, 12) != 0 {
                    ResumeAction::Retry
                } else if get(w[0], 13, 13) != 0 {
                    ResumeAction::Abort
                } else {
                    ResumeAction::Terminate
                };
                Command::Resume {
                    sid,
                    stag: get(w[1], 15, 0) as u16,
                    action,
                }
            }
            CMD_STALL_TERM => Command::StallTerm { sid },
            CMD_SYNC => {
                let cs = match get(w[0], 13, 12) {
                    0 => SyncCs::None,
                    1 => SyncCs::Irq,
                    2 => SyncCs::Sev,
                    v => {
                        return Err(CmdError::Reserved {
                            field: "CS",
                            value: v,
                        })
                    }
                };
                Command::Sync(SyncCmd {
                    cs,
                    msh: get(w[0], 23, 22) as u8,
                    msi_attr: get(w[0], 27, 24) as u8,
                    msi_data: get(w[0], 63, 32) as u32,
                    msi_addr: w[1] & crate::hw::bits::genmask(51, 2),
                })
            }
            other => return Err(CmdError::UnknownOpcode(other)),
        };
        Ok(cmd)
    }
}

/// Address mask of `CMD_ATC_INV` for a given Size: bits `[63:12+Size]`, or
/// zero when Size covers the whole address space.
fn atc_span_mask(size: u8) -> u64 {
    let shift = 12u32.saturating_add(u32::from(size));
    u64::MAX.checked_shl(shift).unwrap_or(0)
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())?;
        let ssid = |f: &mut fmt::Formatter<'_>, s: Option<u32>| match s {
            Some(s) => write!(f, " ssid {s:#x}"),
            None => Ok(()),
        };
        let va = |f: &mut fmt::Formatter<'_>, v: &TlbiVa| {
            write!(f, " addr {:#x}", v.addr)?;
            if v.leaf {
                f.write_str(" leaf")?;
            }
            if let Some(r) = v.range {
                write!(
                    f,
                    " tg {}K ttl {} scale {} num {} ({} granules)",
                    r.tg.bytes() >> 10,
                    r.ttl,
                    r.scale,
                    r.num,
                    r.granules()
                )?;
            }
            Ok(())
        };
        match self {
            Command::PrefetchConfig { sid, ssid: s } => {
                write!(f, " sid {sid:#x}")?;
                ssid(f, *s)
            }
            Command::PrefetchAddr {
                sid,
                ssid: s,
                size,
                addr,
            } => {
                write!(f, " sid {sid:#x}")?;
                ssid(f, *s)?;
                write!(f, " addr {addr:#x} size {size}")
            }
            Command::CfgiSte { sid, leaf } => write!(f, " sid {sid:#x} leaf {}", *leaf as u8),
            Command::CfgiSteRange { sid, range } => write!(f, " sid {sid:#x} range {range}"),
            Command::CfgiAll | Command::TlbiEl3All | Command::TlbiEl2All | Command::TlbiNsnhAll => {
                Ok(())
            }
            Command::CfgiCd { sid, ssid: s, leaf } => {
                write!(f, " sid {sid:#x} ssid {s:#x} leaf {}", *leaf as u8)
            }
            Command::CfgiCdAll { sid } | Command::StallTerm { sid } => write!(f, " sid {sid:#x}"),
            Command::TlbiNhAll { vmid } | Command::TlbiS12Vmall { vmid } => {
                write!(f, " vmid {vmid}")
            }
            Command::TlbiNhAsid { vmid, asid } => write!(f, " vmid {vmid} asid {asid}"),
            Command::TlbiNhVa { vmid, asid, va: v } => {
                write!(f, " vmid {vmid} asid {asid}")?;
                va(f, v)
            }
            Command::TlbiNhVaa { vmid, va: v } | Command::TlbiS2Ipa { vmid, ipa: v } => {
                write!(f, " vmid {vmid}")?;
                va(f, v)
            }
            Command::TlbiEl3Va { va: v } | Command::TlbiEl2Vaa { va: v } => va(f, v),
            Command::TlbiEl2Asid { asid } => write!(f, " asid {asid}"),
            Command::TlbiEl2Va { asid, va: v } => {
                write!(f, " asid {asid}")?;
                va(f, v)
            }
            Command::AtcInv {
                sid,
                ssid: s,
                global,
                size,
                addr,
            } => {
                write!(f, " sid {sid:#x}")?;
                ssid(f, *s)?;
                if *global {
                    f.write_str(" global")?;
                }
                if *size >= ATC_INV_SIZE_ALL {
                    f.write_str(" all")
                } else {
                    write!(f, " addr {addr:#x} size {size}")
                }
            }
            Command::PriResp {
                sid,
                ssid: s,
                prgi,
                resp,
            } => {
                write!(f, " sid {sid:#x}")?;
                ssid(f, *s)?;
                let r = match resp {
                    PriResp::Deny => "deny",
                    PriResp::Fail => "fail",
                    PriResp::Success => "success",
                };
                write!(f, " prgi {prgi} {r}")
            }
            Command::Resume { sid, stag, action } => {
                let a = match action {
                    ResumeAction::Terminate => "terminate",
                    ResumeAction::Retry => "retry",
                    ResumeAction::Abort => "abort",
                };
                write!(f, " sid {sid:#x} stag {stag:#x} {a}")
            }
            Command::Sync(s) => match s.cs {
                SyncCs::None => f.write_str(" cs none"),
                SyncCs::Sev => f.write_str(" cs sev"),
                SyncCs::Irq => write!(f, " cs irq msi {:#x} data {:#x}", s.msi_addr, s.msi_data),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nh_asid_and_va_opcodes() {
        // Pitfall seen in other drivers: these two are 0x11 and 0x12.
        let c = Command::TlbiNhAsid { vmid: 0, asid: 1 };
        assert_eq!(c.encode().unwrap()[0] & 0xff, 0x11);
        let c = Command::TlbiNhVa {
            vmid: 0,
            asid: 1,
            va: TlbiVa::single(0x1000, true),
        };
        assert_eq!(c.encode().unwrap()[0] & 0xff, 0x12);
    }

    #[test]
    fn cfgi_all_is_range_31() {
        assert_eq!(Command::CfgiAll.encode().unwrap(), [0x04, 31]);
        assert_eq!(Command::decode([0x04, 31]), Ok(Command::CfgiAll));
    }
}
