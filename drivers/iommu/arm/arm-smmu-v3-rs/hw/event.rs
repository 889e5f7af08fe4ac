// SPDX-License-Identifier: GPL-2.0

//! Event queue records (IHI 0070 §7.3).
//!
//! An event record is 32 bytes, held as four little-endian 64-bit words
//! `[u64; 4]`; word `n` holds record bits `[64n+63:64n]`. Field positions
//! below are given as "word N bits `[hi:lo]`" with the record bit range in
//! parentheses where it helps cross-checking against the specification's
//! diagrams.
//!
//! Fields common to most records:
//!
//! * event number, word 0 bits `[7:0]`;
//! * SSV, word 0 bit 11, and SubstreamID, word 0 bits `[31:12]`, modelled as
//!   `Option<u32>` (a SubstreamID is UNKNOWN when SSV is 0);
//! * StreamID, word 0 bits `[63:32]`;
//! * the translation fault attributes in word 1: STAG `[15:0]`, Stall 31,
//!   NSIPA 32, PnU 33, InD 34, RnW 35, S2 39, CLASS `[41:40]`, TTRnW 44;
//! * InputAddr, word 2; IPA `[55:12]` or FetchAddr `[55:3]`, word 3.
//!
//! Positions were checked against Linux `EVTQ_*`, QEMU's `EVT_SET_*` and
//! the record diagrams of IHI 0070 H.a §7.3. IPA and FetchAddr reach bit 55
//! as in IHI 0070 H.a (56-bit PAs); Linux 6.12 only reads IPA `[51:12]`.
//! Fields whose record diagram could not be checked are marked
//! "Unverified" below: NSIPA, the Reason of `F_TLB_CONFLICT` and
//! `F_WALK_EABT`, the GPCF bit of `F_WALK_EABT` and the fields of
//! `F_BAD_ATS_TREQ` other than the header. The stage 2 Overlay,
//! AssuredOnly and DirtyBit flags of `F_PERMISSION` (IHI 0070 H.a) are not
//! decoded.
//!
//! [`Event::decode`] accepts any 32 bytes: unknown event numbers are kept
//! raw in [`Event::Unknown`], and bits a record does not define are ignored.
//! [`Event::encode`] is used by the software model to write records; it
//! truncates each value to the width of its field. For every record built
//! from in-range values, `Event::decode(e.encode()) == e`.
//!
//! `Display` prints one line suitable for the kernel log.

use core::fmt;

use crate::hw::bits::{genmask, get, set};

/// Event numbers, word 0 bits `[7:0]`, as in IHI 0070 §7.3.
pub mod id {
    /// `F_UUT`: unsupported upstream transaction.
    pub const F_UUT: u8 = 0x01;
    /// `C_BAD_STREAMID`: StreamID out of range.
    pub const C_BAD_STREAMID: u8 = 0x02;
    /// `F_STE_FETCH`: external abort fetching an STE.
    pub const F_STE_FETCH: u8 = 0x03;
    /// `C_BAD_STE`: invalid STE.
    pub const C_BAD_STE: u8 = 0x04;
    /// `F_BAD_ATS_TREQ`: ATS Translation Request disallowed.
    pub const F_BAD_ATS_TREQ: u8 = 0x05;
    /// `F_STREAM_DISABLED`: non-substream (or SubstreamID 0) traffic
    /// disabled.
    pub const F_STREAM_DISABLED: u8 = 0x06;
    /// `F_TRANSL_FORBIDDEN`: ATS Translated transaction not allowed.
    pub const F_TRANSL_FORBIDDEN: u8 = 0x07;
    /// `C_BAD_SUBSTREAMID`: SubstreamID out of range or not allowed.
    pub const C_BAD_SUBSTREAMID: u8 = 0x08;
    /// `F_CD_FETCH`: external abort fetching a CD.
    pub const F_CD_FETCH: u8 = 0x09;
    /// `C_BAD_CD`: invalid CD.
    pub const C_BAD_CD: u8 = 0x0a;
    /// `F_WALK_EABT`: external abort on a translation table walk.
    pub const F_WALK_EABT: u8 = 0x0b;
    /// `F_TRANSLATION`: translation fault.
    pub const F_TRANSLATION: u8 = 0x10;
    /// `F_ADDR_SIZE`: address size fault.
    pub const F_ADDR_SIZE: u8 = 0x11;
    /// `F_ACCESS`: access flag fault.
    pub const F_ACCESS: u8 = 0x12;
    /// `F_PERMISSION`: permission fault.
    pub const F_PERMISSION: u8 = 0x13;
    /// `F_TLB_CONFLICT`: TLB conflict.
    pub const F_TLB_CONFLICT: u8 = 0x20;
    /// `F_CFG_CONFLICT`: configuration cache conflict.
    pub const F_CFG_CONFLICT: u8 = 0x21;
    /// `E_PAGE_REQUEST`: speculative page request hint.
    pub const E_PAGE_REQUEST: u8 = 0x24;
    /// `F_VMS_FETCH`: external abort fetching a VMS.
    pub const F_VMS_FETCH: u8 = 0x25;
}

