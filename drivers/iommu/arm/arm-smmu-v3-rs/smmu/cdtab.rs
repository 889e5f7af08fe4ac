// SPDX-License-Identifier: GPL-2.0

//! A master's context descriptor table (its PASID table), and installing
//! CDs into it.
//!
//! # Shape
//!
//! The table's shape comes from [`CdTableGeometry::choose`] for the
//! master's SubstreamID width, limited to `SMMU_IDR1.SSIDSIZE`: linear up
//! to 1024 CDs (allocated whole, every CD invalid), 2-level with 64KB leaf
//! tables of 1024 CDs beyond when the SMMU has `IDR0.CD2L`, else linear
//! and capped at 1024 CDs. [`CdTable::with_geometry`] accepts any other
//! geometry (e.g. 4KB leaves). A SubstreamID the table does not cover is an
//! error ([`TableError::SsidOutOfRange`]), never a panic or a wrapped index.
//!
//! Every STE of the master points at the same table: [`CdTable::ste_config`]
//! gives the [`CdTableSte`] (`S1ContextPtr`, `S1Fmt`, `S1CDMax`, ...) to
//! build them with [`Ste::cd_table`](crate::hw::ste::Ste::cd_table).
//!
//! # Leaf tables, on demand and freed
//!
//! The level-1 table of a 2-level table starts zeroed: every descriptor
//! invalid (`V == 0`), which the SMMU reports as `C_BAD_SUBSTREAMID`. A
//! leaf is allocated when a valid CD is first installed in its range:
//! zeroed (every CD invalid), then published by writing its level-1
//! descriptor after a `dma_wmb()`, and any cached copy of the old, invalid
//! descriptor invalidated: an SMMU may cache invalid level-1 descriptors,
//! so `CMD_CFGI_CD` with `Leaf = 0` for every StreamID of the master, then
//! `CMD_SYNC` (as upstream's `arm_smmu_alloc_cd_ptr`).
//!
//! Unlike upstream, which keeps leaves until the master goes away, a leaf
//! is freed when the last valid CD in it is cleared:
//!
//! 1. the CD is cleared through the entry writer, whose sync invalidates
//!    the cached CD (`CMD_CFGI_CD`, `Leaf = 1`, per StreamID, `CMD_SYNC`);
//! 2. the level-1 descriptor is cleared with one 64-bit store;
//! 3. `CMD_CFGI_CD` with `Leaf = 0` for one SubstreamID of the leaf, per
//!    StreamID, and `CMD_SYNC`. `Leaf = 0` invalidates the level-1
//!    descriptor on the path to that SubstreamID as well as its CD; one
//!    SubstreamID per leaf suffices since they share the descriptor. CDs
//!    of other SubstreamIDs of the leaf need nothing more: every one of
//!    them was invalidated when it was last cleared, so what the SMMU may
//!    still cache of them is an invalid CD, which points at nothing;
//! 4. only then is the leaf freed: the SMMU can no longer reach it.
//!
//! (`CMD_CFGI_STE` would also drop the cached level-1 descriptors, and
//! `CMD_CFGI_CD_ALL` too, but both drop every other CD of the stream.)
//!
//! # Where leaves live
//!
//! As for the stream table ([`L2Slots`](crate::smmu::L2Slots)), this code
//! has no heap: leaves are kept in a container the caller provides, through
//! [`CdLeafSlots`], one slot per level-1 descriptor. A `KVec<Option<
//! CdLeaf<B>>>` (kernel) or `Vec` (host) of [`CdTableGeometry::l1_entries`]
//! elements works as is; [`NoCdLeaves`] serves linear tables.
//!
//! # Installing a CD
//!
//! [`CdTable::install_cd`] runs the hitless entry writer
//! ([`crate::hw::writer::write_entry`]) over the live CD, with a sink whose
//! `sync` issues `CMD_CFGI_CD` (`Leaf = 1`) for every StreamID of the
//! master and one `CMD_SYNC`. The StreamIDs are passed to every call that
//! may need to invalidate: they must be all the StreamIDs whose STEs point
//! at this table (a StreamID left out may keep using a stale CD).
//!
//! # Invariants
//!
//! Kept by every method, including on error paths:
//!
//! * a leaf slot is filled if and only if its leaf is allocated; a filled
//!   slot's level-1 descriptor points at it, except transiently after an
//!   error while freeing it, when it reads as invalid (`V == 0`) and the
//!   leaf is kept because the SMMU may still hold the old descriptor; the
//!   next install in its range republishes it, the next clear retries the
//!   free;
//! * the count of valid CDs of a leaf ([`CdLeaf::valid_cds`]) equals the
//!   number of CDs with `V == 1` in its memory, as long as every CD is
//!   written through this type;
//! * a leaf is freed only after a completed `CMD_SYNC` that followed the
//!   invalidation of its level-1 descriptor for every StreamID given;
//! * an allocated leaf holds at least one valid CD, except after an error
//!   (then it is freed by the next clear in its range, or with the table).
//!
//! Dropping the table frees its memory: no STE may point at it any more
//! (the caller installs other STEs, with their syncs, first).

