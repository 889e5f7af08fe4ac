// SPDX-License-Identifier: GPL-2.0

//! Hostile tables: random configurations over memory full of random and
//! half-plausible descriptors. The walker must never panic, must always
//! return a translation or a fault, and what it returns must be consistent.

mod walk_common;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use proptest::prelude::*;
use smmuv3::hw::mem::{ExternalAbort, PhysMem};
use smmuv3::hw::walk::{
    desc, describe, walk, Access, AccessKind, DescKind, FaultKind, Granule, WalkConfig, MAX_LEVEL,
};
use smmuv3::testmem::{SparseMem, TableBuilder};
use walk_common::*;

/// Base and number of the 64KB pages hostile table descriptors point to.
const HPOOL: u64 = 0x1000_0000;
const HPOOL_PAGES: u64 = 16;

fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Memory whose every word is a deterministic function of a seed and its
/// address, biased towards descriptors that lead somewhere.
struct HostileMem {
    seed: u64,
    /// One word in `abort_one_in` aborts (0: none).
    abort_one_in: u64,
    overlay: RefCell<HashMap<u64, u64>>,
    writes: Cell<u64>,
    cas: Cell<u64>,
}

impl HostileMem {
    fn new(seed: u64, abort_one_in: u64) -> Self {
        Self {
            seed,
            abort_one_in,
            overlay: RefCell::new(HashMap::new()),
            writes: Cell::new(0),
            cas: Cell::new(0),
        }
    }

    fn generated(&self, pa: u64) -> u64 {
        let h = mix(self.seed ^ pa);
        let r = mix(h);
        let r2 = mix(r);
        let pool_page = HPOOL + (r % HPOOL_PAGES) * 0x1_0000;
        match h % 8 {
            0 | 1 => r,
            2 | 3 => {
                // Table descriptor into the pool, with random upper and
                // lower attribute bits, and now and then junk in the
                // reserved address bits.
                let junk = if r2.is_multiple_of(16) {
                    r2 & desc::TABLE_RES0_HI
                } else {
                    0
                };
                pool_page | desc::TYPE_TABLE | (r2 & 0xf800_0000_0000_0ffc) | junk
            }
            4 | 5 => {
                // Mostly below 4GB, so that small IPS values still fit.
                let oa = if r2.is_multiple_of(8) {
                    r2 & 0x0000_00ff_ffff_f000
                } else {
                    r2 & 0xffff_f000
                };
                let ty = if r & 1 == 0 {
                    desc::TYPE_BLOCK
                } else {
                    desc::TYPE_PAGE
                };
                oa | ty | (r & 0x007c_0000_0000_0ffc)
            }
            6 => h & !desc::VALID,
            _ => pool_page | desc::TYPE_PAGE | desc::AF | desc::AP_USER | (r2 & desc::DBM),
        }
    }

    fn value(&self, pa: u64) -> u64 {
        match self.overlay.borrow().get(&pa) {
            Some(v) => *v,
            None => self.generated(pa),
        }
    }

    fn check(&self, pa: u64) -> Result<(), ExternalAbort> {
        if pa & 7 != 0 {
            return Err(ExternalAbort { pa });
        }
        if self.abort_one_in != 0 && mix(!self.seed ^ pa).is_multiple_of(self.abort_one_in) {
            return Err(ExternalAbort { pa });
        }
        Ok(())
    }
}

impl PhysMem for HostileMem {
    fn read_u64(&self, pa: u64) -> Result<u64, ExternalAbort> {
        self.check(pa)?;
        Ok(self.value(pa))
    }

    fn write_u64(&self, pa: u64, value: u64) -> Result<(), ExternalAbort> {
        self.writes.set(self.writes.get() + 1);
        self.check(pa)?;
        self.overlay.borrow_mut().insert(pa, value);
        Ok(())
    }

