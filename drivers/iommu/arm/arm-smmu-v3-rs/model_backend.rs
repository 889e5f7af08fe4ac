// SPDX-License-Identifier: GPL-2.0

//! The software SMMUv3 model as an SMMU of the running kernel.
//!
//! A device-tree node `compatible = "iommu-sva-rs,smmu-v3-model"` makes the
//! driver probe an SMMU whose registers are [`crate::model::Smmu`] instead
//! of MMIO: the very same driver code programs it (stream table, PASID
//! tables, queues), and test devices behind it ([`crate::sva_test`]) issue
//! DMA that the model translates through those tables and the CPU page
//! tables, raising events, stalls and page requests exactly like hardware.
//!
//! # Memory
//!
//! The model reads and writes memory by physical address through the
//! kernel's linear map ([`LinearMem`]), limited to mapped RAM.
//!
//! # Interrupts
//!
//! The model counts its interrupts. After every operation the backend
//! compares the counts with what it has seen and, when the event queue,
//! PRI queue or global error line fired, queues the driver's interrupt work
//! (what an IRQ thread would do for a real SMMU).
//!
//! # Broadcast TLB maintenance
//!
//! An SMMU with BTM snoops the TLBIs CPUs broadcast. A model configured
//! with BTM gets them from [`DvmSnoop`]: an mmu_notifier on each address
//! space a test device is bound to, which replays every invalidation the
//! kernel reports for it as the operations a CPU broadcasts
//! ([`model::CpuTlbis`]), tagged with the mm's current CPU ASID (and, with
//! KPTI, the user ASID next to it, as arm64 invalidates both). arm64
//! reports a range once its TLBIs are issued, before the `DSB` that waits
//! for them (which the driver's notifier issues again): applying them then
//! is one of the timings hardware may show. The snoop stands for the
//! interconnect, not for the driver: the driver under test sends no TLBI
//! for a shared ASID and must rely on these.
//!
//! # Why translations cannot outlive their invalidation
//!
//! Every model operation runs under one spinlock ([`ModelSmmu::inner`],
//! always taken with interrupts off):
//! register writes, which execute commands synchronously (a `CMD_SYNC`
//! completes within the `SMMU_CMDQ_PROD` write), and each DMA step, which
//! translates and then copies. So once a TLB invalidation's `CMD_SYNC` has
//! completed, no DMA step that used the old translation is still running,
//! and the memory it pointed to can be freed. The lock also keeps
//! preemption off during walks, which is an RCU read-side critical section
//! for the CPU page tables the walker reads.

use crate::{
    hw::{
        mem::{ExternalAbort, PhysMem},
        regs::{Httu, Oas, StallModel},
    },
    model::{self, IrqCounters, ModelConfig},
    smmu::{RegFault, RegisterIo},
};
use kernel::{
    bindings, irq, new_condvar, new_mutex, new_spinlock,
    prelude::*,
    sync::{Arc, CondVar, Mutex, SpinLock},
    workqueue::{self, impl_has_work, new_work, Work, WorkItem},
};

/// The model instance the kernel uses: caches of modest capacity.
pub(crate) type KModel = model::Smmu<32, 32, 16, 16, 16>;

/// The SMMU the model implements: 20-bit SubstreamIDs with 2-level CD
/// tables, PRI, ATS, stall (at most 8 outstanding), RIL and HTTU, and
/// broadcast TLB maintenance with `btm` (the CPUs' invalidations reach it
/// through [`DvmSnoop`]); no MSIs (interrupts are delivered by
/// [`ModelSmmu`] itself).
pub(crate) fn kernel_model_config(btm: bool) -> ModelConfig {
    ModelConfig {
        sidsize: 8,
        btm,
        msi: false,
        hyp: false,
        httu: Httu::AccessDirty,
        stall_model: StallModel::StallAndTerminate,
        stall_max: 8,
        oas: Oas::Bits48,
        ..ModelConfig::full()
    }
}

/// Physical memory through the kernel's linear map.
pub(crate) struct LinearMem;

