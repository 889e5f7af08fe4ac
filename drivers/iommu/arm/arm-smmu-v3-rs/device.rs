// SPDX-License-Identifier: GPL-2.0

//! One SMMUv3 instance: probe, reset, the command/event queues under their
//! locks, interrupt threads, registration with the IOMMU core, debugfs.
//!
//! The hardware-facing logic lives in [`crate::smmu`], generic over its
//! backends; this file instantiates it with the kernel backends of
//! [`crate::backend`] and wires it to the kernel.

use crate::{
    backend::{DmaBuf, KernelDelay, KernelDma, KernelRegs, MmioRegs},
    domain,
    hw::{
        bits::FieldDump,
        cd::Cd,
        cmd::{Command, PriResp, ResumeAction},
        event::Event,
        pri::PriRequest,
        regs::Features,
        ste::Ste,
    },
    smmu::{self, CmdQueue, EventQueue, PriQueue, SmmuError, StreamTable},
    sva,
};
use core::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, Ordering};
use kernel::{
    bindings, c_str, debugfs, dev_err, dev_info, dev_warn,
    device::Device,
    iommu::IommuDevice,
    irq::{self, IrqReturn, ThreadedHandler, ThreadedRegistration},
    new_mutex, new_spinlock, platform,
    prelude::*,
    str::CString,
    sync::{Arc, ArcBorrow, Mutex, SpinLock},
    types::ARef,
};

/// Size of the register file the driver needs: pages 0 and 1.
const SMMU_REG_SIZE: usize = 0x20000;

/// Records drained per event-thread pass before yielding.
const EVTQ_BUDGET: u32 = 256;

/// Event and page-request messages allowed per [`LOG_INTERVAL_NS`]; the rest
/// are counted and summarised (a fault storm must not flood the log).
const LOG_BURST: u32 = 10;
const LOG_INTERVAL_NS: u64 = 5_000_000_000;

/// A time-based message rate limit, like the C `DEFINE_RATELIMIT_STATE`.
struct RateLimit {
    window_start_ns: AtomicU64,
    printed: AtomicU32,
    suppressed: AtomicU32,
}

impl RateLimit {
    const fn new() -> Self {
        Self {
            window_start_ns: AtomicU64::new(0),
            printed: AtomicU32::new(0),
            suppressed: AtomicU32::new(0),
        }
    }

    /// Whether a message may be printed now; when a new window starts,
    /// reports how many the previous one suppressed.
    fn allow(&self, dev: &Device) -> bool {
        // SAFETY: reads the monotonic clock; no preconditions.
        let now = unsafe { bindings::ktime_get() } as u64;
        let start = self.window_start_ns.load(Ordering::Relaxed);
        if now.wrapping_sub(start) >= LOG_INTERVAL_NS
            && self
                .window_start_ns
                .compare_exchange(start, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.printed.store(0, Ordering::Relaxed);
            let n = self.suppressed.swap(0, Ordering::Relaxed);
            if n > 0 {
                dev_warn!(dev, "{n} event or page-request messages suppressed\n");
            }
        }
        if self.printed.fetch_add(1, Ordering::Relaxed) < LOG_BURST {
            true
        } else {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
            false
        }
    }
}

/// Stalled faults answered per event-thread pass after the drain (more are
/// answered from inside it).
const STALL_BATCH: usize = 32;

/// SMMU instances a system may have (for the lookup by firmware node).
const MAX_SMMUS: usize = 16;

/// The driver-core types instantiated for the kernel.
pub(crate) type HwDevice = smmu::Device<KernelRegs, KernelDelay>;

pub(crate) type Strtab = StreamTable<DmaBuf, KVec<Option<DmaBuf>>>;

/// What a matched firmware node describes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum SmmuKind {
    /// An SMMUv3 with MMIO registers.
    Hardware,
    /// The software model ([`crate::model_backend`]).
    #[cfg(CONFIG_ARM_SMMU_V3_RUST_MODEL)]
    Model,
}

