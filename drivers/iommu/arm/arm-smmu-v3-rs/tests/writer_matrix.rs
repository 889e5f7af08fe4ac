// SPDX-License-Identifier: GPL-2.0

//! The entry writer over every pair of a representative set of builder
//! outputs (STEs and CDs).
//!
//! Each transition is run through `CheckingSink`, which checks every state
//! the SMMU could observe (torn reads included). On top of that:
//!
//! - sync counts are bounded (at most three, at most one when nothing used
//!   changes, none when nothing changes) and agree with the plan;
//! - a break (`V = 0`) is only accepted when unavoidable: a breadth-first
//!   search over single-qword stores, each qword taking its current, its
//!   "unused bits updated" or its target value, must find no path from the
//!   old entry to the new one through states equivalent to either;
//! - conversely, whenever that search finds such a path the writer must
//!   have been hitless.
//!
//! The upstream KUnit cases run through `selftest::run` here too.

use std::collections::{HashSet, VecDeque};

use smmuv3::hw::cd::*;
use smmuv3::hw::regs::{Oas, Shareability};
use smmuv3::hw::ste::*;
use smmuv3::hw::writer::{check_transition, plan, selftest, Entry, UpdateKind};

fn caps(e2h: bool) -> SteCaps {
    SteCaps {
        attr_types_ovr: true,
        stalls: true,
        stall_forced: false,
        e2h,
    }
}

const VTCR: Vtcr = Vtcr {
    t0sz: 25,
    sl0: 1,
    irgn0: Cacheability::WriteBackWriteAlloc,
    orgn0: Cacheability::WriteBackWriteAlloc,
    sh0: Shareability::InnerShareable,
    tg: Granule::Size4K,
    ps: Oas::Bits48,
};

fn ste_set() -> Vec<(String, Ste)> {
    let mut v = vec![
        ("invalid".to_string(), Ste::invalid()),
        ("abort".to_string(), Ste::abort()),
        ("bypass".to_string(), Ste::bypass(&caps(false))),
        ("bypass-noovr".to_string(), Ste::bypass(&SteCaps::default())),
    ];
    let dss = [S1Dss::Terminate, S1Dss::Bypass, S1Dss::Ssid0];
    for s1dss in dss {
        for ats in [false, true] {
            for stall in [false, true] {
                for (tn, tab) in [("A", 0x10_0000u64), ("B", 0x20_0000)] {
                    for (cn, cdmax) in [("1", 0u8), ("N", 10)] {
                        let cfg = CdTableSte {
                            cd_table: tab,
                            s1fmt: if cdmax == 0 {
                                S1Fmt::Linear
                            } else {
                                S1Fmt::TwoLevel64K
                            },
                            s1cdmax: cdmax,
                            s1dss,
                            ats,
                            stall,
                        };
                        v.push((
                            format!("cd{tn}{cn}-{s1dss:?}-ats{ats}-stall{stall}"),
                            Ste::cd_table(&caps(false), &cfg).unwrap(),
                        ));
                    }
                }
            }
        }
    }
    for s1dss in dss {
        let cfg = CdTableSte {
            cd_table: 0x10_0000,
            s1fmt: S1Fmt::TwoLevel64K,
            s1cdmax: 10,
            s1dss,
            ats: true,
            stall: false,
        };
        v.push((
            format!("cd-e2h-{s1dss:?}"),
            Ste::cd_table(&caps(true), &cfg).unwrap(),
        ));
    }
    for (fname, ats, stall) in [
        ("none", false, false),
        ("ats", true, false),
        ("stall", false, true),
    ] {
        for vmid in [0u16, 7] {
            for (tn, ttb) in [("A", 0x40_0000u64), ("B", 0x50_0000)] {
                for dirty in [false, true] {
                    let cfg = S2DomainSte {
                        vmid,
                        s2ttb: ttb,
                        vtcr: VTCR,
                        ats,
                        stall,
                        hw_access: dirty,
                        hw_dirty: dirty,
                    };
                    v.push((
                        format!("s2{tn}-vmid{vmid}-{fname}-dirty{dirty}"),
                        Ste::s2_domain(&caps(false), &cfg).unwrap(),
                    ));
                }
            }
        }
    }
    for s1dss in [S1Dss::Bypass, S1Dss::Ssid0] {
        for ats in [false, true] {
            let s1 = CdTableSte {
                cd_table: 0x10_0000,
                s1fmt: S1Fmt::TwoLevel64K,
                s1cdmax: 10,
                s1dss,
                ats,
                stall: false,
            };
            let s2 = S2DomainSte {
                vmid: 7,
                s2ttb: 0x40_0000,
                vtcr: VTCR,
                ats: false,
                stall: false,
                hw_access: false,
                hw_dirty: false,
            };
            v.push((
                format!("nested-{s1dss:?}-ats{ats}"),
                Ste::nested(&caps(false), &s1, &s2).unwrap(),
            ));
        }
    }
    v
}

