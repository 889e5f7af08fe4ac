// SPDX-License-Identifier: GPL-2.0

//! IOMMU drivers.
//!
//! C header: [`include/linux/iommu.h`](srctree/include/linux/iommu.h)
//!
//! An IOMMU driver describes its operations with two `#[vtable]` traits:
//! [`IommuOps`] (per IOMMU instance: probing devices, grouping them,
//! allocating domains) and [`DomainOps`] (per translation domain: attaching
//! devices, mapping, invalidating). [`ops_table`] and [`domain_ops_table`]
//! turn an implementation into the C `struct iommu_ops` and `struct
//! iommu_domain_ops` the IOMMU core calls.
//!
//! A domain is a [`Domain<T>`]: the C `struct iommu_domain` the core sees,
//! followed by the driver's data. The core hands back only the C pointer;
//! [`Domain::from_raw`] recovers the Rust object from it.
//!
//! [`io_pgtable`] wraps the C page-table library (`io-pgtable-arm`).

use crate::{
    alloc::{flags::GFP_KERNEL, KBox},
    bindings,
    device::Device,
    error::{from_result, to_result, Error, Result},
    ffi::{c_int, c_uint, c_ulong, c_void},
    str::CStr,
    types::Opaque,
};
use core::marker::PhantomData;
use macros::vtable;

pub mod io_pgtable;
#[cfg(all(CONFIG_IOMMU_SVA, CONFIG_MMU_NOTIFIER))]
pub mod sva;

/// `IOMMU_READ`: the device may read through the mapping.
pub const PROT_READ: i32 = bindings::IOMMU_READ as i32;
/// `IOMMU_WRITE`: the device may write through the mapping.
pub const PROT_WRITE: i32 = bindings::IOMMU_WRITE as i32;
/// `IOMMU_CACHE`: the mapping is cache coherent.
pub const PROT_CACHE: i32 = bindings::IOMMU_CACHE as i32;
/// `IOMMU_NOEXEC`: the device may not fetch instructions.
pub const PROT_NOEXEC: i32 = bindings::IOMMU_NOEXEC as i32;
/// `IOMMU_MMIO`: device memory.
pub const PROT_MMIO: i32 = bindings::IOMMU_MMIO as i32;

/// The kind of a domain (`IOMMU_DOMAIN_*`).
pub type DomainType = c_uint;

/// The IOMMU state of a device being probed or attached: its firmware
/// description (`struct iommu_fwspec`) and driver-private pointer.
///
/// All methods take the generic [`Device`].
pub struct DeviceIommu;

impl DeviceIommu {
    /// The C `struct device` of `dev`, for the device and IOMMU calls this
    /// module does not wrap.
    pub fn raw(dev: &Device) -> *mut bindings::device {
        dev.as_raw()
    }

    /// The IDs (StreamIDs on an SMMU) the firmware gives `dev`, or `None`
    /// if it has no IOMMU description.
    ///
    /// The slice lives as long as the device's fwspec, which the IOMMU core
    /// keeps until after `release_device`.
    pub fn ids(dev: &Device) -> Option<&[u32]> {
        // SAFETY: `dev` is valid.
        let fwspec = unsafe { bindings::dev_iommu_fwspec_get(dev.as_raw()) };
        if fwspec.is_null() {
            return None;
        }
        // SAFETY: a non-null fwspec has `num_ids` initialised IDs in its
        // flexible array, and outlives the callback borrowing `dev`.
        unsafe {
            let n = (*fwspec).num_ids as usize;
            Some(core::slice::from_raw_parts((*fwspec).ids.as_ptr(), n))
        }
    }

    /// The firmware node of the IOMMU that `dev` is behind, if any.
    pub fn iommu_fwnode(dev: &Device) -> Option<*mut bindings::fwnode_handle> {
        // SAFETY: `dev` is valid.
        let fwspec = unsafe { bindings::dev_iommu_fwspec_get(dev.as_raw()) };
        if fwspec.is_null() {
            None
        } else {
            // SAFETY: `fwspec` is valid.
            Some(unsafe { (*fwspec).iommu_fwnode })
        }
    }

    /// Stores the driver's per-device pointer.
    ///
    /// # Safety
    ///
    /// Only the IOMMU driver of `dev` may call this, from `probe_device` or
    /// `release_device`.
    pub unsafe fn set_priv(dev: &Device, data: *mut c_void) {
        // SAFETY: `dev` is valid; serialisation is the caller's promise.
        unsafe { bindings::dev_iommu_priv_set(dev.as_raw(), data) }
    }

    /// The driver's per-device pointer, as stored by [`Self::set_priv`].
    pub fn get_priv(dev: &Device) -> *mut c_void {
        // SAFETY: `dev` is valid.
        unsafe { bindings::dev_iommu_priv_get(dev.as_raw()) }
    }

