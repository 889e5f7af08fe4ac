// SPDX-License-Identifier: GPL-2.0

//! The IOMMU core's view of the driver: per-device state ([`Master`]),
//! translation domains ([`PagingDomain`], and the static identity and
//! blocking domains) and the operation tables.
//!
//! A paging domain is a stage-1 address space: io-pgtable-arm tables, an
//! ASID, and the context descriptor (CD) that points the SMMU at them. A
//! device attached to it gets that CD at SSID 0 of its CD table (sized for
//! its PASIDs), and its STE points at the CD table. Invalidation is by
//! ASID: leaf ranges gathered during unmap, walk caches when tables are
//! freed, everything on `flush_iotlb_all` (lazy mode's flush queue).

use crate::hw::range::AtcPolicy;
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
    smmu::{
        AllocError, CdLeaf, CdLeafSlots, CdTable, CoherentBuf, DmaAlloc, InvContext, SmmuError,
    },
};
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use kernel::{
    bindings, c_str, dev_err, dev_warn,
    device::Device,
    iommu::{
        self,
        io_pgtable::{ArmLpaeS1Config, FlushOps, IoPgtable},
        DeviceIommu, Domain, DomainOps, DomainOpsTable, Gather, IommuOps, OpsTable, StaticDomain,
        StaticDomainOps,
    },
    irq, new_mutex, new_spinlock,
    prelude::*,
    str::CStr,
    sync::{Arc, ArcBorrow, Mutex, SpinLock},
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

/// The PASID width firmware gives a platform device (`pasid-num-bits`),
/// 0 if none (PCI functions use their PASID capability instead).
fn master_pasid_bits(dev: &Device) -> u32 {
    if DeviceIommu::is_pci(dev) {
        return 0;
    }
    let mut bits = 0u32;
    // SAFETY: `dev` is live, the name a NUL-terminated string, `bits` room for one value.
    let r = unsafe {
        bindings::device_property_read_u32_array(
            DeviceIommu::raw(dev),
            c_str!("pasid-num-bits").as_char_ptr(),
            &mut bits,
            1,
        )
    };
    if r == 0 {
        bits.min(u32::from(crate::hw::regs::Features::MAX_SSIDSIZE))
    } else {
        0
    }
}

/// Whether firmware describes platform device `dev` as sending page
/// requests (PCI functions use their PRI capability): the model's test
/// devices say so with `iommu-sva-rs,pri`.
fn master_has_pri(dev: &Device) -> bool {
    #[cfg(CONFIG_ARM_SMMU_V3_RUST_MODEL)]
    {
        dev.property_present(c_str!("iommu-sva-rs,pri"))
    }
    #[cfg(not(CONFIG_ARM_SMMU_V3_RUST_MODEL))]
    {
        let _ = dev;
        false
    }
}

/// Whether platform device `dev` translates through ATS (PCI functions use
/// their ATS capability): the model's test devices say so with
/// `iommu-sva-rs,ats`.
fn master_has_ats(dev: &Device) -> bool {
    #[cfg(CONFIG_ARM_SMMU_V3_RUST_MODEL)]
    {
        dev.property_present(c_str!("iommu-sva-rs,ats"))
    }
    #[cfg(not(CONFIG_ARM_SMMU_V3_RUST_MODEL))]
    {
        let _ = dev;
        false
    }
}

/// PCI PASIDs enabled during a probe: disabled again if the probe fails.
struct PciPasid(*mut bindings::device, u32);

impl Drop for PciPasid {
    fn drop(&mut self) {
        // SAFETY: the function is live during its probe, and had PASIDs enabled.
        unsafe { bindings::sva_rs_pci_disable_pasid(self.0) };
    }
}

/// Property presence on a device.
pub(crate) trait PropertyPresent {
    fn property_present(&self, name: &CStr) -> bool;
}

impl PropertyPresent for Device {
    fn property_present(&self, name: &CStr) -> bool {
        // SAFETY: `self` is live, `name` NUL-terminated.
        unsafe { bindings::device_property_present(DeviceIommu::raw(self), name.as_char_ptr()) }
    }
}

/// Allocator of the SMMU's ASIDs (1 up to the ASID width; 0 is never
/// handed out, so a zero ASID in a CD is always a bug).
///
/// When SVA domains share CPU ASIDs ([`AsidMap::claim`]), private ASIDs are
/// handed out from the top down while the CPUs allocate theirs upwards,
/// which makes an SVA domain's fallback to a private ASID rare, at least
/// until the CPUs' allocator has wrapped around a few times.
pub(crate) struct AsidMap {
    bits: KVec<u64>,
    /// Allocation cursor, counted in the direction of allocation.
    next: usize,
    top_down: bool,
}

impl AsidMap {
    pub(crate) fn new(asid_bits: u32, top_down: bool) -> Result<Self> {
        let words = (1usize << asid_bits.min(16)) / 64;
        let mut bits = KVec::with_capacity(words, GFP_KERNEL)?;
        for _ in 0..words {
            bits.push(0u64, GFP_KERNEL)?;
        }
        if let Some(w) = bits.first_mut() {
            *w = 1; // ASID 0 reserved
        }
        Ok(Self {
            bits,
            next: 0,
            top_down,
        })
    }

    pub(crate) fn alloc(&mut self) -> Option<u16> {
        let n = self.bits.len() * 64;
        for i in 0..n {
            let k = (self.next + i) % n;
            let a = if self.top_down { n - 1 - k } else { k };
            let (w, b) = (a / 64, a % 64);
            if self.bits[w] & (1 << b) == 0 {
                self.bits[w] |= 1 << b;
                self.next = k + 1;
                return u16::try_from(a).ok();
            }
        }
        None
    }

    /// Takes `asid` itself (a CPU ASID shared through broadcast TLB
    /// maintenance); `false` if it is taken or out of range.
    pub(crate) fn claim(&mut self, asid: u16) -> bool {
        let a = usize::from(asid);
        match self.bits.get_mut(a / 64) {
            Some(w) if a != 0 && *w & (1 << (a % 64)) == 0 => {
                *w |= 1 << (a % 64);
                true
            }
            _ => false,
        }
    }

    pub(crate) fn free(&mut self, asid: u16) {
        let a = usize::from(asid);
        if a != 0 {
            if let Some(w) = self.bits.get_mut(a / 64) {
                *w &= !(1 << (a % 64));
            }
        }
    }
}

/// Invalidates `[iova, iova + size)` (`size` 0: everything) in the ATCs of
/// `targets` (StreamID, SubstreamID), with one `CMD_SYNC`. A failure is
/// logged against `dev`: typically an endpoint that did not complete the
/// invalidation in time, whose ATC may hold stale entries.
fn atc_inv_streams(
    smmu: &Smmu,
    dev: &Device,
    targets: impl IntoIterator<Item = (u32, Option<u32>)>,
    iova: u64,
    size: u64,
) {
    let r = smmu.with_cmdq(|hw, q| q.atc_inv_streams(hw, targets, iova, size, AtcPolicy::DEFAULT));
    if let Err(e) = r {
        if smmu.log_allowed() {
            dev_err!(dev, "ATC invalidation: {e}\n");
        }
    }
}

/// Level-2 leaves of a master's CD table.
///
/// A leaf emptied by [`CdLeafSlots::take`] is retired here rather than
/// handed back: the CD table frees leaves while the command queue lock is
/// held with interrupts off, where coherent memory cannot be freed.
/// [`MasterState::free_retired`] frees them once the lock is dropped.
///
/// # Invariants
///
/// `retired` has capacity for every slot, so retiring never allocates.
pub(crate) struct KernelCdLeaves {
    slots: KVVec<Option<CdLeaf<DmaBuf>>>,
    retired: KVVec<CdLeaf<DmaBuf>>,
}

impl KernelCdLeaves {
    fn new(n: usize) -> Result<Self> {
        // Up to 1024 slots each: `kvmalloc`, not one large `kmalloc`.
        let mut slots = KVVec::with_capacity(n, GFP_KERNEL)?;
        for _ in 0..n {
            slots.push(None, GFP_KERNEL)?;
        }
        Ok(Self {
            slots,
            retired: KVVec::with_capacity(n, GFP_KERNEL)?,
        })
    }
}

impl CdLeafSlots<DmaBuf> for KernelCdLeaves {
    fn slots(&self) -> usize {
        self.slots.len()
    }

    fn leaf(&self, index: usize) -> Option<&CdLeaf<DmaBuf>> {
        self.slots.get(index).and_then(Option::as_ref)
    }

    fn leaf_mut(&mut self, index: usize) -> Option<&mut CdLeaf<DmaBuf>> {
        self.slots.get_mut(index).and_then(Option::as_mut)
    }

    fn fill(&mut self, index: usize, leaf: CdLeaf<DmaBuf>) -> Result<(), CdLeaf<DmaBuf>> {
        match self.slots.get_mut(index) {
            Some(slot @ None) => {
                *slot = Some(leaf);
                Ok(())
            }
            _ => Err(leaf),
        }
    }

    fn take(&mut self, index: usize) -> Option<CdLeaf<DmaBuf>> {
        let leaf = self.slots.get_mut(index).and_then(Option::take)?;
        // Never allocates: capacity for every slot (type invariant).
        let _ = self.retired.push(leaf, GFP_ATOMIC);
        None
    }
}

/// A master's CD table.
pub(crate) type MasterCdTable = CdTable<DmaBuf, KernelCdLeaves>;

/// What a master's untagged traffic (and SSID 0) translates with.
#[derive(Clone, Copy)]
pub(crate) enum Dflt {
    /// Nothing attached yet: aborted.
    None,
    /// The blocking domain.
    Blocked,
    /// The identity domain.
    Identity,
    /// A paging domain, through this CD at SSID 0.
    Paging(Cd),
}

/// A PASID of a master and the domain it is attached to.
pub(crate) struct PasidAttach {
    pub(crate) pasid: u32,
    /// The `struct iommu_domain` (address only: compared, never followed).
    pub(crate) domain: usize,
    pub(crate) sva: bool,
    /// The domain's invalidation, which this master's ATC is registered
    /// with (ATS masters only).
    pub(crate) ats: Option<Arc<Flush>>,
}

/// A master's mutable state.
pub(crate) struct MasterState {
    /// The CD table, allocated on first use (a paging attach or a PASID).
    pub(crate) cd_table: Option<MasterCdTable>,
    pub(crate) dflt: Dflt,
    /// The default paging domain's invalidation, which this master's ATC
    /// is registered with (ATS masters only).
    pub(crate) dflt_ats: Option<Arc<Flush>>,
    /// PASIDs with a domain (never `IOMMU_NO_PASID`).
    pub(crate) pasids: KVec<PasidAttach>,
    /// `IOMMU_DEV_FEAT_SVA` enabled.
    pub(crate) sva: bool,
    /// On the SMMU's I/O page fault queue.
    pub(crate) on_iopf_queue: bool,
}

impl MasterState {
    /// Frees the CD leaves the table retired (outside the command queue
    /// lock).
    fn free_retired(&mut self) {
        if let Some(t) = self.cd_table.as_mut() {
            let retired = &mut t.leaves_mut().retired;
            while let Some(leaf) = crate::take_at(retired, 0) {
                drop(leaf);
            }
        }
    }
}

/// Per-device state, stored with `dev_iommu_priv_set` from probe to
/// release.
///
/// Shared: the device's IOMMU private pointer holds one reference, the
/// instance's StreamID map ([`Smmu::streams`]) others, so a debugfs reader
/// can keep a master alive past its release.
#[pin_data]
pub(crate) struct Master {
    pub(crate) smmu: Arc<Smmu>,
    pub(crate) dev: ARef<Device>,
    pub(crate) sids: KVec<u32>,
    /// SubstreamID bits the master uses: its PASID width (`pasid-num-bits`
    /// or PCI PASID capability) within the SMMU's `SSIDSIZE`.
    pub(crate) ssid_bits: u8,
    /// The master tolerates stalled transactions (`dma-can-stall`, on an
    /// SMMU that can stall).
    pub(crate) stall: bool,
    /// The master sends page requests (PRI).
    pub(crate) pri: bool,
    /// The master translates through ATS and caches translations in its
    /// ATC: its STEs enable ATS (`EATS`), and every invalidation of a
    /// domain it uses is followed by `CMD_ATC_INV`.
    pub(crate) ats: bool,
    /// A PCI function (ATS, PASID and PRI are enabled in its capabilities).
    pub(crate) pci: bool,
    /// PCI ATS is enabled in the function.
    pci_ats_on: AtomicBool,
    /// PCI PASIDs were enabled at probe.
    pci_pasid_on: bool,
    /// PCI PRI is enabled in the function (with `IOMMU_DEV_FEAT_IOPF`).
    pub(crate) pci_pri_on: AtomicBool,
    /// Page responses carry the request's PASID (always for the model's
    /// devices; for a PCI function if its PRI capability asks for it).
    pub(crate) pri_resp_pasid: bool,
    /// `IOMMU_DEV_FEAT_IOPF` enabled: faults are reported to the IOMMU
    /// core (read by the fault paths without the state lock).
    pub(crate) iopf: AtomicBool,
    #[pin]
    pub(crate) state: Mutex<MasterState>,
}

impl Master {
    /// # Safety
    ///
    /// `dev` must have been probed by this driver and not yet released.
    pub(crate) unsafe fn from_dev<'a>(dev: &Device) -> &'a Master {
        // SAFETY: `probe_device` stored an `Arc<Master>`, dropped in `release_device`.
        unsafe { &*(DeviceIommu::get_priv(dev) as *const Master) }
    }

    /// The master of `dev`, which the core is attaching to a domain of
    /// `smmu`; `EINVAL` if the device is behind another SMMU.
    ///
    /// # Safety
    ///
    /// As for [`Master::from_dev`] (true of every device the core
    /// attaches).
    pub(crate) unsafe fn attaching<'a>(dev: &Device, smmu: &Arc<Smmu>) -> Result<&'a Master> {
        // SAFETY: forwarded from the caller.
        let master = unsafe { Self::from_dev(dev) };
        if Arc::ptr_eq(&master.smmu, smmu) {
            Ok(master)
        } else {
            Err(EINVAL)
        }
    }

    /// A new reference to the master of `dev`.
    ///
    /// # Safety
    ///
    /// As for [`Master::from_dev`].
    pub(crate) unsafe fn arc_from_dev(dev: &Device) -> Arc<Master> {
        // SAFETY: the private pointer is an `Arc<Master>` kept until release (see `from_dev`).
        let borrow = unsafe { ArcBorrow::from_raw(DeviceIommu::get_priv(dev) as *const Master) };
        borrow.into()
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

    /// Allocates the CD table if needed (sized for every PASID of the
    /// master), where sleeping is allowed.
    fn ensure_cd_table<'a>(&self, st: &'a mut MasterState) -> Result<&'a mut MasterCdTable> {
        if st.cd_table.is_none() {
            let smmu = &*self.smmu;
            let geom = MasterCdTable::geometry_for(&smmu.hw, self.ssid_bits).map_err(errno)?;
            let leaves = KernelCdLeaves::new(if geom.s1fmt() == S1Fmt::Linear {
                0
            } else {
                geom.l1_entries() as usize
            })?;
            st.cd_table = Some(
                MasterCdTable::new(&smmu.alloc, &smmu.hw, self.ssid_bits, self.stall, leaves)
                    .map_err(errno)?,
            );
        }
        st.cd_table.as_mut().ok_or(ENOMEM)
    }

    /// Installs `cd` at `ssid` (allocating the table and, for a 2-level
    /// table, the leaf beforehand, outside the command queue lock).
    pub(crate) fn install_cd(&self, st: &mut MasterState, ssid: u32, cd: &Cd) -> Result {
        let smmu = &*self.smmu;
        let table = self.ensure_cd_table(st)?;
        let present = table.is_present(ssid).map_err(errno)?;
        let leaf = if present {
            None
        } else {
            Some(alloc_table(smmu, table.geometry().l2_table_bytes())?)
        };
        let pre = Preallocated::new(leaf);
        let r = smmu.with_cmdq(|hw, q| table.install_cd(&pre, hw, q, &self.sids, ssid, cd));
        drop(pre);
        st.free_retired();
        r.map(|_| ()).map_err(|e| {
            dev_err!(&self.dev, "writing the CD of SSID {ssid:#x}: {e}\n");
            errno(e)
        })
    }

    /// Clears the CD of `ssid`; frees its leaf when it was the last one.
    pub(crate) fn clear_cd(&self, st: &mut MasterState, ssid: u32) -> Result {
        let Some(table) = st.cd_table.as_mut() else {
            return Ok(());
        };
        let r = self
            .smmu
            .with_cmdq(|hw, q| table.clear_cd(hw, q, &self.sids, ssid));
        st.free_retired();
        r.map(|_| ()).map_err(|e| {
            dev_err!(&self.dev, "clearing the CD of SSID {ssid:#x}: {e}\n");
            errno(e)
        })
    }

    /// Writes the STEs that `st` calls for: without PASIDs a bypass, abort
    /// or CD-table STE; with PASIDs always the CD table, `S1DSS` deciding
    /// what untagged traffic does.
    pub(crate) fn apply_ste(&self, st: &mut MasterState) -> Result {
        let caps = self.smmu.hw.ste_caps();
        let s1dss = match st.dflt {
            Dflt::Paging(_) => S1Dss::Ssid0,
            Dflt::Identity if !st.pasids.is_empty() => S1Dss::Bypass,
            Dflt::None | Dflt::Blocked if !st.pasids.is_empty() => S1Dss::Terminate,
            Dflt::Identity => return self.install_ste_no_ats(&Ste::bypass(&caps)),
            Dflt::None | Dflt::Blocked => return self.install_ste_no_ats(&Ste::abort()),
        };
        let table = self.ensure_cd_table(st)?;
        let ste = Ste::cd_table(&caps, &table.ste_config(s1dss, self.ats)).map_err(|e| {
            dev_err!(&self.dev, "cannot build the STE: {e:?}\n");
            EINVAL
        })?;
        self.install_ste(&ste)?;
        if self.ats && self.pci && !self.pci_ats_on.load(Ordering::Acquire) {
            // The STEs allow ATS now: start from an empty ATC, then let
            // the function translate (as the C driver's enable order).
            // Not `atc_inv`: ATS is not on yet.
            self.atc_inv_sids(None, 0, 0);
            let raw = DeviceIommu::raw(&self.dev);
            // STU: the smallest translation the SMMU hands out (the
            // 4KB pages of paging domains), not the kernel's page size.
            // SAFETY: `raw` is this live PCI master.
            let r = unsafe { bindings::sva_rs_pci_enable_ats(raw, 12) };
            if r == 0 {
                self.pci_ats_on.store(true, Ordering::Release);
            } else {
                dev_warn!(&self.dev, "cannot enable ATS: {r}\n");
            }
        }
        Ok(())
    }

    /// Installs an STE without ATS: a PCI function must stop issuing
    /// translated requests first, and its ATC is emptied after.
    fn install_ste_no_ats(&self, ste: &Ste) -> Result {
        let was_on = self.pci_ats_on.swap(false, Ordering::AcqRel);
        if was_on {
            // SAFETY: this live PCI master enabled ATS in `apply_ste`.
            unsafe { bindings::sva_rs_pci_disable_ats(DeviceIommu::raw(&self.dev)) };
        }
        let r = self.install_ste(ste);
        if was_on {
            // ATS is off now, which `atc_inv` takes as "no ATC": the
            // entries cached while it was on still go, whether or not the
            // new STE could be written.
            self.atc_inv_sids(None, 0, 0);
        }
        r
    }

    /// A new reference to this master.
    pub(crate) fn arc(&self) -> Arc<Master> {
        // SAFETY: masters only exist inside an `Arc` (see `probe_device`), which `self` keeps alive.
        unsafe { ArcBorrow::from_raw(self as *const Master) }.into()
    }

    /// Registers this master's ATC (for translations tagged `ssid`) with
    /// `flush`, when the master uses ATS: from now on every invalidation
    /// of the domain reaches the ATC too.
    fn join_ats(
        &self,
        flush: Option<&Arc<Flush>>,
        ssid: Option<u32>,
    ) -> Result<Option<Arc<Flush>>> {
        match flush {
            Some(f) if self.ats => {
                f.add_ats(self.arc(), ssid)?;
                Ok(Some(f.clone()))
            }
            _ => Ok(None),
        }
    }

    /// Undoes [`Master::join_ats`].
    fn leave_ats(&self, flush: Option<Arc<Flush>>, ssid: Option<u32>) {
        if let Some(f) = flush {
            // The master reference is dropped here, outside the lock.
            drop(f.remove_ats(self, ssid));
        }
    }

    /// Invalidates the master's ATC for `[iova, iova + size)` (`size` 0:
    /// everything) of `ssid` (`None`: every PASID, as a request without
    /// PASID does).
    pub(crate) fn atc_inv(&self, ssid: Option<u32>, iova: u64, size: u64) {
        if self.has_atc() {
            self.atc_inv_sids(ssid, iova, size);
        }
    }

    /// Whether the master caches translations in an ATC now: it uses ATS,
    /// and a PCI function has it enabled (one whose ATS could not be
    /// enabled has no ATC to invalidate, and would not answer).
    fn has_atc(&self) -> bool {
        self.ats && (!self.pci || self.pci_ats_on.load(Ordering::Acquire))
    }

    /// [`Master::atc_inv`] whether or not the function has ATS enabled.
    fn atc_inv_sids(&self, ssid: Option<u32>, iova: u64, size: u64) {
        let targets = self.sids.iter().map(|&sid| (sid, ssid));
        atc_inv_streams(&self.smmu, &self.dev, targets, iova, size);
    }

    /// Makes `dflt` the translation of untagged traffic; `flush` is the
    /// invalidation of a paging `dflt`.
    fn attach_default(&self, dflt: Dflt, flush: Option<&Arc<Flush>>) -> Result {
        let mut st = self.state.lock();
        // Registered first, so that no invalidation of the new domain can
        // miss the ATC once the device uses it.
        let ats = self.join_ats(flush, None)?;
        if let Dflt::Paging(cd) = dflt {
            if let Err(e) = self.install_cd(&mut st, 0, &cd) {
                self.leave_ats(ats, None);
                return Err(e);
            }
        }
        let was = st.dflt;
        st.dflt = dflt;
        if let Err(e) = self.apply_ste(&mut st) {
            // The device stays on its old domain: so does CD 0.
            st.dflt = was;
            if matches!(dflt, Dflt::Paging(_)) {
                let _ = match was {
                    Dflt::Paging(old) => self.install_cd(&mut st, 0, &old),
                    _ => self.clear_cd(&mut st, 0),
                };
            }
            self.leave_ats(ats, None);
            return Err(e);
        }
        if !matches!(dflt, Dflt::Paging(_)) && matches!(was, Dflt::Paging(_)) {
            // No STE uses CD 0 for untagged traffic any more.
            let _ = self.clear_cd(&mut st, 0);
        }
        // The ATC may hold translations of the old domain: empty it before
        // leaving that domain's list, so that none of its invalidations
        // can miss the ATC meanwhile.
        self.atc_inv(None, 0, 0);
        let old = core::mem::replace(&mut st.dflt_ats, ats);
        self.leave_ats(old, None);
        Ok(())
    }

    /// The CD of a paging domain as this master uses it: with stalls
    /// forced by the SMMU, `CD.S` must be set (`STALL_MODEL == 0b10` makes
    /// `CD.S == 0` illegal).
    fn paging_cd(&self, cd: &Cd) -> Cd {
        let mut cd = *cd;
        if self.smmu.features.stall_forced() {
            cd.set_s(true);
        }
        cd
    }

    /// Attaches `domain` (a `struct iommu_domain`) to `pasid` with `cd`.
    pub(crate) fn attach_pasid(
        &self,
        pasid: u32,
        domain: *mut bindings::iommu_domain,
        sva: bool,
        cd: &Cd,
        flush: Option<&Arc<Flush>>,
    ) -> Result {
        if pasid == 0 || u64::from(pasid) >= 1u64 << self.ssid_bits {
            return Err(EINVAL);
        }
        let mut st = self.state.lock();
        if sva && !st.sva {
            return Err(EINVAL);
        }
        let pos = st.pasids.iter().position(|p| p.pasid == pasid);
        if pos.is_none() {
            st.pasids.reserve(1, GFP_KERNEL)?;
        }
        let ats = self.join_ats(flush, Some(pasid))?;
        if let Err(e) = self.install_cd(&mut st, pasid, cd) {
            self.leave_ats(ats, Some(pasid));
            return Err(e);
        }
        let entry = PasidAttach {
            pasid,
            domain: domain as usize,
            sva,
            ats,
        };
        match pos {
            Some(i) => {
                // Replaced: the old domain's translations leave the ATC.
                let old = core::mem::replace(&mut st.pasids[i], entry);
                self.atc_inv(Some(pasid), 0, 0);
                self.leave_ats(old.ats, Some(pasid));
            }
            None => {
                st.pasids.push(entry, GFP_KERNEL)?;
                if st.pasids.len() == 1 {
                    if let Err(e) = self.apply_ste(&mut st) {
                        if let Some(old) = crate::take_at(&mut st.pasids, 0) {
                            self.leave_ats(old.ats, Some(pasid));
                        }
                        let _ = self.clear_cd(&mut st, pasid);
                        return Err(e);
                    }
                }
            }
        }
        Ok(())
    }

    /// Detaches whatever `pasid` is attached to; returns the entry. Once
    /// this returns, neither the SMMU nor the master's ATC translates the
    /// PASID any more.
    pub(crate) fn detach_pasid(&self, pasid: u32) -> Option<PasidAttach> {
        let mut st = self.state.lock();
        let i = st.pasids.iter().position(|p| p.pasid == pasid)?;
        let mut entry = crate::take_at(&mut st.pasids, i)?;
        let _ = self.clear_cd(&mut st, pasid);
        if st.pasids.is_empty() {
            let _ = self.apply_ste(&mut st);
        }
        self.atc_inv(Some(pasid), 0, 0);
        self.leave_ats(entry.ats.take(), Some(pasid));
        Some(entry)
    }

    /// Unregisters the master's ATC from every domain (release).
    fn leave_all_ats(&self, st: &mut MasterState) {
        let dflt = st.dflt_ats.take();
        self.leave_ats(dflt, None);
        let pasids: KVec<(u32, Option<Arc<Flush>>)> = {
            let mut v = KVec::new();
            for p in st.pasids.iter_mut() {
                if let Some(f) = p.ats.take() {
                    if v.push((p.pasid, Some(f.clone())), GFP_KERNEL).is_err() {
                        // Never leave a reference cycle: unregister now.
                        drop(f.remove_ats(self, Some(p.pasid)));
                        continue;
                    }
                    drop(f);
                }
            }
            v
        };
        for (pasid, f) in pasids.into_iter() {
            self.leave_ats(f, Some(pasid));
        }
    }

    /// Clears the CD of `pasid` if it is still attached to `domain`: the
    /// last resort when its quiet CD cannot be written (transactions then
    /// get `C_BAD_CD` instead of walking freed page tables).
    pub(crate) fn clear_pasid_cd(&self, pasid: u32, domain: usize) {
        let mut st = self.state.lock();
        if st
            .pasids
            .iter()
            .any(|p| p.pasid == pasid && p.domain == domain)
        {
            if let Err(e) = self.clear_cd(&mut st, pasid) {
                dev_err!(&self.dev, "PASID {pasid}: the CD stays live: {e:?}\n");
            }
        }
    }

    /// Replaces the CD of `pasid` with `cd` if it is still attached to
    /// `domain` (the SVA domain's mm went away).
    pub(crate) fn replace_cd(&self, pasid: u32, domain: usize, cd: &Cd) -> Result {
        let mut st = self.state.lock();
        if !st
            .pasids
            .iter()
            .any(|p| p.pasid == pasid && p.domain == domain)
        {
            return Ok(());
        }
        self.install_cd(&mut st, pasid, cd)
    }
}

