// SPDX-License-Identifier: GPL-2.0

//! Test DMA devices behind the software SMMUv3 model.
//!
//! A node `compatible = "iommu-sva-rs,sva-test-dev"` whose `iommus` names
//! a model SMMU ([`crate::model_backend`]) becomes `/dev/smmu-sva-test.N`
//! (`N` from `iommu-sva-rs,index`). The uapi is
//! `include/uapi/linux/smmu-sva-test.h`: a process enables I/O page faults
//! and SVA, binds its mm, and submits DMA jobs the device runs through the
//! model, one transaction per 4KB at most, translated through the tables
//! the driver programmed. A fault makes the device wait, as hardware
//! would: for the page request response (`iommu-sva-rs,pri`) or for the
//! `CMD_RESUME` of its stalled transaction (`dma-can-stall`), which the
//! driver and the I/O page fault core send once the kernel has handled the
//! fault. The job then retries the transaction.

use crate::{
    device::lookup,
    domain::PropertyPresent,
    hw::event::id as evt,
    model::{DmaEngine, DmaError, DmaStatus, TermCause},
    model_backend::{DmaData, DvmSnoop, ModelSmmu},
};
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::ffi::{c_int, c_long, c_uint, c_ulong};
use kernel::{
    bindings, c_str, dev_info,
    device::Device,
    iommu::{
        sva::{Bond, Mm},
        DeviceIommu,
    },
    new_condvar, new_mutex, platform,
    prelude::*,
    str::CString,
    sync::{Arc, CondVar, Mutex},
    types::{ARef, Opaque},
    uaccess::UserSlice,
};

const FAULT_PRI: u32 = 1;
const FAULT_STALL: u32 = 2;
const FEAT_IOPF: u32 = 1 << 0;
const FEAT_SVA: u32 = 1 << 1;
const CAP_ATS: u32 = 1 << 8;
const CAP_BTM: u32 = 1 << 9;
const OP_FILL: u32 = 1;
const OP_CHECK: u32 = 2;
const OP_COPY: u32 = 3;
const DMA_PASID: u32 = 1 << 0;
const DMA_NOFAULT: u32 = 1 << 1;
const DMA_MAX: u64 = 16 << 20;

/// Bytes moved per model step (and bounce buffer size).
const CHUNK: usize = 64 << 10;
/// How long a transaction waits for its fault to be answered.
const FAULT_TIMEOUT_MS: u64 = 10_000;
/// PASIDs one file may hold with `HOLD_PASIDS`.
const MAX_HELD_PASIDS: u32 = 4096;

/// `struct smmu_sva_test_info`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Info {
    size: u32,
    sid: u32,
    pasid_bits: u32,
    fault_mode: u32,
    features: u32,
    bonds: u32,
}

/// `struct smmu_sva_test_dma`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct DmaJob {
    size: u32,
    op: u32,
    flags: u32,
    pasid: u32,
    addr: u64,
    src: u64,
    len: u64,
    pattern: u64,
    done: u64,
    result: i32,
    faults: u32,
    reserved: u64,
}

/// `struct smmu_sva_test_stats`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct StatsOut {
    size: u32,
    reserved: u32,
    tlb_entries: u64,
    tlbi_commands: u64,
    page_requests: u64,
    stalls: u64,
    events: u64,
    commands: u64,
    atc_entries: u64,
    atc_inv_commands: u64,
    ats_requests: u64,
    broadcast_tlbis: u64,
}

/// `_IOC(dir, 0xb6, nr, size)` as in `<asm-generic/ioctl.h>`.
const fn ioc(dir: u32, nr: u32, size: usize) -> u32 {
    (dir << 30) | ((size as u32) << 16) | (0xb6 << 8) | nr
}
const IOC_NONE: u32 = 0;
const IOC_WRITE: u32 = 1;
const IOC_READ: u32 = 2;
const IOC_INFO: u32 = ioc(IOC_READ | IOC_WRITE, 0, core::mem::size_of::<Info>());
const IOC_ENABLE: u32 = ioc(IOC_NONE, 1, 0);
const IOC_DISABLE: u32 = ioc(IOC_NONE, 2, 0);
const IOC_BIND: u32 = ioc(IOC_READ, 3, 4);
const IOC_UNBIND: u32 = ioc(IOC_NONE, 4, 0);
const IOC_PASID: u32 = ioc(IOC_READ, 5, 4);
const IOC_DMA: u32 = ioc(IOC_READ | IOC_WRITE, 6, core::mem::size_of::<DmaJob>());
const IOC_HOLD_PASIDS: u32 = ioc(IOC_WRITE, 7, 4);
const IOC_STATS: u32 = ioc(IOC_READ | IOC_WRITE, 8, core::mem::size_of::<StatsOut>());

