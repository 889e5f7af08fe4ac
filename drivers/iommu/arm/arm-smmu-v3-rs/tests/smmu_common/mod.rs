// SPDX-License-Identifier: GPL-2.0

//! Host backends for the driver logic in `smmu/`, over the software SMMUv3
//! model and a sparse simulated memory, plus fault-injection knobs.

#![allow(dead_code)]

use std::boxed::Box;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::vec::Vec;

use smmuv3::hw::regs::{offsets, REG_FRAME_SIZE};
use smmuv3::model::{DefaultSmmu, ModelConfig, Outcome, Transaction};
use smmuv3::smmu::{
    AllocError, CoherentBuf, Config, Delay, Device, DmaAlloc, MemFault, RegFault, RegisterIo, Smmu,
    Timeouts,
};
use smmuv3::testmem::SparseMem;

/// Where coherent buffers are allocated from.
pub(crate) const DMA_POOL: u64 = 0x1000_0000;
/// Where page tables are allocated from.
pub(crate) const PT_POOL: u64 = 0x4000_0000;
/// Where data pages live.
pub(crate) const DATA: u64 = 0x8000_0000;

/// A coherent buffer in simulated memory.
pub(crate) struct HostBuf {
    mem: Rc<SparseMem>,
    pa: u64,
    size: usize,
}

impl HostBuf {
    fn check(&self, offset: usize) -> Result<u64, MemFault> {
        if !offset.is_multiple_of(8) || offset.checked_add(8).is_none_or(|end| end > self.size) {
            return Err(MemFault { offset });
        }
        Ok(self.pa + offset as u64)
    }
}

impl CoherentBuf for HostBuf {
    fn dma_addr(&self) -> u64 {
        self.pa
    }

    fn size(&self) -> usize {
        self.size
    }

    fn read_u64(&self, offset: usize) -> Result<u64, MemFault> {
        let pa = self.check(offset)?;
        Ok(self.mem.peek_u64(pa))
    }

    fn write_u64(&self, offset: usize, value: u64) -> Result<(), MemFault> {
        let pa = self.check(offset)?;
        self.mem.poke_u64(pa, value);
        Ok(())
    }

    fn dma_wmb(&self) {
        std::sync::atomic::fence(std::sync::atomic::Ordering::SeqCst);
    }
}

/// A bump allocator of naturally aligned coherent buffers.
pub(crate) struct HostAlloc {
    mem: Rc<SparseMem>,
    next: Cell<u64>,
    /// Allocations left before they start failing (`None`: unlimited).
    pub(crate) budget: Cell<Option<u32>>,
    /// Number of allocations made.
    pub(crate) count: Cell<u32>,
    /// Misalign the next allocation by this many bytes (a broken
    /// allocator).
    pub(crate) skew: Cell<u64>,
}

impl DmaAlloc for HostAlloc {
    type Buf = HostBuf;

    fn alloc_coherent(&self, size: usize) -> Result<HostBuf, AllocError> {
        if let Some(left) = self.budget.get() {
            if left == 0 {
                return Err(AllocError { size });
            }
            self.budget.set(Some(left - 1));
        }
        let align = (size as u64).next_power_of_two().max(64);
        let pa = ((self.next.get() + align - 1) & !(align - 1)) + self.skew.replace(0);
        self.next.set(pa + size as u64);
        self.mem.fill(pa, size as u64, 0);
        self.count.set(self.count.get() + 1);
        Ok(HostBuf {
            mem: self.mem.clone(),
            pa,
            size,
        })
    }
}

/// Knobs that make the register backend misbehave.
#[derive(Default)]
pub(crate) struct Knobs {
    /// Writes to `SMMU_CR0` are dropped (no acknowledgement ever).
    pub(crate) drop_cr0: Cell<bool>,
    /// Writes to `SMMU_GBPA` are dropped and `Update` reads as stuck.
    pub(crate) stuck_gbpa: Cell<bool>,
    /// Writes to `SMMU_CMDQ_PROD` are dropped (the SMMU never consumes).
    pub(crate) drop_cmdq_prod: Cell<bool>,
    /// Value `SMMU_CMDQ_CONS` reads as.
    pub(crate) cmdq_cons: Cell<Option<u32>>,
    /// Value `SMMU_EVENTQ_PROD` reads as.
    pub(crate) evtq_prod: Cell<Option<u32>>,
    /// Writes to `SMMU_GERRORN` are dropped.
    pub(crate) drop_gerrorn: Cell<bool>,
    /// Number of `CERROR_ATC_INV_SYNC` errors to fake: while non-zero,
    /// `GERROR.CMDQ_ERR` reads active, `CMDQ_CONS` reads as pointing at the
    /// last command produced with `ERR = 3`, and a `GERRORN` write
    /// acknowledges one fake error.
    pub(crate) atc_sync_errors: Cell<u32>,
    /// Fake an active `GERROR.SFM_ERR` until acknowledged.
    pub(crate) sfm: Cell<bool>,
    /// The page-1 queue registers are (also) at their page-relative
    /// offsets in page 0, as on implementations with only page 0.
    pub(crate) page0_only: Cell<bool>,
}