/// Allocates a level-2 table of `bytes` (stream table or CD leaf) where
/// sleeping is allowed, to be lent to the table code through
/// [`Preallocated`]: rounded up to a power of two of at least 64 bytes, as
/// the tables' alignment rules want.
fn alloc_table(smmu: &Smmu, bytes: u64) -> Result<DmaBuf> {
    let bytes = bytes
        .max(64)
        .checked_next_power_of_two()
        .and_then(|b| usize::try_from(b).ok())
        .ok_or(EINVAL)?;
    smmu.alloc.alloc_coherent(bytes).map_err(|_| ENOMEM)
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
    pub(crate) smmu: Arc<Smmu>,
    pub(crate) asid: u16,
    /// The translation granule of the tables (`TG` of range commands).
    pub(crate) granule: Granule,
    /// The ATCs (master, and SSID of its translations) that cache this
    /// domain's translations. Taken with interrupts off: invalidation runs
    /// in interrupt context too.
    ats: Pin<KBox<SpinLock<KVec<AtsUser>>>>,
    /// Entries in `ats`, read without the lock so that invalidations of
    /// domains without ATS users (the common case) skip it. A master joins
    /// before its CD is written, so an invalidation that still reads 0
    /// cannot concern its ATC.
    ats_users: AtomicU32,
}

