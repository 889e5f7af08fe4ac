// SPDX-License-Identifier: GPL-2.0

//! Planning of address-range invalidations.
//!
//! Two planners live here, both allocation-free iterators:
//!
//! * [`TlbiRequest::plan`] turns an IOVA range into the TLBI-by-address
//!   commands that invalidate it. With range invalidation (`SMMU_IDR3.RIL`)
//!   each command covers `(NUM + 1) << SCALE` granules, and the plan uses the
//!   fewest commands that cover the range exactly. Without it, one command
//!   is needed per entry; [`should_invalidate_all`] tells the caller when to
//!   give up and invalidate the whole ASID/VMID instead.
//! * [`plan_atc`] turns a range into `CMD_ATC_INV` spans. An ATS
//!   invalidation covers a naturally aligned power-of-two number of 4KB
//!   pages, so an arbitrary range needs either several spans or one span
//!   that over-invalidates; [`AtcPolicy`] decides.
//!
//! # Why the TLBI plan is minimal
//!
//! A plan is a multiset of chunks `k << s` granules (`1 <= k <= 32`,
//! `0 <= s <= 31`) summing to the number of granules `N`. The planner takes
//! the lowest set bit `p` of what remains and covers the five bits
//! `[p, p + 4]` with one chunk (`k = (N >> p) & 31`, `s = p`), which is the
//! classic greedy cover of the set bits of `N` by windows of width five,
//! optimal among plans whose chunks do not overlap in binary. That chunks
//! whose sum carries cannot do better is checked rather than proved: the
//! host tests compare the count with a brute-force search for every `N` up
//! to 2^13, and with a carry-aware dynamic program over bit positions for
//! random `N` up to 2^36.
//!
//! A range command with TTL, SCALE and NUM all zero is invalid, so without a
//! TTL hint the one chunk that would need it (a single granule at scale 0,
//! which the greedy plan produces first when `N % 32 == 1`) is issued as a
//! single-address command (TG = 0) instead. It invalidates exactly the same
//! entries, so the plan stays exact and minimal; upstream instead widens the
//! range by one granule. Scales above 31 do not exist, so ranges of 2^36
//! granules or more are split into maximal chunks; such ranges are far above
//! any sensible [`should_invalidate_all`] threshold.

use crate::hw::cmd::{Granule, TlbiRange, TlbiVa, ATC_INV_SIZE_ALL};

/// Largest number of `2^SCALE` blocks one range command covers (NUM + 1).
pub const RANGE_NUM_MAX: u64 = 32;

/// Largest SCALE value.
pub const RANGE_SCALE_MAX: u32 = 31;

/// Command count above which upstream's SVA code stops invalidating by
/// address and invalidates the whole ASID: `1 << (PAGE_SHIFT - 3)`, i.e. 512
/// for 4KB pages. A reasonable default for [`should_invalidate_all`].
pub const DEFAULT_MAX_TLBI_OPS: u64 = 512;

/// ATS invalidations are always counted in 4KB pages.
pub const ATC_GRAIN_SHIFT: u32 = 12;

/// Error from the planners.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeError {
    /// `iova + size` runs past the end of the 64-bit address space.
    Overflow,
    /// `ttl` is above 3.
    BadTtl,
    /// `stride_shift` is below the granule size or above 63.
    BadStride,
}

impl core::fmt::Display for RangeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            RangeError::Overflow => "range wraps past the end of the address space",
            RangeError::BadTtl => "TTL hint above 3",
            RangeError::BadStride => "stride smaller than the granule or too large",
        })
    }
}

/// TTL hint for leaf entries of size `1 << leaf_shift` in tables of
/// granule `granule`: the level (1 to 3) at which such entries live, or 0
/// (no hint) when the size is not a block or page size of the granule.
pub fn ttl_for_leaf(granule: Granule, leaf_shift: u32) -> u8 {
    let g = granule.shift();
    // Each level above 3 multiplies the entry size by 2^(g - 3).
    let bits_per_level = g - 3;
    if leaf_shift < g {
        return 0;
    }
    let up = (leaf_shift - g) / bits_per_level;
    if up * bits_per_level != leaf_shift - g || up > 2 {
        0
    } else {
        3 - up as u8
    }
}