#[cfg(not(CONFIG_ARM_SMMU_V3_RUST_MODEL))]
kernel::of_id_table!(
    SMMU_OF_TABLE,
    SmmuKind,
    [(c_str!("arm,smmu-v3"), SmmuKind::Hardware)]
);

#[cfg(CONFIG_ARM_SMMU_V3_RUST_MODEL)]
kernel::of_id_table!(
    SMMU_OF_TABLE,
    SmmuKind,
    [
        (c_str!("arm,smmu-v3"), SmmuKind::Hardware),
        (c_str!("iommu-sva-rs,smmu-v3-model"), SmmuKind::Model)
    ]
);

/// An SMMU instance, shared by the devices behind it and their domains.
///
/// Lock order: `strtab` before `cmdq`; `cmdq` is always taken with local
/// interrupts disabled ([`Smmu::with_cmdq`]) because invalidation can be
/// reached from hard-IRQ context (DMA unmap in an interrupt handler).
///
/// Dropping it disables the SMMU before the stream table and queues it
/// walks are freed (which matters when `probe` fails after the reset).
#[pin_data(PinnedDrop)]
pub(crate) struct Smmu {
    pub(crate) dev: ARef<Device>,
    pub(crate) hw: HwDevice,
    pub(crate) alloc: KernelDma,
    pub(crate) features: Features,
    /// The SMMU's firmware node, compared with the `iommu-map` of devices.
    fwnode: usize,
    #[pin]
    cmdq: SpinLock<CmdQueue<DmaBuf>>,
    #[pin]
    pub(crate) strtab: Mutex<Strtab>,
    #[pin]
    evtq: Mutex<EventQueue<DmaBuf>>,
    /// The PRI queue, when the SMMU implements PRI.
    #[pin]
    priq: Mutex<Option<PriQueue<DmaBuf>>>,
    #[pin]
    pub(crate) asids: SpinLock<domain::AsidMap>,
    /// StreamID → device, to name the master in event reports; released
    /// devices leave a `None` slot that the next probe reuses.
    #[pin]
    pub(crate) streams: SpinLock<KVec<(u32, Option<Arc<domain::Master>>)>>,
    /// This instance as the IOMMU core knows it.
    pub(crate) iommu: IommuDevice,
    /// Limits event and page-request messages.
    log_limit: RateLimit,
    /// Held while a fault is reported to the IOMMU core, and while a
    /// released device's StreamIDs are dropped: no report outlives the
    /// device it names.
    #[pin]
    pub(crate) report_lock: Mutex<()>,
    /// The I/O page fault queue (`struct iopf_queue *`) of the masters
    /// that fault through PRI or stalls; 0 without PRI and stall.
    iopf_queue: usize,
}

#[pinned_drop]
impl PinnedDrop for Smmu {
    fn drop(self: Pin<&mut Self>) {
        // Usually already done by `SmmuV3::drop`; repeating it is harmless.
        if let Err(e) = self.hw.disable() {
            dev_err!(&self.dev, "cannot disable the SMMU: {e}\n");
        }
    }
}

/// Whether SVA domains may share CPU ASIDs: the SMMU takes part in the
/// CPUs' broadcast TLB maintenance (`IDR0.BTM`, `CR2.PTM == 0`) and sees
/// the TLBIs of user address spaces.
///
/// Not with a kernel at EL2 (VHE): user TLBIs then target the EL2&0
/// regime, which the driver's NS-EL1 streams do not match. Not on Arm
/// MMU-700 either (erratum 2812531: BTM unreliable, as the C driver).
fn shares_cpu_asids(hw: &HwDevice) -> bool {
    const IMPLEMENTER_ARM: u32 = 0x43b;
    const PRODUCT_MMU_700: u32 = 0x487;
    let iidr = hw.id_regs().iidr;
    let mmu700 = iidr.implementer() == IMPLEMENTER_ARM && iidr.product_id() == PRODUCT_MMU_700;
    // SAFETY: reads the CPU's configuration, no preconditions.
    let vhe = unsafe { bindings::sva_rs_cpu_vhe() };
    hw.config().broadcast_tlb && hw.features().btm && !vhe && !mmu700
}

