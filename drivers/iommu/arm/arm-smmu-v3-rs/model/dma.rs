// SPDX-License-Identifier: GPL-2.0

//! A DMA-capable device behind the model: moves buffers page by page
//! through the SMMU and [`PhysMem`].

use super::{
    AtsRequest, Outcome, PageRequest, PriState, Smmu, StallState, Termination, Transaction,
};
use crate::hw::cmd::PriResp;
use crate::hw::mem::{ExternalAbort, PhysMem};
use crate::hw::walk::AccessKind;

/// Transfers are split at 4KB boundaries (no translation granule is
/// smaller).
const CHUNK: u64 = 4096;

/// What a transfer waits for before it can continue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// A stalled transaction: the driver must handle the fault event and
    /// issue `CMD_RESUME` (or `CMD_STALL_TERM`).
    Stall {
        /// The stall tag.
        stag: u16,
    },
    /// A page request: the driver must handle the PRI queue entry and issue
    /// `CMD_PRI_RESP`.
    PageRequest {
        /// The page request group index.
        prgi: u16,
    },
}

/// Why a transfer failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DmaError {
    /// The SMMU aborted a transaction.
    Terminated(Termination),
    /// A stalled transaction was aborted (`CMD_RESUME` abort,
    /// `CMD_STALL_TERM`, or the SMMU disabled).
    StallAborted,
    /// A page request was answered with Deny or Failure.
    PageRequestRefused(PriResp),
    /// The stall or page request waited for is unknown to the SMMU (its
    /// result was taken by someone else, or evicted).
    WaitLost,
    /// An ATS Translation Request got Unsupported Request.
    AtsUnsupported,
    /// ATS granted no access and the device does not use PRI.
    AtsNoAccess,
    /// The memory access itself failed.
    Memory(ExternalAbort),
    /// [`DmaEngine::run_read`]/[`DmaEngine::run_write`] gave up after the
    /// given number of service rounds.
    TooManyRounds,
}

/// Progress of a transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DmaStatus {
    /// Everything was transferred.
    Complete,
    /// `done` bytes were transferred, then the device had to wait; service
    /// the SMMU (run the driver's fault path), then call again for the rest
    /// (address advanced by `done`).
    NeedsService {
        /// Bytes transferred before the wait.
        done: usize,
        /// What is waited for.
        wait: Wait,
    },
    /// `done` bytes were transferred, then the transfer failed.
    Failed {
        /// Bytes transferred before the failure.
        done: usize,
        /// Why.
        error: DmaError,
    },
}

/// The data side of a transfer.
enum Buf<'a> {
    Read(&'a mut [u8]),
    Write(&'a [u8]),
}

impl Buf<'_> {
    fn len(&self) -> usize {
        match self {
            Buf::Read(b) => b.len(),
            Buf::Write(b) => b.len(),
        }
    }

    /// The part of the buffer from `off` on (empty if `off` is past the
    /// end).
    fn tail(&mut self, off: usize) -> Buf<'_> {
        match self {
            Buf::Read(b) => Buf::Read(b.get_mut(off..).unwrap_or_default()),
            Buf::Write(b) => Buf::Write(b.get(off..).unwrap_or_default()),
        }
    }

    fn kind(&self) -> AccessKind {
        match self {
            Buf::Read(_) => AccessKind::Read,
            Buf::Write(_) => AccessKind::Write,
        }
    }

    /// Moves `len` bytes at `off` from/to physical address `pa`.
    fn copy<M: PhysMem + ?Sized>(
        &mut self,
        mem: &M,
        pa: u64,
        off: usize,
        len: usize,
    ) -> Result<(), ExternalAbort> {
        match self {
            Buf::Read(b) => match b.get_mut(off..off.saturating_add(len)) {
                Some(dst) => mem.read_bytes(pa, dst),
                None => Ok(()),
            },
            Buf::Write(b) => match b.get(off..off.saturating_add(len)) {
                Some(src) => mem.write_bytes(pa, src),
                None => Ok(()),
            },
        }
    }

    /// Completes `len` bytes at `off` as RAZ/WI.
    fn raz(&mut self, off: usize, len: usize) {
        if let Buf::Read(b) = self {
            if let Some(dst) = b.get_mut(off..off.saturating_add(len)) {
                dst.fill(0);
            }
        }
    }
}

/// How one chunk went.
enum Step {
    Done(usize),
    Wait(Wait),
    Fail(DmaError),
}

