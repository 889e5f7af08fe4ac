// SPDX-License-Identifier: GPL-2.0

//! The mm / bond / SVA domain state machine of `iommu-sva.c`.
//!
//! # What 6.12 does
//!
//! - An mm gets one PASID on its first bind (`iommu_alloc_mm_data()`), from
//!   the global space and below the binding device's `max_pasids`. The PASID
//!   is the same on every device the mm is bound to, and stays with the mm
//!   after its last unbind until the mm is destroyed (`mm_pasid_drop()` from
//!   `__mmdrop()`). Binding an mm whose PASID does not fit a device fails
//!   with `-EOVERFLOW`; an exhausted space with `-ENOSPC`.
//! - A bond is a (device, mm) pair with a reference count: binding twice
//!   returns the same handle with one more user; the last unbind detaches
//!   the PASID from the device.
//! - An mm has a list of SVA domains. Binding tries to attach each existing
//!   one and allocates a new domain when none attaches; in practice the
//!   attach of a domain from another IOMMU instance fails (`-EINVAL`), so
//!   there is one domain per (mm, IOMMU instance), shared by every device
//!   behind that instance. A domain counts the devices attached to it and
//!   is freed with its last detach.
//!
//! # What this module does
//!
//! [`SvaCore`] keeps exactly that state over small integer handles
//! ([`DevId`], [`MmId`], [`IommuId`], [`DomainId`]) and never touches a
//! kernel object. An operation ([`SvaCore::bind`], [`SvaCore::unbind`],
//! [`SvaCore::enable_feature`], [`SvaCore::disable_feature`],
//! [`SvaCore::mm_pasid_drop`]) returns a [`Step`]: either the operation is
//! [`Step::Done`], or it [`Step::Need`]s the glue to perform an [`Action`]
//! (allocate a PASID or a domain, attach/detach a PASID, flush faults, ...)
//! and to hand the result back with [`SvaCore::resume`]. [`SvaCore::run`]
//! does that loop with an [`Executor`]. Only one operation is in flight at a
//! time: any other call while one is pending fails with `-EBUSY`, so the
//! glue runs an operation to completion under the lock that protects the
//! core. Every state change is committed only once the actions it depends
//! on succeeded, and every failure unwinds (the glue is asked to free what
//! was allocated), so an error never leaves a half-made bond or domain.
//!
//! Differences from 6.12, all deliberate:
//!
//! - Binding requires SVA to be enabled on the device
//!   (`iommu_dev_enable_feature(dev, IOMMU_DEV_FEAT_SVA)`), `-EINVAL`
//!   otherwise. 6.12 only documents the requirement.
//! - Disabling SVA while bonds exist fails with `-EBUSY` (6.12 lets the
//!   driver tear IOPF down under live bonds).
//! - Domains are looked up by (mm, IOMMU instance) instead of trial-attached
//!   one by one. When the attach of the instance's existing domain fails the
//!   bind fails with that error; 6.12 would allocate a second domain for the
//!   same instance, which hits the same failure in every driver we know.
//! - Unbinding asks for [`Action::FlushFaults`] between the detach and the
//!   domain free, so no queued I/O page fault can use the bond or the domain
//!   after they are gone (see [`crate::sva::iopf`]); 6.12 leaves that to
//!   drivers and none of them does it on this path.
//! - Handles carry a serial number, so a stale handle (kept after its last
//!   unbind) is rejected with `-ENOENT` even if the same (device, mm) pair
//!   was bound again since; 6.12 would use freed memory.
//! - `mm_pasid_drop()` on an mm that still has bonds fails with `-EBUSY`
//!   and keeps the PASID (the glue warns), instead of freeing a PASID still
//!   in use.
//!
//! # Per-device features
//!
//! The IOPF and SVA feature state follows the 6.12 SMMUv3 driver
//! (`arm_smmu_dev_enable_feature()`, `arm_smmu_dev_disable_feature()`,
//! `arm_smmu_master_enable_sva()`). "IOPF capable" means the device can
//! fault through the IOMMU (stall or PRI) and therefore *needs* IOPF for SVA;
//! devices that handle their own faults are SVA capable without it.
//!
//! | operation     | condition                                   | result            |
//! |---------------|---------------------------------------------|-------------------|
//! | enable IOPF   | device unknown                              | `-ENODEV`         |
//! | enable IOPF   | not IOPF capable                            | `-EINVAL`         |
//! | enable IOPF   | already enabled                             | `-EBUSY`          |
//! | enable IOPF   | otherwise                                   | 0                 |
//! | enable SVA    | device unknown                              | `-ENODEV`         |
//! | enable SVA    | not SVA capable                             | `-EINVAL`         |
//! | enable SVA    | already enabled                             | `-EBUSY`          |
//! | enable SVA    | IOPF capable and IOPF disabled              | `-EINVAL`         |
//! | enable SVA    | IOPF capable: [`Action::IopfAddDevice`]     | its error, else 0 |
//! | enable SVA    | not IOPF capable                            | 0                 |
//! | disable IOPF  | device unknown                              | `-EINVAL`         |
//! | disable IOPF  | not enabled                                 | `-EINVAL`         |
//! | disable IOPF  | SVA enabled                                 | `-EBUSY`          |
//! | disable IOPF  | otherwise                                   | 0                 |
//! | disable SVA   | device unknown                              | `-EINVAL`         |
//! | disable SVA   | not enabled                                 | `-EINVAL`         |
//! | disable SVA   | bonds exist (new)                           | `-EBUSY`          |
//! | disable SVA   | added to the IOPF queue: [`Action::IopfRemoveDevice`] | 0       |
//! | disable SVA   | otherwise                                   | 0                 |
//! | bind          | device unknown                              | `-ENODEV`         |
//! | bind          | SVA disabled (new)                          | `-EINVAL`         |
//! | bind          | mm's PASID `>= max_pasids`                  | `-EOVERFLOW`      |
//! | bind          | no free PASID below `max_pasids`            | `-ENOSPC`         |
//! | bind          | storage exhausted                           | `-ENOMEM`         |
//! | unbind        | unknown or stale handle                     | `-ENOENT`         |
//! | any           | another operation in flight                 | `-EBUSY`          |
//!
//! The device-unknown errnos differ between enable and disable in 6.12 too.
//!
//! # Devices and groups
//!
//! 6.12 keys the bond by the device's `iommu_group` and PASID (the attach
//! handle lives in the group's PASID array). PASID-capable endpoints are in
//! singleton groups (PASID needs ACS-isolated functions), so [`DevId`] names
//! a device here; a glue for multi-device groups would pass the group.

