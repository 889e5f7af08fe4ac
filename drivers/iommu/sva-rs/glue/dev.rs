// SPDX-License-Identifier: GPL-2.0

//! Per-device state and the feature API.
//!
//! A device gets a [`DevSva`] the first time a feature is enabled on it or
//! it is added to an IOPF queue. The state is reference counted; one
//! reference is published in `dev->iommu->fault_param` (a field only the
//! SVA core uses; its C type is irrelevant to us) under
//! `dev->iommu->lock`, and dropped by `iommu.c` through
//! [`iommu_sva_rs_dev_release`] when the device leaves the IOMMU.
//!
//! The IOMMU driver keeps the rules about which feature may be enabled
//! when (6.12 semantics, driver by driver); the core records the result so
//! that it can refuse to bind a device without SVA and to disable SVA
//! under live bonds.

use crate::sva::bond::Feature;
use core::ptr;
use kernel::alloc::flags::GFP_KERNEL;
use kernel::bindings;
use kernel::error::{code::*, Result};
use kernel::ffi::{c_int, c_uint};
use kernel::prelude::*;
use kernel::sync::{Arc, CondVar, Mutex};
use kernel::{new_condvar, new_mutex};

#[cfg(CONFIG_IOMMU_IOPF)]
use crate::iopf::IopfState;

/// Without I/O page faults a device has no fault state.
#[cfg(not(CONFIG_IOMMU_IOPF))]
pub(crate) struct IopfState;

#[cfg(not(CONFIG_IOMMU_IOPF))]
impl IopfState {
    fn new() -> Self {
        IopfState
    }
}

/// Feature and bond state of a device. (Whether IOPF is enabled is the
/// driver's business: the core only needs SVA's state.)
pub(crate) struct FeatState {
    /// `IOMMU_DEV_FEAT_SVA` is enabled.
    pub(crate) sva: bool,
    /// Number of (device, mm) bonds.
    pub(crate) bonds: u32,
}

/// The SVA core's state of one device.
///
/// # Invariants
///
/// `dev` is the device this state was published for. The published
/// reference is dropped by [`iommu_sva_rs_dev_release`] before
/// `dev->iommu` is freed; other references (bonds, fault groups, a queue's
/// device list) may outlive that, so `dev` is only dereferenced by
/// operations that run while the device has its IOMMU: feature changes and
/// binds by its driver, and responses to groups that are pending, which
/// only exist while the device is on a fault queue (removal from the queue
/// answers them, and the driver removes the device before releasing it).
#[pin_data]
pub(crate) struct DevSva {
    pub(crate) dev: *mut bindings::device,
    #[pin]
    pub(crate) feat: Mutex<FeatState>,
    #[pin]
    pub(crate) iopf: Mutex<IopfState>,
    /// Signalled when a handler that a removal overtook finishes.
    #[pin]
    pub(crate) handler_done: CondVar,
}

// SAFETY: `dev` is only used as an identifier and to call kernel functions
// that are safe to call from any thread; the rest is behind mutexes.
unsafe impl Send for DevSva {}
// SAFETY: As above: shared access only goes through the mutexes.
unsafe impl Sync for DevSva {}

/// `dev->iommu`, or null.
///
/// # Safety
///
/// `dev` must point to a live device.
pub(crate) unsafe fn dev_param(dev: *mut bindings::device) -> *mut bindings::dev_iommu {
    // SAFETY: The caller guarantees `dev` is live.
    unsafe { (*dev).iommu }
}

/// The IOMMU ops of a device bound to an IOMMU (`dev_has_iommu()`).
///
/// # Safety
///
/// `dev` must point to a live device.
pub(crate) unsafe fn dev_ops(dev: *mut bindings::device) -> Option<&'static bindings::iommu_ops> {
    // SAFETY: The caller guarantees `dev` is live.
    let param = unsafe { dev_param(dev) };
    // SAFETY: A non-null `dev->iommu` is valid while the device is live.
    if param.is_null() || unsafe { (*param).iommu_dev }.is_null() {
        return None;
    }
    // SAFETY: `dev_has_iommu()` holds: the instance's static ops.
    unsafe { bindings::dev_iommu_ops(dev).as_ref() }
}

impl DevSva {
    /// The published state of `dev`, with a new reference.
    ///
    /// # Safety
    ///
    /// `dev` must point to a live device.
    pub(crate) unsafe fn get(dev: *mut bindings::device) -> Option<Arc<DevSva>> {
        // SAFETY: The caller guarantees `dev` is live.
        let param = unsafe { dev_param(dev) };
        if param.is_null() {
            return None;
        }
        // SAFETY: `param` is valid, its mutex is initialised.
        unsafe { bindings::mutex_lock(ptr::addr_of_mut!((*param).lock)) };
        // SAFETY: `fault_param` is protected by the mutex we hold.
        let raw = unsafe { (*param).fault_param } as *const DevSva;
        let found = if raw.is_null() {
            None
        } else {
            // SAFETY: A published reference lives while we hold the lock; clone it.
            Some(unsafe { Arc::from_raw(raw) }.into_cloned_leak())
        };
        // SAFETY: Locked above.
        unsafe { bindings::mutex_unlock(ptr::addr_of_mut!((*param).lock)) };
        found
    }

