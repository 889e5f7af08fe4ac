// SPDX-License-Identifier: GPL-2.0

//! The walk itself, and the trace of lookups for debugging.

use super::attrs::{Attrs, MemType, Permissions, Shareability};
use super::config::{low_mask, Geometry};
use super::desc;
use super::{Access, AccessKind, FaultKind, Translation, WalkConfig, WalkFault, MAX_LEVEL};
use crate::hw::bits::{genmask, get};
use crate::hw::mem::PhysMem;

/// How many times the walker retries an Access flag or dirty state update
/// that lost a race with another writer of the same descriptor.
pub const MAX_HTTU_RETRIES: u32 = 8;

/// Number of lookups a walk can make (levels 0 to 3).
const MAX_STEPS: usize = MAX_LEVEL as usize + 1;

/// How a descriptor was interpreted at the level it was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DescKind {
    /// Bit 0 clear.
    Invalid,
    /// Points to a next-level table.
    Table,
    /// Maps a block.
    Block,
    /// Maps a page (level 3).
    Page,
    /// A valid encoding that is not allowed at this level and granule
    /// (block at level 3 or at a level without blocks).
    Reserved,
}

/// One lookup of a walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WalkStep {
    /// Lookup level.
    pub level: u8,
    /// Physical address of the table that was indexed.
    pub table_pa: u64,
    /// Index into that table.
    pub index: u64,
    /// Physical address of the descriptor.
    pub desc_pa: u64,
    /// The descriptor as read (or as found by a failed atomic update).
    pub desc: u64,
    /// How the descriptor was interpreted.
    pub kind: DescKind,
}

impl WalkStep {
    const EMPTY: Self = Self {
        level: 0,
        table_pa: 0,
        index: 0,
        desc_pa: 0,
        desc: 0,
        kind: DescKind::Invalid,
    };
}

/// Everything a walk saw, for debug output ("where does this address go").
///
/// # Invariants
///
/// `len <= MAX_STEPS`, and `steps[..len]` are the lookups in walk order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WalkTrace {
    steps: [WalkStep; MAX_STEPS],
    len: usize,
    /// The geometry, unless the configuration was rejected.
    pub geometry: Option<Geometry>,
    /// How the walk ended.
    pub result: Result<Translation, WalkFault>,
}

impl WalkTrace {
    /// The lookups made, start level first.
    pub fn steps(&self) -> &[WalkStep] {
        self.steps.get(..self.len).unwrap_or(&[])
    }
}

/// Collects lookups into a fixed array.
struct Recorder {
    steps: [WalkStep; MAX_STEPS],
    len: usize,
}

impl Recorder {
    const fn new() -> Self {
        Self {
            steps: [WalkStep::EMPTY; MAX_STEPS],
            len: 0,
        }
    }

    /// Appends `step`, or replaces the last one if it is a second look at
    /// the same level (after a lost update race).
    fn record(&mut self, step: WalkStep) {
        if let Some(last) = self.len.checked_sub(1).and_then(|i| self.steps.get_mut(i)) {
            if last.level == step.level {
                *last = step;
                return;
            }
        }
        if let Some(slot) = self.steps.get_mut(self.len) {
            *slot = step;
            self.len += 1;
        }
    }
}

/// Restrictions accumulated from table descriptors on the way down.
#[derive(Clone, Copy, Default)]
struct TableLimits {
    no_write: bool,
    no_user: bool,
    uxn: bool,
    pxn: bool,
}

impl TableLimits {
    fn absorb(&mut self, table_desc: u64) {
        self.no_write |= table_desc & desc::AP_TABLE_RDONLY != 0;
        self.no_user |= table_desc & desc::AP_TABLE_NO_USER != 0;
        self.uxn |= table_desc & desc::UXN_TABLE != 0;
        self.pxn |= table_desc & desc::PXN_TABLE != 0;
    }
}

/// Translates `access` through the tables `cfg` describes.
///
/// When HTTU is enabled (`cfg.ha`, `cfg.hd`) this may atomically set the
/// Access flag of the leaf or clear its `AP[2]` (mark it dirty) through
/// [`PhysMem::compare_exchange_u64`]; nothing else is ever written.
pub fn walk<M: PhysMem + ?Sized>(
    mem: &M,
    cfg: &WalkConfig,
    access: &Access,
) -> Result<Translation, WalkFault> {
    let mut rec = Recorder::new();
    run(mem, cfg, access, true, &mut rec)
}

