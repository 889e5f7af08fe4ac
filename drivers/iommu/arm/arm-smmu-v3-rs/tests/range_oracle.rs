// SPDX-License-Identifier: GPL-2.0

//! Range planners checked against brute-force oracles: the TLBI plan must
//! use the fewest range commands that tile the range exactly, and the exact
//! ATC cover the fewest aligned spans.

use proptest::prelude::*;
use smmuv3::hw::cmd::{Command, Granule, TlbiVa, ATC_INV_SIZE_ALL};
use smmuv3::hw::range::*;
use std::vec::Vec;

/// Brute force: fewest chunks `k << s` (1 <= k <= 32, s <= 31) summing to
/// each `n <= max`.
fn brute_force(max: usize) -> Vec<u32> {
    let mut chunks: Vec<usize> = Vec::new();
    for s in 0..=31u32 {
        for k in 1..=32usize {
            if let Some(v) = k.checked_shl(s) {
                if v <= max && !chunks.contains(&v) {
                    chunks.push(v);
                }
            }
        }
    }
    let mut best = vec![u32::MAX; max + 1];
    best[0] = 0;
    for n in 1..=max {
        for &c in &chunks {
            if c <= n && best[n - c] != u32::MAX {
                best[n] = best[n].min(best[n - c] + 1);
            }
        }
    }
    best
}

/// Carry-aware dynamic program over bit positions: at scale `s` the chunks
/// sum to `c_s` in 0..=32 (more never helps), the cost is the number of
/// non-zero `c_s`.
fn carry_dp(n: u64) -> u32 {
    const INF: u32 = u32::MAX;
    let mut dp = [INF; 64];
    dp[0] = 0;
    for j in 0..64u32 {
        let bit = (n >> j) & 1;
        let mut next = [INF; 64];
        for carry in 0..64u64 {
            let cost = dp[carry as usize];
            if cost == INF {
                continue;
            }
            let max_c = if j <= 31 { 32 } else { 0 };
            for c in 0..=max_c {
                let t = carry + c;
                if t & 1 != bit {
                    continue;
                }
                let nc = (t >> 1) as usize;
                let v = cost + u32::from(c != 0);
                if nc < 64 && v < next[nc] {
                    next[nc] = v;
                }
            }
        }
        dp = next;
    }
    dp[0]
}

/// Upstream's loop (`__arm_smmu_tlb_inv_range`), for pages `n`:
/// (scale, num) pairs in emission order.
fn upstream_chunks(mut n: u64) -> Vec<(u8, u8)> {
    let mut out = Vec::new();
    while n != 0 {
        let scale = n.trailing_zeros();
        let num = (n >> scale) & 31;
        out.push((scale as u8, (num - 1) as u8));
        n -= num << scale;
    }
    out
}

/// Checks that `plan` tiles `[start, start + n granules)` with valid,
/// encodable commands and returns the number of commands.
fn check_tiling(req: &TlbiRequest, start: u64, n: u64) -> u64 {
    let plan = req.plan().unwrap();
    let announced = plan.count_left();
    let g = req.granule;
    let mut addr = start;
    let mut count = 0u64;
    for va in plan {
        assert_eq!(va.addr, addr, "chunks must be contiguous");
        assert_eq!(va.leaf, req.leaf);
        let granules = match va.range {
            Some(r) => {
                assert_eq!(r.tg, g);
                assert_eq!(r.ttl, req.ttl);
                r.granules()
            }
            None => {
                // Only the invalid (TTL, SCALE, NUM) = 0 chunk is demoted
                // to a single-address command.
                assert_eq!(req.ttl, 0);
                assert_eq!(count, 0, "only the first chunk can be scale 0");
                1
            }
        };
        let c = Command::TlbiNhVa {
            vmid: 0,
            asid: 1,
            va,
        };
        assert_eq!(Command::decode(c.encode().expect("encodable")), Ok(c));
        addr = addr.wrapping_add(granules << g.shift());
        count += 1;
    }
    assert_eq!(addr, start.wrapping_add(n << g.shift()), "exact cover");
    assert_eq!(count, announced);
    count
}

