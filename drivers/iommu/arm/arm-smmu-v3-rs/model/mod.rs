// SPDX-License-Identifier: GPL-2.0

//! A software Arm SMMUv3, driven through its programmer's model.
//!
//! Placeholder: being written.