impl Smmu {
    /// Runs `f` with the command queue, local interrupts disabled.
    pub(crate) fn with_cmdq<T>(&self, f: impl FnOnce(&HwDevice, &mut CmdQueue<DmaBuf>) -> T) -> T {
        let _irq = irq::local_irq_save();
        let mut q = self.cmdq.lock();
        f(&self.hw, &mut q)
    }

    /// The `struct iommu_device` of this instance.
    pub(crate) fn iommu_device(&self) -> *mut bindings::iommu_device {
        self.iommu.as_raw()
    }

    /// Whether SVA domains may share CPU ASIDs ([`shares_cpu_asids`]).
    pub(crate) fn btm(&self) -> bool {
        shares_cpu_asids(&self.hw)
    }

    /// Whether a rate-limited message (fault, ATC error) may be printed.
    pub(crate) fn log_allowed(&self) -> bool {
        self.log_limit.allow(&self.dev)
    }

    /// The I/O page fault queue, or null.
    pub(crate) fn iopf_queue(&self) -> *mut bindings::iopf_queue {
        self.iopf_queue as *mut bindings::iopf_queue
    }

    /// The master behind `sid`, if one was probed.
    pub(crate) fn master_arc(&self, sid: u32) -> Option<Arc<domain::Master>> {
        self.streams
            .lock()
            .iter()
            .find(|(s, m)| *s == sid && m.is_some())
            .and_then(|(_, m)| m.clone())
    }

    /// The device behind `sid`, if one was probed.
    fn master_of(&self, sid: u32) -> Option<ARef<Device>> {
        self.streams
            .lock()
            .iter()
            .find(|(s, m)| *s == sid && m.is_some())
            .and_then(|(_, m)| m.as_ref().map(|m| m.dev.clone()))
    }

    /// Drains one budget of events; returns whether records are left.
    fn drain_events(&self) -> bool {
        // Stalled transactions seen in this pass, answered after the drain.
        let mut stalls = [(0u32, 0u16); STALL_BATCH];
        let mut nstalls = 0usize;
        let mut q = self.evtq.lock();
        let report = q.drain(&self.hw, EVTQ_BUDGET, |ev: &Event, _raw| {
            if let Some(t) = ev.translation_fault().filter(|t| t.stall_tag.is_some()) {
                // A stall of a master with I/O page faults enabled is the
                // core's to resolve and answer.
                if sva::report_stall(self, t) {
                    return;
                }
            }
            if let Some(stag) = ev.translation_fault().and_then(|t| t.stall_tag) {
                if let Some(slot) = stalls.get_mut(nstalls) {
                    *slot = (ev.sid(), stag);
                    nstalls += 1;
                } else {
                    // Never leave a transaction stalled: answer it now.
                    self.resume_abort(ev.sid(), stag);
                }
            }
            if !self.log_limit.allow(&self.dev) {
                return;
            }
            match self.master_of(ev.sid()) {
                Some(master) => dev_err!(&master, "{ev}\n"),
                None => dev_err!(&self.dev, "{ev}\n"),
            }
        });
        let more = match report {
            Ok(r) => {
                if r.overflows > 0 {
                    dev_err!(&self.dev, "event queue overflowed: events were lost\n");
                }
                r.more
            }
            Err(e) => {
                dev_err!(&self.dev, "event queue: {e}\n");
                false
            }
        };
        drop(q);
        for &(sid, stag) in &stalls[..nstalls] {
            self.resume_abort(sid, stag);
        }
        more
    }

    /// Hands page requests to the I/O page fault core; requests for
    /// unknown streams or masters without I/O page faults are denied.
    ///
    /// Drains one budget of requests; returns whether records are left.
    fn drain_page_requests(&self) -> bool {
        let mut q = self.priq.lock();
        let Some(q) = q.as_mut() else {
            return false;
        };
        let report = q.drain(&self.hw, EVTQ_BUDGET, |req: &PriRequest, _raw| {
            sva::report_page_request(self, req);
        });
        match report {
            Ok(r) => {
                if r.overflows > 0 {
                    dev_err!(&self.dev, "PRI queue overflowed: page requests were lost\n");
                    // Groups whose last request was lost will never
                    // complete: drop their partial requests.
                    let iopfq = self.iopf_queue();
                    if !iopfq.is_null() {
                        // SAFETY: the queue lives as long as the SMMU.
                        unsafe { bindings::iopf_queue_discard_partial(iopfq) };
                    }
                }
                r.more
            }
            Err(e) => {
                dev_err!(&self.dev, "PRI queue: {e}\n");
                false
            }
        }
    }