const CMDQ_ERR_BIT: u32 = 1;
const SFM_ERR_BIT: u32 = 1 << 8;

/// One register access, for checking sequences.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    /// A read.
    Read(usize),
    /// A write of a value.
    Write(usize, u64),
}

/// The model behind the register interface, with knobs and an access log.
pub(crate) struct ModelIo {
    pub(crate) smmu: RefCell<Box<DefaultSmmu>>,
    pub(crate) mem: Rc<SparseMem>,
    pub(crate) knobs: Knobs,
    pub(crate) log: RefCell<Vec<Access>>,
    pub(crate) logging: Cell<bool>,
}

impl ModelIo {
    fn check(&self, offset: usize, size: usize) -> Result<(), RegFault> {
        if !offset.is_multiple_of(size) || offset + size > REG_FRAME_SIZE {
            return Err(RegFault { offset });
        }
        Ok(())
    }

    fn note(&self, a: Access) {
        if self.logging.get() {
            self.log.borrow_mut().push(a);
        }
    }

    /// Writes (offset, value) logged so far.
    pub(crate) fn writes(&self) -> Vec<(usize, u64)> {
        self.log
            .borrow()
            .iter()
            .filter_map(|a| match *a {
                Access::Write(o, v) => Some((o, v)),
                Access::Read(_) => None,
            })
            .collect()
    }

    /// Runs a transaction through the model.
    pub(crate) fn translate(&self, txn: Transaction) -> Outcome {
        self.smmu.borrow_mut().translate(&*self.mem, &txn)
    }

    /// Raw 32-bit register read, bypassing knobs.
    pub(crate) fn peek(&self, offset: usize) -> u32 {
        self.smmu.borrow().read32(offset)
    }

    /// Raw 32-bit register write, bypassing knobs.
    pub(crate) fn poke(&self, offset: usize, value: u32) {
        self.smmu.borrow_mut().write32(&*self.mem, offset, value)
    }
}

impl ModelIo {
    /// Applies the page-0-only aliasing knob.
    fn alias(&self, offset: usize) -> usize {
        const PAGE1_REGS: [usize; 4] = [
            offsets::EVENTQ_PROD_PAGE1,
            offsets::EVENTQ_CONS_PAGE1,
            offsets::PRIQ_PROD_PAGE1,
            offsets::PRIQ_CONS_PAGE1,
        ];
        if self.knobs.page0_only.get() {
            if PAGE1_REGS.contains(&offset) {
                return offset + smmuv3::hw::regs::PAGE1;
            }
            if offset >= smmuv3::hw::regs::PAGE1 {
                // Page 1 does not exist: a reserved location.
                return REG_FRAME_SIZE;
            }
        }
        offset
    }
}

impl RegisterIo for ModelIo {
    fn read32(&self, offset: usize) -> Result<u32, RegFault> {
        self.check(offset, 4)?;
        let offset = self.alias(offset);
        self.note(Access::Read(offset));
        let k = &self.knobs;
        match offset {
            offsets::CMDQ_CONS if k.cmdq_cons.get().is_some() => {
                return Ok(k.cmdq_cons.get().unwrap_or(0))
            }
            offsets::EVENTQ_PROD if k.evtq_prod.get().is_some() => {
                return Ok(k.evtq_prod.get().unwrap_or(0))
            }
            offsets::GBPA if k.stuck_gbpa.get() => return Ok(1 << 31),
            _ => {}
        }
        let real = self.smmu.borrow().read32(offset);
        let atc = k.atc_sync_errors.get() > 0;
        Ok(match offset {
            offsets::GERROR => {
                real ^ if atc { CMDQ_ERR_BIT } else { 0 }
                    ^ if k.sfm.get() { SFM_ERR_BIT } else { 0 }
            }
            offsets::CMDQ_CONS if atc => {
                let log2 = (self.smmu.borrow().read64(offsets::CMDQ_BASE) & 0x1f) as u32;
                let q = smmuv3::hw::queue::Queue::new(log2).unwrap();
                let prod = self.smmu.borrow().read32(offsets::CMDQ_PROD);
                q.advance(prod, q.wrap_bit() * 2 - 1) | (3 << 24)
            }
            _ => real,
        })
    }

