// SPDX-License-Identifier: GPL-2.0

//! Host-only test support: a sparse simulated physical memory and a builder
//! for VMSAv8-64 stage 1 translation tables.
//!
//! This module is not part of the kernel build. It is compiled for the
//! crate's own unit tests and, with the `testmem` feature, for integration
//! tests under `tests/` (the package enables that feature for its own test
//! targets).

extern crate std;

use std::boxed::Box;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Mutex, MutexGuard};
use std::vec::Vec;

use crate::hw::mem::{ExternalAbort, PhysMem};
use crate::hw::walk::{desc, Geometry, Granule, WalkConfig, MAX_LEVEL};

/// Size of the pages [`SparseMem`] allocates on demand.
pub const PAGE_SIZE: u64 = 4096;

/// Counts of the accesses a [`SparseMem`] served through [`PhysMem`].
///
/// Backdoor accesses (`peek_*`, `poke_*`) are not counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AccessStats {
    /// Calls to `read_u64` and `read_bytes`.
    pub reads: u64,
    /// Calls to `write_u64` and `write_bytes`.
    pub writes: u64,
    /// Calls to `compare_exchange_u64`.
    pub cas: u64,
    /// Compare-exchanges that found a different value and wrote nothing.
    pub cas_failed: u64,
    /// Accesses answered with an external abort.
    pub aborts: u64,
}

#[derive(Default)]
struct Inner {
    pages: HashMap<u64, Box<[u8; PAGE_SIZE as usize]>>,
    faults: Vec<Range<u64>>,
    stats: AccessStats,
    fill_seed: Option<u64>,
    /// Values another agent "writes" just before the next compare-exchange
    /// of the same address.
    interference: Vec<(u64, u64)>,
}

/// A 64-bit mixing function (SplitMix64 finaliser) for random fill.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

impl Inner {
    fn page_base(pa: u64) -> u64 {
        pa & !(PAGE_SIZE - 1)
    }

    /// Content of a page that was never written.
    fn fresh_page(fill_seed: Option<u64>, base: u64) -> Box<[u8; PAGE_SIZE as usize]> {
        let mut page = Box::new([0u8; PAGE_SIZE as usize]);
        if let Some(seed) = fill_seed {
            for (i, chunk) in page.chunks_exact_mut(8).enumerate() {
                let word = mix(seed ^ base.wrapping_add(i as u64 * 8));
                chunk.copy_from_slice(&word.to_le_bytes());
            }
        }
        page
    }

    /// Calls `f(page_base, offset_in_page, range_of_buf)` for each piece of
    /// `pa..pa + len` that lies in one page (wrapping at the top of the
    /// address space; callers reject that case beforehand where it matters).
    fn chunks(pa: u64, len: usize, mut f: impl FnMut(u64, usize, Range<usize>)) {
        let mut done = 0usize;
        while done < len {
            let at = pa.wrapping_add(done as u64);
            let base = Self::page_base(at);
            let off = (at - base) as usize;
            let n = (PAGE_SIZE as usize - off).min(len - done);
            f(base, off, done..done + n);
            done += n;
        }
    }

    fn read(&self, pa: u64, buf: &mut [u8]) {
        let len = buf.len();
        Self::chunks(pa, len, |base, off, range| {
            let n = range.len();
            let out = &mut buf[range];
            match self.pages.get(&base) {
                Some(page) => out.copy_from_slice(&page[off..off + n]),
                None => match self.fill_seed {
                    Some(seed) => {
                        for (i, b) in out.iter_mut().enumerate() {
                            let a = base + (off + i) as u64;
                            *b = mix(seed ^ (a & !7)).to_le_bytes()[(a & 7) as usize];
                        }
                    }
                    None => out.fill(0),
                },
            }
        });
    }

    fn page_mut(&mut self, base: u64) -> &mut [u8; PAGE_SIZE as usize] {
        let seed = self.fill_seed;
        self.pages
            .entry(base)
            .or_insert_with(|| Self::fresh_page(seed, base))
    }