/// A device with one StreamID (and optional SubstreamID) doing DMA through
/// the model.
///
/// [`DmaEngine::read`] and [`DmaEngine::write`] translate each 4KB chunk
/// and copy it through [`PhysMem`]. When a transaction stalls or needs a
/// page request the transfer returns [`DmaStatus::NeedsService`]; the
/// caller runs the driver's fault handling and calls again with the rest
/// of the buffer: the engine first checks the outcome of what it waited
/// for, and retries the chunk if it was resolved successfully.
/// [`DmaEngine::run_read`] and [`DmaEngine::run_write`] wrap that loop.
///
/// Terminations that complete as RAZ/WI are not errors to the device: reads
/// return zeros, writes are dropped, and [`DmaEngine::razwi_bytes`] counts
/// them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DmaEngine {
    /// StreamID.
    pub sid: u32,
    /// SubstreamID (PASID), if the device uses one.
    pub ssid: Option<u32>,
    /// Whether transactions are privileged.
    pub privileged: bool,
    /// Whether the device uses PRI on translation faults.
    pub pri: bool,
    /// Whether the device translates through ATS and its ATC.
    pub ats: bool,
    /// Bytes completed as RAZ/WI so far.
    pub razwi_bytes: u64,
    wait: Option<Wait>,
    /// The next chunk completes as RAZ/WI (a stalled transaction was
    /// terminated without abort).
    raz_next: bool,
}

impl DmaEngine {
    /// A device with StreamID `sid` and SubstreamID `ssid`, unprivileged,
    /// without PRI or ATS.
    pub const fn new(sid: u32, ssid: Option<u32>) -> Self {
        Self {
            sid,
            ssid,
            privileged: false,
            pri: false,
            ats: false,
            razwi_bytes: 0,
            wait: None,
            raz_next: false,
        }
    }

    /// Stops waiting for what the last transfer waited for (the device
    /// gives up on it): the model forgets its result instead of keeping it
    /// for a collection that will not come. Nothing happens if the engine
    /// was not waiting.
    pub fn abandon<
        const CFG: usize,
        const TLB: usize,
        const ATC: usize,
        const STALLS: usize,
        const PRIS: usize,
    >(
        &mut self,
        smmu: &mut Smmu<CFG, TLB, ATC, STALLS, PRIS>,
    ) {
        match self.wait.take() {
            Some(Wait::Stall { stag }) => smmu.abandon_stall(self.sid, stag),
            Some(Wait::PageRequest { prgi }) => smmu.abandon_pri(self.sid, prgi),
            None => {}
        }
        self.raz_next = false;
    }

    /// The same device, using PRI.
    pub const fn with_pri(self) -> Self {
        Self { pri: true, ..self }
    }

    /// The same device, using ATS.
    pub const fn with_ats(self) -> Self {
        Self { ats: true, ..self }
    }

    /// The same device, issuing privileged transactions.
    pub const fn privileged(self) -> Self {
        Self {
            privileged: true,
            ..self
        }
    }

    /// What the device is waiting for, if anything.
    pub const fn waiting(&self) -> Option<Wait> {
        self.wait
    }

    /// Reads `buf.len()` bytes at device address `va`.
    pub fn read<
        M: PhysMem + ?Sized,
        const CFG: usize,
        const TLB: usize,
        const ATC: usize,
        const STALLS: usize,
        const PRIS: usize,
    >(
        &mut self,
        smmu: &mut Smmu<CFG, TLB, ATC, STALLS, PRIS>,
        mem: &M,
        va: u64,
        buf: &mut [u8],
    ) -> DmaStatus {
        self.transfer(smmu, mem, va, Buf::Read(buf))
    }

    /// Writes `data` at device address `va`.
    pub fn write<
        M: PhysMem + ?Sized,
        const CFG: usize,
        const TLB: usize,
        const ATC: usize,
        const STALLS: usize,
        const PRIS: usize,
    >(
        &mut self,
        smmu: &mut Smmu<CFG, TLB, ATC, STALLS, PRIS>,
        mem: &M,
        va: u64,
        data: &[u8],
    ) -> DmaStatus {
        self.transfer(smmu, mem, va, Buf::Write(data))
    }