/// Whether a by-address invalidation of `commands` commands should be
/// replaced by invalidating the whole context (`CMD_TLBI_NH_ASID`,
/// `CMD_TLBI_S12_VMALL`, ...): true once the count reaches `max_ops`.
pub fn should_invalidate_all(commands: u64, max_ops: u64) -> bool {
    commands >= max_ops
}

/// One greedy chunk for `n > 0` remaining granules: `(scale, blocks)`.
fn greedy_chunk(n: u64) -> (u32, u64) {
    let p = n.trailing_zeros();
    if p >= RANGE_SCALE_MAX {
        let blocks = (n >> RANGE_SCALE_MAX).min(RANGE_NUM_MAX);
        (RANGE_SCALE_MAX, blocks)
    } else {
        (p, (n >> p) & (RANGE_NUM_MAX - 1))
    }
}

/// Number of chunks the greedy planner uses for `n` granules.
pub fn greedy_range_count(mut n: u64) -> u64 {
    let mut count = 0u64;
    while n != 0 {
        let p = n.trailing_zeros();
        if p >= RANGE_SCALE_MAX {
            let big = n >> RANGE_SCALE_MAX;
            return count + big.div_ceil(RANGE_NUM_MAX);
        }
        n &= !(((RANGE_NUM_MAX - 1) << p) & n);
        count += 1;
    }
    count
}

/// A request to invalidate `[iova, iova + size)` by address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TlbiRequest {
    /// First byte to invalidate.
    pub iova: u64,
    /// Number of bytes; zero plans no command.
    pub size: u64,
    /// Translation granule of the page tables (the TG of range commands).
    pub granule: Granule,
    /// log2 of the distance between single-address commands when range
    /// invalidation is not available: the size of the entries being
    /// invalidated (`granule.shift()` for pages, 21 for 2MB blocks with a
    /// 4KB granule, ...). Ignored with range invalidation.
    pub stride_shift: u32,
    /// Only leaf entries need invalidating (the Leaf field).
    pub leaf: bool,
    /// TTL hint for range commands, 0 for none; see [`ttl_for_leaf`].
    pub ttl: u8,
    /// The SMMU supports range invalidation (`SMMU_IDR3.RIL`).
    pub ril: bool,
}

impl TlbiRequest {
    /// Request for page-granular invalidation of `[iova, iova + size)`.
    pub const fn new(iova: u64, size: u64, granule: Granule, leaf: bool, ril: bool) -> Self {
        TlbiRequest {
            iova,
            size,
            granule,
            stride_shift: granule.shift(),
            leaf,
            ttl: 0,
            ril,
        }
    }

    /// Plans the commands. Every address of the range (rounded out to the
    /// granule, or to the stride without range invalidation) is covered.
    pub fn plan(&self) -> Result<TlbiPlan, RangeError> {
        if self.ttl > 3 {
            return Err(RangeError::BadTtl);
        }
        let unit_shift = if self.ril {
            self.granule.shift()
        } else {
            if self.stride_shift < self.granule.shift() || self.stride_shift > 63 {
                return Err(RangeError::BadStride);
            }
            self.stride_shift
        };
        let mut plan = TlbiPlan {
            addr: 0,
            remaining: 0,
            left: 0,
            unit_shift,
            granule: self.granule,
            leaf: self.leaf,
            ttl: self.ttl,
            ril: self.ril,
        };
        if self.size == 0 {
            return Ok(plan);
        }
        let last_byte = self
            .iova
            .checked_add(self.size - 1)
            .ok_or(RangeError::Overflow)?;
        let first = self.iova >> unit_shift;
        let last = last_byte >> unit_shift;
        // At most 2^52 units, no overflow.
        let n = last - first + 1;
        if !self.ril {
            plan.addr = first << unit_shift;
            plan.remaining = n;
            plan.left = n;
            return Ok(plan);
        }
        plan.addr = first << unit_shift;
        plan.remaining = n;
        plan.left = greedy_range_count(n);
        Ok(plan)
    }
}

/// Iterator over the commands of a TLBI plan, in ascending address order.
///
/// # Invariants
///
/// `left` is the number of items still to be produced; with range
/// invalidation the greedy chunks of `remaining` exactly tile the planned
/// granules starting at `addr`.
#[derive(Clone, Debug)]
pub struct TlbiPlan {
    addr: u64,
    remaining: u64,
    left: u64,
    unit_shift: u32,
    granule: Granule,
    leaf: bool,
    ttl: u8,
    ril: bool,
}

