// SPDX-License-Identifier: GPL-2.0

//! The IOMMU core's view of the driver: per-device state ([`Master`]),
//! translation domains ([`PagingDomain`], and the static identity and
//! blocking domains) and the operation tables.
//!
//! A paging domain is a stage-1 address space: io-pgtable-arm tables, an
//! ASID, and the context descriptor (CD) that points the SMMU at them. A
//! device attached to it gets a one-entry CD table holding that CD, and its
//! STE points at the CD table. Invalidation is by ASID: leaf ranges
//! gathered during unmap, walk caches when tables are freed, everything on
//! `flush_iotlb_all` (lazy mode's flush queue).

use crate::{
    backend::DmaBuf,
    device::{lookup, Smmu},
    hw::{
        cd::{Cacheability, Cd, CdHttu, Granule as CdGranule, S1PagingCd},
        cmd::Granule,
        range::{ttl_for_leaf, TlbiRequest, DEFAULT_MAX_TLBI_OPS},
        regs::{Oas, Shareability},
        ste::{S1Dss, S1Fmt, Ste},
    },
    smmu::{AllocError, CdLeaf, CdTable, CoherentBuf, DmaAlloc, InvContext, SmmuError},
};
use kernel::{
    bindings, dev_err,
    device::Device,
    iommu::{
        self,
        io_pgtable::{ArmLpaeS1Config, FlushOps, IoPgtable},
        DeviceIommu, Domain, DomainOps, DomainOpsTable, Gather, IommuOps, OpsTable, StaticDomain,
        StaticDomainOps,
    },
    new_mutex,
    prelude::*,
    sync::{Arc, Mutex},
    types::ARef,
};

/// The software-managed MSI window every device gets (as the C driver).
const MSI_IOVA_BASE: u64 = 0x800_0000;
const MSI_IOVA_LENGTH: usize = 0x10_0000;

/// Page sizes of the 4 KiB translation granule.
const PGSIZE_4K: u64 = (1 << 12) | (1 << 21) | (1 << 30);

/// Input address size of paging domains.
const IAS_BITS: u32 = 48;

fn errno(e: SmmuError) -> Error {
    Error::from_errno(e.errno())
}

/// Allocator of the SMMU's ASIDs (1 up to the ASID width; 0 is never
/// handed out, so a zero ASID in a CD is always a bug).
pub(crate) struct AsidMap {
    bits: KVec<u64>,
    next: usize,
}

impl AsidMap {
    pub(crate) fn new(asid_bits: u32) -> Result<Self> {
        let words = (1usize << asid_bits.min(16)) / 64;
        let mut bits = KVec::with_capacity(words, GFP_KERNEL)?;
        for _ in 0..words {
            bits.push(0u64, GFP_KERNEL)?;
        }
        if let Some(w) = bits.first_mut() {
            *w = 1; // ASID 0 reserved
        }
        Ok(Self { bits, next: 1 })
    }

    fn alloc(&mut self) -> Option<u16> {
        let n = self.bits.len() * 64;
        for i in 0..n {
            let a = (self.next + i) % n;
            let (w, b) = (a / 64, a % 64);
            if self.bits[w] & (1 << b) == 0 {
                self.bits[w] |= 1 << b;
                self.next = a + 1;
                return u16::try_from(a).ok();
            }
        }
        None
    }

    fn free(&mut self, asid: u16) {
        let a = usize::from(asid);
        if a != 0 {
            if let Some(w) = self.bits.get_mut(a / 64) {
                *w &= !(1 << (a % 64));
            }
        }
    }
}

/// A master's CD table, with level-2 leaves held in a `KVec`.
pub(crate) type MasterCdTable = CdTable<DmaBuf, KVec<Option<CdLeaf<DmaBuf>>>>;

/// SubstreamID bits a master's CD table is sized for (none yet: PASIDs
/// come with SVA).
const MASTER_SSID_BITS: u8 = 0;

/// Per-device state, stored with `dev_iommu_priv_set` from probe to
/// release.
///
/// Shared: the device's IOMMU private pointer holds one reference, the
/// instance's StreamID map ([`Smmu::streams`]) others, so a debugfs reader
/// can keep a master alive past its release.
#[pin_data]
pub(crate) struct Master {
    smmu: Arc<Smmu>,
    pub(crate) dev: ARef<Device>,
    pub(crate) sids: KVec<u32>,
    /// The context-descriptor table, allocated on the first paging attach.
    /// Only SSID 0 is used until PASIDs arrive with SVA; the table already
    /// supports them (linear or 2-level).
    #[pin]
    pub(crate) cd_table: Mutex<Option<MasterCdTable>>,
}

