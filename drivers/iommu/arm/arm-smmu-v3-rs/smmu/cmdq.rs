// SPDX-License-Identifier: GPL-2.0

//! The command queue producer.
//!
//! Commands are encoded ([`crate::hw::cmd::Command::encode`]) into a
//! [`CmdBatch`], then written to the queue memory in as few chunks as free
//! space allows, each chunk published with one ordered write of
//! `SMMU_CMDQ_PROD`. A batch ends either without waiting
//! ([`CmdBatch::submit`]) or with a `CMD_SYNC` whose completion is awaited
//! ([`CmdBatch::sync`]): after that, every command of the batch (and every
//! command before it) has taken effect.
//!
//! # Completion
//!
//! Without MSIs the driver polls `SMMU_CMDQ_CONS` until it has moved past
//! the `CMD_SYNC`. When the SMMU implements MSIs and is coherent, the
//! `CMD_SYNC` instead asks for an MSI write of 0 to its own first word,
//! which the driver polls in memory; no register read is needed per poll.
//!
//! # Errors
//!
//! While waiting, the driver also checks `SMMU_GERROR.CMDQ_ERR`. When the
//! SMMU has stopped on a command, [`CmdQueue::recover`] reads
//! `SMMU_CMDQ_CONS.ERR`:
//!
//! * `CERROR_ILL` (and unknown codes): the offending command is replaced by
//!   a `CMD_SYNC`, which the SMMU then executes harmlessly; the waiter gets
//!   [`SmmuError::CommandSkipped`] once its own sync completes, because the
//!   skipped command had no effect;
//! * `CERROR_ABT`: the fetch is retried (a bounded number of times, then
//!   [`SmmuError::CmdFetchAbort`]);
//! * `CERROR_ATC_INV_SYNC`: the `CMD_SYNC` is retried by the SMMU; the
//!   waiter gets [`SmmuError::AtcInvTimeout`] when it completes, because an
//!   ATS invalidation may not have reached the device.
//!
//! In each case `SMMU_GERRORN.CMDQ_ERR` is acknowledged (an ordered write,
//! after the repaired entry) and the SMMU resumes. The global error handler
//! calls the same recovery ([`Device::handle_gerror`]).
//!
//! Timeouts (no space, sync not completing) and malformed `CONS` values
//! are errors, never hangs or panics.
//!
//! # Concurrency
//!
//! A [`CmdQueue`] is driven through `&mut self`: the kernel serialises
//! producers with a spinlock (taken with interrupts disabled, since the
//! global error handler takes it too). Because a producer recovers command
//! errors itself while it waits, nothing it waits for needs another CPU.
//!
//! A lock-free version would follow upstream's design: producers reserve
//! slots by a compare-and-swap on a shared `(prod, cons)` word, write their
//! commands, mark them in a valid bitmap, and the first producer of a
//! gathered range publishes `SMMU_CMDQ_PROD` for all of them; `CMD_SYNC`
//! completion by MSI keeps waiters off the shared `CONS` register. The
//! encoding, chunking and recovery code here would be reused unchanged;
//! only [`CmdQueue::issue_raw`]'s reservation and publication would change.

use crate::hw::cmd::{Command, SyncCmd};
use crate::hw::queue::{Queue, CMDQ_ENTRY_BYTES, Q_OVERFLOW_FLAG};
use crate::hw::regs::{offsets, CmdqBase, CmdqCons, CmdqError, Gerror};
use crate::smmu::backend::{CoherentBuf, Delay, DmaAlloc, RegisterIo};
use crate::smmu::device::{alloc_aligned, poll, Device};
use crate::smmu::error::SmmuError;

/// Commands a [`CmdBatch`] holds before it writes them to the queue (as
/// upstream's `CMDQ_BATCH_ENTRIES` on 64-bit).
pub const CMDQ_BATCH_MAX: usize = 64;