    /// Reads `buf.len()` bytes at `va`, calling `service` (the driver's
    /// fault path) whenever the transfer waits, at most `max_rounds` times.
    pub fn run_read<
        M: PhysMem + ?Sized,
        const CFG: usize,
        const TLB: usize,
        const ATC: usize,
        const STALLS: usize,
        const PRIS: usize,
    >(
        &mut self,
        smmu: &mut Smmu<CFG, TLB, ATC, STALLS, PRIS>,
        mem: &M,
        va: u64,
        buf: &mut [u8],
        max_rounds: u32,
        service: impl FnMut(&mut Smmu<CFG, TLB, ATC, STALLS, PRIS>, &M),
    ) -> Result<(), DmaError> {
        self.run(smmu, mem, va, Buf::Read(buf), max_rounds, service)
    }

    /// Writes `data` at `va`, calling `service` whenever the transfer
    /// waits, at most `max_rounds` times.
    pub fn run_write<
        M: PhysMem + ?Sized,
        const CFG: usize,
        const TLB: usize,
        const ATC: usize,
        const STALLS: usize,
        const PRIS: usize,
    >(
        &mut self,
        smmu: &mut Smmu<CFG, TLB, ATC, STALLS, PRIS>,
        mem: &M,
        va: u64,
        data: &[u8],
        max_rounds: u32,
        service: impl FnMut(&mut Smmu<CFG, TLB, ATC, STALLS, PRIS>, &M),
    ) -> Result<(), DmaError> {
        self.run(smmu, mem, va, Buf::Write(data), max_rounds, service)
    }

    /// The loop behind [`DmaEngine::run_read`] and [`DmaEngine::run_write`]:
    /// transfers the rest of `buf` until it completes or fails, servicing
    /// every wait, at most `max_rounds` times.
    fn run<
        M: PhysMem + ?Sized,
        const CFG: usize,
        const TLB: usize,
        const ATC: usize,
        const STALLS: usize,
        const PRIS: usize,
    >(
        &mut self,
        smmu: &mut Smmu<CFG, TLB, ATC, STALLS, PRIS>,
        mem: &M,
        va: u64,
        mut buf: Buf<'_>,
        max_rounds: u32,
        mut service: impl FnMut(&mut Smmu<CFG, TLB, ATC, STALLS, PRIS>, &M),
    ) -> Result<(), DmaError> {
        let mut off = 0usize;
        let mut rounds = 0u32;
        loop {
            let rest = buf.tail(off);
            match self.transfer(smmu, mem, va.wrapping_add(off as u64), rest) {
                DmaStatus::Complete => return Ok(()),
                DmaStatus::Failed { error, .. } => return Err(error),
                DmaStatus::NeedsService { done, .. } => {
                    off = off.saturating_add(done);
                    if rounds >= max_rounds {
                        return Err(DmaError::TooManyRounds);
                    }
                    rounds += 1;
                    service(smmu, mem);
                }
            }
        }
    }

    fn transfer<
        M: PhysMem + ?Sized,
        const CFG: usize,
        const TLB: usize,
        const ATC: usize,
        const STALLS: usize,
        const PRIS: usize,
    >(
        &mut self,
        smmu: &mut Smmu<CFG, TLB, ATC, STALLS, PRIS>,
        mem: &M,
        va: u64,
        mut buf: Buf<'_>,
    ) -> DmaStatus {
        if let Some(wait) = self.wait {
            let resolved = match wait {
                Wait::Stall { stag } => match smmu.stall_result(self.sid, stag) {
                    StallState::Pending => None,
                    StallState::Retry => Some(Ok(())),
                    StallState::Terminated { abort: false } => {
                        self.raz_next = true;
                        Some(Ok(()))
                    }
                    StallState::Terminated { abort: true } => Some(Err(DmaError::StallAborted)),
                    StallState::Unknown => Some(Err(DmaError::WaitLost)),
                },
                Wait::PageRequest { prgi } => match smmu.pri_result(self.sid, prgi) {
                    PriState::Pending => None,
                    PriState::Responded(PriResp::Success) => Some(Ok(())),
                    PriState::Responded(r) => Some(Err(DmaError::PageRequestRefused(r))),
                    PriState::Unknown => Some(Err(DmaError::WaitLost)),
                },
            };
            match resolved {
                None => return DmaStatus::NeedsService { done: 0, wait },
                Some(r) => {
                    self.wait = None;
                    if let Err(error) = r {
                        return DmaStatus::Failed { done: 0, error };
                    }
                }
            }
        }
        let len = buf.len();
        let kind = buf.kind();
        let mut done = 0usize;
        while done < len {
            let cur = va.wrapping_add(done as u64);
            let to_page = CHUNK - (cur & (CHUNK - 1));
            // to_page <= 4096, so it fits in usize.
            let want = (len - done).min(to_page as usize);
            if self.raz_next {
                self.raz_next = false;
                buf.raz(done, want);
                self.razwi_bytes = self.razwi_bytes.saturating_add(want as u64);
                done += want;
                continue;
            }
            let step = if self.ats {
                self.ats_chunk(smmu, mem, cur, kind, &mut buf, done, want)
            } else {
                let txn = Transaction {
                    sid: self.sid,
                    ssid: self.ssid,
                    addr: cur,
                    kind,
                    privileged: self.privileged,
                    pri: self.pri,
                };
                let outcome = smmu.translate(mem, &txn);
                self.finish(mem, outcome, &mut buf, done, want)
            };
            match step {
                Step::Done(n) => done += n,
                Step::Wait(wait) => {
                    self.wait = Some(wait);
                    return DmaStatus::NeedsService { done, wait };
                }
                Step::Fail(error) => return DmaStatus::Failed { done, error },
            }
        }
        DmaStatus::Complete
    }

