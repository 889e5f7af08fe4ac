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
#[cfg(CONFIG_ARM_SMMU_V3_RUST_MODEL)]
mod model_backend;
mod sva;
#[cfg(CONFIG_ARM_SMMU_V3_RUST_SVA_TEST)]
mod sva_test;

use kernel::{platform::Registration, prelude::*};

/// Removes and returns element `i` of `v`, moving the last element into
/// its place (the 6.12 `KVec` has no `swap_remove`).
pub(crate) fn take_at<T, A: kernel::alloc::Allocator>(
    v: &mut kernel::alloc::Vec<T, A>,
    i: usize,
) -> Option<T> {
    let len = v.len();
    if i >= len {
        return None;
    }
    v.as_mut_slice().swap(i, len - 1);
    // SAFETY: `len - 1 < len`: the element is initialised and, after `set_len`, no longer owned by `v`.
    let last = unsafe { core::ptr::read(v.as_ptr().add(len - 1)) };
    // SAFETY: shrinking by one; the element beyond the new length was moved out above.
    unsafe { v.set_len(len - 1) };
    Some(last)
}

/// Errors the 6.12 `kernel::error::code` does not name.
pub(crate) mod errno {
    use kernel::{bindings, error::Error};

    fn e(n: u32) -> Error {
        Error::from_errno(-(n as i32))
    }

    pub(crate) fn eopnotsupp() -> Error {
        e(bindings::EOPNOTSUPP)
    }

    #[cfg(CONFIG_ARM_SMMU_V3_RUST_SVA_TEST)]
    pub(crate) fn etimedout() -> Error {
        e(bindings::ETIMEDOUT)
    }

    #[cfg(CONFIG_ARM_SMMU_V3_RUST_SVA_TEST)]
    pub(crate) fn eilseq() -> Error {
        e(bindings::EILSEQ)
    }
}

/// The module: the SMMU driver, and the model's test devices when built.
struct SmmuModule {
    _smmu: Pin<KBox<Registration<device::SmmuV3>>>,
    #[cfg(CONFIG_ARM_SMMU_V3_RUST_SVA_TEST)]
    _test: Pin<KBox<Registration<sva_test::SvaTestDev>>>,
}

impl kernel::Module for SmmuModule {
    fn init(module: &'static ThisModule) -> Result<Self> {
        Ok(Self {
            _smmu: KBox::try_pin_init(Registration::new(module), GFP_KERNEL)?,
            #[cfg(CONFIG_ARM_SMMU_V3_RUST_SVA_TEST)]
            _test: KBox::try_pin_init(Registration::new(module), GFP_KERNEL)?,
        })
    }
}

module! {
    type: SmmuModule,
    name: "arm_smmu_v3_rs",
    author: "iommu-sva-rs developers",
    description: "Arm SMMUv3 IOMMU driver (Rust)",
    license: "GPL",
}