fn cd_set() -> Vec<(String, Cd)> {
    let mut v = vec![("invalid".to_string(), Cd::invalid())];
    for asid in [1u16, 2] {
        for (tn, ttb) in [("A", 0x1000u64), ("B", 0x2000)] {
            for httu in [CdHttu::None, CdHttu::AccessDirty] {
                for stall in [false, true] {
                    let cfg = S1PagingCd {
                        asid,
                        ttb0: ttb,
                        t0sz: 16,
                        tg0: Granule::Size4K,
                        irgn0: Cacheability::WriteBackWriteAlloc,
                        orgn0: Cacheability::WriteBackWriteAlloc,
                        sh0: Shareability::InnerShareable,
                        ips: Oas::Bits48,
                        mair: 0xff04,
                        stall,
                        httu,
                    };
                    v.push((
                        format!("s1-asid{asid}-{tn}-{httu:?}-stall{stall}"),
                        Cd::s1_paging(&cfg).unwrap(),
                    ));
                }
            }
        }
    }
    for asid in [3u16, 4] {
        for (pn, pgd) in [("A", 0x8000u64), ("B", 0x9000)] {
            for stall in [false, true] {
                let cfg = SvaCd {
                    asid,
                    pgd,
                    t0sz: 16,
                    tg0: Granule::Size4K,
                    ips: Oas::Bits48,
                    mair: 0x0444_ff00,
                    stall,
                    httu: CdHttu::AccessDirty,
                };
                v.push((
                    format!("sva-asid{asid}-{pn}-stall{stall}"),
                    Cd::sva(&cfg).unwrap(),
                ));
                for forced in [false, true] {
                    v.push((
                        format!("quiet-asid{asid}-{pn}-stall{stall}-forced{forced}"),
                        Cd::sva_quiet(&cfg, forced).unwrap(),
                    ));
                }
            }
        }
    }
    v
}

/// Whether `s` equals `r` on the bits `s` uses, `safe` excepted.
fn equiv<E: Entry>(s: &E, r: &E, safe: &[u64; 8]) -> bool {
    let u = s.used();
    (0..8).all(|i| (s.qwords()[i] ^ r.qwords()[i]) & u[i] & !safe[i] == 0)
}

/// Searches for a sequence of single-qword stores from `cur` to `target`
/// through states that are valid and equivalent to one of them.
fn hitless_path_exists<E: Entry>(cur: &E, target: &E) -> bool {
    let (c, t) = (*cur.qwords(), *target.qwords());
    let (cu, tu) = (cur.used(), target.used());
    let mut safe = E::update_safe(cur, target);
    let mut uu = [0u64; 8];
    for i in 0..8 {
        safe[i] &= cu[i] & tu[i];
        let cur_used = cu[i] & !safe[i];
        uu[i] = (c[i] & cur_used) | (t[i] & !cur_used);
    }
    let candidates: Vec<Vec<u64>> = (0..8)
        .map(|i| {
            let mut v = vec![c[i], uu[i], t[i]];
            v.dedup();
            v.sort_unstable();
            v.dedup();
            v
        })
        .collect();
    let ok = |q: &[u64; 8]| {
        let s = E::from_qwords(*q);
        s.is_valid() && (equiv(&s, cur, &safe) || equiv(&s, target, &safe))
    };
    let mut seen = HashSet::new();
    let mut queue = VecDeque::new();
    seen.insert(c);
    queue.push_back(c);
    while let Some(q) = queue.pop_front() {
        if q == t {
            return true;
        }
        for i in 0..8 {
            for &val in &candidates[i] {
                let mut n = q;
                n[i] = val;
                if ok(&n) && seen.insert(n) {
                    queue.push_back(n);
                }
            }
        }
    }
    false
}

#[derive(Default, Debug)]
struct Stats {
    pairs: usize,
    hitless: usize,
    breaking: usize,
    sync_histogram: [usize; 4],
}