/// The linear-map address of `len` bytes at `pa` (mapped RAM, one page).
fn lm_ptr(pa: u64, len: usize) -> Result<*mut u8, ExternalAbort> {
    // SAFETY: a pure address computation and lookup, valid for any input.
    let p = unsafe { bindings::sva_rs_model_phys_ptr(pa, len) } as *mut u8;
    if p.is_null() {
        Err(ExternalAbort { pa })
    } else {
        Ok(p)
    }
}

/// Bytes from `pa` to the end of its page.
fn page_left(pa: u64) -> usize {
    let page = bindings::PAGE_SIZE as u64;
    (page - (pa & (page - 1))) as usize
}

impl PhysMem for LinearMem {
    fn read_u64(&self, pa: u64) -> Result<u64, ExternalAbort> {
        if pa % 8 != 0 {
            return Err(ExternalAbort { pa });
        }
        let p = lm_ptr(pa, 8)? as *const u64;
        // SAFETY: `p` is an aligned linear-map address of RAM; memory shared with the CPU is read once.
        Ok(u64::from_le(unsafe { core::ptr::read_volatile(p) }))
    }

    fn write_u64(&self, pa: u64, value: u64) -> Result<(), ExternalAbort> {
        if pa % 8 != 0 {
            return Err(ExternalAbort { pa });
        }
        let p = lm_ptr(pa, 8)? as *mut u64;
        // SAFETY: as for `read_u64`; the model writes only where a translation or a queue points.
        unsafe { core::ptr::write_volatile(p, value.to_le()) };
        Ok(())
    }

    fn compare_exchange_u64(&self, pa: u64, old: u64, new: u64) -> Result<u64, ExternalAbort> {
        if pa % 8 != 0 {
            return Err(ExternalAbort { pa });
        }
        let p = lm_ptr(pa, 8)? as *mut u64;
        // SAFETY: `p` is an aligned linear-map address of RAM; `cmpxchg64` is atomic against the CPU.
        let found = unsafe { bindings::sva_rs_model_cmpxchg64(p, old.to_le(), new.to_le()) };
        Ok(u64::from_le(found))
    }

    fn read_bytes(&self, pa: u64, buf: &mut [u8]) -> Result<(), ExternalAbort> {
        let mut done = 0usize;
        while done < buf.len() {
            let at = pa.wrapping_add(done as u64);
            let n = page_left(at).min(buf.len() - done);
            let p = lm_ptr(at, n)?;
            // SAFETY: `p` covers `n` bytes of mapped RAM; `buf[done..done + n]` is ours.
            unsafe { core::ptr::copy_nonoverlapping(p, buf.as_mut_ptr().add(done), n) };
            done += n;
        }
        Ok(())
    }

    fn write_bytes(&self, pa: u64, buf: &[u8]) -> Result<(), ExternalAbort> {
        let mut done = 0usize;
        while done < buf.len() {
            let at = pa.wrapping_add(done as u64);
            let n = page_left(at).min(buf.len() - done);
            let p = lm_ptr(at, n)?;
            // SAFETY: `p` covers `n` bytes of mapped RAM a translation granted write access to.
            unsafe { core::ptr::copy_nonoverlapping(buf.as_ptr().add(done), p, n) };
            done += n;
        }
        Ok(())
    }
}

/// Something to run when the model raises an interrupt: the driver's
/// handling of its event queue, PRI queue and global errors.
pub(crate) trait ModelIrq: Send + Sync {
    /// Handles whatever the model signalled.
    fn service(&self);
}

/// The interrupt work: runs the target's handling in process context.
#[pin_data]
pub(crate) struct IrqWork {
    target: Arc<dyn ModelIrq>,
    #[pin]
    work: Work<IrqWork>,
}

impl_has_work! {
    impl HasWork<Self> for IrqWork { self.work }
}

impl WorkItem for IrqWork {
    type Pointer = Arc<IrqWork>;

    fn run(this: Arc<IrqWork>) {
        this.target.service();
    }
}

