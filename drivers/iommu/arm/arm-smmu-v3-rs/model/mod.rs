// SPDX-License-Identifier: GPL-2.0

//! A software Arm SMMUv3 (IHI 0070), driven through its programmer's model.
//!
//! [`Smmu`] implements the register file, the command, event and PRI queues,
//! stream table and context descriptor walks, stage 1 translation (through
//! [`hw::walk`](crate::hw::walk)), configuration caching, a TLB, per-stream
//! ATCs (ATS), stalls and PRI, well enough for a real driver to run against
//! it, on the host (`cargo test`) or in the kernel as a test backend. It is
//! `core`-only and allocation-free: every cache and table has a fixed
//! capacity (const generic parameters of [`Smmu`]), and everything the
//! driver or memory supplies is untrusted: garbage produces the architected
//! error (`CERROR_ILL`, `C_BAD_STE`, `F_STE_FETCH`, ...), never a panic.
//!
//! # Use
//!
//! - Registers: [`Smmu::read32`], [`Smmu::read64`], [`Smmu::write32`],
//!   [`Smmu::write64`] at the architected offsets of
//!   [`hw::regs::offsets`](crate::hw::regs::offsets) (page 1 at
//!   [`PAGE1`](crate::hw::regs::PAGE1)). Writes take the memory the SMMU
//!   sees ([`PhysMem`](crate::hw::mem::PhysMem)) because writing
//!   `SMMU_CMDQ_PROD` consumes commands synchronously (as QEMU does).
//! - Device traffic: [`Smmu::translate`] for an untranslated transaction,
//!   [`Smmu::ats_translate`] / [`Smmu::atc_lookup`] /
//!   [`Smmu::translated_access`] for ATS, [`Smmu::page_request`] for PRI,
//!   and [`DmaEngine`] for whole buffers.
//! - Observation: [`Smmu::irqs`] (interrupt lines as counters),
//!   [`Smmu::stats`], [`Smmu::occupancy`].
//!
//! # What is modelled, and the choices made
//!
//! - Stage 1 only (`S2P = 0`); STEs selecting stage 2 are `C_BAD_STE`.
//!   Without stage 2 the VMID plays no part: TLB entries are tagged VMID 0
//!   and the VMID fields of commands are ignored.
//! - Registers not listed in [`Smmu::read32`] read as zero and ignore writes
//!   (RAZ/WI), as do misaligned offsets and offsets beyond the 128KB frame.
//!   Base registers written while their unit is enabled are ignored (one of
//!   the architecture's CONSTRAINED UNPREDICTABLE choices) and counted in
//!   [`Stats::ignored_writes`].
//! - Configuration cache: STEs by StreamID, CDs by (StreamID, SubstreamID)
//!   and level-1 CD descriptors by (StreamID, index), each only invalidated
//!   by the `CMD_CFGI_*` commands that cover it (`CMD_CFGI_STE` also drops
//!   the stream's CDs and L1CDs, since they were located through the STE).
//!   Invalid STEs and CDs are cached too; level-1 stream table descriptors
//!   and failed fetches are not.
//! - TLB: leaf translations only (no walk cache), tagged by StreamWorld,
//!   ASID and the leaf's global bit, only invalidated by the matching
//!   `CMD_TLBI_*` (or broadcast TLBI with BTM). Range invalidations honour
//!   `TG` and `TTL` strictly: an entry of another granule or level is kept.
//!   A hit that does not permit the access re-walks rather than faulting on
//!   the cached permissions (faulting translations are never cached), so a
//!   missing TLBI shows up as a stale output address or stale *extra*
//!   permission, not as spurious faults.
//! - Faults: `CD.R` records, `CD.A` aborts (RAZ/WI otherwise, unless
//!   `TERM_MODEL`), `CD.S` stalls unless `STE.S1STALLD` (stalling is forced
//!   or impossible per `STALL_MODEL`). A stalled fault is always recorded;
//!   if its event cannot be written, or `STALL_MAX` stalls are outstanding,
//!   the transaction is terminated instead.
//! - PRI: a transaction flagged [`Transaction::pri`] that takes a
//!   translation-class fault sends a one-page page request group (Last = 1)
//!   instead of recording an event. A request lost to a full PRI queue is
//!   answered automatically with Success (so the device retries), one lost
//!   because the queue is disabled with Failure. While a PRI queue overflow
//!   is unacknowledged, further requests are lost too.
//! - Interrupts are edge events counted in [`IrqCounters`]: the event and
//!   PRI queue lines fire when their queue goes from empty to non-empty, the
//!   GERROR line when an error becomes active; with `IDR0.MSI` and a
//!   non-zero `*_IRQ_CFG0` address the model also performs the MSI write.