use core::ops::DerefMut;

use crate::hw::cd::{Cd, CD_SIZE};
use crate::hw::cmd::Command;
use crate::hw::ste::{CdTableSte, IllegalReason, S1Dss, S1Fmt};
use crate::hw::strtab::{CdL1Desc, CdLocation, CdTableGeometry, TableError, L1_DESC_SIZE};
use crate::hw::writer::{plan, write_entry, EntrySink, WriteReport};
use crate::smmu::backend::{CoherentBuf, Delay, DmaAlloc, MemFault, RegisterIo};
use crate::smmu::cmdq::CmdQueue;
use crate::smmu::device::{alloc_aligned, Device};
use crate::smmu::error::SmmuError;
use crate::smmu::slot::CdSlot;

/// One allocated leaf table of a 2-level CD table.
///
/// # Invariants
///
/// `buf` holds the geometry's leaf size, aligned to it (at least 4KB);
/// `valid` is the number of CDs with `V == 1` in it.
pub struct CdLeaf<B> {
    buf: B,
    valid: u32,
}

impl<B: CoherentBuf> CdLeaf<B> {
    /// The leaf's memory.
    pub fn buf(&self) -> &B {
        &self.buf
    }

    /// Number of valid CDs in the leaf.
    pub fn valid_cds(&self) -> u32 {
        self.valid
    }
}

/// Storage for the leaf tables of a 2-level CD table, one slot per level-1
/// descriptor.
pub trait CdLeafSlots<B> {
    /// Number of slots.
    fn slots(&self) -> usize;

    /// The leaf in slot `index`, if it is filled.
    fn leaf(&self, index: usize) -> Option<&CdLeaf<B>>;

    /// The leaf in slot `index`, mutably, if it is filled.
    fn leaf_mut(&mut self, index: usize) -> Option<&mut CdLeaf<B>>;

    /// Fills the empty slot `index` with `leaf`; gives `leaf` back if the
    /// slot does not exist or is already filled.
    fn fill(&mut self, index: usize, leaf: CdLeaf<B>) -> Result<(), CdLeaf<B>>;

    /// Empties slot `index`, returning its leaf (dropping it frees the
    /// memory). A container that must not free memory where the table
    /// runs (the kernel's, under the command queue lock) may keep the
    /// leaf for freeing later and return `None`: the table only drops
    /// what it gets back.
    fn take(&mut self, index: usize) -> Option<CdLeaf<B>>;
}

impl<B, T: DerefMut<Target = [Option<CdLeaf<B>>]>> CdLeafSlots<B> for T {
    fn slots(&self) -> usize {
        self.len()
    }

    fn leaf(&self, index: usize) -> Option<&CdLeaf<B>> {
        self.get(index).and_then(Option::as_ref)
    }

    fn leaf_mut(&mut self, index: usize) -> Option<&mut CdLeaf<B>> {
        self.get_mut(index).and_then(Option::as_mut)
    }