/// Plain-old-data structures copied to and from user space.
///
/// # Safety
///
/// Implementors are `repr(C)` integers without padding: every bit pattern
/// is a valid value, and every byte is initialised (so copying one to user
/// space leaks nothing).
unsafe trait Pod: Copy + Default {}
// The uapi layouts, without padding.
const _: () = assert!(core::mem::size_of::<Info>() == 24);
const _: () = assert!(core::mem::size_of::<DmaJob>() == 72);
const _: () = assert!(core::mem::size_of::<StatsOut>() == 88);

// SAFETY: `repr(C)` integers only.
unsafe impl Pod for Info {}
// SAFETY: `repr(C)` integers only.
unsafe impl Pod for DmaJob {}
// SAFETY: `repr(C)` integers only.
unsafe impl Pod for StatsOut {}
// SAFETY: an integer.
unsafe impl Pod for u32 {}

fn read_user<T: Pod>(arg: c_ulong) -> Result<T> {
    let mut v = T::default();
    let n = core::mem::size_of::<T>();
    let mut r = UserSlice::new(arg as _, n).reader();
    // SAFETY: `T: Pod`, so any bytes form a valid `T`; the slice covers exactly `v`.
    let bytes = unsafe { core::slice::from_raw_parts_mut(&mut v as *mut T as *mut u8, n) };
    r.read_slice(bytes)?;
    Ok(v)
}

fn write_user<T: Pod>(arg: c_ulong, v: &T) -> Result {
    let n = core::mem::size_of::<T>();
    let mut w = UserSlice::new(arg as _, n).writer();
    // SAFETY: `T: Pod` has no uninitialised bytes that matter to the caller; the slice covers `v`.
    let bytes = unsafe { core::slice::from_raw_parts(v as *const T as *const u8, n) };
    w.write_slice(bytes)
}

/// Device state shared by its open files.
struct DevState {
    features: u32,
}

/// One test device.
///
/// # Invariants
///
/// `misc` is registered from [`SvaTestDev::probe`] until the driver data
/// is dropped, and its `name` points into `name`.
#[pin_data]
struct TestDev {
    dev: ARef<Device>,
    sid: u32,
    pasid_bits: u32,
    fault_mode: u32,
    /// Translates through ATS (`iommu-sva-rs,ats`).
    ats: bool,
    /// The driver shares CPU ASIDs on this SMMU (BTM).
    shares_asids: bool,
    model: Arc<ModelSmmu>,
    name: CString,
    bonds: core::sync::atomic::AtomicU32,
    #[pin]
    state: Mutex<DevState>,
    #[pin]
    misc: Opaque<bindings::miscdevice>,
}

// SAFETY: the misc device is used through the C API, which serialises it.
unsafe impl Send for TestDev {}
// SAFETY: as above; the rest is locked or atomic.
unsafe impl Sync for TestDev {}

impl TestDev {
    fn feature(&self, f: u32, enable: bool) -> Result {
        // SAFETY: `dev` is live and bound to this driver.
        let r = unsafe {
            if enable {
                bindings::iommu_dev_enable_feature(DeviceIommu::raw(&self.dev), f)
            } else {
                bindings::iommu_dev_disable_feature(DeviceIommu::raw(&self.dev), f)
            }
        };
        kernel::error::to_result(r)
    }

    fn enable(&self) -> Result {
        let mut st = self.state.lock();
        if st.features & FEAT_IOPF == 0 {
            self.feature(bindings::iommu_dev_features_IOMMU_DEV_FEAT_IOPF, true)?;
            st.features |= FEAT_IOPF;
        }
        if st.features & FEAT_SVA == 0 {
            self.feature(bindings::iommu_dev_features_IOMMU_DEV_FEAT_SVA, true)?;
            st.features |= FEAT_SVA;
        }
        Ok(())
    }