    /// Sends `CMD_PRI_RESP` for page request group `prgi` of `sid`.
    pub(crate) fn pri_respond(&self, sid: u32, ssid: Option<u32>, prgi: u16, resp: PriResp) {
        let cmd = Command::PriResp {
            sid,
            ssid,
            prgi,
            resp,
        };
        if let Err(e) = self.with_cmdq(|hw, cq| cq.issue(hw, &[cmd], true)) {
            dev_err!(&self.dev, "CMD_PRI_RESP: {e}\n");
        }
    }

    /// Answers a stalled transaction (`CMD_RESUME`).
    pub(crate) fn resume(&self, sid: u32, stag: u16, action: ResumeAction) {
        let cmd = Command::Resume { sid, stag, action };
        if let Err(e) = self.with_cmdq(|hw, q| q.issue(hw, &[cmd], true)) {
            dev_err!(
                &self.dev,
                "CMD_RESUME for StreamID {sid:#x} tag {stag}: {e}\n"
            );
        }
    }

    /// Terminates a stalled transaction nobody handles: a stall must
    /// always be answered exactly once.
    fn resume_abort(&self, sid: u32, stag: u16) {
        self.resume(sid, stag, ResumeAction::Abort);
    }

    fn handle_gerror(&self) {
        match self.with_cmdq(|hw, q| hw.handle_gerror(q)) {
            Ok(report) => {
                if report.active.raw() != 0 {
                    dev_err!(&self.dev, "global error: {}\n", report.active);
                }
            }
            Err(e) => dev_err!(&self.dev, "global error handling failed: {e}\n"),
        }
    }
}

/// The interrupt `name`, `None` if the firmware does not describe it;
/// other errors (such as `EPROBE_DEFER`) are returned.
fn optional_irq(pdev: &platform::Device, name: &CStr) -> Result<Option<u32>> {
    match pdev.irq_by_name(name) {
        Ok(n) => Ok(Some(n)),
        Err(e) if e == ENXIO => Ok(None),
        Err(e) => Err(e),
    }
}

fn errno(e: SmmuError) -> Error {
    Error::from_errno(e.errno())
}

/// Live instances, for `probe_device` to find the SMMU a device is behind.
///
/// A slot holds a borrowed `Arc<Smmu>` pointer from just before the
/// instance registers with the IOMMU core until just after it unregisters,
/// which brackets every `probe_device` call that can name it.
static INSTANCES: [AtomicPtr<Smmu>; MAX_SMMUS] =
    [const { AtomicPtr::new(core::ptr::null_mut()) }; MAX_SMMUS];

/// The instance whose firmware node is `fwnode`.
pub(crate) fn lookup(fwnode: *mut bindings::fwnode_handle) -> Option<Arc<Smmu>> {
    INSTANCES.iter().find_map(|slot| {
        let p = slot.load(Ordering::Acquire);
        if p.is_null() {
            return None;
        }
        // SAFETY: A non-null slot holds a live `Smmu` whose `Arc` outlives it.
        let borrow = unsafe { ArcBorrow::from_raw(p) };
        (borrow.fwnode == fwnode as usize).then(|| borrow.into())
    })
}

struct EventIrq(Arc<Smmu>);

/// The interrupt handling of a model SMMU, run from a work item.
#[cfg(CONFIG_ARM_SMMU_V3_RUST_MODEL)]
struct ModelIrqs(Arc<Smmu>);

#[cfg(CONFIG_ARM_SMMU_V3_RUST_MODEL)]
impl crate::model_backend::ModelIrq for ModelIrqs {
    fn service(&self) {
        self.0.handle_gerror();
        loop {
            let more = self.0.drain_events() | self.0.drain_page_requests();
            if !more {
                break;
            }
            resched();
        }
    }
}

