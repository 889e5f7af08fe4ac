// SPDX-License-Identifier: GPL-2.0

//! Translation of device transactions: stream table and CD table walks
//! (through the configuration cache), the TLB, stage 1 walks, fault
//! recording, and stalls.

use super::{bump, CfgEntry, Outcome, Smmu, Transaction};
use crate::hw::bits::genmask;
use crate::hw::cd::Cd;
use crate::hw::event::{self, Event, FaultClass, FetchAbort, TranslationFault, WalkAbort};
use crate::hw::mem::PhysMem;
use crate::hw::queue::{EVTQ_ENTRY_BYTES, Q_OVERFLOW_FLAG};
use crate::hw::regs::{Gbpa, Gerror, StrtabBaseCfg, StrtabFmt};
use crate::hw::ste::{Config, S1Dss, S1Fmt, Ste};
use crate::hw::strtab::{CdL1Desc, CdLocation, CdTableGeometry, StreamTableGeometry, StrtabL1Desc};
use crate::hw::walk::{self, Access, AccessKind, Attrs, FaultKind, Granule, WalkConfig, WalkFault};

/// Address bits kept in TLB tags: bits 63:56 are never part of a cached
/// translation (they fault without TBI and are ignored with it).
const VA_TAG_MASK: u64 = genmask(55, 0);

/// The translation regime (StreamWorld) a TLB entry belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Regime {
    /// Non-secure EL1 (`STE.STRW == 0b00`).
    El1,
    /// EL2 or EL2-E2H (`STE.STRW == 0b10`).
    El2,
}

/// A cached leaf translation.
#[derive(Clone, Copy, Debug)]
pub(super) struct TlbEntry {
    pub(super) regime: Regime,
    pub(super) asid: u16,
    /// Matches every ASID (the leaf's `nG` was clear).
    pub(super) global: bool,
    /// From a CD with `ASET == 1`: broadcast invalidations do not apply.
    pub(super) aset: bool,
    /// Input address of the start of the region (bits 63:56 clear).
    pub(super) va: u64,
    pub(super) size_shift: u32,
    pub(super) level: u8,
    pub(super) granule_shift: u32,
    /// Output address of the start of the region.
    pub(super) oa: u64,
    pub(super) attrs: Attrs,
}

impl TlbEntry {
    fn size(&self) -> u64 {
        1u64.checked_shl(self.size_shift).unwrap_or(0)
    }

    /// Whether the region contains `va` (bits 63:56 clear).
    pub(super) fn contains(&self, va: u64) -> bool {
        va >= self.va && va - self.va < self.size()
    }

    /// Whether the region overlaps `[start, end)`.
    pub(super) fn overlaps(&self, start: u64, end: u64) -> bool {
        let last = self.va.saturating_add(self.size().saturating_sub(1));
        start <= last && end > self.va
    }

    fn matches(&self, regime: Regime, asid: u16, va: u64) -> bool {
        self.regime == regime && (self.global || self.asid == asid) && self.contains(va)
    }

    fn permits(&self, access: &Access) -> bool {
        let p = self.attrs.perms(access.privileged);
        match access.kind {
            AccessKind::Read => p.read,
            AccessKind::Write => p.write,
            AccessKind::Exec => p.exec,
        }
    }

    fn translated(&self, va: u64, tlb_hit: bool) -> Translated {
        Translated {
            pa: self.oa | (va & self.size().wrapping_sub(1)),
            size_shift: self.size_shift,
            attrs: self.attrs,
            tlb_hit,
        }
    }
}

/// A successful stage 1 translation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Translated {
    /// Output address.
    pub pa: u64,
    /// log2 of the size of the region the leaf maps.
    pub size_shift: u32,
    /// Attributes and permissions of the leaf.
    pub attrs: Attrs,
    /// Whether the translation came from the TLB (no walk).
    pub tlb_hit: bool,
}

