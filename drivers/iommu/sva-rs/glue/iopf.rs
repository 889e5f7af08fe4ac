// SPDX-License-Identifier: GPL-2.0

//! I/O page fault queues and reports (`io-pgfault.c`) and the SVA fault
//! handler.
//!
//! Each device added to a queue has an [`IopfDevice`] (bounded partial
//! list, one slot per pending group) in its [`DevSva`], under the device's
//! fault mutex. A complete group becomes a C `struct iopf_group` (so any
//! domain's `iopf_handler`, including iommufd's, can consume it) inside a
//! [`Group`] that remembers the core's token.
//!
//! A group is marked started by the core while the fault mutex is still
//! held at dispatch, before the mutex is dropped and the handler is
//! called. A PASID or device removal therefore never forgets a group whose
//! handler may be about to run: it answers the group `INVALID` at once and
//! counts it as busy until the handler's own response (which the core then
//! swallows). The SVA unbind path waits for that count to drop to zero, so
//! no handler can use a freed attach handle, domain or mm.

use crate::dev::{dev_ops, DevSva};
use crate::sva::access::{self, GroupStatus, LockMode, NowaitOutcome, VmaAccess, VmaLockedOutcome};
use crate::sva::iopf::{
    Fault, FaultSink, GroupToken, IopfDevice, Reported, RespCode, Response, SinkFull,
};
use core::ptr;
use kernel::alloc::{flags::GFP_KERNEL, KVBox};
use kernel::bindings;
use kernel::error::code::*;
use kernel::ffi::{c_char, c_int, c_uint};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::rbtree::RBTree;
use kernel::sync::{Arc, Mutex};

/// Partial requests kept per device; older ones are evicted.
const PARTIAL_MAX: usize = 32;
/// Groups pending per device; beyond this, groups are answered `FAILURE`.
/// 512 covers every PCIe page request group index, so a device never sees
/// `FAILURE` for lack of slots however slow the handler (iommufd's user
/// space, for one) answers.
const GROUPS_MAX: usize = 512;

type IopfDev = IopfDevice<usize, PARTIAL_MAX, GROUPS_MAX>;

/// A device's fault state (under [`DevSva::iopf`]).
pub(crate) struct IopfState {
    /// The queue the device is on, or null.
    queue: *const IopfQueue,
    /// Kept after removal while handlers still hold group slots.
    dev: Option<KVBox<IopfDev>>,
}

impl IopfState {
    pub(crate) fn new() -> Self {
        IopfState {
            queue: ptr::null(),
            dev: None,
        }
    }
}

/// `struct iopf_queue`, opaque to drivers.
///
/// # Invariants
///
/// `wq` is a live workqueue until the queue is freed.
#[pin_data]
pub(crate) struct IopfQueue {
    wq: *mut bindings::workqueue_struct,
    #[pin]
    devs: Mutex<DevList>,
}

/// A queue's devices, by address.
type DevList = RBTree<usize, Arc<DevSva>>;

// SAFETY: `wq` is a workqueue, usable from any thread; `devs` is locked.
unsafe impl Send for IopfQueue {}
// SAFETY: As above.
unsafe impl Sync for IopfQueue {}

/// A group handed to a domain's `iopf_handler`.
///
/// # Invariants
///
/// `c` is first, so `*mut Group` and `*mut iopf_group` convert. `c.faults`
/// links the entries of `partials`, then `c.last_fault`; `partials` is
/// never resized after linking. The group's slot in `ds`'s [`IopfDevice`]
/// was started with `token`.
#[repr(C)]
struct Group {
    c: bindings::iopf_group,
    ds: Arc<DevSva>,
    token: GroupToken,
    wq: *mut bindings::workqueue_struct,
    partials: KVec<bindings::iopf_fault>,
}

fn fault_from_c(f: &bindings::iommu_fault) -> Fault {
    Fault {
        kind: f.type_,
        flags: f.prm.flags,
        pasid: f.prm.pasid,
        grpid: f.prm.grpid,
        perm: f.prm.perm,
        addr: f.prm.addr,
        private_data: f.prm.private_data,
    }
}

