// SPDX-License-Identifier: GPL-2.0

//! Shared Virtual Addressing: SVA domains, the per-device feature API and
//! I/O page faults (PRI page requests and stalled transactions).
//!
//! # SVA domains
//!
//! An [`SvaDomain`] shares a process's page tables with the SMMU: its CD
//! points `TTB0` at the mm's `pgd` and takes the CPU's translation regime
//! (`T0SZ` from the VA size, the page size as granule, the CPU's `MAIR`,
//! `IPS` from the CPUs' physical address range). Each domain has an ASID of
//! the SMMU's own, and an mmu_notifier forwards every CPU TLB invalidation
//! of the mm (`arch_invalidate_secondary_tlbs`) as range or whole-ASID
//! SMMU invalidation; with broadcast TLB maintenance (BTM) it shares the
//! CPU's ASID instead, and the notifier only invalidates ATCs. When the mm goes away (`release`), every CD of the domain
//! is switched hitlessly to its "quiet" form (`EPD0` set): the device then
//! gets translation faults instead of walking freed page tables.
//!
//! A domain's CD is built per master, because `CD.S` (stall on fault)
//! depends on the master.
//!
//! # Faults
//!
//! With `IOMMU_DEV_FEAT_IOPF` enabled, page requests from the PRI queue
//! and stalled transactions from the event queue are reported to the IOMMU
//! core, which resolves them and answers each group exactly once through
//! [`page_response`]: `CMD_PRI_RESP` or `CMD_RESUME`. How to answer is
//! carried in the fault's `private_data` (StreamID and kind). Requests
//! nobody can handle are answered at once: `CMD_PRI_RESP` with Deny
//! ("Invalid Request"), or `CMD_RESUME` with abort.

use crate::{
    device::Smmu,
    domain::{Flush, Master, MasterState},
    hw::{
        cd::{Cd, CdHttu, Granule, SvaCd},
        cmd::{Granule as TlbiGranule, PriResp, ResumeAction},
        event::TranslationFault,
        pri::PriRequest,
        regs::{Httu, Oas},
    },
};
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use kernel::{
    bindings, dev_err, dev_warn,
    device::Device,
    iommu::{self, DeviceIommu, Domain, DomainOps, DomainOpsTable},
    new_mutex, new_spinlock,
    prelude::*,
    sync::{Arc, Mutex, SpinLock},
    types::Opaque,
};

/// `private_data[1]` of a reported fault: answer with `CMD_PRI_RESP`.
const FAULT_KIND_PRI: u64 = 1;
/// `private_data[1]` of a reported fault: answer with `CMD_RESUME`.
const FAULT_KIND_STALL: u64 = 2;

/// Above this many bytes a CPU invalidation becomes a whole-ASID one: as
/// the C driver, as many pages as one page of 8-byte descriptors maps
/// (512 with 4KB pages, 8192 with 64KB ones).
const SVA_TLBI_RANGE_MAX: u64 = (bindings::PAGE_SIZE as u64 / 8) * bindings::PAGE_SIZE as u64;

/// The CPU's translation parameters for `mm`, or why the SMMU cannot
/// share them.
fn cpu_sva_cd(smmu: &Smmu, mm: *mut bindings::mm_struct, asid: u16) -> Result<SvaCd> {
    let f = &smmu.features;
    // SAFETY: reads of CPU configuration, no preconditions.
    let (vabits, parange, mair, hafdbs) = unsafe {
        (
            bindings::sva_rs_cpu_vabits(),
            bindings::sva_rs_cpu_parange(),
            bindings::sva_rs_cpu_mair(),
            bindings::sva_rs_cpu_hafdbs(),
        )
    };
    let tg0 = match bindings::PAGE_SHIFT {
        12 if f.gran4k => Granule::Size4K,
        14 if f.gran16k => Granule::Size16K,
        16 if f.gran64k => Granule::Size64K,
        _ => return Err(crate::errno::eopnotsupp()),
    };
    let ips = Oas::decode(parange);
    // The SMMU must reach every address the CPU can (C: `oas < cpu oas`).
    match (ips.bits(), f.oas_bits()) {
        (Some(cpu), Some(smmu_oas)) if cpu <= smmu_oas => {}
        _ => return Err(crate::errno::eopnotsupp()),
    }
    if vabits > f.va_bits() || vabits > 52 {
        return Err(crate::errno::eopnotsupp());
    }
    let httu = match (f.httu, hafdbs) {
        (Httu::AccessDirty, 2..) => CdHttu::AccessDirty,
        (Httu::AccessDirty | Httu::Access, 1..) => CdHttu::Access,
        _ => CdHttu::None,
    };
    Ok(SvaCd {
        asid,
        // SAFETY: the caller holds a reference on `mm`, whose `pgd` lives as long.
        pgd: unsafe { bindings::sva_rs_mm_pgd_phys(mm) },
        t0sz: (64 - vabits) as u8,
        tg0,
        ips,
        mair,
        stall: false,
        httu,
    })
}