/// Lets other tasks run between two passes over a queue (`cond_resched()`).
fn resched() {
    #[cfg(any(not(CONFIG_PREEMPTION), CONFIG_PREEMPT_DYNAMIC))]
    {
        // SAFETY: called from an IRQ thread, which may sleep.
        unsafe { bindings::__cond_resched() };
    }
}

impl ThreadedHandler for EventIrq {
    fn thread_fn(&self) -> IrqReturn {
        // Wired SMMU interrupts are edge-triggered: records left after a
        // pass raise no new interrupt, so drain until the queue is empty.
        while self.0.drain_events() {
            resched();
        }
        IrqReturn::Handled
    }
}

struct PriIrq(Arc<Smmu>);

impl ThreadedHandler for PriIrq {
    fn thread_fn(&self) -> IrqReturn {
        // As for events: a request left unanswered would hang the device.
        while self.0.drain_page_requests() {
            resched();
        }
        IrqReturn::Handled
    }
}

struct GerrorIrq(Arc<Smmu>);

impl ThreadedHandler for GerrorIrq {
    fn thread_fn(&self) -> IrqReturn {
        self.0.handle_gerror();
        IrqReturn::Handled
    }
}

/// The bound driver: an instance registered with the IOMMU core.
pub(crate) struct SmmuV3 {
    smmu: Arc<Smmu>,
    slot: usize,
    evt_irq: Option<ThreadedRegistration<EventIrq>>,
    pri_irq: Option<ThreadedRegistration<PriIrq>>,
    gerror_irq: Option<ThreadedRegistration<GerrorIrq>>,
    #[cfg(CONFIG_IOMMU_DEBUGFS)]
    _debugfs: Option<debugfs::Dir>,
}

impl platform::Driver for SmmuV3 {
    type IdInfo = SmmuKind;
    const NAME: &'static CStr = c_str!("arm-smmu-v3-rs");
    const OF_ID_TABLE: kernel::of::IdTable<SmmuKind> = SMMU_OF_TABLE;
    // Devices translate through the SMMU for as long as the system runs.
    const SUPPRESS_BIND_ATTRS: bool = true;