/// Fetch aborts retried within one wait before giving up.
const MAX_ABORT_RETRIES: u32 = 16;

/// What [`CmdQueue::recover`] found and did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CmdqRecovery {
    /// The error the SMMU reported in `SMMU_CMDQ_CONS.ERR`.
    pub err: CmdqError,
    /// `SMMU_CMDQ_CONS` (index and wrap) of the command it stopped at.
    pub cons: u32,
    /// The command that was replaced by a `CMD_SYNC`, if any.
    pub skipped: Option<[u64; 2]>,
}

/// What happened to the commands of one issue while it waited.
#[derive(Default)]
struct WaitLog {
    skipped: Option<([u64; 2], CmdqError)>,
    atc_sync: bool,
    aborts: u32,
}

impl WaitLog {
    fn result(&self) -> Result<(), SmmuError> {
        if let Some((raw, err)) = self.skipped {
            Err(SmmuError::CommandSkipped { raw, err })
        } else if self.atc_sync {
            Err(SmmuError::AtcInvTimeout)
        } else {
            Ok(())
        }
    }
}

/// The command queue: its memory and the driver's producer state.
///
/// # Invariants
///
/// `prod` is the value last written to `SMMU_CMDQ_PROD` (index and wrap
/// only). `cons` is a consumer value no older than the SMMU's, and
/// `q.used(prod, cons)` succeeds. `buf` holds at least `q.bytes(16)`
/// bytes, aligned to that size.
pub struct CmdQueue<B> {
    buf: B,
    q: Queue,
    prod: u32,
    cons: u32,
    msi_poll: bool,
}

impl<B: CoherentBuf> CmdQueue<B> {
    /// Allocates a queue of `2^log2size` commands. With `msi_poll`,
    /// `CMD_SYNC` completes by MSI write-back (only valid on a coherent
    /// SMMU implementing MSIs, see [`Device::msi_poll`]).
    pub fn new<A: DmaAlloc<Buf = B>>(
        alloc: &A,
        log2size: u32,
        msi_poll: bool,
    ) -> Result<Self, SmmuError> {
        let q = Queue::new(log2size).map_err(|_| {
            SmmuError::Field(crate::hw::bits::FieldError {
                field: "CMDQ LOG2SIZE",
                value: u64::from(log2size),
            })
        })?;
        let buf = alloc_aligned(alloc, q.bytes(CMDQ_ENTRY_BYTES) as u64)?;
        Ok(Self {
            buf,
            q,
            prod: 0,
            cons: 0,
            msi_poll,
        })
    }

    /// The `SMMU_CMDQ_BASE` value for this queue (read-allocate hint set).
    pub fn base_reg(&self) -> Result<CmdqBase, SmmuError> {
        Ok(CmdqBase::default()
            .with_ra(true)
            .with_addr(self.buf.dma_addr())?
            .with_log2size(u64::from(self.q.log2size()))?)
    }

    /// The queue geometry.
    pub fn queue(&self) -> Queue {
        self.q
    }

    /// The queue memory.
    pub fn buf(&self) -> &B {
        &self.buf
    }

    /// The producer value last written to `SMMU_CMDQ_PROD`.
    pub fn prod(&self) -> u32 {
        self.prod
    }

    /// The consumer value last read from `SMMU_CMDQ_CONS` (or implied by an
    /// MSI completion).
    pub fn cons(&self) -> u32 {
        self.cons
    }

    /// Whether `CMD_SYNC` completes by MSI write-back.
    pub fn msi_poll(&self) -> bool {
        self.msi_poll
    }

    /// Forgets the producer state, for a reset that writes 0 to both
    /// `SMMU_CMDQ_PROD` and `SMMU_CMDQ_CONS`.
    pub fn reset_indexes(&mut self) {
        self.prod = 0;
        self.cons = 0;
    }