/// Whether `smmu` can share CPU page tables at all.
pub(crate) fn sva_supported(smmu: &Smmu) -> bool {
    let f = &smmu.features;
    // The SMMU walks page tables the CPU writes without cache maintenance.
    if !f.s1p || !f.cohacc || f.ssidsize == 0 {
        return false;
    }
    // SAFETY: reads of CPU configuration, no preconditions.
    let (vabits, parange) = unsafe {
        (
            bindings::sva_rs_cpu_vabits(),
            bindings::sva_rs_cpu_parange(),
        )
    };
    let cpu_pa = Oas::decode(parange).bits();
    matches!((cpu_pa, f.oas_bits()), (Some(c), Some(s)) if c <= s) && vabits <= f.va_bits()
}

/// The (master, PASID) pairs using an SVA domain.
type Binds = KVec<(Arc<Master>, u32)>;

/// An SVA domain: a process address space shared with devices.
///
/// # Invariants
///
/// `mn` is registered on `mm` from [`domain_alloc_sva`] until
/// [`SvaDomain::free`] (while `registered`); `mm` is grabbed
/// (`mmgrab`) for the domain's lifetime; `raw` is the address of the
/// domain's `struct iommu_domain`. With `shared_asid`, the ASID is the
/// mm's CPU ASID, pinned (`arm64_mm_context_get`) until `free`.
pub(crate) struct SvaDomain {
    flush: Arc<Flush>,
    /// The ASID is the CPU's, kept coherent by broadcast TLB maintenance.
    shared_asid: bool,
    cfg: SvaCd,
    mm: *mut bindings::mm_struct,
    mn: Opaque<bindings::mmu_notifier>,
    registered: AtomicBool,
    released: AtomicBool,
    raw: AtomicUsize,
    /// The (master, PASID) pairs using the domain (a spinlock: read from
    /// invalidation callbacks in atomic context).
    binds: Pin<KBox<SpinLock<Binds>>>,
    /// Held while `binds` changes, and by `release` while it walks it.
    bind_changes: Pin<KBox<Mutex<()>>>,
}

// SAFETY: `mm` is only passed to the mm API, which is thread-safe; the notifier is used through the C API.
unsafe impl Send for SvaDomain {}
// SAFETY: as above; shared state is atomic or behind `binds`' lock.
unsafe impl Sync for SvaDomain {}

impl SvaDomain {
    /// The domain whose notifier is `mn`.
    ///
    /// # Safety
    ///
    /// `mn` must be the `mn` field of a live `SvaDomain`.
    unsafe fn from_mn<'a>(mn: *mut bindings::mmu_notifier) -> &'a SvaDomain {
        let off = core::mem::offset_of!(SvaDomain, mn);
        // SAFETY: `mn` is embedded at `off` in a live `SvaDomain` (caller's guarantee).
        unsafe { &*((mn as *mut u8).sub(off) as *const SvaDomain) }
    }

    /// The CD of this domain for `master`.
    fn cd_for(&self, master: &Master) -> Result<Cd> {
        let cfg = SvaCd {
            stall: master.stall,
            ..self.cfg
        };
        let cd = if self.released.load(Ordering::Acquire) {
            Cd::sva_quiet(&cfg, master.smmu.features.stall_forced())
        } else {
            Cd::sva(&cfg)
        };
        let mut cd = cd.map_err(|e| {
            dev_err!(&master.dev, "cannot build the SVA CD: {e:?}\n");
            EINVAL
        })?;
        if self.shared_asid {
            // The CPU's ASID, in the shared set: the CPUs' broadcast TLB
            // invalidations must reach the SMMU's entries too.
            cd.set_aset(false);
        }
        Ok(cd)
    }