    fn fill(&mut self, index: usize, leaf: CdLeaf<B>) -> Result<(), CdLeaf<B>> {
        match self.get_mut(index) {
            Some(slot @ None) => {
                *slot = Some(leaf);
                Ok(())
            }
            _ => Err(leaf),
        }
    }

    fn take(&mut self, index: usize) -> Option<CdLeaf<B>> {
        self.get_mut(index).and_then(Option::take)
    }
}

/// The container of a linear CD table, which has no leaves.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoCdLeaves;

impl<B> CdLeafSlots<B> for NoCdLeaves {
    fn slots(&self) -> usize {
        0
    }

    fn leaf(&self, _index: usize) -> Option<&CdLeaf<B>> {
        None
    }

    fn leaf_mut(&mut self, _index: usize) -> Option<&mut CdLeaf<B>> {
        None
    }

    fn fill(&mut self, _index: usize, leaf: CdLeaf<B>) -> Result<(), CdLeaf<B>> {
        Err(leaf)
    }

    fn take(&mut self, _index: usize) -> Option<CdLeaf<B>> {
        None
    }
}

/// What [`CdTable::install_cd`] or [`CdTable::clear_cd`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CdUpdate {
    /// The entry writer's report, or `None` if no CD was written (clearing
    /// a SubstreamID whose leaf is not allocated).
    pub write: Option<WriteReport>,
    /// A leaf table was allocated and published for the CD.
    pub leaf_allocated: bool,
    /// The CD was the last valid one of its leaf, which was unpublished
    /// and freed.
    pub leaf_freed: bool,
}

/// Issues `CMD_CFGI_CD` for (`sid`, `ssid`, `leaf`) for every `sid` of
/// `sids`, then one `CMD_SYNC`, and waits for it.
fn sync_cd<C, R, D>(
    dev: &Device<R, D>,
    cmdq: &mut CmdQueue<C>,
    sids: &[u32],
    ssid: u32,
    leaf: bool,
) -> Result<(), SmmuError>
where
    C: CoherentBuf,
    R: RegisterIo,
    D: Delay,
{
    let mut batch = cmdq.batch(dev);
    for &sid in sids {
        batch.add(&Command::CfgiCd { sid, ssid, leaf })?;
    }
    batch.sync()
}

/// The [`EntrySink`] of [`CdTable::install_cd`]: writes the live CD and
/// synchronises with `CMD_CFGI_CD` (`Leaf = 1`) per StreamID + `CMD_SYNC`.
/// The writer's callbacks cannot fail, so the first error is kept and
/// reported after; nothing is written or issued once one occurred.
struct CdSink<'a, B, C, R, D> {
    slot: CdSlot<'a, B>,
    cmdq: &'a mut CmdQueue<C>,
    dev: &'a Device<R, D>,
    sids: &'a [u32],
    err: Option<SmmuError>,
}

impl<B, C, R, D> CdSink<'_, B, C, R, D> {
    fn note(&mut self, r: Result<(), SmmuError>) {
        if let (Err(e), None) = (r, &self.err) {
            self.err = Some(e);
        }
    }
}

impl<B: CoherentBuf, C: CoherentBuf, R: RegisterIo, D: Delay> EntrySink for CdSink<'_, B, C, R, D> {
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
            let r = sync_cd(self.dev, self.cmdq, self.sids, self.slot.ssid(), true);
            self.note(r);
        }
    }

    fn publish_barrier(&mut self) {
        // The page tables a new CD points at are visible before it.
        self.slot.buf().dma_wmb();
    }
}

/// A master's CD table: its base table (linear CDs or level-1 descriptors)
/// and leaf tables.
///
/// # Invariants
///
/// `base` holds `geom.base_table_bytes()` bytes aligned to that size
/// (rounded up to a power of two of at least 64 bytes); for a 2-level
/// table `leaves.slots() >= geom.l1_entries()`, and the module-level
/// invariants hold for every slot.
pub struct CdTable<B, S> {
    geom: CdTableGeometry,
    base: B,
    leaves: S,
    stall: bool,
}