fn fault_to_c(f: &Fault) -> bindings::iopf_fault {
    // SAFETY: All-zero is a valid `iopf_fault` (an unlinked list head).
    let mut c: bindings::iopf_fault = unsafe { core::mem::zeroed() };
    c.fault.type_ = f.kind;
    c.fault.prm.flags = f.flags;
    c.fault.prm.pasid = f.pasid;
    c.fault.prm.grpid = f.grpid;
    c.fault.prm.perm = f.perm;
    c.fault.prm.addr = f.addr;
    c.fault.prm.private_data = f.private_data;
    c
}

/// Sends a response with the driver's `page_response` op.
///
/// # Safety
///
/// `dev` must be a live device with an IOMMU.
unsafe fn respond(dev: *mut bindings::device, r: &Response) {
    // SAFETY: The caller guarantees `dev` is live.
    let Some(op) = (unsafe { dev_ops(dev) }).and_then(|o| o.page_response) else {
        return;
    };
    let mut evt = fault_to_c(&r.last);
    let mut msg = bindings::iommu_page_response {
        pasid: r.pasid_field(),
        grpid: r.grpid(),
        code: r.code.raw(),
    };
    // SAFETY: Called as `io-pgfault.c` does, with locals that outlive the call.
    unsafe { op(dev, &mut evt, &mut msg) };
}

/// Collects a dispatched group's requests.
struct VecSink(KVec<Fault>);

impl FaultSink for VecSink {
    fn push(&mut self, fault: &Fault) -> Result<(), SinkFull> {
        self.0.push(*fault, GFP_KERNEL).map_err(|_| SinkFull)
    }
}

/// The attach handle whose domain handles a fault (`find_fault_handler()`).
///
/// # Safety
///
/// `dev` must be a live device with an IOMMU and a group.
unsafe fn find_handler(dev: *mut bindings::device, f: &Fault) -> Option<usize> {
    // SAFETY: The caller guarantees `dev` is live.
    let group = unsafe { (*dev).iommu_group };
    if group.is_null() {
        return None;
    }
    let get = |pasid: u32, ty: c_uint| {
        // SAFETY: `group` is the device's live group.
        let h = unsafe { bindings::iommu_attach_handle_get(group, pasid, ty) };
        if h.is_null() || (h as isize) < 0 && (h as isize) >= -4095 {
            None
        } else {
            Some(h)
        }
    };
    let handle = match f.pasid() {
        Some(pasid) => match get(pasid, 0) {
            Some(h) => h,
            None => {
                // SAFETY: As above.
                let ops = unsafe { dev_ops(dev) }?;
                if ops.user_pasid_table() == 0 {
                    return None;
                }
                // A user-managed PASID table: every PASID faults through
                // the nesting domain at the RID.
                get(bindings::IOMMU_NO_PASID, bindings::IOMMU_DOMAIN_NESTED)?
            }
        },
        None => get(bindings::IOMMU_NO_PASID, 0)?,
    };
    // SAFETY: An installed handle has a live domain.
    unsafe { (*(*handle).domain).iopf_handler }?;
    Some(handle as usize)
}

/// Builds the C group for a dispatched group.
fn new_group(
    ds: &Arc<DevSva>,
    token: GroupToken,
    route: usize,
    wq: *mut bindings::workqueue_struct,
    faults: &[Fault],
) -> Result<*mut Group> {
    let (last, partial) = faults.split_last().ok_or(EINVAL)?;
    let mut partials = KVec::with_capacity(partial.len(), GFP_KERNEL)?;
    for f in partial {
        partials.push(fault_to_c(f), GFP_KERNEL)?;
    }
    let g = KBox::new(
        Group {
            // SAFETY: All-zero is a valid `iopf_group` before linking.
            c: unsafe { core::mem::zeroed() },
            ds: ds.clone(),
            token,
            wq,
            partials,
        },
        GFP_KERNEL,
    )?;
    let g = KBox::into_raw(g);
    // SAFETY: `g` is ours, not moved; `partials` is not resized once linked.
    unsafe {
        let c = ptr::addr_of_mut!((*g).c);
        (*c).last_fault = fault_to_c(last);
        let head = ptr::addr_of_mut!((*c).faults);
        (*head).next = head;
        (*head).prev = head;
        for p in (*g).partials.iter_mut() {
            bindings::list_add_tail(&mut p.list, head);
        }
        bindings::list_add_tail(ptr::addr_of_mut!((*c).last_fault.list), head);
        let pending = ptr::addr_of_mut!((*c).pending_node);
        (*pending).next = pending;
        (*pending).prev = pending;
        let node = ptr::addr_of_mut!((*c).node);
        (*node).next = node;
        (*node).prev = node;
        (*c).fault_count = faults.len();
        (*c).attach_handle = route as *mut bindings::iommu_attach_handle;
        // Only this core reads it; C handlers never dereference it.
        (*c).fault_param = &**ds as *const DevSva as *mut bindings::iommu_fault_param;
        (*c).cookie = 0;
    }
    Ok(g)
}

