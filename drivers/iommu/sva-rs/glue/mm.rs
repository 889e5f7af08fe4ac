// SPDX-License-Identifier: GPL-2.0

//! Per-mm state, bind and unbind (`iommu-sva.c`).
//!
//! `mm->iommu_mm` points to an [`MmData`] whose first field is the C
//! `struct iommu_mm_data`, so C inline code (`mm_get_enqcmd_pasid()`) keeps
//! reading the PASID where it expects it. Behind it, a [`SvaCore`] of its
//! own tracks that mm's PASID, bonds and SVA domains under the mm's mutex:
//! binds of different mms never wait for each other. Devices enter an mm's
//! core when first bound to it and stay (so rebinding is cheap) until the
//! mm goes; the feature state itself is per device ([`crate::dev`]).

use crate::dev::DevSva;
use crate::maps::TreeMap;
use crate::sva::bond::{
    Action, ActionResult, ActionValue, Bond, BondKey, BondState, DevId, DeviceInfo, DeviceState,
    DomainCookie, DomainKey, DomainState, Executor, Feature, IommuId, MmId, MmState, Outcome,
    SvaCore,
};
use crate::sva::errno::Errno;
use crate::sva::map::ArrayMap;
use core::ptr;
use core::sync::atomic::{AtomicPtr, AtomicU32, Ordering};
use kernel::alloc::flags::GFP_KERNEL;
use kernel::bindings;
use kernel::error::{code::*, Error, Result};
use kernel::ffi::c_void;
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};
use kernel::types::Opaque;

type MmCore = SvaCore<
    TreeMap<DevId, DeviceState>,
    ArrayMap<MmId, MmState, 1>,
    TreeMap<DomainKey, DomainState>,
    TreeMap<BondKey, BondState>,
>;

/// What an mm's mutex protects.
struct MmInner {
    core: MmCore,
    /// `struct iommu_device` pointers; an [`IommuId`] is an index.
    iommus: KVec<usize>,
    /// The handle of each bond of the mm, by device.
    handles: TreeMap<DevId, *mut SvaHandle>,
}

/// The state behind `mm->iommu_mm`.
///
/// # Invariants
///
/// `c` is first, so a `*mut MmData` is a valid `*mut iommu_mm_data`.
/// `c.pasid` is the mm's PASID while the mm has one, else
/// `IOMMU_PASID_INVALID`; it is written under `inner` and read locklessly
/// by C, hence [`Opaque`].
#[repr(C)]
#[pin_data]
struct MmData {
    c: Opaque<bindings::iommu_mm_data>,
    #[pin]
    inner: Mutex<MmInner>,
}

// SAFETY: The raw pointers in `MmInner` are only used under the mutex; `c`
// is only written under it (the list head is never used).
unsafe impl Send for MmData {}
// SAFETY: As above.
unsafe impl Sync for MmData {}

/// A bond as C sees it: `struct iommu_sva` first.
///
/// # Invariants
///
/// `c.handle` is installed at `bond.pasid()` of `c.dev` while the handle
/// exists; `mm` lives at least as long (the bond's domain holds the mm).
#[repr(C)]
struct SvaHandle {
    c: bindings::iommu_sva,
    bond: Bond,
    mm: *const MmData,
    mm_struct: *mut bindings::mm_struct,
    ds: Arc<DevSva>,
}

const PASID_INVALID: u32 = bindings::IOMMU_PASID_INVALID as u32;

fn err(e: Errno) -> Error {
    Error::from_errno(e.to_kernel())
}

fn errno(e: Error) -> Errno {
    Errno::new(e.to_errno()).unwrap_or(Errno::EINVAL)
}

/// `IS_ERR()` and `PTR_ERR()`.
fn ptr_err<T>(p: *mut T) -> Option<Error> {
    let v = p as isize;
    if (-4095..0).contains(&v) {
        Some(Error::from_errno(v as i32))
    } else {
        None
    }
}