/// Number of 64-bit words in an event record.
pub const EVT_DWORDS: usize = 4;

/// CLASS field (word 1 bits `[41:40]`): what the faulting access was for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultClass {
    /// 0b00 CD: fetching a CD.
    Cd,
    /// 0b01 TT: fetching a stage 1 translation table descriptor.
    Tt,
    /// 0b10 IN: translating the input address.
    In,
    /// 0b11: reserved value, kept so that any record decodes.
    Reserved,
}

impl FaultClass {
    const fn from_bits(v: u64) -> FaultClass {
        match v & 3 {
            0 => FaultClass::Cd,
            1 => FaultClass::Tt,
            2 => FaultClass::In,
            _ => FaultClass::Reserved,
        }
    }

    const fn bits(self) -> u64 {
        match self {
            FaultClass::Cd => 0,
            FaultClass::Tt => 1,
            FaultClass::In => 2,
            FaultClass::Reserved => 3,
        }
    }

    const fn name(self) -> &'static str {
        match self {
            FaultClass::Cd => "cd fetch",
            FaultClass::Tt => "table walk",
            FaultClass::In => "input",
            FaultClass::Reserved => "class 3",
        }
    }
}

/// Attributes of the transaction that caused an event (word 1 bits 33-35).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Access {
    /// PnU, word 1 bit 33 (record bit 97): privileged.
    pub pnu: bool,
    /// InD, word 1 bit 34 (record bit 98): instruction fetch.
    pub ind: bool,
    /// RnW, word 1 bit 35 (record bit 99): read (1) or write (0).
    pub rnw: bool,
}

impl Access {
    fn decode(w1: u64) -> Access {
        Access {
            pnu: get(w1, 33, 33) != 0,
            ind: get(w1, 34, 34) != 0,
            rnw: get(w1, 35, 35) != 0,
        }
    }

    fn encode(self, w1: u64) -> u64 {
        let w1 = set(w1, 33, 33, u64::from(self.pnu));
        let w1 = set(w1, 34, 34, u64::from(self.ind));
        set(w1, 35, 35, u64::from(self.rnw))
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}",
            if self.rnw { "read" } else { "write" },
            if self.pnu { "priv" } else { "unpriv" },
            if self.ind { "inst" } else { "data" },
        )
    }
}

/// Translation-related fault: `F_TRANSLATION`, `F_ADDR_SIZE`, `F_ACCESS`,
/// `F_PERMISSION`. These are the only events that can stall.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TranslationFault {
    /// StreamID, word 0 bits `[63:32]`.
    pub sid: u32,
    /// SubstreamID, word 0 bits `[31:12]`, present when SSV (bit 11) is 1.
    pub ssid: Option<u32>,
    /// STAG, word 1 bits `[15:0]`, present when Stall (word 1 bit 31) is 1:
    /// the transaction is stalled and awaits `CMD_RESUME` with this tag.
    pub stall_tag: Option<u16>,
    /// NSIPA, word 1 bit 32 (record bit 96): the IPA is Non-secure (Secure
    /// queue only). Unverified: the specification names the field but its
    /// position could not be checked against a record diagram.
    pub nsipa: bool,
    /// PnU, InD and RnW of the input transaction.
    pub access: Access,
    /// S2, word 1 bit 39: the fault occurred at stage 2.
    pub s2: bool,
    /// CLASS, word 1 bits `[41:40]`.
    pub class: FaultClass,
    /// TTRnW, word 1 bit 44: for `F_PERMISSION` with CLASS TT, a descriptor
    /// read (1) or write (0) faulted at stage 2.
    pub ttrnw: bool,
    /// InputAddr, word 2 bits `[63:0]`.
    pub input_addr: u64,
    /// IPA, word 3 bits `[55:12]` (record bits `[247:204]`); valid for
    /// stage 2 faults.
    pub ipa: u64,
}

/// Abort fetching a configuration structure: `F_STE_FETCH`, `F_CD_FETCH`,
/// `F_VMS_FETCH`. The layout is that of the `F_STE_FETCH` and `F_VMS_FETCH`
/// record diagrams; `F_CD_FETCH` names the same fields and is assumed to
/// share it (its FetchAddr position matches Linux `EVTQ_3_FETCH_ADDR`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FetchAbort {
    /// StreamID, word 0 bits `[63:32]`.
    pub sid: u32,
    /// SubstreamID, word 0 bits `[31:12]`, present when SSV (bit 11) is 1.
    pub ssid: Option<u32>,
    /// Reason, word 1 bits `[15:0]` (record bits `[79:64]`):
    /// IMPLEMENTATION DEFINED cause.
    pub reason: u16,
    /// GPCF, word 1 bit 16 (record bit 80): caused by a granule protection
    /// check fault.
    pub gpcf: bool,
    /// FetchAddr, word 3 bits `[55:3]` (record bits `[247:195]`): physical
    /// address of the fetch.
    pub fetch_addr: u64,
}