/// Rejects a request nobody handles: `INVALID` for a last page request.
///
/// # Safety
///
/// `dev` must be a live device with an IOMMU.
unsafe fn reject(dev: *mut bindings::device, f: &Fault) -> c_int {
    if f.needs_response() {
        let r = Response {
            code: RespCode::Invalid,
            last: *f,
        };
        // SAFETY: Forwarded from the caller.
        unsafe { respond(dev, &r) };
    }
    EINVAL.to_errno()
}

/// Reports a fault (`iommu_report_device_fault()`).
///
/// # Safety
///
/// `dev` must be a live device with an IOMMU, `evt` a valid fault.
#[no_mangle]
pub unsafe extern "C" fn iommu_report_device_fault(
    dev: *mut bindings::device,
    evt: *mut bindings::iopf_fault,
) -> c_int {
    if dev.is_null() || evt.is_null() {
        return EINVAL.to_errno();
    }
    // SAFETY: The caller guarantees `evt` is valid.
    let fault = fault_from_c(unsafe { &(*evt).fault });
    // SAFETY: The caller guarantees `dev` is live.
    let Some(ds) = (unsafe { DevSva::get(dev) }) else {
        // SAFETY: As above.
        return unsafe { reject(dev, &fault) };
    };
    let mut sink = VecSink(KVec::new());
    let mut st = ds.iopf.lock();
    let queue = st.queue;
    let Some(idev) = st.dev.as_mut().filter(|_| !queue.is_null()) else {
        drop(st);
        // SAFETY: As above.
        return unsafe { reject(dev, &fault) };
    };
    // Looked up under the fault mutex: a removal that follows the detach
    // of this handle finds the group we dispatch (see the module doc).
    // SAFETY: As above.
    let route = unsafe { find_handler(dev, &fault) };
    let reported = idev.report(&fault, route, &mut sink);
    match reported {
        Err(e) => e.to_kernel(),
        Ok(Reported::Partial { .. }) => 0,
        Ok(Reported::Rejected(r)) => {
            if let Some(r) = r {
                // SAFETY: As above.
                unsafe { respond(dev, &r) };
            }
            EINVAL.to_errno()
        }
        Ok(Reported::Aborted(r)) => {
            // SAFETY: As above.
            unsafe { respond(dev, &r) };
            pr_warn_ratelimited(fault.pasid);
            0
        }
        Ok(Reported::Dispatched { token, route, .. }) => {
            // SAFETY: `queue` is live while the device is on it.
            let wq = unsafe { (*queue).wq };
            let started = idev.start(token);
            let group = match (started, new_group(&ds, token, route, wq, &sink.0)) {
                (Ok(_), Ok(g)) => g,
                (_, g) => {
                    if let Ok(g) = g {
                        // SAFETY: Never handed out.
                        drop(unsafe { KBox::from_raw(g) });
                    }
                    if let Ok(Some(r)) = idev.complete(token, RespCode::Failure) {
                        // SAFETY: As above.
                        unsafe { respond(dev, &r) };
                    }
                    pr_warn_ratelimited(fault.pasid);
                    return 0;
                }
            };
            drop(st);
            let handle = route as *mut bindings::iommu_attach_handle;
            // SAFETY: The group is started: removal waits before freeing the handle.
            let handler = unsafe { (*(*handle).domain).iopf_handler };
            let ok = match handler {
                // SAFETY: The handler owns the group on success, as in 6.12.
                Some(h) => (unsafe { h(group.cast()) }) == 0,
                None => false,
            };
            if !ok {
                pr_warn_ratelimited(fault.pasid);
                // SAFETY: The handler refused the group: we still own it.
                unsafe {
                    iopf_group_response(
                        group.cast(),
                        bindings::iommu_page_response_code_IOMMU_PAGE_RESP_FAILURE,
                    );
                    iopf_free_group(group.cast());
                }
            }
            0
        }
    }
}

