// SPDX-License-Identifier: GPL-2.0

//! A tiny test-only "driver" for the model tests: sets up queues and
//! tables in a [`SparseMem`], writes STEs and CDs, pushes commands and
//! drains the event and PRI queues. It does just enough, the obvious way;
//! the real driver is tested against the model elsewhere.

#![allow(dead_code)]

use std::collections::HashMap;
use std::vec::Vec;

use smmuv3::hw::cd::{Cacheability, Cd, CdHttu, Granule as CdGranule, S1PagingCd};
use smmuv3::hw::cmd::{Command, SyncCmd};
use smmuv3::hw::event::Event;
use smmuv3::hw::pri::PriRequest;
use smmuv3::hw::queue::Queue;
use smmuv3::hw::regs::{offsets as off, Cr0, Cr1, Cr2, IrqCtrl, Oas, Shareability};
use smmuv3::hw::ste::{CdTableSte, S1Dss, S1Fmt, Ste, SteCaps};
use smmuv3::hw::strtab::{CdL1Desc, CdTableGeometry, StreamTableGeometry, StrtabL1Desc};
use smmuv3::model::{ModelConfig, Outcome, Smmu, Transaction};
use smmuv3::testmem::{SparseMem, TableBuilder};

pub(crate) use smmuv3::hw::walk::desc;
pub(crate) use smmuv3::hw::walk::Granule;

/// Command queue: 256 entries.
pub(crate) const CMDQ_BASE: u64 = 0x1000_0000;
/// Event queue.
pub(crate) const EVTQ_BASE: u64 = 0x1001_0000;
/// PRI queue.
pub(crate) const PRIQ_BASE: u64 = 0x1002_0000;
/// Stream table (linear or level 1).
pub(crate) const STRTAB_BASE: u64 = 0x1100_0000;
/// Level-2 stream tables and CD tables are carved from here.
pub(crate) const ALLOC_BASE: u64 = 0x2000_0000;
/// Page tables.
pub(crate) const PT_POOL: u64 = 0x4000_0000;
/// Data pages.
pub(crate) const DATA: u64 = 0x8000_0000;
/// Where SYNC MSIs go.
pub(crate) const MSI_ADDR: u64 = 0x0f00_0000;

/// Leaf attributes for an ASID-private (non-global) read/write mapping.
pub(crate) const RW: u64 = TableBuilder::LEAF_NG | desc::AP_USER;
/// Read-only, non-global, user-accessible.
pub(crate) const RO: u64 = TableBuilder::LEAF_NG | desc::AP_USER | desc::AP_RDONLY;

/// A CD table the rig made for a stream.
#[derive(Clone, Debug)]
pub(crate) struct CdTab {
    pub(crate) base: u64,
    pub(crate) geo: CdTableGeometry,
    /// Leaf tables by level-1 index.
    pub(crate) l2: HashMap<u32, u64>,
}

/// The model, its memory, and the driver-side state.
pub(crate) struct Rig<
    'm,
    const CFG: usize = 64,
    const TLB: usize = 128,
    const ATC: usize = 32,
    const STALLS: usize = 16,
    const PRIS: usize = 16,
> {
    pub(crate) mem: &'m SparseMem,
    pub(crate) smmu: Smmu<CFG, TLB, ATC, STALLS, PRIS>,
    pub(crate) geo: StreamTableGeometry,
    pub(crate) caps: SteCaps,
    cmdq: Queue,
    cmdq_prod: u32,
    evtq: Queue,
    evtq_cons: u32,
    priq: Queue,
    priq_cons: u32,
    next_alloc: u64,
    l2_strtab: HashMap<u32, u64>,
    pub(crate) cd_tabs: HashMap<u32, CdTab>,
}

/// A rig with the default capacities.
pub(crate) fn rig(mem: &SparseMem, cfg: ModelConfig) -> Rig<'_> {
    Rig::new(mem, cfg)
}