use crate::sva::errno::Errno;
use crate::sva::map::Map;
use crate::sva::pasid::FIRST_GLOBAL_PASID;

/// A device, as numbered by the glue (an index, or a pointer value).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DevId(pub u64);

/// An mm, as numbered by the glue (an index, or a pointer value).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MmId(pub u64);

/// An IOMMU instance (`struct iommu_device`), as numbered by the glue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IommuId(pub u32);

/// An SVA domain, numbered by the core. Never reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DomainId(pub u64);

/// The glue's name for a domain it allocated (typically the address of its
/// `struct iommu_domain`). Opaque to the core.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DomainCookie(pub usize);

/// A domain as the glue sees it in actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DomainRef {
    /// The core's number for the domain.
    pub id: DomainId,
    /// The glue's handle, from [`Action::AllocDomain`].
    pub cookie: DomainCookie,
}

/// What the glue knows about a device when it registers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
    /// The IOMMU instance the device is behind.
    pub iommu: IommuId,
    /// `dev->iommu->max_pasids` (see [`crate::sva::pasid::device_max_pasids`]).
    pub max_pasids: u32,
    /// The device faults through the IOMMU (stall or PRI), so SVA needs IOPF
    /// (`arm_smmu_master_iopf_supported()`).
    pub iopf_capable: bool,
    /// The IOMMU and device support SVA (`arm_smmu_master_sva_supported()`).
    pub sva_capable: bool,
}

/// Per-device feature state, stored by the caller's device [`Map`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceState {
    info: DeviceInfo,
    iopf_enabled: bool,
    sva_enabled: bool,
    iopf_queued: bool,
    bonds: u32,
}

impl DeviceState {
    /// The registration data.
    pub fn info(&self) -> &DeviceInfo {
        &self.info
    }
    /// `IOMMU_DEV_FEAT_IOPF` is enabled.
    pub fn iopf_enabled(&self) -> bool {
        self.iopf_enabled
    }
    /// `IOMMU_DEV_FEAT_SVA` is enabled.
    pub fn sva_enabled(&self) -> bool {
        self.sva_enabled
    }
    /// The device was added to its IOMMU's IOPF queue by enabling SVA.
    pub fn iopf_queued(&self) -> bool {
        self.iopf_queued
    }
    /// Number of bonds (distinct mms) of the device.
    pub fn bonds(&self) -> u32 {
        self.bonds
    }
}

/// Per-mm state (the Rust side of `struct iommu_mm_data`), stored by the
/// caller's mm [`Map`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MmState {
    pasid: u32,
    bonds: u32,
}

impl MmState {
    /// The mm's PASID.
    pub fn pasid(&self) -> u32 {
        self.pasid
    }
    /// Number of bonds (distinct devices) of the mm.
    pub fn bonds(&self) -> u32 {
        self.bonds
    }
}