    fn write(&mut self, pa: u64, buf: &[u8]) {
        Self::chunks(pa, buf.len(), |base, off, range| {
            let n = range.len();
            self.page_mut(base)[off..off + n].copy_from_slice(&buf[range]);
        });
    }

    fn fill(&mut self, pa: u64, len: u64, value: u8) {
        let mut done = 0u64;
        while done < len {
            let at = pa.wrapping_add(done);
            let base = Self::page_base(at);
            let off = (at - base) as usize;
            let n = (PAGE_SIZE - off as u64).min(len - done);
            self.page_mut(base)[off..off + n as usize].fill(value);
            done += n;
        }
    }

    fn read_u64(&self, pa: u64) -> u64 {
        let mut bytes = [0u8; 8];
        self.read(pa, &mut bytes);
        u64::from_le_bytes(bytes)
    }

    fn write_u64(&mut self, pa: u64, value: u64) {
        self.write(pa, &value.to_le_bytes());
    }

    /// Checks `pa..pa + len` against the fault regions and the end of the
    /// address space.
    fn check(&mut self, pa: u64, len: usize) -> Result<(), ExternalAbort> {
        let end = pa.checked_add(len as u64);
        let bad = match end {
            None => true,
            Some(end) => self.faults.iter().any(|r| r.start < end && pa < r.end),
        };
        if bad {
            self.stats.aborts += 1;
            return Err(ExternalAbort { pa });
        }
        Ok(())
    }

    fn check_aligned(&mut self, pa: u64) -> Result<(), ExternalAbort> {
        if pa & 7 != 0 {
            self.stats.aborts += 1;
            return Err(ExternalAbort { pa });
        }
        self.check(pa, 8)
    }
}

/// Sparse physical memory for host tests.
///
/// Memory is allocated in 4KB pages on first write. Never-written memory
/// reads as zero, or as deterministic pseudo-random data after
/// [`SparseMem::with_random_fill`] (handy for hostile-table tests). Address
/// ranges can be made to fail with an external abort, accesses are counted,
/// and a concurrent writer racing a compare-exchange can be simulated.
///
/// Through [`PhysMem`], 64-bit accesses must be naturally aligned: a
/// misaligned one aborts, which makes addressing bugs in the code under test
/// visible. The `peek_*`/`poke_*` backdoor bypasses alignment checks, fault
/// regions and counters.
///
/// The memory is `Sync`: a test may share it with threads playing the CPU.
#[derive(Default)]
pub struct SparseMem {
    inner: Mutex<Inner>,
}

impl SparseMem {
    /// Empty memory: everything reads as zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Memory whose never-written bytes read as pseudo-random data derived
    /// from `seed` and the address.
    pub fn with_random_fill(seed: u64) -> Self {
        let mem = Self::new();
        mem.lock().fill_seed = Some(seed);
        mem
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panicking test thread must not hide the memory from the others.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes every access touching `range` fail with an external abort.
    pub fn add_fault(&self, range: Range<u64>) {
        self.lock().faults.push(range);
    }

    /// Removes all fault regions.
    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    /// Arranges for the next compare-exchange of `pa` to find `value` there,
    /// as if another agent had written it just before: the stored word is
    /// replaced by `value`, then the compare-exchange proceeds. Several
    /// calls for one address queue up, one per compare-exchange.
    pub fn interfere_on_cas(&self, pa: u64, value: u64) {
        self.lock().interference.push((pa, value));
    }

    /// Access counts since creation or the last [`SparseMem::reset_stats`].
    pub fn stats(&self) -> AccessStats {
        self.lock().stats
    }

    /// Zeroes the access counts.
    pub fn reset_stats(&self) {
        self.lock().stats = AccessStats::default();
    }

    /// Number of pages allocated so far.
    pub fn page_count(&self) -> usize {
        self.lock().pages.len()
    }

    /// Reads the little-endian word at `pa` (any alignment), bypassing
    /// faults and counters.
    pub fn peek_u64(&self, pa: u64) -> u64 {
        self.lock().read_u64(pa)
    }

    /// Writes the little-endian word at `pa` (any alignment), bypassing
    /// faults and counters.
    pub fn poke_u64(&self, pa: u64, value: u64) {
        self.lock().write_u64(pa, value);
    }

    /// Reads bytes at `pa`, bypassing faults and counters.
    pub fn peek_bytes(&self, pa: u64, buf: &mut [u8]) {
        self.lock().read(pa, buf);
    }

    /// Writes bytes at `pa`, bypassing faults and counters.
    pub fn poke_bytes(&self, pa: u64, buf: &[u8]) {
        self.lock().write(pa, buf);
    }

    /// Sets `len` bytes at `pa` to `value`, bypassing faults and counters.
    pub fn fill(&self, pa: u64, len: u64, value: u8) {
        self.lock().fill(pa, len, value);
    }
}

impl PhysMem for SparseMem {
    fn read_u64(&self, pa: u64) -> Result<u64, ExternalAbort> {
        let mut inner = self.lock();
        inner.stats.reads += 1;
        inner.check_aligned(pa)?;
        Ok(inner.read_u64(pa))
    }