impl<
        'm,
        const CFG: usize,
        const TLB: usize,
        const ATC: usize,
        const STALLS: usize,
        const PRIS: usize,
    > Rig<'m, CFG, TLB, ATC, STALLS, PRIS>
{
    /// Creates the model and brings it up like a driver would: tables,
    /// queues, invalidate everything, interrupts, enable.
    pub(crate) fn new(mem: &'m SparseMem, cfg: ModelConfig) -> Self {
        let smmu = Smmu::new(cfg);
        let f = smmu.features();
        let geo = StreamTableGeometry::for_features(&f).unwrap();
        let cmdq = Queue::new(u32::from(f.cmdqs.min(8))).unwrap();
        let evtq = Queue::new(u32::from(f.eventqs.min(8))).unwrap();
        let priq = Queue::new(u32::from(f.priqs.min(8))).unwrap();
        let mut rig = Self {
            mem,
            smmu,
            geo,
            caps: SteCaps::from_features(&f, false),
            cmdq,
            cmdq_prod: 0,
            evtq,
            evtq_cons: 0,
            priq,
            priq_cons: 0,
            next_alloc: ALLOC_BASE,
            l2_strtab: HashMap::new(),
            cd_tabs: HashMap::new(),
        };
        rig.bring_up();
        rig
    }

    fn w32(&mut self, offset: usize, v: u32) {
        self.smmu.write32(self.mem, offset, v);
    }

    fn w64(&mut self, offset: usize, v: u64) {
        self.smmu.write64(self.mem, offset, v);
    }

    pub(crate) fn r32(&self, offset: usize) -> u32 {
        self.smmu.read32(offset)
    }

    fn bring_up(&mut self) {
        let f = self.smmu.features();
        self.w32(off::CR0, 0);
        self.w32(off::CR1, Cr1::coherent_wb().raw());
        self.w32(off::CR2, Cr2::from_raw(0).with_recinvsid(true).raw());
        self.w64(off::STRTAB_BASE, STRTAB_BASE);
        self.w32(off::STRTAB_BASE_CFG, self.geo.base_cfg().raw());
        self.w64(off::CMDQ_BASE, CMDQ_BASE | u64::from(self.cmdq.log2size()));
        self.w32(off::CMDQ_PROD, 0);
        self.w32(off::CMDQ_CONS, 0);
        let mut cr0 = Cr0::from_raw(0).with_cmdqen(true);
        self.w32(off::CR0, cr0.raw());
        self.cmd(Command::CfgiAll);
        self.cmd(Command::TlbiNsnhAll);
        if f.hyp {
            self.cmd(Command::TlbiEl2All);
        }
        self.sync();
        self.w64(
            off::EVENTQ_BASE,
            EVTQ_BASE | u64::from(self.evtq.log2size()),
        );
        self.w32(off::EVENTQ_PROD, 0);
        self.w32(off::EVENTQ_CONS, 0);
        cr0 = cr0.with_eventqen(true);
        self.w32(off::CR0, cr0.raw());
        if f.pri {
            self.w64(off::PRIQ_BASE, PRIQ_BASE | u64::from(self.priq.log2size()));
            self.w32(off::PRIQ_PROD, 0);
            self.w32(off::PRIQ_CONS, 0);
            cr0 = cr0.with_priqen(true);
            self.w32(off::CR0, cr0.raw());
        }
        let irq = IrqCtrl::from_raw(0)
            .with_eventq_irqen(true)
            .with_gerror_irqen(true)
            .with_priq_irqen(f.pri);
        self.w32(off::IRQ_CTRL, irq.raw());
        cr0 = cr0.with_smmuen(true);
        self.w32(off::CR0, cr0.raw());
        assert_eq!(self.r32(off::CR0ACK), cr0.raw());
    }

    /// Carves a zeroed, `align`-aligned region of `size` bytes.
    pub(crate) fn alloc(&mut self, size: u64, align: u64) -> u64 {
        let pa = (self.next_alloc + align - 1) & !(align - 1);
        self.next_alloc = pa + size;
        self.mem.fill(pa, size, 0);
        pa
    }

    // ----- Command queue -----

    /// Writes a raw command at PROD and publishes it.
    pub(crate) fn raw_cmd(&mut self, words: [u64; 2]) {
        let cons = self.r32(off::CMDQ_CONS);
        assert!(
            self.cmdq.has_space(self.cmdq_prod, cons & 0xf_ffff, 1),
            "test command queue full"
        );
        let pa = CMDQ_BASE + self.cmdq.offset(self.cmdq_prod, 16) as u64;
        self.mem.poke_u64(pa, words[0]);
        self.mem.poke_u64(pa + 8, words[1]);
        self.cmdq_prod = self.cmdq.inc(self.cmdq_prod);
        self.w32(off::CMDQ_PROD, self.cmdq_prod);
    }

    /// Pushes one command.
    pub(crate) fn cmd(&mut self, c: Command) {
        self.raw_cmd(c.encode().expect("valid command"));
    }

    /// Pushes a CMD_SYNC and checks that everything was consumed.
    pub(crate) fn sync(&mut self) {
        self.cmd(Command::Sync(SyncCmd::none()));
        assert_eq!(
            self.r32(off::CMDQ_CONS),
            self.cmdq_prod,
            "command queue stuck (CONS.ERR = {:#x})",
            self.r32(off::CMDQ_CONS) >> 24
        );
    }

    pub(crate) fn cmdq_prod(&self) -> u32 {
        self.cmdq_prod
    }

    /// Re-reads `CMDQ_PROD` after commands were pushed with [`push_cmd`].
    pub(crate) fn resync_prod(&mut self) {
        self.cmdq_prod = self.r32(off::CMDQ_PROD);
    }

    pub(crate) fn cmdq_queue(&self) -> Queue {
        self.cmdq
    }

    // ----- Stream table -----

    /// Physical address of the STE of `sid`, allocating (and publishing) a
    /// level-2 table if needed.
    pub(crate) fn ste_addr(&mut self, sid: u32) -> u64 {
        if !self.geo.is_two_level() {
            return self.geo.base_entry_addr(STRTAB_BASE, sid).unwrap();
        }
        let l1 = sid >> self.geo.split();
        let l2 = match self.l2_strtab.get(&l1) {
            Some(&pa) => pa,
            None => {
                let bytes = self.geo.l2_table_bytes();
                let pa = self.alloc(bytes, bytes);
                let desc = StrtabL1Desc::new(pa, self.geo.split() + 1).unwrap();
                let at = self.geo.base_entry_addr(STRTAB_BASE, sid).unwrap();
                self.mem.poke_u64(at, desc.raw());
                self.l2_strtab.insert(l1, pa);
                pa
            }
        };
        let desc = StrtabL1Desc::new(l2, self.geo.split() + 1).unwrap();
        self.geo.l2_ste_addr(desc, sid).unwrap()
    }

    /// Writes an STE in memory only (no invalidation).
    pub(crate) fn write_ste(&mut self, sid: u32, ste: &Ste) {
        let pa = self.ste_addr(sid);
        for (i, q) in ste.qwords().iter().enumerate() {
            self.mem.poke_u64(pa + 8 * i as u64, *q);
        }
    }

    /// Reads the STE of `sid` back from memory.
    pub(crate) fn read_ste(&mut self, sid: u32) -> Ste {
        let pa = self.ste_addr(sid);
        Ste::from_qwords(core::array::from_fn(|i| {
            self.mem.peek_u64(pa + 8 * i as u64)
        }))
    }

    /// Writes an STE, invalidates it and syncs.
    pub(crate) fn set_ste(&mut self, sid: u32, ste: &Ste) {
        self.write_ste(sid, ste);
        self.cmd(Command::CfgiSte { sid, leaf: true });
        self.sync();
    }

    pub(crate) fn bypass(&mut self, sid: u32) {
        let ste = Ste::bypass(&self.caps);
        self.set_ste(sid, &ste);
    }

    pub(crate) fn abort(&mut self, sid: u32) {
        self.set_ste(sid, &Ste::abort());
    }

    // ----- CD tables -----

    /// Gives `sid` a CD table of `2^cdmax` CDs (2-level with 64KB leaves if
    /// `two_level`), and points its STE at it.
    pub(crate) fn attach_cd_table(&mut self, sid: u32, cdmax: u8, two_level: bool, opts: SteOpts) {
        let fmt = if two_level {
            S1Fmt::TwoLevel64K
        } else {
            S1Fmt::Linear
        };
        let geo = CdTableGeometry::new(fmt, cdmax).unwrap();
        let bytes = geo.base_table_bytes().max(64);
        let base = self.alloc(bytes, bytes.max(64));
        self.cd_tabs.insert(
            sid,
            CdTab {
                base,
                geo,
                l2: HashMap::new(),
            },
        );
        let ste = Ste::cd_table(
            &self.caps,
            &CdTableSte {
                cd_table: base,
                s1fmt: fmt,
                s1cdmax: cdmax,
                s1dss: opts.s1dss,
                ats: opts.ats,
                stall: opts.stall,
            },
        )
        .unwrap();
        self.set_ste(sid, &ste);
    }

    /// Physical address of CD `ssid` of `sid`, allocating a leaf table if
    /// needed (with the L1CD invalidation the leaf needs).
    pub(crate) fn cd_addr(&mut self, sid: u32, ssid: u32) -> u64 {
        let tab = self.cd_tabs.get(&sid).expect("no CD table").clone();
        let l2n = tab.geo.l2_entries();
        if l2n == 0 {
            return tab.geo.base_entry_addr(tab.base, ssid).unwrap();
        }
        let l1 = ssid / l2n;
        let leaf = match tab.l2.get(&l1) {
            Some(&pa) => pa,
            None => {
                let bytes = tab.geo.l2_table_bytes();
                let pa = self.alloc(bytes, 4096);
                let at = tab.geo.base_entry_addr(tab.base, ssid).unwrap();
                self.mem.poke_u64(at, CdL1Desc::new(pa).unwrap().raw());
                self.cd_tabs.get_mut(&sid).unwrap().l2.insert(l1, pa);
                self.cmd(Command::CfgiCd {
                    sid,
                    ssid,
                    leaf: false,
                });
                self.sync();
                pa
            }
        };
        tab.geo
            .l2_cd_addr(CdL1Desc::new(leaf).unwrap(), ssid)
            .unwrap()
    }

    /// Writes a CD in memory only.
    pub(crate) fn write_cd(&mut self, sid: u32, ssid: u32, cd: &Cd) {
        let pa = self.cd_addr(sid, ssid);
        for (i, q) in cd.qwords().iter().enumerate() {
            self.mem.poke_u64(pa + 8 * i as u64, *q);
        }
    }

    /// Writes a CD, invalidates it and syncs.
    pub(crate) fn set_cd(&mut self, sid: u32, ssid: u32, cd: &Cd) {
        self.write_cd(sid, ssid, cd);
        self.cmd(Command::CfgiCd {
            sid,
            ssid,
            leaf: true,
        });
        self.sync();
    }

    // ----- Event and PRI queues -----

    /// Drains the event queue.
    pub(crate) fn events(&mut self) -> Vec<Event> {
        let mut out = Vec::new();
        let prod = self.r32(off::EVENTQ_PROD);
        while !self.evtq.is_empty(prod, self.evtq_cons) {
            let pa = EVTQ_BASE + self.evtq.offset(self.evtq_cons, 32) as u64;
            let w = [0, 8, 16, 24].map(|o| self.mem.peek_u64(pa + o));
            out.push(Event::decode(w));
            self.evtq_cons = self.evtq.inc(self.evtq_cons);
        }
        self.evtq_cons = self.evtq.ack_overflow(self.evtq_cons, prod);
        self.w32(off::EVENTQ_CONS, self.evtq_cons);
        out
    }

    /// Whether the event queue reports an unacknowledged overflow.
    pub(crate) fn evtq_overflowed(&self) -> bool {
        self.evtq
            .overflowed(self.r32(off::EVENTQ_PROD), self.r32(off::EVENTQ_CONS))
    }

    /// Drains the PRI queue.
    pub(crate) fn pri_requests(&mut self) -> Vec<PriRequest> {
        let mut out = Vec::new();
        let prod = self.r32(off::PRIQ_PROD);
        while !self.priq.is_empty(prod, self.priq_cons) {
            let pa = PRIQ_BASE + self.priq.offset(self.priq_cons, 16) as u64;
            out.push(PriRequest::decode([
                self.mem.peek_u64(pa),
                self.mem.peek_u64(pa + 8),
            ]));
            self.priq_cons = self.priq.inc(self.priq_cons);
        }
        self.priq_cons = self.priq.ack_overflow(self.priq_cons, prod);
        self.w32(off::PRIQ_CONS, self.priq_cons);
        out
    }

    pub(crate) fn priq_overflowed(&self) -> bool {
        self.priq
            .overflowed(self.r32(off::PRIQ_PROD), self.r32(off::PRIQ_CONS))
    }

    // ----- Traffic -----

    pub(crate) fn read(&mut self, sid: u32, ssid: Option<u32>, va: u64) -> Outcome {
        let mut t = Transaction::read(sid, va);
        t.ssid = ssid;
        self.smmu.translate(self.mem, &t)
    }

    pub(crate) fn write(&mut self, sid: u32, ssid: Option<u32>, va: u64) -> Outcome {
        let mut t = Transaction::write(sid, va);
        t.ssid = ssid;
        self.smmu.translate(self.mem, &t)
    }
}

