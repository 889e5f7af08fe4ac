// SPDX-License-Identifier: GPL-2.0

//! Arm SMMUv3 IOMMU driver, from the iommu-sva-rs project.
//!
//! The hardware formats and algorithms live in [`hw`] and the software
//! SMMUv3 in [`model`]; both are kernel-independent and also tested on the
//! host with `cargo test`. This crate root adds the kernel glue.
//!
//! Current state: the driver probes the SMMU, decodes and reports its
//! features and leaves it disabled with incoming transactions bypassing it
//! (`SMMU_GBPA.ABORT == 0`), so devices behind it keep working without
//! translation until the DMA path is implemented.

#[path = "hw/mod.rs"]
pub mod hw;

#[cfg(CONFIG_ARM_SMMU_V3_RUST_MODEL)]
#[path = "model/mod.rs"]
pub mod model;

#[path = "smmu/mod.rs"]
pub mod smmu;

mod device;
#[cfg(CONFIG_ARM_SMMU_V3_RUST_KUNIT_TEST)]
mod kunit;

kernel::module_platform_driver! {
    type: device::SmmuV3,
    name: "arm_smmu_v3_rs",
    author: "iommu-sva-rs developers",
    description: "Arm SMMUv3 IOMMU driver (Rust)",
    license: "GPL",
}