fn run_matrix<E: Entry + std::fmt::Debug + PartialEq>(set: &[(String, E)]) -> Stats {
    let mut stats = Stats::default();
    let mut failures = Vec::new();
    for (name, e) in set {
        let used = e.used();
        for (i, (q, u)) in e.qwords().iter().zip(used).enumerate() {
            assert_eq!(
                q & !u,
                0,
                "{} {name}: builder sets unused bits in qword {i}",
                E::NAME
            );
        }
    }
    for (an, a) in set {
        for (bn, b) in set {
            stats.pairs += 1;
            let (sink, res) = check_transition(a, b);
            let report = match res {
                Ok(r) => r,
                Err(e) => {
                    failures.push(format!("{an} -> {bn}: writer error {e:?}"));
                    continue;
                }
            };
            if let Some(v) = sink.violation {
                failures.push(format!("{an} -> {bn}: {v:x?}"));
                continue;
            }
            let p = plan(a, b).unwrap();
            assert_eq!(p.kind, report.kind);
            let syncs = sink.syncs as usize;
            stats.sync_histogram[syncs.min(3)] += 1;
            if syncs > 3
                || (a == b && syncs != 0)
                || (a != b && syncs == 0)
                || (report.kind == UpdateKind::NoUsedChange && syncs > 1)
            {
                failures.push(format!("{an} -> {bn}: {syncs} syncs for {:?}", report.kind));
            }
            let both_valid = a.is_valid() && b.is_valid();
            if report.kind == UpdateKind::Breaking {
                stats.breaking += 1;
                if !both_valid {
                    failures.push(format!("{an} -> {bn}: break with an invalid end"));
                }
                if hitless_path_exists(a, b) {
                    failures.push(format!("{an} -> {bn}: avoidable break"));
                }
            } else if both_valid {
                stats.hitless += 1;
                if sink.saw_invalid {
                    failures.push(format!("{an} -> {bn}: invalid state without a break"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures, first ones:\n{}",
        failures.len(),
        failures[..failures.len().min(20)].join("\n")
    );
    stats
}

#[test]
fn ste_transition_matrix() {
    let set = ste_set();
    let stats = run_matrix(&set);
    println!("STE matrix: {} entries, {stats:?}", set.len());
    assert_eq!(stats.pairs, set.len() * set.len());
    assert!(set.len() > 80);
}

#[test]
fn cd_transition_matrix() {
    let set = cd_set();
    let stats = run_matrix(&set);
    println!("CD matrix: {} entries, {stats:?}", set.len());
    assert_eq!(stats.pairs, set.len() * set.len());
    assert!(set.len() > 40);
}

#[test]
fn upstream_cases_via_selftest() {
    let mut names = Vec::new();
    let summary = selftest::run(&mut |r| {
        assert!(r.passed, "{r:#?}");
        names.push(r.name);
    });
    assert_eq!(summary.failed, 0);
    assert_eq!(summary.passed as usize, selftest::case_count());
    assert_eq!(selftest::upstream_case_count(), 27);
    // Every upstream KUnit case (by C name) is covered.
    for upstream in [
        "bypass_to_abort",
        "abort_to_bypass",
        "cdtable_to_abort",
        "abort_to_cdtable",
        "cdtable_to_bypass",
        "bypass_to_cdtable",
        "cdtable_s1dss_change",
        "s1dssbypass_to_stebypass",
        "stebypass_to_s1dssbypass",
        "s2_to_abort",
        "abort_to_s2",
        "s2_to_bypass",
        "bypass_to_s2",
        "s1_to_s2",
        "s2_to_s1",
        "non_hitless",
        "s1_clear",
        "s1_change_asid",
        "s1_to_s2_stall",
        "s2_to_s1_stall",
        "sva_clear",
        "sva_release",
    ] {
        assert!(
            names.iter().any(|n| n.contains(upstream)),
            "upstream case {upstream} missing"
        );
    }
}

#[test]
fn eats_safe_relaxation_matters() {
    // Without the update-safe EATS bits this would be a break: Config
    // (qword 0) and EATS (qword 1) both change.
    let s2 = Ste::s2_domain(
        &caps(false),
        &S2DomainSte {
            vmid: 0,
            s2ttb: 0x40_0000,
            vtcr: VTCR,
            ats: false,
            stall: false,
            hw_access: false,
            hw_dirty: false,
        },
    )
    .unwrap();
    let s1 = Ste::cd_table(
        &caps(false),
        &CdTableSte {
            cd_table: 0x10_0000,
            s1fmt: S1Fmt::Linear,
            s1cdmax: 0,
            s1dss: S1Dss::Ssid0,
            ats: true,
            stall: false,
        },
    )
    .unwrap();
    assert!(matches!(
        plan(&s2, &s1).unwrap().kind,
        UpdateKind::Hitless { critical: 0 }
    ));
    let safe = Ste::update_safe_bits(&s2, &s1);
    assert_eq!(safe[1] & Ste::EATS.field().mask(), 1 << 28);
}