    fn disable(&self) -> Result {
        let mut st = self.state.lock();
        if st.features & FEAT_SVA != 0 {
            self.feature(bindings::iommu_dev_features_IOMMU_DEV_FEAT_SVA, false)?;
            st.features &= !FEAT_SVA;
        }
        if st.features & FEAT_IOPF != 0 {
            self.feature(bindings::iommu_dev_features_IOMMU_DEV_FEAT_IOPF, false)?;
            st.features &= !FEAT_IOPF;
        }
        Ok(())
    }
}

/// Per open file.
struct FileInner {
    bond: Option<Bond>,
    /// With a BTM model: the CPUs' TLB invalidations of the bond's mm,
    /// replayed to the model. Dropped after the bond.
    snoop: Option<DvmSnoop>,
    held: KVec<u32>,
    /// DMA jobs running through this file.
    jobs: u32,
}

struct FileState {
    dev: Arc<TestDev>,
    inner: Pin<KBox<Mutex<FileInner>>>,
    /// Set by an unbind: running jobs stop at their next step, as a
    /// driver stops its device's work for a PASID before unbinding it.
    abort: AtomicBool,
    /// Woken when the last running job ends.
    idle: Pin<KBox<CondVar>>,
}

impl Drop for FileState {
    fn drop(&mut self) {
        let mut inner = self.inner.lock();
        if inner.bond.take().is_some() {
            self.dev
                .bonds
                .fetch_sub(1, core::sync::atomic::Ordering::Relaxed);
        }
        drop(inner.snoop.take());
        for &p in inner.held.iter() {
            // SAFETY: allocated by `iommu_alloc_global_pasid` for this file.
            unsafe { bindings::iommu_free_global_pasid(p) };
        }
        // SAFETY: `u32`s need no drop; every element was handled above.
        unsafe { inner.held.set_len(0) };
    }
}

/// The errno a device-visible DMA error maps to (see the uapi header).
fn dma_errno(e: DmaError) -> Error {
    match e {
        DmaError::Terminated(t) => match t.cause {
            TermCause::Fault(
                evt::F_TRANSLATION | evt::F_ADDR_SIZE | evt::F_ACCESS | evt::F_PERMISSION,
            ) => EFAULT,
            TermCause::Fault(evt::C_BAD_SUBSTREAMID | evt::C_BAD_CD | evt::F_CD_FETCH) => ENOENT,
            _ => EIO,
        },
        DmaError::StallAborted | DmaError::PageRequestRefused(_) | DmaError::AtsNoAccess => EFAULT,
        // The SMMU refused to translate at all (no context for the PASID).
        DmaError::AtsUnsupported => ENOENT,
        _ => EIO,
    }
}

/// Fills `buf` with the pattern bytes of offsets `base..` of a job.
fn fill_pattern(buf: &mut [u8], base: u64, pattern: u64) {
    for (i, b) in buf.iter_mut().enumerate() {
        let at = base.wrapping_add(i as u64);
        *b = (pattern >> (8 * (at % 8))) as u8;
    }
}

/// The jiffies counter.
fn jiffies() -> c_ulong {
    // SAFETY: a word-sized read of a counter the timer interrupt updates.
    unsafe { core::ptr::read_volatile(core::ptr::addr_of!(bindings::jiffies)) }
}

/// A DMA job in progress.
struct Job<'a> {
    dev: &'a TestDev,
    engine: DmaEngine,
    nofault: bool,
    faults: u32,
    abort: &'a AtomicBool,
}