    /// The pair at `i` of the bind list, if any.
    fn bind_at(&self, i: usize) -> Option<(Arc<Master>, u32)> {
        self.binds.lock().get(i).map(|(m, p)| (m.clone(), *p))
    }
}

#[vtable]
impl DomainOps for SvaDomain {
    fn attach_dev(_domain: &Domain<Self>, _dev: &Device) -> Result {
        // Only PASIDs can use an SVA domain.
        Err(EINVAL)
    }

    fn set_dev_pasid(
        domain: &Domain<Self>,
        dev: &Device,
        pasid: u32,
        _old: *mut bindings::iommu_domain,
    ) -> Result {
        let d = domain.data();
        // SAFETY: the core only attaches devices this driver probed.
        let master = unsafe { Master::attaching(dev, &d.flush.smmu) }?.arc();
        let _changes = d.bind_changes.lock();
        d.binds.lock().reserve(1, GFP_ATOMIC)?;
        let cd = d.cd_for(&master)?;
        master.attach_pasid(pasid, domain.as_raw(), true, &cd, Some(&d.flush))?;
        let mut binds = d.binds.lock();
        if !binds
            .iter()
            .any(|(m, p)| Arc::ptr_eq(m, &master) && *p == pasid)
        {
            // Reserved above, with `bind_changes` held: does not allocate.
            binds.push((master, pasid), GFP_ATOMIC)?;
        }
        Ok(())
    }

    fn free(domain: &Domain<Self>) {
        let d = domain.data();
        if d.registered.swap(false, Ordering::AcqRel) {
            // SAFETY: registered on `mm` (type invariant); waits for running callbacks.
            unsafe { bindings::mmu_notifier_unregister(d.mn.get(), d.mm) };
        }
        if d.shared_asid {
            // Nothing may stay cached under the CPU's ASID once the CPU
            // can hand it to another process.
            d.flush.invalidate_asid();
            // SAFETY: pinned in `domain_alloc_sva` (type invariant); `mm` is still grabbed.
            unsafe { bindings::sva_rs_mm_context_put(d.mm) };
        }
        // SAFETY: grabbed in `domain_alloc_sva` (type invariant).
        unsafe { bindings::mmdrop(d.mm) };
        // Dropping `flush` afterwards invalidates and frees the ASID.
    }
}

static SVA_OPS: DomainOpsTable = iommu::domain_ops_table::<SvaDomain>();

/// Forwards a CPU TLB invalidation of the mm to the SMMU.
///
/// # Safety
///
/// Called by the mmu_notifier core with a registered notifier.
unsafe extern "C" fn mn_invalidate(
    mn: *mut bindings::mmu_notifier,
    _mm: *mut bindings::mm_struct,
    start: kernel::ffi::c_ulong,
    end: kernel::ffi::c_ulong,
) {
    // SAFETY: only registered as the `mn` of an `SvaDomain`.
    let d = unsafe { SvaDomain::from_mn(mn) };
    let (start, end) = (start as u64, end as u64);
    let size = end.wrapping_sub(start);
    if d.shared_asid {
        // The CPU's broadcast TLBI reaches the SMMU's TLB; the notifier
        // runs before the CPU waits for it, so wait here: an ATC refilled
        // from a TLB entry not yet invalidated would keep it.
        // SAFETY: a barrier, no preconditions.
        unsafe { bindings::sva_rs_dsb_ish() };
        let all = end <= start || size > SVA_TLBI_RANGE_MAX;
        d.flush
            .atc_inv(if all { 0 } else { start }, if all { 0 } else { size });
        return;
    }
    if end <= start || size > SVA_TLBI_RANGE_MAX {
        d.flush.invalidate_asid();
    } else {
        d.flush
            .invalidate_range(start, size, false, bindings::PAGE_SIZE);
    }
}

/// The mm is going away: make every CD of the domain fault.
///
/// # Safety
///
/// Called by the mmu_notifier core with a registered notifier.
unsafe extern "C" fn mn_release(mn: *mut bindings::mmu_notifier, _mm: *mut bindings::mm_struct) {
    // SAFETY: only registered as the `mn` of an `SvaDomain`.
    let d = unsafe { SvaDomain::from_mn(mn) };
    d.released.store(true, Ordering::Release);
    let raw = d.raw.load(Ordering::Acquire);
    // No bind comes or goes while the list is walked; nothing is
    // allocated, so no pair can be missed: once this returns the kernel
    // frees the page tables without telling the SMMU again.
    let _changes = d.bind_changes.lock();
    let mut i = 0;
    while let Some((m, pasid)) = d.bind_at(i) {
        i += 1;
        let r = d.cd_for(&m).and_then(|cd| m.replace_cd(pasid, raw, &cd));
        if let Err(e) = r {
            dev_err!(
                &m.dev,
                "PASID {pasid}: cannot quiesce the CD ({e:?}): clearing it\n"
            );
            m.clear_pasid_cd(pasid, raw);
        }
    }
    d.flush.invalidate_asid();
}