    /// The flags of the firmware description of `dev`
    /// (`IOMMU_FWSPEC_*`), 0 without one.
    pub fn fwspec_flags(dev: &Device) -> u32 {
        // SAFETY: `dev` is valid.
        let fwspec = unsafe { bindings::dev_iommu_fwspec_get(dev.as_raw()) };
        if fwspec.is_null() {
            return 0;
        }
        // SAFETY: a non-null fwspec is valid while the device is.
        unsafe { (*fwspec).flags }
    }

    /// Whether `dev` is a PCI device.
    pub fn is_pci(dev: &Device) -> bool {
        // SAFETY: `dev` is valid.
        unsafe { bindings::dev_is_pci(dev.as_raw()) }
    }
}

/// An IOMMU instance as the IOMMU core knows it (`struct iommu_device`),
/// registered with sysfs and the core.
///
/// # Invariants
///
/// After a successful [`IommuDevice::register`] the structure is registered
/// until [`IommuDevice::unregister`] (or drop); it never moves while
/// registered because it is only used pinned.
pub struct IommuDevice {
    inner: Opaque<bindings::iommu_device>,
    registered: core::sync::atomic::AtomicBool,
}

// SAFETY: the C structure is protected by the IOMMU core's locking.
unsafe impl Send for IommuDevice {}
// SAFETY: as above.
unsafe impl Sync for IommuDevice {}

impl IommuDevice {
    /// An unregistered instance.
    pub fn new() -> Self {
        Self {
            // SAFETY: zero is the initial state of `struct iommu_device`.
            inner: Opaque::new(unsafe { core::mem::zeroed() }),
            registered: core::sync::atomic::AtomicBool::new(false),
        }
    }

    /// The C structure, for `probe_device` to return.
    pub fn as_raw(&self) -> *mut bindings::iommu_device {
        self.inner.get()
    }

    /// Adds the instance to sysfs (`/sys/class/iommu/<name>`) and registers
    /// it with the IOMMU core, which then probes the devices behind it.
    /// `max_pasids` is the number of PASIDs the instance supports (0 for
    /// none); the core limits each device's PASIDs to it.
    ///
    /// # Safety
    ///
    /// `self` must not move until it is unregistered (keep it pinned, e.g.
    /// in an `Arc` or `Pin<KBox<_>>`), and `ops` must outlive it.
    pub unsafe fn register(
        &self,
        hwdev: &Device,
        ops: &'static OpsTable,
        name: &CStr,
        max_pasids: u32,
    ) -> Result {
        // SAFETY: not registered yet, so the core does not read it concurrently.
        unsafe { (*self.as_raw()).max_pasids = max_pasids };
        // SAFETY: `self.inner` is valid and pinned (caller); `name` is
        // NUL-terminated and copied by the callee (`%s`).
        to_result(unsafe {
            bindings::iommu_device_sysfs_add(
                self.as_raw(),
                hwdev.as_raw(),
                core::ptr::null_mut(),
                crate::c_str!("%s").as_char_ptr(),
                name.as_char_ptr(),
            )
        })?;
        // SAFETY: as above; `ops` is `'static`.
        let ret = unsafe { bindings::iommu_device_register(self.as_raw(), &ops.0, hwdev.as_raw()) };
        if ret != 0 {
            // SAFETY: undoing the sysfs registration done above.
            unsafe { bindings::iommu_device_sysfs_remove(self.as_raw()) };
            return Err(Error::from_errno(ret));
        }
        self.registered
            .store(true, core::sync::atomic::Ordering::Release);
        Ok(())
    }

    /// Unregisters the instance; detaches every device behind it first (the
    /// core calls `release_device` for each).
    pub fn unregister(&self) {
        if self
            .registered
            .swap(false, core::sync::atomic::Ordering::AcqRel)
        {
            // SAFETY: registered (checked), pinned by the type invariant.
            unsafe {
                bindings::iommu_device_unregister(self.as_raw());
                bindings::iommu_device_sysfs_remove(self.as_raw());
            }
        }
    }
}