impl TlbiPlan {
    /// Number of commands still to be produced.
    pub fn count_left(&self) -> u64 {
        self.left
    }

    fn emit_range(&mut self, scale: u32, blocks: u64) -> TlbiVa {
        let range = if self.ttl == 0 && scale == 0 && blocks == 1 {
            // TTL = SCALE = NUM = 0 is not a valid range command.
            None
        } else {
            Some(TlbiRange {
                tg: self.granule,
                ttl: self.ttl,
                scale: scale as u8,
                num: (blocks - 1) as u8,
            })
        };
        let va = TlbiVa {
            addr: self.addr,
            leaf: self.leaf,
            range,
        };
        self.addr = self
            .addr
            .wrapping_add((blocks << scale).wrapping_shl(self.unit_shift));
        self.left = self.left.saturating_sub(1);
        va
    }
}

impl Iterator for TlbiPlan {
    type Item = TlbiVa;

    fn next(&mut self) -> Option<TlbiVa> {
        if self.remaining == 0 {
            return None;
        }
        if !self.ril {
            let va = TlbiVa::single(self.addr, self.leaf);
            self.addr = self.addr.wrapping_add(1u64 << self.unit_shift);
            self.remaining -= 1;
            self.left = self.left.saturating_sub(1);
            return Some(va);
        }
        let (scale, blocks) = greedy_chunk(self.remaining);
        self.remaining -= blocks << scale;
        Some(self.emit_range(scale, blocks))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match usize::try_from(self.left) {
            Ok(n) => (n, Some(n)),
            Err(_) => (usize::MAX, None),
        }
    }
}

/// A naturally aligned span of 4KB pages for `CMD_ATC_INV`.
///
/// # Invariants
///
/// `size <= ATC_INV_SIZE_ALL`; `addr` is aligned to `4KB << size` (and is 0
/// when `size == ATC_INV_SIZE_ALL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AtcSpan {
    /// First byte of the span (the Address field).
    pub addr: u64,
    /// log2 of the number of 4KB pages (the Size field).
    pub size: u8,
}

impl AtcSpan {
    /// The whole ATC (Size = [`ATC_INV_SIZE_ALL`]).
    pub const ALL: AtcSpan = AtcSpan {
        addr: 0,
        size: ATC_INV_SIZE_ALL,
    };

    /// Whether this span is the whole-ATC encoding.
    pub const fn is_all(&self) -> bool {
        self.size >= ATC_INV_SIZE_ALL
    }

    /// First 4KB page number of the span.
    pub const fn first_page(&self) -> u64 {
        self.addr >> ATC_GRAIN_SHIFT
    }

    /// Number of 4KB pages, `2^size`.
    pub const fn pages(&self) -> u64 {
        1u64 << (self.size as u32 % 64)
    }

    /// Whether the span contains 4KB page number `page`.
    pub const fn contains_page(&self, page: u64) -> bool {
        self.is_all() || page >> self.size == self.first_page() >> self.size
    }
}

/// The single span upstream uses: the smallest aligned span containing all
/// of `[iova, iova + size)`; `size == 0`, or a range reaching past the end of
/// the address space, gives [`AtcSpan::ALL`].
pub fn atc_covering_span(iova: u64, size: u64) -> AtcSpan {
    if size == 0 {
        return AtcSpan::ALL;
    }
    let Some(last_byte) = iova.checked_add(size - 1) else {
        return AtcSpan::ALL;
    };
    let first = iova >> ATC_GRAIN_SHIFT;
    let last = last_byte >> ATC_GRAIN_SHIFT;
    // The highest bit in which first and last differ decides the span.
    let log2 = 64 - (first ^ last).leading_zeros();
    if log2 >= u32::from(ATC_INV_SIZE_ALL) {
        return AtcSpan::ALL;
    }
    AtcSpan {
        addr: (first >> log2 << log2) << ATC_GRAIN_SHIFT,
        size: log2 as u8,
    }
}