fn err_ptr<T>(e: Error) -> *mut T {
    e.to_errno() as isize as *mut T
}

impl MmData {
    /// The data of `mm`, created (without a PASID) if it has none.
    ///
    /// # Safety
    ///
    /// `mm` must be live with a user reference held by the caller, so that
    /// `mm_pasid_drop()` cannot run concurrently.
    unsafe fn get_or_create(mm: *mut bindings::mm_struct) -> Result<&'static MmData> {
        // `iommu_mm` is only written with this cmpxchg and by `mm_pasid_drop()`.
        // SAFETY: The caller guarantees `mm` is live; the field is aligned.
        let slot = unsafe { AtomicPtr::from_ptr(&raw mut (*mm).__bindgen_anon_1.iommu_mm) };
        let cur = slot.load(Ordering::Acquire);
        if !cur.is_null() {
            // SAFETY: Published below, lives until `mm_pasid_drop()`, not yet possible.
            return Ok(unsafe { &*(cur as *const MmData) });
        }
        let new = KBox::pin_init(
            pin_init!(MmData {
                c: Opaque::new(bindings::iommu_mm_data {
                    pasid: PASID_INVALID,
                    sva_domains: bindings::list_head {
                        next: ptr::null_mut(),
                        prev: ptr::null_mut(),
                    },
                }),
                inner <- new_mutex!(
                    MmInner {
                        core: SvaCore::new(
                            TreeMap::new(),
                            ArrayMap::new(),
                            TreeMap::new(),
                            TreeMap::new()
                        ),
                        iommus: KVec::new(),
                        handles: TreeMap::new(),
                    },
                    "sva_rs_mm"
                ),
            }),
            GFP_KERNEL,
        )?;
        // SAFETY: Never moved; `mm_pasid_drop()` frees it from the raw pointer.
        let raw = KBox::into_raw(unsafe { Pin::into_inner_unchecked(new) });
        // SAFETY: `raw` is valid and unshared; the unused list is made empty.
        unsafe {
            let head = ptr::addr_of_mut!((*(*raw).c.get()).sva_domains);
            (*head).next = head;
            (*head).prev = head;
        }
        match slot.compare_exchange(
            ptr::null_mut(),
            raw.cast(),
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            // SAFETY: Published; lives until `mm_pasid_drop()`.
            Ok(_) => Ok(unsafe { &*raw }),
            Err(other) => {
                // SAFETY: `raw` came from `KBox::into_raw` and was never shared.
                drop(unsafe { KBox::from_raw(raw) });
                // SAFETY: As for `cur` above.
                Ok(unsafe { &*(other as *const MmData) })
            }
        }
    }

    /// Writes the PASID C readers see.
    fn set_pasid(&self, pasid: u32) {
        // SAFETY: Aligned `u32` in an `Opaque`; C reads it with `READ_ONCE()`.
        let p = unsafe { AtomicU32::from_ptr(ptr::addr_of_mut!((*self.c.get()).pasid)) };
        p.store(pasid, Ordering::Release);
    }
}

/// Performs the core's actions for one bind or unbind.
struct Exec<'a> {
    dev: *mut bindings::device,
    mm: *mut bindings::mm_struct,
    data: &'a MmData,
    /// The `iommu_sva` of a bond being made, attached once `AttachPasid`
    /// succeeded.
    new_handle: Option<KBox<SvaHandle>>,
    /// The attach handle of the bond being unbound: fault handlers that
    /// still use it are waited for.
    old_handle: usize,
    ds: &'a Arc<DevSva>,
}