mod ats;
mod cache;
mod cmdq;
mod config;
mod dma;
mod dvm;
mod pri;
mod regs;
mod xlate;

pub use ats::{AtcEntry, AtsError, AtsRequest};
pub use config::ModelConfig;
pub use dma::{DmaEngine, DmaError, DmaStatus, Wait};
pub use dvm::CpuTlbis;
pub use pri::{PageRequest, PriError, PriState};
pub use xlate::{BroadcastTlbi, StallState, TermCause, Termination, Translated};

pub use crate::hw::walk::AccessKind;

use crate::hw::cd::Cd;
use crate::hw::regs::{Features, IdRegs};
use crate::hw::ste::Ste;
use cache::Slots;

/// Default capacity of the configuration cache (STEs, CDs and L1CDs).
pub const DEFAULT_CFG_ENTRIES: usize = 64;
/// Default capacity of the TLB.
pub const DEFAULT_TLB_ENTRIES: usize = 128;
/// Default capacity of the ATC (shared by all streams, tagged by StreamID).
pub const DEFAULT_ATC_ENTRIES: usize = 32;
/// Default capacity of the stalled-transaction table.
pub const DEFAULT_STALL_ENTRIES: usize = 16;
/// Default capacity of the pending page request group table.
pub const DEFAULT_PRI_ENTRIES: usize = 16;

/// A model with the default cache capacities.
pub type DefaultSmmu = Smmu<
    DEFAULT_CFG_ENTRIES,
    DEFAULT_TLB_ENTRIES,
    DEFAULT_ATC_ENTRIES,
    DEFAULT_STALL_ENTRIES,
    DEFAULT_PRI_ENTRIES,
>;

/// One transaction a device issues to the SMMU (untranslated, or a
/// translated one for [`Smmu::translated_access`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Transaction {
    /// StreamID.
    pub sid: u32,
    /// SubstreamID, if the transaction carries one (`SSV`).
    pub ssid: Option<u32>,
    /// Input address.
    pub addr: u64,
    /// Read, write or instruction fetch.
    pub kind: AccessKind,
    /// Privileged (`PnU = 1`).
    pub privileged: bool,
    /// The device uses PRI: a translation-class fault sends a page request
    /// ([`Outcome::PageRequest`]) instead of being recorded, stalled or
    /// terminated (only if the SMMU implements PRI).
    pub pri: bool,
}

impl Transaction {
    /// An unprivileged read of `addr` by stream `sid`, without SubstreamID.
    pub const fn read(sid: u32, addr: u64) -> Self {
        Self {
            sid,
            ssid: None,
            addr,
            kind: AccessKind::Read,
            privileged: false,
            pri: false,
        }
    }

    /// An unprivileged write of `addr` by stream `sid`.
    pub const fn write(sid: u32, addr: u64) -> Self {
        Self {
            kind: AccessKind::Write,
            ..Self::read(sid, addr)
        }
    }

    /// An unprivileged instruction fetch from `addr` by stream `sid`.
    pub const fn exec(sid: u32, addr: u64) -> Self {
        Self {
            kind: AccessKind::Exec,
            ..Self::read(sid, addr)
        }
    }