impl Translated {
    /// Bytes from the translated address to the end of the leaf's region
    /// (at least 1).
    pub fn bytes_left(&self) -> u64 {
        match 1u64.checked_shl(self.size_shift) {
            Some(size) => size - (self.pa & (size - 1)),
            None => u64::MAX,
        }
    }
}

/// Why a transaction was terminated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TermCause {
    /// The SMMU is disabled and `GBPA.ABORT` is set.
    Disabled,
    /// `STE.Config == abort`.
    StreamAbort,
    /// A fault or configuration error, by its event number
    /// ([`hw::event::id`](crate::hw::event::id)), whether or not it was
    /// recorded.
    Fault(u8),
    /// A page request could not be sent (PRI table full or unsupported).
    PriUnavailable,
}

/// A terminated transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Termination {
    /// Aborted (the device sees an error); otherwise RAZ/WI (reads return
    /// zero, writes are dropped, the device sees success).
    pub abort: bool,
    /// Why.
    pub cause: TermCause,
    /// Whether an event was written to the event queue.
    pub recorded: bool,
}

/// The state of a stalled transaction, as [`Smmu::stall_result`] reports
/// it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StallState {
    /// Still stalled.
    Pending,
    /// `CMD_RESUME` with retry: the device reissues the transaction.
    Retry,
    /// Terminated by `CMD_RESUME` (abort or terminate), `CMD_STALL_TERM`,
    /// or the SMMU being disabled.
    Terminated {
        /// Aborted; otherwise RAZ/WI.
        abort: bool,
    },
    /// No stalled transaction has this StreamID and tag (never stalled, or
    /// its result was already taken).
    Unknown,
}

/// A stalled transaction.
#[derive(Clone, Copy, Debug)]
pub(super) struct StallEntry {
    pub(super) sid: u32,
    pub(super) stag: u16,
    pub(super) state: StallState,
    /// The device stopped waiting ([`Smmu::abandon_stall`]): the entry
    /// goes as soon as the transaction is answered.
    pub(super) abandoned: bool,
}

/// A TLB invalidation broadcast by a CPU (`TLBI` instructions), applied to
/// the SMMU's TLB when it implements BTM and `SMMU_CR2.PTM` is clear.
/// Entries from CDs with `ASET == 1` are not affected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BroadcastTlbi {
    /// All entries of the regime (`TLBI VMALLE1IS`, or `ALLE2IS` for EL2).
    All {
        /// EL2 (VHE host) rather than EL1.
        el2: bool,
    },
    /// Non-global entries of an ASID (`TLBI ASIDE1IS`).
    Asid {
        /// EL2 (VHE host) rather than EL1.
        el2: bool,
        /// The ASID.
        asid: u16,
    },
    /// Entries of an ASID (or global) containing an address
    /// (`TLBI VAE1IS`).
    Va {
        /// EL2 (VHE host) rather than EL1.
        el2: bool,
        /// The ASID.
        asid: u16,
        /// The address.
        va: u64,
    },
    /// Entries of any ASID containing an address (`TLBI VAAE1IS`).
    Vaa {
        /// EL2 (VHE host) rather than EL1.
        el2: bool,
        /// The address.
        va: u64,
    },
}

/// A configuration error, and the event reporting it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CfgError {
    BadStreamId,
    SteFetch(u64),
    BadSte,
    BadSubstreamId(u32),
    CdFetch(u64),
    BadCd,
    StreamDisabled,
}

/// Stage 1 context of a transaction, from its STE and CD.
#[derive(Clone, Copy, Debug)]
pub(super) struct S1Ctx {
    pub(super) regime: Regime,
    pub(super) asid: u16,
    pub(super) aset: bool,
    pub(super) walk: WalkConfig,
    pub(super) granule_shift: u32,
    pub(super) tbi: bool,
    pub(super) record: bool,
    pub(super) stall: bool,
    pub(super) abort: bool,
}

impl S1Ctx {
    /// `va` as TLB entries are tagged.
    fn key_va(&self, va: u64) -> u64 {
        if self.tbi {
            va & VA_TAG_MASK
        } else {
            va
        }
    }
}