    fn write32(&self, offset: usize, value: u32) -> Result<(), RegFault> {
        self.check(offset, 4)?;
        let offset = self.alias(offset);
        self.note(Access::Write(offset, u64::from(value)));
        let k = &self.knobs;
        let dropped = match offset {
            offsets::CR0 => k.drop_cr0.get(),
            offsets::GBPA => k.stuck_gbpa.get(),
            offsets::CMDQ_PROD => k.drop_cmdq_prod.get(),
            offsets::GERRORN => k.drop_gerrorn.get(),
            _ => false,
        };
        let mut value = value;
        if offset == offsets::GERRORN {
            let real = self.smmu.borrow().read32(offsets::GERRORN);
            if k.atc_sync_errors.get() > 0 && (value ^ real) & CMDQ_ERR_BIT != 0 {
                k.atc_sync_errors.set(k.atc_sync_errors.get() - 1);
                value ^= CMDQ_ERR_BIT;
            }
            if k.sfm.get() && (value ^ real) & SFM_ERR_BIT != 0 {
                k.sfm.set(false);
                value ^= SFM_ERR_BIT;
            }
        }
        if !dropped {
            self.smmu.borrow_mut().write32(&*self.mem, offset, value);
        }
        Ok(())
    }

    fn read64(&self, offset: usize) -> Result<u64, RegFault> {
        self.check(offset, 8)?;
        self.note(Access::Read(offset));
        Ok(self.smmu.borrow().read64(offset))
    }

    fn write64(&self, offset: usize, value: u64) -> Result<(), RegFault> {
        self.check(offset, 8)?;
        self.note(Access::Write(offset, value));
        self.smmu.borrow_mut().write64(&*self.mem, offset, value);
        Ok(())
    }
}

/// A delay that only counts, and can run a hook on every call (to let
/// "time" change the world).
#[derive(Default)]
pub(crate) struct TestDelay {
    pub(crate) us: Cell<u64>,
    #[allow(clippy::type_complexity)]
    pub(crate) hook: RefCell<Option<Box<dyn FnMut(u64)>>>,
}

impl Delay for TestDelay {
    fn udelay(&self, us: u32) {
        let now = self.us.get() + u64::from(us);
        self.us.set(now);
        if let Some(h) = self.hook.borrow_mut().as_mut() {
            h(now);
        }
    }
}

/// Everything a test needs: memory, model, allocator, delay.
pub(crate) struct Env {
    pub(crate) mem: Rc<SparseMem>,
    pub(crate) io: ModelIo,
    pub(crate) alloc: HostAlloc,
    pub(crate) delay: TestDelay,
}

/// The driver types over the test backends.
pub(crate) type TestDevice<'a> = Device<&'a ModelIo, &'a TestDelay>;
/// A whole driver instance over the test backends.
pub(crate) type TestSmmu<'a> = Smmu<&'a ModelIo, &'a TestDelay, HostBuf, Vec<Option<HostBuf>>>;

impl Env {
    /// A model implementing `cfg`, in its reset state.
    pub(crate) fn new(cfg: ModelConfig) -> Self {
        let mem = Rc::new(SparseMem::new());
        Self {
            io: ModelIo {
                smmu: RefCell::new(Box::new(DefaultSmmu::new(cfg))),
                mem: mem.clone(),
                knobs: Knobs::default(),
                log: RefCell::new(Vec::new()),
                logging: Cell::new(false),
            },
            alloc: HostAlloc {
                mem: mem.clone(),
                next: Cell::new(DMA_POOL),
                budget: Cell::new(None),
                count: Cell::new(0),
                skew: Cell::new(0),
            },
            delay: TestDelay::default(),
            mem,
        }
    }