impl Job<'_> {
    /// Moves `data` at `va`, waiting for faults to be answered.
    fn step(&mut self, va: u64, data: DmaData<'_>) -> Result<(), (usize, Error)> {
        let r = self.step_inner(va, data);
        if r.is_err() {
            // A job that stops while waiting (unbind, NOFAULT, timeout,
            // signal) tells the model, so that the answer, when it comes,
            // does not linger in its stall or page request table.
            let engine = &mut self.engine;
            self.dev.model.with(|m| engine.abandon(m));
        }
        r
    }

    fn step_inner(&mut self, va: u64, mut data: DmaData<'_>) -> Result<(), (usize, Error)> {
        let total = match &data {
            DmaData::Read(b) => b.len(),
            DmaData::Write(b) => b.len(),
        };
        let mut off = 0usize;
        let mut waiting = None;
        // SAFETY: a conversion with no preconditions.
        let timeout = unsafe { bindings::__msecs_to_jiffies(FAULT_TIMEOUT_MS as c_uint) };
        let deadline = jiffies().wrapping_add(timeout);
        loop {
            if self.abort.load(Ordering::Acquire) {
                // Unbound under the job: the device drops its work.
                return Err((off, ENOENT));
            }
            let part = match &mut data {
                DmaData::Read(b) => DmaData::Read(&mut b[off..]),
                DmaData::Write(b) => DmaData::Write(&b[off..]),
            };
            match self
                .dev
                .model
                .dma(&mut self.engine, va.wrapping_add(off as u64), part)
            {
                DmaStatus::Complete => {
                    if self.engine.razwi_bytes != 0 {
                        return Err((total, EIO));
                    }
                    return Ok(());
                }
                DmaStatus::Failed { done, error } => return Err((off + done, dma_errno(error))),
                DmaStatus::NeedsService { done, wait } => {
                    off += done;
                    if waiting != Some(wait) || done != 0 {
                        self.faults = self.faults.saturating_add(1);
                        waiting = Some(wait);
                    }
                    if self.nofault {
                        return Err((off, EFAULT));
                    }
                    if (jiffies().wrapping_sub(deadline) as isize) >= 0 {
                        return Err((off, crate::errno::etimedout()));
                    }
                    if self.dev.model.wait_progress() {
                        return Err((off, EINTR));
                    }
                }
            }
        }
    }
}

/// Runs `job`, filling in its outputs.
fn run_dma(dev: &TestDev, pasid: u32, job: &mut DmaJob, abort: &AtomicBool) -> Result {
    let nofault = job.flags & DMA_NOFAULT != 0;
    let mut engine = DmaEngine::new(dev.sid, Some(pasid));
    // Without PRI a fault is terminated (and recorded) instead of sent.
    if dev.fault_mode == FAULT_PRI && !nofault {
        engine = engine.with_pri();
    }
    engine.ats = dev.ats;
    let mut j = Job {
        dev,
        engine,
        nofault,
        faults: 0,
        abort,
    };
    let mut buf = KVVec::from_elem(0u8, CHUNK, GFP_KERNEL)?;
    let mut cmp = if job.op == OP_CHECK {
        KVVec::from_elem(0u8, CHUNK, GFP_KERNEL)?
    } else {
        KVVec::new()
    };
    let mut done = 0u64;
    let mut result: Result = Ok(());
    while done < job.len {
        let n = (job.len - done).min(CHUNK as u64) as usize;
        let dst = job.addr.wrapping_add(done);
        let r = match job.op {
            OP_FILL => {
                fill_pattern(&mut buf[..n], done, job.pattern);
                j.step(dst, DmaData::Write(&buf[..n]))
            }
            OP_CHECK => match j.step(dst, DmaData::Read(&mut buf[..n])) {
                Ok(()) => {
                    fill_pattern(&mut cmp[..n], done, job.pattern);
                    match buf[..n].iter().zip(&cmp[..n]).position(|(a, b)| a != b) {
                        Some(i) => Err((i, crate::errno::eilseq())),
                        None => Ok(()),
                    }
                }
                Err(e) => Err(e),
            },
            _ => {
                let src = job.src.wrapping_add(done);
                match j.step(src, DmaData::Read(&mut buf[..n])) {
                    // Nothing was written for a failed read.
                    Err((_, e)) => Err((0, e)),
                    Ok(()) => j.step(dst, DmaData::Write(&buf[..n])),
                }
            }
        };
        match r {
            Ok(()) => done += n as u64,
            Err((part, e)) => {
                done += part.min(n) as u64;
                result = Err(e);
                break;
            }
        }
        // SAFETY: `current` is always valid.
        if unsafe { bindings::signal_pending(bindings::get_current()) } != 0 {
            result = Err(EINTR);
            break;
        }
    }
    job.done = done;
    job.faults = j.faults;
    job.result = match result {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    };
    Ok(())
}

fn capable_admin() -> bool {
    // SAFETY: checks the current task's credentials.
    unsafe { bindings::capable(bindings::CAP_SYS_ADMIN as c_int) }
}

