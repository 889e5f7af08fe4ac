// SPDX-License-Identifier: GPL-2.0

//! ATS: translation requests, the devices' ATCs, translated transactions
//! and ATC invalidation.
//!
//! The ATC belongs to the PCIe endpoint in reality; the model keeps one
//! shared table tagged by StreamID so that tests (and the in-kernel test
//! device) can check that `CMD_ATC_INV` reached it. An ATC entry is only
//! removed by `CMD_ATC_INV` (or eviction), so a driver that forgets to
//! invalidate leaves the device using a stale translation.

use super::xlate::Resolved;
use super::{bump, Outcome, Smmu, TermCause, Termination, Transaction};
use crate::hw::event::{BadAtsTreq, Event};
use crate::hw::mem::PhysMem;
use crate::hw::ste::{Config, Eats};
use crate::hw::walk::{Access, AccessKind, FaultKind};

/// An ATS Translation Request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AtsRequest {
    /// StreamID of the requester.
    pub sid: u32,
    /// PASID, if any.
    pub ssid: Option<u32>,
    /// Untranslated address.
    pub addr: u64,
    /// Privileged access (PASID prefix `Privileged Mode Requested`).
    pub privileged: bool,
    /// Execute permission requested.
    pub exec: bool,
    /// `NW` (No Write): the device only needs read access, so the SMMU does
    /// not mark the page dirty.
    pub no_write: bool,
}

/// Why an ATS Translation Request failed outright.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AtsError {
    /// Unsupported Request: ATS not implemented or not enabled for the
    /// stream, the SMMU disabled, or a configuration error (recorded).
    UnsupportedRequest,
}

/// A translation completion, as cached in a device's ATC.
///
/// A completion granting nothing (`read` and `write` both false) means the
/// translation faulted; it is returned but never cached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AtcEntry {
    /// StreamID of the device holding the entry.
    pub sid: u32,
    /// PASID the entry was requested with.
    pub ssid: Option<u32>,
    /// Untranslated address of the start of the region.
    pub va: u64,
    /// log2 of the region size.
    pub size_shift: u32,
    /// Translated address of the start of the region.
    pub pa: u64,
    /// Read permission.
    pub read: bool,
    /// Write permission.
    pub write: bool,
    /// Execute permission.
    pub exec: bool,
    /// Privileged permissions were requested (the permissions are those of
    /// privileged accesses).
    pub privileged: bool,
    /// Global mapping (valid for every PASID).
    pub global: bool,
}

impl AtcEntry {
    fn size(&self) -> u64 {
        1u64.checked_shl(self.size_shift).unwrap_or(0)
    }

    /// Whether the region contains `va`.
    pub fn contains(&self, va: u64) -> bool {
        va >= self.va && va - self.va < self.size()
    }

    /// The translated address of `va` (meaningful if `contains(va)`).
    pub fn translate(&self, va: u64) -> u64 {
        self.pa | (va & self.size().wrapping_sub(1))
    }

    /// Bytes from `va` to the end of the region.
    pub fn bytes_left(&self, va: u64) -> u64 {
        self.size()
            .wrapping_sub(va & self.size().wrapping_sub(1))
            .max(1)
    }

    /// Whether the entry grants an access of `kind`.
    pub fn permits(&self, kind: AccessKind) -> bool {
        match kind {
            AccessKind::Read => self.read,
            AccessKind::Write => self.write,
            AccessKind::Exec => self.exec && self.read,
        }
    }