    /// Starts a batch of commands.
    pub fn batch<'a, R: RegisterIo, D: Delay>(
        &'a mut self,
        dev: &'a Device<R, D>,
    ) -> CmdBatch<'a, B, R, D> {
        CmdBatch {
            queue: self,
            dev,
            cmds: [[0; 2]; CMDQ_BATCH_MAX],
            len: 0,
        }
    }

    /// Issues `cmds`, followed by a `CMD_SYNC` whose completion is awaited
    /// when `sync` is true.
    pub fn issue<R: RegisterIo, D: Delay>(
        &mut self,
        dev: &Device<R, D>,
        cmds: &[Command],
        sync: bool,
    ) -> Result<(), SmmuError> {
        let mut batch = self.batch(dev);
        for cmd in cmds {
            batch.add(cmd)?;
        }
        if sync {
            batch.sync()
        } else {
            batch.submit()
        }
    }

    /// Issues a `CMD_SYNC` and waits for it: everything issued before has
    /// completed when this returns `Ok`.
    pub fn sync<R: RegisterIo, D: Delay>(&mut self, dev: &Device<R, D>) -> Result<(), SmmuError> {
        self.issue_raw(dev, &[], true)
    }

    /// Byte offset of the slot `p` points at.
    fn slot(&self, p: u32) -> usize {
        self.q.offset(p, CMDQ_ENTRY_BYTES)
    }

    fn write_slot(&self, p: u32, words: [u64; 2]) -> Result<(), SmmuError> {
        let off = self.slot(p);
        self.buf.write_u64(off, words[0])?;
        self.buf.write_u64(off.saturating_add(8), words[1])?;
        Ok(())
    }

    /// The `CMD_SYNC` to place at `p`.
    fn build_sync(&self, p: u32) -> Result<[u64; 2], SmmuError> {
        let sync = if self.msi_poll {
            let addr = self.buf.dma_addr().saturating_add(self.slot(p) as u64);
            SyncCmd::msi(addr, 0)
        } else {
            SyncCmd::none()
        };
        Ok(Command::Sync(sync).encode()?)
    }

    /// Reads and checks `SMMU_CMDQ_CONS` (index and wrap only).
    fn read_cons<R: RegisterIo, D: Delay>(&self, dev: &Device<R, D>) -> Result<u32, SmmuError> {
        let raw = dev.io().read32_relaxed(offsets::CMDQ_CONS)?;
        let bad = |err| SmmuError::BadQueuePointer {
            offset: offsets::CMDQ_CONS,
            err,
        };
        let cons = self.q.validate(raw, CmdqCons::ERR_MASK).map_err(bad)? & !Q_OVERFLOW_FLAG;
        self.q.used(self.prod, cons).map_err(bad)?;
        Ok(cons)
    }

    /// Recovers from a command queue error if `SMMU_GERROR.CMDQ_ERR` is
    /// active (see the module documentation); `Ok(None)` if it is not.
    ///
    /// Only `CMDQ_ERR` is acknowledged in `SMMU_GERRORN`. The caller must
    /// hold whatever serialises the queue (it rewrites a queue entry and
    /// `SMMU_GERRORN`).
    pub fn recover<R: RegisterIo, D: Delay>(
        &mut self,
        dev: &Device<R, D>,
    ) -> Result<Option<CmdqRecovery>, SmmuError> {
        let io = dev.io();
        let gerror = Gerror::from_raw(io.read32_relaxed(offsets::GERROR)?);
        let gerrorn = Gerror::from_raw(io.read32_relaxed(Gerror::N_OFFSET)?);
        if !gerror.active(gerrorn).cmdq_err() {
            return Ok(None);
        }
        let raw = io.read32_relaxed(offsets::CMDQ_CONS)?;
        let err = CmdqCons::from_raw(raw).err();
        let cons = self.read_cons(dev)?;
        self.cons = cons;
        let mut rec = CmdqRecovery {
            err,
            cons,
            skipped: None,
        };
        match err {
            CmdqError::Illegal | CmdqError::Other(_) => {
                let off = self.slot(cons);
                let bad = [
                    self.buf.read_u64(off)?,
                    self.buf.read_u64(off.saturating_add(8))?,
                ];
                let sync = self.build_sync(cons)?;
                self.write_slot(cons, sync)?;
                rec.skipped = Some(bad);
            }
            // The SMMU retries the fetch, or the CMD_SYNC, once the error is
            // acknowledged.
            CmdqError::Abort | CmdqError::AtcInvSync | CmdqError::None => {}
        }
        // Ordered: the repaired entry is visible before the SMMU resumes.
        let ack = gerrorn.acknowledge(Gerror::default().with_cmdq_err(true));
        io.write32(Gerror::N_OFFSET, ack.raw())?;
        Ok(Some(rec))
    }

    /// Recovers a command error, if any, while waiting.
    fn check_error<R: RegisterIo, D: Delay>(
        &mut self,
        dev: &Device<R, D>,
        log: &mut WaitLog,
    ) -> Result<(), SmmuError> {
        let Some(rec) = self.recover(dev)? else {
            return Ok(());
        };
        match rec.err {
            CmdqError::Abort => {
                log.aborts = log.aborts.saturating_add(1);
                if log.aborts > MAX_ABORT_RETRIES {
                    return Err(SmmuError::CmdFetchAbort { cons: rec.cons });
                }
            }
            CmdqError::AtcInvSync => log.atc_sync = true,
            CmdqError::None => {}
            err @ (CmdqError::Illegal | CmdqError::Other(_)) => {
                if let Some(raw) = rec.skipped {
                    log.skipped = Some((raw, err));
                }
            }
        }
        Ok(())
    }

    /// Waits until at least one slot is free; returns the number free.
    fn wait_for_space<R: RegisterIo, D: Delay>(
        &mut self,
        dev: &Device<R, D>,
        log: &mut WaitLog,
    ) -> Result<u32, SmmuError> {
        let shadow = self.q.free(self.prod, self.cons).unwrap_or(0);
        if shadow > 0 {
            return Ok(shadow);
        }
        let free = poll(dev.delay(), dev.config().timeouts.sync_us, || {
            self.cons = self.read_cons(dev)?;
            let free = self.q.free(self.prod, self.cons).unwrap_or(0);
            if free > 0 {
                return Ok(Some(free));
            }
            self.check_error(dev, log)?;
            Ok(None)
        })?;
        free.ok_or(SmmuError::CmdqFull {
            prod: self.prod,
            cons: self.cons,
        })
    }

    /// Waits until the `CMD_SYNC` at `sync_prod` has completed.
    fn wait_for_sync<R: RegisterIo, D: Delay>(
        &mut self,
        dev: &Device<R, D>,
        sync_prod: u32,
        log: &mut WaitLog,
    ) -> Result<(), SmmuError> {
        let timeout = dev.config().timeouts.sync_us;
        let done = if self.msi_poll {
            let off = self.slot(sync_prod);
            poll(dev.delay(), timeout, || {
                // The MSI payload (0) lands on the low 32 bits of word 0.
                if self.buf.read_u64(off)? as u32 == 0 {
                    self.cons = self.q.inc(sync_prod);
                    return Ok(Some(()));
                }
                self.check_error(dev, log)?;
                Ok(None)
            })?
        } else {
            poll(dev.delay(), timeout, || {
                self.cons = self.read_cons(dev)?;
                if self.q.consumed(self.cons, sync_prod) {
                    return Ok(Some(()));
                }
                self.check_error(dev, log)?;
                Ok(None)
            })?
        };
        if done.is_none() {
            if let Ok(cons) = self.read_cons(dev) {
                self.cons = cons;
            }
            return Err(SmmuError::SyncTimeout {
                sync_prod,
                cons: self.cons,
            });
        }
        Ok(())
    }

    /// Writes encoded commands to the queue, followed by a `CMD_SYNC` that
    /// is waited for when `sync` is true. Commands beyond the free space
    /// are written as space frees up.
    ///
    /// On error, a prefix of the commands may already have been written
    /// (and will be executed); the rest were not. An error reported after
    /// the sync completed ([`SmmuError::CommandSkipped`],
    /// [`SmmuError::AtcInvTimeout`]) means every command was written.
    pub fn issue_raw<R: RegisterIo, D: Delay>(
        &mut self,
        dev: &Device<R, D>,
        cmds: &[[u64; 2]],
        sync: bool,
    ) -> Result<(), SmmuError> {
        let total = cmds.len().saturating_add(usize::from(sync));
        let mut log = WaitLog::default();
        let mut done = 0usize;
        let mut sync_prod = None;
        while done < total {
            let free = self.wait_for_space(dev, &mut log)? as usize;
            let chunk = free.min(total - done);
            for _ in 0..chunk {
                let words = match cmds.get(done) {
                    Some(w) => *w,
                    None => {
                        sync_prod = Some(self.prod);
                        self.build_sync(self.prod)?
                    }
                };
                self.write_slot(self.prod, words)?;
                self.prod = self.q.inc(self.prod);
                done += 1;
            }
            // Ordered: the entries are visible before the SMMU sees PROD.
            dev.io().write32(offsets::CMDQ_PROD, self.prod)?;
        }
        if let Some(p) = sync_prod {
            self.wait_for_sync(dev, p, &mut log)?;
        }
        log.result()
    }
}

