// SPDX-License-Identifier: GPL-2.0

//! The broadcast TLB invalidations a CPU issues for a user address range.
//!
//! An SMMU with BTM snoops the CPUs' `TLBI ...IS` operations (distributed
//! virtual memory messages on the interconnect). Software cannot see those
//! instructions, but it can see the ranges the kernel invalidates (arm64
//! reports each to the mm's secondary-TLB notifiers once the TLBIs are
//! done). [`CpuTlbis`] turns such a range back into the operations an
//! arm64 CPU without `FEAT_TLBIRANGE` broadcasts for it, so a model with
//! BTM can be fed what the hardware would have snooped: one
//! `TLBI VAE1IS` per page, or one `TLBI ASIDE1IS` when that would take more
//! than a bound of operations (as the kernel's `MAX_DVM_OPS`) or the range
//! is the whole address space.

use super::BroadcastTlbi;

/// The broadcast TLBIs invalidating `[start, end)` of `asid` at EL1:
/// an iterator of [`BroadcastTlbi`].
///
/// # Invariants
///
/// Unless `whole`, `page` is a power of two and `next` is aligned to it
/// while `next < end`.
#[derive(Clone, Debug)]
pub struct CpuTlbis {
    asid: u16,
    /// One `TLBI ASIDE1IS` is still to come (instead of pages).
    whole: bool,
    next: u64,
    end: u64,
    page: u64,
}

impl CpuTlbis {
    /// The operations for `[start, end)` of `asid` with `page`-sized pages,
    /// at most `max_ops` of them before falling back to the whole ASID. An
    /// empty or inverted range (the kernel passes `0..!0` for a whole mm),
    /// a page size that is not a power of two, or a range of more than
    /// `max_ops` pages invalidates the whole ASID.
    pub fn new(asid: u16, start: u64, end: u64, page: u64, max_ops: u64) -> Self {
        let first = start & !page.wrapping_sub(1);
        let by_page =
            page.is_power_of_two() && end > start && (end - first).div_ceil(page) <= max_ops;
        if by_page {
            Self {
                asid,
                whole: false,
                next: first,
                end,
                page,
            }
        } else {
            Self {
                asid,
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
                el2: false,
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
            el2: false,
            asid: self.asid,
            va,
        })
    }
}