impl Executor for Exec<'_> {
    fn perform(&mut self, action: &Action) -> ActionResult {
        match *action {
            Action::AllocPasid { .. } => {
                // The global allocator of `iommu.c` (shared with the other
                // PASID users of the system) honours `dev`'s limit.
                // SAFETY: `dev` is a live device with an IOMMU.
                let pasid = unsafe { bindings::iommu_alloc_global_pasid(self.dev) };
                if pasid == PASID_INVALID {
                    return Err(Errno::ENOSPC);
                }
                self.data.set_pasid(pasid);
                Ok(ActionValue::Pasid(pasid))
            }
            Action::FreePasid { pasid } => {
                self.data.set_pasid(PASID_INVALID);
                // SAFETY: The PASID came from `iommu_alloc_global_pasid()`.
                unsafe { bindings::iommu_free_global_pasid(pasid) };
                Ok(ActionValue::Unit)
            }
            Action::AllocDomain { .. } => {
                // SAFETY: `dev` and `mm` are live.
                let domain = unsafe { sva_domain_alloc(self.dev, self.mm) }.map_err(errno)?;
                Ok(ActionValue::Domain(DomainCookie(domain as usize)))
            }
            Action::FreeDomain { domain } => {
                // SAFETY: A domain from `sva_domain_alloc`, attached nowhere any more.
                unsafe { bindings::iommu_domain_free(domain.cookie.0 as *mut _) };
                Ok(ActionValue::Unit)
            }
            Action::AttachPasid { domain, pasid, .. } => {
                let mut h = match self.new_handle.take() {
                    Some(h) => h,
                    None => KBox::new(
                        SvaHandle {
                            // SAFETY: All-zero is a valid `iommu_sva`.
                            c: unsafe { core::mem::zeroed() },
                            bond: Bond::default(),
                            mm: self.data,
                            mm_struct: self.mm,
                            ds: self.ds.clone(),
                        },
                        GFP_KERNEL,
                    )
                    .map_err(|_| Errno::ENOMEM)?,
                };
                // SAFETY: Live domain and device; the handle is freed only after detach.
                let ret = unsafe {
                    bindings::iommu_attach_device_pasid(
                        domain.cookie.0 as *mut _,
                        self.dev,
                        pasid,
                        &mut h.c.handle,
                    )
                };
                if ret != 0 {
                    return Err(Errno::new(ret).unwrap_or(Errno::EINVAL));
                }
                self.new_handle = Some(h);
                Ok(ActionValue::Unit)
            }
            Action::DetachPasid { domain, pasid, .. } => {
                // SAFETY: `domain` is attached at `pasid` of `dev`.
                unsafe {
                    bindings::iommu_detach_device_pasid(domain.cookie.0 as *mut _, self.dev, pasid)
                };
                // A bond that failed after its attach keeps no handle.
                self.new_handle = None;
                Ok(ActionValue::Unit)
            }
            Action::FlushFaults { pasid, .. } => {
                #[cfg(CONFIG_IOMMU_IOPF)]
                crate::iopf::flush_pasid(self.ds, pasid, self.old_handle);
                #[cfg(not(CONFIG_IOMMU_IOPF))]
                let _ = pasid;
                Ok(ActionValue::Unit)
            }
            // Devices enter an mm's core as SVA-capable without IOPF, so
            // the core never asks for these.
            Action::IopfAddDevice { .. } => Err(Errno::EINVAL),
            Action::IopfRemoveDevice { .. } => Ok(ActionValue::Unit),
        }
    }
}