/// Key of the domain [`Map`]: one SVA domain per (mm, IOMMU instance).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DomainKey {
    /// The domain's mm.
    pub mm: MmId,
    /// The IOMMU instance the domain belongs to.
    pub iommu: IommuId,
}

/// Per-domain state, stored by the caller's domain [`Map`].
///
/// # Invariants
///
/// Outside an in-flight operation, `cookie` is `Some` and `users > 0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DomainState {
    id: DomainId,
    cookie: Option<DomainCookie>,
    users: u32,
}

impl DomainState {
    /// The core's number for the domain.
    pub fn id(&self) -> DomainId {
        self.id
    }
    /// The glue's handle (`None` only while being allocated).
    pub fn cookie(&self) -> Option<DomainCookie> {
        self.cookie
    }
    /// Number of devices attached to the domain.
    pub fn users(&self) -> u32 {
        self.users
    }
}

/// Key of the bond [`Map`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BondKey {
    /// The bound device.
    pub dev: DevId,
    /// The bound mm.
    pub mm: MmId,
}

/// Per-bond state, stored by the caller's bond [`Map`].
///
/// # Invariants
///
/// Outside an in-flight operation, `users > 0` and the domain
/// `(mm, device's iommu)` exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BondState {
    serial: u64,
    users: u32,
}

impl BondState {
    /// Number of unbinds needed to release the bond.
    pub fn users(&self) -> u32 {
        self.users
    }
}

/// The handle [`SvaCore::bind`] returns (the glue's `struct iommu_sva`).
///
/// Binding the same (device, mm) again returns an equal handle.
///
/// The default value names no bond (serial numbers start at 1), so the
/// core rejects it like a stale handle.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Bond {
    dev: DevId,
    mm: MmId,
    pasid: u32,
    serial: u64,
}

impl Bond {
    /// The bound device.
    pub fn dev(&self) -> DevId {
        self.dev
    }
    /// The bound mm.
    pub fn mm(&self) -> MmId {
        self.mm
    }
    /// The PASID the device uses for the mm (`iommu_sva_get_pasid()`).
    pub fn pasid(&self) -> u32 {
        self.pasid
    }
}

/// A per-device feature (`enum iommu_dev_features`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Feature {
    /// `IOMMU_DEV_FEAT_SVA` (0).
    Sva,
    /// `IOMMU_DEV_FEAT_IOPF` (1).
    Iopf,
}

impl Feature {
    /// Decodes the C enum value; unknown values are `-EINVAL` as in the
    /// SMMUv3 driver.
    pub fn from_raw(raw: u32) -> Result<Feature, Errno> {
        match raw {
            0 => Ok(Feature::Sva),
            1 => Ok(Feature::Iopf),
            _ => Err(Errno::EINVAL),
        }
    }
}

/// Work the glue performs on behalf of the core.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Allocate a PASID in `[1, limit)` (`iommu_alloc_global_pasid(dev)`,
    /// or [`crate::sva::pasid::PasidBitmap::alloc`]). Answer
    /// [`ActionValue::Pasid`] or an error (`-ENOSPC`).
    AllocPasid {
        /// The device whose limit applies.
        dev: DevId,
        /// The mm that will own the PASID.
        mm: MmId,
        /// The device's `max_pasids`.
        limit: u32,
    },
    /// Free a PASID (`iommu_free_global_pasid()`). Cannot fail.
    FreePasid {
        /// The PASID.
        pasid: u32,
    },
    /// Allocate an SVA domain for `mm` on `dev`'s IOMMU
    /// (`ops->domain_alloc_sva(dev, mm)`, taking an `mmgrab()` reference).
    /// Answer [`ActionValue::Domain`] or an error.
    AllocDomain {
        /// The device the domain is allocated for.
        dev: DevId,
        /// The mm.
        mm: MmId,
        /// The device's IOMMU instance.
        iommu: IommuId,
        /// The number the core gives the domain.
        domain: DomainId,
    },
    /// Free a domain (`iommu_domain_free()`). Cannot fail.
    FreeDomain {
        /// The domain.
        domain: DomainRef,
    },
    /// Attach `domain` at `pasid` of `dev` (`iommu_attach_device_pasid()`).
    /// Answer [`ActionValue::Unit`] or an error.
    AttachPasid {
        /// The device.
        dev: DevId,
        /// The domain.
        domain: DomainRef,
        /// The mm's PASID.
        pasid: u32,
    },
    /// Detach `domain` from `pasid` of `dev` (`iommu_detach_device_pasid()`).
    /// Cannot fail.
    DetachPasid {
        /// The device.
        dev: DevId,
        /// The domain.
        domain: DomainRef,
        /// The PASID.
        pasid: u32,
    },
    /// Answer every pending I/O page fault of `pasid` on `dev` and wait
    /// until no fault handler still uses it
    /// ([`crate::sva::iopf::IopfDevice::remove_pasid`], then flush the IOPF
    /// workqueue while the PASID is busy). Comes after the detach, before
    /// the bond and, if unused, the domain are freed. Cannot fail.
    FlushFaults {
        /// The device.
        dev: DevId,
        /// The detached PASID.
        pasid: u32,
    },
    /// Add `dev` to its IOMMU's IOPF queue (`iopf_queue_add_device()`).
    /// Answer [`ActionValue::Unit`] or an error.
    IopfAddDevice {
        /// The device.
        dev: DevId,
    },
    /// Remove `dev` from its IOMMU's IOPF queue
    /// (`iopf_queue_remove_device()`, see
    /// [`crate::sva::iopf::IopfDevice::remove_device`]). Cannot fail.
    IopfRemoveDevice {
        /// The device.
        dev: DevId,
    },
}

