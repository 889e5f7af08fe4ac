// SPDX-License-Identifier: GPL-2.0

//! The C I/O page-table library.
//!
//! C header: [`include/linux/io-pgtable.h`](srctree/include/linux/io-pgtable.h)
//!
//! [`IoPgtable`] owns a set of page tables in one of the library's formats
//! (here the Arm LPAE stage-1 format an SMMU walks) together with the TLB
//! maintenance callbacks the library calls while it changes them
//! ([`FlushOps`]).

use super::Gather;
use crate::{
    bindings,
    device::Device,
    error::{code::*, Error, Result},
    ffi::{c_int, c_ulong, c_void},
    sync::Arc,
};

/// TLB maintenance the page-table code requests while it edits tables.
pub trait FlushOps: Send + Sync + 'static {
    /// Invalidate every translation of the tables.
    fn tlb_flush_all(&self);
    /// Invalidate the walk caches (non-leaf entries) for `[iova, iova + size)`.
    fn tlb_flush_walk(&self, iova: u64, size: usize, granule: usize);
    /// A leaf at `iova` of size `granule` was unmapped; record it in
    /// `gather` (when the caller batches) for a later sync.
    fn tlb_add_page(&self, gather: Option<&Gather>, iova: u64, granule: usize);
}

/// Configuration of a stage-1 Arm LPAE page table.
#[derive(Clone, Copy, Debug)]
pub struct ArmLpaeS1Config {
    /// Input address bits.
    pub ias: u32,
    /// Output address bits.
    pub oas: u32,
    /// Page and block sizes allowed.
    pub pgsize_bitmap: u64,
    /// Whether the walker snoops CPU caches (no cache maintenance needed).
    pub coherent_walk: bool,
    /// `IO_PGTABLE_QUIRK_*` flags.
    pub quirks: u64,
}

/// What the hardware needs to walk the tables: values for a context
/// descriptor (the library's `arm_lpae_s1_cfg`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArmLpaeS1Info {
    /// Physical address of the top-level table (TTB0).
    pub ttbr: u64,
    /// TCR.IPS encoding.
    pub ips: u8,
    /// TCR.TG0 encoding.
    pub tg: u8,
    /// TCR.SH0 encoding.
    pub sh: u8,
    /// TCR.ORGN0 encoding.
    pub orgn: u8,
    /// TCR.IRGN0 encoding.
    pub irgn: u8,
    /// TCR.T0SZ.
    pub tsz: u8,
    /// MAIR value matching the attribute indices used in the tables.
    pub mair: u64,
}

/// Page tables owned by the C library.
///
/// # Invariants
///
/// `ops` was returned by `alloc_io_pgtable_ops` with `cookie` as its cookie
/// and [`Self`]'s flush table; the cookie is kept alive by `_cookie` until
/// `free_io_pgtable_ops` runs on drop.
pub struct IoPgtable<F: FlushOps> {
    ops: *mut bindings::io_pgtable_ops,
    info: ArmLpaeS1Info,
    _cookie: Arc<F>,
}

// SAFETY: the library's map/unmap are safe to call concurrently on disjoint
// ranges, as the IOMMU core does; the cookie is `Send + Sync`.
unsafe impl<F: FlushOps> Send for IoPgtable<F> {}
// SAFETY: as above.
unsafe impl<F: FlushOps> Sync for IoPgtable<F> {}

struct FlushTable<F: FlushOps>(core::marker::PhantomData<F>);

impl<F: FlushOps> FlushTable<F> {
    const TABLE: bindings::iommu_flush_ops = bindings::iommu_flush_ops {
        tlb_flush_all: Some(Self::flush_all),
        tlb_flush_walk: Some(Self::flush_walk),
        tlb_add_page: Some(Self::add_page),
    };

    /// # Safety
    ///
    /// Called only by the io-pgtable library, with the cookie registered with it.
    unsafe extern "C" fn flush_all(cookie: *mut c_void) {
        // SAFETY: the cookie is the `F` kept alive by the `IoPgtable`.
        unsafe { &*(cookie as *const F) }.tlb_flush_all()
    }

    /// # Safety
    ///
    /// Called only by the io-pgtable library, with the cookie registered with it.
    unsafe extern "C" fn flush_walk(
        iova: c_ulong,
        size: usize,
        granule: usize,
        cookie: *mut c_void,
    ) {
        // SAFETY: as in `flush_all`.
        unsafe { &*(cookie as *const F) }.tlb_flush_walk(iova as u64, size, granule)
    }

