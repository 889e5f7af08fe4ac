// SPDX-License-Identifier: GPL-2.0

//! Host build of the kernel-independent part of the Rust IOMMU SVA core.
//!
//! The kernel compiles exactly the sources under `core/` as a module of its
//! own crate; this crate root only exists so that `cargo test` can exercise
//! them on the host. Both crate roots mount `core/` as the module `sva`, so
//! `crate::sva::...` paths resolve the same way in both builds.

#![no_std]

#[cfg(test)]
extern crate std;

#[path = "core/mod.rs"]
pub mod sva;