impl<B: CoherentBuf, S: CdLeafSlots<B>> CdTable<B, S> {
    /// Allocates the table of a master with `ssid_bits` SubstreamID bits
    /// (limited to the SMMU's `IDR1.SSIDSIZE`), shaped by
    /// [`CdTableGeometry::choose`]; every CD is invalid. `stall` says
    /// whether the master tolerates stalled transactions (it decides
    /// `STE.S1STALLD`, which constrains `CD.S`). `leaves` needs one slot
    /// per level-1 descriptor of a 2-level table (see
    /// [`CdTable::geometry_for`]).
    pub fn new<A, R, D>(
        alloc: &A,
        dev: &Device<R, D>,
        ssid_bits: u8,
        stall: bool,
        leaves: S,
    ) -> Result<Self, SmmuError>
    where
        A: DmaAlloc<Buf = B>,
        R: RegisterIo,
        D: Delay,
    {
        Self::with_geometry(alloc, Self::geometry_for(dev, ssid_bits)?, stall, leaves)
    }

    /// The geometry [`CdTable::new`] uses on `dev` for `ssid_bits`
    /// SubstreamID bits: use its [`CdTableGeometry::l1_entries`] to size
    /// the leaf container of a 2-level table.
    pub fn geometry_for<R: RegisterIo, D: Delay>(
        dev: &Device<R, D>,
        ssid_bits: u8,
    ) -> Result<CdTableGeometry, SmmuError> {
        let f = dev.features();
        let bits = ssid_bits.min(f.ssidsize);
        Ok(CdTableGeometry::choose(bits, f.cd2l)?)
    }

    /// Allocates a table of the given geometry (which must suit the SMMU:
    /// `S1CDMax <= SSIDSIZE`, 2-level only with `CD2L`, as
    /// [`Ste::check`](crate::hw::ste::Ste::check) verifies for the STEs).
    pub fn with_geometry<A: DmaAlloc<Buf = B>>(
        alloc: &A,
        geom: CdTableGeometry,
        stall: bool,
        leaves: S,
    ) -> Result<Self, SmmuError> {
        let l1 = u64::from(geom.l1_entries());
        if geom.l2_entries() != 0 && (leaves.slots() as u64) < l1 {
            return Err(SmmuError::L2SlotsTooSmall {
                have: leaves.slots(),
                need: l1,
            });
        }
        // Zeroed by the allocator: invalid CDs, or invalid descriptors.
        let base = alloc_aligned(alloc, geom.base_table_bytes())?;
        Ok(Self {
            geom,
            base,
            leaves,
            stall,
        })
    }

    /// The table's geometry.
    pub fn geometry(&self) -> CdTableGeometry {
        self.geom
    }

    /// Whether the table has two levels.
    pub fn is_two_level(&self) -> bool {
        self.geom.l2_entries() != 0
    }

    /// Number of SubstreamIDs covered (`2^S1CDMax`).
    pub fn num_ssids(&self) -> u32 {
        self.geom.num_cds()
    }

    /// Whether the master tolerates stalls (as given at creation).
    pub fn stall(&self) -> bool {
        self.stall
    }

    /// The address of the table, for `STE.S1ContextPtr`.
    pub fn context_ptr(&self) -> u64 {
        self.base.dma_addr()
    }

    /// `STE.S1Fmt`.
    pub fn s1fmt(&self) -> S1Fmt {
        self.geom.s1fmt()
    }

    /// `STE.S1CDMax`.
    pub fn s1cdmax(&self) -> u8 {
        self.geom.s1cdmax()
    }