    fn write_u64(&self, pa: u64, value: u64) -> Result<(), ExternalAbort> {
        let mut inner = self.lock();
        inner.stats.writes += 1;
        inner.check_aligned(pa)?;
        inner.write_u64(pa, value);
        Ok(())
    }

    fn compare_exchange_u64(&self, pa: u64, old: u64, new: u64) -> Result<u64, ExternalAbort> {
        let mut inner = self.lock();
        inner.stats.cas += 1;
        inner.check_aligned(pa)?;
        if let Some(i) = inner.interference.iter().position(|&(at, _)| at == pa) {
            let (_, value) = inner.interference.remove(i);
            inner.write_u64(pa, value);
        }
        let found = inner.read_u64(pa);
        if found == old {
            inner.write_u64(pa, new);
        } else {
            inner.stats.cas_failed += 1;
        }
        Ok(found)
    }

    fn read_bytes(&self, pa: u64, buf: &mut [u8]) -> Result<(), ExternalAbort> {
        let mut inner = self.lock();
        inner.stats.reads += 1;
        inner.check(pa, buf.len())?;
        inner.read(pa, buf);
        Ok(())
    }

    fn write_bytes(&self, pa: u64, buf: &[u8]) -> Result<(), ExternalAbort> {
        let mut inner = self.lock();
        inner.stats.writes += 1;
        inner.check(pa, buf.len())?;
        inner.write(pa, buf);
        Ok(())
    }
}

/// Builds stage 1 translation tables in a [`SparseMem`].
///
/// Tables are carved, granule-aligned and zeroed, from a pool starting at
/// the address given to the constructor; the start-level table is the
/// first one. Missing intermediate tables are created on demand; an
/// existing non-table entry in the way is replaced by a new table.
///
/// This is test code: methods panic on misuse (a level the configuration
/// does not have, a pool that runs out of address space).
pub struct TableBuilder<'a> {
    mem: &'a SparseMem,
    cfg: WalkConfig,
    geo: Geometry,
    next_free: u64,
}

impl<'a> TableBuilder<'a> {
    /// Default MAIR of [`TableBuilder::new`]: index 0 Normal Write-back
    /// (`0xff`), 1 Normal Non-cacheable (`0x44`), 2 Device-nGnRE (`0x04`),
    /// 3 Device-nGnRnE (`0x00`).
    pub const MAIR: u64 = 0x00_04_44_ff;

    /// Leaf attributes for an ordinary mapping: Access flag set, inner
    /// shareable, MAIR index 0, privileged read/write only, executable.
    pub const LEAF: u64 = desc::AF | desc::SH_INNER | desc::attr_indx(0);

    /// [`TableBuilder::LEAF`] with `nG` set: a non-global mapping, whose TLB
    /// entries are tagged with the ASID (invalidated by ASID, unlike global
    /// ones).
    pub const LEAF_NG: u64 = Self::LEAF | desc::NG;