/// Warns that a group was aborted, at most 10 times per 5 s window (what
/// `dev_warn_ratelimited()` does in 6.12), counting what it suppressed.
fn pr_warn_ratelimited(pasid: u32) {
    use core::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
    const WINDOW_MS: u32 = 5000;
    const BURST: u32 = 10;
    static START_MS: AtomicU64 = AtomicU64::new(0);
    static PRINTED: AtomicU32 = AtomicU32::new(0);
    static MISSED: AtomicU32 = AtomicU32::new(0);
    // SAFETY: `jiffies` is a word the timer updates; a racy read is fine.
    let now = u64::from(unsafe {
        bindings::jiffies_to_msecs(ptr::read_volatile(ptr::addr_of!(bindings::jiffies)))
    });
    let start = START_MS.load(Relaxed);
    if now.wrapping_sub(start) >= u64::from(WINDOW_MS)
        && START_MS
            .compare_exchange(start, now, Relaxed, Relaxed)
            .is_ok()
    {
        PRINTED.store(0, Relaxed);
        let missed = MISSED.swap(0, Relaxed);
        if missed != 0 {
            pr_warn!("{} aborted iopf group warnings suppressed\n", missed);
        }
    }
    if PRINTED.fetch_add(1, Relaxed) < BURST {
        pr_warn!("iopf with pasid {} aborted\n", pasid);
    } else {
        MISSED.fetch_add(1, Relaxed);
    }
}

/// Answers a group (`iopf_group_response()`); a group a removal already
/// answered gets no second response.
///
/// # Safety
///
/// `group` must be a group from [`iommu_report_device_fault`], not freed.
#[no_mangle]
pub unsafe extern "C" fn iopf_group_response(group: *mut bindings::iopf_group, status: c_uint) {
    if group.is_null() {
        return;
    }
    let g = group as *mut Group;
    // SAFETY: The caller guarantees the group is live.
    let (ds, token) = unsafe { (&(*g).ds, (*g).token) };
    let code = RespCode::from_raw(status).unwrap_or(RespCode::Failure);
    let mut st = ds.iopf.lock();
    if let Some(idev) = st.dev.as_mut() {
        match idev.complete(token, code) {
            Ok(Some(r)) => {
                // SAFETY: A pending group means the device is on its queue, with IOMMU.
                unsafe { respond(ds.dev, &r) };
            }
            // A removal answered the group while this handler ran and may
            // be waiting for it.
            Ok(None) => ds.handler_done.notify_all(),
            Err(_) => {}
        }
    }
}

/// `iopf_group_dequeue()`: the handler keeps the group and will answer it.
///
/// Groups are already in the handler's hands once dispatched here, and a
/// removal answers them itself and swallows the handler's later answer, so
/// there is nothing to do.
///
/// # Safety
///
/// `group` must be a live group.
#[no_mangle]
pub unsafe extern "C" fn iopf_group_dequeue(_group: *mut bindings::iopf_group) {}

/// Frees a group (`iopf_free_group()`).
///
/// # Safety
///
/// `group` must be a live group, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn iopf_free_group(group: *mut bindings::iopf_group) {
    if !group.is_null() {
        // SAFETY: Groups are `KBox<Group>`s made by `new_group`.
        drop(unsafe { KBox::from_raw(group as *mut Group) });
    }
}

/// The permissions of `vma` (`None` for no VMA).
///
/// # Safety
///
/// `vma` must be null or valid (its mm's mmap lock or its own lock held).
unsafe fn vma_access(vma: *mut bindings::vm_area_struct) -> Option<VmaAccess> {
    if vma.is_null() {
        return None;
    }
    // SAFETY: Valid per the caller, whose lock keeps `vm_flags` stable.
    let flags = unsafe { (*vma).__bindgen_anon_2.vm_flags };
    Some(VmaAccess::from_vm_flags(flags as u64))
}