/// `iommu_sva_domain_alloc()`: an SVA domain for `mm` on `dev`'s IOMMU.
///
/// # Safety
///
/// `dev` must be a live device with an IOMMU, `mm` a live mm.
unsafe fn sva_domain_alloc(
    dev: *mut bindings::device,
    mm: *mut bindings::mm_struct,
) -> Result<*mut bindings::iommu_domain> {
    // SAFETY: The caller guarantees `dev` has an IOMMU.
    let ops = unsafe { crate::dev::dev_ops(dev) }.ok_or(ENODEV)?;
    let domain = if let Some(alloc) = ops.domain_alloc_sva {
        // SAFETY: The driver's op, called as `iommu-sva.c` does.
        let d = unsafe { alloc(dev, mm) };
        if let Some(e) = ptr_err(d) {
            return Err(e);
        }
        d
    } else if let Some(alloc) = ops.domain_alloc {
        // SAFETY: As above.
        let d = unsafe { alloc(bindings::IOMMU_DOMAIN_SVA) };
        if d.is_null() {
            return Err(ENOMEM);
        }
        d
    } else {
        return Err(Error::from_errno(-(bindings::EOPNOTSUPP as i32)));
    };
    if domain.is_null() {
        return Err(ENOMEM);
    }
    // SAFETY: A new domain we own; it keeps `mm` with `mmgrab()`.
    unsafe {
        (*domain).type_ = bindings::IOMMU_DOMAIN_SVA;
        bindings::mmgrab(mm);
        (*domain).__bindgen_anon_1.__bindgen_anon_2.mm = mm;
        (*domain).owner = ops;
        (*domain).iopf_handler = SVA_IOPF_HANDLER;
    }
    Ok(domain)
}

#[cfg(CONFIG_IOMMU_IOPF)]
const SVA_IOPF_HANDLER: Option<unsafe extern "C" fn(*mut bindings::iopf_group) -> i32> =
    Some(crate::iopf::sva_iopf_handler);
#[cfg(not(CONFIG_IOMMU_IOPF))]
const SVA_IOPF_HANDLER: Option<unsafe extern "C" fn(*mut bindings::iopf_group) -> i32> = None;

/// The index of `iommu` in `iommus`, added if new.
fn iommu_id(iommus: &mut KVec<usize>, iommu: usize) -> Result<IommuId> {
    if let Some(i) = iommus.iter().position(|&p| p == iommu) {
        return Ok(IommuId(i as u32));
    }
    iommus.push(iommu, GFP_KERNEL)?;
    Ok(IommuId((iommus.len() - 1) as u32))
}

/// Forgets a device that has no bond left in an mm's core (a device that
/// went away and whose address now names another).
fn prune_device(core: &mut MmCore, dev: DevId) {
    if core.device(dev).is_some_and(|d| d.bonds() == 0) {
        let mut nop = NoActions;
        let _ = core.run(&mut nop, |c| c.disable_feature(dev, Feature::Sva));
        let _ = core.remove_device(dev);
    }
}

/// For operations that need no action.
struct NoActions;

impl Executor for NoActions {
    fn perform(&mut self, _action: &Action) -> ActionResult {
        Err(Errno::EINVAL)
    }
}