    /// The same transaction with SubstreamID `ssid`.
    pub const fn with_ssid(self, ssid: u32) -> Self {
        Self {
            ssid: Some(ssid),
            ..self
        }
    }

    /// The same transaction, privileged.
    pub const fn privileged(self) -> Self {
        Self {
            privileged: true,
            ..self
        }
    }

    /// The same transaction from a PRI-capable device.
    pub const fn with_pri(self) -> Self {
        Self { pri: true, ..self }
    }
}

/// What happened to a transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Translated by stage 1.
    Translated(Translated),
    /// Passed through untranslated (SMMU disabled with `GBPA.ABORT == 0`,
    /// `STE.Config == bypass`, or `S1DSS == bypass` for traffic without a
    /// SubstreamID).
    Bypass {
        /// The output address (equal to the input address).
        pa: u64,
    },
    /// An ATS-translated transaction allowed through
    /// ([`Smmu::translated_access`]).
    AtsTranslated {
        /// The output address (as translated by the device's ATC).
        pa: u64,
    },
    /// Terminated: aborted, or completed as RAZ/WI.
    Terminated(Termination),
    /// Stalled: held until `CMD_RESUME` with this tag (or `CMD_STALL_TERM`);
    /// query [`Smmu::stall_result`] and retry on
    /// [`StallState::Retry`].
    Stalled {
        /// The stall tag, also reported in the fault event (`STAG`).
        stag: u16,
    },
    /// A page request was sent: wait for [`Smmu::pri_result`] to report the
    /// response, then retry on success.
    PageRequest {
        /// Page request group index.
        prgi: u16,
    },
}

/// Interrupt lines, as counts of interrupts signalled.
///
/// Counting happens whether the interrupt is wired or an MSI; the MSI write
/// itself is performed too when configured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IrqCounters {
    /// Event queue interrupts (`IRQ_CTRL.EVENTQ_IRQEN`).
    pub eventq: u64,
    /// PRI queue interrupts (`IRQ_CTRL.PRIQ_IRQEN`).
    pub priq: u64,
    /// Global error interrupts (`IRQ_CTRL.GERROR_IRQEN`).
    pub gerror: u64,
    /// `CMD_SYNC` completions with `CS = SIG_IRQ`.
    pub cmd_sync: u64,
    /// `CMD_SYNC` completions with `CS = SIG_SEV` (WFE wake-up events).
    pub sev: u64,
    /// MSI writes performed (of any source).
    pub msi_writes: u64,
}

/// Activity counters, for tests and debugging.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Commands consumed successfully.
    pub commands: u64,
    /// Commands that stopped the queue (`CERROR_*`).
    pub command_errors: u64,
    /// TLB invalidation commands (`CMD_TLBI_*`) executed.
    pub tlbi_commands: u64,
    /// ATC invalidation commands (`CMD_ATC_INV`) executed.
    pub atc_inv_commands: u64,
    /// Broadcast TLB invalidations applied (BTM enabled).
    pub broadcast_tlbis: u64,
    /// ATS Translation Requests answered (successfully or not).
    pub ats_requests: u64,
    /// Configuration cache hits (STE, CD or L1CD).
    pub cfg_hits: u64,
    /// Configuration structure fetches from memory.
    pub cfg_fetches: u64,
    /// TLB hits.
    pub tlb_hits: u64,
    /// Translation table walks.
    pub walks: u64,
    /// Event records written.
    pub events_written: u64,
    /// Events lost (queue disabled, full, or write aborted).
    pub events_lost: u64,
    /// PRI queue entries written.
    pub pri_written: u64,
    /// Page requests lost (queue disabled, full, overflowed or aborted).
    pub pri_lost: u64,
    /// Transactions stalled.
    pub stalls: u64,
    /// Faults that would have stalled but were terminated because
    /// `STALL_MAX` stalls were outstanding or the event was lost.
    pub stall_refused: u64,
    /// `CMD_RESUME`s matching no stalled transaction.
    pub stray_resumes: u64,
    /// `CMD_PRI_RESP`s matching no pending page request group.
    pub stray_pri_resps: u64,
    /// Register writes ignored (read-only register, or written while the
    /// unit it configures is enabled, or `GBPA` without `Update`).
    pub ignored_writes: u64,
    /// MSI writes that aborted.
    pub msi_aborts: u64,
    /// ATC entries filled by ATS translation requests.
    pub atc_fills: u64,
}

