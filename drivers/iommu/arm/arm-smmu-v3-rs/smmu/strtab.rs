// SPDX-License-Identifier: GPL-2.0

//! The stream table in memory, and installing STEs into it.
//!
//! The table's shape comes from [`StreamTableGeometry`]. A linear table is
//! allocated whole and every STE set to the default entry (abort or
//! bypass). A 2-level table starts with a zeroed level-1 table (every
//! descriptor invalid: the SMMU treats their STEs as invalid and aborts
//! with `C_BAD_STE`);
//! the level-2 table of a StreamID is allocated when it is first used
//! ([`StreamTable::ensure_l2`]): filled with the default entry, then
//! published by writing its level-1 descriptor after a `dma_wmb()`, and
//! any cached copy of the descriptor invalidated (`CMD_CFGI_STE` with
//! `Leaf = 0`, `CMD_SYNC`).
//!
//! # Where level-2 tables live
//!
//! This code has no heap, so the level-2 buffers are stored in a container
//! the caller provides, through [`L2Slots`]: any `DerefMut<Target =
//! [Option<B>]>` works (a kernel `KVec<Option<B>>` sized to the level-1
//! table, a `Vec` on the host), and [`NoL2Slots`] serves linear tables.
//! With 2^17 level-1 descriptors a dense vector costs 2^17 buffer handles;
//! a sparse container (an XArray) can implement the trait instead.
//!
//! # Installing an STE
//!
//! [`StreamTable::install_ste`] runs the hitless entry writer
//! ([`crate::hw::writer::write_entry`]) over the live STE, with a sink
//! whose `sync` issues `CMD_CFGI_STE` for the StreamID and a `CMD_SYNC`.
//! [`StreamTable::ste_slot`] gives raw access to the live entry, for
//! debugging and for tests that need to bypass the invalidation.

use core::ops::DerefMut;

use crate::hw::cmd::Command;
use crate::hw::regs::{StrtabBase, StrtabBaseCfg};
use crate::hw::ste::{IllegalReason, Ste, STE_SIZE};
use crate::hw::strtab::{SteLocation, StreamTableGeometry, StrtabL1Desc, L1_DESC_SIZE};
use crate::hw::writer::{write_entry, EntrySink, WriteReport};
use crate::smmu::backend::{CoherentBuf, Delay, DmaAlloc, RegisterIo};
use crate::smmu::cmdq::CmdQueue;
use crate::smmu::device::{alloc_aligned, Device};
use crate::smmu::error::SmmuError;
use crate::smmu::slot::SteSlot;

/// Storage for the level-2 stream tables of a 2-level table, one slot per
/// level-1 descriptor.
pub trait L2Slots<B> {
    /// Number of slots.
    fn slots(&self) -> usize;

    /// The buffer in slot `index`, if it is filled.
    fn slot(&self, index: usize) -> Option<&B>;

    /// Fills the empty slot `index` with `buf`; gives `buf` back if the
    /// slot does not exist or is already filled.
    fn fill(&mut self, index: usize, buf: B) -> Result<(), B>;
}

impl<B, T: DerefMut<Target = [Option<B>]>> L2Slots<B> for T {
    fn slots(&self) -> usize {
        self.len()
    }

    fn slot(&self, index: usize) -> Option<&B> {
        self.get(index).and_then(Option::as_ref)
    }

    fn fill(&mut self, index: usize, buf: B) -> Result<(), B> {
        match self.get_mut(index) {
            Some(slot @ None) => {
                *slot = Some(buf);
                Ok(())
            }
            _ => Err(buf),
        }
    }
}

/// The container of a linear stream table, which has no level-2 tables.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoL2Slots;

impl<B> L2Slots<B> for NoL2Slots {
    fn slots(&self) -> usize {
        0
    }

    fn slot(&self, _index: usize) -> Option<&B> {
        None
    }

    fn fill(&mut self, _index: usize, buf: B) -> Result<(), B> {
        Err(buf)
    }
}

/// The [`EntrySink`] of [`StreamTable::install_ste`]: writes the live STE
/// and synchronises with `CMD_CFGI_STE` + `CMD_SYNC`. The writer's
/// callbacks cannot fail, so the first error is kept and reported after.
struct SyncingSink<'a, B, C, R, D> {
    slot: SteSlot<'a, B>,
    cmdq: &'a mut CmdQueue<C>,
    dev: &'a Device<R, D>,
    err: Option<SmmuError>,
}

