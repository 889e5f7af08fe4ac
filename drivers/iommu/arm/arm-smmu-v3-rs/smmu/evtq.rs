// SPDX-License-Identifier: GPL-2.0

//! Consumers of the event queue and the PRI queue.
//!
//! Both queues are written by the SMMU and read by the driver:
//!
//! 1. read `PROD` with an ordered read (so that no record is read before
//!    the SMMU's write of `PROD` is seen) and check it: stray bits or a
//!    producer more than a queue ahead of the consumer are reported as
//!    [`SmmuError::BadQueuePointer`], and nothing is consumed;
//! 2. decode and hand each record to the caller's callback (decoding never
//!    fails: unknown event numbers are kept raw);
//! 3. free the slots with an ordered write of `CONS` (all reads of the
//!    records complete first);
//! 4. repeat until `PROD` stops moving or the caller's budget is spent.
//!
//! Overflow: when the queue was full the SMMU drops records and toggles
//! `PROD.OVFLG`. The architecture does not say how many records were lost;
//! [`DrainReport::overflows`] counts overflow episodes seen (each means at
//! least one lost record). The driver acknowledges by copying `OVFLG` to
//! `CONS.OVACKFLG` once it has caught up, as upstream does.

use crate::hw::event::{Event, EVT_DWORDS};
use crate::hw::pri::{PriRequest, PRIQ_DWORDS};
use crate::hw::queue::{Queue, EVTQ_ENTRY_BYTES, PRIQ_ENTRY_BYTES};
use crate::hw::regs::{offsets, EventqBase, PriqBase};
use crate::smmu::backend::{CoherentBuf, Delay, DmaAlloc, RegisterIo};
use crate::smmu::device::{alloc_aligned, Device};
use crate::smmu::error::SmmuError;

/// What one drain did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DrainReport {
    /// Records handed to the callback.
    pub records: u32,
    /// Overflow episodes seen (records were lost in each; the number is
    /// not reported by the SMMU).
    pub overflows: u32,
    /// The budget ran out with records left in the queue.
    pub more: bool,
}

/// Shared consumer state of an input queue.
///
/// # Invariants
///
/// `cons` is the value last written to the queue's `CONS` register;
/// `buf` holds `q.bytes(entry_bytes)` bytes aligned to that size, where
/// `entry_bytes` is the size of one record.
struct InQueue<B> {
    buf: B,
    q: Queue,
    cons: u32,
    ovf_counted: bool,
    entry_bytes: usize,
    prod_reg: usize,
    cons_reg: usize,
}

impl<B: CoherentBuf> InQueue<B> {
    fn new<A: DmaAlloc<Buf = B>>(
        alloc: &A,
        log2size: u32,
        entry_bytes: usize,
        prod_reg: usize,
        cons_reg: usize,
    ) -> Result<Self, SmmuError> {
        let q = Queue::new(log2size).map_err(|_| {
            SmmuError::Field(crate::hw::bits::FieldError {
                field: "queue LOG2SIZE",
                value: u64::from(log2size),
            })
        })?;
        let buf = alloc_aligned(alloc, q.bytes(entry_bytes) as u64)?;
        Ok(Self {
            buf,
            q,
            cons: 0,
            ovf_counted: false,
            entry_bytes,
            prod_reg,
            cons_reg,
        })
    }

    /// The `*_BASE` register value: address, size and write-allocate hint
    /// (`RA_WA`, bit 62, is the same in both registers).
    fn base_raw(&self) -> Result<u64, SmmuError> {
        Ok(EventqBase::default()
            .with_alloc_hint(true)
            .with_addr(self.buf.dma_addr())?
            .with_log2size(u64::from(self.q.log2size()))?
            .raw())
    }

    /// Forgets the consumer state, for a reset that writes 0 to `PROD` and
    /// `CONS`.
    fn reset_indexes(&mut self) {
        self.cons = 0;
        self.ovf_counted = false;
    }

    /// Reads and checks `PROD` against the consumer.
    fn read_prod<R: RegisterIo, D: Delay>(&self, dev: &Device<R, D>) -> Result<u32, SmmuError> {
        let offset = dev.page1(self.prod_reg);
        let raw = dev.io().read32(offset)?;
        let bad = |err| SmmuError::BadQueuePointer { offset, err };
        let prod = self.q.validate(raw, 0).map_err(bad)?;
        self.q.used(prod, self.cons).map_err(bad)?;
        Ok(prod)
    }

