// SPDX-License-Identifier: GPL-2.0

//! The broadcast TLB invalidations a CPU issues for a user address range.
//!
//! An SMMU with BTM snoops the CPUs' `TLBI ...IS` operations (distributed
//! virtual memory messages on the interconnect). Software cannot see those
//! instructions, but it can see the ranges the kernel invalidates (arm64
//! reports each to the mm's secondary-TLB notifiers once the TLBIs are
//! issued). [`CpuTlbis`] turns such a range back into the operations an
//! arm64 CPU without `FEAT_TLBIRANGE` broadcasts for it, so a model with
//! BTM can be fed what the hardware would have snooped: one
//! `TLBI VAE1IS` per page, or one `TLBI ASIDE1IS` when that would take a
//! bound of operations or more (as the kernel's `MAX_DVM_OPS`) or the
//! range is the whole address space.

use super::BroadcastTlbi;

/// The broadcast TLBIs invalidating `[start, end)` of `asid`: an iterator
/// of [`BroadcastTlbi`].
///
/// # Invariants
///
/// Unless `whole`, `page` is a power of two and `next` is aligned to it
/// while `next < end`.
#[derive(Clone, Debug)]
pub struct CpuTlbis {
    asid: u16,
    /// The EL2&0 regime (a VHE kernel's user space) rather than EL1&0.
    el2: bool,
    /// One `TLBI ASIDE1IS` is still to come (instead of pages).
    whole: bool,
    next: u64,
    end: u64,
    page: u64,
}

impl CpuTlbis {
    /// The operations for `[start, end)` of `asid` (in the EL2&0 regime
    /// with `el2`) with `page`-sized pages, fewer than `max_ops` of them:
    /// an empty or inverted range (the kernel passes `0..!0` for a whole
    /// mm), a page size that is not a power of two, or a range of
    /// `max_ops` pages or more invalidates the whole ASID.
    pub fn new(asid: u16, start: u64, end: u64, page: u64, max_ops: u64, el2: bool) -> Self {
        let first = start & !page.wrapping_sub(1);
        let by_page =
            page.is_power_of_two() && end > start && (end - first).div_ceil(page) < max_ops;
        if by_page {
            Self {
                asid,
                el2,
                whole: false,
                next: first,
                end,
                page,
            }
        } else {
            Self {
                asid,
                el2,
                whole: true,
                next: 0,
                end: 0,
                page: 1,
            }
        }
    }
}

impl Iterator for CpuTlbis {
    type Item = BroadcastTlbi;

    fn next(&mut self) -> Option<BroadcastTlbi> {
        if self.whole {
            self.whole = false;
            return Some(BroadcastTlbi::Asid {
                el2: self.el2,
                asid: self.asid,
            });
        }
        if self.next >= self.end {
            return None;
        }
        let va = self.next;
        // The last page of the address space ends the walk.
        self.next = va.saturating_add(self.page);
        Some(BroadcastTlbi::Va {
            el2: self.el2,
            asid: self.asid,
            va,
        })
    }
}
