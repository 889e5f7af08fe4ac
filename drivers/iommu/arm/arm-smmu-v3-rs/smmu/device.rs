// SPDX-License-Identifier: GPL-2.0

//! Probe, reset and global error handling of one SMMU.
//!
//! # Reset sequence ([`Device::reset`])
//!
//! 1. `SMMU_GBPA` is set to the configured policy (abort or bypass) through
//!    its `Update` protocol, so that traffic arriving while the SMMU is
//!    disabled is treated as the caller asked.
//! 2. `SMMU_CR0` is cleared and `SMMU_CR0ACK` polled: translation and all
//!    queues stop. `SMMU_IRQ_CTRL` is cleared the same way.
//! 3. `SMMU_CR1` (tables and queues write-back cacheable inner-shareable on
//!    a coherent SMMU, non-cacheable otherwise) and `SMMU_CR2`
//!    (`RECINVSID`, `PTM` unless broadcast TLB maintenance is wanted and
//!    implemented, `E2H` when the host runs in EL2 with VHE).
//! 4. `SMMU_STRTAB_BASE`/`_CFG`, then the command queue base and indexes,
//!    `CR0.CMDQEN`, and an invalidation of everything the SMMU may have
//!    cached from a previous life: `CMD_CFGI_ALL`, `CMD_TLBI_EL2_ALL` (if
//!    `IDR0.HYP`), `CMD_TLBI_NSNH_ALL`, one `CMD_SYNC`.
//! 5. The event queue (`CR0.EVENTQEN`), the PRI queue (`CR0.PRIQEN`) when
//!    `IDR0.PRI`, `CR0.ATSCHK` when `IDR0.ATS`.
//! 6. Interrupts: MSI addresses cleared (the driver uses wired
//!    interrupts), then `SMMU_IRQ_CTRL` enables for GERROR, the event queue
//!    and the PRI queue.
//! 7. `CR0.SMMUEN`.
//!
//! Every `CR0`/`IRQ_CTRL` write is acknowledged with a timeout; a timeout
//! is reported as [`SmmuError::AckTimeout`] naming the register.

use crate::hw::cmd::Command;
use crate::hw::queue::MAX_LOG2SIZE;
use crate::hw::regs::{
    offsets, Aidr, Cr0, Cr1, Cr1Cache, Cr2, Features, Gbpa, Gerror, IdRegs, Idr0, Idr1, Idr3, Idr5,
    Iidr, IrqCtrl, MsiRegs, Shareability, PAGE1,
};
use crate::hw::ste::{Ste, SteCaps};
use crate::hw::strtab::StreamTableGeometry;
use crate::hw::writer::WriteReport;
use crate::smmu::backend::{CoherentBuf, Delay, DmaAlloc, RegisterIo};
use crate::smmu::cmdq::{CmdQueue, CmdqRecovery};
use crate::smmu::error::{AckReg, SmmuError};
use crate::smmu::evtq::{EventQueue, PriQueue};
use crate::smmu::strtab::{L2Slots, StreamTable};

/// Smallest `IDR1.CMDQS` the driver accepts is above this (4 entries: a
/// command and its `CMD_SYNC` always fit, larger batches are split).
pub const MIN_CMDQ_LOG2: u8 = 1;

/// Poll timeouts, in microseconds of [`Delay::udelay`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// `CR0ACK`, `IRQ_CTRLACK` and `GBPA.Update`.
    pub ack_us: u32,
    /// Completion of a `CMD_SYNC`, and waiting for command queue space.
    pub sync_us: u32,
}

impl Timeouts {
    /// One second for everything, as upstream's `ARM_SMMU_POLL_TIMEOUT_US`.
    pub const DEFAULT: Self = Self {
        ack_us: 1_000_000,
        sync_us: 1_000_000,
    };
}