/// Model state behind the lock.
pub(crate) struct ModelInner {
    pub(crate) smmu: KBox<KModel>,
    /// Interrupt counts already acted upon.
    seen: IrqCounters,
    /// Commands counted when waiters were last woken.
    commands_seen: u64,
}

/// What a model operation calls for once the lock is dropped.
#[derive(Default)]
struct After {
    irq: bool,
    progress: bool,
}

impl ModelInner {
    fn after(&mut self) -> After {
        let now = self.smmu.irqs();
        let irq = now.eventq != self.seen.eventq
            || now.priq != self.seen.priq
            || now.gerror != self.seen.gerror;
        self.seen = now;
        let commands = self.smmu.stats().commands;
        let progress = commands != self.commands_seen;
        self.commands_seen = commands;
        After { irq, progress }
    }
}

/// A model SMMU shared by the driver instance (as its registers) and the
/// test devices behind it (as the target of their DMA).
#[pin_data]
pub(crate) struct ModelSmmu {
    #[pin]
    pub(crate) inner: SpinLock<ModelInner>,
    /// The driver's interrupt work, set once the instance is up.
    #[pin]
    irq: SpinLock<Option<Arc<IrqWork>>>,
    /// Woken whenever the model has executed commands (a page response or
    /// `CMD_RESUME` a device may be waiting for).
    #[pin]
    progress: CondVar,
    #[pin]
    wait_lock: Mutex<()>,
    /// Configured with broadcast TLB maintenance.
    btm: bool,
}

impl ModelSmmu {
    /// A model in its reset state.
    pub(crate) fn new(cfg: ModelConfig) -> Result<Arc<Self>> {
        let btm = cfg.btm;
        let mut slot = KBox::<KModel>::new_uninit(GFP_KERNEL)?;
        KModel::new_in(&mut slot, cfg);
        // SAFETY: `new_in` initialised the model.
        let smmu = unsafe { slot.assume_init() };
        let inner = ModelInner {
            smmu,
            seen: IrqCounters::default(),
            commands_seen: 0,
        };
        Arc::pin_init(
            pin_init!(Self {
                inner <- new_spinlock!(inner, "arm_smmu_v3_rs:model"),
                irq <- new_spinlock!(None, "arm_smmu_v3_rs:model_irq"),
                progress <- new_condvar!("arm_smmu_v3_rs:model_progress"),
                wait_lock <- new_mutex!((), "arm_smmu_v3_rs:model_wait"),
                btm,
            }),
            GFP_KERNEL,
        )
    }

    /// Directs the model's interrupts to `target` (`None`: nowhere).
    pub(crate) fn set_irq(&self, target: Option<Arc<dyn ModelIrq>>) -> Result {
        let work = match target {
            Some(t) => Some(Arc::pin_init(
                pin_init!(IrqWork {
                    target: t,
                    work <- new_work!("arm_smmu_v3_rs:model_irq"),
                }),
                GFP_KERNEL,
            )?),
            None => None,
        };
        *self.irq.lock() = work;
        Ok(())
    }