/// A master whose ATC caches a domain's translations, tagged with this
/// SSID (`None`: without PASID).
type AtsUser = (Arc<Master>, Option<u32>);

impl Flush {
    pub(crate) fn new(smmu: Arc<Smmu>, asid: u16, granule: Granule) -> Result<Arc<Self>> {
        let ats = KBox::pin_init(
            new_spinlock!(KVec::new(), "arm_smmu_v3_rs:ats_users"),
            GFP_KERNEL,
        );
        let ats = match ats {
            Ok(a) => a,
            Err(e) => {
                smmu.asids.lock().free(asid);
                return Err(e);
            }
        };
        // From here on dropping the `Flush` frees the ASID.
        Ok(Arc::new(
            Self {
                smmu,
                asid,
                granule,
                ats,
                ats_users: AtomicU32::new(0),
            },
            GFP_KERNEL,
        )?)
    }

    fn add_ats(&self, master: Arc<Master>, ssid: Option<u32>) -> Result {
        let _irq = irq::local_irq_save();
        self.ats.lock().push((master, ssid), GFP_ATOMIC)?;
        self.ats_users.fetch_add(1, Ordering::Release);
        Ok(())
    }

    fn remove_ats(&self, master: &Master, ssid: Option<u32>) -> Option<AtsUser> {
        let _irq = irq::local_irq_save();
        let mut users = self.ats.lock();
        let i = users
            .iter()
            .position(|(m, s)| core::ptr::eq(&**m, master) && *s == ssid)?;
        self.ats_users.fetch_sub(1, Ordering::Release);
        crate::take_at(&mut users, i)
    }