static MN_OPS: bindings::mmu_notifier_ops = {
    // SAFETY: all-zero is "no callback" for every field.
    let mut ops: bindings::mmu_notifier_ops = unsafe { core::mem::zeroed() };
    ops.release = Some(mn_release);
    ops.arch_invalidate_secondary_tlbs = Some(mn_invalidate);
    ops
};

/// A pinned CPU ASID, released on drop (error paths).
struct AsidPin(*mut bindings::mm_struct);

impl Drop for AsidPin {
    fn drop(&mut self) {
        // SAFETY: pinned by `share_cpu_asid` for this referenced mm.
        unsafe { bindings::sva_rs_mm_context_put(self.0) };
    }
}

/// Pins the CPU ASID of `mm` and takes it in the SMMU's ASID space, when
/// the SMMU snoops the CPUs' TLB invalidations (BTM). `None` when that is
/// not possible: no BTM, no ASID to pin, an ASID wider than the SMMU's, or
/// one a private domain already uses.
fn share_cpu_asid(smmu: &Smmu, mm: *mut bindings::mm_struct) -> Option<u16> {
    if !smmu.btm() {
        return None;
    }
    // SAFETY: the caller holds a reference on `mm`.
    let asid = unsafe { bindings::sva_rs_mm_context_get(mm) };
    if asid == 0 {
        return None;
    }
    let taken = u16::try_from(asid)
        .ok()
        .filter(|&a| u32::from(a) < 1u32 << smmu.features.asid_bits())
        .filter(|&a| smmu.asids.lock().claim(a));
    if taken.is_none() {
        // SAFETY: pinned just above.
        unsafe { bindings::sva_rs_mm_context_put(mm) };
    }
    taken
}

/// `domain_alloc_sva`: a domain sharing `mm` with `dev`'s SMMU.
pub(crate) fn domain_alloc_sva(
    dev: &Device,
    mm: *mut bindings::mm_struct,
) -> Result<*mut bindings::iommu_domain> {
    // SAFETY: the core only allocates for devices this driver probed.
    let master = unsafe { Master::from_dev(dev) };
    let smmu = master.smmu.clone();
    if mm.is_null() || !sva_supported(&smmu) {
        return Err(crate::errno::eopnotsupp());
    }
    // With BTM, share the CPU's ASID when it is free in the SMMU too;
    // otherwise (or without BTM) a private one, kept coherent by the
    // notifier.
    let (asid, shared_asid) = match share_cpu_asid(&smmu, mm) {
        Some(a) => (a, true),
        None => (smmu.asids.lock().alloc().ok_or(ENOSPC)?, false),
    };
    // Undoes the pin if anything below fails before the domain owns it.
    let pin = shared_asid.then(|| AsidPin(mm));
    let granule = match bindings::PAGE_SHIFT {
        14 => TlbiGranule::Size16K,
        16 => TlbiGranule::Size64K,
        _ => TlbiGranule::Size4K,
    };
    // From here on dropping `flush` frees the ASID.
    let flush = Flush::new(smmu, asid, granule)?;
    let cfg = cpu_sva_cd(&flush.smmu, mm, asid)?;
    let binds = KBox::pin_init(
        new_spinlock!(KVec::new(), "arm_smmu_v3_rs:sva_binds"),
        GFP_KERNEL,
    )?;
    let bind_changes = KBox::pin_init(
        new_mutex!((), "arm_smmu_v3_rs:sva_bind_changes"),
        GFP_KERNEL,
    )?;
    // SAFETY: the core holds a reference on `mm` during the call; the domain keeps its own.
    unsafe { bindings::mmgrab(mm) };
    let d = SvaDomain {
        flush,
        shared_asid,
        cfg,
        mm,
        // SAFETY: an all-zero notifier is unregistered; `ops` is set below.
        mn: Opaque::new(unsafe { core::mem::zeroed() }),
        registered: AtomicBool::new(false),
        released: AtomicBool::new(false),
        raw: AtomicUsize::new(0),
        binds,
        bind_changes,
    };
    let raw = match Domain::new_sva(d, &SVA_OPS) {
        Ok(r) => r,
        Err(e) => {
            // SAFETY: grabbed above; the domain that would have dropped it was never built.
            unsafe { bindings::mmdrop(mm) };
            return Err(e);
        }
    };
    // The domain owns the pin from now on (`free`, or the error path below).
    core::mem::forget(pin);
    // SAFETY: just allocated by `new_sva` for `SvaDomain`.
    let d = unsafe { Domain::<SvaDomain>::from_raw(raw) }.data();
    d.raw.store(raw as usize, Ordering::Release);
    // SAFETY: `mn` is not registered yet and nothing else accesses it.
    unsafe { (*d.mn.get()).ops = &MN_OPS };
    // SAFETY: `mn` lives in the domain until `free`, which unregisters it; `mm` is referenced.
    let r = unsafe { bindings::mmu_notifier_register(d.mn.get(), mm) };
    if r != 0 {
        // SAFETY: never handed to the core; `free` is not called on it.
        let dom = unsafe { KBox::from_raw(raw as *mut Domain<SvaDomain>) };
        if shared_asid {
            // SAFETY: pinned above; the mm is still grabbed.
            unsafe { bindings::sva_rs_mm_context_put(mm) };
        }
        // SAFETY: grabbed above.
        unsafe { bindings::mmdrop(mm) };
        drop(dom);
        return Err(Error::from_errno(r));
    }
    d.registered.store(true, Ordering::Release);
    Ok(raw)
}