impl Default for Timeouts {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Driver choices for one SMMU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// `SMMU_GBPA.ABORT` while the SMMU is disabled (during reset, and after
    /// [`Device::disable`]): abort incoming traffic instead of letting it
    /// bypass translation.
    pub gbpa_abort: bool,
    /// StreamIDs without a device attached bypass translation instead of
    /// aborting (the initial STE of linear tables and of each new level-2
    /// table). StreamIDs of a 2-level table whose level-2 table has not
    /// been allocated always abort.
    pub bypass_unattached: bool,
    /// The host kernel runs in EL2 with VHE: set `SMMU_CR2.E2H` (if
    /// `IDR0.HYP`) so that stage 1 contexts use the EL2 StreamWorld and
    /// `CMD_TLBI_EL2_*` invalidations.
    pub e2h: bool,
    /// Complete `CMD_SYNC` by an MSI write into the command itself when the
    /// SMMU implements MSIs and coherent access (`IDR0.MSI && COHACC`)
    /// instead of polling `SMMU_CMDQ_CONS`.
    pub msi_poll: bool,
    /// Let the SMMU snoop the CPUs' broadcast TLB maintenance (clear
    /// `SMMU_CR2.PTM`) when it implements `IDR0.BTM`.
    pub broadcast_tlb: bool,
    /// Enable the wired interrupts in `SMMU_IRQ_CTRL`.
    pub wired_irqs: bool,
    /// The implementation only has register page 0 (page-1 registers at
    /// their page-relative offsets in page 0).
    pub page0_only: bool,
    /// Largest command queue the driver allocates (log2 of entries).
    pub cmdq_max_log2: u8,
    /// Largest event queue the driver allocates (log2 of entries).
    pub evtq_max_log2: u8,
    /// Largest PRI queue the driver allocates (log2 of entries).
    pub priq_max_log2: u8,
    /// Poll timeouts.
    pub timeouts: Timeouts,
}

impl Config {
    /// Abort by default, MSI polling when possible, wired interrupts, 4096
    /// commands and events, 1-second timeouts.
    pub const DEFAULT: Self = Self {
        gbpa_abort: true,
        bypass_unattached: false,
        e2h: false,
        msi_poll: true,
        broadcast_tlb: false,
        wired_irqs: true,
        page0_only: false,
        cmdq_max_log2: 12,
        evtq_max_log2: 12,
        priq_max_log2: 12,
        timeouts: Timeouts::DEFAULT,
    };
}

impl Default for Config {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Polls `cond` until it yields a value, waiting 1 µs between attempts.
/// `Ok(None)` after `timeout_us` attempts; errors of `cond` end the poll.
pub(crate) fn poll<D: Delay, T>(
    delay: &D,
    timeout_us: u32,
    mut cond: impl FnMut() -> Result<Option<T>, SmmuError>,
) -> Result<Option<T>, SmmuError> {
    let mut waited = 0u32;
    loop {
        if let Some(v) = cond()? {
            return Ok(Some(v));
        }
        if waited >= timeout_us {
            return Ok(None);
        }
        delay.udelay(1);
        waited = waited.saturating_add(1);
    }
}

/// Allocates a zeroed buffer of at least `size` bytes (rounded up to a
/// power of two, at least 64) and checks that it is aligned to that size.
pub(crate) fn alloc_aligned<A: DmaAlloc>(alloc: &A, size: u64) -> Result<A::Buf, SmmuError> {
    let needed = size.max(64).checked_next_power_of_two().unwrap_or(0);
    let Ok(bytes) = usize::try_from(needed) else {
        return Err(SmmuError::NoMemory(crate::smmu::backend::AllocError {
            size: usize::MAX,
        }));
    };
    if needed == 0 {
        return Err(SmmuError::NoMemory(crate::smmu::backend::AllocError {
            size: usize::MAX,
        }));
    }
    let buf = alloc.alloc_coherent(bytes)?;
    // needed is a power of two.
    if buf.size() < bytes || buf.dma_addr() & (needed - 1) != 0 {
        return Err(SmmuError::BadBuffer {
            dma_addr: buf.dma_addr(),
            size: buf.size(),
            needed,
        });
    }
    Ok(buf)
}

/// What [`Device::handle_gerror`] found and did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GerrorReport {
    /// The errors that were active (all acknowledged on return).
    pub active: Gerror,
    /// Command queue recovery, when `CMDQ_ERR` was active.
    pub cmdq: Option<CmdqRecovery>,
    /// `SFM_ERR` was active: the SMMU is in service failure mode and was
    /// disabled; it needs a full reset.
    pub service_failure: bool,
    /// The result of disabling the SMMU after a service failure.
    pub disable: Option<Result<(), SmmuError>>,
}

impl GerrorReport {
    /// No error was active (the interrupt was not ours, or already
    /// handled).
    pub const fn is_spurious(&self) -> bool {
        self.active.raw() == 0
    }