impl Default for IommuDevice {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for IommuDevice {
    fn drop(&mut self) {
        self.unregister();
    }
}

/// A C `struct iommu_ops` built by [`ops_table`].
#[repr(transparent)]
pub struct OpsTable(pub bindings::iommu_ops);
// SAFETY: the table is immutable after construction; the pointers it holds
// are to functions and `'static` data.
unsafe impl Sync for OpsTable {}

/// A C `struct iommu_domain_ops` built by [`domain_ops_table`].
#[repr(transparent)]
pub struct DomainOpsTable(pub bindings::iommu_domain_ops);
// SAFETY: as for `OpsTable`.
unsafe impl Sync for DomainOpsTable {}

/// A translation domain: the C `struct iommu_domain` followed by the
/// driver's data.
///
/// # Invariants
///
/// `domain.ops` points to [`domain_ops_table::<T>`]'s table (or to the
/// table of a static identity/blocked domain of the same driver), so a
/// `struct iommu_domain *` the core passes to `T`'s callbacks always
/// belongs to a `Domain<T>`.
#[repr(C)]
pub struct Domain<T: DomainOps> {
    domain: Opaque<bindings::iommu_domain>,
    data: T,
}

impl<T: DomainOps> Domain<T> {
    /// Allocates a domain owning `data`, with `ops` and nothing else set:
    /// the core fills in `type` and `owner` (and, for SVA, the mm and the
    /// fault handler) after allocation. Returns the C structure, which
    /// stays unshared until the caller hands it to the core.
    fn alloc(data: T, ops: &'static DomainOpsTable) -> Result<*mut bindings::iommu_domain> {
        let d = KBox::new(
            Self {
                // SAFETY: zero is a valid initial `iommu_domain`.
                domain: Opaque::new(unsafe { core::mem::zeroed() }),
                data,
            },
            GFP_KERNEL,
        )?;
        let raw = d.domain.get();
        // SAFETY: `raw` points into the new allocation, not yet shared.
        unsafe { (*raw).ops = &ops.0 };
        let _ = KBox::into_raw(d);
        Ok(raw)
    }

    /// Allocates a paging domain owning `data`, with the given page sizes
    /// and input address range `[0, aperture_end]`.
    pub fn new_paging(
        data: T,
        ops: &'static DomainOpsTable,
        pgsize_bitmap: u64,
        aperture_end: u64,
    ) -> Result<*mut bindings::iommu_domain> {
        let raw = Self::alloc(data, ops)?;
        // SAFETY: `raw` is the new domain, not yet shared.
        unsafe {
            (*raw).pgsize_bitmap = pgsize_bitmap as c_ulong;
            (*raw).geometry.aperture_start = 0;
            (*raw).geometry.aperture_end = aperture_end as _;
            (*raw).geometry.force_aperture = true;
        }
        Ok(raw)
    }

    /// Allocates a domain owning `data` for Shared Virtual Addressing; the
    /// core fills in its type, mm and fault handler after allocation.
    pub fn new_sva(data: T, ops: &'static DomainOpsTable) -> Result<*mut bindings::iommu_domain> {
        Self::alloc(data, ops)
    }

    /// Recovers the domain from the pointer the core passes.
    ///
    /// # Safety
    ///
    /// `raw` must come from [`Domain::new_paging`] or [`Domain::new_sva`]
    /// for this `T` and not yet be freed.
    pub unsafe fn from_raw<'a>(raw: *mut bindings::iommu_domain) -> &'a Self {
        // SAFETY: `domain` is the first field of a `repr(C)` struct, so the
        // domain pointer is the object pointer.
        unsafe { &*(raw as *const Self) }
    }

    /// The driver's data.
    pub fn data(&self) -> &T {
        &self.data
    }

    /// The C structure.
    pub fn as_raw(&self) -> *mut bindings::iommu_domain {
        self.domain.get()
    }

    /// Whether `raw` (a domain of any driver) uses the operations `ops`.
    ///
    /// # Safety
    ///
    /// `raw` must point to a live domain.
    pub unsafe fn uses_ops(raw: *mut bindings::iommu_domain, ops: &'static DomainOpsTable) -> bool {
        // SAFETY: the caller guarantees `raw` is live.
        !raw.is_null() && core::ptr::eq(unsafe { (*raw).ops }, &ops.0)
    }

    /// The domain kind (`IOMMU_DOMAIN_*`), set by the core.
    pub fn kind(&self) -> DomainType {
        // SAFETY: the domain is valid while borrowed.
        unsafe { (*self.as_raw()).type_ }
    }
}

/// Pages an unmap left to invalidate (`struct iommu_iotlb_gather`).
#[repr(transparent)]
pub struct Gather(Opaque<bindings::iommu_iotlb_gather>);

impl Gather {
    /// # Safety
    ///
    /// `raw` must be a valid gather for the duration of `'a`.
    pub unsafe fn from_raw<'a>(raw: *mut bindings::iommu_iotlb_gather) -> &'a Self {
        // SAFETY: transparent wrapper, validity from the caller.
        unsafe { &*raw.cast() }
    }

    /// `[start, end]` (inclusive) and the page size gathered so far, or
    /// `None` if nothing was gathered.
    pub fn range(&self) -> Option<(u64, u64, usize)> {
        // SAFETY: valid by construction.
        let g = unsafe { &*self.0.get() };
        if g.end < g.start || g.pgsize == 0 {
            None
        } else {
            Some((g.start as u64, g.end as u64, g.pgsize))
        }
    }

