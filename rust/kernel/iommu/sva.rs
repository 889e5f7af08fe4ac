// SPDX-License-Identifier: GPL-2.0

//! Shared virtual addressing: letting a device use a process's addresses.
//!
//! C header: [`include/linux/iommu.h`](srctree/include/linux/iommu.h)
//!
//! A device driver that wants its device to DMA on the virtual addresses
//! of a process:
//!
//! 1. enables the IOMMU features the device needs with [`FeatureGuard`]
//!    (I/O page faults first when the device faults through the IOMMU,
//!    then SVA); dropping a guard disables its feature again;
//! 2. takes a reference to the process's address space ([`Mm::current`]);
//! 3. binds it with [`Bond::bind`], or [`Bond::bind_with_exit`] to be told
//!    when the process exits before the driver unbinds, and programs
//!    [`Bond::pasid`] into the device;
//! 4. stops the device's use of the PASID, then drops the [`Bond`].
//!
//! Binding the same address space to the same device twice returns the
//! same PASID and needs two drops; an address space keeps one PASID for
//! its whole life, whatever device it is bound to.
//!
//! # Examples
//!
//! ```
//! use kernel::device::Device;
//! use kernel::iommu::sva::{Bond, Feature, FeatureGuard, Mm};
//! use kernel::prelude::*;
//!
//! struct Context {
//!     // Fields drop in declaration order: unbind before disabling SVA,
//!     // and SVA before I/O page faults.
//!     bond: Bond,
//!     _sva: FeatureGuard,
//!     _iopf: FeatureGuard,
//! }
//!
//! fn open(dev: &Device) -> Result<Context> {
//!     let iopf = FeatureGuard::enable(dev, Feature::Iopf)?;
//!     let sva = FeatureGuard::enable(dev, Feature::Sva)?;
//!     let mm = Mm::current().ok_or(ESRCH)?;
//!     let bond = Bond::bind(dev, &mm)?;
//!     pr_info!("process bound at PASID {}\n", bond.pasid());
//!     Ok(Context { bond, _sva: sva, _iopf: iopf })
//! }
//! # let _ = open;
//! ```

use crate::{
    alloc::{flags::GFP_KERNEL, KBox},
    bindings,
    device::Device,
    error::{code::*, to_result, Error, Result},
    types::ARef,
};
use core::ptr::NonNull;
use core::sync::atomic::{AtomicBool, Ordering};

/// A per-device IOMMU feature (`enum iommu_dev_features`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feature {
    /// `IOMMU_DEV_FEAT_IOPF`: the device's page faults are handled by the
    /// IOMMU core.
    Iopf,
    /// `IOMMU_DEV_FEAT_SVA`: the device may be bound to address spaces.
    Sva,
}

impl Feature {
    fn raw(self) -> bindings::iommu_dev_features {
        match self {
            Feature::Iopf => bindings::iommu_dev_features_IOMMU_DEV_FEAT_IOPF,
            Feature::Sva => bindings::iommu_dev_features_IOMMU_DEV_FEAT_SVA,
        }
    }
}

/// An enabled IOMMU feature of a device, disabled on drop.
///
/// # Examples
///
/// ```
/// use kernel::device::Device;
/// use kernel::iommu::sva::{Feature, FeatureGuard};
///
/// fn probe_sva(dev: &Device) -> bool {
///     // Enabling twice fails (-EBUSY), so the guard is the one owner.
///     FeatureGuard::enable(dev, Feature::Sva).is_ok()
/// }
/// # let _ = probe_sva;
/// ```
pub struct FeatureGuard {
    dev: ARef<Device>,
    feat: Feature,
}

impl FeatureGuard {
    /// Enables `feat` on `dev` (`iommu_dev_enable_feature()`).
    ///
    /// Fails with the IOMMU driver's error: `-ENODEV` without an IOMMU,
    /// `-EBUSY` when already enabled, `-EINVAL` when unsupported or out of
    /// order.
    pub fn enable(dev: &Device, feat: Feature) -> Result<Self> {
        // SAFETY: `dev` is a live device.
        to_result(unsafe { bindings::iommu_dev_enable_feature(dev.as_raw(), feat.raw()) })?;
        Ok(FeatureGuard {
            dev: dev.into(),
            feat,
        })
    }

    /// The feature this guard holds.
    pub fn feature(&self) -> Feature {
        self.feat
    }
}