impl FileState {
    fn ioctl(&self, cmd: u32, arg: c_ulong) -> Result<c_long> {
        let dev = &*self.dev;
        match cmd {
            IOC_INFO => {
                let mut info: Info = read_user(arg)?;
                if info.size as usize != core::mem::size_of::<Info>() {
                    return Err(EINVAL);
                }
                info.sid = dev.sid;
                info.pasid_bits = dev.pasid_bits;
                info.fault_mode = dev.fault_mode;
                info.features = dev.state.lock().features
                    | if dev.ats { CAP_ATS } else { 0 }
                    | if dev.shares_asids { CAP_BTM } else { 0 };
                info.bonds = dev.bonds.load(core::sync::atomic::Ordering::Relaxed);
                write_user(arg, &info)?;
                Ok(0)
            }
            IOC_ENABLE => dev.enable().map(|()| 0),
            IOC_DISABLE => dev.disable().map(|()| 0),
            IOC_BIND => {
                let mut inner = self.inner.lock();
                if inner.bond.is_some() {
                    return Err(EBUSY);
                }
                let mm = Mm::current().ok_or(ESRCH)?;
                let bond = Bond::bind(&dev.dev, &mm)?;
                // After the bind, so the snoop runs before the driver's
                // notifier (see `DvmSnoop::register`). Whenever the model
                // has BTM, as the interconnect broadcasts whatever the
                // driver chose.
                let snoop = if dev.model.btm() {
                    Some(DvmSnoop::register(dev.model.clone(), &mm)?)
                } else {
                    None
                };
                let pasid = bond.pasid();
                write_user(arg, &pasid)?;
                inner.bond = Some(bond);
                inner.snoop = snoop;
                dev.bonds
                    .fetch_add(1, core::sync::atomic::Ordering::Relaxed);
                Ok(0)
            }
            IOC_UNBIND => {
                let mut inner = self.inner.lock();
                let bond = inner.bond.take().ok_or(ENOENT)?;
                // The device must stop using the PASID before it is
                // unbound (and possibly handed to another process): stop
                // the running jobs and wait for them. Each ends at its
                // next step, or after one fault timeout at worst.
                self.abort.store(true, Ordering::Release);
                while inner.jobs > 0 {
                    self.idle.wait(&mut inner);
                }
                self.abort.store(false, Ordering::Release);
                let snoop = inner.snoop.take();
                drop(inner);
                drop(bond);
                drop(snoop);
                dev.bonds
                    .fetch_sub(1, core::sync::atomic::Ordering::Relaxed);
                Ok(0)
            }
            IOC_PASID => {
                let pasid = self.inner.lock().bond.as_ref().ok_or(ENOENT)?.pasid();
                write_user(arg, &pasid)?;
                Ok(0)
            }
            IOC_DMA => {
                let mut job: DmaJob = read_user(arg)?;
                if job.size as usize != core::mem::size_of::<DmaJob>()
                    || !(OP_FILL..=OP_COPY).contains(&job.op)
                    || job.flags & !(DMA_PASID | DMA_NOFAULT) != 0
                    || job.len == 0
                    || job.len > DMA_MAX
                    || job.reserved != 0
                {
                    return Err(EINVAL);
                }
                let explicit = job.flags & DMA_PASID != 0;
                if explicit {
                    if !capable_admin() {
                        return Err(EPERM);
                    }
                    if u64::from(job.pasid) >= 1u64 << dev.pasid_bits {
                        return Err(EINVAL);
                    }
                }
                let pasid = {
                    let mut inner = self.inner.lock();
                    let pasid = if explicit {
                        job.pasid
                    } else {
                        inner.bond.as_ref().ok_or(ENOENT)?.pasid()
                    };
                    // Counted with the PASID taken, under one lock: an
                    // unbind either comes first (no bond: ENOENT) or waits
                    // for the job to stop.
                    inner.jobs += 1;
                    pasid
                };
                let r = run_dma(dev, pasid, &mut job, &self.abort);
                {
                    let mut inner = self.inner.lock();
                    inner.jobs -= 1;
                    if inner.jobs == 0 {
                        self.idle.notify_all();
                    }
                }
                r?;
                write_user(arg, &job)?;
                Ok(0)
            }
            IOC_HOLD_PASIDS => {
                if !capable_admin() {
                    return Err(EPERM);
                }
                let n: u32 = read_user(arg)?;
                let mut inner = self.inner.lock();
                if n > MAX_HELD_PASIDS.saturating_sub(inner.held.len() as u32) {
                    return Err(EINVAL);
                }
                inner.held.reserve(n as usize, GFP_KERNEL)?;
                for _ in 0..n {
                    let raw = DeviceIommu::raw(&dev.dev);
                    // SAFETY: `raw` is live; the PASID is freed when the file closes.
                    let p = unsafe { bindings::iommu_alloc_global_pasid(raw) };
                    if p == bindings::IOMMU_PASID_INVALID as u32 {
                        return Err(ENOSPC);
                    }
                    inner.held.push(p, GFP_KERNEL)?;
                }
                Ok(0)
            }
            IOC_STATS => {
                let mut out: StatsOut = read_user(arg)?;
                if out.size as usize != core::mem::size_of::<StatsOut>() || out.reserved != 0 {
                    return Err(EINVAL);
                }
                let (s, occ) = dev.model.stats();
                out.tlb_entries = occ.tlb as u64;
                out.atc_entries = occ.atc as u64;
                out.atc_inv_commands = s.atc_inv_commands;
                out.ats_requests = s.ats_requests;
                out.broadcast_tlbis = s.broadcast_tlbis;
                out.tlbi_commands = s.tlbi_commands;
                out.page_requests = s.pri_written;
                out.stalls = s.stalls;
                out.events = s.events_written;
                out.commands = s.commands;
                write_user(arg, &out)?;
                Ok(0)
            }
            _ => Err(ENOTTY),
        }
    }
}