/// Resolves one request against `mm` (`iommu_sva_handle_mm()`), under the
/// faulting VMA's lock when possible.
///
/// # Safety
///
/// `mm` must be kept from being freed (`mmgrab()`) by the caller.
unsafe fn resolve(mm: *mut bindings::mm_struct, f: &Fault) -> RespCode {
    if !f.pasid_valid() {
        return RespCode::Invalid;
    }
    // SAFETY: The caller keeps `mm` allocated.
    if !unsafe { bindings::mmget_not_zero(mm) } {
        return RespCode::Invalid;
    }
    let addr = f.addr as usize;
    // SAFETY: We hold a user reference to `mm`.
    let vma = unsafe { bindings::sva_rs_lock_vma(mm, addr as _) };
    let mut code = None;
    if !vma.is_null() {
        // SAFETY: `vma` is read-locked.
        let acc = unsafe { vma_access(vma) };
        match access::check(f, acc, LockMode::Vma) {
            Err(_) => {
                // SAFETY: Locked above.
                unsafe { bindings::vma_end_read(vma) };
                code = Some(RespCode::Invalid);
            }
            Ok(fl) => {
                // SAFETY: `vma` is read-locked and covers `addr`.
                let ret = unsafe { bindings::handle_mm_fault(vma, addr as _, fl, ptr::null_mut()) };
                match access::after_vma_locked_fault(ret) {
                    VmaLockedOutcome::Done { code: c, unlock } => {
                        if unlock {
                            // SAFETY: Still locked, per the result.
                            unsafe { bindings::vma_end_read(vma) };
                        }
                        code = Some(c);
                    }
                    VmaLockedOutcome::RetryUnderMmapLock => {}
                }
            }
        }
    }
    let code = code.unwrap_or_else(|| {
        // SAFETY: We hold a user reference to `mm`.
        unsafe { bindings::mmap_read_lock(mm) };
        // SAFETY: The mmap lock is held.
        let vma = unsafe { bindings::vma_lookup(mm, addr as _) };
        // SAFETY: The mmap lock is held, so a non-null `vma` is valid.
        let acc = unsafe { vma_access(vma) };
        let c = match access::check(f, acc, LockMode::Mmap) {
            Err(_) => RespCode::Invalid,
            Ok(fl) => {
                // SAFETY: `vma` covers `addr`; no ALLOW_RETRY, so the lock stays held.
                let ret = unsafe { bindings::handle_mm_fault(vma, addr as _, fl, ptr::null_mut()) };
                access::status_from_vm_fault(ret)
            }
        };
        // SAFETY: Locked above.
        unsafe { bindings::mmap_read_unlock(mm) };
        c
    });
    // SAFETY: Taken above.
    unsafe { bindings::mmput(mm) };
    code
}

extern "C" {
    /// `sva_rs.inline_faults` (`sva-rs-exports.c`).
    static sva_rs_inline_faults: bool;
}

/// The requests of a group, in order: the partial ones, then the last.
///
/// # Safety
///
/// `g` must be a live group, not freed while the iterator is used.
unsafe fn group_faults<'a>(g: *const Group) -> impl Iterator<Item = Fault> + 'a {
    // SAFETY: The caller keeps the group alive for `'a`.
    let g = unsafe { &*g };
    Iterator::chain(
        g.partials.iter().map(|p| fault_from_c(&p.fault)),
        core::iter::once(fault_from_c(&g.c.last_fault.fault)),
    )
}

/// The mm of a started group's SVA domain.
///
/// # Safety
///
/// `group` must be a live, started group of an SVA domain; the handle and
/// domain live until the group is answered (removals wait for started
/// groups), and the domain holds the mm.
unsafe fn group_mm(group: *mut bindings::iopf_group) -> *mut bindings::mm_struct {
    // SAFETY: Guaranteed by the caller.
    unsafe {
        (*(*(*group).attach_handle).domain)
            .__bindgen_anon_1
            .__bindgen_anon_2
            .mm
    }
}

