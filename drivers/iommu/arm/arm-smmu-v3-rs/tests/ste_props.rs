// SPDX-License-Identifier: GPL-2.0

//! Property tests of STEs and stream/CD table geometry: field accessors
//! round-trip and are isolated, builders never panic on any input and only
//! set used bits, the used-bits function is self-consistent, and geometry
//! computations stay in range.

use proptest::prelude::*;
use smmuv3::hw::bits::QwField;
use smmuv3::hw::cd::{Cacheability, Granule};
use smmuv3::hw::regs::{Oas, Shareability};
use smmuv3::hw::ste::*;
use smmuv3::hw::strtab::*;

const FIELDS: &[QwField] = &[
    Ste::V,
    Ste::CONFIG,
    Ste::S1FMT,
    Ste::S1_CONTEXT_PTR,
    Ste::S1CDMAX,
    Ste::S1DSS,
    Ste::S1CIR,
    Ste::S1COR,
    Ste::S1CSH,
    Ste::MEV,
    Ste::S2FWB,
    Ste::S1STALLD,
    Ste::EATS,
    Ste::STRW,
    Ste::MEMATTR,
    Ste::MTCFG,
    Ste::ALLOCCFG,
    Ste::SHCFG,
    Ste::NSCFG,
    Ste::PRIVCFG,
    Ste::INSTCFG,
    Ste::S2VMID,
    Ste::VTCR,
    Ste::S2T0SZ,
    Ste::S2SL0,
    Ste::S2IR0,
    Ste::S2OR0,
    Ste::S2SH0,
    Ste::S2TG,
    Ste::S2PS,
    Ste::S2AA64,
    Ste::S2ENDI,
    Ste::S2AFFD,
    Ste::S2PTW,
    Ste::S2HD,
    Ste::S2HA,
    Ste::S2S,
    Ste::S2R,
    Ste::S2TTB,
];

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn oas() -> impl Strategy<Value = Oas> {
    (0u32..8).prop_map(Oas::decode)
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

fn sh() -> impl Strategy<Value = Shareability> {
    prop_oneof![
        Just(Shareability::NonShareable),
        Just(Shareability::OuterShareable),
        Just(Shareability::InnerShareable),
    ]
}

fn caps() -> impl Strategy<Value = SteCaps> {
    any::<(bool, bool, bool, bool)>().prop_map(|(a, s, f, e)| SteCaps {
        attr_types_ovr: a,
        stalls: s || f,
        stall_forced: f,
        e2h: e,
    })
}

fn addr() -> impl Strategy<Value = u64> {
    // Mostly plausible addresses, sometimes anything.
    prop_oneof![(0u64..1 << 40).prop_map(|a| a & !0x3f), any::<u64>(),]
}

fn cd_table_cfg() -> impl Strategy<Value = CdTableSte> {
    (
        addr(),
        prop_oneof![
            Just(S1Fmt::Linear),
            Just(S1Fmt::TwoLevel4K),
            Just(S1Fmt::TwoLevel64K)
        ],
        0u8..40,
        prop_oneof![
            Just(S1Dss::Terminate),
            Just(S1Dss::Bypass),
            Just(S1Dss::Ssid0)
        ],
        any::<(bool, bool)>(),
    )
        .prop_map(
            |(cd_table, s1fmt, s1cdmax, s1dss, (ats, stall))| CdTableSte {
                cd_table,
                s1fmt,
                s1cdmax,
                s1dss,
                ats,
                stall,
            },
        )
}

fn s2_cfg() -> impl Strategy<Value = S2DomainSte> {
    (
        any::<u16>(),
        addr(),
        (
            any::<u8>(),
            any::<u8>(),
            cache(),
            cache(),
            sh(),
            granule(),
            oas(),
        ),
        any::<(bool, bool, bool, bool)>(),
    )
        .prop_map(
            |(vmid, s2ttb, (t0sz, sl0, irgn0, orgn0, sh0, tg, ps), (ats, stall, ha, hd))| {
                S2DomainSte {
                    vmid,
                    s2ttb,
                    vtcr: Vtcr {
                        t0sz,
                        sl0,
                        irgn0,
                        orgn0,
                        sh0,
                        tg,
                        ps,
                    },
                    ats,
                    stall,
                    hw_access: ha,
                    hw_dirty: hd,
                }
            },
        )
}

fn assert_only_used(ste: &Ste) {
    let used = ste.used_bits();
    for (i, (q, u)) in ste.0.iter().zip(used).enumerate() {
        assert_eq!(q & !u, 0, "unused bits set in qword {i}: {ste:?}");
    }
    assert!(ste.v());
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
        if fits {
            prop_assert_eq!(f.get(&w), value);
        } else {
            prop_assert_eq!(w, words, "failed set must not modify the entry");
        }
        f.set(&mut w, value);
        prop_assert_eq!(f.get(&w), value & f.field().max());
        for i in 0..8 {
            let keep = if i == f.qword() { !f.field().mask() } else { u64::MAX };
            prop_assert_eq!(w[i] & keep, words[i] & keep);
        }
    }

    #[test]
    fn typed_getters_never_panic(words in any::<[u64; 8]>()) {
        let ste = Ste(words);
        let _ = (ste.config(), ste.s1fmt(), ste.s1dss(), ste.eats(), ste.strw());
        let _ = format!("{ste:?}");
        let used = ste.used_bits();
        prop_assert_eq!(used[0] & 1, 1);
    }

    #[test]
    fn used_bits_are_self_determining(a in any::<[u64; 8]>(), noise in any::<[u64; 8]>()) {
        // Valid entries with a legal Config most of the time.
        let mut a = Ste(a);
        a.set_v(true);
        let ua = a.used_bits();
        let mut b = [0u64; 8];
        for i in 0..8 {
            b[i] = (a.0[i] & ua[i]) | (noise[i] & !ua[i]);
        }
        prop_assert_eq!(Ste(b).used_bits(), ua);
    }

    #[test]
    fn cd_table_builder_never_panics(c in caps(), cfg in cd_table_cfg()) {
        match Ste::cd_table(&c, &cfg) {
            Ok(ste) => {
                assert_only_used(&ste);
                prop_assert_eq!(ste.config(), Some(Config::S1Translate));
                prop_assert_eq!(ste.s1_context_ptr(), cfg.cd_table);
                prop_assert_eq!(ste.s1cdmax(), u64::from(cfg.s1cdmax));
                prop_assert_eq!(ste.s1dss(), Some(cfg.s1dss));
                prop_assert_eq!(ste.eats() == Some(Eats::Translate), cfg.ats);
                prop_assert!(!(ste.s1stalld() && c.stall_forced));
            }
            Err(SteError::Field(_)) => prop_assert!(cfg.cd_table & !Ste::S1_CONTEXT_PTR.field().mask() != 0),
            Err(SteError::CdMaxTooLarge(m)) => prop_assert!(m > 20),
            Err(SteError::StallUnsupported) => prop_assert!(cfg.stall && !c.stalls),
            Err(e) => prop_assert!(false, "unexpected {:?}", e),
        }
    }

    #[test]
    fn s2_builder_never_panics(c in caps(), cfg in s2_cfg()) {
        if let Ok(ste) = Ste::s2_domain(&c, &cfg) {
            assert_only_used(&ste);
            prop_assert_eq!(ste.config(), Some(Config::S2Translate));
            prop_assert_eq!(ste.s2vmid(), u64::from(cfg.vmid));
            prop_assert_eq!(ste.s2ttb(), cfg.s2ttb);
            prop_assert_eq!(ste.s2t0sz(), u64::from(cfg.vtcr.t0sz));
            prop_assert!(!(ste.s2s() && ste.eats() != Some(Eats::Abort)), "S2S with EATS");
        }
    }

    #[test]
    fn nested_builder_never_panics(c in caps(), s1 in cd_table_cfg(), s2 in s2_cfg()) {
        if let Ok(ste) = Ste::nested(&c, &s1, &s2) {
            assert_only_used(&ste);
            prop_assert_eq!(ste.config(), Some(Config::Nested));
            prop_assert!(!(ste.s2s() && ste.eats() != Some(Eats::Abort)), "S2S with EATS");
        }
    }

    #[test]
    fn stream_table_geometry(sidsize in 0u8..40, two in any::<bool>(), sid in any::<u32>()) {
        match StreamTableGeometry::choose(sidsize, two) {
            Err(_) => prop_assert!(sidsize > 32),
            Ok(g) => {
                prop_assert!(g.log2size() <= sidsize);
                prop_assert_eq!(StreamTableGeometry::from_base_cfg(g.base_cfg()), Ok(g));
                let covered = u64::from(sid) < g.num_sids();
                match g.locate(sid) {
                    Ok(SteLocation::Linear(i)) => prop_assert_eq!(i, sid),
                    Ok(SteLocation::TwoLevel { l1, l2 }) => {
                        prop_assert_eq!((l1 << g.split()) | l2, sid);
                        prop_assert!(u64::from(l1) < g.l1_entries());
                        prop_assert!(l2 < g.l2_entries());
                    }
                    Err(_) => prop_assert!(!covered),
                }
                prop_assert_eq!(g.locate(sid).is_ok(), covered);
                let _ = g.base_entry_addr(u64::MAX - 64, sid);
                if let Ok(d) = StrtabL1Desc::for_split(0x10_0000) {
                    let _ = g.l2_ste_addr(d, sid);
                }
            }
        }
    }

    #[test]
    fn cd_table_geometry(bits in 0u8..30, cd2l in any::<bool>(), ssid in 0u32..(1 << 21)) {
        match CdTableGeometry::choose(bits, cd2l) {
            Err(_) => prop_assert!(bits > 20),
            Ok(g) => {
                prop_assert!(g.s1cdmax() <= bits);
                let covered = ssid < g.num_cds();
                match g.locate(ssid) {
                    Ok(CdLocation::Linear(i)) => prop_assert_eq!(i, ssid),
                    Ok(CdLocation::TwoLevel { l1, l2 }) => {
                        prop_assert_eq!(l1 * g.l2_entries() + l2, ssid);
                        prop_assert!(l1 < g.l1_entries());
                    }
                    Err(_) => prop_assert!(!covered),
                }
                prop_assert_eq!(g.locate(ssid).is_ok(), covered);
                let _ = g.base_entry_addr(u64::MAX, ssid);
            }
        }
    }

    #[test]
    fn l1_descriptors_never_panic(raw in any::<u64>(), ptr in any::<u64>(), span in any::<u8>()) {
        let d = StrtabL1Desc::from_raw(raw);
        let _ = (d.is_valid(), d.num_stes(), d.l2_ptr());
        if let Ok(d) = StrtabL1Desc::new(ptr, span) {
            prop_assert_eq!(d.l2_ptr(), ptr);
            prop_assert_eq!(d.num_stes(), 1u32 << (span - 1));
        }
        if let Ok(d) = CdL1Desc::new(ptr) {
            prop_assert!(d.v());
            prop_assert_eq!(d.l2_ptr(), ptr);
        }
    }
}