    /// Invalidates `[iova, iova + size)` (`size` 0: everything) in every
    /// registered ATC, after the SMMU's TLB: all of them in one batch, with
    /// one `CMD_SYNC`.
    pub(crate) fn atc_inv(&self, iova: u64, size: u64) {
        if self.ats_users.load(Ordering::Acquire) == 0 {
            return;
        }
        let _irq = irq::local_irq_save();
        let users = self.ats.lock();
        let targets = users
            .iter()
            .filter(|(m, _)| m.has_atc())
            .flat_map(|(m, ssid)| m.sids.iter().map(move |&sid| (sid, *ssid)));
        atc_inv_streams(&self.smmu, &self.smmu.dev, targets, iova, size);
    }

    pub(crate) fn invalidate_asid(&self) {
        if let Err(e) = self
            .smmu
            .with_cmdq(|hw, q| q.tlbi_context(hw, InvContext::Asid(self.asid)))
        {
            dev_err!(&self.smmu.dev, "TLBI of ASID {}: {e}\n", self.asid);
        }
        self.atc_inv(0, 0);
    }

    /// Invalidates `[iova, iova + size)`. For leaf invalidation of entries
    /// of `leaf_size` bytes (a page or a block), one command per entry is
    /// enough without range invalidation, and the TTL hint names their
    /// level.
    pub(crate) fn invalidate_range(&self, iova: u64, size: u64, leaf: bool, leaf_size: usize) {
        let mut req = TlbiRequest::new(iova, size, self.granule, leaf, true);
        if leaf && leaf_size.is_power_of_two() {
            let shift = leaf_size.trailing_zeros();
            if shift > req.stride_shift {
                req.stride_shift = shift;
            }
            req.ttl = ttl_for_leaf(self.granule, shift);
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
            return;
        }
        // `size` 0 would mean everything to the ATC planner.
        if size != 0 {
            self.atc_inv(iova, size);
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
        // io-pgtable tables of this driver use 4KB pages.
        let flush = Flush::new(smmu.clone(), asid, Granule::Size4K)?;
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
        let d = domain.data();
        // SAFETY: the core only attaches devices this driver probed.
        let master = unsafe { Master::attaching(dev, &d.smmu) }?;
        master.attach_default(Dflt::Paging(master.paging_cd(&d.cd)), Some(&d.flush))
    }

    fn set_dev_pasid(
        domain: &Domain<Self>,
        dev: &Device,
        pasid: u32,
        _old: *mut bindings::iommu_domain,
    ) -> Result {
        let d = domain.data();
        // SAFETY: the core only attaches devices this driver probed.
        let master = unsafe { Master::attaching(dev, &d.smmu) }?;
        let cd = master.paging_cd(&d.cd);
        master.attach_pasid(pasid, domain.as_raw(), false, &cd, Some(&d.flush))
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
        master.attach_default(Dflt::Identity, None)
    }
}

/// Blocking: every DMA of the device is aborted.
struct BlockedDomain;

impl StaticDomainOps for BlockedDomain {
    fn attach_dev(_domain: *mut bindings::iommu_domain, dev: &Device) -> Result {
        // SAFETY: the core only attaches devices this driver probed.
        let master = unsafe { Master::from_dev(dev) };
        master.attach_default(Dflt::Blocked, None)
    }
}

static IDENTITY_OPS: DomainOpsTable = iommu::static_domain_ops_table::<IdentityDomain>();
static BLOCKED_OPS: DomainOpsTable = iommu::static_domain_ops_table::<BlockedDomain>();
static IDENTITY: StaticDomain = StaticDomain::new(bindings::IOMMU_DOMAIN_IDENTITY, &IDENTITY_OPS);
static BLOCKED: StaticDomain = StaticDomain::new(bindings::IOMMU_DOMAIN_BLOCKED, &BLOCKED_OPS);
pub(crate) static PAGING_OPS: DomainOpsTable = iommu::domain_ops_table::<PagingDomain>();

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
                    Some(alloc_table(&smmu, strtab.geometry().l2_table_bytes())?)
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
        let f = &smmu.features;
        let pci = DeviceIommu::is_pci(dev);
        let raw = DeviceIommu::raw(dev);
        // PASIDs before ATS: enabled here, disabled on release (or by the
        // guard if the probe fails).
        let pasid_guard = if pci && f.ssidsize > 0 {
            // SAFETY: `raw` is the live PCI function being probed.
            let bits = unsafe { bindings::sva_rs_pci_enable_pasid(raw) };
            (bits >= 0).then(|| PciPasid(raw, bits as u32))
        } else {
            None
        };
        let pasid_bits = match &pasid_guard {
            Some(g) => g.1,
            None if pci => 0,
            None => master_pasid_bits(dev),
        };
        let ssid_bits = pasid_bits.min(u32::from(f.ssidsize)) as u8;
        let pci_pasid_on = pasid_guard.is_some();
        // SAFETY: `raw` is the live device being probed.
        let pri_resp_pasid = !pci || unsafe { bindings::sva_rs_pci_prg_resp_pasid_required(raw) };
        let stall = !pci
            && f.stalls()
            && (f.stall_forced() || dev.property_present(c_str!("dma-can-stall")));
        let (ats, pri) = if pci {
            let rc_ats = DeviceIommu::fwspec_flags(dev) & bindings::IOMMU_FWSPEC_PCI_RC_ATS != 0;
            // SAFETY: `raw` is the live PCI function being probed.
            let (ats, pri) = unsafe {
                (
                    bindings::sva_rs_pci_ats_supported(raw),
                    bindings::sva_rs_pci_pri_supported(raw),
                )
            };
            (f.ats && rc_ats && ats, f.pri && pri)
        } else {
            (f.ats && master_has_ats(dev), f.pri && master_has_pri(dev))
        };
        let state = MasterState {
            cd_table: None,
            dflt: Dflt::None,
            dflt_ats: None,
            pasids: KVec::new(),
            sva: false,
            on_iopf_queue: false,
        };
        let master = Arc::pin_init(
            pin_init!(Master {
                smmu,
                dev: dev.into(),
                sids,
                ssid_bits,
                stall,
                pri,
                ats,
                pci,
                pci_ats_on: AtomicBool::new(false),
                pci_pasid_on,
                pci_pri_on: AtomicBool::new(false),
                pri_resp_pasid,
                iopf: AtomicBool::new(false),
                state <- new_mutex!(state, "arm_smmu_v3_rs:master"),
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
        // The master owns the PASID enable now (`release_device`).
        core::mem::forget(pasid_guard);
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
        // Leaving the fault queue answers pending groups through
        // `page_response`, which needs the private pointer: leave first,
        // and stop fault reports from finding the master, as the C driver.
        {
            let mut st = master.state.lock();
            if st.on_iopf_queue {
                crate::sva::leave_iopf_queue(&master, &mut st);
            }
        }
        {
            // Waits for a report in progress on the device.
            let _report = master.smmu.report_lock.lock();
            for slot in master.smmu.streams.lock().iter_mut() {
                if slot.1.as_ref().is_some_and(|m| Arc::ptr_eq(m, &master)) {
                    slot.1 = None;
                }
            }
        }
        crate::sva::disable_pci_pri(&master);
        if master
            .install_ste_no_ats(&master.smmu.hw.default_ste())
            .is_err()
        {
            // An STE may still point at the CD table: the SMMU could keep
            // reading it, so it must never be freed (and reused).
            if let Some(table) = master.state.lock().cd_table.take() {
                core::mem::forget(table);
            }
        }
        // No STE lets the device translate any more: empty its ATC (a PCI
        // function's was emptied when ATS went off just above), then leave
        // the domains' lists (they must not keep the master, nor the
        // master them).
        master.atc_inv(None, 0, 0);
        master.leave_all_ats(&mut master.state.lock());
        if master.pci_pasid_on {
            // SAFETY: enabled in `probe_device` on this live PCI function.
            unsafe { bindings::sva_rs_pci_disable_pasid(DeviceIommu::raw(dev)) };
        }
        // The private pointer is left alone: the core frees `dev->iommu`
        // right after this, and may only set it under the probe lock,
        // which it does not hold here.
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

    fn dev_enable_feat(dev: &Device, feat: u32) -> Result {
        crate::sva::enable_feat(dev, feat)
    }

    fn dev_disable_feat(dev: &Device, feat: u32) -> Result {
        crate::sva::disable_feat(dev, feat)
    }

    fn page_response(
        dev: &Device,
        evt: &bindings::iopf_fault,
        msg: &bindings::iommu_page_response,
    ) {
        crate::sva::page_response(dev, evt, msg)
    }

    fn remove_dev_pasid(dev: &Device, pasid: u32, domain: *mut bindings::iommu_domain) {
        crate::sva::remove_dev_pasid(dev, pasid, domain)
    }

    fn domain_alloc_sva(
        dev: &Device,
        mm: *mut bindings::mm_struct,
    ) -> Result<*mut bindings::iommu_domain> {
        crate::sva::domain_alloc_sva(dev, mm)
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