/// Tries to resolve one request without sleeping on I/O, under
/// `mmap_read_trylock()`. `None`: it must be resolved by the work item.
///
/// # Safety
///
/// `mm` must be kept from being freed (`mmgrab()`) by the caller.
unsafe fn resolve_nowait(mm: *mut bindings::mm_struct, f: &Fault) -> Option<RespCode> {
    if !f.pasid_valid() {
        return Some(RespCode::Invalid);
    }
    // SAFETY: The caller keeps `mm` allocated.
    if !unsafe { bindings::mmget_not_zero(mm) } {
        return Some(RespCode::Invalid);
    }
    let addr = f.addr as usize;
    // SAFETY: We hold a user reference to `mm`.
    let code = if unsafe { bindings::mmap_read_trylock(mm) } {
        // SAFETY: The mmap lock is held.
        let vma = unsafe { bindings::vma_lookup(mm, addr as _) };
        // SAFETY: The mmap lock is held, so a non-null `vma` is valid.
        let acc = unsafe { vma_access(vma) };
        // SAFETY: `vma`, if not null, is valid under the mmap lock.
        let anonymous = vma.is_null() || unsafe { (*vma).vm_ops }.is_null();
        let (code, unlock) = match access::check(f, acc, LockMode::Mmap) {
            Err(_) => (Some(RespCode::Invalid), true),
            // File and special mappings may sleep even without I/O
            // (page_mkwrite, dirty throttling, shmem swap-in): only
            // anonymous memory is resolved here.
            Ok(_) if !anonymous => (None, true),
            Ok(_) => {
                let fl = access::nowait_fault_flags(f.perm);
                // SAFETY: `vma` covers `addr`; RETRY_NOWAIT keeps the lock on RETRY.
                let ret = unsafe { bindings::handle_mm_fault(vma, addr as _, fl, ptr::null_mut()) };
                match access::after_nowait_fault(ret) {
                    NowaitOutcome::Done { code, unlock } => (Some(code), unlock),
                    NowaitOutcome::Defer => (None, true),
                }
            }
        };
        if unlock {
            // SAFETY: Locked above and still held.
            unsafe { bindings::mmap_read_unlock(mm) };
        }
        code
    } else {
        None
    };
    // SAFETY: Taken above; the async put never tears the mm down here.
    unsafe { bindings::mmput_async(mm) };
    code
}

/// The SVA domains' work item: resolve each request, answer, free.
///
/// # Safety
///
/// `work` must be the `work` of a live, started SVA group, which this
/// function answers and frees.
unsafe extern "C" fn sva_iopf_work(work: *mut bindings::work_struct) {
    let off = core::mem::offset_of!(bindings::iopf_group, work);
    let group = (work as *mut u8).wrapping_sub(off) as *mut bindings::iopf_group;
    // SAFETY: The work is embedded in a live, started SVA group.
    let mm = unsafe { group_mm(group) };
    // SAFETY: The group lives until freed below; `mm` is held by the domain.
    let code = unsafe {
        let mut status = GroupStatus::new();
        for f in group_faults(group as *const Group) {
            if !status.should_continue() {
                break;
            }
            status.record(resolve(mm, &f));
        }
        status.code()
    };
    // SAFETY: We own the group.
    unsafe {
        iopf_group_response(group, code.raw());
        iopf_free_group(group);
    }
}

/// `iopf_handler` of SVA domains.
///
/// Faults on anonymous memory that need no I/O (first touches, the common
/// case of a device working on `malloc()`ed memory) are resolved at once in
/// the reporter's context, which saves a workqueue round trip; anything
/// else (file or special mappings, a fault that would wait for I/O, a
/// contended mmap lock) goes to the queue's workqueue, where requests
/// already resolved are simply found present. A removal waits for inline
/// handlers as for queued ones ([`flush_pasid`]).
///
/// # Safety
///
/// `group` must be a live, started group from [`iommu_report_device_fault`]
/// whose domain is an SVA domain.
pub(crate) unsafe extern "C" fn sva_iopf_handler(group: *mut bindings::iopf_group) -> c_int {
    let g = group as *mut Group;
    // SAFETY: The caller guarantees the group is live and started.
    let mm = unsafe { group_mm(group) };
    let mut status = GroupStatus::new();
    // SAFETY: A `bool` kernel parameter; a racy read only picks a path.
    let mut deferred = !unsafe { ptr::read_volatile(ptr::addr_of!(sva_rs_inline_faults)) };
    // SAFETY: As above; `mm` is held by the domain.
    for f in unsafe { group_faults(g) } {
        if deferred || !status.should_continue() {
            break;
        }
        // SAFETY: As above.
        match unsafe { resolve_nowait(mm, &f) } {
            Some(code) => status.record(code),
            None => {
                deferred = true;
                break;
            }
        }
    }
    if !deferred {
        // SAFETY: The handler owns the group once called.
        unsafe {
            iopf_group_response(group, status.code().raw());
            iopf_free_group(group);
        }
        return 0;
    }
    // SAFETY: The caller guarantees the group is live.
    unsafe {
        bindings::sva_rs_init_work(&mut (*group).work, Some(sva_iopf_work));
        if !bindings::sva_rs_queue_work((*g).wq, &mut (*group).work) {
            return EBUSY.to_errno();
        }
    }
    0
}

