// SPDX-License-Identifier: GPL-2.0

//! Property tests of Context Descriptors: field accessors round-trip and are
//! isolated, builders never panic and only set used bits, the used-bits
//! function is self-consistent, and the quiet SVA CD relates to the live one
//! as documented.

use proptest::prelude::*;
use smmuv3::hw::bits::QwField;
use smmuv3::hw::cd::*;
use smmuv3::hw::regs::{Oas, Shareability};
use smmuv3::hw::writer::{check_transition, UpdateKind};

const FIELDS: &[QwField] = &[
    Cd::T0SZ,
    Cd::TG0,
    Cd::IR0,
    Cd::OR0,
    Cd::SH0,
    Cd::EPD0,
    Cd::ENDI,
    Cd::T1SZ,
    Cd::TG1,
    Cd::IR1,
    Cd::OR1,
    Cd::SH1,
    Cd::EPD1,
    Cd::V,
    Cd::IPS,
    Cd::AFFD,
    Cd::WXN,
    Cd::UWXN,
    Cd::TBI,
    Cd::PAN,
    Cd::AA64,
    Cd::HD,
    Cd::HA,
    Cd::S,
    Cd::R,
    Cd::A,
    Cd::ASET,
    Cd::ASID,
    Cd::TTB0,
    Cd::TTB1,
    Cd::MAIR0,
    Cd::MAIR1,
    Cd::MAIR,
    Cd::AMAIR0,
    Cd::AMAIR1,
];

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn granule() -> impl Strategy<Value = Granule> {
    prop_oneof![
        Just(Granule::Size4K),
        Just(Granule::Size16K),
        Just(Granule::Size64K)
    ]
}

fn cache() -> impl Strategy<Value = Cacheability> {
    prop_oneof![
        Just(Cacheability::NonCacheable),
        Just(Cacheability::WriteBackWriteAlloc),
        Just(Cacheability::WriteThrough),
        Just(Cacheability::WriteBackNoWriteAlloc),
    ]
}

fn httu() -> impl Strategy<Value = CdHttu> {
    prop_oneof![
        Just(CdHttu::None),
        Just(CdHttu::Access),
        Just(CdHttu::AccessDirty)
    ]
}

fn addr() -> impl Strategy<Value = u64> {
    prop_oneof![(0u64..1 << 48).prop_map(|a| a & !0xfff), any::<u64>()]
}

fn paging() -> impl Strategy<Value = S1PagingCd> {
    (
        (any::<u16>(), addr(), any::<u8>(), granule()),
        (cache(), cache(), (0u32..8).prop_map(Oas::decode)),
        (any::<u64>(), any::<bool>(), httu()),
    )
        .prop_map(
            |((asid, ttb0, t0sz, tg0), (irgn0, orgn0, ips), (mair, stall, httu))| S1PagingCd {
                asid,
                ttb0,
                t0sz,
                tg0,
                irgn0,
                orgn0,
                sh0: Shareability::InnerShareable,
                ips,
                mair,
                stall,
                httu,
            },
        )
}

fn sva() -> impl Strategy<Value = SvaCd> {
    (
        (any::<u16>(), addr(), 0u8..70, granule()),
        (
            (0u32..8).prop_map(Oas::decode),
            any::<u64>(),
            any::<bool>(),
            httu(),
        ),
    )
        .prop_map(|((asid, pgd, t0sz, tg0), (ips, mair, stall, httu))| SvaCd {
            asid,
            pgd,
            t0sz,
            tg0,
            ips,
            mair,
            stall,
            httu,
        })
}

fn assert_only_used(cd: &Cd) {
    let used = cd.used_bits();
    for (i, (q, u)) in cd.0.iter().zip(used).enumerate() {
        assert_eq!(q & !u, 0, "unused bits set in qword {i}: {cd:?}");
    }
    assert!(cd.v());
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn field_round_trip_and_isolation(
        words in any::<[u64; 8]>(),
        idx in 0..FIELDS.len(),
        value in any::<u64>(),
    ) {
        let f = FIELDS[idx];
        let mut w = words;
        let fits = f.field().fits(value);
        prop_assert_eq!(f.try_set(&mut w, value).is_some(), fits);
        if !fits {
            prop_assert_eq!(w, words);
        }
        f.set(&mut w, value);
        prop_assert_eq!(f.get(&w), value & f.field().max());
        for i in 0..8 {
            let keep = if i == f.qword() { !f.field().mask() } else { u64::MAX };
            prop_assert_eq!(w[i] & keep, words[i] & keep);
        }
    }

    #[test]
    fn used_bits_are_self_determining(a in any::<[u64; 8]>(), noise in any::<[u64; 8]>()) {
        let a = Cd(a);
        let ua = a.used_bits();
        let mut b = [0u64; 8];
        for i in 0..8 {
            b[i] = (a.0[i] & ua[i]) | (noise[i] & !ua[i]);
        }
        prop_assert_eq!(Cd(b).used_bits(), ua);
        let _ = (a.granule0(), a.ips_size(), format!("{a:?}"));
    }

    #[test]
    fn paging_builder_never_panics(cfg in paging()) {
        if let Ok(cd) = Cd::s1_paging(&cfg) {
            assert_only_used(&cd);
            prop_assert_eq!(cd.asid(), u64::from(cfg.asid));
            prop_assert_eq!(cd.ttb0(), cfg.ttb0);
            prop_assert_eq!(cd.mair(), cfg.mair);
            prop_assert_eq!(cd.s(), cfg.stall);
            prop_assert!(cd.epd1() && !cd.epd0() && cd.aa64() && !cd.endi());
        } else {
            prop_assert!(
                cfg.t0sz > 63
                    || cfg.ttb0 & !Cd::TTB0.field().mask() != 0
                    || cfg.ips.bits().is_none()
            );
        }
    }

    #[test]
    fn sva_and_quiet_cds(cfg in sva(), forced in any::<bool>()) {
        let (Ok(live), Ok(quiet)) = (Cd::sva(&cfg), Cd::sva_quiet(&cfg, forced)) else {
            return Ok(());
        };
        assert_only_used(&live);
        assert_only_used(&quiet);
        prop_assert_eq!(quiet.asid(), live.asid());
        prop_assert!(quiet.epd0() && quiet.v());
        prop_assert_eq!(quiet.s(), forced && cfg.stall);
        prop_assert_eq!(quiet.r(), forced);
        // Both directions are hitless with two syncs at most.
        for (a, b) in [(live, quiet), (quiet, live)] {
            let (sink, res) = check_transition(&a, &b);
            prop_assert!(sink.violation.is_none());
            prop_assert!(!sink.saw_invalid);
            prop_assert!(sink.syncs <= 2);
            prop_assert!(res.unwrap().kind != UpdateKind::Breaking);
        }
    }
}