    fn overlaps(&self, first: u64, last: u64) -> bool {
        let end = self.va.saturating_add(self.size().saturating_sub(1));
        first <= end && last >= self.va
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
    /// Answers an ATS Translation Request, and caches a successful
    /// completion in the device's ATC.
    ///
    /// The stream must be enabled for ATS (`STE.EATS == 0b01`; otherwise
    /// `F_BAD_ATS_TREQ` is recorded). Translation goes through the TLB and
    /// stage 1 like any transaction, but a fault is not recorded and never
    /// stalls: it yields a completion granting nothing, after which a
    /// PRI-capable device sends a page request. Write permission is asked
    /// for unless `no_write`, which lets HTTU mark the page dirty.
    pub fn ats_translate<M: PhysMem + ?Sized>(
        &mut self,
        mem: &M,
        req: &AtsRequest,
    ) -> Result<AtcEntry, AtsError> {
        bump(&mut self.stats.ats_requests);
        let ur = Err(AtsError::UnsupportedRequest);
        if !self.cfg.ats || !self.smmu_enabled() {
            return ur;
        }
        let ste = match self.fetch_ste(mem, req.sid) {
            Ok(ste) => ste,
            Err(e) => {
                self.config_error(mem, req.sid, req.ssid, e);
                return ur;
            }
        };
        let config = match self.check_ste(&ste) {
            Ok(c) => c,
            Err(e) => {
                self.config_error(mem, req.sid, req.ssid, e);
                return ur;
            }
        };
        if config == Config::S1Translate && ste.eats() != Some(Eats::Translate) {
            let ev = Event::BadAtsTreq(BadAtsTreq {
                sid: req.sid,
                ssid: req.ssid,
                perm_bits: 0,
                span: 1,
                input_addr: req.addr & !0xfff,
            });
            self.record_event(mem, &ev);
            return ur;
        }
        let ctx = match self.resolve(mem, req.sid, req.ssid) {
            Ok(Resolved::S1(ctx)) => ctx,
            Ok(Resolved::Bypass) => {
                // Identity, full permissions, one 4KB page.
                let entry = AtcEntry {
                    sid: req.sid,
                    ssid: req.ssid,
                    va: req.addr & !0xfff,
                    size_shift: 12,
                    pa: req.addr & !0xfff,
                    read: true,
                    write: true,
                    exec: true,
                    privileged: req.privileged,
                    global: true,
                };
                self.atc_fill(entry);
                return Ok(entry);
            }
            Ok(Resolved::Abort) => return ur,
            Err(e) => {
                self.config_error(mem, req.sid, req.ssid, e);
                return ur;
            }
        };
        let mut access = Access {
            va: req.addr,
            kind: if req.no_write {
                AccessKind::Read
            } else {
                AccessKind::Write
            },
            privileged: req.privileged,
        };
        let mut result = self.lookup_or_walk(mem, &ctx, &access);
        if let Err(f) = result {
            if f.kind == FaultKind::Permission && access.kind == AccessKind::Write {
                access.kind = AccessKind::Read;
                result = self.lookup_or_walk(mem, &ctx, &access);
            }
        }
        let mut entry = AtcEntry {
            sid: req.sid,
            ssid: req.ssid,
            va: req.addr & !0xfff,
            size_shift: 12,
            pa: 0,
            read: false,
            write: false,
            exec: false,
            privileged: req.privileged,
            global: false,
        };
        let Ok(t) = result else {
            return Ok(entry);
        };
        let perms = t.attrs.perms(req.privileged);
        let size_mask = 1u64.checked_shl(t.size_shift).map_or(u64::MAX, |s| s - 1);
        entry.va = req.addr & !size_mask;
        entry.size_shift = t.size_shift;
        entry.pa = t.pa & !size_mask;
        entry.read = perms.read;
        entry.write = perms.write;
        entry.exec = req.exec && perms.exec;
        entry.global = !t.attrs.ng;
        if entry.read || entry.write {
            self.atc_fill(entry);
        }
        Ok(entry)
    }

    /// Stores a completion in the ATC, replacing overlapping entries of the
    /// same stream and PASID.
    fn atc_fill(&mut self, entry: AtcEntry) {
        let last = entry.va.saturating_add(entry.size().saturating_sub(1));
        self.atc.remove_where(|e| {
            e.sid == entry.sid && e.ssid == entry.ssid && e.overlaps(entry.va, last)
        });
        self.atc.insert(entry);
        bump(&mut self.stats.atc_fills);
    }

    /// The ATC entry of stream `sid` and PASID `ssid` covering `addr`, as
    /// the device would find it before issuing a translated transaction.
    pub fn atc_lookup(&self, sid: u32, ssid: Option<u32>, addr: u64) -> Option<AtcEntry> {
        self.atc
            .find(|e| e.sid == sid && (e.ssid == ssid || e.global) && e.contains(addr))
            .copied()
    }

    /// A transaction whose address was translated by the device's ATC
    /// (`AT == Translated`). It passes if the stream is enabled for ATS
    /// (`STE.EATS`), is aborted with `F_TRANSL_FORBIDDEN` otherwise; the
    /// stream's configuration must still be valid.
    pub fn translated_access<M: PhysMem + ?Sized>(
        &mut self,
        mem: &M,
        txn: &Transaction,
    ) -> Outcome {
        if !self.smmu_enabled() {
            return self.gbpa_outcome(txn.addr);
        }
        let checked = self
            .fetch_ste(mem, txn.sid)
            .and_then(|ste| self.check_ste(&ste).map(|c| (ste, c)));
        let (ste, config) = match checked {
            Ok(v) => v,
            Err(e) => return self.config_error(mem, txn.sid, txn.ssid, e),
        };
        match config {
            Config::Abort => Outcome::Terminated(Termination {
                abort: true,
                cause: TermCause::StreamAbort,
                recorded: false,
            }),
            Config::Bypass => Outcome::Bypass { pa: txn.addr },
            _ if self.cfg.ats && ste.eats() == Some(Eats::Translate) => {
                Outcome::AtsTranslated { pa: txn.addr }
            }
            _ => {
                let ev = Event::TranslForbidden {
                    sid: txn.sid,
                    rnw: txn.kind != AccessKind::Write,
                    input_addr: txn.addr,
                };
                let recorded = self.record_event(mem, &ev);
                Outcome::Terminated(Termination {
                    abort: true,
                    cause: TermCause::Fault(ev.event_id()),
                    recorded,
                })
            }
        }
    }

    /// `CMD_ATC_INV`: removes the entries of `sid` overlapping the span of
    /// `2^size` 4KB pages at `addr`. Without a PASID every entry of the
    /// stream in the span goes; with one, that PASID's entries, plus global
    /// entries of every PASID if `global`.
    pub(super) fn atc_invalidate(
        &mut self,
        sid: u32,
        ssid: Option<u32>,
        global: bool,
        size: u8,
        addr: u64,
    ) {
        let shift = 12u32.saturating_add(u32::from(size));
        let (first, last) = match 1u64.checked_shl(shift) {
            Some(span) => {
                let first = addr & !(span - 1);
                (first, first.saturating_add(span - 1))
            }
            None => (0, u64::MAX),
        };
        self.atc.remove_where(|e| {
            e.sid == sid
                && e.overlaps(first, last)
                && match ssid {
                    None => true,
                    Some(p) => e.ssid == Some(p) || (global && e.global && e.ssid.is_some()),
                }
        });
    }
}