    /// Completes a chunk given the SMMU's answer.
    fn finish<M: PhysMem + ?Sized>(
        &mut self,
        mem: &M,
        outcome: Outcome,
        buf: &mut Buf<'_>,
        off: usize,
        want: usize,
    ) -> Step {
        let pa = match outcome {
            Outcome::Translated(t) => t.pa,
            Outcome::Bypass { pa } | Outcome::AtsTranslated { pa } => pa,
            Outcome::Terminated(t) if !t.abort => {
                buf.raz(off, want);
                self.razwi_bytes = self.razwi_bytes.saturating_add(want as u64);
                return Step::Done(want);
            }
            Outcome::Terminated(t) => return Step::Fail(DmaError::Terminated(t)),
            Outcome::Stalled { stag } => return Step::Wait(Wait::Stall { stag }),
            Outcome::PageRequest { prgi } => return Step::Wait(Wait::PageRequest { prgi }),
        };
        match buf.copy(mem, pa, off, want) {
            Ok(()) => Step::Done(want),
            Err(e) => Step::Fail(DmaError::Memory(e)),
        }
    }

    /// Translates and moves one chunk through the device's ATC.
    #[allow(clippy::too_many_arguments)]
    fn ats_chunk<
        M: PhysMem + ?Sized,
        const CFG: usize,
        const TLB: usize,
        const ATC: usize,
        const STALLS: usize,
        const PRIS: usize,
    >(
        &mut self,
        smmu: &mut Smmu<CFG, TLB, ATC, STALLS, PRIS>,
        mem: &M,
        cur: u64,
        kind: AccessKind,
        buf: &mut Buf<'_>,
        off: usize,
        want: usize,
    ) -> Step {
        let cached = smmu
            .atc_lookup(self.sid, self.ssid, cur)
            .filter(|e| e.permits(kind) && e.privileged == self.privileged);
        let entry = match cached {
            Some(e) => e,
            None => {
                let req = AtsRequest {
                    sid: self.sid,
                    ssid: self.ssid,
                    addr: cur,
                    privileged: self.privileged,
                    exec: false,
                    no_write: kind != AccessKind::Write,
                };
                match smmu.ats_translate(mem, &req) {
                    Err(_) => return Step::Fail(DmaError::AtsUnsupported),
                    Ok(e) if e.permits(kind) => e,
                    Ok(_) if self.pri => {
                        let pr = PageRequest {
                            sid: self.sid,
                            ssid: self.ssid,
                            addr: cur,
                            read: true,
                            write: kind == AccessKind::Write,
                            exec: false,
                            privileged: self.privileged,
                        };
                        return match smmu.page_request(mem, &pr) {
                            Ok(prgi) => Step::Wait(Wait::PageRequest { prgi }),
                            Err(_) => Step::Fail(DmaError::AtsNoAccess),
                        };
                    }
                    Ok(_) => return Step::Fail(DmaError::AtsNoAccess),
                }
            }
        };
        let txn = Transaction {
            sid: self.sid,
            ssid: self.ssid,
            addr: entry.translate(cur),
            kind,
            privileged: self.privileged,
            pri: false,
        };
        let outcome = smmu.translated_access(mem, &txn);
        self.finish(mem, outcome, buf, off, want)
    }
}