    /// A builder for `granule` and `t0sz`, with the configuration of
    /// [`WalkConfig::new`] plus [`TableBuilder::MAIR`] and small-table
    /// support, and tables allocated from `pool`.
    ///
    /// # Panics
    ///
    /// If the configuration is invalid.
    pub fn new(mem: &'a SparseMem, granule: Granule, t0sz: u8, pool: u64) -> Self {
        let mut cfg = WalkConfig::new(0, granule, t0sz);
        cfg.mair = Self::MAIR;
        cfg.stt = true;
        Self::with_config(mem, cfg, pool)
    }

    /// A builder for an arbitrary configuration; its `ttb0` is replaced by
    /// the first table allocated from `pool`.
    ///
    /// # Panics
    ///
    /// If the configuration is invalid or `pool` is beyond its output size.
    pub fn with_config(mem: &'a SparseMem, mut cfg: WalkConfig, pool: u64) -> Self {
        let granule = Granule::from_tg0(cfg.tg0).expect("builder needs a valid TG0");
        let size = granule.size();
        let next_free = pool.checked_add(size - 1).expect("pool address overflows") & !(size - 1);
        cfg.ttb0 = next_free;
        let geo = cfg.geometry().expect("builder needs a valid configuration");
        let mut builder = Self {
            mem,
            cfg,
            geo,
            next_free,
        };
        let root = builder.alloc_table();
        assert_eq!(root, cfg.ttb0);
        builder
    }

    /// The configuration to walk these tables with.
    pub fn config(&self) -> WalkConfig {
        self.cfg
    }

    /// Mutable access to the configuration (to set HA, HD, WXN, ...).
    pub fn config_mut(&mut self) -> &mut WalkConfig {
        &mut self.cfg
    }

    /// The geometry of the configuration.
    pub fn geometry(&self) -> Geometry {
        self.geo
    }

    /// Physical address of the start-level table.
    pub fn root(&self) -> u64 {
        self.cfg.ttb0
    }

    /// Allocates a zeroed, granule-aligned table.
    pub fn alloc_table(&mut self) -> u64 {
        let size = self.geo.granule().size();
        let pa = self.next_free;
        self.next_free = pa.checked_add(size).expect("table pool exhausted");
        self.mem.fill(pa, size, 0);
        pa
    }

    fn check_level(&self, level: u8) {
        assert!(
            level >= self.geo.start_level() && level <= MAX_LEVEL,
            "level {level} not in this configuration (start level {})",
            self.geo.start_level()
        );
    }

    /// Physical address of the entry for `va` in its `level` table, creating
    /// the tables above it as needed.
    pub fn entry_pa(&mut self, va: u64, level: u8) -> u64 {
        self.check_level(level);
        let shift = self.geo.granule().shift();
        let mut table = self.root();
        for lvl in self.geo.start_level()..level {
            let at = table | (self.geo.index(va, lvl) << 3);
            let d = self.mem.peek_u64(at);
            table = if d & desc::TYPE_MASK == desc::TYPE_TABLE {
                d & crate::hw::bits::genmask(47, shift)
            } else {
                let next = self.alloc_table();
                self.mem.poke_u64(at, next | desc::TYPE_TABLE);
                next
            };
        }
        table | (self.geo.index(va, level) << 3)
    }

    /// Writes the raw descriptor `value` as the `level` entry for `va`;
    /// returns its address.
    pub fn set_desc(&mut self, va: u64, level: u8, value: u64) -> u64 {
        let at = self.entry_pa(va, level);
        self.mem.poke_u64(at, value);
        at
    }

    /// The `level` entry for `va`, if the tables above it exist.
    pub fn desc(&self, va: u64, level: u8) -> Option<u64> {
        self.check_level(level);
        let shift = self.geo.granule().shift();
        let mut table = self.root();
        for lvl in self.geo.start_level()..level {
            let d = self.mem.peek_u64(table | (self.geo.index(va, lvl) << 3));
            if d & desc::TYPE_MASK != desc::TYPE_TABLE {
                return None;
            }
            table = d & crate::hw::bits::genmask(47, shift);
        }
        Some(self.mem.peek_u64(table | (self.geo.index(va, level) << 3)))
    }