impl<B, C, R, D> SyncingSink<'_, B, C, R, D> {
    fn note(&mut self, r: Result<(), SmmuError>) {
        if let (Err(e), None) = (r, &self.err) {
            self.err = Some(e);
        }
    }
}

impl<B: CoherentBuf, C: CoherentBuf, R: RegisterIo, D: Delay> EntrySink
    for SyncingSink<'_, B, C, R, D>
{
    fn read_qword(&self, index: usize) -> u64 {
        // In bounds by the slot's invariant; a failing backend reads as an
        // invalid entry and the error is reported by the next write.
        self.slot.read_qword(index).unwrap_or(0)
    }

    fn write_qword(&mut self, index: usize, value: u64) {
        if self.err.is_none() {
            let r = self.slot.write_qword(index, value);
            self.note(r);
        }
    }

    fn sync(&mut self) {
        if self.err.is_none() {
            let cmd = Command::CfgiSte {
                sid: self.slot.sid(),
                leaf: true,
            };
            let r = self.cmdq.issue(self.dev, &[cmd], true);
            self.note(r);
        }
    }

    fn publish_barrier(&mut self) {
        self.slot.buf().dma_wmb();
    }
}

/// A stream table: its base table and level-2 tables.
///
/// # Invariants
///
/// `base` holds `geom.base_table_bytes()` bytes aligned to that size; for
/// a 2-level table `l2.slots() >= geom.l1_entries()` and every filled slot
/// holds `geom.l2_table_bytes()` bytes aligned to that size, published in
/// the corresponding level-1 descriptor.
pub struct StreamTable<B, S> {
    geom: StreamTableGeometry,
    base: B,
    l2: S,
    default_ste: Ste,
}

impl<B: CoherentBuf, S: L2Slots<B>> StreamTable<B, S> {
    /// Allocates the base table for `geom`. Every STE of a linear table is
    /// set to `default_ste`, which is also what new level-2 tables are
    /// filled with. `l2` needs one slot per level-1 descriptor of a
    /// 2-level table.
    pub fn new<A: DmaAlloc<Buf = B>>(
        alloc: &A,
        geom: StreamTableGeometry,
        default_ste: Ste,
        l2: S,
    ) -> Result<Self, SmmuError> {
        if geom.is_two_level() && (l2.slots() as u64) < geom.l1_entries() {
            return Err(SmmuError::L2SlotsTooSmall {
                have: l2.slots(),
                need: geom.l1_entries(),
            });
        }
        let base = alloc_aligned(alloc, geom.base_table_bytes())?;
        if !geom.is_two_level() {
            fill_stes(&base, geom.l1_entries(), &default_ste)?;
        }
        Ok(Self {
            geom,
            base,
            l2,
            default_ste,
        })
    }

    /// The table's geometry.
    pub fn geometry(&self) -> StreamTableGeometry {
        self.geom
    }

    /// The entry unused StreamIDs hold.
    pub fn default_ste(&self) -> Ste {
        self.default_ste
    }

    /// The `SMMU_STRTAB_BASE` value (read-allocate hint set).
    pub fn base_reg(&self) -> Result<StrtabBase, SmmuError> {
        Ok(StrtabBase::default()
            .with_ra(true)
            .with_addr(self.base.dma_addr())?)
    }

    /// The `SMMU_STRTAB_BASE_CFG` value.
    pub fn base_cfg(&self) -> StrtabBaseCfg {
        self.geom.base_cfg()
    }

    /// The base table (linear STEs or level-1 descriptors).
    pub fn base_buf(&self) -> &B {
        &self.base
    }

    /// Whether the STE of `sid` exists in memory (always for a linear
    /// table; once its level-2 table is allocated for a 2-level one).
    pub fn is_present(&self, sid: u32) -> Result<bool, SmmuError> {
        Ok(match self.geom.locate(sid)? {
            SteLocation::Linear(_) => true,
            SteLocation::TwoLevel { l1, .. } => self.l2.slot(l1 as usize).is_some(),
        })
    }