/// Answers and drains the faults of a PASID being detached
/// ([`crate::sva::bond::Action::FlushFaults`]): answers its pending groups
/// `INVALID`, then waits until no handler that had already started still
/// uses `route`, the attach handle being removed, whether it runs on the
/// fault workqueue or inline in a reporter's context.
pub(crate) fn flush_pasid(ds: &Arc<DevSva>, pasid: u32, route: usize) {
    let mut st = ds.iopf.lock();
    let Some(idev) = st.dev.as_mut() else {
        return;
    };
    idev.remove_pasid(Some(pasid), |r| {
        // SAFETY: A pending group means the device is on its queue, with IOMMU.
        unsafe { respond(ds.dev, &r) }
    });
    while st.dev.as_ref().map_or(0, |d| d.busy_route(route)) != 0 {
        // Handlers take only this mutex (to answer), never the locks our
        // caller holds, so they finish and signal.
        ds.handler_done.wait(&mut st);
    }
}

/// Allocates a fault queue (`iopf_queue_alloc()`).
///
/// # Safety
///
/// `name` must be a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn iopf_queue_alloc(name: *const c_char) -> *mut bindings::iopf_queue {
    // SAFETY: The caller guarantees `name` is a C string.
    let wq = unsafe { bindings::sva_rs_alloc_iopf_wq(name) };
    if wq.is_null() {
        return ptr::null_mut();
    }
    let q = KBox::pin_init(
        pin_init!(IopfQueue {
            wq,
            devs <- new_mutex!(RBTree::new(), "sva_rs_iopf_queue"),
        }),
        GFP_KERNEL,
    );
    match q {
        // SAFETY: Never moved; freed by `iopf_queue_free` from the pointer.
        Ok(q) => KBox::into_raw(unsafe { Pin::into_inner_unchecked(q) }).cast(),
        Err(_) => {
            // SAFETY: Unused new workqueue.
            unsafe { bindings::destroy_workqueue(wq) };
            ptr::null_mut()
        }
    }
}

/// Takes `ds` off `q`, answering its pending groups `INVALID`.
fn remove_locked(q: &IopfQueue, devs: &mut DevList, ds: &Arc<DevSva>) {
    let mut st = ds.iopf.lock();
    if !ptr::eq(st.queue, q) {
        pr_warn!("iopf_queue_remove_device: device not on this queue\n");
        drop(st);
        // Never leave it listed (iopf_queue_free() would loop on it).
        devs.remove(&(&**ds as *const DevSva as usize));
        return;
    }
    if let Some(idev) = st.dev.as_mut() {
        // SAFETY: The device is live while its state is.
        idev.remove_device(|r| unsafe { respond(ds.dev, &r) });
    }
    st.queue = ptr::null();
    drop(st);
    devs.remove(&(&**ds as *const DevSva as usize));
}

/// Frees a fault queue and takes its devices off (`iopf_queue_free()`).
///
/// # Safety
///
/// `queue` must come from [`iopf_queue_alloc`] (or be null) and not be used
/// afterwards.
#[no_mangle]
pub unsafe extern "C" fn iopf_queue_free(queue: *mut bindings::iopf_queue) {
    if queue.is_null() {
        return;
    }
    // SAFETY: Made by `iopf_queue_alloc`.
    let q = unsafe { KBox::from_raw(queue as *mut IopfQueue) };
    {
        let mut devs = q.devs.lock();
        loop {
            let Some(ds) = devs.values().next().cloned() else {
                break;
            };
            remove_locked(&q, &mut devs, &ds);
        }
    }
    // SAFETY: Flushes and frees the queue's workqueue.
    unsafe { bindings::destroy_workqueue(q.wq) };
}

