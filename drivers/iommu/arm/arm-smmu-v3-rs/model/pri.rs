// SPDX-License-Identifier: GPL-2.0

//! PRI: page requests written to the PRI queue, and their responses.
//!
//! The model plays both the PCIe endpoint's part (tracking its outstanding
//! page request groups and the responses to them) and the SMMU's (writing
//! the requests to the PRI queue and consuming `CMD_PRI_RESP`).

use super::{bump, Outcome, Smmu, TermCause, Termination, Transaction};
use crate::hw::cmd::PriResp;
use crate::hw::mem::PhysMem;
use crate::hw::pri::PriRequest;
use crate::hw::queue::PRIQ_ENTRY_BYTES;
use crate::hw::regs::Gerror;
use crate::hw::walk::AccessKind;

/// Page request group indexes are 9 bits.
const PRGI_COUNT: u16 = 1 << 9;

/// A page request a device sends (one page, one group: `Last == 1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    /// StreamID of the requester.
    pub sid: u32,
    /// PASID, if any.
    pub ssid: Option<u32>,
    /// Address in the page requested (the page address is sent).
    pub addr: u64,
    /// Read access requested.
    pub read: bool,
    /// Write access requested.
    pub write: bool,
    /// Execute access requested.
    pub exec: bool,
    /// Privileged access requested.
    pub privileged: bool,
}

/// Why a page request could not be sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PriError {
    /// The SMMU does not implement PRI.
    Unsupported,
    /// The model's table of outstanding groups is full (the device has used
    /// all its outstanding page request credit).
    Busy,
}

/// The state of a page request group, as [`Smmu::pri_result`] reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PriState {
    /// Waiting for `CMD_PRI_RESP`.
    Pending,
    /// Responded to, by `CMD_PRI_RESP` or automatically (a request lost to
    /// a full PRI queue is answered with Success so that the device
    /// retries, one lost because the PRI queue is disabled with Failure).
    Responded(PriResp),
    /// No such group outstanding (never sent, or its response was already
    /// taken).
    Unknown,
}

/// An outstanding page request group.
#[derive(Clone, Copy, Debug)]
pub(super) struct PriGroup {
    pub(super) sid: u32,
    pub(super) prgi: u16,
    pub(super) state: PriState,
    /// The device stopped waiting ([`Smmu::abandon_pri`]): the group goes
    /// as soon as it is answered.
    pub(super) abandoned: bool,
}

/// Result of writing a request to the PRI queue.
enum PriqWrite {
    Written,
    /// Lost to a full (or overflowed) queue, or an aborted write.
    Overflow,
    /// Lost because the queue is disabled.
    Disabled,
}