/// How full the model's caches and tables are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Occupancy {
    /// Cached STEs.
    pub stes: usize,
    /// Cached CDs.
    pub cds: usize,
    /// Cached level-1 CD descriptors.
    pub l1cds: usize,
    /// TLB entries.
    pub tlb: usize,
    /// ATC entries.
    pub atc: usize,
    /// Stalled transactions not yet resumed.
    pub stalled: usize,
    /// Page request groups awaiting a response.
    pub pri_pending: usize,
}

/// One configuration cache entry.
#[derive(Clone, Copy, Debug)]
enum CfgEntry {
    /// The STE of `sid`.
    Ste { sid: u32, ste: Ste },
    /// The level-1 CD descriptor `index` of the CD table of `sid`.
    L1Cd { sid: u32, index: u32, desc: u64 },
    /// The CD of (`sid`, `ssid`).
    Cd { sid: u32, ssid: u32, cd: Cd },
}

impl CfgEntry {
    const fn sid(&self) -> u32 {
        match *self {
            Self::Ste { sid, .. } | Self::L1Cd { sid, .. } | Self::Cd { sid, .. } => sid,
        }
    }
}

/// A software SMMUv3.
///
/// The const parameters are the capacities of the configuration cache
/// (`CFG`), the TLB (`TLB`), the ATC (`ATC`, shared by all streams), the
/// stalled transaction table (`STALLS`; `IDR5.STALL_MAX` never exceeds it)
/// and the pending page request group table (`PRIS`). A full cache evicts
/// round-robin (the oldest-filled slot of a steadily full cache first); the
/// stall and page request tables refuse new entries instead (terminating
/// the transaction). [`DefaultSmmu`] names the default capacities.
///
/// The value is a plain struct of a few tens of kilobytes with the default
/// capacities: in the kernel, allocate it on the heap (or pick smaller
/// capacities).
pub struct Smmu<
    const CFG: usize = DEFAULT_CFG_ENTRIES,
    const TLB: usize = DEFAULT_TLB_ENTRIES,
    const ATC: usize = DEFAULT_ATC_ENTRIES,
    const STALLS: usize = DEFAULT_STALL_ENTRIES,
    const PRIS: usize = DEFAULT_PRI_ENTRIES,
> {
    cfg: ModelConfig,
    ids: IdRegs,
    /// `ids` decoded, as a driver sees them (and as the legality checks of
    /// `hw::ste`/`hw::cd` take them).
    feat: Features,
    regs: regs::RegFile,
    cfg_cache: Slots<CfgEntry, CFG>,
    tlb: Slots<xlate::TlbEntry, TLB>,
    atc: Slots<AtcEntry, ATC>,
    stalls: Slots<xlate::StallEntry, STALLS>,
    pri: Slots<pri::PriGroup, PRIS>,
    next_stag: u16,
    next_prgi: u16,
    irqs: IrqCounters,
    stats: Stats,
}

