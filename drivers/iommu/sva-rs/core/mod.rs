// SPDX-License-Identifier: GPL-2.0

//! Kernel-independent logic of the Rust IOMMU SVA core.
//!
//! This directory is `no_std`, allocation-free and uses no kernel API: it is
//! compiled into the kernel (as the module `sva` of the SVA crate) and tested
//! on the host from the same source (as the module `sva` of the `iommu-sva`
//! host crate). Sibling modules are reached as `crate::sva::...`.
//!
//! The modules mirror what Linux 6.12 keeps in `drivers/iommu/iommu-sva.c`
//! and `drivers/iommu/io-pgfault.c`, minus everything that touches kernel
//! objects:
//!
//! - [`pasid`]: the global PASID space, a bitmap over caller storage.
//! - [`bond`]: the mm / bond / SVA domain reference counts and the per
//!   device IOPF and SVA feature state, as a state machine that asks the
//!   kernel glue to perform *actions* (allocate a PASID, allocate or free a
//!   domain, attach or detach a PASID, flush faults) and takes their results.
//! - [`iopf`]: assembly of I/O page fault groups, bounded partial lists, and
//!   the bookkeeping that guarantees every group gets exactly one response
//!   and that no work item touches a removed PASID or device.
//! - [`access`]: the pure part of resolving one fault against a VMA.
//!
//! Storage that must grow (per mm, per bond, per domain state) lives in
//! containers the caller provides through the [`map::Map`] trait; the
//! kernel implements it with `RBTree`/`XArray`, the host tests and small
//! fixed configurations with [`map::ArrayMap`]. The PASID bitmap and the
//! IOPF tables use caller slices and const-generic arrays.
//!
//! Locking is the caller's business: every type here is a plain value that
//! the kernel glue protects with its own lock (see each module).

pub mod access;
pub mod bond;
pub mod errno;
pub mod iopf;
pub mod map;
pub mod pasid;