/// `remove_dev_pasid`: `pasid` of `dev` stops using `domain`.
pub(crate) fn remove_dev_pasid(dev: &Device, pasid: u32, domain: *mut bindings::iommu_domain) {
    // SAFETY: the core only calls this for devices this driver probed.
    let master = unsafe { Master::arc_from_dev(dev) };
    // SAFETY: the core passes a live domain.
    let sva = unsafe { Domain::<SvaDomain>::uses_ops(domain, &SVA_OPS) }.then(|| {
        // SAFETY: an SVA domain of this driver (checked by its ops).
        unsafe { Domain::<SvaDomain>::from_raw(domain) }.data()
    });
    let _changes = sva.map(|d| d.bind_changes.lock());
    let Some(entry) = master.detach_pasid(pasid) else {
        return;
    };
    if entry.domain != domain as usize {
        dev_warn!(
            dev,
            "PASID {pasid} was not attached to the domain being removed\n"
        );
    }
    if let Some(d) = sva {
        let removed = {
            let mut binds = d.binds.lock();
            match binds
                .iter()
                .position(|(m, p)| Arc::ptr_eq(m, &master) && *p == pasid)
            {
                Some(i) => crate::take_at(&mut binds, i),
                None => None,
            }
        };
        // The master reference goes outside the lock.
        drop(removed);
    }
}

/// Page requests a PCI function may have outstanding (`pci_enable_pri`):
/// a small budget, so that several functions together stay well below the
/// size of a PRI queue (a queue overflow loses requests).
const PCI_PRI_REQUESTS: u32 = 32;

/// Stops a PCI function's page requests (IOPF disabled, or release).
pub(crate) fn disable_pci_pri(master: &Master) {
    if master.pci_pri_on.swap(false, Ordering::AcqRel) {
        // SAFETY: PRI was enabled on this live PCI function.
        unsafe { bindings::sva_rs_pci_disable_pri(DeviceIommu::raw(&master.dev)) };
    }
}

/// Adds `master` to its SMMU's I/O page fault queue.
fn join_iopf_queue(master: &Master, st: &mut MasterState) -> Result {
    let q = master.smmu.iopf_queue();
    if q.is_null() {
        return Err(ENODEV);
    }
    // SAFETY: the queue lives as long as the SMMU; `dev` is live.
    kernel::error::to_result(unsafe {
        bindings::iopf_queue_add_device(q, DeviceIommu::raw(&master.dev))
    })?;
    st.on_iopf_queue = true;
    Ok(())
}