    /// The state of `dev`, created and published if needed.
    ///
    /// # Safety
    ///
    /// `dev` must point to a live device.
    pub(crate) unsafe fn get_or_create(dev: *mut bindings::device) -> Result<Arc<DevSva>> {
        // SAFETY: The caller guarantees `dev` is live.
        let param = unsafe { dev_param(dev) };
        if param.is_null() {
            return Err(ENODEV);
        }
        // SAFETY: As in `get`.
        if let Some(ds) = unsafe { Self::get(dev) } {
            return Ok(ds);
        }
        let new = Arc::pin_init(
            pin_init!(DevSva {
                dev,
                feat <- new_mutex!(FeatState { sva: false, bonds: 0 }, "sva_rs_dev_feat"),
                iopf <- new_mutex!(IopfState::new(), "sva_rs_dev_iopf"),
                handler_done <- new_condvar!("sva_rs_dev_handler_done"),
            }),
            GFP_KERNEL,
        )?;
        // SAFETY: `param` is valid, its mutex is initialised.
        unsafe { bindings::mutex_lock(ptr::addr_of_mut!((*param).lock)) };
        // SAFETY: Protected by the mutex we hold.
        let cur = unsafe { (*param).fault_param } as *const DevSva;
        let ds = if cur.is_null() {
            let ds = new.clone();
            // SAFETY: Under the mutex; the published pointer owns one reference.
            unsafe { (*param).fault_param = new.into_raw() as *mut bindings::iommu_fault_param };
            ds
        } else {
            // Lost a race with another creator: use the published one.
            // SAFETY: As in `get`.
            unsafe { Arc::from_raw(cur) }.into_cloned_leak()
        };
        // SAFETY: Locked above.
        unsafe { bindings::mutex_unlock(ptr::addr_of_mut!((*param).lock)) };
        Ok(ds)
    }
}

/// Cloning a borrowed raw reference without consuming it.
trait CloneLeak {
    fn into_cloned_leak(self) -> Self;
}

impl CloneLeak for Arc<DevSva> {
    /// Returns a clone and forgets `self` (which was made from a raw
    /// reference somebody else owns).
    fn into_cloned_leak(self) -> Self {
        let c = self.clone();
        core::mem::forget(self);
        c
    }
}

/// Drops the published state of a device leaving its IOMMU; called by
/// `dev_iommu_free()` in `iommu.c` before `dev->iommu` is freed.
///
/// # Safety
///
/// `dev` must point to a live device whose `dev->iommu` is valid or null.
#[no_mangle]
pub unsafe extern "C" fn iommu_sva_rs_dev_release(dev: *mut bindings::device) {
    // SAFETY: The caller guarantees `dev` is live.
    let param = unsafe { dev_param(dev) };
    if param.is_null() {
        return;
    }
    // SAFETY: `param` is valid, its mutex is initialised.
    unsafe { bindings::mutex_lock(ptr::addr_of_mut!((*param).lock)) };
    // SAFETY: Protected by the mutex we hold.
    let raw = unsafe { ptr::replace(&mut (*param).fault_param, ptr::null_mut()) };
    // SAFETY: Locked above.
    unsafe { bindings::mutex_unlock(ptr::addr_of_mut!((*param).lock)) };
    if !raw.is_null() {
        // SAFETY: The published pointer owned one reference.
        drop(unsafe { Arc::from_raw(raw as *const DevSva) });
    }
}

/// `iommu_dev_enable_feature()`: the driver decides, the core records.
///
/// # Safety
///
/// `dev` must point to a live device.
#[no_mangle]
pub unsafe extern "C" fn iommu_dev_enable_feature(
    dev: *mut bindings::device,
    feat: c_uint,
) -> c_int {
    // SAFETY: The caller guarantees `dev` is live.
    let Some(enable) = (unsafe { dev_ops(dev) }).and_then(|ops| ops.dev_enable_feat) else {
        return ENODEV.to_errno();
    };
    // SAFETY: As above.
    let ds = match unsafe { DevSva::get_or_create(dev) } {
        Ok(ds) => ds,
        Err(e) => return e.to_errno(),
    };
    let mut st = ds.feat.lock();
    // SAFETY: The driver's op is called as `iommu.c` would.
    let ret = unsafe { enable(dev, feat) };
    if ret == 0 {
        if Feature::from_raw(feat) == Ok(Feature::Sva) {
            st.sva = true;
        }
    }
    ret
}

/// `iommu_dev_disable_feature()`; SVA cannot be disabled under bonds.
///
/// # Safety
///
/// `dev` must point to a live device.
#[no_mangle]
pub unsafe extern "C" fn iommu_dev_disable_feature(
    dev: *mut bindings::device,
    feat: c_uint,
) -> c_int {
    // SAFETY: The caller guarantees `dev` is live.
    let Some(disable) = (unsafe { dev_ops(dev) }).and_then(|ops| ops.dev_disable_feat) else {
        // 6.12 answers -EBUSY here, unlike enable.
        return EBUSY.to_errno();
    };
    // SAFETY: As above.
    let Some(ds) = (unsafe { DevSva::get(dev) }) else {
        // Nothing was enabled through the core: let the driver answer.
        // SAFETY: The driver's op is called as `iommu.c` would.
        return unsafe { disable(dev, feat) };
    };
    let mut st = ds.feat.lock();
    let f = Feature::from_raw(feat);
    if f == Ok(Feature::Sva) && st.bonds != 0 {
        return EBUSY.to_errno();
    }
    // SAFETY: The driver's op is called as `iommu.c` would.
    let ret = unsafe { disable(dev, feat) };
    if ret == 0 {
        if f == Ok(Feature::Sva) {
            st.sva = false;
        }
    }
    ret
}