impl Master {
    /// # Safety
    ///
    /// `dev` must have been probed by this driver and not yet released.
    unsafe fn from_dev<'a>(dev: &Device) -> &'a Master {
        // SAFETY: `probe_device` stored an `Arc<Master>`, dropped in `release_device`.
        unsafe { &*(DeviceIommu::get_priv(dev) as *const Master) }
    }

    /// Installs `ste` for every StreamID of the device.
    fn install_ste(&self, ste: &Ste) -> Result {
        let smmu = &*self.smmu;
        let mut strtab = smmu.strtab.lock();
        // `probe_device` made every level-2 table exist; should one be
        // missing, fail rather than allocate under the command queue lock.
        let no_alloc = Preallocated::new(None);
        for &sid in self.sids.iter() {
            smmu.with_cmdq(|hw, q| strtab.install_ste(&no_alloc, hw, q, sid, ste))
                .map_err(|e| {
                    dev_err!(&self.dev, "installing the STE of StreamID {sid:#x}: {e}\n");
                    errno(e)
                })?;
        }
        Ok(())
    }
}

/// A [`DmaAlloc`] handing out at most one buffer allocated beforehand.
///
/// [`crate::smmu::StreamTable::ensure_l2`] allocates and then publishes
/// with the command queue, which is a spinlock taken with interrupts
/// disabled, where `dma_alloc_coherent(GFP_KERNEL)` must not run: the
/// level-2 table is allocated before the lock and lent through this.
struct Preallocated(core::cell::Cell<Option<DmaBuf>>);

impl Preallocated {
    fn new(buf: Option<DmaBuf>) -> Self {
        Self(core::cell::Cell::new(buf))
    }
}

impl DmaAlloc for Preallocated {
    type Buf = DmaBuf;

    fn alloc_coherent(&self, size: usize) -> Result<DmaBuf, AllocError> {
        match self.0.take() {
            Some(buf) if buf.size() >= size => Ok(buf),
            other => {
                // Put it back: freeing it here could be under the lock.
                self.0.set(other);
                Err(AllocError { size })
            }
        }
    }
}

/// TLB maintenance of one ASID; the cookie of a domain's page tables.
pub(crate) struct Flush {
    smmu: Arc<Smmu>,
    asid: u16,
}

impl Flush {
    fn invalidate_asid(&self) {
        if let Err(e) = self
            .smmu
            .with_cmdq(|hw, q| q.tlbi_context(hw, InvContext::Asid(self.asid)))
        {
            dev_err!(&self.smmu.dev, "TLBI of ASID {}: {e}\n", self.asid);
        }
    }

    /// Invalidates `[iova, iova + size)`. For leaf invalidation of entries
    /// of `leaf_size` bytes (a page or a block), one command per entry is
    /// enough without range invalidation, and the TTL hint names their
    /// level.
    fn invalidate_range(&self, iova: u64, size: u64, leaf: bool, leaf_size: usize) {
        let mut req = TlbiRequest::new(iova, size, Granule::Size4K, leaf, true);
        if leaf && leaf_size.is_power_of_two() {
            let shift = leaf_size.trailing_zeros();
            if shift > req.stride_shift {
                req.stride_shift = shift;
            }
            req.ttl = ttl_for_leaf(Granule::Size4K, shift);
        }
        let r = self.smmu.with_cmdq(|hw, q| {
            q.tlbi_range(hw, InvContext::Asid(self.asid), &req, DEFAULT_MAX_TLBI_OPS)
        });
        if let Err(e) = r {
            dev_err!(
                &self.smmu.dev,
                "TLBI of {iova:#x}+{size:#x}: {e}; invalidating the ASID\n"
            );
            self.invalidate_asid();
        }
    }
}

impl FlushOps for Flush {
    fn tlb_flush_all(&self) {
        self.invalidate_asid();
    }

    fn tlb_flush_walk(&self, iova: u64, size: usize, granule: usize) {
        self.invalidate_range(iova, size as u64, false, granule);
    }

    fn tlb_add_page(&self, gather: Option<&Gather>, iova: u64, granule: usize) {
        match gather {
            Some(g) => g.add_page_with(iova, granule, |start, end, pgsize| {
                self.invalidate_range(start, end - start + 1, true, pgsize)
            }),
            None => self.invalidate_range(iova, granule as u64, true, granule),
        }
    }
}