/// Pushes `cmd` and a CMD_SYNC straight through the registers (for
/// closures that only get the SMMU), as the rig's queue layout expects.
pub(crate) fn push_cmd<
    const CFG: usize,
    const TLB: usize,
    const ATC: usize,
    const STALLS: usize,
    const PRIS: usize,
>(
    smmu: &mut Smmu<CFG, TLB, ATC, STALLS, PRIS>,
    mem: &SparseMem,
    cmd: Command,
) {
    let q = Queue::new(u32::from(smmu.features().cmdqs.min(8))).unwrap();
    let mut prod = smmu.read32(off::CMDQ_PROD);
    for c in [cmd, Command::Sync(SyncCmd::none())] {
        let w = c.encode().unwrap();
        let pa = CMDQ_BASE + q.offset(prod, 16) as u64;
        mem.poke_u64(pa, w[0]);
        mem.poke_u64(pa + 8, w[1]);
        prod = q.inc(prod);
    }
    smmu.write32(mem, off::CMDQ_PROD, prod);
    assert_eq!(smmu.read32(off::CMDQ_CONS), prod);
}

/// STE options for [`Rig::attach_cd_table`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct SteOpts {
    pub(crate) s1dss: S1Dss,
    pub(crate) ats: bool,
    pub(crate) stall: bool,
}