/// Adds a device to a queue (`iopf_queue_add_device()`).
///
/// # Safety
///
/// `queue` must come from [`iopf_queue_alloc`], `dev` be a live device.
#[no_mangle]
pub unsafe extern "C" fn iopf_queue_add_device(
    queue: *mut bindings::iopf_queue,
    dev: *mut bindings::device,
) -> c_int {
    if queue.is_null() || dev.is_null() {
        return EINVAL.to_errno();
    }
    // SAFETY: The caller guarantees `dev` is live.
    if unsafe { dev_ops(dev) }
        .and_then(|o| o.page_response)
        .is_none()
    {
        return ENODEV.to_errno();
    }
    // SAFETY: As above.
    let ds = match unsafe { DevSva::get_or_create(dev) } {
        Ok(ds) => ds,
        Err(e) => return e.to_errno(),
    };
    // SAFETY: The caller guarantees the queue is live.
    let q = unsafe { &*(queue as *const IopfQueue) };
    let mut devs = q.devs.lock();
    let mut st = ds.iopf.lock();
    if !st.queue.is_null() {
        return EBUSY.to_errno();
    }
    match st.dev.as_mut() {
        Some(idev) if !idev.is_quiescent() => idev.reopen(),
        _ => match KVBox::<IopfDev>::new_uninit(GFP_KERNEL) {
            Ok(mut idev) => {
                IopfDev::init_in_place(&mut idev);
                // SAFETY: Initialised in place just above.
                st.dev = Some(unsafe { idev.assume_init() });
            }
            Err(_) => return ENOMEM.to_errno(),
        },
    }
    let key = &*ds as *const DevSva as usize;
    if devs
        .try_create_and_insert(key, ds.clone(), GFP_KERNEL)
        .is_err()
    {
        return ENOMEM.to_errno();
    }
    st.queue = q;
    0
}

/// Removes a device from its queue (`iopf_queue_remove_device()`).
///
/// # Safety
///
/// `queue` must come from [`iopf_queue_alloc`], `dev` be a live device.
#[no_mangle]
pub unsafe extern "C" fn iopf_queue_remove_device(
    queue: *mut bindings::iopf_queue,
    dev: *mut bindings::device,
) {
    if queue.is_null() || dev.is_null() {
        return;
    }
    // SAFETY: The caller guarantees `dev` is live.
    let Some(ds) = (unsafe { DevSva::get(dev) }) else {
        pr_warn!("iopf_queue_remove_device: device was never added\n");
        return;
    };
    // SAFETY: The caller guarantees the queue is live.
    let q = unsafe { &*(queue as *const IopfQueue) };
    let mut devs = q.devs.lock();
    remove_locked(q, &mut devs, &ds);
}

/// Waits for the faults queued for a device (`iopf_queue_flush_dev()`).
///
/// # Safety
///
/// `dev` must be a live device.
#[no_mangle]
pub unsafe extern "C" fn iopf_queue_flush_dev(dev: *mut bindings::device) -> c_int {
    if dev.is_null() {
        return ENODEV.to_errno();
    }
    // SAFETY: The caller guarantees `dev` is live.
    let Some(ds) = (unsafe { DevSva::get(dev) }) else {
        return ENODEV.to_errno();
    };
    let st = ds.iopf.lock();
    if st.queue.is_null() {
        return ENODEV.to_errno();
    }
    // SAFETY: The queue is live while the device is on it.
    let wq = unsafe { (*st.queue).wq };
    drop(st);
    // SAFETY: As above; the driver does not remove the device meanwhile.
    unsafe { bindings::__flush_workqueue(wq) };
    0
}

/// Drops every partial request of a queue's devices
/// (`iopf_queue_discard_partial()`).
///
/// # Safety
///
/// `queue` must come from [`iopf_queue_alloc`] or be null.
#[no_mangle]
pub unsafe extern "C" fn iopf_queue_discard_partial(queue: *mut bindings::iopf_queue) -> c_int {
    if queue.is_null() {
        return EINVAL.to_errno();
    }
    // SAFETY: The caller guarantees the queue is live.
    let q = unsafe { &*(queue as *const IopfQueue) };
    let devs = q.devs.lock();
    for ds in devs.values() {
        if let Some(idev) = ds.iopf.lock().dev.as_mut() {
            idev.discard_partial();
        }
    }
    0
}
