// SPDX-License-Identifier: GPL-2.0

//! Arm SMMUv3 IOMMU driver, from the iommu-sva-rs project.
//!
//! The hardware formats and algorithms live in [`hw`] and the software
//! SMMUv3 in [`model`]; both are kernel-independent and also tested on the
//! host with `cargo test`. This crate root adds the kernel glue.
//!
//! The driver registers each SMMU with the IOMMU core and provides
//! identity, blocking and stage-1 paging domains (io-pgtable-arm); see
//! [`domain`] for the device and domain side and [`device`] for the
//! instance itself.

#[path = "hw/mod.rs"]
pub mod hw;

#[cfg(CONFIG_ARM_SMMU_V3_RUST_MODEL)]
#[path = "model/mod.rs"]
pub mod model;

#[path = "smmu/mod.rs"]
pub mod smmu;

mod backend;
mod device;
mod domain;
#[cfg(CONFIG_ARM_SMMU_V3_RUST_KUNIT_TEST)]
mod kunit;

kernel::module_platform_driver! {
    type: device::SmmuV3,
    name: "arm_smmu_v3_rs",
    author: "iommu-sva-rs developers",
    description: "Arm SMMUv3 IOMMU driver (Rust)",
    license: "GPL",
}