/// The value of a successful action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ActionValue {
    /// The action has no result.
    Unit,
    /// The PASID [`Action::AllocPasid`] allocated.
    Pasid(u32),
    /// The domain [`Action::AllocDomain`] allocated.
    Domain(DomainCookie),
}

/// The result of an action, handed to [`SvaCore::resume`].
///
/// For actions that cannot fail the result is ignored.
pub type ActionResult = Result<ActionValue, Errno>;

/// The result of a finished operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// [`SvaCore::bind`] succeeded.
    Bound(Bond),
    /// [`SvaCore::unbind`] succeeded.
    Unbound {
        /// This was the last user: the PASID was detached from the device.
        detached: bool,
        /// The domain lost its last device and was freed.
        domain_freed: bool,
    },
    /// [`SvaCore::enable_feature`] or [`SvaCore::disable_feature`] succeeded.
    Feature,
    /// [`SvaCore::mm_pasid_drop`] succeeded; the PASID it freed, if any.
    PasidDropped(Option<u32>),
}

/// Where an operation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    /// Perform the action and pass its result to [`SvaCore::resume`].
    Need(Action),
    /// The operation finished.
    Done(Outcome),
}

/// Performs actions for [`SvaCore::run`].
pub trait Executor {
    /// Performs `action` and returns its result.
    fn perform(&mut self, action: &Action) -> ActionResult;
}

/// The operation in flight and what it waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Txn {
    BindPasid {
        dev: DevId,
        mm: MmId,
        limit: u32,
    },
    BindDomain {
        dev: DevId,
        mm: MmId,
        key: DomainKey,
    },
    BindAttach {
        dev: DevId,
        mm: MmId,
        key: DomainKey,
        new_domain: bool,
    },
    /// Freeing what a failed operation allocated; then fail with the error.
    Cleanup {
        err: Errno,
    },
    UnbindDetach {
        dev: DevId,
        pasid: u32,
        free: Option<DomainRef>,
    },
    UnbindFlush {
        free: Option<DomainRef>,
    },
    UnbindFree,
    SvaAdd {
        dev: DevId,
    },
    SvaRemove {
        dev: DevId,
    },
    DropPasid {
        pasid: u32,
    },
}

/// Upper bound on the steps of one operation, for [`SvaCore::run`].
const MAX_STEPS: usize = 8;

/// The SVA core state machine over caller-provided maps.
///
/// `D`, `M`, `X`, `B` store devices, mms, domains and bonds (see
/// [`crate::sva::map`]).
///
/// # Invariants
///
/// Whenever no operation is in flight (`pending` is `None`):
/// - every bond `(dev, mm)` has `users > 0`, its device and mm exist, the
///   mm has a PASID below the device's `max_pasids`, and the domain
///   `(mm, device's iommu)` exists and is attached at that PASID;
/// - a device's `bonds` and an mm's `bonds` count their bonds;
/// - a domain's `users` counts the bonds of its mm on devices behind its
///   IOMMU, is positive, and its cookie is set;
/// - only devices with SVA enabled have bonds.
pub struct SvaCore<D, M, X, B> {
    devs: D,
    mms: M,
    domains: X,
    bonds: B,
    pending: Option<Txn>,
    next_serial: u64,
}