#[test]
fn tlbi_minimal_vs_brute_force() {
    const MAX: usize = 1 << 13;
    let best = brute_force(MAX);
    for n in 1..=MAX as u64 {
        // With a TTL hint every chunk is allowed.
        let mut req = TlbiRequest::new(0x4000_0000, n << 12, Granule::Size4K, true, true);
        req.ttl = 3;
        let count = check_tiling(&req, 0x4000_0000, n);
        assert_eq!(count, u64::from(best[n as usize]), "n = {n}");
        assert_eq!(count, greedy_range_count(n));
        // Without a hint the (SCALE 0, NUM 0) chunk becomes a TG = 0
        // command; the count is unchanged.
        req.ttl = 0;
        req.leaf = false;
        let count = check_tiling(&req, 0x4000_0000, n);
        assert_eq!(count, u64::from(best[n as usize]), "n = {n}");
    }
}

#[test]
fn tlbi_matches_upstream_when_hinted() {
    for n in [
        1u64, 2, 3, 31, 32, 33, 63, 64, 65, 1000, 4095, 0x12345, 0xfff_ffff,
    ] {
        let mut req = TlbiRequest::new(0, n << 16, Granule::Size64K, true, true);
        req.ttl = 3;
        let got: Vec<(u8, u8)> = req
            .plan()
            .unwrap()
            .map(|va| {
                let r = va.range.unwrap();
                (r.scale, r.num)
            })
            .collect();
        assert_eq!(got, upstream_chunks(n), "n = {n}");
    }
}

#[test]
fn tlbi_rounds_out_to_granule() {
    // [0x1234, 0x1234 + 0x2000) touches granules 1, 2 and 3.
    let mut req = TlbiRequest::new(0x1234, 0x2000, Granule::Size4K, true, true);
    req.ttl = 3;
    assert_eq!(check_tiling(&req, 0x1000, 3), 1);
    // Same without range invalidation: one command per page.
    req.ril = false;
    let v: Vec<TlbiVa> = req.plan().unwrap().collect();
    assert_eq!(
        v,
        vec![
            TlbiVa::single(0x1000, true),
            TlbiVa::single(0x2000, true),
            TlbiVa::single(0x3000, true)
        ]
    );
}

#[test]
fn tlbi_edges() {
    let req = TlbiRequest::new(0x1000, 0, Granule::Size4K, true, true);
    assert_eq!(req.plan().unwrap().count(), 0);
    let req = TlbiRequest::new(u64::MAX - 0xfff, 0x2000, Granule::Size4K, true, true);
    assert_eq!(req.plan().err(), Some(RangeError::Overflow));
    let mut req = TlbiRequest::new(0, 0x1000, Granule::Size4K, true, true);
    req.ttl = 4;
    assert_eq!(req.plan().err(), Some(RangeError::BadTtl));
    let mut req = TlbiRequest::new(0, 0x1000, Granule::Size16K, true, false);
    req.stride_shift = 12;
    assert_eq!(req.plan().err(), Some(RangeError::BadStride));
    // The last page of the address space, no hint: a TG = 0 command.
    let req = TlbiRequest::new(u64::MAX - 0xfff, 0x1000, Granule::Size4K, false, true);
    let v: Vec<TlbiVa> = req.plan().unwrap().collect();
    assert_eq!(v, vec![TlbiVa::single(u64::MAX - 0xfff, false)]);
    // 33 granules without a hint: one single-address command, then 32.
    let req = TlbiRequest::new(0x10_0000, 33 << 12, Granule::Size4K, false, true);
    let v: Vec<TlbiVa> = req.plan().unwrap().collect();
    assert_eq!(v.len(), 2);
    assert_eq!(v[0], TlbiVa::single(0x10_0000, false));
    assert_eq!(v[1].addr, 0x10_1000);
    assert_eq!(v[1].range.unwrap().granules(), 32);
    // The whole 64-bit space with a 64K granule: 2^48 granules, beyond the
    // largest scale; still an exact tiling.
    let mut req = TlbiRequest::new(0, u64::MAX, Granule::Size64K, true, true);
    req.ttl = 3;
    let plan = req.plan().unwrap();
    assert_eq!(plan.count_left(), (1u64 << 48).div_ceil(32 << 31));
    assert_eq!(check_tiling(&req, 0, 1 << 48), 4096);
    // Non-RIL blocks: stride 2MB over a 4K-granule table.
    let mut req = TlbiRequest::new(0x20_0000, 0x60_0000, Granule::Size4K, true, false);
    req.stride_shift = 21;
    let v: Vec<u64> = req.plan().unwrap().map(|va| va.addr).collect();
    assert_eq!(v, vec![0x20_0000, 0x40_0000, 0x60_0000]);
}