impl Default for SteOpts {
    fn default() -> Self {
        Self {
            s1dss: S1Dss::Ssid0,
            ats: false,
            stall: false,
        }
    }
}

/// A CD for page tables built by a 4KB, 48-bit [`TableBuilder`].
pub(crate) fn cd_for(asid: u16, pt: &TableBuilder<'_>, stall: bool) -> Cd {
    let cfg = pt.config();
    Cd::s1_paging(&S1PagingCd {
        asid,
        ttb0: pt.root(),
        t0sz: cfg.t0sz,
        tg0: CdGranule::Size4K,
        irgn0: Cacheability::WriteBackWriteAlloc,
        orgn0: Cacheability::WriteBackWriteAlloc,
        sh0: Shareability::InnerShareable,
        ips: Oas::Bits48,
        mair: cfg.mair,
        stall,
        httu: CdHttu::None,
    })
    .unwrap()
}

/// Page tables for 4KB pages and 48-bit VAs, allocated at `pool`.
pub(crate) fn tables(mem: &SparseMem, pool: u64) -> TableBuilder<'_> {
    TableBuilder::new(mem, Granule::K4, 16, pool)
}

/// The output address of a translated outcome, or a panic describing it.
pub(crate) fn pa_of(o: Outcome) -> u64 {
    match o {
        Outcome::Translated(t) => t.pa,
        Outcome::Bypass { pa } | Outcome::AtsTranslated { pa } => pa,
        other => panic!("expected a translation, got {other:?}"),
    }
}

/// The event numbers of `events`.
pub(crate) fn ids(events: &[Event]) -> Vec<u8> {
    events.iter().map(|e| e.event_id()).collect()
}