impl Drop for Flush {
    fn drop(&mut self) {
        // The tables are gone; nothing may stay cached under this ASID
        // before it is handed out again.
        self.invalidate_asid();
        self.smmu.asids.lock().free(self.asid);
    }
}

/// A stage-1 translation domain.
pub(crate) struct PagingDomain {
    smmu: Arc<Smmu>,
    pgtbl: IoPgtable<Flush>,
    flush: Arc<Flush>,
    cd: Cd,
}

impl PagingDomain {
    fn new(smmu: Arc<Smmu>) -> Result<Self> {
        let asid = smmu.asids.lock().alloc().ok_or(ENOSPC)?;
        let flush = Arc::new(
            Flush {
                smmu: smmu.clone(),
                asid,
            },
            GFP_KERNEL,
        )?;
        let f = &smmu.features;
        let cfg = ArmLpaeS1Config {
            ias: IAS_BITS.min(f.va_bits()),
            oas: f.oas_bits().unwrap_or(48),
            pgsize_bitmap: PGSIZE_4K & f.pgsize_bitmap(),
            coherent_walk: f.cohacc,
            quirks: 0,
        };
        let pgtbl = IoPgtable::new_arm_lpae_s1(&smmu.dev, &cfg, flush.clone())?;
        let info = *pgtbl.info();
        let cacheability = |v: u8| match v {
            1 => Cacheability::WriteBackWriteAlloc,
            2 => Cacheability::WriteThrough,
            3 => Cacheability::WriteBackNoWriteAlloc,
            _ => Cacheability::NonCacheable,
        };
        let cd = Cd::s1_paging(&S1PagingCd {
            asid,
            ttb0: info.ttbr,
            t0sz: info.tsz,
            tg0: match info.tg {
                1 => CdGranule::Size64K,
                2 => CdGranule::Size16K,
                _ => CdGranule::Size4K,
            },
            irgn0: cacheability(info.irgn),
            orgn0: cacheability(info.orgn),
            sh0: match info.sh {
                2 => Shareability::OuterShareable,
                3 => Shareability::InnerShareable,
                _ => Shareability::NonShareable,
            },
            ips: Oas::decode(info.ips.into()),
            mair: info.mair,
            stall: false,
            httu: CdHttu::None,
        })
        .map_err(|e| {
            dev_err!(&smmu.dev, "cannot build the CD of a paging domain: {e:?}\n");
            EINVAL
        })?;
        Ok(Self {
            smmu,
            pgtbl,
            flush,
            cd,
        })
    }
}

#[vtable]
impl DomainOps for PagingDomain {
    fn attach_dev(domain: &Domain<Self>, dev: &Device) -> Result {
        // SAFETY: the core only attaches devices this driver probed.
        let master = unsafe { Master::from_dev(dev) };
        let d = domain.data();
        if !Arc::ptr_eq(&master.smmu, &d.smmu) {
            return Err(EINVAL);
        }
        let smmu = &*master.smmu;
        let mut cd_table = master.cd_table.lock();
        if cd_table.is_none() {
            // Allocated here, where sleeping is allowed; installing CDs
            // below runs with interrupts off and never allocates.
            let geom = MasterCdTable::geometry_for(&smmu.hw, MASTER_SSID_BITS).map_err(errno)?;
            let mut leaves = KVec::new();
            if geom.s1fmt() != S1Fmt::Linear {
                for _ in 0..geom.l1_entries() {
                    leaves.push(None, GFP_KERNEL)?;
                }
            }
            *cd_table = Some(
                MasterCdTable::new(&smmu.alloc, &smmu.hw, MASTER_SSID_BITS, false, leaves)
                    .map_err(errno)?,
            );
        }
        let table = cd_table.as_mut().ok_or(ENOMEM)?;
        let no_alloc = Preallocated::new(None);
        smmu.with_cmdq(|hw, q| table.install_cd(&no_alloc, hw, q, &master.sids, 0, &d.cd))
            .map_err(|e| {
                dev_err!(dev, "writing the context descriptor: {e}\n");
                errno(e)
            })?;
        let ste = Ste::cd_table(&smmu.hw.ste_caps(), &table.ste_config(S1Dss::Ssid0, false))
            .map_err(|e| {
                dev_err!(dev, "cannot build the STE: {e:?}\n");
                EINVAL
            })?;
        master.install_ste(&ste)
    }