/// What a stream's configuration does with a transaction.
#[derive(Clone, Copy, Debug)]
pub(super) enum Resolved {
    Abort,
    Bypass,
    S1(S1Ctx),
}

/// Reads an 8-qword STE or CD; on abort, the failing address.
fn read_entry<M: PhysMem + ?Sized>(mem: &M, pa: u64) -> Result<[u64; 8], u64> {
    let mut q = [0u64; 8];
    for (i, w) in q.iter_mut().enumerate() {
        let at = pa.wrapping_add(8 * i as u64);
        *w = mem.read_u64(at).map_err(|e| e.pa)?;
    }
    Ok(q)
}

/// The event attributes of a transaction.
fn event_access(txn: &Transaction) -> event::Access {
    event::Access {
        pnu: txn.privileged,
        ind: txn.kind == AccessKind::Exec,
        rnw: txn.kind != AccessKind::Write,
    }
}

/// The event reporting a stage 1 walk fault.
fn fault_event(txn: &Transaction, fault: WalkFault, stall_tag: Option<u16>) -> Event {
    let tf = TranslationFault {
        sid: txn.sid,
        ssid: txn.ssid,
        stall_tag,
        nsipa: false,
        access: event_access(txn),
        s2: false,
        class: FaultClass::In,
        ttrnw: false,
        input_addr: txn.addr,
        ipa: 0,
    };
    match fault.kind {
        FaultKind::Translation => Event::Translation(tf),
        FaultKind::AccessFlag => Event::Access(tf),
        FaultKind::Permission => Event::Permission(tf),
        FaultKind::AddressSize => Event::AddrSize(tf),
        FaultKind::ExternalAbort { pa } => Event::WalkEabt(WalkAbort {
            sid: txn.sid,
            ssid: txn.ssid,
            reason: 0,
            gpcf: false,
            access: event_access(txn),
            s2: false,
            class: FaultClass::Tt,
            input_addr: txn.addr,
            fetch_addr: pa,
        }),
    }
}

/// The event reporting a configuration error.
pub(super) fn cfg_event(sid: u32, ssid: Option<u32>, e: CfgError) -> Event {
    let fetch = |pa| FetchAbort {
        sid,
        ssid,
        reason: 0,
        gpcf: false,
        fetch_addr: pa,
    };
    match e {
        CfgError::BadStreamId => Event::BadStreamId { sid, ssid },
        CfgError::SteFetch(pa) => Event::SteFetch(fetch(pa)),
        CfgError::BadSte => Event::BadSte { sid, ssid },
        CfgError::BadSubstreamId(ssid) => Event::BadSubstreamId { sid, ssid },
        CfgError::CdFetch(pa) => Event::CdFetch(fetch(pa)),
        CfgError::BadCd => Event::BadCd { sid, ssid },
        CfgError::StreamDisabled => Event::StreamDisabled { sid },
    }
}