    /// Probes the model with `cfg`.
    pub(crate) fn device(&self, cfg: Config) -> TestDevice<'_> {
        Device::probe(&self.io, &self.delay, cfg).expect("probe")
    }

    /// Probes and allocates, without resetting.
    pub(crate) fn smmu_unreset(&self, cfg: Config) -> TestSmmu<'_> {
        let dev = self.device(cfg);
        let geom = dev.strtab_geometry().expect("geometry");
        let slots = if geom.is_two_level() {
            geom.l1_entries() as usize
        } else {
            0
        };
        let mut l2 = Vec::new();
        l2.resize_with(slots, || None);
        Smmu::new(&self.alloc, dev, l2).expect("allocate")
    }

    /// Probes, allocates and resets.
    pub(crate) fn smmu(&self, cfg: Config) -> TestSmmu<'_> {
        let mut s = self.smmu_unreset(cfg);
        s.reset().expect("reset");
        s
    }
}

/// A driver configuration with short timeouts (in simulated microseconds).
pub(crate) fn test_config() -> Config {
    Config {
        timeouts: Timeouts {
            ack_us: 100,
            sync_us: 200,
        },
        ..Config::DEFAULT
    }
}

/// T0SZ of the test page tables: 39-bit VAs, 4KB granule, start level 1.
pub(crate) const T0SZ: u8 = 25;

/// Leaf attributes usable by unprivileged device reads and writes,
/// non-global (TLB entries are tagged with the CD's ASID).
pub(crate) const USER_RW: u64 =
    smmuv3::testmem::TableBuilder::LEAF_NG | smmuv3::hw::walk::desc::AP_USER;

/// Builds 4KB page tables at `pool` mapping each `(va, pa)` page; returns
/// the builder (its root is the TTB0).
pub(crate) fn page_tables<'m>(
    mem: &'m SparseMem,
    pool: u64,
    maps: &[(u64, u64)],
) -> smmuv3::testmem::TableBuilder<'m> {
    let mut b = smmuv3::testmem::TableBuilder::new(mem, smmuv3::hw::walk::Granule::K4, T0SZ, pool);
    for &(va, pa) in maps {
        b.map_page(va, pa, USER_RW);
    }
    b
}

/// A stage 1 CD for tables rooted at `ttb0`.
pub(crate) fn s1_cd(dev: &TestDevice<'_>, asid: u16, ttb0: u64) -> smmuv3::hw::cd::Cd {
    use smmuv3::hw::cd::{Cacheability, Cd, CdHttu, Granule, S1PagingCd};
    use smmuv3::hw::regs::Shareability;
    Cd::s1_paging(&S1PagingCd {
        asid,
        ttb0,
        t0sz: T0SZ,
        tg0: Granule::Size4K,
        irgn0: Cacheability::WriteBackWriteAlloc,
        orgn0: Cacheability::WriteBackWriteAlloc,
        sh0: Shareability::InnerShareable,
        ips: dev.features().oas,
        mair: smmuv3::testmem::TableBuilder::MAIR,
        stall: false,
        httu: CdHttu::None,
    })
    .expect("CD")
}

/// A linear CD table holding `cds` (padded to a power of two).
pub(crate) fn cd_table(alloc: &HostAlloc, cds: &[smmuv3::hw::cd::Cd]) -> HostBuf {
    let n = cds.len().next_power_of_two().max(1);
    let buf = alloc.alloc_coherent(n * 64).expect("CD table");
    for (i, cd) in cds.iter().enumerate() {
        for (q, w) in cd.qwords().iter().enumerate() {
            buf.write_u64(i * 64 + q * 8, *w).unwrap();
        }
    }
    buf
}

/// An STE using the linear CD table `table` of `2^s1cdmax` CDs.
pub(crate) fn s1_ste(dev: &TestDevice<'_>, table: &HostBuf, s1cdmax: u8) -> smmuv3::hw::ste::Ste {
    use smmuv3::hw::ste::{CdTableSte, S1Dss, S1Fmt, Ste};
    Ste::cd_table(
        &dev.ste_caps(),
        &CdTableSte {
            cd_table: table.dma_addr(),
            s1fmt: S1Fmt::Linear,
            s1cdmax,
            s1dss: S1Dss::Ssid0,
            ats: false,
            stall: false,
        },
    )
    .expect("STE")
}

/// The output address of a read by `sid` at `va` (translated or bypassed),
/// or the outcome.
pub(crate) fn read_pa(io: &ModelIo, sid: u32, va: u64) -> Result<u64, Outcome> {
    match io.translate(Transaction::read(sid, va)) {
        Outcome::Translated(t) => Ok(t.pa),
        Outcome::Bypass { pa } => Ok(pa),
        o => Err(o),
    }
}