/// # Safety
///
/// Called by the VFS through `misc_open`, which set `private_data` to the
/// registered `miscdevice`.
unsafe extern "C" fn fop_open(_inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
    // SAFETY: `misc_open` stored our `miscdevice` in `private_data`.
    let misc = unsafe { (*file).private_data } as *const u8;
    let off = core::mem::offset_of!(TestDev, misc);
    // SAFETY: the misc device is the `misc` field of a live, registered `TestDev` (type invariant).
    let td = unsafe { &*(misc.sub(off) as *const TestDev) };
    // SAFETY: `td` is kept alive by the driver data while registered; a new reference is taken.
    let dev: Arc<TestDev> = unsafe { kernel::sync::ArcBorrow::from_raw(td) }.into();
    let r = (|| -> Result<KBox<FileState>> {
        let inner = KBox::pin_init(
            new_mutex!(
                FileInner {
                    bond: None,
                    snoop: None,
                    held: KVec::new(),
                    jobs: 0,
                },
                "smmu_sva_test:file"
            ),
            GFP_KERNEL,
        )?;
        let idle = KBox::pin_init(new_condvar!("smmu_sva_test:idle"), GFP_KERNEL)?;
        Ok(KBox::new(
            FileState {
                dev,
                inner,
                abort: AtomicBool::new(false),
                idle,
            },
            GFP_KERNEL,
        )?)
    })();
    match r {
        Ok(f) => {
            // SAFETY: `file` is being opened; we own `private_data` from now on.
            unsafe { (*file).private_data = KBox::into_raw(f) as *mut _ };
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// # Safety
///
/// Called by the VFS once per successful open.
unsafe extern "C" fn fop_release(_inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
    // SAFETY: set by `fop_open` from a `KBox<FileState>`, released once.
    drop(unsafe { KBox::from_raw((*file).private_data as *mut FileState) });
    0
}

/// # Safety
///
/// Called by the VFS on an open file.
unsafe extern "C" fn fop_ioctl(file: *mut bindings::file, cmd: c_uint, arg: c_ulong) -> c_long {
    // SAFETY: set by `fop_open`; valid until `fop_release`, which cannot run concurrently.
    let f = unsafe { &*((*file).private_data as *const FileState) };
    match f.ioctl(cmd, arg) {
        Ok(v) => v,
        Err(e) => e.to_errno() as c_long,
    }
}

/// `file_operations` in a static.
#[repr(transparent)]
struct Fops(bindings::file_operations);
// SAFETY: immutable after construction; holds only function pointers.
unsafe impl Sync for Fops {}

static FOPS: Fops = Fops({
    // SAFETY: all-zero is "no callback" for every field.
    let mut f: bindings::file_operations = unsafe { core::mem::zeroed() };
    f.open = Some(fop_open);
    f.release = Some(fop_release);
    f.unlocked_ioctl = Some(fop_ioctl);
    f
});

kernel::of_id_table!(
    TEST_OF_TABLE,
    (),
    [(c_str!("iommu-sva-rs,sva-test-dev"), ())]
);

/// The bound test device.
pub(crate) struct SvaTestDev {
    td: Arc<TestDev>,
}

fn read_u32_prop(dev: &Device, name: &CStr) -> Option<u32> {
    let mut v = 0u32;
    // SAFETY: `dev` is live, `name` NUL-terminated, `v` room for one value.
    let r = unsafe {
        bindings::device_property_read_u32_array(
            DeviceIommu::raw(dev),
            name.as_char_ptr(),
            &mut v,
            1,
        )
    };
    (r == 0).then_some(v)
}

impl platform::Driver for SvaTestDev {
    type IdInfo = ();
    const NAME: &'static CStr = c_str!("smmu-sva-test");
    const OF_ID_TABLE: kernel::of::IdTable<()> = TEST_OF_TABLE;
    const SUPPRESS_BIND_ATTRS: bool = true;

    fn probe(pdev: &platform::Device, _info: Option<&'static ()>) -> Result<Pin<KBox<Self>>> {
        let dev: ARef<Device> = pdev.as_dev().into();
        let fwnode = DeviceIommu::iommu_fwnode(&dev).ok_or(ENODEV)?;
        let smmu = lookup(fwnode).ok_or(EPROBE_DEFER)?;
        let model = smmu.hw.io().model().ok_or(ENODEV)?.clone();
        let sid = *DeviceIommu::ids(&dev)
            .and_then(|i| i.first())
            .ok_or(ENODEV)?;
        let fault_mode = if dev.property_present(c_str!("dma-can-stall")) {
            FAULT_STALL
        } else {
            FAULT_PRI
        };
        let pasid_bits = read_u32_prop(&dev, c_str!("pasid-num-bits"))
            .unwrap_or(0)
            .min(u32::from(smmu.features.ssidsize));
        let index = read_u32_prop(&dev, c_str!("iommu-sva-rs,index")).unwrap_or(0);
        let ats = dev.property_present(c_str!("iommu-sva-rs,ats")) && smmu.features.ats;
        let shares_asids = smmu.btm();
        let name = CString::try_from_fmt(format_args!("smmu-sva-test.{index}"))?;
        let td = Arc::pin_init(
            pin_init!(TestDev {
                dev,
                sid,
                pasid_bits,
                fault_mode,
                ats,
                shares_asids,
                model,
                name,
                bonds: core::sync::atomic::AtomicU32::new(0),
                state <- new_mutex!(DevState { features: 0 }, "smmu_sva_test:dev"),
                // SAFETY: an all-zero `miscdevice` is unregistered; filled below.
                misc: Opaque::new(unsafe { core::mem::zeroed() }),
            }),
            GFP_KERNEL,
        )?;
        let misc = td.misc.get();
        // SAFETY: `misc` is pinned in the `Arc` and not registered yet; `name` and `FOPS` outlive it.
        let r = unsafe {
            (*misc).minor = bindings::MISC_DYNAMIC_MINOR as c_int;
            (*misc).name = td.name.as_char_ptr();
            (*misc).fops = &FOPS.0;
            (*misc).parent = DeviceIommu::raw(&td.dev);
            (*misc).mode = 0o600;
            bindings::misc_register(misc)
        };
        kernel::error::to_result(r)?;
        dev_info!(
            &td.dev,
            "/dev/{}: StreamID {sid:#x}, {pasid_bits} PASID bits, {}{}\n",
            td.name.to_str().unwrap_or("?"),
            if fault_mode == FAULT_STALL {
                "stall"
            } else {
                "PRI"
            },
            if ats { ", ATS" } else { "" }
        );
        Ok(KBox::pin(Self { td }, GFP_KERNEL)?)
    }
}

impl Drop for SvaTestDev {
    fn drop(&mut self) {
        // SAFETY: registered in `probe` (type invariant of `TestDev`).
        unsafe { bindings::misc_deregister(self.td.misc.get()) };
        let _ = self.td.disable();
    }
}