/// `F_WALK_EABT`: external abort on a translation table descriptor access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WalkAbort {
    /// StreamID, word 0 bits `[63:32]`.
    pub sid: u32,
    /// SubstreamID, word 0 bits `[31:12]`, present when SSV (bit 11) is 1.
    pub ssid: Option<u32>,
    /// Reason, word 1 bits `[15:0]`: IMPLEMENTATION DEFINED cause.
    /// Unverified: assumed to sit where `F_STE_FETCH` and `F_VMS_FETCH`
    /// put theirs; the `F_WALK_EABT` record diagram could not be checked.
    pub reason: u16,
    /// GPCF, word 1 bit 16: caused by a granule protection check fault.
    /// Unverified, as for `reason`.
    pub gpcf: bool,
    /// PnU, InD and RnW of the input transaction.
    pub access: Access,
    /// S2, word 1 bit 39: the aborting walk was a stage 2 walk.
    pub s2: bool,
    /// CLASS, word 1 bits `[41:40]`.
    pub class: FaultClass,
    /// InputAddr, word 2 bits `[63:0]`.
    pub input_addr: u64,
    /// FetchAddr, word 3 bits `[55:3]` (record bits `[247:195]`):
    /// descriptor address.
    pub fetch_addr: u64,
}

/// `F_TLB_CONFLICT`: a lookup matched several TLB entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TlbConflict {
    /// StreamID, word 0 bits `[63:32]`.
    pub sid: u32,
    /// SubstreamID, word 0 bits `[31:12]`, present when SSV (bit 11) is 1.
    pub ssid: Option<u32>,
    /// Reason, word 1 bits `[31:0]`: IMPLEMENTATION DEFINED. Unverified:
    /// width taken from `F_CFG_CONFLICT`; the `F_TLB_CONFLICT` record
    /// diagram could not be checked.
    pub reason: u32,
    /// NSIPA, word 1 bit 32. Unverified, as for
    /// [`TranslationFault::nsipa`].
    pub nsipa: bool,
    /// PnU, InD and RnW of the input transaction.
    pub access: Access,
    /// S2, word 1 bit 39: the IPA is valid.
    pub s2: bool,
    /// InputAddr, word 2 bits `[63:0]`.
    pub input_addr: u64,
    /// IPA, word 3 bits `[55:12]` (record bits `[247:204]`).
    pub ipa: u64,
}

/// `F_BAD_ATS_TREQ`: an ATS Translation Request was refused.
///
/// Unverified: apart from the header (StreamID, SSV, SubstreamID), the
/// positions below could not be checked against the record diagram, and
/// neither Linux nor QEMU decodes this event. The R/W/X/Priv bits are
/// therefore kept raw.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BadAtsTreq {
    /// StreamID, word 0 bits `[63:32]`.
    pub sid: u32,
    /// SubstreamID, word 0 bits `[31:12]`, present when SSV (bit 11) is 1.
    pub ssid: Option<u32>,
    /// Requested R/W/X/Priv permissions as recorded in word 1 bits
    /// `[39:32]` (record bits `[103:96]`), kept raw. Unverified.
    pub perm_bits: u8,
    /// Span, word 1 bits `[51:44]` (record bits `[115:108]`): number of
    /// STUs requested. Unverified: assumed to match `E_PAGE_REQUEST`.
    pub span: u8,
    /// InputAddr, word 2 bits `[63:12]`. Unverified.
    pub input_addr: u64,
}

/// `E_PAGE_REQUEST`: a device hints that it will soon access a range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PageRequestHint {
    /// StreamID, word 0 bits `[63:32]`.
    pub sid: u32,
    /// SubstreamID, word 0 bits `[31:12]`, present when SSV (bit 11) is 1.
    pub ssid: Option<u32>,
    /// uX, word 1 bit 33 (record bit 97): unprivileged execute.
    pub u_x: bool,
    /// uW, word 1 bit 34 (record bit 98): unprivileged write.
    pub u_w: bool,
    /// uR, word 1 bit 35 (record bit 99): unprivileged read.
    pub u_r: bool,
    /// pX, word 1 bit 37 (record bit 101): privileged execute.
    pub p_x: bool,
    /// pW, word 1 bit 38 (record bit 102): privileged write.
    pub p_w: bool,
    /// pR, word 1 bit 39 (record bit 103): privileged read.
    pub p_r: bool,
    /// Span, word 1 bits `[51:44]` (record bits `[115:108]`): size of the
    /// anticipated access in 4KB pages.
    pub span: u8,
    /// InputAddr, word 2 bits `[63:12]` (record bits `[191:140]`).
    pub input_addr: u64,
}