/// `iommu_sva_bind_device()`.
///
/// # Safety
///
/// `dev` must be a live device, `mm` a live mm the caller holds a user
/// reference to.
unsafe fn bind(
    dev: *mut bindings::device,
    mm: *mut bindings::mm_struct,
) -> Result<*mut bindings::iommu_sva> {
    // SAFETY: The caller guarantees `dev` is live.
    if unsafe { (*dev).iommu_group }.is_null() {
        return Err(ENODEV);
    }
    if cfg!(CONFIG_X86) {
        // As 6.12: kernel page-table freeing on x86 does not notify IOMMUs.
        return Err(Error::from_errno(-(bindings::EOPNOTSUPP as i32)));
    }
    // SAFETY: As above.
    let ds = unsafe { DevSva::get(dev) }.ok_or(EINVAL)?;
    let mut feat = ds.feat.lock();
    if !feat.sva {
        // The device's driver never enabled IOMMU_DEV_FEAT_SVA.
        return Err(EINVAL);
    }
    // SAFETY: The caller holds a user reference to `mm`.
    let data = unsafe { MmData::get_or_create(mm) }?;
    let mut guard = data.inner.lock();
    let MmInner {
        core,
        iommus,
        handles,
    } = &mut *guard;
    let devid = DevId(dev as u64);
    let mmid = MmId(mm as u64);

    // A device stays in the mm's core after its last unbind, so that
    // binding it again does not redo the bookkeeping; its registration is
    // refreshed if the device behind this address changed.
    // SAFETY: `dev` has an IOMMU (it has SVA enabled).
    let param = unsafe { &*crate::dev::dev_param(dev) };
    let info = DeviceInfo {
        iommu: iommu_id(iommus, param.iommu_dev as usize)?,
        max_pasids: param.max_pasids,
        iopf_capable: false,
        sva_capable: true,
    };
    if core.device(devid).is_some_and(|d| *d.info() != info) {
        prune_device(core, devid);
    }
    if core.device(devid).is_none() {
        core.add_device(devid, info).map_err(err)?;
        let mut nop = NoActions;
        if let Err(e) = core.run(&mut nop, |c| c.enable_feature(devid, Feature::Sva)) {
            let _ = core.remove_device(devid);
            return Err(err(e));
        }
    }

    let mut exec = Exec {
        dev,
        mm,
        data,
        new_handle: None,
        old_handle: 0,
        ds: &ds,
    };
    let res = core.run(&mut exec, |c| c.bind(devid, mmid));
    let bond = match res {
        Ok(Outcome::Bound(bond)) => bond,
        Ok(_) => return Err(EINVAL),
        Err(e) => return Err(err(e)),
    };
    if let Some(h) = exec.new_handle.take() {
        let mut h = h;
        h.bond = bond;
        h.c.dev = dev;
        // The core counts the bond's users; the C field is left at one.
        h.c.users = bindings::refcount_t {
            refs: bindings::atomic_t { counter: 1 },
        };
        let raw = KBox::into_raw(h);
        if handles.insert(devid, raw).is_err() {
            // Cannot track the handle: undo the bond.
            // SAFETY: `raw` is the handle just made.
            let bond = unsafe { (*raw).bond };
            let mut exec = Exec {
                dev,
                mm,
                data,
                new_handle: None,
                old_handle: raw as usize,
                ds: &ds,
            };
            let _ = core.run(&mut exec, |c| c.unbind(&bond));
            // SAFETY: Detached by the unbind; nobody else has it.
            drop(unsafe { KBox::from_raw(raw) });
            return Err(ENOMEM);
        }
        feat.bonds += 1;
        return Ok(raw.cast());
    }
    use crate::sva::map::Map;
    match handles.get(&devid) {
        Some(&raw) => Ok(raw.cast()),
        None => Err(EINVAL),
    }
}

/// Binds `mm` to `dev` (`iommu_sva_bind_device()`): one PASID per mm, one
/// bond per (device, mm), counted.
///
/// # Safety
///
/// `dev` must be a live device, `mm` a live mm the caller holds a user
/// reference to.
#[no_mangle]
pub unsafe extern "C" fn iommu_sva_bind_device(
    dev: *mut bindings::device,
    mm: *mut bindings::mm_struct,
) -> *mut bindings::iommu_sva {
    if dev.is_null() || mm.is_null() {
        return err_ptr(EINVAL);
    }
    // SAFETY: Forwarded from the caller.
    match unsafe { bind(dev, mm) } {
        Ok(h) => h,
        Err(e) => err_ptr(e),
    }
}

/// Drops one reference to a bond (`iommu_sva_unbind_device()`); the last
/// one detaches the PASID after answering and flushing its faults.
///
/// # Safety
///
/// `handle` must come from [`iommu_sva_bind_device`] and have a reference
/// left.
#[no_mangle]
pub unsafe extern "C" fn iommu_sva_unbind_device(handle: *mut bindings::iommu_sva) {
    if handle.is_null() || ptr_err(handle).is_some() {
        return;
    }
    let raw = handle as *mut SvaHandle;
    // SAFETY: The caller guarantees the handle is live.
    let (bond, dev, mm) = unsafe { ((*raw).bond, (*raw).c.dev, (*raw).mm_struct) };
    // Freeing the last SVA domain of an mm whose process is gone drops the
    // last mm reference, and `mm_pasid_drop()` frees the `MmData` we are
    // working in: hold the mm until we are done.
    // SAFETY: The bond's domain holds `mm`.
    unsafe { bindings::mmgrab(mm) };
    // SAFETY: As above.
    unsafe { unbind_locked(raw, bond, dev) };
    // SAFETY: Taken above; may free the mm and its `MmData`.
    unsafe { bindings::mmdrop(mm) };
}