    /// Records that `[iova, iova + size)` needs invalidating, after first
    /// flushing what was gathered with `sync(start, end, pgsize)` if the new
    /// page cannot be merged with it (a different page size, or not
    /// adjacent). The same rule as the C `iommu_iotlb_gather_add_page`,
    /// without needing the domain.
    pub fn add_page_with(&self, iova: u64, size: usize, sync: impl FnOnce(u64, u64, usize)) {
        // SAFETY: The core does not touch the gather while lent to the driver.
        let g = unsafe { &mut *self.0.get() };
        let end = iova.wrapping_add(size as u64).wrapping_sub(1);
        if g.pgsize != 0 {
            let disjoint = (end as c_ulong).wrapping_add(1) < g.start
                || iova as c_ulong > g.end.wrapping_add(1);
            if g.pgsize != size || disjoint {
                if g.end >= g.start {
                    sync(g.start as u64, g.end as u64, g.pgsize);
                }
                g.start = c_ulong::MAX;
                g.end = 0;
            }
        }
        g.pgsize = size;
        g.start = g.start.min(iova as c_ulong);
        g.end = g.end.max(end as c_ulong);
    }

    /// Records that `[iova, iova + size)` of `domain` needs invalidating,
    /// syncing first if the new range cannot be merged
    /// (`iommu_iotlb_gather_add_page`).
    ///
    /// # Safety
    ///
    /// `domain` must be the domain the gather belongs to.
    pub unsafe fn add_page(&self, domain: *mut bindings::iommu_domain, iova: u64, size: usize) {
        // SAFETY: valid pointers by the caller's contract.
        unsafe {
            bindings::iommu_iotlb_gather_add_page(domain, self.0.get(), iova as c_ulong, size)
        }
    }
}

/// Operations of a translation domain.
#[vtable]
pub trait DomainOps: Sized + Send + Sync + 'static {
    /// Makes `dev` translate through `domain`.
    fn attach_dev(domain: &Domain<Self>, dev: &Device) -> Result;

