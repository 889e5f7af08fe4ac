// SPDX-License-Identifier: GPL-2.0

//! TLB and ATC invalidation helpers: stale translations in the software
//! SMMUv3 disappear exactly where the driver invalidates.

mod smmu_common;

use smmu_common::{cd_table, page_tables, read_pa, s1_cd, s1_ste, test_config, Env, DATA, PT_POOL};
use smmuv3::hw::cmd::Granule;
use smmuv3::hw::range::{AtcPolicy, TlbiRequest, DEFAULT_MAX_TLBI_OPS};
use smmuv3::hw::ste::{CdTableSte, S1Dss, S1Fmt, Ste};
use smmuv3::model::{AtsRequest, ModelConfig};
use smmuv3::smmu::{CoherentBuf, Config, InvContext, TlbiOutcome};

const VA: u64 = 0x100_0000;
const NEW: u64 = 0x1_0000_0000;
const PAGES: u64 = 64;

fn page(i: u64) -> u64 {
    VA + i * 0x1000
}

/// Sets up streams 1 (ASID 1) and 2 (ASID 2) over tables mapping `PAGES`
/// pages, warms the TLB, remaps everything in both tables, and runs
/// `check` with the SMMU and both table builders.
fn stale_setup(
    mc: ModelConfig,
    cfg: Config,
    check: impl FnOnce(&Env, &mut smmu_common::TestSmmu<'_>),
) {
    let env = Env::new(mc);
    let mut s = env.smmu(cfg);
    let maps: Vec<(u64, u64)> = (0..PAGES).map(|i| (page(i), DATA + i * 0x1000)).collect();
    let mut pt1 = page_tables(&env.mem, PT_POOL, &maps);
    let mut pt2 = page_tables(&env.mem, PT_POOL + 0x100_0000, &maps);
    let t1 = cd_table(&env.alloc, &[s1_cd(&s.dev, 1, pt1.root())]);
    let t2 = cd_table(&env.alloc, &[s1_cd(&s.dev, 2, pt2.root())]);
    s.install_ste(&env.alloc, 1, &s1_ste(&s.dev, &t1, 0))
        .unwrap();
    s.install_ste(&env.alloc, 2, &s1_ste(&s.dev, &t2, 0))
        .unwrap();
    for sid in [1, 2] {
        for i in 0..PAGES {
            assert_eq!(read_pa(&env.io, sid, page(i)), Ok(DATA + i * 0x1000));
        }
    }
    for i in 0..PAGES {
        pt1.map_page(page(i), NEW + i * 0x1000, smmu_common::USER_RW);
        pt2.map_page(page(i), NEW + i * 0x1000, smmu_common::USER_RW);
    }
    // Without invalidation the old translations are still used.
    for sid in [1, 2] {
        assert_eq!(read_pa(&env.io, sid, page(3)), Ok(DATA + 0x3000));
    }
    check(&env, &mut s);
}

fn fresh(env: &Env, sid: u32, i: u64) -> bool {
    read_pa(&env.io, sid, page(i)) == Ok(NEW + i * 0x1000)
}

#[test]
fn range_invalidation_is_exact() {
    for mc in [ModelConfig::full(), ModelConfig::minimal()] {
        stale_setup(mc, test_config(), |env, s| {
            // Pages 5..=40 of ASID 1.
            let req = TlbiRequest::new(page(5), 36 * 0x1000, Granule::Size4K, true, true);
            let out = s
                .cmdq
                .tlbi_range(&s.dev, InvContext::Asid(1), &req, DEFAULT_MAX_TLBI_OPS)
                .unwrap();
            let expect = if mc.ril { 1 } else { 36 };
            assert_eq!(out, TlbiOutcome::ByAddress(expect), "RIL {}", mc.ril);
            for i in 0..PAGES {
                assert_eq!(fresh(env, 1, i), (5..=40).contains(&i), "page {i}");
                assert!(!fresh(env, 2, i), "ASID 2 untouched, page {i}");
            }
        });
    }
}

#[test]
fn long_plans_fall_back_to_the_whole_asid() {
    stale_setup(ModelConfig::minimal(), test_config(), |env, s| {
        let req = TlbiRequest::new(page(0), PAGES * 0x1000, Granule::Size4K, true, true);
        let out = s
            .cmdq
            .tlbi_range(&s.dev, InvContext::Asid(2), &req, 16)
            .unwrap();
        assert_eq!(out, TlbiOutcome::WholeContext);
        for i in 0..PAGES {
            assert!(fresh(env, 2, i));
            assert!(!fresh(env, 1, i));
        }
    });
}

#[test]
fn context_invalidation() {
    stale_setup(ModelConfig::full(), test_config(), |env, s| {
        s.cmdq.tlbi_context(&s.dev, InvContext::Asid(1)).unwrap();
        assert!(fresh(env, 1, 7) && !fresh(env, 2, 7));
        // An empty range plans nothing.
        let req = TlbiRequest::new(page(0), 0, Granule::Size4K, true, true);
        let out = s
            .cmdq
            .tlbi_range(&s.dev, InvContext::Asid(2), &req, DEFAULT_MAX_TLBI_OPS)
            .unwrap();
        assert_eq!(out, TlbiOutcome::ByAddress(0));
        assert!(!fresh(env, 2, 7));
        // A range wrapping the address space is refused.
        let req = TlbiRequest::new(u64::MAX - 0xfff, 0x2000, Granule::Size4K, true, true);
        assert!(s
            .cmdq
            .tlbi_range(&s.dev, InvContext::Asid(2), &req, DEFAULT_MAX_TLBI_OPS)
            .is_err());
    });
}

#[test]
fn el2_streams_use_el2_invalidations() {
    let cfg = Config {
        e2h: true,
        ..test_config()
    };
    stale_setup(ModelConfig::full(), cfg, |env, s| {
        assert!(s.dev.e2h());
        let req = TlbiRequest::new(page(0), 4 * 0x1000, Granule::Size4K, true, false);
        let out = s
            .cmdq
            .tlbi_range(&s.dev, InvContext::Asid(1), &req, DEFAULT_MAX_TLBI_OPS)
            .unwrap();
        assert_eq!(out, TlbiOutcome::ByAddress(4));
        assert!((0..4).all(|i| fresh(env, 1, i)));
        assert!(!fresh(env, 1, 4));
        s.cmdq.tlbi_context(&s.dev, InvContext::Asid(2)).unwrap();
        assert!(fresh(env, 2, 30));
    });
}

/// Sets up `sids` with ATS through one CD (ASID 1) over tables mapping
/// `pages` pages, fills each stream's ATC with all of them through ATS
/// translation requests, and runs `check`.
fn ats_streams(pages: u64, sids: &[u32], check: impl FnOnce(&Env, &mut smmu_common::TestSmmu<'_>)) {
    let env = Env::new(ModelConfig::full());
    let mut s = env.smmu(test_config());
    let maps: Vec<(u64, u64)> = (0..pages).map(|i| (page(i), DATA + i * 0x1000)).collect();
    let pt = page_tables(&env.mem, PT_POOL, &maps);
    let t = cd_table(&env.alloc, &[s1_cd(&s.dev, 1, pt.root())]);
    let ste = Ste::cd_table(
        &s.dev.ste_caps(),
        &CdTableSte {
            cd_table: t.dma_addr(),
            s1fmt: S1Fmt::Linear,
            s1cdmax: 0,
            s1dss: S1Dss::Ssid0,
            ats: true,
            stall: false,
        },
    )
    .unwrap();
    for &sid in sids {
        s.install_ste(&env.alloc, sid, &ste).unwrap();
        for i in 0..pages {
            let req = AtsRequest {
                sid,
                ssid: None,
                addr: page(i),
                privileged: false,
                exec: false,
                no_write: false,
            };
            env.io
                .smmu
                .borrow_mut()
                .ats_translate(&*env.mem, &req)
                .unwrap();
        }
    }
    check(&env, &mut s);
}

fn atc_cached(env: &Env, sid: u32, i: u64) -> bool {
    env.io
        .smmu
        .borrow()
        .atc_lookup(sid, None, page(i))
        .is_some()
}

#[test]
fn atc_invalidation_drops_device_translations() {
    ats_streams(16, &[8], |env, s| {
        let cached = |i| atc_cached(env, 8, i);
        assert!((0..16).all(cached));
        // Pages 2..=5: an exact cover (2..4, 4..6).
        let n = s
            .cmdq
            .atc_inv(&s.dev, 8, None, page(2), 4 * 0x1000, AtcPolicy::DEFAULT)
            .unwrap();
        assert_eq!(n, 2);
        for i in 0..16 {
            assert_eq!(cached(i), !(2..6).contains(&i), "page {i}");
        }
        // Everything.
        s.cmdq
            .atc_inv(&s.dev, 8, None, 0, 0, AtcPolicy::DEFAULT)
            .unwrap();
        assert!(!(0..16).any(cached));
    });
}

#[test]
fn atc_invalidation_of_several_streams_waits_once() {
    let sids = [8u32, 9, 10];
    ats_streams(8, &sids, |env, s| {
        let commands = || env.io.smmu.borrow().stats().commands;
        let before = commands();
        // Pages 2..=5 of streams 8 and 10: two spans each, one CMD_SYNC.
        let n = s
            .cmdq
            .atc_inv_streams(
                &s.dev,
                [(8, None), (10, None)],
                page(2),
                4 * 0x1000,
                AtcPolicy::DEFAULT,
            )
            .unwrap();
        assert_eq!(n, 4);
        assert_eq!(commands() - before, n + 1, "one CMD_SYNC for all");
        for sid in sids {
            for i in 0..8 {
                let gone = sid != 9 && (2..6).contains(&i);
                assert_eq!(atc_cached(env, sid, i), !gone, "stream {sid} page {i}");
            }
        }
        // More commands than one batch holds: still one CMD_SYNC.
        let before = commands();
        let many: Vec<(u32, Option<u32>)> = (0..40).map(|sid| (sid, None)).collect();
        let n = s
            .cmdq
            .atc_inv_streams(&s.dev, many, page(1), 15 * 0x1000, AtcPolicy::DEFAULT)
            .unwrap();
        assert!(n > 64, "{n} commands fit one batch: test is moot");
        assert_eq!(commands() - before, n + 1);
        assert!(!(1..8).any(|i| atc_cached(env, 8, i)));
        // No stream: nothing is issued.
        let before = commands();
        let none: [(u32, Option<u32>); 0] = [];
        let n = s
            .cmdq
            .atc_inv_streams(&s.dev, none, 0, 0, AtcPolicy::DEFAULT)
            .unwrap();
        assert_eq!((n, commands() - before), (0, 0));
    });
}

#[test]
fn s1_config_sets_vmid_zero_and_nh_invalidations_match() {
    // The stage 1 STE puts streams in NS-EL1 with VMID 0, which is what
    // the NH invalidations use: checked end to end by the range tests; here
    // just the STE fields.
    let env = Env::new(ModelConfig::minimal());
    let s = env.smmu(test_config());
    let t = cd_table(&env.alloc, &[smmuv3::hw::cd::Cd::invalid()]);
    let ste = s1_ste(&s.dev, &t, 0);
    assert_eq!(ste.s2vmid(), 0);
}