    fn compare_exchange_u64(&self, pa: u64, old: u64, new: u64) -> Result<u64, ExternalAbort> {
        self.cas.set(self.cas.get() + 1);
        self.check(pa)?;
        let found = self.value(pa);
        if found == old {
            self.overlay.borrow_mut().insert(pa, new);
        }
        Ok(found)
    }

    fn read_bytes(&self, pa: u64, _buf: &mut [u8]) -> Result<(), ExternalAbort> {
        Err(ExternalAbort { pa })
    }

    fn write_bytes(&self, pa: u64, _buf: &[u8]) -> Result<(), ExternalAbort> {
        Err(ExternalAbort { pa })
    }
}

prop_compose! {
    fn any_config()(
        ttb0 in prop_oneof![
            6 => (0..HPOOL_PAGES).prop_map(|k| HPOOL + k * 0x1_0000),
            1 => any::<u64>(),
        ],
        t0sz in prop_oneof![6 => 16u8..=39, 2 => 12u8..=48, 1 => any::<u8>()],
        tg0 in prop_oneof![8 => 0u8..3, 1 => 0u8..=255],
        ips in 0u8..8,
        oas in 0u8..8,
        flags in any::<[bool; 10]>(),
        epd0 in prop::bool::weighted(0.03),
        mair in any::<u64>(),
    ) -> WalkConfig {
        WalkConfig {
            ttb0,
            t0sz,
            tg0,
            ips,
            epd0,
            tbi0: flags[2],
            affd: flags[3],
            ha: flags[4],
            hd: flags[5],
            wxn: flags[6],
            pan: flags[7],
            mair,
            oas,
            stt: flags[8],
            vax: flags[9],
        }
    }
}

fn any_access() -> impl Strategy<Value = Access> {
    (
        prop_oneof![any::<u64>(), 0u64..(1 << 52), 0u64..(1 << 30)],
        prop_oneof![
            Just(AccessKind::Read),
            Just(AccessKind::Write),
            Just(AccessKind::Exec)
        ],
        any::<bool>(),
    )
        .prop_map(|(va, kind, privileged)| Access {
            va,
            kind,
            privileged,
        })
}