/// Removes `master` from its SMMU's I/O page fault queue.
pub(crate) fn leave_iopf_queue(master: &Master, st: &mut MasterState) {
    let q = master.smmu.iopf_queue();
    if st.on_iopf_queue && !q.is_null() {
        // SAFETY: the device was added to this live queue.
        unsafe { bindings::iopf_queue_remove_device(q, DeviceIommu::raw(&master.dev)) };
    }
    st.on_iopf_queue = false;
}

/// `dev_enable_feat`.
pub(crate) fn enable_feat(dev: &Device, feat: u32) -> Result {
    // SAFETY: the core only calls this for devices this driver probed.
    let master = unsafe { Master::from_dev(dev) };
    match feat {
        bindings::iommu_dev_features_IOMMU_DEV_FEAT_IOPF => {
            if !(master.stall || master.pri) {
                return Err(ENODEV);
            }
            // Serialised with other feature changes of the master.
            let _st = master.state.lock();
            if master.pci && master.pri && !master.pci_pri_on.load(Ordering::Acquire) {
                // SAFETY: a live PCI function with a PRI capability.
                let r = unsafe {
                    bindings::sva_rs_pci_enable_pri(DeviceIommu::raw(&master.dev), PCI_PRI_REQUESTS)
                };
                kernel::error::to_result(r)?;
                master.pci_pri_on.store(true, Ordering::Release);
            }
            master.iopf.store(true, Ordering::Release);
            Ok(())
        }
        bindings::iommu_dev_features_IOMMU_DEV_FEAT_SVA => {
            if master.ssid_bits == 0 || !sva_supported(&master.smmu) {
                return Err(ENODEV);
            }
            let mut st = master.state.lock();
            if st.sva {
                return Err(EBUSY);
            }
            if master.stall || master.pri {
                // A master that can fault needs the fault path first.
                if !master.iopf.load(Ordering::Acquire) {
                    return Err(EINVAL);
                }
                join_iopf_queue(master, &mut st)?;
            }
            st.sva = true;
            Ok(())
        }
        _ => Err(EINVAL),
    }
}

/// `dev_disable_feat`.
pub(crate) fn disable_feat(dev: &Device, feat: u32) -> Result {
    // SAFETY: the core only calls this for devices this driver probed.
    let master = unsafe { Master::from_dev(dev) };
    let mut st = master.state.lock();
    match feat {
        bindings::iommu_dev_features_IOMMU_DEV_FEAT_IOPF => {
            if st.sva {
                return Err(EBUSY);
            }
            master.iopf.store(false, Ordering::Release);
            disable_pci_pri(master);
            Ok(())
        }
        bindings::iommu_dev_features_IOMMU_DEV_FEAT_SVA => {
            if !st.sva {
                return Err(EINVAL);
            }
            if st.pasids.iter().any(|p| p.sva) {
                return Err(EBUSY);
            }
            leave_iopf_queue(master, &mut st);
            st.sva = false;
            Ok(())
        }
        _ => Err(EINVAL),
    }
}

/// A page-request fault for the IOMMU core.
fn new_fault(
    sid: u32,
    kind: u64,
    ssid: Option<u32>,
    grpid: u32,
    perm: u32,
    addr: u64,
    last: bool,
) -> bindings::iopf_fault {
    // SAFETY: all-zero is a valid `iopf_fault` (an unlinked list head).
    let mut evt: bindings::iopf_fault = unsafe { core::mem::zeroed() };
    evt.fault.type_ = bindings::iommu_fault_type_IOMMU_FAULT_PAGE_REQ;
    let prm = &mut evt.fault.prm;
    if last {
        prm.flags |= bindings::IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE;
    }
    if let Some(pasid) = ssid {
        prm.flags |= bindings::IOMMU_FAULT_PAGE_REQUEST_PASID_VALID
            | bindings::IOMMU_FAULT_PAGE_RESPONSE_NEEDS_PASID;
        prm.pasid = pasid;
    }
    prm.grpid = grpid;
    prm.perm = perm;
    prm.addr = addr;
    prm.private_data = [u64::from(sid), kind];
    evt
}