    fn probe(pdev: &platform::Device, info: Option<&'static SmmuKind>) -> Result<Pin<KBox<Self>>> {
        let dev: ARef<Device> = pdev.as_dev().into();
        let kind = info.copied().unwrap_or(SmmuKind::Hardware);
        let regs = match kind {
            SmmuKind::Hardware => KernelRegs::Mmio(MmioRegs(
                pdev.ioremap_resource(0, SMMU_REG_SIZE).inspect_err(|e| {
                    dev_err!(
                        &dev,
                        "cannot map {SMMU_REG_SIZE:#x} bytes of registers: {e:?}\n"
                    );
                })?,
            )),
            #[cfg(CONFIG_ARM_SMMU_V3_RUST_MODEL)]
            SmmuKind::Model => {
                use crate::domain::PropertyPresent;
                let btm = dev.property_present(c_str!("iommu-sva-rs,btm"));
                let m = crate::model_backend::ModelSmmu::new(
                    crate::model_backend::kernel_model_config(btm),
                )?;
                dev_info!(
                    &dev,
                    "software SMMUv3 model (test backend){}\n",
                    if btm {
                        ", broadcast TLB maintenance"
                    } else {
                        ""
                    }
                );
                KernelRegs::Model(crate::model_backend::ModelRegs(m))
            }
        };
        let cfg = smmu::Config {
            // Until a domain is attached, a stream is blocked, and so is
            // all traffic while the SMMU is disabled.
            gbpa_abort: true,
            bypass_unattached: false,
            wired_irqs: true,
            // An SMMU with BTM snoops the CPUs' TLB invalidations, so SVA
            // domains can share the CPU's ASIDs (a model has BTM only if
            // its node asks for it, and then gets them replayed).
            broadcast_tlb: true,
            ..smmu::Config::DEFAULT
        };
        let hw = HwDevice::probe(regs, KernelDelay, cfg).map_err(|e| {
            dev_err!(&dev, "unusable SMMU: {e}\n");
            errno(e)
        })?;
        let features = *hw.features();
        dev_info!(&dev, "{features}\n");

        let oas = features.oas_bits().unwrap_or(48);
        kernel::dma::set_mask_and_coherent(&dev, oas)?;

        let alloc = KernelDma { dev: dev.clone() };
        let geometry = hw.strtab_geometry().map_err(errno)?;
        let l1 = usize::try_from(geometry.l1_entries()).map_err(|_| EINVAL)?;
        let mut slots = KVec::with_capacity(l1, GFP_KERNEL)?;
        for _ in 0..l1 {
            slots.push(None, GFP_KERNEL)?;
        }
        let strtab = Strtab::new(&alloc, geometry, hw.default_ste(), slots).map_err(errno)?;
        let mut cmdq = CmdQueue::new(&alloc, hw.cmdq_log2(), hw.msi_poll()).map_err(errno)?;
        let mut evtq = EventQueue::new(&alloc, hw.evtq_log2()).map_err(errno)?;
        let mut priq = if features.pri {
            Some(PriQueue::new(&alloc, hw.priq_log2()).map_err(errno)?)
        } else {
            None
        };
        // Allocated before the reset: from the reset on, a failure must
        // disable the SMMU before its tables and queues are freed.
        let asids = domain::AsidMap::new(features.asid_bits(), shares_cpu_asids(&hw))?;
        let cr0 = hw
            .reset(&mut cmdq, &mut evtq, priq.as_mut(), &strtab)
            .map_err(|e| {
                dev_err!(&dev, "reset failed: {e}\n");
                let _ = hw.disable();
                errno(e)
            })?;
        dev_info!(
            &dev,
            "enabled ({cr0:?}); stream table {} entries, {}-entry command queue, {}-entry event queue\n",
            geometry.num_sids(),
            1u32 << hw.cmdq_log2(),
            1u32 << hw.evtq_log2()
        );

        // Masters that fault through PRI or stalls need a fault queue.
        let iopf_queue = if features.pri || features.stalls() {
            // SAFETY: the name is NUL-terminated and copied.
            let q = unsafe { bindings::iopf_queue_alloc(dev.name_cstr().as_char_ptr()) };
            if q.is_null() {
                dev_warn!(
                    &dev,
                    "no I/O page fault queue: page faults will not be resolved\n"
                );
            }
            q as usize
        } else {
            0
        };
        let (fwnode, smmu_dev) = (dev.fwnode() as usize, dev.clone());
        let smmu = Arc::pin_init(
            pin_init!(Smmu {
                fwnode,
                dev: smmu_dev,
                hw,
                alloc,
                features,
                cmdq <- new_spinlock!(cmdq, "arm_smmu_v3_rs:cmdq"),
                strtab <- new_mutex!(strtab, "arm_smmu_v3_rs:strtab"),
                evtq <- new_mutex!(evtq, "arm_smmu_v3_rs:evtq"),
                priq <- new_mutex!(priq, "arm_smmu_v3_rs:priq"),
                asids <- new_spinlock!(asids, "arm_smmu_v3_rs:asids"),
                streams <- new_spinlock!(KVec::new(), "arm_smmu_v3_rs:streams"),
                iommu: IommuDevice::new(),
                log_limit: RateLimit::new(),
                report_lock <- new_mutex!((), "arm_smmu_v3_rs:report"),
                iopf_queue,
            }),
            GFP_KERNEL,
        )
        .inspect_err(|_| {
            if iopf_queue != 0 {
                // SAFETY: allocated above and not used by anything yet.
                unsafe { bindings::iopf_queue_free(iopf_queue as *mut bindings::iopf_queue) };
            }
        })?;
        let evt_irq = match optional_irq(pdev, c_str!("eventq"))? {
            Some(n) => Some(ThreadedRegistration::new(
                n,
                c_str!("arm-smmu-v3-rs-evtq"),
                bindings::IRQF_ONESHOT.into(),
                Arc::new(EventIrq(smmu.clone()), GFP_KERNEL)?,
            )?),
            None => {
                dev_warn!(&dev, "no eventq interrupt: faults will not be reported\n");
                None
            }
        };
        let pri_irq = match optional_irq(pdev, c_str!("priq"))? {
            Some(n) if features.pri => Some(ThreadedRegistration::new(
                n,
                c_str!("arm-smmu-v3-rs-priq"),
                bindings::IRQF_ONESHOT.into(),
                Arc::new(PriIrq(smmu.clone()), GFP_KERNEL)?,
            )?),
            _ => None,
        };
        let gerror_irq = match optional_irq(pdev, c_str!("gerror"))? {
            Some(n) => Some(ThreadedRegistration::new(
                n,
                c_str!("arm-smmu-v3-rs-gerror"),
                bindings::IRQF_ONESHOT.into(),
                Arc::new(GerrorIrq(smmu.clone()), GFP_KERNEL)?,
            )?),
            None => None,
        };

        #[cfg(CONFIG_IOMMU_DEBUGFS)]
        let debugfs = debugfs_dir(&dev, &smmu)
            .inspect_err(|e| dev_info!(&dev, "no debugfs entries: {e:?}\n"))
            .ok();

        let slot = INSTANCES
            .iter()
            .position(|s| {
                s.compare_exchange(
                    core::ptr::null_mut(),
                    &*smmu as *const Smmu as *mut Smmu,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                )
                .is_ok()
            })
            .ok_or(EBUSY)?;
        let this = KBox::pin(
            Self {
                smmu,
                slot,
                evt_irq,
                pri_irq,
                gerror_irq,
                #[cfg(CONFIG_IOMMU_DEBUGFS)]
                _debugfs: debugfs,
            },
            GFP_KERNEL,
        )?;
        // From here on a failure drops `this`, whose `drop` undoes this
        // (the model's interrupt work holds the instance).
        #[cfg(CONFIG_ARM_SMMU_V3_RUST_MODEL)]
        if let Some(m) = this.smmu.hw.io().model() {
            m.set_irq(Some(Arc::new(ModelIrqs(this.smmu.clone()), GFP_KERNEL)?))?;
        }
        let name = match kind {
            SmmuKind::Hardware => CString::try_from_fmt(format_args!(
                "smmu3.{:#x}",
                pdev.mem_resource(0).map_or(0, |r| r.start)
            ))?,
            #[cfg(CONFIG_ARM_SMMU_V3_RUST_MODEL)]
            SmmuKind::Model => CString::try_from_fmt(format_args!("smmu3-model.{}", this.slot))?,
        };
        let max_pasids = if sva::sva_supported(&this.smmu) {
            1u32 << features.ssidsize
        } else {
            0
        };
        // SAFETY: `iommu` lives in the pinned `Arc<Smmu>`, unregistered in `drop`.
        let reg = unsafe {
            this.smmu
                .iommu
                .register(&dev, &domain::OPS, &name, max_pasids)
        };
        if let Err(e) = reg {
            dev_err!(&dev, "cannot register with the IOMMU core: {e:?}\n");
            return Err(e);
        }
        Ok(this)
    }
}