    /// Event or PRI records may have been lost to aborted queue writes.
    pub const fn records_lost(&self) -> bool {
        self.active.eventq_abt_err() || self.active.priq_abt_err()
    }

    /// An MSI write of the SMMU was aborted (`MSI_*_ABT_ERR`).
    pub const fn msi_aborted(&self) -> bool {
        let a = self.active;
        a.msi_cmdq_abt_err()
            || a.msi_eventq_abt_err()
            || a.msi_priq_abt_err()
            || a.msi_gerror_abt_err()
    }
}

/// One probed SMMU: its register backend, time source, identification and
/// the driver's configuration.
///
/// # Invariants
///
/// `features` decodes `ids` and passed [`Features::check_usable`], so the
/// queue and stream table sizes derived from it are in range.
pub struct Device<R, D> {
    io: R,
    delay: D,
    ids: IdRegs,
    features: Features,
    cfg: Config,
}

impl<R: RegisterIo, D: Delay> Device<R, D> {
    /// Reads and decodes the ID registers and checks that the driver can
    /// use the SMMU. Does not write any register.
    pub fn probe(io: R, delay: D, cfg: Config) -> Result<Self, SmmuError> {
        let ids = IdRegs {
            idr0: Idr0::from_raw(io.read32_relaxed(offsets::IDR0)?),
            idr1: Idr1::from_raw(io.read32_relaxed(offsets::IDR1)?),
            idr3: Idr3::from_raw(io.read32_relaxed(offsets::IDR3)?),
            idr5: Idr5::from_raw(io.read32_relaxed(offsets::IDR5)?),
            iidr: Iidr::from_raw(io.read32_relaxed(offsets::IIDR)?),
            aidr: Aidr::from_raw(io.read32_relaxed(offsets::AIDR)?),
        };
        let features = Features::decode(&ids);
        features.check_usable(MIN_CMDQ_LOG2)?;
        // The driver programs AArch64 stage 1 (CD) or stage 2 tables with
        // 64-byte STEs; both need a known output size, checked above.
        Ok(Self {
            io,
            delay,
            ids,
            features,
            cfg,
        })
    }

    /// The register backend.
    pub fn io(&self) -> &R {
        &self.io
    }

    /// The time source.
    pub fn delay(&self) -> &D {
        &self.delay
    }

    /// The raw ID registers.
    pub fn id_regs(&self) -> &IdRegs {
        &self.ids
    }

    /// The decoded features.
    pub fn features(&self) -> &Features {
        &self.features
    }

    /// The driver configuration.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// Whether stage 1 contexts use the EL2 StreamWorld (`SMMU_CR2.E2H`
    /// is set): requested and `IDR0.HYP`.
    pub fn e2h(&self) -> bool {
        self.cfg.e2h && self.features.hyp
    }

    /// Whether `CMD_SYNC` completes by MSI write-back.
    pub fn msi_poll(&self) -> bool {
        self.cfg.msi_poll && self.features.msi && self.features.cohacc
    }

    /// What STE builders need to know about this SMMU.
    pub fn ste_caps(&self) -> SteCaps {
        SteCaps::from_features(&self.features, self.e2h())
    }

    /// The STE of StreamIDs without an attached device: bypass or abort
    /// per [`Config::bypass_unattached`].
    pub fn default_ste(&self) -> Ste {
        if self.cfg.bypass_unattached {
            Ste::bypass(&self.ste_caps())
        } else {
            Ste::abort()
        }
    }

    /// The stream table shape the driver uses on this SMMU.
    pub fn strtab_geometry(&self) -> Result<StreamTableGeometry, SmmuError> {
        Ok(StreamTableGeometry::for_features(&self.features)?)
    }

    /// log2 of the command queue entries: `IDR1.CMDQS` capped by the
    /// configuration and the architectural maximum of 19.
    pub fn cmdq_log2(&self) -> u32 {
        u32::from(self.features.cmdqs.min(self.cfg.cmdq_max_log2)).min(MAX_LOG2SIZE)
    }

    /// log2 of the event queue entries.
    pub fn evtq_log2(&self) -> u32 {
        u32::from(self.features.eventqs.min(self.cfg.evtq_max_log2)).min(MAX_LOG2SIZE)
    }