/// Checks everything that must hold of one walk over `mem`.
fn check_walk<M: PhysMem>(mem: &M, cfg: &WalkConfig, acc: &Access) -> Result<(), TestCaseError> {
    let trace = describe(mem, cfg, acc);
    let res = walk(mem, cfg, acc);
    prop_assert_eq!(trace.result, res, "describe and walk disagree");

    let steps = trace.steps();
    prop_assert!(steps.len() <= usize::from(MAX_LEVEL) + 1);
    let geo = match cfg.geometry() {
        Ok(geo) => geo,
        Err(f) => {
            prop_assert_eq!(res, Err(f));
            prop_assert!(steps.is_empty());
            prop_assert!(trace.geometry.is_none());
            return Ok(());
        }
    };
    for (i, st) in steps.iter().enumerate() {
        prop_assert_eq!(usize::from(st.level), usize::from(geo.start_level()) + i);
        prop_assert_eq!(st.desc_pa & 7, 0);
    }
    match res {
        Ok(t) => {
            prop_assert!(t.level >= geo.start_level() && t.level <= MAX_LEVEL);
            prop_assert_eq!(t.size_shift, geo.level_shift(t.level));
            prop_assert!(geo.oa_bits() >= 64 || t.oa >> geo.oa_bits() == 0);
            let mask = t.size() - 1;
            prop_assert_eq!(t.oa & mask, acc.va & mask);
            let p = t.attrs.perms(acc.privileged);
            let granted = match acc.kind {
                AccessKind::Read => p.read,
                AccessKind::Write => p.write,
                AccessKind::Exec => p.exec,
            };
            prop_assert!(granted, "translation without permission: {:?}", t);
            prop_assert!(t.attrs.af || cfg.affd);
            let last = steps.last().copied();
            prop_assert!(last.is_some());
            let last = last.unwrap_or_else(|| unreachable!());
            prop_assert!(matches!(last.kind, DescKind::Block | DescKind::Page));
            prop_assert_eq!(last.desc_pa, t.desc_pa);
            prop_assert_eq!(mem.read_u64(t.desc_pa), Ok(t.desc), "update not in memory");
            // The update is done once: walking again changes nothing.
            let again = walk(mem, cfg, acc);
            prop_assert!(
                matches!(again, Ok(a) if a.oa == t.oa && !a.hw_updated && a.desc == t.desc)
            );
        }
        Err(f) => {
            prop_assert!(f.level <= MAX_LEVEL);
            let last = steps.last();
            let expected_level = match (f.kind, last) {
                // The read of the next table's entry failed: no step for it.
                (FaultKind::ExternalAbort { .. }, None) => geo.start_level(),
                (FaultKind::ExternalAbort { .. }, Some(st)) if st.kind == DescKind::Table => {
                    st.level + 1
                }
                (_, Some(st)) => st.level,
                (_, None) => 0,
            };
            prop_assert_eq!(f.level, expected_level);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2048,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn hostile_tables_never_panic(
        cfg in any_config(),
        mut acc in any_access(),
        va_in_range in prop::bool::weighted(0.9),
        seed in any::<u64>(),
        abort_one_in in prop_oneof![2 => Just(0u64), 1 => 8u64..64],
    ) {
        if va_in_range {
            acc.va &= u64::MAX.checked_shr(u32::from(cfg.t0sz)).unwrap_or(0);
        }
        let mem = HostileMem::new(seed, abort_one_in);
        let before = describe(&mem, &cfg, &acc).result;
        check_walk(&mem, &cfg, &acc)?;
        if let Ok(t) = before {
            prop_assert_eq!(t.hw_updated, mem.cas.get() > 0);
        }
        prop_assert_eq!(mem.writes.get(), 0, "the walker only ever uses compare-exchange");
        if !(cfg.ha) {
            prop_assert_eq!(mem.cas.get(), 0, "no updates without HA");
        }
    }

    #[test]
    fn random_memory_never_panics(
        cfg in any_config(),
        acc in any_access(),
        seed in any::<u64>(),
    ) {
        let mem = SparseMem::with_random_fill(seed);
        check_walk(&mem, &cfg, &acc)?;
        prop_assert_eq!(mem.stats().writes, 0);
    }

    /// Whatever the builder maps, the walker finds.
    #[test]
    fn built_mappings_translate(
        shape in 0..SHAPES.len(),
        va_seed in any::<u64>(),
        pa_seed in any::<u64>(),
        level_pick in any::<u8>(),
        user in any::<bool>(),
    ) {
        let s = &SHAPES[shape];
        let mem = SparseMem::new();
        let mut b = builder(&mem, s);
        let geo = b.geometry();
        let ia = 64 - u32::from(s.t0sz);
        let va = va_seed & ((1u64 << ia) - 1);
        let levels: Vec<u8> = (geo.start_level()..=3)
            .filter(|&l| l == 3 || geo.block_allowed(l))
            .collect();
        let level = levels[usize::from(level_pick) % levels.len()];
        let shift = geo.level_shift(level);
        let pa = pa_seed & ((1u64 << 48) - 1) & !((1u64 << shift) - 1);
        let attrs = TableBuilder::LEAF | if user { desc::AP_USER } else { 0 };
        b.map(va, pa, level, attrs);
        let acc = Access { va, kind: AccessKind::Write, privileged: !user };
        let t = walk(&mem, &b.config(), &acc);
        prop_assert!(matches!(t, Ok(t) if t.oa == pa | (va & ((1u64 << shift) - 1)) && t.level == level));
        check_walk(&mem, &b.config(), &acc)?;
    }
}

#[test]
fn granules_are_all_exercised() {
    // Sanity check on the generators above: every TG0 value decodes or is
    // the reserved one.
    let decoded: Vec<_> = (0..4).map(Granule::from_tg0).collect();
    assert_eq!(decoded.iter().filter(|g| g.is_some()).count(), 3);
}