    /// Maps the `level`-sized region containing `va` to the region
    /// containing `pa`, with a block (levels below 3) or page (level 3)
    /// descriptor carrying `attrs` (type bits and address are added);
    /// returns the descriptor address.
    pub fn map(&mut self, va: u64, pa: u64, level: u8, attrs: u64) -> u64 {
        let kind = if level == MAX_LEVEL {
            desc::TYPE_PAGE
        } else {
            desc::TYPE_BLOCK
        };
        let size_mask = (1u64 << self.geo.level_shift(level)) - 1;
        let addr = pa & !size_mask & desc::ADDR_MASK;
        let value = (attrs & !desc::TYPE_MASK) | addr | kind;
        self.set_desc(va, level, value)
    }

    /// Maps one page: [`TableBuilder::map`] at level 3.
    pub fn map_page(&mut self, va: u64, pa: u64, attrs: u64) -> u64 {
        self.map(va, pa, MAX_LEVEL, attrs)
    }

    /// ORs `bits` (APTable, XNTable, ...) into the table descriptor at
    /// `level` on the path to `va`, creating it if needed; returns its
    /// address.
    ///
    /// # Panics
    ///
    /// If `level` is 3 (level 3 holds no table descriptors).
    pub fn set_table_bits(&mut self, va: u64, level: u8, bits: u64) -> u64 {
        assert!(level < MAX_LEVEL, "no table descriptors at level 3");
        // Make sure the table below exists, so the entry is a table.
        let _ = self.entry_pa(va, level + 1);
        let at = self.entry_pa(va, level);
        let d = self.mem.peek_u64(at);
        self.mem.poke_u64(at, d | bits);
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_mem_basics() {
        let m = SparseMem::new();
        assert_eq!(m.read_u64(0x1000), Ok(0));
        m.write_u64(0x1ff8, 0x1122_3344_5566_7788).unwrap();
        assert_eq!(m.read_u64(0x1ff8), Ok(0x1122_3344_5566_7788));
        assert_eq!(m.page_count(), 1);
        // Cross-page byte access.
        m.write_bytes(0x2ffe, &[1, 2, 3, 4]).unwrap();
        let mut b = [0u8; 4];
        m.read_bytes(0x2ffe, &mut b).unwrap();
        assert_eq!(b, [1, 2, 3, 4]);
        assert_eq!(m.page_count(), 3);
        assert_eq!(m.read_u64(0x1004), Err(ExternalAbort { pa: 0x1004 }));
        let s = m.stats();
        assert_eq!((s.reads, s.writes, s.aborts), (4, 2, 1));
    }

    #[test]
    fn sparse_mem_faults_and_cas() {
        let m = SparseMem::new();
        m.add_fault(0x5000..0x6000);
        assert_eq!(m.read_u64(0x5ff8), Err(ExternalAbort { pa: 0x5ff8 }));
        assert!(m.write_bytes(0x4fff, &[0, 0]).is_err());
        assert_eq!(m.read_u64(0x6000), Ok(0));
        assert!(m.read_bytes(u64::MAX, &mut [0u8; 2]).is_err());
        m.clear_faults();
        assert_eq!(m.read_u64(0x5ff8), Ok(0));

        m.poke_u64(0x100, 7);
        assert_eq!(m.compare_exchange_u64(0x100, 7, 9), Ok(7));
        assert_eq!(m.compare_exchange_u64(0x100, 7, 11), Ok(9));
        assert_eq!(m.peek_u64(0x100), 9);
        m.interfere_on_cas(0x100, 42);
        assert_eq!(m.compare_exchange_u64(0x100, 9, 10), Ok(42));
        assert_eq!(m.compare_exchange_u64(0x100, 42, 10), Ok(42));
        assert_eq!(m.peek_u64(0x100), 10);
        assert_eq!(m.stats().cas_failed, 2);
    }

    #[test]
    fn random_fill_is_stable() {
        let m = SparseMem::with_random_fill(1);
        let a = m.peek_u64(0x7000);
        assert_ne!(a, 0);
        m.poke_u64(0x7008, 0);
        assert_eq!(
            m.peek_u64(0x7000),
            a,
            "materialising a page keeps its content"
        );
        assert_ne!(SparseMem::with_random_fill(2).peek_u64(0x7000), a);
    }
}