    /// log2 of the PRI queue entries.
    pub fn priq_log2(&self) -> u32 {
        u32::from(self.features.priqs.min(self.cfg.priq_max_log2)).min(MAX_LOG2SIZE)
    }

    /// The offset to access a page-1 register at (`offset` from
    /// [`offsets`], which includes [`PAGE1`]).
    pub fn page1(&self, offset: usize) -> usize {
        if self.cfg.page0_only {
            offset.checked_sub(PAGE1).unwrap_or(offset)
        } else {
            offset
        }
    }

    /// Writes `value` to the register at `offset` and polls `ack_offset`
    /// until it reads back the same value.
    fn write_acked(
        &self,
        reg: AckReg,
        offset: usize,
        ack_offset: usize,
        value: u32,
    ) -> Result<(), SmmuError> {
        self.io.write32(offset, value)?;
        let mut got = 0;
        let done = poll(&self.delay, self.cfg.timeouts.ack_us, || {
            got = self.io.read32_relaxed(ack_offset)?;
            Ok((got == value).then_some(()))
        })?;
        done.ok_or(SmmuError::AckTimeout {
            reg,
            wanted: value,
            got,
        })
    }

    /// Writes `SMMU_CR0` and waits for `SMMU_CR0ACK` to match.
    pub fn write_cr0(&self, cr0: Cr0) -> Result<(), SmmuError> {
        self.write_acked(AckReg::Cr0, offsets::CR0, Cr0::ACK_OFFSET, cr0.raw())
    }

    /// Writes `SMMU_IRQ_CTRL` and waits for `SMMU_IRQ_CTRLACK` to match.
    pub fn write_irq_ctrl(&self, ctrl: IrqCtrl) -> Result<(), SmmuError> {
        self.write_acked(
            AckReg::IrqCtrl,
            offsets::IRQ_CTRL,
            IrqCtrl::ACK_OFFSET,
            ctrl.raw(),
        )
    }

    /// Sets `SMMU_GBPA.ABORT` through the update protocol: wait for
    /// `Update` to be clear, write the new value with `Update` set, wait
    /// for `Update` to clear again. Other fields are kept.
    pub fn set_gbpa_abort(&self, abort: bool) -> Result<(), SmmuError> {
        let mut last = 0;
        let wait_idle = |last: &mut u32| {
            poll(&self.delay, self.cfg.timeouts.ack_us, || {
                *last = self.io.read32_relaxed(offsets::GBPA)?;
                Ok((!Gbpa::from_raw(*last).update()).then_some(()))
            })
        };
        let timeout = |wanted, got| SmmuError::AckTimeout {
            reg: AckReg::Gbpa,
            wanted,
            got,
        };
        let cur = Gbpa::from_raw(
            wait_idle(&mut last)?
                .map(|()| last)
                .ok_or_else(|| timeout(last, last))?,
        );
        if cur.abort() == abort {
            return Ok(());
        }
        let new = cur.with_abort(abort).with_update(true);
        self.io.write32(offsets::GBPA, new.raw())?;
        wait_idle(&mut last)?.ok_or_else(|| timeout(new.raw(), last))
    }

    /// Disables translation and every queue (`SMMU_CR0 = 0`, acknowledged).
    /// Traffic is then handled as `SMMU_GBPA` says.
    pub fn disable(&self) -> Result<(), SmmuError> {
        self.write_cr0(Cr0::default())
    }

    /// `SMMU_CR1` for this SMMU: write-back cacheable, inner-shareable
    /// table and queue accesses when it is coherent (`IDR0.COHACC`),
    /// non-cacheable (outer-shareable, as the architecture treats
    /// non-cacheable memory) otherwise.
    pub fn cr1(&self) -> Cr1 {
        if self.features.cohacc {
            Cr1::coherent_wb()
        } else {
            let nc = Cr1Cache::NonCacheable as u32;
            let osh = Shareability::OuterShareable as u32;
            Cr1::from_raw((osh << 10) | (nc << 8) | (nc << 6) | (osh << 4) | (nc << 2) | nc)
        }
    }

    /// `SMMU_CR2` for this SMMU and configuration.
    pub fn cr2(&self) -> Cr2 {
        let ptm = !(self.cfg.broadcast_tlb && self.features.btm);
        Cr2::default()
            .with_recinvsid(true)
            .with_ptm(ptm)
            .with_e2h(self.e2h())
    }