    /// The live STE of `sid`; [`SmmuError::NoL2Table`] if its level-2
    /// table has not been allocated.
    pub fn ste_slot(&self, sid: u32) -> Result<SteSlot<'_, B>, SmmuError> {
        let (buf, index) = match self.geom.locate(sid)? {
            SteLocation::Linear(i) => (&self.base, i),
            SteLocation::TwoLevel { l1, l2 } => (
                self.l2
                    .slot(l1 as usize)
                    .ok_or(SmmuError::NoL2Table { sid })?,
                l2,
            ),
        };
        let off = (index as usize).saturating_mul(STE_SIZE);
        if off.saturating_add(STE_SIZE) > buf.size() {
            return Err(SmmuError::Mem(crate::smmu::backend::MemFault {
                offset: off,
            }));
        }
        Ok(SteSlot::new(buf, off, sid))
    }

    /// Reads the live STE of `sid`.
    pub fn read_ste(&self, sid: u32) -> Result<Ste, SmmuError> {
        self.ste_slot(sid)?.read()
    }

    /// Makes sure the STE of `sid` exists: for a 2-level table, allocates,
    /// initialises and publishes its level-2 table if needed. Returns
    /// whether a table was allocated. May sleep in the kernel (it
    /// allocates): call it when a device is probed, so that
    /// [`StreamTable::install_ste`] never allocates.
    pub fn ensure_l2<A, C, R, D>(
        &mut self,
        alloc: &A,
        dev: &Device<R, D>,
        cmdq: &mut CmdQueue<C>,
        sid: u32,
    ) -> Result<bool, SmmuError>
    where
        A: DmaAlloc<Buf = B>,
        C: CoherentBuf,
        R: RegisterIo,
        D: Delay,
    {
        let l1 = match self.geom.locate(sid)? {
            SteLocation::Linear(_) => return Ok(false),
            SteLocation::TwoLevel { l1, .. } => l1,
        };
        if self.l2.slot(l1 as usize).is_some() {
            return Ok(false);
        }
        let buf = alloc_aligned(alloc, self.geom.l2_table_bytes())?;
        fill_stes(&buf, u64::from(self.geom.l2_entries()), &self.default_ste)?;
        let desc = StrtabL1Desc::new(buf.dma_addr(), self.geom.split().saturating_add(1))?;
        let desc_off = (l1 as usize).saturating_mul(L1_DESC_SIZE as usize);
        // Fails only if the slot vanished; the buffer is then freed.
        self.l2
            .fill(l1 as usize, buf)
            .map_err(|_| SmmuError::NoL2Table { sid })?;
        // The level-2 STEs are visible before the descriptor.
        self.base.dma_wmb();
        self.base.write_u64(desc_off, desc.raw())?;
        cmdq.issue(dev, &[Command::CfgiSte { sid, leaf: false }], true)?;
        Ok(true)
    }

    /// Installs `ste` as the STE of `sid` (allocating its level-2 table if
    /// needed), hitlessly where possible, and waits until the SMMU uses
    /// it.
    ///
    /// An entry the SMMU would find ILLEGAL ([`Ste::check`] against the
    /// device's features) is refused with [`SmmuError::IllegalSte`] before
    /// anything is written; an invalid entry (`V == 0`) is allowed, it
    /// disables the stream.
    pub fn install_ste<A, C, R, D>(
        &mut self,
        alloc: &A,
        dev: &Device<R, D>,
        cmdq: &mut CmdQueue<C>,
        sid: u32,
        ste: &Ste,
    ) -> Result<WriteReport, SmmuError>
    where
        A: DmaAlloc<Buf = B>,
        C: CoherentBuf,
        R: RegisterIo,
        D: Delay,
    {
        match ste.check(dev.features()) {
            Ok(()) | Err(IllegalReason::NotValid) => {}
            Err(r) => return Err(SmmuError::IllegalSte(r)),
        }
        self.ensure_l2(alloc, dev, cmdq, sid)?;
        let mut sink = SyncingSink {
            slot: self.ste_slot(sid)?,
            cmdq,
            dev,
            err: None,
        };
        let report = write_entry(&mut sink, ste)?;
        match sink.err {
            Some(e) => Err(e),
            None => Ok(report),
        }
    }
}

/// Writes `count` copies of `ste` at the start of `buf`.
fn fill_stes<B: CoherentBuf>(buf: &B, count: u64, ste: &Ste) -> Result<(), SmmuError> {
    let mut off = 0usize;
    for _ in 0..count {
        for q in ste.qwords() {
            buf.write_u64(off, *q)?;
            off = off.saturating_add(8);
        }
    }
    Ok(())
}
