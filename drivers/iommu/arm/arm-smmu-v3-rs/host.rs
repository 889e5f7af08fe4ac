// SPDX-License-Identifier: GPL-2.0

//! Host build of the Arm SMMUv3 hardware library and software model.
//!
//! The kernel driver compiles exactly these sources (`hw/` and `model/`) as
//! modules of its own crate; this crate root exists so that `cargo test` can
//! exercise them on the host. Both crate roots name the modules `hw` and
//! `model`, so `crate::hw::...` paths resolve the same way in both builds.

#![no_std]

#[cfg(test)]
extern crate std;

#[path = "hw/mod.rs"]
pub mod hw;

#[path = "model/mod.rs"]
pub mod model;

#[path = "smmu/mod.rs"]
pub mod smmu;

#[cfg(any(test, feature = "testmem"))]
pub mod testmem;