impl<
        const CFG: usize,
        const TLB: usize,
        const ATC: usize,
        const STALLS: usize,
        const PRIS: usize,
    > Smmu<CFG, TLB, ATC, STALLS, PRIS>
{
    /// A model of an SMMU implementing `cfg` (sanitised with
    /// [`ModelConfig::sanitized`]), in its reset state: disabled, queues
    /// empty, caches empty.
    pub fn new(cfg: ModelConfig) -> Self {
        let cfg = cfg.sanitized(STALLS);
        let ids = cfg.id_regs();
        Self {
            cfg,
            ids,
            feat: Features::decode(&ids),
            regs: regs::RegFile::reset(&cfg),
            cfg_cache: Slots::new(),
            tlb: Slots::new(),
            atc: Slots::new(),
            stalls: Slots::new(),
            pri: Slots::new(),
            next_stag: 0,
            next_prgi: 0,
            irqs: IrqCounters::default(),
            stats: Stats::default(),
        }
    }

    /// Builds the model of [`Smmu::new`] directly in `slot`, field by
    /// field, and returns it initialised.
    ///
    /// With the default capacities the model is larger than a kernel
    /// stack should carry; this never holds more than one cache on the
    /// stack, so the kernel can put the model straight on the heap.
    pub fn new_in(slot: &mut core::mem::MaybeUninit<Self>, cfg: ModelConfig) -> &mut Self {
        let cfg = cfg.sanitized(STALLS);
        let ids = cfg.id_regs();
        let p = slot.as_mut_ptr();
        // SAFETY: `p` is valid for writes of `Self`; each field is written once, without reading.
        unsafe {
            core::ptr::addr_of_mut!((*p).cfg).write(cfg);
            core::ptr::addr_of_mut!((*p).ids).write(ids);
            core::ptr::addr_of_mut!((*p).feat).write(Features::decode(&ids));
            core::ptr::addr_of_mut!((*p).regs).write(regs::RegFile::reset(&cfg));
            core::ptr::addr_of_mut!((*p).cfg_cache).write(Slots::new());
            core::ptr::addr_of_mut!((*p).tlb).write(Slots::new());
            core::ptr::addr_of_mut!((*p).atc).write(Slots::new());
            core::ptr::addr_of_mut!((*p).stalls).write(Slots::new());
            core::ptr::addr_of_mut!((*p).pri).write(Slots::new());
            core::ptr::addr_of_mut!((*p).next_stag).write(0);
            core::ptr::addr_of_mut!((*p).next_prgi).write(0);
            core::ptr::addr_of_mut!((*p).irqs).write(IrqCounters::default());
            core::ptr::addr_of_mut!((*p).stats).write(Stats::default());
        }
        // SAFETY: every field was initialised above.
        unsafe { slot.assume_init_mut() }
    }

    /// Returns the SMMU to its reset state (registers, queues, caches,
    /// stalls, page requests and counters), keeping its configuration.
    pub fn reset(&mut self) {
        self.regs = regs::RegFile::reset(&self.cfg);
        self.cfg_cache.clear();
        self.tlb.clear();
        self.atc.clear();
        self.stalls.clear();
        self.pri.clear();
        self.next_stag = 0;
        self.next_prgi = 0;
        self.irqs = IrqCounters::default();
        self.stats = Stats::default();
    }

    /// The (sanitised) configuration.
    pub fn config(&self) -> &ModelConfig {
        &self.cfg
    }

    /// The ID registers.
    pub fn id_regs(&self) -> IdRegs {
        self.ids
    }

    /// The features a driver decodes from the ID registers.
    pub fn features(&self) -> Features {
        self.feat
    }

    /// Interrupts signalled so far.
    pub fn irqs(&self) -> IrqCounters {
        self.irqs
    }

    /// Activity counters.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// How full the caches and tables are.
    pub fn occupancy(&self) -> Occupancy {
        let mut o = Occupancy {
            tlb: self.tlb.len(),
            atc: self.atc.len(),
            stalled: self
                .stalls
                .iter()
                .filter(|s| s.state == StallState::Pending)
                .count(),
            pri_pending: self
                .pri
                .iter()
                .filter(|g| g.state == PriState::Pending)
                .count(),
            ..Occupancy::default()
        };
        for e in self.cfg_cache.iter() {
            match e {
                CfgEntry::Ste { .. } => o.stes += 1,
                CfgEntry::L1Cd { .. } => o.l1cds += 1,
                CfgEntry::Cd { .. } => o.cds += 1,
            }
        }
        o
    }
}

/// Adds `1` to a counter without overflowing.
fn bump(counter: &mut u64) {
    *counter = counter.saturating_add(1);
}