/// A decoded event record.
///
/// # Invariants
///
/// Values produced by [`Event::decode`] fit their fields: SubstreamIDs are
/// below 2^20, addresses have only their field's bits set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Event {
    /// `F_UUT` (0x01): unsupported upstream transaction.
    Uut {
        /// StreamID, word 0 bits `[63:32]`.
        sid: u32,
        /// SubstreamID, word 0 bits `[31:12]`, present when SSV is 1.
        ssid: Option<u32>,
        /// Reason, word 1 bits `[15:0]`: IMPLEMENTATION DEFINED.
        reason: u16,
        /// Incoming (pre-override) PnU, InD and RnW.
        access: Access,
        /// InputAddr, word 2.
        input_addr: u64,
    },
    /// `C_BAD_STREAMID` (0x02): StreamID out of range.
    BadStreamId {
        /// StreamID, word 0 bits `[63:32]`.
        sid: u32,
        /// SubstreamID, word 0 bits `[31:12]`, present when SSV is 1.
        ssid: Option<u32>,
    },
    /// `F_STE_FETCH` (0x03).
    SteFetch(FetchAbort),
    /// `C_BAD_STE` (0x04): invalid or illegal STE.
    BadSte {
        /// StreamID, word 0 bits `[63:32]`.
        sid: u32,
        /// SubstreamID, word 0 bits `[31:12]`, present when SSV is 1.
        ssid: Option<u32>,
    },
    /// `F_BAD_ATS_TREQ` (0x05).
    BadAtsTreq(BadAtsTreq),
    /// `F_STREAM_DISABLED` (0x06).
    StreamDisabled {
        /// StreamID, word 0 bits `[63:32]`.
        sid: u32,
    },
    /// `F_TRANSL_FORBIDDEN` (0x07).
    TranslForbidden {
        /// StreamID, word 0 bits `[63:32]`.
        sid: u32,
        /// RnW, word 1 bit 35.
        rnw: bool,
        /// InputAddr, word 2.
        input_addr: u64,
    },
    /// `C_BAD_SUBSTREAMID` (0x08). The record has no SSV: the SubstreamID is
    /// always valid.
    BadSubstreamId {
        /// StreamID, word 0 bits `[63:32]`.
        sid: u32,
        /// SubstreamID, word 0 bits `[31:12]`.
        ssid: u32,
    },
    /// `F_CD_FETCH` (0x09).
    CdFetch(FetchAbort),
    /// `C_BAD_CD` (0x0a): invalid or illegal CD.
    BadCd {
        /// StreamID, word 0 bits `[63:32]`.
        sid: u32,
        /// SubstreamID, word 0 bits `[31:12]`, present when SSV is 1.
        ssid: Option<u32>,
    },
    /// `F_WALK_EABT` (0x0b).
    WalkEabt(WalkAbort),
    /// `F_TRANSLATION` (0x10).
    Translation(TranslationFault),
    /// `F_ADDR_SIZE` (0x11).
    AddrSize(TranslationFault),
    /// `F_ACCESS` (0x12).
    Access(TranslationFault),
    /// `F_PERMISSION` (0x13).
    Permission(TranslationFault),
    /// `F_TLB_CONFLICT` (0x20).
    TlbConflict(TlbConflict),
    /// `F_CFG_CONFLICT` (0x21).
    CfgConflict {
        /// StreamID, word 0 bits `[63:32]`.
        sid: u32,
        /// SubstreamID, word 0 bits `[31:12]`, present when SSV is 1.
        ssid: Option<u32>,
        /// Reason, word 1 bits `[31:0]` (record bits `[95:64]`):
        /// IMPLEMENTATION DEFINED.
        reason: u32,
    },
    /// `E_PAGE_REQUEST` (0x24).
    PageRequest(PageRequestHint),
    /// `F_VMS_FETCH` (0x25).
    VmsFetch(FetchAbort),
    /// Any other event number (including IMPLEMENTATION DEFINED events
    /// 0xe0-0xef), kept verbatim.
    Unknown([u64; 4]),
}

/// Mask of IPA, word 3 bits `[55:12]` (Linux 6.12 `EVTQ_3_IPA` stops at
/// bit 51; IHI 0070 H.a extends it to bit 55).
const IPA_MASK: u64 = genmask(55, 12);
/// Mask of FetchAddr, word 3 bits `[55:3]`.
const FETCH_MASK: u64 = genmask(55, 3);
/// Mask of a page-granular InputAddr, word 2 bits `[63:12]`.
const PAGE_MASK: u64 = genmask(63, 12);