impl Drop for SmmuV3 {
    fn drop(&mut self) {
        // Detach every device (the core calls `release_device` for each),
        // then stop the lookup, the interrupts and the SMMU itself.
        self.smmu.iommu.unregister();
        INSTANCES[self.slot].store(core::ptr::null_mut(), Ordering::Release);
        self.evt_irq.take();
        self.pri_irq.take();
        self.gerror_irq.take();
        #[cfg(CONFIG_ARM_SMMU_V3_RUST_MODEL)]
        if let Some(m) = self.smmu.hw.io().model() {
            let _ = m.set_irq(None);
        }
        if let Err(e) = self.smmu.hw.disable() {
            dev_err!(&self.smmu.dev, "cannot disable the SMMU: {e}\n");
        }
        let q = self.smmu.iopf_queue();
        if !q.is_null() {
            // SAFETY: every master left the queue when it was released.
            unsafe { bindings::iopf_queue_free(q) };
        }
    }
}

/// `/sys/kernel/debug/iommu/arm-smmu-v3-rs/<device>/{features,idr,state}`.
#[cfg(CONFIG_IOMMU_DEBUGFS)]
fn debugfs_dir(dev: &Device, smmu: &Arc<Smmu>) -> Result<debugfs::Dir> {
    let ids = smmu.hw.id_regs();
    let root = debugfs::PersistentDir::in_iommu(c_str!("arm-smmu-v3-rs"))?;
    let mut dir = root.subdir(dev.name_cstr())?;
    dir.add_display(
        c_str!("state"),
        Arc::new(SmmuState(smmu.clone()), GFP_KERNEL)?,
    )?;
    dir.add_text(
        c_str!("features"),
        CString::try_from_fmt(format_args!("{}\n", smmu.features))?,
    )?;
    dir.add_text(
        c_str!("idr"),
        CString::try_from_fmt(format_args!(
            "IDR0 {:#010x}\nIDR1 {:#010x}\nIDR3 {:#010x}\nIDR5 {:#010x}\nIIDR {:#010x}\nAIDR {:#010x}\n",
            ids.idr0.raw(),
            ids.idr1.raw(),
            ids.idr3.raw(),
            ids.idr5.raw(),
            ids.iidr.raw(),
            ids.aidr.raw()
        ))?,
    )?;
    Ok(dir)
}