/// Walks like [`walk`] but never writes memory, and records every lookup.
///
/// Where a real access would have made a hardware update, the result
/// describes the translation as if the update had been made and says so in
/// [`Translation::hw_updated`].
pub fn describe<M: PhysMem + ?Sized>(mem: &M, cfg: &WalkConfig, access: &Access) -> WalkTrace {
    let mut rec = Recorder::new();
    let result = run(mem, cfg, access, false, &mut rec);
    WalkTrace {
        steps: rec.steps,
        len: rec.len,
        geometry: cfg.geometry().ok(),
        result,
    }
}

fn fault(kind: FaultKind, level: u8) -> WalkFault {
    WalkFault::new(kind, level)
}

fn eabt(pa: u64, level: u8) -> WalkFault {
    fault(FaultKind::ExternalAbort { pa }, level)
}

fn classify(d: u64, level: u8, geo: &Geometry) -> DescKind {
    if d & desc::VALID == 0 {
        return DescKind::Invalid;
    }
    let table_or_page = d & desc::TYPE_MASK == desc::TYPE_TABLE;
    match (level >= MAX_LEVEL, table_or_page) {
        (false, true) => DescKind::Table,
        (false, false) if geo.block_allowed(level) => DescKind::Block,
        (true, true) => DescKind::Page,
        _ => DescKind::Reserved,
    }
}

/// Output address bits `[51:48]` held in bits `[15:12]` (64KB with LPA).
fn addr_hi(d: u64, geo: &Geometry) -> u64 {
    if geo.lpa() {
        get(d, 15, 12) << 48
    } else {
        0
    }
}

/// Address of the table a table descriptor points to, or an Address size
/// fault.
fn next_table(d: u64, level: u8, geo: &Geometry) -> Result<u64, WalkFault> {
    let addr = (d & genmask(47, geo.granule().shift())) | addr_hi(d, geo);
    if d & desc::TABLE_RES0_HI != 0 || addr.checked_shr(geo.oa_bits()).unwrap_or(0) != 0 {
        return Err(fault(FaultKind::AddressSize, level));
    }
    Ok(addr)
}

/// Output address of the region a leaf maps, or an Address size fault.
fn leaf_base(d: u64, level: u8, geo: &Geometry) -> Result<u64, WalkFault> {
    let addr = (d & desc::ADDR_MASK & !low_mask(geo.level_shift(level))) | addr_hi(d, geo);
    if d & desc::LEAF_RES0_HI != 0 || addr.checked_shr(geo.oa_bits()).unwrap_or(0) != 0 {
        return Err(fault(FaultKind::AddressSize, level));
    }
    Ok(addr)
}

/// Privileged and unprivileged permissions of leaf `d` under `limits`.
fn permissions(d: u64, limits: TableLimits, cfg: &WalkConfig) -> (Permissions, Permissions) {
    let read_only = d & desc::AP_RDONLY != 0 || limits.no_write;
    let user = d & desc::AP_USER != 0 && !limits.no_user;
    let user_write = user && !read_only;
    let mut privileged = Permissions {
        read: true,
        write: !read_only,
        // Memory that unprivileged accesses may write is never privileged
        // executable.
        exec: d & desc::PXN == 0 && !limits.pxn && !user_write,
    };
    let mut unprivileged = Permissions {
        read: user,
        write: user_write,
        exec: d & desc::UXN == 0 && !limits.uxn,
    };
    if cfg.wxn {
        privileged.exec &= !privileged.write;
        unprivileged.exec &= !unprivileged.write;
    }
    if cfg.pan && user {
        privileged.read = false;
        privileged.write = false;
    }
    (privileged, unprivileged)
}

fn permitted(d: u64, limits: TableLimits, cfg: &WalkConfig, access: &Access) -> bool {
    let (privileged, unprivileged) = permissions(d, limits, cfg);
    let p = if access.privileged {
        privileged
    } else {
        unprivileged
    };
    match access.kind {
        AccessKind::Read => p.read,
        AccessKind::Write => p.write,
        AccessKind::Exec => p.exec,
    }
}