/// Reports a page request; requests nobody can take are denied at once
/// (on their last request: earlier ones need no response).
pub(crate) fn report_page_request(smmu: &Smmu, req: &PriRequest) {
    // Keeps the device from being released during the report.
    let _report = smmu.report_lock.lock();
    let master = smmu
        .master_arc(req.sid)
        .filter(|m| m.pri && m.iopf.load(Ordering::Acquire));
    let Some(master) = master else {
        if req.last {
            smmu.pri_respond(req.sid, req.ssid, req.prgi, PriResp::Deny);
        }
        return;
    };
    let mut perm = 0;
    if req.read {
        perm |= bindings::IOMMU_FAULT_PERM_READ;
    }
    if req.write {
        perm |= bindings::IOMMU_FAULT_PERM_WRITE;
    }
    if req.exec {
        perm |= bindings::IOMMU_FAULT_PERM_EXEC;
    }
    if req.privileged {
        perm |= bindings::IOMMU_FAULT_PERM_PRIV;
    }
    let mut evt = new_fault(
        req.sid,
        FAULT_KIND_PRI,
        req.ssid,
        req.prgi.into(),
        perm,
        req.addr,
        req.last,
    );
    // The core answers every last request exactly once (through
    // `page_response`), including the ones it rejects.
    // SAFETY: `master.dev` is live and on the fault queue; `evt` is valid for the call.
    unsafe { bindings::iommu_report_device_fault(DeviceIommu::raw(&master.dev), &mut evt) };
}

/// Reports a stalled transaction; returns `false` if nobody can take it
/// (the caller must then terminate it).
pub(crate) fn report_stall(smmu: &Smmu, t: &TranslationFault) -> bool {
    let Some(stag) = t.stall_tag else {
        return false;
    };
    // Keeps the device from being released during the report.
    let _report = smmu.report_lock.lock();
    let master = smmu
        .master_arc(t.sid)
        .filter(|m| m.stall && m.iopf.load(Ordering::Acquire));
    let Some(master) = master else {
        return false;
    };
    let mut perm = if t.access.rnw {
        bindings::IOMMU_FAULT_PERM_READ
    } else {
        bindings::IOMMU_FAULT_PERM_WRITE
    };
    if t.access.ind {
        perm |= bindings::IOMMU_FAULT_PERM_EXEC;
    }
    if t.access.pnu {
        perm |= bindings::IOMMU_FAULT_PERM_PRIV;
    }
    let page = bindings::PAGE_SIZE as u64;
    let mut evt = new_fault(
        t.sid,
        FAULT_KIND_STALL,
        t.ssid,
        stag.into(),
        perm,
        t.input_addr & !(page - 1),
        true,
    );
    // SAFETY: as in `report_page_request`.
    unsafe { bindings::iommu_report_device_fault(DeviceIommu::raw(&master.dev), &mut evt) };
    true
}

/// `page_response`: answers a group the core has handled.
pub(crate) fn page_response(
    dev: &Device,
    evt: &bindings::iopf_fault,
    msg: &bindings::iommu_page_response,
) {
    if DeviceIommu::get_priv(dev).is_null() {
        dev_err!(dev, "page response after release\n");
        return;
    }
    // SAFETY: probed by this driver and not yet released (checked above).
    let master = unsafe { Master::from_dev(dev) };
    let prm = &evt.fault.prm;
    let [sid, kind] = prm.private_data;
    let Some(sid) = u32::try_from(sid)
        .ok()
        .filter(|s| master.sids.iter().any(|x| x == s))
    else {
        dev_err!(dev, "page response for a fault this device did not raise\n");
        return;
    };
    let success = msg.code == bindings::iommu_page_response_code_IOMMU_PAGE_RESP_SUCCESS;
    match kind {
        FAULT_KIND_STALL => {
            let action = if success {
                ResumeAction::Retry
            } else {
                ResumeAction::Abort
            };
            master.smmu.resume(sid, msg.grpid as u16, action);
        }
        FAULT_KIND_PRI => {
            let resp = match msg.code {
                bindings::iommu_page_response_code_IOMMU_PAGE_RESP_SUCCESS => PriResp::Success,
                bindings::iommu_page_response_code_IOMMU_PAGE_RESP_FAILURE => PriResp::Fail,
                _ => PriResp::Deny,
            };
            // A PCI function may not expect the PASID in the response.
            let ssid = (prm.flags & bindings::IOMMU_FAULT_PAGE_REQUEST_PASID_VALID != 0
                && master.pri_resp_pasid)
                .then_some(prm.pasid);
            master.smmu.pri_respond(sid, ssid, msg.grpid as u16, resp);
        }
        _ => dev_err!(dev, "page response for a fault of unknown kind {kind}\n"),
    }
}