#[cfg(CONFIG_IOMMU_DEBUGFS)]
/// The `state` debugfs file: queue pointers, then every device behind the
/// SMMU with its StreamIDs, their STEs and its context descriptor, decoded
/// field by field.
struct SmmuState(Arc<Smmu>);

#[cfg(CONFIG_IOMMU_DEBUGFS)]
impl core::fmt::Display for SmmuState {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let s = &*self.0;
        let (prod, cons) = s.with_cmdq(|_, q| (q.prod(), q.cons()));
        writeln!(f, "cmdq: prod {prod:#x} cons {cons:#x}")?;
        writeln!(f, "evtq: cons {:#x}", s.evtq.lock().cons())?;

        // Collect the masters first: the map's lock cannot be held while
        // sleeping on the stream table and CD table locks below.
        let mut masters: KVec<Arc<domain::Master>> = KVec::new();
        for m in s.streams.lock().iter().filter_map(|(_, m)| m.as_ref()) {
            if !masters.iter().any(|x| Arc::ptr_eq(x, m))
                && masters.push(m.clone(), GFP_ATOMIC).is_err()
            {
                break;
            }
        }
        for m in masters.iter() {
            writeln!(f, "{}:", m.dev.name_cstr())?;
            for &sid in m.sids.iter() {
                match s.strtab.lock().read_ste(sid) {
                    Ok(ste) => writeln!(
                        f,
                        "  sid {sid:#x} STE {}",
                        FieldDump {
                            words: &ste.0,
                            fields: Ste::FIELDS,
                        }
                    )?,
                    Err(e) => writeln!(f, "  sid {sid:#x} STE unreadable: {e}")?,
                }
            }
            let st = m.state.lock();
            if let Some(table) = st.cd_table.as_ref() {
                writeln!(
                    f,
                    "  CD table: {} SSIDs, {}, {} leaves",
                    table.num_ssids(),
                    if table.is_two_level() {
                        "2-level"
                    } else {
                        "linear"
                    },
                    table.leaf_count()
                )?;
                let ssids = Iterator::chain(core::iter::once(0), st.pasids.iter().map(|p| p.pasid));
                for ssid in ssids {
                    match table.read_cd(ssid) {
                        Ok(cd) if ssid == 0 && !cd.v() => {}
                        Ok(cd) => writeln!(
                            f,
                            "  CD[{ssid}] {}",
                            FieldDump {
                                words: &cd.0,
                                fields: Cd::FIELDS,
                            }
                        )?,
                        Err(e) => writeln!(f, "  CD[{ssid}] unreadable: {e}")?,
                    }
                }
            }
        }
        Ok(())
    }
}