    /// The STE parameters of every StreamID of the master: this table
    /// (`S1ContextPtr`, `S1Fmt`, `S1CDMax`), the master's stall tolerance,
    /// and the given `S1DSS` and ATS choice. Build the STEs with
    /// [`Ste::cd_table`](crate::hw::ste::Ste::cd_table).
    pub fn ste_config(&self, s1dss: S1Dss, ats: bool) -> CdTableSte {
        CdTableSte {
            cd_table: self.context_ptr(),
            s1fmt: self.geom.s1fmt(),
            s1cdmax: self.geom.s1cdmax(),
            s1dss,
            ats,
            stall: self.stall,
        }
    }

    /// The leaf container (for the owner's bookkeeping of freed leaves).
    pub fn leaves_mut(&mut self) -> &mut S {
        &mut self.leaves
    }

    /// The base table (linear CDs or level-1 descriptors).
    pub fn base_buf(&self) -> &B {
        &self.base
    }

    /// Number of allocated leaves (0 for a linear table).
    pub fn leaf_count(&self) -> usize {
        if !self.is_two_level() {
            return 0;
        }
        (0..self.geom.l1_entries() as usize)
            .filter(|&i| self.leaves.leaf(i).is_some())
            .count()
    }

    /// Whether the CD of `ssid` exists in memory (always for a linear
    /// table; while its leaf is allocated for a 2-level one).
    pub fn is_present(&self, ssid: u32) -> Result<bool, SmmuError> {
        Ok(match self.geom.locate(ssid)? {
            CdLocation::Linear(_) => true,
            CdLocation::TwoLevel { l1, .. } => self.leaves.leaf(l1 as usize).is_some(),
        })
    }

    /// The number of valid CDs in the leaf covering `ssid`, or `None` if
    /// that leaf is not allocated or the table is linear.
    pub fn leaf_valid_cds(&self, ssid: u32) -> Result<Option<u32>, SmmuError> {
        Ok(match self.geom.locate(ssid)? {
            CdLocation::Linear(_) => None,
            CdLocation::TwoLevel { l1, .. } => self.leaves.leaf(l1 as usize).map(|l| l.valid),
        })
    }

    /// The raw level-1 descriptor covering `ssid` (2-level tables).
    pub fn l1_desc(&self, ssid: u32) -> Result<CdL1Desc, SmmuError> {
        match self.geom.locate(ssid)? {
            CdLocation::Linear(_) => Err(SmmuError::Table(TableError::ReservedFormat)),
            CdLocation::TwoLevel { l1, .. } => {
                Ok(CdL1Desc::from_raw(self.base.read_u64(l1_off(l1))?))
            }
        }
    }