fn ssid_of(w0: u64) -> Option<u32> {
    if get(w0, 11, 11) != 0 {
        Some(get(w0, 31, 12) as u32)
    } else {
        None
    }
}

fn header(event_id: u8, sid: u32, ssid: Option<u32>) -> u64 {
    let w0 = set(u64::from(event_id), 63, 32, u64::from(sid));
    match ssid {
        Some(s) => set(set(w0, 11, 11, 1), 31, 12, u64::from(s)),
        None => w0,
    }
}

fn bit(w: u64, n: u32) -> bool {
    get(w, n, n) != 0
}

impl TranslationFault {
    fn decode(w: &[u64; 4]) -> TranslationFault {
        TranslationFault {
            sid: get(w[0], 63, 32) as u32,
            ssid: ssid_of(w[0]),
            stall_tag: if bit(w[1], 31) {
                Some(get(w[1], 15, 0) as u16)
            } else {
                None
            },
            nsipa: bit(w[1], 32),
            access: Access::decode(w[1]),
            s2: bit(w[1], 39),
            class: FaultClass::from_bits(get(w[1], 41, 40)),
            ttrnw: bit(w[1], 44),
            input_addr: w[2],
            ipa: w[3] & IPA_MASK,
        }
    }

    fn encode(&self, event_id: u8) -> [u64; 4] {
        let mut w1 = 0;
        if let Some(tag) = self.stall_tag {
            w1 = set(set(w1, 15, 0, u64::from(tag)), 31, 31, 1);
        }
        w1 = set(w1, 32, 32, u64::from(self.nsipa));
        w1 = self.access.encode(w1);
        w1 = set(w1, 39, 39, u64::from(self.s2));
        w1 = set(w1, 41, 40, self.class.bits());
        w1 = set(w1, 44, 44, u64::from(self.ttrnw));
        [
            header(event_id, self.sid, self.ssid),
            w1,
            self.input_addr,
            self.ipa & IPA_MASK,
        ]
    }
}

impl FetchAbort {
    fn decode(w: &[u64; 4]) -> FetchAbort {
        FetchAbort {
            sid: get(w[0], 63, 32) as u32,
            ssid: ssid_of(w[0]),
            reason: get(w[1], 15, 0) as u16,
            gpcf: bit(w[1], 16),
            fetch_addr: w[3] & FETCH_MASK,
        }
    }

    fn encode(&self, event_id: u8) -> [u64; 4] {
        let w1 = set(u64::from(self.reason), 16, 16, u64::from(self.gpcf));
        [
            header(event_id, self.sid, self.ssid),
            w1,
            0,
            self.fetch_addr & FETCH_MASK,
        ]
    }
}

impl Event {
    /// Event number of this record.
    pub fn event_id(&self) -> u8 {
        match self {
            Event::Uut { .. } => id::F_UUT,
            Event::BadStreamId { .. } => id::C_BAD_STREAMID,
            Event::SteFetch(_) => id::F_STE_FETCH,
            Event::BadSte { .. } => id::C_BAD_STE,
            Event::BadAtsTreq(_) => id::F_BAD_ATS_TREQ,
            Event::StreamDisabled { .. } => id::F_STREAM_DISABLED,
            Event::TranslForbidden { .. } => id::F_TRANSL_FORBIDDEN,
            Event::BadSubstreamId { .. } => id::C_BAD_SUBSTREAMID,
            Event::CdFetch(_) => id::F_CD_FETCH,
            Event::BadCd { .. } => id::C_BAD_CD,
            Event::WalkEabt(_) => id::F_WALK_EABT,
            Event::Translation(_) => id::F_TRANSLATION,
            Event::AddrSize(_) => id::F_ADDR_SIZE,
            Event::Access(_) => id::F_ACCESS,
            Event::Permission(_) => id::F_PERMISSION,
            Event::TlbConflict(_) => id::F_TLB_CONFLICT,
            Event::CfgConflict { .. } => id::F_CFG_CONFLICT,
            Event::PageRequest(_) => id::E_PAGE_REQUEST,
            Event::VmsFetch(_) => id::F_VMS_FETCH,
            Event::Unknown(w) => get(w[0], 7, 0) as u8,
        }
    }