/// The body of [`iommu_sva_unbind_device`], with the mm held.
///
/// # Safety
///
/// `raw` must be a live handle whose mm the caller holds with `mmgrab()`.
unsafe fn unbind_locked(raw: *mut SvaHandle, bond: Bond, dev: *mut bindings::device) {
    // SAFETY: The caller guarantees the handle is live.
    let (data, ds) = unsafe { (&*(*raw).mm, (*raw).ds.clone()) };
    let mut feat = ds.feat.lock();
    let mut guard = data.inner.lock();
    let MmInner { core, handles, .. } = &mut *guard;
    let mut exec = Exec {
        dev,
        // SAFETY: The caller guarantees the handle is live.
        mm: unsafe { (*raw).mm_struct },
        data,
        new_handle: None,
        // `c.handle` is the first field: the handle is the bond's address.
        old_handle: raw as usize,
        ds: &ds,
    };
    match core.run(&mut exec, |c| c.unbind(&bond)) {
        Ok(Outcome::Unbound { detached: true, .. }) => {
            use crate::sva::map::Map;
            handles.remove(&bond.dev());
            feat.bonds = feat.bonds.saturating_sub(1);
            drop(guard);
            drop(feat);
            // SAFETY: Detached: nothing refers to the handle any more.
            drop(unsafe { KBox::from_raw(raw) });
        }
        Ok(_) => {}
        Err(e) => {
            pr_warn!("unbind of a stale or unknown SVA handle: {}\n", e.get());
        }
    }
}

/// The PASID of a bond (`iommu_sva_get_pasid()`).
///
/// # Safety
///
/// `handle` must come from [`iommu_sva_bind_device`] and be live.
#[no_mangle]
pub unsafe extern "C" fn iommu_sva_get_pasid(handle: *mut bindings::iommu_sva) -> u32 {
    if handle.is_null() || ptr_err(handle).is_some() {
        return PASID_INVALID;
    }
    // SAFETY: The caller guarantees the handle is live.
    unsafe { (*(handle as *mut SvaHandle)).bond.pasid() }
}

/// Frees an mm's PASID and data when the mm is destroyed (`__mmdrop()`).
///
/// May run in atomic context, so it takes no lock: nothing else can refer
/// to the mm any more (every SVA domain holds an mm reference, so no bond
/// is left).
///
/// # Safety
///
/// `mm` must be an mm being destroyed.
#[no_mangle]
pub unsafe extern "C" fn mm_pasid_drop(mm: *mut bindings::mm_struct) {
    // SAFETY: The caller guarantees `mm` is valid and unshared.
    let raw = unsafe {
        ptr::replace(
            ptr::addr_of_mut!((*mm).__bindgen_anon_1.iommu_mm),
            ptr::null_mut(),
        )
    };
    if raw.is_null() {
        return;
    }
    // SAFETY: A non-null `iommu_mm` is an `MmData` made by `get_or_create`.
    let data = unsafe { KBox::from_raw(raw as *mut MmData) };
    // SAFETY: Nothing else refers to the data any more.
    let pasid = unsafe { (*data.c.get()).pasid };
    if pasid != PASID_INVALID {
        // SAFETY: The PASID came from `iommu_alloc_global_pasid()`.
        unsafe { bindings::iommu_free_global_pasid(pasid) };
    }
    drop(data);
}

// `mm` is only used as an identifier in the core.
const _: () = assert!(core::mem::size_of::<*mut c_void>() <= 8);
