// SPDX-License-Identifier: GPL-2.0

//! Platform devices and drivers.
//!
//! C header: [`include/linux/platform_device.h`](srctree/include/linux/platform_device.h)
//!
//! A driver implements [`Driver`] and registers itself with
//! [`module_platform_driver!`]. The driver core calls [`Driver::probe`] for
//! every device whose device tree `compatible` matches the driver's
//! [`of::IdTable`]; the object `probe` returns is owned by the binding and
//! dropped when the device is unbound, so `Drop` is the driver's `remove`.

use crate::{
    bindings, device,
    error::{code::*, from_result, to_result, Error, Result},
    ffi::{c_int, c_void},
    init::InPlaceInit,
    io_mem::IoMem,
    of,
    prelude::*,
    str::CStr,
    types::{ForeignOwnable, Opaque},
    ThisModule,
};
use core::marker::PhantomData;

/// A platform device.
///
/// # Invariants
///
/// `self.0` is a valid `struct platform_device`, alive for as long as the
/// reference to this object exists (the driver core keeps it alive while a
/// driver is bound and while `probe`/`remove` run).
#[repr(transparent)]
pub struct Device(Opaque<bindings::platform_device>);

impl Device {
    /// # Safety
    ///
    /// `ptr` must point to a valid `struct platform_device` that stays valid
    /// for `'a`.
    unsafe fn from_raw<'a>(ptr: *mut bindings::platform_device) -> &'a Self {
        // SAFETY: `Device` is a transparent wrapper of the C struct, and the
        // caller guarantees validity for `'a`.
        unsafe { &*ptr.cast() }
    }

    fn as_raw(&self) -> *mut bindings::platform_device {
        self.0.get()
    }

    /// The generic device embedded in this platform device.
    pub fn as_dev(&self) -> &device::Device {
        // SAFETY: by the type invariant `self.as_raw()` is valid, so is its
        // embedded `dev`, for as long as `self` is borrowed.
        unsafe { device::Device::as_ref(core::ptr::addr_of_mut!((*self.as_raw()).dev)) }
    }

    /// The memory resource number `index`, if the device has one.
    pub fn mem_resource(&self, index: u32) -> Option<Resource> {
        // SAFETY: `self.as_raw()` is valid by the type invariant.
        let res = unsafe {
            bindings::platform_get_resource(self.as_raw(), bindings::IORESOURCE_MEM, index)
        };
        if res.is_null() {
            return None;
        }
        // SAFETY: a non-null result points into the device's resource array,
        // which lives as long as the device.
        let (start, end) = unsafe { ((*res).start, (*res).end) };
        Some(Resource { start, end })
    }

    /// Maps memory resource number `index` for MMIO and claims its region.
    ///
    /// Fails with `EINVAL` when the resource is missing or smaller than
    /// `min_size`, and with `EBUSY` when another driver owns the region.
    pub fn ioremap_resource(&self, index: u32, min_size: usize) -> Result<IoMem> {
        let res = self.mem_resource(index).ok_or(EINVAL)?;
        if res.size() < min_size as u64 {
            return Err(EINVAL);
        }
        IoMem::new(res.start, res.size() as usize, self.as_dev().name_cstr())
    }

    /// The Linux interrupt number of the interrupt called `name` in the
    /// firmware description, or an error (`ENXIO` when absent).
    pub fn irq_by_name(&self, name: &CStr) -> Result<u32> {
        // SAFETY: both pointers are valid for the call.
        let irq = unsafe {
            bindings::platform_get_irq_byname_optional(self.as_raw(), name.as_char_ptr())
        };
        if irq < 0 {
            return Err(Error::from_errno(irq));
        }
        Ok(irq as u32)
    }
}

impl device::Device {
    /// The device's firmware node (`dev_fwnode()`), an opaque identity used
    /// to match it with the firmware descriptions that refer to it.
    pub fn fwnode(&self) -> *mut bindings::fwnode_handle {
        // SAFETY: `self.as_raw()` is a valid device.
        unsafe { (*self.as_raw()).fwnode }
    }

    /// The device's name (`dev_name()`), e.g. `9050000.smmuv3`.
    pub fn name_cstr(&self) -> &CStr {
        // SAFETY: `self.as_raw()` is a valid device; `dev_name` returns the
        // device's NUL-terminated name (or its bus init name) which lives as
        // long as the device.
        unsafe { CStr::from_char_ptr(bindings::dev_name(self.as_raw())) }
    }
}

/// A range of physical addresses a device decodes.
#[derive(Clone, Copy, Debug)]
pub struct Resource {
    /// First address.
    pub start: u64,
    /// Last address (inclusive).
    pub end: u64,
}

impl Resource {
    /// Number of bytes in the range.
    pub fn size(&self) -> u64 {
        self.end.wrapping_sub(self.start).wrapping_add(1)
    }
}