    fn drain<const N: usize, R: RegisterIo, D: Delay>(
        &mut self,
        dev: &Device<R, D>,
        budget: u32,
        mut f: impl FnMut(&[u64; N]),
    ) -> Result<DrainReport, SmmuError> {
        let mut report = DrainReport::default();
        let mut prod;
        loop {
            prod = self.read_prod(dev)?;
            if self.q.overflowed(prod, self.cons) && !self.ovf_counted {
                self.ovf_counted = true;
                report.overflows = report.overflows.saturating_add(1);
            }
            if self.q.is_empty(prod, self.cons) {
                break;
            }
            // Consistent by read_prod: at most one queue of records.
            while !self.q.is_empty(prod, self.cons) {
                if report.records >= budget {
                    report.more = true;
                    break;
                }
                let off = self.q.offset(self.cons, self.entry_bytes);
                let mut rec = [0u64; N];
                for (i, w) in rec.iter_mut().enumerate() {
                    *w = self.buf.read_u64(off.saturating_add(i * 8))?;
                }
                f(&rec);
                self.cons = self.q.inc(self.cons);
                report.records += 1;
            }
            // Ordered: the records are read before their slots are freed.
            dev.io().write32(dev.page1(self.cons_reg), self.cons)?;
            if report.more {
                break;
            }
        }
        if self.ovf_counted && !report.more {
            // Caught up with the last PROD read: acknowledge its overflow.
            self.cons = self.q.ack_overflow(self.cons, prod);
            self.ovf_counted = false;
            dev.io().write32(dev.page1(self.cons_reg), self.cons)?;
        }
        Ok(report)
    }
}

/// The event queue consumer.
pub struct EventQueue<B> {
    inner: InQueue<B>,
}

impl<B: CoherentBuf> EventQueue<B> {
    /// Allocates an event queue of `2^log2size` records.
    pub fn new<A: DmaAlloc<Buf = B>>(alloc: &A, log2size: u32) -> Result<Self, SmmuError> {
        Ok(Self {
            inner: InQueue::new(
                alloc,
                log2size,
                EVTQ_ENTRY_BYTES,
                offsets::EVENTQ_PROD,
                offsets::EVENTQ_CONS,
            )?,
        })
    }

    /// The `SMMU_EVENTQ_BASE` value for this queue.
    pub fn base_reg(&self) -> Result<EventqBase, SmmuError> {
        Ok(EventqBase::from_raw(self.inner.base_raw()?))
    }

    /// The queue geometry.
    pub fn queue(&self) -> Queue {
        self.inner.q
    }

    /// The consumer value last written to `SMMU_EVENTQ_CONS`.
    pub fn cons(&self) -> u32 {
        self.inner.cons
    }

    /// Forgets the consumer state, for a reset that writes 0 to
    /// `SMMU_EVENTQ_PROD` and `SMMU_EVENTQ_CONS`.
    pub fn reset_indexes(&mut self) {
        self.inner.reset_indexes();
    }

    /// Consumes up to `budget` records, passing each decoded event and its
    /// raw words to `f`.
    pub fn drain<R: RegisterIo, D: Delay>(
        &mut self,
        dev: &Device<R, D>,
        budget: u32,
        mut f: impl FnMut(&Event, &[u64; EVT_DWORDS]),
    ) -> Result<DrainReport, SmmuError> {
        self.inner
            .drain::<EVT_DWORDS, R, D>(dev, budget, |raw| f(&Event::decode(*raw), raw))
    }
}

/// The PRI queue consumer.
pub struct PriQueue<B> {
    inner: InQueue<B>,
}

impl<B: CoherentBuf> PriQueue<B> {
    /// Allocates a PRI queue of `2^log2size` requests.
    pub fn new<A: DmaAlloc<Buf = B>>(alloc: &A, log2size: u32) -> Result<Self, SmmuError> {
        Ok(Self {
            inner: InQueue::new(
                alloc,
                log2size,
                PRIQ_ENTRY_BYTES,
                offsets::PRIQ_PROD,
                offsets::PRIQ_CONS,
            )?,
        })
    }

    /// The `SMMU_PRIQ_BASE` value for this queue.
    pub fn base_reg(&self) -> Result<PriqBase, SmmuError> {
        Ok(PriqBase::from_raw(self.inner.base_raw()?))
    }

    /// The queue geometry.
    pub fn queue(&self) -> Queue {
        self.inner.q
    }

    /// The consumer value last written to `SMMU_PRIQ_CONS`.
    pub fn cons(&self) -> u32 {
        self.inner.cons
    }

    /// Forgets the consumer state, for a reset that writes 0 to
    /// `SMMU_PRIQ_PROD` and `SMMU_PRIQ_CONS`.
    pub fn reset_indexes(&mut self) {
        self.inner.reset_indexes();
    }

    /// Consumes up to `budget` page requests, passing each decoded request
    /// and its raw words to `f`. Requests with `last` set need a
    /// `CMD_PRI_RESP`, which the caller issues.
    pub fn drain<R: RegisterIo, D: Delay>(
        &mut self,
        dev: &Device<R, D>,
        budget: u32,
        mut f: impl FnMut(&PriRequest, &[u64; PRIQ_DWORDS]),
    ) -> Result<DrainReport, SmmuError> {
        self.inner
            .drain::<PRIQ_DWORDS, R, D>(dev, budget, |raw| f(&PriRequest::decode(*raw), raw))
    }
}