/// Largest aligned span starting at page `a` that ends at or before page
/// `last` (`a <= last`): its log2 size.
fn exact_step(a: u64, last: u64) -> u32 {
    let align = if a == 0 { 64 } else { a.trailing_zeros() };
    let len = last - a; // pages remaining minus one, no overflow
                        // floor(log2(len + 1)) without overflowing at len == u64::MAX.
    let fit = if len == u64::MAX {
        64
    } else {
        63 - (len + 1).leading_zeros()
    };
    align.min(fit).min(u32::from(ATC_INV_SIZE_ALL))
}

/// Number of spans in the minimal exact cover of pages `[first, last]`.
fn exact_count(first: u64, last: u64) -> u64 {
    let mut a = first;
    let mut n = 0u64;
    loop {
        let k = exact_step(a, last);
        n += 1;
        let next = a.checked_add(1u64 << k);
        match next {
            Some(nx) if nx <= last => a = nx,
            _ => return n,
        }
    }
}

/// Cost model of [`plan_atc`].
///
/// Each `CMD_ATC_INV` becomes a PCIe ATS Invalidate Request that the
/// following `CMD_SYNC` waits to see completed; commands in one batch
/// overlap, so the marginal cost of a few extra commands is a TLP each.
/// Over-invalidating, on the other hand, throws away translations the device
/// is still using and costs it an ATS Translation Request round trip on its
/// next access to each such page. The policy therefore covers the range
/// exactly (with the fewest aligned spans) when that takes at most
/// `max_cmds` commands, and otherwise falls back to upstream's single
/// covering span.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AtcPolicy {
    /// Most commands an exact cover may use.
    pub max_cmds: u64,
}

impl AtcPolicy {
    /// Upstream behaviour: always one covering span.
    pub const SINGLE: AtcPolicy = AtcPolicy { max_cmds: 1 };
    /// Default: exact cover with up to 8 commands.
    pub const DEFAULT: AtcPolicy = AtcPolicy { max_cmds: 8 };
}

impl Default for AtcPolicy {
    fn default() -> Self {
        AtcPolicy::DEFAULT
    }
}

/// Plans the `CMD_ATC_INV` spans for `[iova, iova + size)` under `policy`.
///
/// `size == 0` means "everything" and yields [`AtcSpan::ALL`], as do ranges
/// running past the end of the address space.
pub fn plan_atc(iova: u64, size: u64, policy: AtcPolicy) -> AtcPlan {
    let single = |span| AtcPlan {
        next: 0,
        last: 0,
        left: 1,
        single: Some(span),
    };
    if size == 0 {
        return single(AtcSpan::ALL);
    }
    let Some(last_byte) = iova.checked_add(size - 1) else {
        return single(AtcSpan::ALL);
    };
    let first = iova >> ATC_GRAIN_SHIFT;
    let last = last_byte >> ATC_GRAIN_SHIFT;
    let n = exact_count(first, last);
    if n <= policy.max_cmds.max(1) {
        AtcPlan {
            next: first,
            last,
            left: n,
            single: None,
        }
    } else {
        single(atc_covering_span(iova, size))
    }
}

/// Iterator over the spans of an ATC plan.
///
/// # Invariants
///
/// When `single` is `None`, pages `[next, last]` remain to be covered and
/// `left` spans cover them exactly; otherwise `single` is the only span.
#[derive(Clone, Debug)]
pub struct AtcPlan {
    next: u64,
    last: u64,
    left: u64,
    single: Option<AtcSpan>,
}

impl AtcPlan {
    /// Number of spans still to be produced.
    pub fn count_left(&self) -> u64 {
        self.left
    }
}

impl Iterator for AtcPlan {
    type Item = AtcSpan;

    fn next(&mut self) -> Option<AtcSpan> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        if let Some(s) = self.single.take() {
            self.left = 0;
            return Some(s);
        }
        let k = exact_step(self.next, self.last);
        let span = if k >= u32::from(ATC_INV_SIZE_ALL) {
            AtcSpan::ALL
        } else {
            AtcSpan {
                addr: self.next << ATC_GRAIN_SHIFT,
                size: k as u8,
            }
        };
        match self.next.checked_add(1u64 << k) {
            Some(nx) if nx <= self.last => self.next = nx,
            _ => self.left = 0,
        }
        Some(span)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = usize::try_from(self.left).unwrap_or(usize::MAX);
        (n, Some(n))
    }
}

impl ExactSizeIterator for AtcPlan {}