/// A batch of commands being built for one [`CmdQueue`].
///
/// Commands are encoded as they are added; a full batch is written to the
/// queue (without waiting) before the next command is added. End the batch
/// with [`CmdBatch::sync`] (write, `CMD_SYNC`, wait) or
/// [`CmdBatch::submit`] (write only). A batch dropped with commands left is
/// submitted without waiting, ignoring errors.
#[must_use = "commands reach the SMMU only through submit() or sync()"]
pub struct CmdBatch<'a, B: CoherentBuf, R: RegisterIo, D: Delay> {
    queue: &'a mut CmdQueue<B>,
    dev: &'a Device<R, D>,
    cmds: [[u64; 2]; CMDQ_BATCH_MAX],
    len: usize,
}

impl<B: CoherentBuf, R: RegisterIo, D: Delay> CmdBatch<'_, B, R, D> {
    /// Encodes and adds a command.
    pub fn add(&mut self, cmd: &Command) -> Result<(), SmmuError> {
        self.add_raw(cmd.encode()?)
    }

    /// Adds an already encoded command (used to inject arbitrary words in
    /// tests, and by callers that pre-encode).
    pub fn add_raw(&mut self, words: [u64; 2]) -> Result<(), SmmuError> {
        if self.len >= CMDQ_BATCH_MAX {
            self.flush(false)?;
        }
        if let Some(slot) = self.cmds.get_mut(self.len) {
            *slot = words;
            self.len += 1;
        }
        Ok(())
    }

    /// Number of commands not yet written to the queue.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no command is pending.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn flush(&mut self, sync: bool) -> Result<(), SmmuError> {
        let n = self.len;
        self.len = 0;
        let cmds = self.cmds.get(..n).unwrap_or(&[]);
        self.queue.issue_raw(self.dev, cmds, sync)
    }

    /// Writes the pending commands without waiting for them.
    pub fn submit(mut self) -> Result<(), SmmuError> {
        self.flush(false)
    }

    /// Writes the pending commands and a `CMD_SYNC`, and waits for it.
    pub fn sync(mut self) -> Result<(), SmmuError> {
        self.flush(true)
    }
}

impl<B: CoherentBuf, R: RegisterIo, D: Delay> Drop for CmdBatch<'_, B, R, D> {
    fn drop(&mut self) {
        if self.len > 0 {
            let _ = self.flush(false);
        }
    }
}
