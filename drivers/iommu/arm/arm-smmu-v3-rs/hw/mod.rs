// SPDX-License-Identifier: GPL-2.0

//! Arm SMMUv3 hardware formats and algorithms.
//!
//! Everything here is `no_std`, allocation-free and independent of the
//! kernel: it is compiled into the kernel driver and tested on the host from
//! the same source. Names follow the Arm System Memory Management Unit
//! Architecture Specification, SMMU architecture version 3 (IHI 0070), so
//! every type and field can be checked against the specification.
//!
//! Code in this module refers to its siblings as `crate::hw::...` (or
//! `super::...`): both the host crate and the kernel driver crate mount this
//! directory as the module `hw` at their root.

pub mod bits;
pub mod cd;
pub mod cmd;
pub mod event;
pub mod mem;
pub mod pri;
pub mod queue;
pub mod range;
pub mod regs;
pub mod ste;
pub mod strtab;
pub mod walk;
pub mod writer;