    /// The `SMMU_IRQ_CTRL` enables the driver wants.
    pub fn irq_enables(&self) -> IrqCtrl {
        if !self.cfg.wired_irqs {
            return IrqCtrl::default();
        }
        IrqCtrl::default()
            .with_gerror_irqen(true)
            .with_eventq_irqen(true)
            .with_priq_irqen(self.features.pri)
    }

    /// Resets the SMMU and enables it with the given queues and stream
    /// table (see the module documentation for the sequence). Returns the
    /// final `SMMU_CR0`.
    ///
    /// `priq` is required when the SMMU implements PRI and ignored
    /// otherwise. The queues' indexes are reset to 0.
    pub fn reset<B1, B2, B3, B4, S>(
        &self,
        cmdq: &mut CmdQueue<B1>,
        evtq: &mut EventQueue<B2>,
        priq: Option<&mut PriQueue<B3>>,
        strtab: &StreamTable<B4, S>,
    ) -> Result<Cr0, SmmuError>
    where
        B1: CoherentBuf,
        B2: CoherentBuf,
        B3: CoherentBuf,
        B4: CoherentBuf,
        S: L2Slots<B4>,
    {
        let io = &self.io;
        let pri = match (self.features.pri, priq) {
            (true, Some(q)) => Some(q),
            (true, None) => return Err(SmmuError::NoPriQueue),
            (false, _) => None,
        };

        // 1-2: quiesce, traffic handled per GBPA meanwhile.
        self.set_gbpa_abort(self.cfg.gbpa_abort)?;
        self.disable()?;
        self.write_irq_ctrl(IrqCtrl::default())?;

        // 3: attributes.
        io.write32_relaxed(offsets::CR1, self.cr1().raw())?;
        io.write32_relaxed(offsets::CR2, self.cr2().raw())?;

        // 4: stream table and command queue.
        io.write64_relaxed(offsets::STRTAB_BASE, strtab.base_reg()?.raw())?;
        io.write32_relaxed(offsets::STRTAB_BASE_CFG, strtab.base_cfg().raw())?;
        cmdq.reset_indexes();
        io.write64_relaxed(offsets::CMDQ_BASE, cmdq.base_reg()?.raw())?;
        io.write32_relaxed(offsets::CMDQ_PROD, 0)?;
        io.write32_relaxed(offsets::CMDQ_CONS, 0)?;
        let mut cr0 = Cr0::default().with_cmdqen(true);
        self.write_cr0(cr0)?;

        let mut batch = cmdq.batch(self);
        batch.add(&Command::CfgiAll)?;
        if self.features.hyp {
            batch.add(&Command::TlbiEl2All)?;
        }
        batch.add(&Command::TlbiNsnhAll)?;
        batch.sync()?;

        // 5: event and PRI queues, ATS checks.
        evtq.reset_indexes();
        io.write64_relaxed(offsets::EVENTQ_BASE, evtq.base_reg()?.raw())?;
        io.write32_relaxed(self.page1(offsets::EVENTQ_PROD), 0)?;
        io.write32_relaxed(self.page1(offsets::EVENTQ_CONS), 0)?;
        cr0 = cr0.with_eventqen(true);
        self.write_cr0(cr0)?;

        if let Some(priq) = pri {
            priq.reset_indexes();
            io.write64_relaxed(offsets::PRIQ_BASE, priq.base_reg()?.raw())?;
            io.write32_relaxed(self.page1(offsets::PRIQ_PROD), 0)?;
            io.write32_relaxed(self.page1(offsets::PRIQ_CONS), 0)?;
            cr0 = cr0.with_priqen(true);
            self.write_cr0(cr0)?;
        }

        if self.features.ats {
            cr0 = cr0.with_atschk(true);
            self.write_cr0(cr0)?;
        }

        // 6: interrupts.
        if self.features.msi {
            for regs in [MsiRegs::GERROR, MsiRegs::EVENTQ, MsiRegs::PRIQ] {
                io.write64_relaxed(regs.cfg0, 0)?;
            }
        }
        self.write_irq_ctrl(self.irq_enables())?;

        // 7: translation.
        cr0 = cr0.with_smmuen(true);
        self.write_cr0(cr0)?;
        Ok(cr0)
    }