    /// Specification name of the event, e.g. `"F_TRANSLATION"`.
    pub fn name(&self) -> &'static str {
        match self {
            Event::Uut { .. } => "F_UUT",
            Event::BadStreamId { .. } => "C_BAD_STREAMID",
            Event::SteFetch(_) => "F_STE_FETCH",
            Event::BadSte { .. } => "C_BAD_STE",
            Event::BadAtsTreq(_) => "F_BAD_ATS_TREQ",
            Event::StreamDisabled { .. } => "F_STREAM_DISABLED",
            Event::TranslForbidden { .. } => "F_TRANSL_FORBIDDEN",
            Event::BadSubstreamId { .. } => "C_BAD_SUBSTREAMID",
            Event::CdFetch(_) => "F_CD_FETCH",
            Event::BadCd { .. } => "C_BAD_CD",
            Event::WalkEabt(_) => "F_WALK_EABT",
            Event::Translation(_) => "F_TRANSLATION",
            Event::AddrSize(_) => "F_ADDR_SIZE",
            Event::Access(_) => "F_ACCESS",
            Event::Permission(_) => "F_PERMISSION",
            Event::TlbConflict(_) => "F_TLB_CONFLICT",
            Event::CfgConflict { .. } => "F_CFG_CONFLICT",
            Event::PageRequest(_) => "E_PAGE_REQUEST",
            Event::VmsFetch(_) => "F_VMS_FETCH",
            Event::Unknown(_) => "EVENT",
        }
    }

    /// StreamID of the record (word 0 bits `[63:32]`, present in every
    /// record layout).
    pub fn sid(&self) -> u32 {
        match self {
            Event::Unknown(w) => get(w[0], 63, 32) as u32,
            Event::Uut { sid, .. }
            | Event::BadStreamId { sid, .. }
            | Event::BadSte { sid, .. }
            | Event::StreamDisabled { sid }
            | Event::TranslForbidden { sid, .. }
            | Event::BadSubstreamId { sid, .. }
            | Event::BadCd { sid, .. }
            | Event::CfgConflict { sid, .. } => *sid,
            Event::SteFetch(f) | Event::CdFetch(f) | Event::VmsFetch(f) => f.sid,
            Event::BadAtsTreq(b) => b.sid,
            Event::WalkEabt(w) => w.sid,
            Event::Translation(t)
            | Event::AddrSize(t)
            | Event::Access(t)
            | Event::Permission(t) => t.sid,
            Event::TlbConflict(t) => t.sid,
            Event::PageRequest(p) => p.sid,
        }
    }

    /// The translation-related fault of `F_TRANSLATION`, `F_ADDR_SIZE`,
    /// `F_ACCESS` or `F_PERMISSION`, the events that may stall.
    pub fn translation_fault(&self) -> Option<&TranslationFault> {
        match self {
            Event::Translation(t)
            | Event::AddrSize(t)
            | Event::Access(t)
            | Event::Permission(t) => Some(t),
            _ => None,
        }
    }

    /// Decodes a record. Never fails and never panics.
    pub fn decode(w: [u64; 4]) -> Event {
        let sid = get(w[0], 63, 32) as u32;
        let ssid = ssid_of(w[0]);
        match get(w[0], 7, 0) as u8 {
            id::F_UUT => Event::Uut {
                sid,
                ssid,
                reason: get(w[1], 15, 0) as u16,
                access: Access::decode(w[1]),
                input_addr: w[2],
            },
            id::C_BAD_STREAMID => Event::BadStreamId { sid, ssid },
            id::F_STE_FETCH => Event::SteFetch(FetchAbort::decode(&w)),
            id::C_BAD_STE => Event::BadSte { sid, ssid },
            id::F_BAD_ATS_TREQ => Event::BadAtsTreq(BadAtsTreq {
                sid,
                ssid,
                perm_bits: get(w[1], 39, 32) as u8,
                span: get(w[1], 51, 44) as u8,
                input_addr: w[2] & PAGE_MASK,
            }),
            id::F_STREAM_DISABLED => Event::StreamDisabled { sid },
            id::F_TRANSL_FORBIDDEN => Event::TranslForbidden {
                sid,
                rnw: bit(w[1], 35),
                input_addr: w[2],
            },
            id::C_BAD_SUBSTREAMID => Event::BadSubstreamId {
                sid,
                ssid: get(w[0], 31, 12) as u32,
            },
            id::F_CD_FETCH => Event::CdFetch(FetchAbort::decode(&w)),
            id::C_BAD_CD => Event::BadCd { sid, ssid },
            id::F_WALK_EABT => Event::WalkEabt(WalkAbort {
                sid,
                ssid,
                reason: get(w[1], 15, 0) as u16,
                gpcf: bit(w[1], 16),
                access: Access::decode(w[1]),
                s2: bit(w[1], 39),
                class: FaultClass::from_bits(get(w[1], 41, 40)),
                input_addr: w[2],
                fetch_addr: w[3] & FETCH_MASK,
            }),
            id::F_TRANSLATION => Event::Translation(TranslationFault::decode(&w)),
            id::F_ADDR_SIZE => Event::AddrSize(TranslationFault::decode(&w)),
            id::F_ACCESS => Event::Access(TranslationFault::decode(&w)),
            id::F_PERMISSION => Event::Permission(TranslationFault::decode(&w)),
            id::F_TLB_CONFLICT => Event::TlbConflict(TlbConflict {
                sid,
                ssid,
                reason: get(w[1], 31, 0) as u32,
                nsipa: bit(w[1], 32),
                access: Access::decode(w[1]),
                s2: bit(w[1], 39),
                input_addr: w[2],
                ipa: w[3] & IPA_MASK,
            }),
            id::F_CFG_CONFLICT => Event::CfgConflict {
                sid,
                ssid,
                reason: get(w[1], 31, 0) as u32,
            },
            id::E_PAGE_REQUEST => Event::PageRequest(PageRequestHint {
                sid,
                ssid,
                u_x: bit(w[1], 33),
                u_w: bit(w[1], 34),
                u_r: bit(w[1], 35),
                p_x: bit(w[1], 37),
                p_w: bit(w[1], 38),
                p_r: bit(w[1], 39),
                span: get(w[1], 51, 44) as u8,
                input_addr: w[2] & PAGE_MASK,
            }),
            id::F_VMS_FETCH => Event::VmsFetch(FetchAbort::decode(&w)),
            _ => Event::Unknown(w),
        }
    }

    /// Encodes the record, truncating each value to its field.
    pub fn encode(&self) -> [u64; 4] {
        let eid = self.event_id();
        match *self {
            Event::Uut {
                sid,
                ssid,
                reason,
                access,
                input_addr,
            } => [
                header(eid, sid, ssid),
                access.encode(u64::from(reason)),
                input_addr,
                0,
            ],
            Event::BadStreamId { sid, ssid }
            | Event::BadSte { sid, ssid }
            | Event::BadCd { sid, ssid } => [header(eid, sid, ssid), 0, 0, 0],
            Event::SteFetch(f) | Event::CdFetch(f) | Event::VmsFetch(f) => f.encode(eid),
            Event::BadAtsTreq(b) => {
                let w1 = set(
                    set(0, 39, 32, u64::from(b.perm_bits)),
                    51,
                    44,
                    u64::from(b.span),
                );
                [header(eid, b.sid, b.ssid), w1, b.input_addr & PAGE_MASK, 0]
            }
            Event::StreamDisabled { sid } => [header(eid, sid, None), 0, 0, 0],
            Event::TranslForbidden {
                sid,
                rnw,
                input_addr,
            } => [
                header(eid, sid, None),
                set(0, 35, 35, u64::from(rnw)),
                input_addr,
                0,
            ],
            Event::BadSubstreamId { sid, ssid } => [
                set(header(eid, sid, None), 31, 12, u64::from(ssid)),
                0,
                0,
                0,
            ],
            Event::WalkEabt(a) => {
                let mut w1 = set(u64::from(a.reason), 16, 16, u64::from(a.gpcf));
                w1 = a.access.encode(w1);
                w1 = set(w1, 39, 39, u64::from(a.s2));
                w1 = set(w1, 41, 40, a.class.bits());
                [
                    header(eid, a.sid, a.ssid),
                    w1,
                    a.input_addr,
                    a.fetch_addr & FETCH_MASK,
                ]
            }
            Event::Translation(t)
            | Event::AddrSize(t)
            | Event::Access(t)
            | Event::Permission(t) => t.encode(eid),
            Event::TlbConflict(t) => {
                let mut w1 = set(u64::from(t.reason), 32, 32, u64::from(t.nsipa));
                w1 = t.access.encode(w1);
                w1 = set(w1, 39, 39, u64::from(t.s2));
                [
                    header(eid, t.sid, t.ssid),
                    w1,
                    t.input_addr,
                    t.ipa & IPA_MASK,
                ]
            }
            Event::CfgConflict { sid, ssid, reason } => {
                [header(eid, sid, ssid), u64::from(reason), 0, 0]
            }
            Event::PageRequest(p) => {
                let mut w1 = 0;
                for (n, v) in [
                    (33, p.u_x),
                    (34, p.u_w),
                    (35, p.u_r),
                    (37, p.p_x),
                    (38, p.p_w),
                    (39, p.p_r),
                ] {
                    w1 = set(w1, n, n, u64::from(v));
                }
                w1 = set(w1, 51, 44, u64::from(p.span));
                [header(eid, p.sid, p.ssid), w1, p.input_addr & PAGE_MASK, 0]
            }
            Event::Unknown(w) => w,
        }
    }
}