impl<D, M, X, B> SvaCore<D, M, X, B>
where
    D: Map<DevId, DeviceState>,
    M: Map<MmId, MmState>,
    X: Map<DomainKey, DomainState>,
    B: Map<BondKey, BondState>,
{
    /// Creates a core over empty maps.
    pub fn new(devs: D, mms: M, domains: X, bonds: B) -> Self {
        SvaCore {
            devs,
            mms,
            domains,
            bonds,
            pending: None,
            next_serial: 1,
        }
    }

    /// Whether an operation waits for [`SvaCore::resume`].
    pub fn in_flight(&self) -> bool {
        self.pending.is_some()
    }

    /// The state of a device.
    pub fn device(&self, dev: DevId) -> Option<&DeviceState> {
        self.devs.get(&dev)
    }

    /// The state of an mm (present once it has a PASID).
    pub fn mm(&self, mm: MmId) -> Option<&MmState> {
        self.mms.get(&mm)
    }

    /// The SVA domain of `mm` on `iommu`.
    pub fn domain(&self, mm: MmId, iommu: IommuId) -> Option<&DomainState> {
        self.domains.get(&DomainKey { mm, iommu })
    }

    /// The state of the bond between `dev` and `mm`.
    pub fn bond(&self, dev: DevId, mm: MmId) -> Option<&BondState> {
        self.bonds.get(&BondKey { dev, mm })
    }

    /// Registers a device (`probe_device`). `-EBUSY` if already known,
    /// `-ENOMEM` when the device map is full.
    pub fn add_device(&mut self, dev: DevId, info: DeviceInfo) -> Result<(), Errno> {
        self.idle()?;
        if self.devs.get(&dev).is_some() {
            return Err(Errno::EBUSY);
        }
        let state = DeviceState {
            info,
            iopf_enabled: false,
            sva_enabled: false,
            iopf_queued: false,
            bonds: 0,
        };
        self.devs.insert(dev, state).map_err(|_| Errno::ENOMEM)
    }

    /// Forgets a device (`release_device`). Fails with `-EBUSY` while SVA is
    /// enabled (disable it first: that also removes it from the IOPF queue)
    /// and `-ENODEV` for an unknown device.
    pub fn remove_device(&mut self, dev: DevId) -> Result<(), Errno> {
        self.idle()?;
        let state = self.devs.get(&dev).ok_or(Errno::ENODEV)?;
        if state.sva_enabled || state.bonds != 0 {
            return Err(Errno::EBUSY);
        }
        self.devs.remove(&dev);
        Ok(())
    }

    /// Enables a feature (`iommu_dev_enable_feature()`); see the table in
    /// the module documentation.
    pub fn enable_feature(&mut self, dev: DevId, feat: Feature) -> Result<Step, Errno> {
        self.idle()?;
        let state = self.devs.get_mut(&dev).ok_or(Errno::ENODEV)?;
        match feat {
            Feature::Iopf => {
                if !state.info.iopf_capable {
                    return Err(Errno::EINVAL);
                }
                if state.iopf_enabled {
                    return Err(Errno::EBUSY);
                }
                state.iopf_enabled = true;
                Ok(Step::Done(Outcome::Feature))
            }
            Feature::Sva => {
                if !state.info.sva_capable {
                    return Err(Errno::EINVAL);
                }
                if state.sva_enabled {
                    return Err(Errno::EBUSY);
                }
                if !state.info.iopf_capable {
                    state.sva_enabled = true;
                    return Ok(Step::Done(Outcome::Feature));
                }
                if !state.iopf_enabled {
                    return Err(Errno::EINVAL);
                }
                self.pending = Some(Txn::SvaAdd { dev });
                Ok(Step::Need(Action::IopfAddDevice { dev }))
            }
        }
    }

    /// Disables a feature (`iommu_dev_disable_feature()`); see the table in
    /// the module documentation.
    pub fn disable_feature(&mut self, dev: DevId, feat: Feature) -> Result<Step, Errno> {
        self.idle()?;
        let state = self.devs.get_mut(&dev).ok_or(Errno::EINVAL)?;
        match feat {
            Feature::Iopf => {
                if !state.iopf_enabled {
                    return Err(Errno::EINVAL);
                }
                if state.sva_enabled {
                    return Err(Errno::EBUSY);
                }
                state.iopf_enabled = false;
                Ok(Step::Done(Outcome::Feature))
            }
            Feature::Sva => {
                if !state.sva_enabled {
                    return Err(Errno::EINVAL);
                }
                if state.bonds != 0 {
                    return Err(Errno::EBUSY);
                }
                state.sva_enabled = false;
                if state.iopf_queued {
                    state.iopf_queued = false;
                    self.pending = Some(Txn::SvaRemove { dev });
                    return Ok(Step::Need(Action::IopfRemoveDevice { dev }));
                }
                Ok(Step::Done(Outcome::Feature))
            }
        }
    }

    /// Binds `mm` to `dev` (`iommu_sva_bind_device()`).
    ///
    /// Steps, each only when needed: [`Action::AllocPasid`] (first bind of
    /// the mm), [`Action::AllocDomain`] (first device of the mm on this
    /// IOMMU), [`Action::AttachPasid`] (first bind of this pair), then
    /// [`Outcome::Bound`]. A failed attach of a new domain asks for
    /// [`Action::FreeDomain`] before reporting the error. As in 6.12, the
    /// PASID stays with the mm when a later step fails.
    pub fn bind(&mut self, dev: DevId, mm: MmId) -> Result<Step, Errno> {
        self.idle()?;
        let state = self.devs.get(&dev).ok_or(Errno::ENODEV)?;
        if !state.sva_enabled {
            return Err(Errno::EINVAL);
        }
        let limit = state.info.max_pasids;
        match self.mms.get(&mm) {
            Some(m) => {
                if m.pasid >= limit {
                    return Err(Errno::EOVERFLOW);
                }
                let pasid = m.pasid;
                self.bind_with_pasid(dev, mm, pasid)
            }
            None => {
                if limit <= FIRST_GLOBAL_PASID {
                    return Err(Errno::ENOSPC);
                }
                self.pending = Some(Txn::BindPasid { dev, mm, limit });
                Ok(Step::Need(Action::AllocPasid { dev, mm, limit }))
            }
        }
    }

    /// Drops one reference to a bond (`iommu_sva_unbind_device()`).
    ///
    /// When it was the last: [`Action::DetachPasid`], [`Action::FlushFaults`],
    /// then [`Action::FreeDomain`] if the domain lost its last device. The
    /// PASID stays with the mm. Unknown and stale handles fail with
    /// `-ENOENT` and change nothing.
    pub fn unbind(&mut self, bond: &Bond) -> Result<Step, Errno> {
        self.idle()?;
        let key = BondKey {
            dev: bond.dev,
            mm: bond.mm,
        };
        let b = self.bonds.get_mut(&key).ok_or(Errno::ENOENT)?;
        if b.serial != bond.serial || b.users == 0 {
            return Err(Errno::ENOENT);
        }
        b.users -= 1;
        if b.users != 0 {
            return Ok(Step::Done(Outcome::Unbound {
                detached: false,
                domain_freed: false,
            }));
        }
        self.bonds.remove(&key);
        let iommu = self.devs.get(&bond.dev).map(|d| d.info.iommu);
        if let Some(d) = self.devs.get_mut(&bond.dev) {
            d.bonds = d.bonds.saturating_sub(1);
        }
        let pasid = match self.mms.get_mut(&bond.mm) {
            Some(m) => {
                m.bonds = m.bonds.saturating_sub(1);
                m.pasid
            }
            None => bond.pasid,
        };
        let dkey = iommu.map(|iommu| DomainKey { mm: bond.mm, iommu });
        let dom = dkey.and_then(|k| self.domains.get_mut(&k));
        let Some(dom) = dom else {
            // Unreachable while the invariants hold; nothing left to undo.
            return Ok(Step::Done(Outcome::Unbound {
                detached: false,
                domain_freed: false,
            }));
        };
        dom.users = dom.users.saturating_sub(1);
        let Some(cookie) = dom.cookie else {
            return Ok(Step::Done(Outcome::Unbound {
                detached: false,
                domain_freed: false,
            }));
        };
        let dref = DomainRef { id: dom.id, cookie };
        let free = if dom.users == 0 {
            if let Some(k) = dkey {
                self.domains.remove(&k);
            }
            Some(dref)
        } else {
            None
        };
        self.pending = Some(Txn::UnbindDetach {
            dev: bond.dev,
            pasid,
            free,
        });
        Ok(Step::Need(Action::DetachPasid {
            dev: bond.dev,
            domain: dref,
            pasid,
        }))
    }

    /// Releases the PASID of a destroyed mm (`mm_pasid_drop()`).
    ///
    /// Asks for [`Action::FreePasid`] and forgets the mm; an mm without a
    /// PASID is [`Outcome::PasidDropped`]`(None)`. An mm that still has bonds
    /// (a glue bug: its domains hold the mm) fails with `-EBUSY` and keeps
    /// its PASID.
    pub fn mm_pasid_drop(&mut self, mm: MmId) -> Result<Step, Errno> {
        self.idle()?;
        let Some(m) = self.mms.get(&mm) else {
            return Ok(Step::Done(Outcome::PasidDropped(None)));
        };
        if m.bonds != 0 {
            return Err(Errno::EBUSY);
        }
        let pasid = m.pasid;
        self.mms.remove(&mm);
        self.pending = Some(Txn::DropPasid { pasid });
        Ok(Step::Need(Action::FreePasid { pasid }))
    }

    /// Continues the operation in flight with the result of the action it
    /// asked for.
    ///
    /// Returns the next step, or the operation's error (after which nothing
    /// is in flight). Without an operation in flight: `-EINVAL`. A result of
    /// the wrong kind (say a domain for [`Action::AllocPasid`]) or a PASID
    /// outside the requested range counts as a failed action (`-EINVAL`);
    /// a PASID out of range is handed back with [`Action::FreePasid`].
    pub fn resume(&mut self, result: ActionResult) -> Result<Step, Errno> {
        let txn = self.pending.take().ok_or(Errno::EINVAL)?;
        match txn {
            Txn::BindPasid { dev, mm, limit } => {
                let pasid = match result {
                    Ok(ActionValue::Pasid(p)) => p,
                    Ok(_) => return Err(Errno::EINVAL),
                    Err(e) => return Err(e),
                };
                if !(FIRST_GLOBAL_PASID..limit).contains(&pasid) {
                    self.pending = Some(Txn::Cleanup { err: Errno::EINVAL });
                    return Ok(Step::Need(Action::FreePasid { pasid }));
                }
                if self.mms.insert(mm, MmState { pasid, bonds: 0 }).is_err() {
                    self.pending = Some(Txn::Cleanup { err: Errno::ENOMEM });
                    return Ok(Step::Need(Action::FreePasid { pasid }));
                }
                self.bind_with_pasid(dev, mm, pasid)
            }
            Txn::BindDomain { dev, mm, key } => {
                let cookie = match result {
                    Ok(ActionValue::Domain(c)) => c,
                    other => {
                        self.bonds.remove(&BondKey { dev, mm });
                        self.domains.remove(&key);
                        return Err(other.err().unwrap_or(Errno::EINVAL));
                    }
                };
                let Some(d) = self.domains.get_mut(&key) else {
                    // Unreachable: the placeholder was inserted by `bind`.
                    self.bonds.remove(&BondKey { dev, mm });
                    return Err(Errno::EINVAL);
                };
                d.cookie = Some(cookie);
                let domain = DomainRef { id: d.id, cookie };
                let pasid = self.mms.get(&mm).map_or(0, |m| m.pasid);
                self.pending = Some(Txn::BindAttach {
                    dev,
                    mm,
                    key,
                    new_domain: true,
                });
                Ok(Step::Need(Action::AttachPasid { dev, domain, pasid }))
            }
            Txn::BindAttach {
                dev,
                mm,
                key,
                new_domain,
            } => {
                let bkey = BondKey { dev, mm };
                let err = match result {
                    Ok(ActionValue::Unit) => None,
                    Ok(_) => Some(Errno::EINVAL),
                    Err(e) => Some(e),
                };
                if let Some(err) = err {
                    self.bonds.remove(&bkey);
                    if new_domain {
                        let removed = self.domains.remove(&key);
                        if let Some(DomainState {
                            id,
                            cookie: Some(cookie),
                            ..
                        }) = removed
                        {
                            self.pending = Some(Txn::Cleanup { err });
                            return Ok(Step::Need(Action::FreeDomain {
                                domain: DomainRef { id, cookie },
                            }));
                        }
                    }
                    return Err(err);
                }
                self.commit_bond(dev, mm, key)
            }
            Txn::Cleanup { err } => Err(err),
            Txn::UnbindDetach { dev, pasid, free } => {
                self.pending = Some(Txn::UnbindFlush { free });
                Ok(Step::Need(Action::FlushFaults { dev, pasid }))
            }
            Txn::UnbindFlush { free } => match free {
                Some(domain) => {
                    self.pending = Some(Txn::UnbindFree);
                    Ok(Step::Need(Action::FreeDomain { domain }))
                }
                None => Ok(Step::Done(Outcome::Unbound {
                    detached: true,
                    domain_freed: false,
                })),
            },
            Txn::UnbindFree => Ok(Step::Done(Outcome::Unbound {
                detached: true,
                domain_freed: true,
            })),
            Txn::SvaAdd { dev } => {
                let err = match result {
                    Ok(ActionValue::Unit) => None,
                    Ok(_) => Some(Errno::EINVAL),
                    Err(e) => Some(e),
                };
                if let Some(err) = err {
                    return Err(err);
                }
                let d = self.devs.get_mut(&dev).ok_or(Errno::ENODEV)?;
                d.iopf_queued = true;
                d.sva_enabled = true;
                Ok(Step::Done(Outcome::Feature))
            }
            Txn::SvaRemove { .. } => Ok(Step::Done(Outcome::Feature)),
            Txn::DropPasid { pasid } => Ok(Step::Done(Outcome::PasidDropped(Some(pasid)))),
        }
    }

    /// Runs an operation to completion, performing its actions with `exec`:
    /// `core.run(&mut exec, |c| c.bind(dev, mm))`.
    pub fn run<E, F>(&mut self, exec: &mut E, op: F) -> Result<Outcome, Errno>
    where
        E: Executor,
        F: FnOnce(&mut Self) -> Result<Step, Errno>,
    {
        let first = op(self);
        self.finish(first, exec)
    }

    /// Finishes an operation that returned `first`, performing its actions
    /// with `exec`.
    pub fn finish<E: Executor>(
        &mut self,
        first: Result<Step, Errno>,
        exec: &mut E,
    ) -> Result<Outcome, Errno> {
        let mut step = first?;
        for _ in 0..MAX_STEPS {
            match step {
                Step::Done(outcome) => return Ok(outcome),
                Step::Need(action) => {
                    let result = exec.perform(&action);
                    step = self.resume(result)?;
                }
            }
        }
        // Unreachable: no operation has more than four steps.
        self.pending = None;
        Err(Errno::EINVAL)
    }

    /// Fails with `-EBUSY` while an operation is in flight.
    fn idle(&self) -> Result<(), Errno> {
        if self.pending.is_some() {
            Err(Errno::EBUSY)
        } else {
            Ok(())
        }
    }

    /// The bind steps once the mm has `pasid`, known to fit `dev`.
    fn bind_with_pasid(&mut self, dev: DevId, mm: MmId, pasid: u32) -> Result<Step, Errno> {
        let bkey = BondKey { dev, mm };
        if let Some(b) = self.bonds.get_mut(&bkey) {
            // A bond reaching `u32::MAX` users is refused rather than
            // wrapped, like a saturated `refcount_t`.
            b.users = b.users.checked_add(1).ok_or(Errno::EBUSY)?;
            let serial = b.serial;
            return Ok(Step::Done(Outcome::Bound(Bond {
                dev,
                mm,
                pasid,
                serial,
            })));
        }
        let iommu = self.devs.get(&dev).ok_or(Errno::ENODEV)?.info.iommu;
        let serial = self.serial()?;
        // Placeholder with no user: committed by `commit_bond`.
        self.bonds
            .insert(bkey, BondState { serial, users: 0 })
            .map_err(|_| Errno::ENOMEM)?;
        let key = DomainKey { mm, iommu };
        if let Some(d) = self.domains.get(&key) {
            if let Some(cookie) = d.cookie {
                let domain = DomainRef { id: d.id, cookie };
                self.pending = Some(Txn::BindAttach {
                    dev,
                    mm,
                    key,
                    new_domain: false,
                });
                return Ok(Step::Need(Action::AttachPasid { dev, domain, pasid }));
            }
        }
        let id = match self.serial() {
            Ok(s) => DomainId(s),
            Err(e) => {
                self.bonds.remove(&bkey);
                return Err(e);
            }
        };
        let placeholder = DomainState {
            id,
            cookie: None,
            users: 0,
        };
        if self.domains.insert(key, placeholder).is_err() {
            self.bonds.remove(&bkey);
            return Err(Errno::ENOMEM);
        }
        self.pending = Some(Txn::BindDomain { dev, mm, key });
        Ok(Step::Need(Action::AllocDomain {
            dev,
            mm,
            iommu,
            domain: id,
        }))
    }

    /// Makes the attached bond count.
    fn commit_bond(&mut self, dev: DevId, mm: MmId, key: DomainKey) -> Result<Step, Errno> {
        let bkey = BondKey { dev, mm };
        let serial = match self.bonds.get_mut(&bkey) {
            Some(b) => {
                b.users = 1;
                b.serial
            }
            None => return Err(Errno::EINVAL),
        };
        if let Some(d) = self.domains.get_mut(&key) {
            d.users = d.users.saturating_add(1);
        }
        if let Some(d) = self.devs.get_mut(&dev) {
            d.bonds = d.bonds.saturating_add(1);
        }
        let mut pasid = 0;
        if let Some(m) = self.mms.get_mut(&mm) {
            m.bonds = m.bonds.saturating_add(1);
            pasid = m.pasid;
        }
        Ok(Step::Done(Outcome::Bound(Bond {
            dev,
            mm,
            pasid,
            serial,
        })))
    }

    /// A fresh serial number for a bond or a domain.
    fn serial(&mut self) -> Result<u64, Errno> {
        let s = self.next_serial;
        // 2^64 operations never happen; refuse rather than reuse a number.
        self.next_serial = s.checked_add(1).ok_or(Errno::EOVERFLOW)?;
        Ok(s)
    }
}