/// A platform driver.
pub trait Driver: Sized + Send + Sync + 'static {
    /// Driver data attached to each entry of [`Driver::OF_ID_TABLE`].
    type IdInfo: Send + Sync + 'static;

    /// The driver's name, shown in sysfs under `/sys/bus/platform/drivers/`.
    const NAME: &'static CStr;

    /// The device tree compatibles this driver binds.
    const OF_ID_TABLE: of::IdTable<Self::IdInfo>;

    /// Whether to hide the sysfs `bind`/`unbind` files, for drivers that
    /// must not be unbound while the system runs (e.g. an IOMMU).
    const SUPPRESS_BIND_ATTRS: bool = false;

    /// Binds the driver to `pdev`; `info` is the data of the matching entry.
    ///
    /// The returned object lives until the device is unbound; dropping it
    /// must release the device.
    fn probe(pdev: &Device, info: Option<&'static Self::IdInfo>) -> Result<Pin<KBox<Self>>>;
}

/// Glue between the C driver core and a [`Driver`].
struct Adapter<T: Driver>(PhantomData<T>);

impl<T: Driver> Adapter<T> {
    /// # Safety
    ///
    /// Called only by the driver core, with a live platform device.
    unsafe extern "C" fn probe_callback(pdev: *mut bindings::platform_device) -> c_int {
        from_result(|| {
            // SAFETY: the driver core passes a valid device that stays alive
            // for the duration of `probe`.
            let dev = unsafe { Device::from_raw(pdev) };
            // SAFETY: `dev` is a valid device.
            let data = unsafe { bindings::device_get_match_data(dev.as_dev().as_raw()) };
            let info = T::OF_ID_TABLE.info_from_match_data(data);
            let drvdata = T::probe(dev, info)?;
            // SAFETY: `pdev` is valid; ownership of `drvdata` moves into the
            // device until `remove_callback` takes it back.
            unsafe { bindings::platform_set_drvdata(pdev, drvdata.into_foreign() as *mut c_void) };
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Called only by the driver core, with a live platform device.
    unsafe extern "C" fn remove_callback(pdev: *mut bindings::platform_device) {
        // SAFETY: `pdev` is valid during `remove`.
        let ptr = unsafe { bindings::platform_get_drvdata(pdev) };
        // SAFETY: `remove` is only called after a successful `probe`, which
        // stored a pointer from `Pin<KBox<T>>::into_foreign`; it is taken
        // back exactly once here.
        drop(unsafe { <Pin<KBox<T>> as ForeignOwnable>::from_foreign(ptr) });
    }
}

/// A registered platform driver.
///
/// # Invariants
///
/// `drv` is registered with the driver core from construction until drop,
/// and does not move in between (the registration is only handed out
/// pinned).
pub struct Registration<T: Driver> {
    drv: Opaque<bindings::platform_driver>,
    _p: PhantomData<T>,
}

// SAFETY: the registration is only touched at creation and drop; the driver
// core serialises its own use of the C structure.
unsafe impl<T: Driver> Send for Registration<T> {}
// SAFETY: `&Registration` exposes nothing.
unsafe impl<T: Driver> Sync for Registration<T> {}

impl<T: Driver> Registration<T> {
    /// Registers `T` with the driver core.
    pub fn new(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        let init = move |slot: *mut Self| {
            // SAFETY: `slot` is valid, pinned storage for `Self`; `_p` is a
            // ZST that needs no initialisation.
            let drv = unsafe { Opaque::raw_get(core::ptr::addr_of!((*slot).drv)) };
            // SAFETY: `drv` is valid for writes; an all-zero
            // `platform_driver` is a valid starting point for registration.
            unsafe {
                drv.write(core::mem::zeroed());
                (*drv).driver.name = T::NAME.as_char_ptr();
                (*drv).driver.of_match_table = T::OF_ID_TABLE.as_raw();
                (*drv).driver.suppress_bind_attrs = T::SUPPRESS_BIND_ATTRS;
                (*drv).probe = Some(Adapter::<T>::probe_callback);
                (*drv).__bindgen_anon_1.remove = Some(Adapter::<T>::remove_callback);
            }
            // SAFETY: `drv` is initialised and will not move (pinned).
            to_result(unsafe { bindings::__platform_driver_register(drv, module.as_ptr()) })
        };
        // SAFETY: on success `init` initialised every field of `Self`; on
        // failure nothing was registered and nothing needs dropping.
        unsafe { crate::init::pin_init_from_closure(init) }
    }
}

impl<T: Driver> Drop for Registration<T> {
    fn drop(&mut self) {
        // SAFETY: by the type invariant the driver is registered.
        unsafe { bindings::platform_driver_unregister(self.drv.get()) };
    }
}

/// The module object created by [`module_platform_driver!`].
pub struct Module<T: Driver> {
    _reg: Pin<KBox<Registration<T>>>,
}

impl<T: Driver> crate::Module for Module<T> {
    fn init(module: &'static ThisModule) -> Result<Self> {
        Ok(Self {
            _reg: KBox::try_pin_init(Registration::new(module), GFP_KERNEL)?,
        })
    }
}

/// Declares a kernel module (or built-in initcall) that registers a
/// platform driver.
///
/// # Examples
///
/// ```ignore
/// kernel::module_platform_driver! {
///     type: MyDriver,
///     name: "my_driver",
///     author: "Someone",
///     description: "An example",
///     license: "GPL",
/// }
/// ```
#[macro_export]
macro_rules! module_platform_driver {
    (type: $type:ty, $($f:tt)*) => {
        type __PlatformModule = $crate::platform::Module<$type>;
        $crate::prelude::module! {
            type: __PlatformModule,
            $($f)*
        }
    };
}