/// Checks a leaf's Access flag and permissions; returns the descriptor
/// value the access needs (with AF set and/or `AP[2]` cleared by HTTU), or
/// the fault it takes.
fn check_leaf(
    d: u64,
    limits: TableLimits,
    cfg: &WalkConfig,
    access: &Access,
) -> Result<u64, FaultKind> {
    let mut new = d;
    if d & desc::AF == 0 {
        if cfg.ha {
            new |= desc::AF;
        } else if !cfg.affd {
            return Err(FaultKind::AccessFlag);
        }
    }
    if !permitted(d, limits, cfg, access) {
        let dirty_update = access.kind == AccessKind::Write
            && cfg.ha
            && cfg.hd
            && d & desc::DBM != 0
            && d & desc::AP_RDONLY != 0;
        if !dirty_update || !permitted(d & !desc::AP_RDONLY, limits, cfg, access) {
            return Err(FaultKind::Permission);
        }
        new &= !desc::AP_RDONLY;
    }
    Ok(new)
}

fn leaf_attrs(d: u64, limits: TableLimits, cfg: &WalkConfig) -> Attrs {
    let (privileged, unprivileged) = permissions(d, limits, cfg);
    // Three bits, so the shift is at most 56.
    let attr_indx = get(d, 4, 2) as u8;
    let mair_attr = (cfg.mair >> (u32::from(attr_indx) * 8)) as u8;
    let dbm = d & desc::DBM != 0;
    Attrs {
        privileged,
        unprivileged,
        attr_indx,
        mair_attr,
        mem: MemType::from_mair_attr(mair_attr),
        sh: Shareability::from_bits(get(d, 9, 8)),
        ng: d & desc::NG != 0,
        af: d & desc::AF != 0,
        dbm,
        dirty: dbm && d & desc::AP_RDONLY == 0,
        contiguous: d & desc::CONTIGUOUS != 0,
        gp: d & desc::GP != 0,
    }
}

fn run<M: PhysMem + ?Sized>(
    mem: &M,
    cfg: &WalkConfig,
    access: &Access,
    update: bool,
    rec: &mut Recorder,
) -> Result<Translation, WalkFault> {
    let geo = cfg.geometry()?;
    if cfg.epd0 {
        return Err(fault(FaultKind::Translation, 0));
    }
    let va = if cfg.tbi0 {
        access.va & low_mask(56)
    } else {
        access.va
    };
    if va.checked_shr(geo.ia_bits()).unwrap_or(0) != 0 {
        return Err(fault(FaultKind::Translation, 0));
    }

    let mut table = geo.ttb();
    let mut limits = TableLimits::default();
    let mut level = geo.start_level();
    loop {
        let index = geo.index(va, level);
        // The table is aligned to its size and the index fits in it, so
        // OR-ing the byte offset in cannot carry.
        let desc_pa = table | (index << 3);
        let mut d = mem.read_u64(desc_pa).map_err(|e| eabt(e.pa, level))?;
        let mut retries = 0u32;
        table = loop {
            let kind = classify(d, level, &geo);
            rec.record(WalkStep {
                level,
                table_pa: table,
                index,
                desc_pa,
                desc: d,
                kind,
            });
            match kind {
                DescKind::Invalid | DescKind::Reserved => {
                    return Err(fault(FaultKind::Translation, level));
                }
                DescKind::Table => {
                    let next = next_table(d, level, &geo)?;
                    limits.absorb(d);
                    break next;
                }
                DescKind::Block | DescKind::Page => {}
            }

            let base = leaf_base(d, level, &geo)?;
            let new = check_leaf(d, limits, cfg, access).map_err(|k| fault(k, level))?;
            if new != d && update {
                let found = mem
                    .compare_exchange_u64(desc_pa, d, new)
                    .map_err(|e| eabt(e.pa, level))?;
                if found != d {
                    retries = retries.saturating_add(1);
                    if retries > MAX_HTTU_RETRIES {
                        let kind = if (new ^ d) & desc::AF != 0 {
                            FaultKind::AccessFlag
                        } else {
                            FaultKind::Permission
                        };
                        return Err(fault(kind, level));
                    }
                    d = found;
                    continue;
                }
            }
            let size_shift = geo.level_shift(level);
            return Ok(Translation {
                oa: base | (va & low_mask(size_shift)),
                level,
                size_shift,
                attrs: leaf_attrs(new, limits, cfg),
                desc_pa,
                desc: new,
                hw_updated: new != d,
            });
        };
        level = match level.checked_add(1) {
            Some(next) if next <= MAX_LEVEL => next,
            _ => return Err(fault(FaultKind::Translation, MAX_LEVEL)),
        };
    }
}