    #[allow(clippy::too_many_arguments)]
    fn map_pages(
        domain: &Domain<Self>,
        iova: u64,
        paddr: u64,
        pgsize: usize,
        pgcount: usize,
        prot: i32,
        gfp: u32,
        mapped: &mut usize,
    ) -> Result {
        domain
            .data()
            .pgtbl
            .map_pages(iova, paddr, pgsize, pgcount, prot, gfp, mapped)
    }

    fn unmap_pages(
        domain: &Domain<Self>,
        iova: u64,
        pgsize: usize,
        pgcount: usize,
        gather: &Gather,
    ) -> usize {
        domain
            .data()
            .pgtbl
            .unmap_pages(iova, pgsize, pgcount, gather)
    }

    fn flush_iotlb_all(domain: &Domain<Self>) {
        domain.data().flush.invalidate_asid();
    }

    fn iotlb_sync(domain: &Domain<Self>, gather: &Gather) {
        if let Some((start, end, pgsize)) = gather.range() {
            domain
                .data()
                .flush
                .invalidate_range(start, end - start + 1, true, pgsize);
        }
    }

    fn iova_to_phys(domain: &Domain<Self>, iova: u64) -> u64 {
        domain.data().pgtbl.iova_to_phys(iova)
    }
}

/// Bypass: the device's DMA is not translated.
struct IdentityDomain;

impl StaticDomainOps for IdentityDomain {
    fn attach_dev(_domain: *mut bindings::iommu_domain, dev: &Device) -> Result {
        // SAFETY: the core only attaches devices this driver probed.
        let master = unsafe { Master::from_dev(dev) };
        master.install_ste(&Ste::bypass(&master.smmu.hw.ste_caps()))
    }
}

/// Blocking: every DMA of the device is aborted.
struct BlockedDomain;

impl StaticDomainOps for BlockedDomain {
    fn attach_dev(_domain: *mut bindings::iommu_domain, dev: &Device) -> Result {
        // SAFETY: the core only attaches devices this driver probed.
        let master = unsafe { Master::from_dev(dev) };
        master.install_ste(&Ste::abort())
    }
}

static IDENTITY_OPS: DomainOpsTable = iommu::static_domain_ops_table::<IdentityDomain>();
static BLOCKED_OPS: DomainOpsTable = iommu::static_domain_ops_table::<BlockedDomain>();
static IDENTITY: StaticDomain = StaticDomain::new(bindings::IOMMU_DOMAIN_IDENTITY, &IDENTITY_OPS);
static BLOCKED: StaticDomain = StaticDomain::new(bindings::IOMMU_DOMAIN_BLOCKED, &BLOCKED_OPS);
static PAGING_OPS: DomainOpsTable = iommu::domain_ops_table::<PagingDomain>();

/// The driver's `struct iommu_ops`.
pub(crate) static OPS: OpsTable = iommu::ops_table::<SmmuOps>(&PAGING_OPS);

/// The driver's IOMMU operations.
pub(crate) struct SmmuOps;

#[vtable]
impl IommuOps for SmmuOps {
    type PagingDomain = PagingDomain;

    const IDENTITY_DOMAIN: Option<&'static StaticDomain> = Some(&IDENTITY);
    const BLOCKED_DOMAIN: Option<&'static StaticDomain> = Some(&BLOCKED);
    const PGSIZE_BITMAP: u64 = PGSIZE_4K;