    /// Runs `f` on the model under its lock, then delivers what it raised.
    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut KModel) -> T) -> T {
        let (r, after) = {
            // The driver reaches the model's registers under its command
            // queue lock, which DMA unmapping takes in interrupt context:
            // the model lock is always taken with interrupts off too.
            let _irq = irq::local_irq_save();
            let mut inner = self.inner.lock();
            let r = f(&mut inner.smmu);
            (r, inner.after())
        };
        if after.irq {
            let work = self.irq.lock().clone();
            if let Some(w) = work {
                // Already queued is fine: one run drains everything.
                let _ = workqueue::system_highpri().enqueue(w);
            }
        }
        if after.progress {
            self.progress.notify_all();
        }
        r
    }

    /// Whether the model takes part in the CPUs' broadcast TLB maintenance
    /// (`IDR0.BTM`; the driver may still opt out with `CR2.PTM`).
    pub(crate) fn btm(&self) -> bool {
        self.btm
    }

    #[cfg(CONFIG_ARM_SMMU_V3_RUST_SVA_TEST)]
    /// The model's counters.
    pub(crate) fn stats(&self) -> (model::Stats, model::Occupancy) {
        let _irq = irq::local_irq_save();
        let inner = self.inner.lock();
        (inner.smmu.stats(), inner.smmu.occupancy())
    }

    #[cfg(CONFIG_ARM_SMMU_V3_RUST_SVA_TEST)]
    /// One DMA step of `engine`: writes `data` at `va`, or reads into it
    /// with `read`.
    pub(crate) fn dma(
        &self,
        engine: &mut model::DmaEngine,
        va: u64,
        data: DmaData<'_>,
    ) -> model::DmaStatus {
        self.with(|m| match data {
            DmaData::Read(buf) => engine.read(m, &LinearMem, va, buf),
            DmaData::Write(buf) => engine.write(m, &LinearMem, va, buf),
        })
    }

    #[cfg(CONFIG_ARM_SMMU_V3_RUST_SVA_TEST)]
    /// Sleeps until the model executes commands, at most one jiffy (a
    /// wake-up that races with the caller's check costs at most that), or
    /// until a signal is pending: returns `true` in that case.
    pub(crate) fn wait_progress(&self) -> bool {
        let mut g = self.wait_lock.lock();
        matches!(
            self.progress.wait_interruptible_timeout(&mut g, 1),
            kernel::sync::CondVarTimeoutResult::Signal { .. }
        )
    }
}

/// The interconnect's broadcast TLB maintenance for one address space, as
/// a model with BTM snoops it (see the module documentation).
///
/// # Invariants
///
/// `mn` is registered on `mm` from [`DvmSnoop::register`] until the snoop
/// is dropped; the registration holds `mm` (`mmgrab`).
#[cfg(CONFIG_ARM_SMMU_V3_RUST_SVA_TEST)]
pub(crate) struct DvmSnoop(KBox<SnoopInner>);

#[cfg(CONFIG_ARM_SMMU_V3_RUST_SVA_TEST)]
struct SnoopInner {
    mn: kernel::types::Opaque<bindings::mmu_notifier>,
    model: Arc<ModelSmmu>,
    mm: *mut bindings::mm_struct,
}

// SAFETY: `mm` is only passed to the mmu_notifier API, which is thread-safe.
#[cfg(CONFIG_ARM_SMMU_V3_RUST_SVA_TEST)]
unsafe impl Send for DvmSnoop {}
// SAFETY: as above; `&DvmSnoop` exposes nothing.
#[cfg(CONFIG_ARM_SMMU_V3_RUST_SVA_TEST)]
unsafe impl Sync for DvmSnoop {}

#[cfg(CONFIG_ARM_SMMU_V3_RUST_SVA_TEST)]
impl DvmSnoop {
    /// Starts replaying the CPUs' TLB invalidations of `mm` to `model`.
    ///
    /// Register it *after* the driver's notifier for `mm` (an SVA bind):
    /// the notifier core calls the newest first, so the model's TLB is
    /// invalidated before the driver invalidates ATCs, as on hardware,
    /// where the TLBIs are broadcast before the kernel tells the driver
    /// (whose `DSB` then waits for them).
    ///
    /// Takes the mm's `mmap_lock`: not for callers holding it, nor for
    /// notifier callbacks (nor is dropping the snoop).
    pub(crate) fn register(model: Arc<ModelSmmu>, mm: &kernel::iommu::sva::Mm) -> Result<Self> {
        let inner = KBox::new(
            SnoopInner {
                // SAFETY: all zeroes is a valid `mmu_notifier` (no ops, not on any list); `ops` is set below.
                mn: kernel::types::Opaque::new(unsafe { core::mem::zeroed() }),
                model,
                mm: mm.as_raw(),
            },
            GFP_KERNEL,
        )?;
        // SAFETY: not registered yet; nothing else accesses it.
        unsafe { (*inner.mn.get()).ops = &SNOOP_OPS };
        // SAFETY: `mn` lives in the box until `drop` unregisters it; `mm` has a user reference.
        let r = unsafe { bindings::mmu_notifier_register(inner.mn.get(), inner.mm) };
        if r != 0 {
            return Err(Error::from_errno(r));
        }
        Ok(Self(inner))
    }
}