    /// The live CD of `ssid`; [`SmmuError::NoCdLeaf`] if its leaf has not
    /// been allocated.
    pub fn cd_slot(&self, ssid: u32) -> Result<CdSlot<'_, B>, SmmuError> {
        let (buf, index) = match self.geom.locate(ssid)? {
            CdLocation::Linear(i) => (&self.base, i),
            CdLocation::TwoLevel { l1, l2 } => (
                &self
                    .leaves
                    .leaf(l1 as usize)
                    .ok_or(SmmuError::NoCdLeaf { ssid })?
                    .buf,
                l2,
            ),
        };
        let off = (index as usize).saturating_mul(CD_SIZE);
        if off.saturating_add(CD_SIZE) > buf.size() {
            return Err(SmmuError::Mem(MemFault { offset: off }));
        }
        Ok(CdSlot::new(buf, off, ssid))
    }

    /// Reads the live CD of `ssid`: an invalid CD if its leaf is not
    /// allocated.
    pub fn read_cd(&self, ssid: u32) -> Result<Cd, SmmuError> {
        match self.cd_slot(ssid) {
            Err(SmmuError::NoCdLeaf { .. }) => Ok(Cd::invalid()),
            r => r?.read(),
        }
    }

    /// Installs `cd` as the CD of `ssid`, hitlessly where possible, and
    /// waits until the SMMU uses it through every StreamID of `sids`.
    ///
    /// `sids` are all the StreamIDs whose STEs point at this table. For a
    /// 2-level table the leaf is allocated and published first if needed
    /// (this allocates: it may sleep in the kernel). A `cd` the SMMU would
    /// refuse ([`Cd::check`] against the device's features and the
    /// `S1STALLD` the master's STEs get) is refused with
    /// [`SmmuError::IllegalCd`], and a `cd` setting bits it does not use
    /// with [`SmmuError::Write`], before anything is allocated or written.
    /// An invalid `cd` clears the CD, as [`CdTable::clear_cd`].
    pub fn install_cd<A, C, R, D>(
        &mut self,
        alloc: &A,
        dev: &Device<R, D>,
        cmdq: &mut CmdQueue<C>,
        sids: &[u32],
        ssid: u32,
        cd: &Cd,
    ) -> Result<CdUpdate, SmmuError>
    where
        A: DmaAlloc<Buf = B>,
        C: CoherentBuf,
        R: RegisterIo,
        D: Delay,
    {
        let loc = self.geom.locate(ssid)?;
        // The target's own consistency does not depend on the current CD.
        plan(&Cd::invalid(), cd)?;
        let caps = dev.ste_caps();
        let s1stalld = caps.stalls && !caps.stall_forced && !self.stall;
        match cd.check(dev.features(), s1stalld) {
            Ok(()) => {}
            Err(IllegalReason::NotValid) => return self.clear_at(dev, cmdq, sids, ssid, loc),
            Err(r) => return Err(SmmuError::IllegalCd(r)),
        }
        let leaf_allocated = match loc {
            CdLocation::Linear(_) => false,
            CdLocation::TwoLevel { l1, .. } => {
                self.ensure_leaf(alloc, dev, cmdq, sids, ssid, l1)?
            }
        };
        let write = self.write_cd(dev, cmdq, sids, ssid, loc, cd)?;
        Ok(CdUpdate {
            write: Some(write),
            leaf_allocated,
            leaf_freed: false,
        })
    }

    /// Clears (invalidates) the CD of `ssid` and waits until no StreamID
    /// of `sids` uses it; frees its leaf if it was the last valid CD there
    /// (see the module documentation). Clearing a CD whose leaf is not
    /// allocated does nothing.
    pub fn clear_cd<C, R, D>(
        &mut self,
        dev: &Device<R, D>,
        cmdq: &mut CmdQueue<C>,
        sids: &[u32],
        ssid: u32,
    ) -> Result<CdUpdate, SmmuError>
    where
        C: CoherentBuf,
        R: RegisterIo,
        D: Delay,
    {
        let loc = self.geom.locate(ssid)?;
        self.clear_at(dev, cmdq, sids, ssid, loc)
    }

    fn clear_at<C, R, D>(
        &mut self,
        dev: &Device<R, D>,
        cmdq: &mut CmdQueue<C>,
        sids: &[u32],
        ssid: u32,
        loc: CdLocation,
    ) -> Result<CdUpdate, SmmuError>
    where
        C: CoherentBuf,
        R: RegisterIo,
        D: Delay,
    {
        let mut update = CdUpdate {
            write: None,
            leaf_allocated: false,
            leaf_freed: false,
        };
        let l1 = match loc {
            CdLocation::Linear(_) => None,
            CdLocation::TwoLevel { l1, .. } => {
                if self.leaves.leaf(l1 as usize).is_none() {
                    return Ok(update);
                }
                Some(l1)
            }
        };
        update.write = Some(self.write_cd(dev, cmdq, sids, ssid, loc, &Cd::invalid())?);
        if let Some(l1) = l1 {
            if self.leaves.leaf(l1 as usize).is_some_and(|l| l.valid == 0) {
                self.free_leaf(dev, cmdq, sids, ssid, l1)?;
                update.leaf_freed = true;
            }
        }
        Ok(update)
    }

    /// Runs the entry writer over the live CD of `ssid` (whose leaf
    /// exists), and keeps the leaf's count of valid CDs in step with the
    /// memory, whatever the outcome.
    fn write_cd<C, R, D>(
        &mut self,
        dev: &Device<R, D>,
        cmdq: &mut CmdQueue<C>,
        sids: &[u32],
        ssid: u32,
        loc: CdLocation,
        cd: &Cd,
    ) -> Result<WriteReport, SmmuError>
    where
        C: CoherentBuf,
        R: RegisterIo,
        D: Delay,
    {
        let (was, now, result) = {
            let slot = self.cd_slot(ssid)?;
            let was = slot.is_valid()?;
            let mut sink = CdSink {
                slot,
                cmdq,
                dev,
                sids,
                err: None,
            };
            let result = match write_entry(&mut sink, cd) {
                Ok(report) => match sink.err {
                    Some(e) => Err(e),
                    None => Ok(report),
                },
                Err(e) => Err(SmmuError::from(e)),
            };
            // A failing read leaves the count as it was.
            let now = sink.slot.is_valid().unwrap_or(was);
            (was, now, result)
        };
        if let CdLocation::TwoLevel { l1, .. } = loc {
            if let Some(leaf) = self.leaves.leaf_mut(l1 as usize) {
                match (was, now) {
                    (false, true) => leaf.valid = leaf.valid.saturating_add(1),
                    (true, false) => leaf.valid = leaf.valid.saturating_sub(1),
                    _ => {}
                }
            }
        }
        result
    }

    /// Makes sure leaf `l1` (covering `ssid`) is allocated and published;
    /// returns whether it was allocated.
    fn ensure_leaf<A, C, R, D>(
        &mut self,
        alloc: &A,
        dev: &Device<R, D>,
        cmdq: &mut CmdQueue<C>,
        sids: &[u32],
        ssid: u32,
        l1: u32,
    ) -> Result<bool, SmmuError>
    where
        A: DmaAlloc<Buf = B>,
        C: CoherentBuf,
        R: RegisterIo,
        D: Delay,
    {
        let off = l1_off(l1);
        if let Some(leaf) = self.leaves.leaf(l1 as usize) {
            // Republish a leaf whose unpublication failed half-way.
            let desc = CdL1Desc::new(leaf.buf.dma_addr())?;
            if self.base.read_u64(off)? != desc.raw() {
                self.base.write_u64(off, desc.raw())?;
                sync_cd(dev, cmdq, sids, ssid, false)?;
            }
            return Ok(false);
        }
        // Zeroed by the allocator: every CD invalid.
        let buf = alloc_aligned(alloc, self.geom.l2_table_bytes())?;
        let desc = CdL1Desc::new(buf.dma_addr())?;
        // Fails only if the slot vanished; the buffer is then freed.
        self.leaves
            .fill(l1 as usize, CdLeaf { buf, valid: 0 })
            .map_err(|_| SmmuError::NoCdLeaf { ssid })?;
        // The (zeroed) leaf is visible before the descriptor.
        self.base.dma_wmb();
        if let Err(e) = self.base.write_u64(off, desc.raw()) {
            // Never published: free it again.
            drop(self.leaves.take(l1 as usize));
            return Err(e.into());
        }
        // An invalid level-1 descriptor may be cached.
        sync_cd(dev, cmdq, sids, ssid, false)?;
        Ok(true)
    }

    /// Unpublishes and frees leaf `l1` (covering `ssid`), which holds no
    /// valid CD. On error the leaf is kept.
    fn free_leaf<C, R, D>(
        &mut self,
        dev: &Device<R, D>,
        cmdq: &mut CmdQueue<C>,
        sids: &[u32],
        ssid: u32,
        l1: u32,
    ) -> Result<(), SmmuError>
    where
        C: CoherentBuf,
        R: RegisterIo,
        D: Delay,
    {
        self.base.write_u64(l1_off(l1), 0)?;
        // Leaf = 0: the cached level-1 descriptor goes too.
        sync_cd(dev, cmdq, sids, ssid, false)?;
        drop(self.leaves.take(l1 as usize));
        Ok(())
    }
}

/// Byte offset of level-1 descriptor `l1` (below 2^20).
fn l1_off(l1: u32) -> usize {
    (l1 as usize).saturating_mul(L1_DESC_SIZE as usize)
}