/// Writes " sid 0x.. [ssid 0x..]".
fn write_ids(f: &mut fmt::Formatter<'_>, sid: u32, ssid: Option<u32>) -> fmt::Result {
    write!(f, " sid {sid:#x}")?;
    match ssid {
        Some(s) => write!(f, " ssid {s:#x}"),
        None => Ok(()),
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())?;
        match self {
            Event::Uut {
                sid,
                ssid,
                reason,
                access,
                input_addr,
            } => {
                write_ids(f, *sid, *ssid)?;
                write!(f, " iova {input_addr:#x} {access} reason {reason:#x}")
            }
            Event::BadStreamId { sid, ssid }
            | Event::BadSte { sid, ssid }
            | Event::BadCd { sid, ssid }
            | Event::CfgConflict { sid, ssid, .. } => {
                write_ids(f, *sid, *ssid)?;
                if let Event::CfgConflict { reason, .. } = self {
                    write!(f, " reason {reason:#x}")?;
                }
                Ok(())
            }
            Event::SteFetch(a) | Event::CdFetch(a) | Event::VmsFetch(a) => {
                write_ids(f, a.sid, a.ssid)?;
                write!(f, " fetch {:#x} reason {:#x}", a.fetch_addr, a.reason)?;
                if a.gpcf {
                    f.write_str(" gpc fault")?;
                }
                Ok(())
            }
            Event::BadAtsTreq(b) => {
                write_ids(f, b.sid, b.ssid)?;
                write!(
                    f,
                    " iova {:#x} span {} perm {:#x}",
                    b.input_addr, b.span, b.perm_bits
                )
            }
            Event::StreamDisabled { sid } => write_ids(f, *sid, None),
            Event::TranslForbidden {
                sid,
                rnw,
                input_addr,
            } => {
                write_ids(f, *sid, None)?;
                write!(
                    f,
                    " addr {input_addr:#x} {}",
                    if *rnw { "read" } else { "write" }
                )
            }
            Event::BadSubstreamId { sid, ssid } => write_ids(f, *sid, Some(*ssid)),
            Event::WalkEabt(a) => {
                write_ids(f, a.sid, a.ssid)?;
                write!(
                    f,
                    " iova {:#x} {} stage {} {} fetch {:#x} reason {:#x}",
                    a.input_addr,
                    a.access,
                    if a.s2 { 2 } else { 1 },
                    a.class.name(),
                    a.fetch_addr,
                    a.reason
                )?;
                if a.gpcf {
                    f.write_str(" gpc fault")?;
                }
                Ok(())
            }
            Event::Translation(t)
            | Event::AddrSize(t)
            | Event::Access(t)
            | Event::Permission(t) => {
                write_ids(f, t.sid, t.ssid)?;
                write!(
                    f,
                    " iova {:#x} {} stage {}",
                    t.input_addr,
                    t.access,
                    if t.s2 { 2 } else { 1 }
                )?;
                if t.class != FaultClass::In {
                    write!(f, " on {}", t.class.name())?;
                }
                if t.s2 {
                    write!(f, " ipa {:#x}", t.ipa)?;
                }
                if let Some(tag) = t.stall_tag {
                    write!(f, " (stall tag {tag:#x})")?;
                }
                Ok(())
            }
            Event::TlbConflict(t) => {
                write_ids(f, t.sid, t.ssid)?;
                write!(f, " iova {:#x} {}", t.input_addr, t.access)?;
                if t.s2 {
                    write!(f, " ipa {:#x}", t.ipa)?;
                }
                write!(f, " reason {:#x}", t.reason)
            }
            Event::PageRequest(p) => {
                write_ids(f, p.sid, p.ssid)?;
                let flag = |b: bool, c: char| if b { c } else { '-' };
                write!(
                    f,
                    " iova {:#x} pages {} priv {}{}{} unpriv {}{}{}",
                    p.input_addr,
                    p.span,
                    flag(p.p_r, 'r'),
                    flag(p.p_w, 'w'),
                    flag(p.p_x, 'x'),
                    flag(p.u_r, 'r'),
                    flag(p.u_w, 'w'),
                    flag(p.u_x, 'x'),
                )
            }
            Event::Unknown(w) => write!(
                f,
                " {:#04x}: {:#018x} {:#018x} {:#018x} {:#018x}",
                get(w[0], 7, 0),
                w[0],
                w[1],
                w[2],
                w[3]
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn display_translation_fault() {
        let e = Event::Translation(TranslationFault {
            sid: 0x10,
            ssid: Some(3),
            stall_tag: Some(5),
            nsipa: false,
            access: Access {
                pnu: false,
                ind: false,
                rnw: true,
            },
            s2: false,
            class: FaultClass::In,
            ttrnw: false,
            input_addr: 0x1234000,
            ipa: 0,
        });
        assert_eq!(
            e.to_string(),
            "F_TRANSLATION sid 0x10 ssid 0x3 iova 0x1234000 read unpriv data stage 1 (stall tag 0x5)"
        );
    }
}