    fn probe_device(dev: &Device) -> Result<*mut bindings::iommu_device> {
        let fwnode = DeviceIommu::iommu_fwnode(dev).ok_or(ENODEV)?;
        let smmu = lookup(fwnode).ok_or(ENODEV)?;
        let ids = DeviceIommu::ids(dev).ok_or(ENODEV)?;
        let mut sids = KVec::with_capacity(ids.len(), GFP_KERNEL)?;
        {
            let mut strtab = smmu.strtab.lock();
            let report = |sid: u32, e: SmmuError| {
                dev_err!(dev, "StreamID {sid:#x}: {e}\n");
                errno(e)
            };
            for &sid in ids {
                // Two devices with one StreamID would overwrite each
                // other's STE; refuse, as the C driver does.
                let aliased = smmu
                    .streams
                    .lock()
                    .iter()
                    .any(|(s, m)| *s == sid && m.is_some());
                if aliased {
                    dev_err!(dev, "StreamID {sid:#x} is already used by another device\n");
                    return Err(ENODEV);
                }
                // Fails for StreamIDs out of range.
                let present = strtab.is_present(sid).map_err(|e| report(sid, e))?;
                // The level-2 table is allocated here, where sleeping is
                // allowed; `ensure_l2` fills it with the default (abort)
                // STEs and publishes it under the command queue lock.
                let l2 = if present {
                    None
                } else {
                    let bytes = strtab
                        .geometry()
                        .l2_table_bytes()
                        .max(64)
                        .checked_next_power_of_two()
                        .and_then(|b| usize::try_from(b).ok())
                        .ok_or(EINVAL)?;
                    Some(smmu.alloc.alloc_coherent(bytes).map_err(|_| ENOMEM)?)
                };
                let pre = Preallocated::new(l2);
                smmu.with_cmdq(|hw, q| strtab.ensure_l2(&pre, hw, q, sid))
                    .map_err(|e| report(sid, e))?;
                // `pre` (a buffer left unused on error) drops here, with
                // interrupts enabled.
                drop(pre);
                sids.push(sid, GFP_KERNEL)?;
            }
        }
        let iommu = smmu.iommu_device();
        let streams_of = smmu.clone();
        let master = Arc::pin_init(
            pin_init!(Master {
                smmu,
                dev: dev.into(),
                sids,
                cd_table <- new_mutex!(None, "arm_smmu_v3_rs:cd_table"),
            }),
            GFP_KERNEL,
        )?;
        {
            let mut streams = streams_of.streams.lock();
            // A spinlock is held: no sleeping allocation. Reserving first
            // makes the pushes below infallible, so a failure leaves no
            // partial entry (and no `Smmu` ↔ `Master` reference cycle).
            streams.reserve(master.sids.len(), GFP_ATOMIC)?;
            for &sid in master.sids.iter() {
                match streams.iter_mut().find(|(_, m)| m.is_none()) {
                    Some(slot) => *slot = (sid, Some(master.clone())),
                    None => streams.push((sid, Some(master.clone())), GFP_ATOMIC)?,
                }
            }
        }
        // SAFETY: This driver's device; `release_device` takes the reference back.
        unsafe { DeviceIommu::set_priv(dev, Arc::into_raw(master) as *mut _) };
        Ok(iommu)
    }

    fn release_device(dev: &Device) {
        let ptr = DeviceIommu::get_priv(dev) as *mut Master;
        if ptr.is_null() {
            return;
        }
        // SAFETY: Set once by `probe_device` from an `Arc<Master>`.
        let master = unsafe { Arc::from_raw(ptr) };
        // SAFETY: as above, the device is going away.
        unsafe { DeviceIommu::set_priv(dev, core::ptr::null_mut()) };
        if master.install_ste(&master.smmu.hw.default_ste()).is_err() {
            // An STE may still point at the CD table: the SMMU could keep
            // reading it, so it must never be freed (and reused).
            if let Some(table) = master.cd_table.lock().take() {
                core::mem::forget(table);
            }
        }
        for slot in master.smmu.streams.lock().iter_mut() {
            if slot.1.as_ref().is_some_and(|m| Arc::ptr_eq(m, &master)) {
                slot.1 = None;
            }
        }
    }

    fn domain_alloc_paging(dev: &Device) -> Result<*mut bindings::iommu_domain> {
        // SAFETY: the core only allocates for devices this driver probed.
        let master = unsafe { Master::from_dev(dev) };
        let d = PagingDomain::new(master.smmu.clone())?;
        let aperture_end = (1u64 << IAS_BITS.min(master.smmu.features.va_bits())) - 1;
        Domain::new_paging(
            d,
            &PAGING_OPS,
            PGSIZE_4K & master.smmu.features.pgsize_bitmap(),
            aperture_end,
        )
    }

    fn of_xlate(dev: &Device, args: &[u32]) -> Result {
        iommu::fwspec_add_ids(dev, args.get(..1).ok_or(EINVAL)?)
    }

    fn get_resv_regions(dev: &Device, list: *mut bindings::list_head) {
        // SAFETY: `list` is the core's list head for this call.
        unsafe { iommu::add_sw_msi_and_dma_regions(dev, list, MSI_IOVA_BASE, MSI_IOVA_LENGTH) };
    }

    fn capable(dev: &Device, cap: u32) -> bool {
        // SAFETY: the core only asks about devices this driver probed.
        let master = unsafe { Master::from_dev(dev) };
        match cap {
            bindings::iommu_cap_IOMMU_CAP_CACHE_COHERENCY => master.smmu.features.cohacc,
            bindings::iommu_cap_IOMMU_CAP_NOEXEC | bindings::iommu_cap_IOMMU_CAP_DEFERRED_FLUSH => {
                true
            }
            _ => false,
        }
    }
}