    /// Handles the global error interrupt: decodes the active errors,
    /// disables the SMMU on service failure, recovers the command queue on
    /// `CMDQ_ERR`, and acknowledges everything through `SMMU_GERRORN`.
    ///
    /// Takes the command queue because command error recovery rewrites a
    /// queue entry and because every `SMMU_GERRORN` write must be
    /// serialised with the queue's own recovery (a producer waiting for a
    /// `CMD_SYNC` recovers errors itself): the kernel calls this with the
    /// command queue lock held.
    pub fn handle_gerror<B: CoherentBuf>(
        &self,
        cmdq: &mut CmdQueue<B>,
    ) -> Result<GerrorReport, SmmuError> {
        let gerror = Gerror::from_raw(self.io.read32_relaxed(offsets::GERROR)?);
        let gerrorn = Gerror::from_raw(self.io.read32_relaxed(Gerror::N_OFFSET)?);
        let active = gerror.active(gerrorn);
        let mut report = GerrorReport {
            active,
            cmdq: None,
            service_failure: active.sfm_err(),
            disable: None,
        };
        if report.is_spurious() {
            return Ok(report);
        }
        if active.sfm_err() {
            report.disable = Some(self.disable());
        }
        if active.cmdq_err() {
            // Acknowledges CMDQ_ERR itself, after repairing the queue.
            report.cmdq = cmdq.recover(self)?;
        }
        let others = active.with_cmdq_err(false);
        if others.raw() != 0 {
            let gerrorn = Gerror::from_raw(self.io.read32_relaxed(Gerror::N_OFFSET)?);
            self.io
                .write32(Gerror::N_OFFSET, gerrorn.acknowledge(others).raw())?;
        }
        Ok(report)
    }
}

/// A whole SMMU in one value: the device, its queues and its stream table.
///
/// Convenient when one lock (or none) protects everything, as in tests;
/// the kernel keeps the parts apart so that the event thread, the command
/// queue and STE updates do not contend.
pub struct Smmu<R, D, B, S> {
    /// The device.
    pub dev: Device<R, D>,
    /// The command queue.
    pub cmdq: CmdQueue<B>,
    /// The event queue.
    pub evtq: EventQueue<B>,
    /// The PRI queue, when the SMMU implements PRI.
    pub priq: Option<PriQueue<B>>,
    /// The stream table.
    pub strtab: StreamTable<B, S>,
}

impl<R, D, B, S> Smmu<R, D, B, S>
where
    R: RegisterIo,
    D: Delay,
    B: CoherentBuf,
    S: L2Slots<B>,
{
    /// Allocates the queues and stream table of a probed SMMU. `l2` must
    /// have a slot per level-1 descriptor of
    /// [`Device::strtab_geometry`] (none for a linear table). The SMMU is
    /// not touched: call [`Smmu::reset`] next.
    pub fn new<A: DmaAlloc<Buf = B>>(
        alloc: &A,
        dev: Device<R, D>,
        l2: S,
    ) -> Result<Self, SmmuError> {
        let cmdq = CmdQueue::new(alloc, dev.cmdq_log2(), dev.msi_poll())?;
        let evtq = EventQueue::new(alloc, dev.evtq_log2())?;
        let priq = if dev.features().pri {
            Some(PriQueue::new(alloc, dev.priq_log2())?)
        } else {
            None
        };
        let strtab = StreamTable::new(alloc, dev.strtab_geometry()?, dev.default_ste(), l2)?;
        Ok(Self {
            dev,
            cmdq,
            evtq,
            priq,
            strtab,
        })
    }

    /// [`Device::reset`] with this SMMU's queues and table.
    pub fn reset(&mut self) -> Result<Cr0, SmmuError> {
        self.dev.reset(
            &mut self.cmdq,
            &mut self.evtq,
            self.priq.as_mut(),
            &self.strtab,
        )
    }

    /// [`StreamTable::install_ste`] with this SMMU's command queue.
    pub fn install_ste<A: DmaAlloc<Buf = B>>(
        &mut self,
        alloc: &A,
        sid: u32,
        ste: &Ste,
    ) -> Result<WriteReport, SmmuError> {
        self.strtab
            .install_ste(alloc, &self.dev, &mut self.cmdq, sid, ste)
    }

    /// [`Device::handle_gerror`] with this SMMU's command queue.
    pub fn handle_gerror(&mut self) -> Result<GerrorReport, SmmuError> {
        self.dev.handle_gerror(&mut self.cmdq)
    }
}