    /// Makes the traffic of `dev` tagged with `pasid` translate through
    /// `domain`, replacing `old` (null when the PASID had no domain).
    fn set_dev_pasid(
        _domain: &Domain<Self>,
        _dev: &Device,
        _pasid: u32,
        _old: *mut bindings::iommu_domain,
    ) -> Result {
        crate::build_error(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Maps `pgcount` pages of `pgsize` from `iova` to `paddr`; `mapped`
    /// receives the number of bytes mapped, also on failure.
    #[allow(clippy::too_many_arguments)]
    fn map_pages(
        _domain: &Domain<Self>,
        _iova: u64,
        _paddr: u64,
        _pgsize: usize,
        _pgcount: usize,
        _prot: i32,
        _gfp: u32,
        _mapped: &mut usize,
    ) -> Result {
        crate::build_error(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Unmaps up to `pgcount` pages of `pgsize` at `iova`, recording what
    /// must be invalidated in `gather`; returns the bytes unmapped.
    fn unmap_pages(
        _domain: &Domain<Self>,
        _iova: u64,
        _pgsize: usize,
        _pgcount: usize,
        _gather: &Gather,
    ) -> usize {
        crate::build_error(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Invalidates every cached translation of the domain.
    fn flush_iotlb_all(_domain: &Domain<Self>) {
        crate::build_error(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Invalidates what `gather` collected.
    fn iotlb_sync(_domain: &Domain<Self>, _gather: &Gather) {
        crate::build_error(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// The physical address `iova` translates to, or 0.
    fn iova_to_phys(_domain: &Domain<Self>, _iova: u64) -> u64 {
        crate::build_error(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Frees the domain's resources; the [`Domain`] itself is freed after.
    fn free(_domain: &Domain<Self>) {}
}

struct DomainAdapter<T: DomainOps>(PhantomData<T>);

impl<T: DomainOps> DomainAdapter<T> {
    /// # Safety
    ///
    /// Called only by the IOMMU core, with pointers to live objects of this driver.
    unsafe extern "C" fn attach_dev(
        d: *mut bindings::iommu_domain,
        dev: *mut bindings::device,
    ) -> c_int {
        // SAFETY: the core passes a live domain of this driver (type
        // invariant of `Domain`).
        let domain = unsafe { Domain::from_raw(d) };
        // SAFETY: the core passes a live device.
        let dev = unsafe { Device::as_ref(dev) };
        from_result(|| T::attach_dev(domain, dev).map(|()| 0))
    }

    /// # Safety
    ///
    /// Called only by the IOMMU core, with pointers to live objects of this driver.
    unsafe extern "C" fn set_dev_pasid(
        d: *mut bindings::iommu_domain,
        dev: *mut bindings::device,
        pasid: bindings::ioasid_t,
        old: *mut bindings::iommu_domain,
    ) -> c_int {
        // SAFETY: the core passes a live domain of this driver (type invariant of `Domain`).
        let domain = unsafe { Domain::from_raw(d) };
        // SAFETY: the core passes a live device.
        let dev = unsafe { Device::as_ref(dev) };
        from_result(|| T::set_dev_pasid(domain, dev, pasid, old).map(|()| 0))
    }

    /// # Safety
    ///
    /// Called only by the IOMMU core, with pointers to live objects of this driver.
    #[allow(clippy::too_many_arguments)]
    unsafe extern "C" fn map_pages(
        d: *mut bindings::iommu_domain,
        iova: c_ulong,
        paddr: bindings::phys_addr_t,
        pgsize: usize,
        pgcount: usize,
        prot: c_int,
        gfp: bindings::gfp_t,
        mapped: *mut usize,
    ) -> c_int {
        let mut done = 0usize;
        // SAFETY: The core passes a live domain of this driver (`Domain` invariant).
        let domain = unsafe { Domain::from_raw(d) };
        let r = T::map_pages(
            domain,
            iova as u64,
            paddr,
            pgsize,
            pgcount,
            prot,
            gfp,
            &mut done,
        );
        // SAFETY: `mapped` is a valid out-pointer from the core.
        unsafe { *mapped = done };
        match r {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// Called only by the IOMMU core, with pointers to live objects of this driver.
    unsafe extern "C" fn unmap_pages(
        d: *mut bindings::iommu_domain,
        iova: c_ulong,
        pgsize: usize,
        pgcount: usize,
        gather: *mut bindings::iommu_iotlb_gather,
    ) -> usize {
        // SAFETY: the core passes a live domain of this driver.
        let domain = unsafe { Domain::from_raw(d) };
        // SAFETY: the core passes a gather valid for this call.
        let gather = unsafe { Gather::from_raw(gather) };
        T::unmap_pages(domain, iova as u64, pgsize, pgcount, gather)
    }

    /// # Safety
    ///
    /// Called only by the IOMMU core, with pointers to live objects of this driver.
    unsafe extern "C" fn flush_iotlb_all(d: *mut bindings::iommu_domain) {
        // SAFETY: live domain.
        T::flush_iotlb_all(unsafe { Domain::from_raw(d) })
    }

    /// # Safety
    ///
    /// Called only by the IOMMU core, with pointers to live objects of this driver.
    unsafe extern "C" fn iotlb_sync(
        d: *mut bindings::iommu_domain,
        gather: *mut bindings::iommu_iotlb_gather,
    ) {
        // SAFETY: the core passes a live domain of this driver.
        let domain = unsafe { Domain::from_raw(d) };
        // SAFETY: the core passes a gather valid for this call.
        let gather = unsafe { Gather::from_raw(gather) };
        T::iotlb_sync(domain, gather)
    }

    /// # Safety
    ///
    /// Called only by the IOMMU core, with pointers to live objects of this driver.
    unsafe extern "C" fn iova_to_phys(
        d: *mut bindings::iommu_domain,
        iova: bindings::dma_addr_t,
    ) -> bindings::phys_addr_t {
        // SAFETY: live domain.
        T::iova_to_phys(unsafe { Domain::from_raw(d) }, iova)
    }

    /// # Safety
    ///
    /// Called only by the IOMMU core, with pointers to live objects of this driver.
    unsafe extern "C" fn free(d: *mut bindings::iommu_domain) {
        // Allocated by `Domain::new_paging` or `Domain::new_sva` as a `KBox<Domain<T>>`.
        // SAFETY: the core frees each domain once, after its last use.
        let dom = unsafe { KBox::from_raw(d as *mut Domain<T>) };
        T::free(&dom);
        drop(dom);
    }
}

/// Builds the C `struct iommu_domain_ops` for `T`.
pub const fn domain_ops_table<T: DomainOps>() -> DomainOpsTable {
    // SAFETY: all-zero is "no callback" for every field.
    let mut ops: bindings::iommu_domain_ops = unsafe { core::mem::zeroed() };
    ops.attach_dev = Some(DomainAdapter::<T>::attach_dev);
    if T::HAS_SET_DEV_PASID {
        ops.set_dev_pasid = Some(DomainAdapter::<T>::set_dev_pasid);
    }
    if T::HAS_MAP_PAGES {
        ops.map_pages = Some(DomainAdapter::<T>::map_pages);
    }
    if T::HAS_UNMAP_PAGES {
        ops.unmap_pages = Some(DomainAdapter::<T>::unmap_pages);
    }
    if T::HAS_FLUSH_IOTLB_ALL {
        ops.flush_iotlb_all = Some(DomainAdapter::<T>::flush_iotlb_all);
    }
    if T::HAS_IOTLB_SYNC {
        ops.iotlb_sync = Some(DomainAdapter::<T>::iotlb_sync);
    }
    if T::HAS_IOVA_TO_PHYS {
        ops.iova_to_phys = Some(DomainAdapter::<T>::iova_to_phys);
    }
    ops.free = Some(DomainAdapter::<T>::free);
    DomainOpsTable(ops)
}

/// Operations of a domain that exists once per driver (identity or
/// blocked) and is never freed.
pub trait StaticDomainOps: 'static {
    /// Makes `dev` use this domain.
    fn attach_dev(domain: *mut bindings::iommu_domain, dev: &Device) -> Result;
}

struct StaticAdapter<T: StaticDomainOps>(PhantomData<T>);

impl<T: StaticDomainOps> StaticAdapter<T> {
    /// # Safety
    ///
    /// Called only by the IOMMU core, with a live device.
    unsafe extern "C" fn attach_dev(
        d: *mut bindings::iommu_domain,
        dev: *mut bindings::device,
    ) -> c_int {
        // SAFETY: the core passes a live device.
        let dev = unsafe { Device::as_ref(dev) };
        from_result(|| T::attach_dev(d, dev).map(|()| 0))
    }
}

/// Builds the `struct iommu_domain_ops` of a static domain: `attach_dev`
/// only, no `free`.
pub const fn static_domain_ops_table<T: StaticDomainOps>() -> DomainOpsTable {
    // SAFETY: all-zero is "no callback" for every field.
    let mut ops: bindings::iommu_domain_ops = unsafe { core::mem::zeroed() };
    ops.attach_dev = Some(StaticAdapter::<T>::attach_dev);
    DomainOpsTable(ops)
}

/// A domain that is not allocated but exists once per driver (identity or
/// blocked), as `static`.
///
/// # Invariants
///
/// Only the IOMMU core writes the C structure, under its own locks.
#[repr(transparent)]
pub struct StaticDomain(Opaque<bindings::iommu_domain>);
// SAFETY: see the type invariant.
unsafe impl Sync for StaticDomain {}

impl StaticDomain {
    /// A domain of kind `kind` (e.g. `IOMMU_DOMAIN_IDENTITY`) with `ops`.
    pub const fn new(kind: DomainType, ops: &'static DomainOpsTable) -> Self {
        // SAFETY: zeroed is a valid initial state.
        let mut d: bindings::iommu_domain = unsafe { core::mem::zeroed() };
        d.type_ = kind;
        d.ops = &ops.0;
        Self(Opaque::new(d))
    }

    /// The C pointer, for [`IommuOps::IDENTITY_DOMAIN`] and friends.
    pub const fn as_raw(&'static self) -> *mut bindings::iommu_domain {
        self.0.get()
    }

    /// Whether `raw` is this domain.
    pub fn is(&'static self, raw: *mut bindings::iommu_domain) -> bool {
        core::ptr::eq(raw, self.as_raw())
    }
}

/// Operations of an IOMMU driver (per device, not per domain).
#[vtable]
pub trait IommuOps: 'static {
    /// Domain data type of the driver's paging domains.
    type PagingDomain: DomainOps;

    /// Adds `dev` behind one of the driver's IOMMU instances and returns
    /// that instance.
    fn probe_device(dev: &Device) -> Result<*mut bindings::iommu_device>;

    /// Reverses `probe_device`.
    fn release_device(dev: &Device);

    /// Allocates a paging domain suitable for `dev`.
    fn domain_alloc_paging(dev: &Device) -> Result<*mut bindings::iommu_domain>;

    /// Records the firmware's IOMMU specifier for `dev` (e.g. its
    /// StreamID) from `args`.
    fn of_xlate(dev: &Device, args: &[u32]) -> Result;

    /// Adds the reserved regions of `dev` to `list` (a `struct list_head`
    /// of `struct iommu_resv_region`).
    fn get_resv_regions(_dev: &Device, _list: *mut bindings::list_head) {
        crate::build_error(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Whether the IOMMU has capability `cap` (`enum iommu_cap`) for `dev`.
    fn capable(_dev: &Device, _cap: u32) -> bool {
        crate::build_error(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Enables feature `feat` (`enum iommu_dev_features`) for `dev`.
    fn dev_enable_feat(_dev: &Device, _feat: u32) -> Result {
        crate::build_error(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Disables feature `feat` for `dev`.
    fn dev_disable_feat(_dev: &Device, _feat: u32) -> Result {
        crate::build_error(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Answers the page request group whose last request is `evt` with
    /// `msg` (the IOMMU core calls this exactly once per group).
    fn page_response(
        _dev: &Device,
        _evt: &bindings::iopf_fault,
        _msg: &bindings::iommu_page_response,
    ) {
        crate::build_error(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Stops the traffic of `dev` tagged with `pasid` from using `domain`.
    fn remove_dev_pasid(_dev: &Device, _pasid: u32, _domain: *mut bindings::iommu_domain) {
        crate::build_error(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// Allocates a domain sharing the page tables of `mm` with `dev`.
    fn domain_alloc_sva(
        _dev: &Device,
        _mm: *mut bindings::mm_struct,
    ) -> Result<*mut bindings::iommu_domain> {
        crate::build_error(crate::error::VTABLE_DEFAULT_ERROR)
    }

    /// The identity (bypass) domain, if the driver has one.
    const IDENTITY_DOMAIN: Option<&'static StaticDomain> = None;
    /// The blocking domain, if the driver has one.
    const BLOCKED_DOMAIN: Option<&'static StaticDomain> = None;
    /// Page sizes the hardware can map.
    const PGSIZE_BITMAP: u64;
}

struct OpsAdapter<T: IommuOps>(PhantomData<T>);

impl<T: IommuOps> OpsAdapter<T> {
    /// # Safety
    ///
    /// Called only by the IOMMU core, with pointers to live objects of this driver.
    unsafe extern "C" fn probe_device(dev: *mut bindings::device) -> *mut bindings::iommu_device {
        // SAFETY: the core passes a live device.
        match T::probe_device(unsafe { Device::as_ref(dev) }) {
            Ok(p) => p,
            Err(e) => e.to_ptr(),
        }
    }

    /// # Safety
    ///
    /// Called only by the IOMMU core, with pointers to live objects of this driver.
    unsafe extern "C" fn release_device(dev: *mut bindings::device) {
        // SAFETY: live device.
        T::release_device(unsafe { Device::as_ref(dev) })
    }

    /// # Safety
    ///
    /// Called only by the IOMMU core, with pointers to live objects of this driver.
    unsafe extern "C" fn domain_alloc_paging(
        dev: *mut bindings::device,
    ) -> *mut bindings::iommu_domain {
        // The legacy `iommu_domain_alloc(bus)` (still used by remoteproc,
        // tegra-vde, qman in 6.12) calls this with no device.
        if dev.is_null() {
            return crate::error::code::ENODEV.to_ptr();
        }
        // SAFETY: a non-null `dev` is a live device.
        match T::domain_alloc_paging(unsafe { Device::as_ref(dev) }) {
            Ok(p) => p,
            Err(e) => e.to_ptr(),
        }
    }

    /// # Safety
    ///
    /// Called only by the IOMMU core, with pointers to live objects of this driver.
    unsafe extern "C" fn of_xlate(
        dev: *mut bindings::device,
        args: *const bindings::of_phandle_args,
    ) -> c_int {
        // SAFETY: live device; `args` is valid with `args_count` cells.
        let (dev, cells) = unsafe {
            let all: &[u32; 16] = &(*args).args;
            let n = ((*args).args_count as usize).min(all.len());
            (Device::as_ref(dev), &all[..n])
        };
        from_result(|| T::of_xlate(dev, cells).map(|()| 0))
    }

    /// # Safety
    ///
    /// Called only by the IOMMU core, with pointers to live objects of this driver.
    unsafe extern "C" fn get_resv_regions(
        dev: *mut bindings::device,
        list: *mut bindings::list_head,
    ) {
        // SAFETY: live device and list.
        T::get_resv_regions(unsafe { Device::as_ref(dev) }, list)
    }

    /// # Safety
    ///
    /// Called only by the IOMMU core, with pointers to live objects of this driver.
    unsafe extern "C" fn capable(dev: *mut bindings::device, cap: bindings::iommu_cap) -> bool {
        // SAFETY: live device.
        T::capable(unsafe { Device::as_ref(dev) }, cap)
    }

    /// # Safety
    ///
    /// Called only by the IOMMU core, with pointers to live objects of this driver.
    unsafe extern "C" fn dev_enable_feat(
        dev: *mut bindings::device,
        feat: bindings::iommu_dev_features,
    ) -> c_int {
        // SAFETY: live device.
        from_result(|| T::dev_enable_feat(unsafe { Device::as_ref(dev) }, feat).map(|()| 0))
    }

    /// # Safety
    ///
    /// Called only by the IOMMU core, with pointers to live objects of this driver.
    unsafe extern "C" fn dev_disable_feat(
        dev: *mut bindings::device,
        feat: bindings::iommu_dev_features,
    ) -> c_int {
        // SAFETY: live device.
        from_result(|| T::dev_disable_feat(unsafe { Device::as_ref(dev) }, feat).map(|()| 0))
    }

    /// # Safety
    ///
    /// Called only by the IOMMU core, with pointers to live objects of this driver.
    unsafe extern "C" fn page_response(
        dev: *mut bindings::device,
        evt: *mut bindings::iopf_fault,
        msg: *mut bindings::iommu_page_response,
    ) {
        if evt.is_null() || msg.is_null() {
            return;
        }
        // SAFETY: live device; `evt` and `msg` are valid for the call.
        unsafe { T::page_response(Device::as_ref(dev), &*evt, &*msg) }
    }

    /// # Safety
    ///
    /// Called only by the IOMMU core, with pointers to live objects of this driver.
    unsafe extern "C" fn remove_dev_pasid(
        dev: *mut bindings::device,
        pasid: bindings::ioasid_t,
        domain: *mut bindings::iommu_domain,
    ) {
        // SAFETY: live device.
        T::remove_dev_pasid(unsafe { Device::as_ref(dev) }, pasid, domain)
    }

    /// # Safety
    ///
    /// Called only by the IOMMU core, with pointers to live objects of this driver.
    unsafe extern "C" fn domain_alloc_sva(
        dev: *mut bindings::device,
        mm: *mut bindings::mm_struct,
    ) -> *mut bindings::iommu_domain {
        // SAFETY: live device; the core holds a reference on `mm`.
        match T::domain_alloc_sva(unsafe { Device::as_ref(dev) }, mm) {
            Ok(p) => p,
            Err(e) => e.to_ptr(),
        }
    }

    /// # Safety
    ///
    /// Called only by the IOMMU core, with pointers to live objects of this driver.
    unsafe extern "C" fn device_group(dev: *mut bindings::device) -> *mut bindings::iommu_group {
        // SAFETY: live device; both helpers take a reference on the group.
        unsafe {
            if bindings::dev_is_pci(dev) {
                bindings::pci_device_group(dev)
            } else {
                bindings::generic_device_group(dev)
            }
        }
    }
}

/// Builds the C `struct iommu_ops` for `T`; `paging_ops` is
/// [`domain_ops_table::<T::PagingDomain>`], the default domain ops.
pub const fn ops_table<T: IommuOps>(paging_ops: &'static DomainOpsTable) -> OpsTable {
    // SAFETY: all-zero is "no callback" for every field.
    let mut ops: bindings::iommu_ops = unsafe { core::mem::zeroed() };
    ops.probe_device = Some(OpsAdapter::<T>::probe_device);
    ops.release_device = Some(OpsAdapter::<T>::release_device);
    ops.device_group = Some(OpsAdapter::<T>::device_group);
    ops.domain_alloc_paging = Some(OpsAdapter::<T>::domain_alloc_paging);
    ops.of_xlate = Some(OpsAdapter::<T>::of_xlate);
    if T::HAS_GET_RESV_REGIONS {
        ops.get_resv_regions = Some(OpsAdapter::<T>::get_resv_regions);
    }
    if T::HAS_CAPABLE {
        ops.capable = Some(OpsAdapter::<T>::capable);
    }
    if T::HAS_DEV_ENABLE_FEAT {
        ops.dev_enable_feat = Some(OpsAdapter::<T>::dev_enable_feat);
    }
    if T::HAS_DEV_DISABLE_FEAT {
        ops.dev_disable_feat = Some(OpsAdapter::<T>::dev_disable_feat);
    }
    if T::HAS_PAGE_RESPONSE {
        ops.page_response = Some(OpsAdapter::<T>::page_response);
    }
    if T::HAS_REMOVE_DEV_PASID {
        ops.remove_dev_pasid = Some(OpsAdapter::<T>::remove_dev_pasid);
    }
    if T::HAS_DOMAIN_ALLOC_SVA {
        ops.domain_alloc_sva = Some(OpsAdapter::<T>::domain_alloc_sva);
    }
    ops.default_domain_ops = &paging_ops.0;
    ops.pgsize_bitmap = T::PGSIZE_BITMAP as c_ulong;
    if let Some(d) = T::IDENTITY_DOMAIN {
        ops.identity_domain = d.as_raw();
    }
    if let Some(d) = T::BLOCKED_DOMAIN {
        ops.blocked_domain = d.as_raw();
    }
    OpsTable(ops)
}

/// Adds the software-managed MSI window (`IOMMU_RESV_SW_MSI`) and the
/// DMA layer's reserved regions of `dev` to `list`.
///
/// # Safety
///
/// `list` must be the list head the IOMMU core passed to
/// `get_resv_regions`.
pub unsafe fn add_sw_msi_and_dma_regions(
    dev: &Device,
    list: *mut bindings::list_head,
    base: u64,
    len: usize,
) {
    let prot = PROT_WRITE | PROT_NOEXEC | PROT_MMIO;
    // SAFETY: allocation with no preconditions.
    let region = unsafe {
        bindings::iommu_alloc_resv_region(
            base,
            len,
            prot,
            bindings::iommu_resv_type_IOMMU_RESV_SW_MSI,
            GFP_KERNEL.as_raw(),
        )
    };
    if !region.is_null() {
        // SAFETY: `region` is new and `list` is the caller's list head.
        unsafe { bindings::list_add_tail(&mut (*region).list, list) };
    }
    // SAFETY: `dev` and `list` are valid.
    unsafe { bindings::iommu_dma_get_resv_regions(dev.as_raw(), list) };
}

/// Adds `ids` to the firmware description of `dev`
/// (`iommu_fwspec_add_ids`).
pub fn fwspec_add_ids(dev: &Device, ids: &[u32]) -> Result {
    // SAFETY: `dev` is valid; the callee copies the IDs.
    to_result(unsafe {
        bindings::iommu_fwspec_add_ids(dev.as_raw(), ids.as_ptr() as *mut u32, ids.len() as c_int)
    })
}