impl<
        const CFG: usize,
        const TLB: usize,
        const ATC: usize,
        const STALLS: usize,
        const PRIS: usize,
    > Smmu<CFG, TLB, ATC, STALLS, PRIS>
{
    /// Sends a page request from a device: allocates a group index, writes
    /// the request to the PRI queue and returns the index, to be polled with
    /// [`Smmu::pri_result`].
    pub fn page_request<M: PhysMem + ?Sized>(
        &mut self,
        mem: &M,
        req: &PageRequest,
    ) -> Result<u16, PriError> {
        if !self.cfg.pri {
            return Err(PriError::Unsupported);
        }
        if self.pri.is_full() {
            // Drop a response the device never collected, if any.
            if self.pri.take(|g| g.state != PriState::Pending).is_none() {
                return Err(PriError::Busy);
            }
        }
        let prgi = self.alloc_prgi(req.sid).ok_or(PriError::Busy)?;
        let entry = PriRequest {
            sid: req.sid,
            ssid: req.ssid,
            privileged: req.privileged,
            exec: req.exec,
            read: req.read,
            write: req.write,
            last: true,
            prgi,
            addr: req.addr & !0xfff,
        };
        let state = match self.write_priq(mem, &entry) {
            PriqWrite::Written => PriState::Pending,
            PriqWrite::Overflow => PriState::Responded(PriResp::Success),
            PriqWrite::Disabled => PriState::Responded(PriResp::Fail),
        };
        let group = PriGroup {
            sid: req.sid,
            prgi,
            state,
            abandoned: false,
        };
        self.pri.try_insert(group).map_err(|_| PriError::Busy)?;
        Ok(prgi)
    }

    /// The state of page request group `prgi` of stream `sid`. Once
    /// responded to, the first call returns the response and forgets the
    /// group.
    pub fn pri_result(&mut self, sid: u32, prgi: u16) -> PriState {
        match self.pri.find(|g| g.sid == sid && g.prgi == prgi) {
            None => PriState::Unknown,
            Some(g) if g.state == PriState::Pending => PriState::Pending,
            Some(_) => self
                .pri
                .take(|g| g.sid == sid && g.prgi == prgi)
                .map_or(PriState::Unknown, |g| g.state),
        }
    }

    /// Sends the page request of a faulting [`Transaction::pri`]
    /// transaction.
    pub(super) fn pri_fault<M: PhysMem + ?Sized>(&mut self, mem: &M, txn: &Transaction) -> Outcome {
        let req = PageRequest {
            sid: txn.sid,
            ssid: txn.ssid,
            addr: txn.addr,
            read: txn.kind != AccessKind::Write,
            write: txn.kind == AccessKind::Write,
            exec: txn.kind == AccessKind::Exec,
            privileged: txn.privileged,
        };
        match self.page_request(mem, &req) {
            Ok(prgi) => Outcome::PageRequest { prgi },
            Err(_) => Outcome::Terminated(Termination {
                abort: true,
                cause: TermCause::PriUnavailable,
                recorded: false,
            }),
        }
    }

    /// `CMD_PRI_RESP`.
    pub(super) fn pri_respond(&mut self, sid: u32, prgi: u16, resp: PriResp) {
        match self
            .pri
            .find_mut(|g| g.sid == sid && g.prgi == prgi && g.state == PriState::Pending)
        {
            Some(g) => g.state = PriState::Responded(resp),
            None => bump(&mut self.stats.stray_pri_resps),
        }
        self.drop_abandoned_pri();
    }

    /// The device no longer waits for page request group `prgi` of `sid`:
    /// its response is dropped now if it came, or as soon as it comes (the
    /// group index stays in use until then, as the response is still due).
    pub fn abandon_pri(&mut self, sid: u32, prgi: u16) {
        if let Some(g) = self.pri.find_mut(|g| g.sid == sid && g.prgi == prgi) {
            g.abandoned = true;
        }
        self.drop_abandoned_pri();
    }

    /// Drops the answered groups nobody waits for any more.
    fn drop_abandoned_pri(&mut self) {
        self.pri
            .remove_where(|g| g.abandoned && g.state != PriState::Pending);
    }

    /// A group index of `sid` not outstanding.
    fn alloc_prgi(&mut self, sid: u32) -> Option<u16> {
        for _ in 0..PRGI_COUNT {
            let p = self.next_prgi % PRGI_COUNT;
            self.next_prgi = (p + 1) % PRGI_COUNT;
            if self.pri.find(|g| g.sid == sid && g.prgi == p).is_none() {
                return Some(p);
            }
        }
        None
    }

    /// Writes one PRI queue entry. While an overflow is unacknowledged
    /// (`PRIQ_PROD.OVFLG != PRIQ_CONS.OVACKFLG`) requests are discarded; a
    /// full queue toggles `OVFLG`.
    fn write_priq<M: PhysMem + ?Sized>(&mut self, mem: &M, req: &PriRequest) -> PriqWrite {
        if !self.regs.cr0().priqen() {
            bump(&mut self.stats.pri_lost);
            return PriqWrite::Disabled;
        }
        let qr = self.regs.priq;
        let q = qr.queue(self.cfg.priqs);
        if q.overflowed(qr.prod, qr.cons) {
            bump(&mut self.stats.pri_lost);
            return PriqWrite::Overflow;
        }
        if q.is_full(qr.prod, qr.cons) {
            self.regs.priq.prod ^= crate::hw::queue::Q_OVERFLOW_FLAG;
            bump(&mut self.stats.pri_lost);
            return PriqWrite::Overflow;
        }
        let was_empty = q.is_empty(qr.prod, qr.cons);
        let pa = qr.entry_addr(&q, qr.prod, PRIQ_ENTRY_BYTES);
        for (i, w) in req.encode().iter().enumerate() {
            if mem.write_u64(pa.wrapping_add(8 * i as u64), *w).is_err() {
                bump(&mut self.stats.pri_lost);
                self.raise_gerror(mem, Gerror::PRIQ_ABT_ERR_BIT);
                return PriqWrite::Overflow;
            }
        }
        self.regs.priq.prod = q.inc(qr.prod);
        bump(&mut self.stats.pri_written);
        if was_empty {
            self.signal(mem, super::regs::IrqLine::Priq);
        }
        PriqWrite::Written
    }
}