#[cfg(CONFIG_ARM_SMMU_V3_RUST_SVA_TEST)]
impl Drop for DvmSnoop {
    fn drop(&mut self) {
        // SAFETY: registered on `mm` (type invariant); waits for running callbacks and drops the mm.
        unsafe { bindings::mmu_notifier_unregister(self.0.mn.get(), self.0.mm) };
    }
}

/// Replays a CPU TLB invalidation of the mm as broadcast TLBIs.
///
/// # Safety
///
/// Called by the mmu_notifier core for a registered [`DvmSnoop`].
#[cfg(CONFIG_ARM_SMMU_V3_RUST_SVA_TEST)]
unsafe extern "C" fn snoop_invalidate(
    mn: *mut bindings::mmu_notifier,
    mm: *mut bindings::mm_struct,
    start: kernel::ffi::c_ulong,
    end: kernel::ffi::c_ulong,
) {
    // Only `DvmSnoop` registers `SNOOP_OPS`, with the `mn` of a
    // `SnoopInner`, which outlives the callbacks: dropping the snoop
    // unregisters it, which waits for running ones (SRCU).
    // SAFETY: `mn` is embedded in a live `SnoopInner` (see above).
    let inner = unsafe { &*kernel::container_of!(mn, SnoopInner, mn) };
    // SAFETY: the notifier core passes the live mm being invalidated.
    let asid = unsafe { bindings::sva_rs_mm_asid(mm) };
    // SAFETY: reads the CPU configuration, no preconditions.
    let (kpti, el2) = unsafe { (bindings::sva_rs_kpti(), bindings::sva_rs_cpu_vhe()) };
    let page = bindings::PAGE_SIZE as u64;
    // arm64's MAX_DVM_OPS (PTRS_PER_PTE, a table's worth of pages): from
    // there on the CPU invalidates the whole ASID.
    let max_ops = page / 8;
    let (start, end) = (start as u64, end as u64);
    inner.model.with(|m| {
        // With KPTI, user space runs with ASID | 1: arm64 invalidates both.
        for asid in [asid, asid | 1].into_iter().take(if kpti { 2 } else { 1 }) {
            for op in model::CpuTlbis::new(asid, start, end, page, max_ops, el2) {
                m.broadcast_tlbi(op);
            }
        }
    });
}

#[cfg(CONFIG_ARM_SMMU_V3_RUST_SVA_TEST)]
static SNOOP_OPS: bindings::mmu_notifier_ops = {
    // SAFETY: all-zero is "no callback" for every field.
    let mut ops: bindings::mmu_notifier_ops = unsafe { core::mem::zeroed() };
    ops.arch_invalidate_secondary_tlbs = Some(snoop_invalidate);
    ops
};

#[cfg(CONFIG_ARM_SMMU_V3_RUST_SVA_TEST)]
/// The data side of a [`ModelSmmu::dma`] step.
pub(crate) enum DmaData<'a> {
    /// Device reads memory into the buffer.
    Read(&'a mut [u8]),
    /// Device writes the buffer to memory.
    Write(&'a [u8]),
}

/// The model's register file as the driver's [`RegisterIo`].
pub(crate) struct ModelRegs(pub(crate) Arc<ModelSmmu>);

impl RegisterIo for ModelRegs {
    fn read32(&self, offset: usize) -> Result<u32, RegFault> {
        Ok(self.0.with(|m| m.read32(offset)))
    }

    fn write32(&self, offset: usize, value: u32) -> Result<(), RegFault> {
        self.0.with(|m| m.write32(&LinearMem, offset, value));
        Ok(())
    }

    fn read64(&self, offset: usize) -> Result<u64, RegFault> {
        Ok(self.0.with(|m| m.read64(offset)))
    }

    fn write64(&self, offset: usize, value: u64) -> Result<(), RegFault> {
        self.0.with(|m| m.write64(&LinearMem, offset, value));
        Ok(())
    }
}