    /// # Safety
    ///
    /// Called only by the io-pgtable library, with the cookie registered with it.
    unsafe extern "C" fn add_page(
        gather: *mut bindings::iommu_iotlb_gather,
        iova: c_ulong,
        granule: usize,
        cookie: *mut c_void,
    ) {
        // SAFETY: as in `flush_all`; `gather` is null or valid.
        let gather = (!gather.is_null()).then(|| unsafe { Gather::from_raw(gather) });
        // SAFETY: as in `flush_all`.
        unsafe { &*(cookie as *const F) }.tlb_add_page(gather, iova as u64, granule)
    }
}

impl<F: FlushOps> IoPgtable<F> {
    /// Allocates empty stage-1 tables for the IOMMU `iommu_dev`.
    pub fn new_arm_lpae_s1(
        iommu_dev: &Device,
        cfg: &ArmLpaeS1Config,
        cookie: Arc<F>,
    ) -> Result<Self> {
        // SAFETY: all-zero is a valid starting configuration.
        let mut c: bindings::io_pgtable_cfg = unsafe { core::mem::zeroed() };
        c.quirks = cfg.quirks as c_ulong;
        c.pgsize_bitmap = cfg.pgsize_bitmap as c_ulong;
        c.ias = cfg.ias;
        c.oas = cfg.oas;
        c.coherent_walk = cfg.coherent_walk;
        c.tlb = &FlushTable::<F>::TABLE;
        c.iommu_dev = iommu_dev.as_raw();
        let cookie_ptr = &*cookie as *const F as *mut c_void;
        // SAFETY: `c` is a valid configuration; the cookie outlives the
        // tables (kept in `Self`).
        let ops = unsafe {
            bindings::alloc_io_pgtable_ops(
                bindings::io_pgtable_fmt_ARM_64_LPAE_S1,
                &mut c,
                cookie_ptr,
            )
        };
        if ops.is_null() {
            return Err(ENOMEM);
        }
        // SAFETY: the S1 format filled in `arm_lpae_s1_cfg`.
        let s1 = unsafe { c.__bindgen_anon_1.arm_lpae_s1_cfg };
        let info = ArmLpaeS1Info {
            ttbr: s1.ttbr,
            ips: s1.tcr.ips() as u8,
            tg: s1.tcr.tg() as u8,
            sh: s1.tcr.sh() as u8,
            orgn: s1.tcr.orgn() as u8,
            irgn: s1.tcr.irgn() as u8,
            tsz: s1.tcr.tsz() as u8,
            mair: s1.mair,
        };
        // INVARIANT: allocated above with this cookie and table.
        Ok(Self {
            ops,
            info,
            _cookie: cookie,
        })
    }

    /// What a context descriptor needs to point at these tables.
    pub fn info(&self) -> &ArmLpaeS1Info {
        &self.info
    }

    /// Maps `pgcount` pages of `pgsize` at `iova` to `paddr` with `prot`
    /// (`IOMMU_*` flags); `mapped` receives the bytes mapped, also on error.
    #[allow(clippy::too_many_arguments)]
    pub fn map_pages(
        &self,
        iova: u64,
        paddr: u64,
        pgsize: usize,
        pgcount: usize,
        prot: i32,
        gfp: u32,
        mapped: &mut usize,
    ) -> Result {
        // SAFETY: `ops` is valid (type invariant) and has `map_pages`.
        let ret = unsafe {
            match (*self.ops).map_pages {
                Some(f) => f(
                    self.ops,
                    iova as c_ulong,
                    paddr,
                    pgsize,
                    pgcount,
                    prot as c_int,
                    gfp,
                    mapped,
                ),
                None => return Err(EINVAL),
            }
        };
        if ret == 0 {
            Ok(())
        } else {
            Err(Error::from_errno(ret))
        }
    }

    /// Unmaps up to `pgcount` pages of `pgsize` at `iova`; returns the bytes
    /// unmapped.
    pub fn unmap_pages(&self, iova: u64, pgsize: usize, pgcount: usize, gather: &Gather) -> usize {
        // SAFETY: `ops` is valid; `gather` is valid for the call.
        unsafe {
            match (*self.ops).unmap_pages {
                Some(f) => f(self.ops, iova as c_ulong, pgsize, pgcount, gather.0.get()),
                None => 0,
            }
        }
    }

    /// The physical address `iova` maps to, or 0.
    pub fn iova_to_phys(&self, iova: u64) -> u64 {
        // SAFETY: `ops` is valid.
        unsafe {
            match (*self.ops).iova_to_phys {
                Some(f) => f(self.ops, iova as c_ulong),
                None => 0,
            }
        }
    }
}

impl<F: FlushOps> Drop for IoPgtable<F> {
    fn drop(&mut self) {
        // SAFETY: allocated by `alloc_io_pgtable_ops` (type invariant);
        // freeing calls `tlb_flush_all` on the cookie, still alive here.
        unsafe { bindings::free_io_pgtable_ops(self.ops) };
    }
}