impl Drop for FeatureGuard {
    fn drop(&mut self) {
        let (dev, feat) = (self.dev.as_raw(), self.feat.raw());
        // SAFETY: The feature was enabled on this live device.
        let ret = unsafe { bindings::iommu_dev_disable_feature(dev, feat) };
        if ret != 0 {
            crate::pr_warn!("cannot disable IOMMU feature {:?}: {}\n", self.feat, ret);
        }
    }
}

/// A user reference to an address space (`mmget()`), released on drop.
///
/// # Invariants
///
/// `mm` is a live mm on which this object holds a user reference.
pub struct Mm {
    mm: NonNull<bindings::mm_struct>,
}

// SAFETY: A user reference can be dropped from any thread.
unsafe impl Send for Mm {}
// SAFETY: `&Mm` only exposes the pointer.
unsafe impl Sync for Mm {}

impl Mm {
    /// The address space of the current process, `None` for kernel threads
    /// and exiting processes (`get_task_mm(current)`).
    pub fn current() -> Option<Self> {
        // SAFETY: `current` is always a valid task.
        let mm = unsafe { bindings::get_task_mm(bindings::get_current()) };
        NonNull::new(mm).map(|mm| Mm { mm })
    }

    /// The C `struct mm_struct`.
    pub fn as_raw(&self) -> *mut bindings::mm_struct {
        self.mm.as_ptr()
    }
}

impl Drop for Mm {
    fn drop(&mut self) {
        // SAFETY: By the invariant we hold a user reference.
        unsafe { bindings::mmput(self.mm.as_ptr()) };
    }
}

/// Told when the address space of a [`Bond`] goes away.
pub trait MmExit: Send + Sync + 'static {
    /// The process exited (or exec'd) while bound: the device must stop
    /// using `pasid` now. Its accesses fault from here on; the bond stays
    /// valid and is dropped by the driver as usual. Called once, in the
    /// exiting process's context, and must not sleep for long.
    fn mm_exit(&self, pasid: u32);
}

/// The part of an [`ExitNotifier`] that does not depend on its handler.
#[repr(C)]
struct ExitHeader {
    mn: bindings::mmu_notifier,
    /// Set by [`Bond`]'s drop before it unregisters: unregistering calls
    /// `release` too, which is then not an exit.
    unbinding: AtomicBool,
    pasid: u32,
}

/// Registration of an [`MmExit`] handler with the mm's notifiers.
#[repr(C)]
struct ExitNotifier<E: MmExit> {
    hdr: ExitHeader,
    handler: E,
}

impl<E: MmExit> ExitNotifier<E> {
    const OPS: bindings::mmu_notifier_ops = bindings::mmu_notifier_ops {
        release: Some(Self::release),
        ..pin_default_ops()
    };

    /// The mm's `release` notification.
    ///
    /// # Safety
    ///
    /// `mn` must be the `mn` field of a live, registered `ExitNotifier<E>`.
    unsafe extern "C" fn release(mn: *mut bindings::mmu_notifier, _mm: *mut bindings::mm_struct) {
        let this = mn.cast::<Self>();
        // SAFETY: First field of a live notifier, unregistered before it is freed.
        let this = unsafe { &*this };
        if !this.hdr.unbinding.load(Ordering::Acquire) {
            this.handler.mm_exit(this.hdr.pasid);
        }
    }
}

const fn pin_default_ops() -> bindings::mmu_notifier_ops {
    // SAFETY: All-zero is a valid ops table: every callback is `None`.
    unsafe { core::mem::MaybeUninit::zeroed().assume_init() }
}

/// Frees an unregistered `ExitNotifier<E>` given its first field.
///
/// # Safety
///
/// `mn` must come from `KBox::into_raw` of an `ExitNotifier<E>` that is no
/// longer registered.
unsafe fn free_notifier<E: MmExit>(mn: *mut bindings::mmu_notifier) {
    // SAFETY: Guaranteed by the caller.
    drop(unsafe { KBox::from_raw(mn.cast::<ExitNotifier<E>>()) });
}

// SAFETY: The notifier is only touched by the mm core under its own
// locking, and `E` is `Send + Sync`.
unsafe impl<E: MmExit> Send for ExitNotifier<E> {}
// SAFETY: As above.
unsafe impl<E: MmExit> Sync for ExitNotifier<E> {}