#[test]
fn ttl_hints_and_threshold() {
    assert_eq!(ttl_for_leaf(Granule::Size4K, 12), 3);
    assert_eq!(ttl_for_leaf(Granule::Size4K, 21), 2);
    assert_eq!(ttl_for_leaf(Granule::Size4K, 30), 1);
    assert_eq!(ttl_for_leaf(Granule::Size4K, 39), 0);
    assert_eq!(ttl_for_leaf(Granule::Size4K, 16), 0);
    assert_eq!(ttl_for_leaf(Granule::Size16K, 14), 3);
    assert_eq!(ttl_for_leaf(Granule::Size16K, 25), 2);
    assert_eq!(ttl_for_leaf(Granule::Size64K, 16), 3);
    assert_eq!(ttl_for_leaf(Granule::Size64K, 29), 2);
    assert_eq!(ttl_for_leaf(Granule::Size64K, 42), 1);
    assert_eq!(ttl_for_leaf(Granule::Size64K, 12), 0);
    // Upstream SVA without RIL: 512 pages or more become one TLBI_NH_ASID.
    let req = TlbiRequest::new(0, 512 << 12, Granule::Size4K, true, false);
    assert!(should_invalidate_all(
        req.plan().unwrap().count_left(),
        DEFAULT_MAX_TLBI_OPS
    ));
    let req = TlbiRequest::new(0, 511 << 12, Granule::Size4K, true, false);
    assert!(!should_invalidate_all(
        req.plan().unwrap().count_left(),
        DEFAULT_MAX_TLBI_OPS
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn tlbi_minimal_vs_carry_dp(n in 1u64..(1u64 << 36), hinted in any::<bool>(), g in 0usize..3) {
        let granule = Granule::ALL[g];
        let mut req = TlbiRequest::new(0, n << granule.shift(), granule, hinted, true);
        req.ttl = if hinted { 3 } else { 0 };
        let count = check_tiling(&req, 0, n);
        prop_assert_eq!(u64::from(carry_dp(n)), count);
    }

    #[test]
    fn tlbi_any_range_is_covered(iova in any::<u64>(), size in any::<u64>(), ril in any::<bool>(),
                                 ttl in 0u8..4, g in 0usize..3) {
        let granule = Granule::ALL[g];
        let mut req = TlbiRequest::new(iova, size, granule, true, ril);
        req.ttl = ttl;
        match req.plan() {
            Err(e) => prop_assert!(iova.checked_add(size.saturating_sub(1)).is_none(), "{}", e),
            Ok(plan) => {
                if size == 0 {
                    prop_assert_eq!(plan.count_left(), 0);
                } else if ril {
                    // Small enough to walk fully.
                    if plan.count_left() < 10_000 {
                        let first = iova >> granule.shift();
                        let mut end = first;
                        for va in plan {
                            prop_assert_eq!(va.addr >> granule.shift(), end);
                            end += match va.range {
                                Some(r) => {
                                    prop_assert!(r.ttl != 0 || r.scale != 0 || r.num != 0);
                                    r.granules()
                                }
                                None => 1,
                            };
                        }
                        let last = (iova + (size - 1)) >> granule.shift();
                        prop_assert_eq!(end, last + 1);
                    }
                } else {
                    let pages = ((iova + (size - 1)) >> granule.shift()) - (iova >> granule.shift()) + 1;
                    prop_assert_eq!(plan.count_left(), pages);
                }
            }
        }
    }
}

// ---- ATC ----

/// Brute force: fewest aligned power-of-two spans tiling pages [a, b].
fn atc_brute(a: u64, b: u64, memo: &mut std::collections::HashMap<(u64, u64), u64>) -> u64 {
    if a > b {
        return 0;
    }
    if let Some(&v) = memo.get(&(a, b)) {
        return v;
    }
    let mut best = u64::MAX;
    for k in 0..20 {
        let len = 1u64 << k;
        if a.is_multiple_of(len) && a + len - 1 <= b {
            best = best.min(1 + atc_brute(a + len, b, memo));
        }
    }
    memo.insert((a, b), best);
    best
}

/// Upstream `arm_smmu_atc_inv_to_cmd` span for a non-empty range.
fn upstream_atc(iova: u64, size: u64) -> (u64, u8) {
    let first = iova >> 12;
    let last = (iova + size - 1) >> 12;
    let log2 = 64 - (first ^ last).leading_zeros();
    let mask = (1u64 << log2) - 1;
    ((first & !mask) << 12, log2 as u8)
}

fn check_atc_exact(iova: u64, size: u64, max: u64) -> Vec<AtcSpan> {
    let spans: Vec<AtcSpan> = plan_atc(iova, size, AtcPolicy { max_cmds: max }).collect();
    let first = iova >> 12;
    let last = (iova + size - 1) >> 12;
    let mut next = first;
    for s in &spans {
        assert!(!s.is_all());
        assert_eq!(s.first_page(), next);
        assert_eq!(s.first_page() % s.pages(), 0, "aligned");
        let c = Command::AtcInv {
            sid: 1,
            ssid: Some(2),
            global: false,
            size: s.size,
            addr: s.addr,
        };
        assert_eq!(Command::decode(c.encode().unwrap()), Ok(c));
        next += s.pages();
    }
    assert_eq!(next, last + 1);
    spans
}

#[test]
fn atc_exact_cover_minimal() {
    let mut memo = std::collections::HashMap::new();
    for a in 0..160u64 {
        for b in a..160 {
            let spans = check_atc_exact(a << 12, (b - a + 1) << 12, u64::MAX);
            assert_eq!(spans.len() as u64, atc_brute(a, b, &mut memo), "[{a}, {b}]");
        }
    }
}

#[test]
fn atc_policy_and_covering_span() {
    // [7, 10]: exact needs 3 spans (7, 8-9, 10); upstream covers [0, 15].
    assert_eq!(check_atc_exact(7 << 12, 4 << 12, 3).len(), 3);
    let single: Vec<AtcSpan> = plan_atc(7 << 12, 4 << 12, AtcPolicy { max_cmds: 2 }).collect();
    assert_eq!(single, vec![AtcSpan { addr: 0, size: 4 }]);
    assert_eq!(atc_covering_span(7 << 12, 4 << 12), single[0]);
    // [8, 11] is already one aligned span whatever the policy.
    let one: Vec<AtcSpan> = plan_atc(8 << 12, 4 << 12, AtcPolicy::SINGLE).collect();
    assert_eq!(
        one,
        vec![AtcSpan {
            addr: 8 << 12,
            size: 2
        }]
    );
    // Whole ATC.
    assert_eq!(
        plan_atc(0, 0, AtcPolicy::DEFAULT).collect::<Vec<_>>(),
        vec![AtcSpan::ALL]
    );
    assert_eq!(AtcSpan::ALL.size, ATC_INV_SIZE_ALL);
    assert!(AtcSpan::ALL.is_all());
    assert_eq!(atc_covering_span(0, u64::MAX), AtcSpan::ALL);
    assert_eq!(
        plan_atc(0, u64::MAX, AtcPolicy::DEFAULT).collect::<Vec<_>>(),
        vec![AtcSpan::ALL]
    );
    assert_eq!(
        plan_atc(u64::MAX, 2, AtcPolicy::DEFAULT).collect::<Vec<_>>(),
        vec![AtcSpan::ALL]
    );
    assert_eq!(AtcPolicy::default(), AtcPolicy::DEFAULT);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn atc_plan_covers(iova in any::<u64>(), size in 1u64..(1 << 40), max in 1u64..12) {
        prop_assume!(iova.checked_add(size - 1).is_some());
        let plan = plan_atc(iova, size, AtcPolicy { max_cmds: max });
        let n = plan.len();
        let spans: Vec<AtcSpan> = plan.collect();
        prop_assert_eq!(spans.len(), n);
        prop_assert!(!spans.is_empty());
        let first = iova >> 12;
        let last = (iova + (size - 1)) >> 12;
        if spans.len() == 1 {
            let s = spans[0];
            prop_assert!(s.contains_page(first) && s.contains_page(last));
            let cover = atc_covering_span(iova, size);
            let exact = check_atc_exact(iova, size, u64::MAX);
            if exact.len() as u64 > max {
                prop_assert_eq!(s, cover);
                if !cover.is_all() {
                    prop_assert_eq!((s.addr, s.size), upstream_atc(iova, size));
                }
            } else {
                prop_assert_eq!(exact, spans);
            }
        } else {
            prop_assert!(spans.len() as u64 <= max);
            prop_assert_eq!(check_atc_exact(iova, size, max), spans);
        }
    }
}