impl<
        const CFG: usize,
        const TLB: usize,
        const ATC: usize,
        const STALLS: usize,
        const PRIS: usize,
    > Smmu<CFG, TLB, ATC, STALLS, PRIS>
{
    /// Translates an untranslated transaction.
    ///
    /// With the SMMU disabled, `SMMU_GBPA` decides (bypass or abort).
    /// Otherwise the stream's STE (and CD) are found, through the
    /// configuration cache, and stage 1 translates through the TLB and the
    /// page tables. Configuration errors are recorded and abort; faults are
    /// recorded, stalled or terminated as the CD and STE say, or become page
    /// requests for [`Transaction::pri`] transactions.
    pub fn translate<M: PhysMem + ?Sized>(&mut self, mem: &M, txn: &Transaction) -> Outcome {
        if !self.smmu_enabled() {
            return self.gbpa_outcome(txn.addr);
        }
        let ctx = match self.resolve(mem, txn.sid, txn.ssid) {
            Ok(Resolved::Abort) => {
                return Outcome::Terminated(Termination {
                    abort: true,
                    cause: TermCause::StreamAbort,
                    recorded: false,
                })
            }
            Ok(Resolved::Bypass) => return Outcome::Bypass { pa: txn.addr },
            Ok(Resolved::S1(ctx)) => ctx,
            Err(e) => return self.config_error(mem, txn.sid, txn.ssid, e),
        };
        let access = Access {
            va: txn.addr,
            kind: txn.kind,
            privileged: txn.privileged,
        };
        match self.lookup_or_walk(mem, &ctx, &access) {
            Ok(t) => Outcome::Translated(t),
            Err(fault) => self.on_fault(mem, txn, &ctx, fault),
        }
    }

    /// What a disabled SMMU does with a transaction.
    pub(super) fn gbpa_outcome(&self, addr: u64) -> Outcome {
        if Gbpa::from_raw(self.regs.gbpa).abort() {
            Outcome::Terminated(Termination {
                abort: true,
                cause: TermCause::Disabled,
                recorded: false,
            })
        } else {
            Outcome::Bypass { pa: addr }
        }
    }

    /// Records a configuration error (`C_BAD_STREAMID` only with
    /// `CR2.RECINVSID`) and aborts.
    pub(super) fn config_error<M: PhysMem + ?Sized>(
        &mut self,
        mem: &M,
        sid: u32,
        ssid: Option<u32>,
        e: CfgError,
    ) -> Outcome {
        let ev = cfg_event(sid, ssid, e);
        let record = e != CfgError::BadStreamId || self.regs.cr2().recinvsid();
        let recorded = record && self.record_event(mem, &ev);
        Outcome::Terminated(Termination {
            abort: true,
            cause: TermCause::Fault(ev.event_id()),
            recorded,
        })
    }

    /// The STE of `sid`, from the configuration cache or the stream table.
    pub(super) fn fetch_ste<M: PhysMem + ?Sized>(
        &mut self,
        mem: &M,
        sid: u32,
    ) -> Result<Ste, CfgError> {
        let hit = self
            .cfg_cache
            .find(|e| matches!(e, CfgEntry::Ste { sid: s, .. } if *s == sid));
        if let Some(CfgEntry::Ste { ste, .. }) = hit {
            let ste = *ste;
            bump(&mut self.stats.cfg_hits);
            return Ok(ste);
        }
        let cfg = StrtabBaseCfg::from_raw(self.regs.strtab_base_cfg);
        // LOG2SIZE is 6 bits; an implementation caps it to SIDSIZE.
        let log2 = (cfg.log2size() as u8).min(self.cfg.sidsize);
        let geo = match cfg.fmt() {
            StrtabFmt::Linear => StreamTableGeometry::linear(log2),
            // SPLIT is 5 bits.
            StrtabFmt::TwoLevel if self.cfg.two_level_strtab => {
                StreamTableGeometry::two_level(log2, cfg.split() as u8)
            }
            _ => return Err(CfgError::BadStreamId),
        }
        .map_err(|_| CfgError::BadStreamId)?;
        let base = self.regs.strtab_base & genmask(51, 6);
        let first = geo
            .base_entry_addr(base, sid)
            .map_err(|_| CfgError::BadStreamId)?;
        bump(&mut self.stats.cfg_fetches);
        let ste_pa = if geo.is_two_level() {
            let desc = mem.read_u64(first).map_err(|e| CfgError::SteFetch(e.pa))?;
            geo.l2_ste_addr(StrtabL1Desc::from_raw(desc), sid)
                .map_err(|_| CfgError::BadSte)?
        } else {
            first
        };
        let ste = Ste(read_entry(mem, ste_pa).map_err(CfgError::SteFetch)?);
        self.cfg_cache.insert(CfgEntry::Ste { sid, ste });
        Ok(ste)
    }

    /// Checks that an STE is valid and legal for this SMMU (the rules of
    /// [`Ste::check`]; stage 2 is not implemented, so `IDR0.S2P == 0`
    /// makes stage 2 and nested entries ILLEGAL).
    pub(super) fn check_ste(&self, ste: &Ste) -> Result<Config, CfgError> {
        ste.check(&self.feat).map_err(|_| CfgError::BadSte)?;
        ste.config().ok_or(CfgError::BadSte)
    }

    /// The CD of `ssid` in the CD table of `ste` (for stream `sid`).
    fn fetch_cd<M: PhysMem + ?Sized>(
        &mut self,
        mem: &M,
        sid: u32,
        ste: &Ste,
        ssid: u32,
    ) -> Result<Cd, CfgError> {
        let hit = self
            .cfg_cache
            .find(|e| matches!(e, CfgEntry::Cd { sid: s, ssid: p, .. } if *s == sid && *p == ssid));
        if let Some(CfgEntry::Cd { cd, .. }) = hit {
            let cd = *cd;
            bump(&mut self.stats.cfg_hits);
            return Ok(cd);
        }
        let cdmax = ste.s1cdmax() as u8;
        let fmt = ste.s1fmt().unwrap_or(S1Fmt::Linear);
        let geo = CdTableGeometry::new(fmt, cdmax).map_err(|_| CfgError::BadSte)?;
        let loc = geo
            .locate(ssid)
            .map_err(|_| CfgError::BadSubstreamId(ssid))?;
        let base = ste.s1_context_ptr();
        let first = geo
            .base_entry_addr(base, ssid)
            .map_err(|_| CfgError::BadSubstreamId(ssid))?;
        let cd_pa = match loc {
            CdLocation::Linear(_) => first,
            CdLocation::TwoLevel { l1, .. } => {
                let desc = self.fetch_l1cd(mem, sid, l1, first)?;
                geo.l2_cd_addr(CdL1Desc::from_raw(desc), ssid)
                    .map_err(|_| CfgError::BadSubstreamId(ssid))?
            }
        };
        bump(&mut self.stats.cfg_fetches);
        let cd = Cd(read_entry(mem, cd_pa).map_err(CfgError::CdFetch)?);
        self.cfg_cache.insert(CfgEntry::Cd { sid, ssid, cd });
        Ok(cd)
    }

    /// The level-1 CD descriptor `index` of stream `sid`, at `pa`; cached
    /// even when invalid.
    fn fetch_l1cd<M: PhysMem + ?Sized>(
        &mut self,
        mem: &M,
        sid: u32,
        index: u32,
        pa: u64,
    ) -> Result<u64, CfgError> {
        let hit = self.cfg_cache.find(
            |e| matches!(e, CfgEntry::L1Cd { sid: s, index: i, .. } if *s == sid && *i == index),
        );
        if let Some(CfgEntry::L1Cd { desc, .. }) = hit {
            let desc = *desc;
            bump(&mut self.stats.cfg_hits);
            return Ok(desc);
        }
        bump(&mut self.stats.cfg_fetches);
        let desc = mem.read_u64(pa).map_err(|e| CfgError::CdFetch(e.pa))?;
        self.cfg_cache.insert(CfgEntry::L1Cd { sid, index, desc });
        Ok(desc)
    }

    /// Finds what the configuration of (`sid`, `ssid`) does.
    pub(super) fn resolve<M: PhysMem + ?Sized>(
        &mut self,
        mem: &M,
        sid: u32,
        ssid: Option<u32>,
    ) -> Result<Resolved, CfgError> {
        let ste = self.fetch_ste(mem, sid)?;
        match self.check_ste(&ste)? {
            Config::Abort => return Ok(Resolved::Abort),
            Config::Bypass => return Ok(Resolved::Bypass),
            _ => {}
        }
        let substreams = ste.s1cdmax() != 0;
        let cd_ssid = match (ssid, substreams) {
            (Some(s), false) => return Err(CfgError::BadSubstreamId(s)),
            (None, false) => 0,
            (Some(s), true) => {
                if s == 0 && ste.s1dss() == Some(S1Dss::Ssid0) {
                    return Err(CfgError::BadSubstreamId(0));
                }
                s
            }
            (None, true) => match ste.s1dss() {
                Some(S1Dss::Bypass) => return Ok(Resolved::Bypass),
                Some(S1Dss::Ssid0) => 0,
                _ => return Err(CfgError::StreamDisabled),
            },
        };
        let cd = self.fetch_cd(mem, sid, &ste, cd_ssid)?;
        self.check_cd(&cd, &ste).map(Resolved::S1)
    }

    /// Checks a CD and derives the stage 1 context.
    fn check_cd(&self, cd: &Cd, ste: &Ste) -> Result<S1Ctx, CfgError> {
        // The model's IDR0.TTF and TTENDIAN say AArch64 little-endian only,
        // so a CD passing the check is one the walker handles.
        cd.check(&self.feat, ste.s1stalld())
            .map_err(|_| CfgError::BadCd)?;
        let stall = self.feat.stalls() && (self.feat.stall_forced() || (cd.s() && !ste.s1stalld()));
        let (regime, e2h) = match ste.strw_raw() {
            2 => (Regime::El2, self.regs.cr2().e2h()),
            _ => (Regime::El1, true),
        };
        // The field is 16 bits wide.
        let asid = if e2h {
            self.mask_asid(cd.asid() as u16)
        } else {
            0
        };
        let walk = WalkConfig::from_cd(cd, &self.feat);
        let granule_shift = Granule::from_tg0(walk.tg0).map_or(12, Granule::shift);
        Ok(S1Ctx {
            regime,
            asid,
            aset: cd.aset(),
            walk,
            granule_shift,
            tbi: walk.tbi0,
            record: cd.r(),
            stall,
            abort: cd.a() || self.cfg.term_model,
        })
    }

    /// Translates `access` through the TLB, walking (and filling the TLB)
    /// on a miss or when the cached permissions do not allow the access.
    pub(super) fn lookup_or_walk<M: PhysMem + ?Sized>(
        &mut self,
        mem: &M,
        ctx: &S1Ctx,
        access: &Access,
    ) -> Result<Translated, WalkFault> {
        let key = ctx.key_va(access.va);
        let (regime, asid) = (ctx.regime, ctx.asid);
        if let Some(e) = self.tlb.find(|e| e.matches(regime, asid, key)) {
            let e = *e;
            if e.permits(access) {
                bump(&mut self.stats.tlb_hits);
                return Ok(e.translated(key, true));
            }
        }
        bump(&mut self.stats.walks);
        let t = walk::walk(mem, &ctx.walk, access)?;
        let size = t.size();
        let entry = TlbEntry {
            regime,
            asid,
            global: !t.attrs.ng,
            aset: ctx.aset,
            va: key & !size.wrapping_sub(1),
            size_shift: t.size_shift,
            level: t.level,
            granule_shift: ctx.granule_shift,
            oa: t.base(),
            attrs: t.attrs,
        };
        // A re-walk replaces the entry whose permissions were insufficient.
        self.tlb.remove_where(|e| e.matches(regime, asid, key));
        self.tlb.insert(entry);
        Ok(entry.translated(key, false))
    }

    /// Handles a stage 1 fault: page request, stall, or termination.
    fn on_fault<M: PhysMem + ?Sized>(
        &mut self,
        mem: &M,
        txn: &Transaction,
        ctx: &S1Ctx,
        fault: WalkFault,
    ) -> Outcome {
        let eabt = matches!(fault.kind, FaultKind::ExternalAbort { .. });
        if txn.pri && self.cfg.pri && !eabt {
            return self.pri_fault(mem, txn);
        }
        if ctx.stall && !eabt {
            if let Some(stag) = self.try_stall(mem, txn, fault) {
                return Outcome::Stalled { stag };
            }
        }
        let ev = fault_event(txn, fault, None);
        // External aborts on the walk are always recorded.
        let recorded = (ctx.record || eabt) && self.record_event(mem, &ev);
        Outcome::Terminated(Termination {
            abort: ctx.abort || eabt,
            cause: TermCause::Fault(ev.event_id()),
            recorded,
        })
    }

    /// Stalls a faulting transaction if `STALL_MAX` allows and its event
    /// can be recorded; returns the stall tag.
    fn try_stall<M: PhysMem + ?Sized>(
        &mut self,
        mem: &M,
        txn: &Transaction,
        fault: WalkFault,
    ) -> Option<u16> {
        let pending = self
            .stalls
            .iter()
            .filter(|s| s.state == StallState::Pending)
            .count();
        if pending >= usize::from(self.cfg.stall_max) {
            bump(&mut self.stats.stall_refused);
            return None;
        }
        if self.stalls.is_full() {
            // Drop a result the device never collected.
            self.stalls.take(|s| s.state != StallState::Pending);
        }
        let Some(stag) = self.alloc_stag() else {
            bump(&mut self.stats.stall_refused);
            return None;
        };
        if !self.record_event(mem, &fault_event(txn, fault, Some(stag))) {
            bump(&mut self.stats.stall_refused);
            return None;
        }
        let entry = StallEntry {
            sid: txn.sid,
            stag,
            state: StallState::Pending,
            abandoned: false,
        };
        if self.stalls.try_insert(entry).is_err() {
            bump(&mut self.stats.stall_refused);
            return None;
        }
        bump(&mut self.stats.stalls);
        Some(stag)
    }

    /// A stall tag not used by any entry of the stall table.
    fn alloc_stag(&mut self) -> Option<u16> {
        for _ in 0..=STALLS.min(usize::from(u16::MAX)) {
            let t = self.next_stag;
            self.next_stag = self.next_stag.wrapping_add(1);
            if self.stalls.find(|s| s.stag == t).is_none() {
                return Some(t);
            }
        }
        None
    }

    /// The state of the transaction of stream `sid` stalled with `stag`.
    ///
    /// Once the transaction is resumed or terminated, the first call
    /// returns the result and forgets the transaction (later calls return
    /// [`StallState::Unknown`]).
    pub fn stall_result(&mut self, sid: u32, stag: u16) -> StallState {
        match self.stalls.find(|s| s.sid == sid && s.stag == stag) {
            None => StallState::Unknown,
            Some(s) if s.state == StallState::Pending => StallState::Pending,
            Some(_) => self
                .stalls
                .take(|s| s.sid == sid && s.stag == stag)
                .map_or(StallState::Unknown, |s| s.state),
        }
    }

    /// `CMD_RESUME`.
    pub(super) fn resume(&mut self, sid: u32, stag: u16, action: crate::hw::cmd::ResumeAction) {
        use crate::hw::cmd::ResumeAction;
        let term_model = self.cfg.term_model;
        match self
            .stalls
            .find_mut(|s| s.sid == sid && s.stag == stag && s.state == StallState::Pending)
        {
            Some(s) => {
                s.state = match action {
                    ResumeAction::Retry => StallState::Retry,
                    ResumeAction::Abort => StallState::Terminated { abort: true },
                    ResumeAction::Terminate => StallState::Terminated { abort: term_model },
                }
            }
            None => bump(&mut self.stats.stray_resumes),
        }
        self.drop_abandoned_stalls();
    }

    /// The device no longer waits for the stalled transaction `stag` of
    /// `sid` (it gave up, or was reset): its result is dropped now if it
    /// has one, or as soon as it is answered. The transaction itself stays
    /// stalled until then, as in hardware: the answer is still required.
    pub fn abandon_stall(&mut self, sid: u32, stag: u16) {
        if let Some(s) = self.stalls.find_mut(|s| s.sid == sid && s.stag == stag) {
            s.abandoned = true;
        }
        self.drop_abandoned_stalls();
    }

    /// Drops the answered stalls nobody waits for any more.
    fn drop_abandoned_stalls(&mut self) {
        self.stalls
            .remove_where(|s| s.abandoned && s.state != StallState::Pending);
    }

    /// `CMD_STALL_TERM`: aborts every stalled transaction of `sid`.
    pub(super) fn stall_term(&mut self, sid: u32) {
        for s in self.stalls.iter_mut() {
            if s.sid == sid && s.state == StallState::Pending {
                s.state = StallState::Terminated { abort: true };
            }
        }
        self.drop_abandoned_stalls();
    }

    /// Aborts every stalled transaction (the SMMU was disabled).
    pub(super) fn abort_all_stalls(&mut self) {
        for s in self.stalls.iter_mut() {
            if s.state == StallState::Pending {
                s.state = StallState::Terminated { abort: true };
            }
        }
        self.drop_abandoned_stalls();
    }

    /// Writes an event record; false if it was lost (queue disabled, full,
    /// or the write aborted). A full queue toggles `EVENTQ_PROD.OVFLG`
    /// unless an overflow is already unacknowledged.
    pub(super) fn record_event<M: PhysMem + ?Sized>(&mut self, mem: &M, ev: &Event) -> bool {
        if !self.regs.cr0().eventqen() {
            bump(&mut self.stats.events_lost);
            return false;
        }
        let qr = self.regs.eventq;
        let q = qr.queue(self.cfg.eventqs);
        if q.is_full(qr.prod, qr.cons) {
            if !q.overflowed(qr.prod, qr.cons) {
                self.regs.eventq.prod ^= Q_OVERFLOW_FLAG;
            }
            bump(&mut self.stats.events_lost);
            return false;
        }
        let was_empty = q.is_empty(qr.prod, qr.cons);
        let pa = qr.entry_addr(&q, qr.prod, EVTQ_ENTRY_BYTES);
        for (i, w) in ev.encode().iter().enumerate() {
            if mem.write_u64(pa.wrapping_add(8 * i as u64), *w).is_err() {
                bump(&mut self.stats.events_lost);
                self.raise_gerror(mem, Gerror::EVENTQ_ABT_ERR_BIT);
                return false;
            }
        }
        self.regs.eventq.prod = q.inc(qr.prod);
        bump(&mut self.stats.events_written);
        if was_empty {
            self.signal(mem, super::regs::IrqLine::Eventq);
        }
        true
    }

    /// Applies a CPU's broadcast TLB invalidation; false if the SMMU does
    /// not take part in broadcast maintenance (no BTM, or `CR2.PTM` set).
    pub fn broadcast_tlbi(&mut self, op: BroadcastTlbi) -> bool {
        if !self.cfg.btm || self.regs.cr2().ptm() {
            return false;
        }
        bump(&mut self.stats.broadcast_tlbis);
        let regime = |el2: bool| if el2 { Regime::El2 } else { Regime::El1 };
        match op {
            BroadcastTlbi::All { el2 } => {
                let r = regime(el2);
                self.tlb.remove_where(|e| !e.aset && e.regime == r);
            }
            BroadcastTlbi::Asid { el2, asid } => {
                let (r, asid) = (regime(el2), self.mask_asid(asid));
                self.tlb
                    .remove_where(|e| !e.aset && e.regime == r && !e.global && e.asid == asid);
            }
            BroadcastTlbi::Va { el2, asid, va } => {
                let (r, asid, va) = (regime(el2), self.mask_asid(asid), va & VA_TAG_MASK);
                self.tlb.remove_where(|e| {
                    !e.aset && e.regime == r && (e.global || e.asid == asid) && e.contains(va)
                });
            }
            BroadcastTlbi::Vaa { el2, va } => {
                let (r, va) = (regime(el2), va & VA_TAG_MASK);
                self.tlb
                    .remove_where(|e| !e.aset && e.regime == r && e.contains(va));
            }
        }
        true
    }
}