/// A device bound to an address space at a PASID; unbound on drop.
///
/// # Invariants
///
/// `handle` is a live bond from `iommu_sva_bind_device()` with a reference
/// owned by this object. When `exit_free` is set, `exit_mn` is a notifier
/// this object owns (freed by `exit_free`), registered on `mm`, and `mm` is
/// held with `mmgrab()`.
pub struct Bond {
    handle: NonNull<bindings::iommu_sva>,
    exit_free: Option<unsafe fn(*mut bindings::mmu_notifier)>,
    exit_mn: *mut bindings::mmu_notifier,
    mm: *mut bindings::mm_struct,
}

// SAFETY: A bond can be dropped from any thread; the handle is only passed
// to thread-safe C functions.
unsafe impl Send for Bond {}
// SAFETY: `&Bond` only reads the PASID.
unsafe impl Sync for Bond {}

impl Bond {
    /// Binds `mm` to `dev` (`iommu_sva_bind_device()`).
    ///
    /// Fails with `-EINVAL` if SVA is not enabled on `dev`, `-EOVERFLOW`
    /// if the mm's PASID is beyond what `dev` supports, `-ENOSPC` when no
    /// PASID is left, or the IOMMU driver's error.
    pub fn bind(dev: &Device, mm: &Mm) -> Result<Self> {
        // SAFETY: `dev` is live and we hold a user reference to `mm`.
        let h = unsafe { bindings::iommu_sva_bind_device(dev.as_raw(), mm.as_raw()) };
        let v = h as isize;
        if (-4095..0).contains(&v) {
            return Err(Error::from_errno(v as i32));
        }
        let handle = NonNull::new(h).ok_or(ENOMEM)?;
        Ok(Bond {
            handle,
            exit_free: None,
            exit_mn: core::ptr::null_mut(),
            mm: core::ptr::null_mut(),
        })
    }

    /// Binds like [`Bond::bind`] and calls `handler` if the process exits
    /// while the bond exists, so the driver can stop its device.
    pub fn bind_with_exit<E: MmExit>(dev: &Device, mm: &Mm, handler: E) -> Result<Self> {
        let mut bond = Self::bind(dev, mm)?;
        let mut n = KBox::new(
            ExitNotifier {
                hdr: ExitHeader {
                    // SAFETY: All-zero is a valid unregistered notifier.
                    mn: unsafe { core::mem::zeroed() },
                    unbinding: AtomicBool::new(false),
                    pasid: bond.pasid(),
                },
                handler,
            },
            GFP_KERNEL,
        )?;
        n.hdr.mn.ops = &ExitNotifier::<E>::OPS;
        let mn = KBox::into_raw(n).cast::<bindings::mmu_notifier>();
        // SAFETY: Zeroed notifier, static ops, stable allocation; `mm` is held.
        if let Err(e) = to_result(unsafe { bindings::mmu_notifier_register(mn, mm.as_raw()) }) {
            // SAFETY: Not registered.
            unsafe { free_notifier::<E>(mn) };
            return Err(e);
        }
        // SAFETY: Kept for `mmu_notifier_unregister()`, which needs the mm.
        unsafe { bindings::mmgrab(mm.as_raw()) };
        bond.mm = mm.as_raw();
        bond.exit_mn = mn;
        bond.exit_free = Some(free_notifier::<E>);
        Ok(bond)
    }

    /// The PASID the device must use for the address space
    /// (`iommu_sva_get_pasid()`).
    pub fn pasid(&self) -> u32 {
        // SAFETY: By the invariant the handle is live.
        unsafe { bindings::iommu_sva_get_pasid(self.handle.as_ptr()) }
    }
}

impl Drop for Bond {
    fn drop(&mut self) {
        if let Some(free) = self.exit_free.take() {
            // SAFETY: By the invariant `exit_mn` starts a live `ExitHeader`.
            let hdr = unsafe { &*self.exit_mn.cast::<ExitHeader>() };
            hdr.unbinding.store(true, Ordering::Release);
            // SAFETY: Registered on the held mm; unregister waits for `release`.
            unsafe {
                bindings::mmu_notifier_unregister(self.exit_mn, self.mm);
                free(self.exit_mn);
                bindings::mmdrop(self.mm);
            }
        }
        // SAFETY: By the invariant we own one reference to the bond.
        unsafe { bindings::iommu_sva_unbind_device(self.handle.as_ptr()) };
    }
}
