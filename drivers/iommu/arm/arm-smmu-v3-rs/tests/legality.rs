// SPDX-License-Identifier: GPL-2.0

//! The shared STE/CD legality rules ([`Ste::check`], [`Cd::check`]) and
//! the CD-to-walk mapping ([`WalkConfig::from_cd`]): the builders' entries
//! pass, every rule fires on its own, arbitrary entries never panic, and
//! the software model raises `C_BAD_STE`/`C_BAD_CD` exactly when the checks
//! fail.

mod model_common;

use model_common::*;
use proptest::prelude::*;
use smmuv3::hw::cd::{Cacheability, Cd, CdHttu, Granule as CdGranule, S1PagingCd, SvaCd};
use smmuv3::hw::event::id;
use smmuv3::hw::regs::{Features, Httu, Oas, Shareability, StallModel, TtEndian, Ttf, Vax};
use smmuv3::hw::ste::*;
use smmuv3::hw::strtab::CdTableGeometry;
use smmuv3::hw::walk::WalkConfig;
use smmuv3::model::{ModelConfig, Outcome, TermCause};
use smmuv3::testmem::SparseMem;

/// A full SMMU, with stage 2 as well (the model has none).
fn full_s1s2() -> Features {
    let mut f = ModelConfig::full().features();
    f.s2p = true;
    f
}

fn feature_sets() -> [Features; 4] {
    let mut forced = full_s1s2();
    forced.stall_model = StallModel::StallForced;
    let mut minimal = ModelConfig::minimal().features();
    minimal.s2p = true;
    [full_s1s2(), forced, minimal, ModelConfig::full().features()]
}

fn vtcr(f: &Features) -> Vtcr {
    Vtcr {
        t0sz: 25,
        sl0: 1,
        irgn0: Cacheability::WriteBackWriteAlloc,
        orgn0: Cacheability::WriteBackWriteAlloc,
        sh0: Shareability::InnerShareable,
        tg: if f.gran4k {
            CdGranule::Size4K
        } else {
            CdGranule::Size64K
        },
        ps: Oas::Bits48,
    }
}

fn paging(stall: bool) -> S1PagingCd {
    S1PagingCd {
        asid: 3,
        ttb0: 0x1000,
        t0sz: 16,
        tg0: CdGranule::Size4K,
        irgn0: Cacheability::WriteBackWriteAlloc,
        orgn0: Cacheability::WriteBackWriteAlloc,
        sh0: Shareability::InnerShareable,
        ips: Oas::Bits48,
        mair: 0xff,
        stall,
        httu: CdHttu::AccessDirty,
    }
}

#[test]
fn builder_entries_are_legal() {
    for f in feature_sets() {
        for e2h in [false, true] {
            let caps = SteCaps::from_features(&f, e2h);
            assert_eq!(Ste::abort().check(&f), Ok(()));
            assert_eq!(Ste::bypass(&caps).check(&f), Ok(()));
            for bits in 0..=f.ssidsize {
                let geo = CdTableGeometry::choose(bits, f.cd2l).unwrap();
                for s1dss in [S1Dss::Terminate, S1Dss::Bypass, S1Dss::Ssid0] {
                    for stall in [false, caps.stalls] {
                        let s1 = CdTableSte {
                            cd_table: 0x10_0000,
                            s1fmt: geo.s1fmt(),
                            s1cdmax: geo.s1cdmax(),
                            s1dss,
                            ats: f.ats,
                            stall,
                        };
                        let ste = Ste::cd_table(&caps, &s1).unwrap();
                        assert_eq!(ste.check(&f), Ok(()), "{f:?} {s1:?}");
                        if !f.s2p {
                            continue;
                        }
                        let s2 = S2DomainSte {
                            vmid: 5,
                            s2ttb: 0x20_0000,
                            vtcr: vtcr(&f),
                            ats: f.ats,
                            stall: false,
                            hw_access: true,
                            hw_dirty: true,
                        };
                        let s2_ste = Ste::s2_domain(&caps, &s2).unwrap();
                        assert_eq!(s2_ste.check(&f), Ok(()));
                        let nested = Ste::nested(&caps, &s1, &s2).unwrap();
                        assert_eq!(nested.check(&f), Ok(()));
                        // Each CD builder's output is legal in that stream.
                        let cd = Cd::s1_paging(&paging(stall)).unwrap();
                        assert_eq!(cd.check(&f, ste.s1stalld()), Ok(()));
                    }
                }
            }
            let sva = SvaCd {
                asid: 9,
                pgd: 0x4000,
                t0sz: 16,
                tg0: CdGranule::Size4K,
                ips: Oas::Bits48,
                mair: 0xff,
                stall: false,
                httu: CdHttu::None,
            };
            assert_eq!(Cd::sva(&sva).unwrap().check(&f, true), Ok(()));
            let quiet = Cd::sva_quiet(&sva, f.stall_forced()).unwrap();
            assert_eq!(quiet.check(&f, true), Ok(()));
        }
    }
}

/// An S1 STE with substreams that passes on [`full_s1s2`].
fn s1_ste(f: &Features) -> Ste {
    let caps = SteCaps::from_features(f, false);
    Ste::cd_table(
        &caps,
        &CdTableSte {
            cd_table: 0x10_0000,
            s1fmt: S1Fmt::TwoLevel64K,
            s1cdmax: 16,
            s1dss: S1Dss::Ssid0,
            ats: true,
            stall: false,
        },
    )
    .unwrap()
}

fn s2_ste(f: &Features) -> Ste {
    let caps = SteCaps::from_features(f, false);
    Ste::s2_domain(
        &caps,
        &S2DomainSte {
            vmid: 1,
            s2ttb: 0x20_0000,
            vtcr: vtcr(f),
            ats: false,
            stall: false,
            hw_access: false,
            hw_dirty: false,
        },
    )
    .unwrap()
}

#[test]
fn every_ste_rule_fires() {
    let f = full_s1s2();
    let base = s1_ste(&f);
    assert_eq!(base.check(&f), Ok(()));
    let with = |g: &dyn Fn(&mut Ste)| {
        let mut s = base;
        g(&mut s);
        s
    };
    let cases: [(Ste, Features, IllegalReason); 12] = [
        (
            with(&|s| {
                s.set_v(false);
            }),
            f,
            IllegalReason::NotValid,
        ),
        (
            with(&|s| {
                s.set_config_raw(2).unwrap();
            }),
            f,
            IllegalReason::ReservedConfig,
        ),
        (base, Features { s1p: false, ..f }, IllegalReason::NoStage1),
        (
            base,
            Features { ssidsize: 15, ..f },
            IllegalReason::CdMaxTooLarge,
        ),
        (
            with(&|s| {
                s.set_s1fmt_raw(3).unwrap();
            }),
            f,
            IllegalReason::ReservedS1Fmt,
        ),
        (base, Features { cd2l: false, ..f }, IllegalReason::NoCd2l),
        (
            with(&|s| {
                s.set_s1dss_raw(3).unwrap();
            }),
            f,
            IllegalReason::ReservedS1Dss,
        ),
        (
            with(&|s| {
                s.set_strw_raw(1).unwrap();
            }),
            f,
            IllegalReason::BadStrw,
        ),
        (
            with(&|s| {
                s.set_strw(Strw::El2);
            }),
            Features { hyp: false, ..f },
            IllegalReason::BadStrw,
        ),
        (
            with(&|s| {
                s.set_s1stalld(true);
            }),
            Features {
                stall_model: StallModel::StallForced,
                ..f
            },
            IllegalReason::StallDisableForced,
        ),
        (
            with(&|s| {
                s.set_eats(Eats::S1Chk);
            }),
            f,
            IllegalReason::BadEats,
        ),
        (
            with(&|s| {
                s.set_eats_raw(3).unwrap();
            }),
            f,
            IllegalReason::BadEats,
        ),
    ];
    for (i, (ste, feat, want)) in cases.iter().enumerate() {
        assert_eq!(ste.check(feat), Err(*want), "case {i}: {ste:?}");
    }
    // S1STALLD alone is legal unless stalling is forced.
    let stalld = with(&|s| {
        s.set_s1stalld(true);
    });
    assert_eq!(stalld.check(&f), Ok(()));
    // Reserved S1Fmt/S1DSS and 2-level tables do not matter without
    // substreams.
    let mut one = with(&|s| {
        s.set_s1cdmax(0).unwrap();
    });
    one.set_s1fmt_raw(3).unwrap();
    one.set_s1dss_raw(3).unwrap();
    assert_eq!(one.check(&Features { cd2l: false, ..f }), Ok(()));
    // EATS is ignored without IDR0.ATS.
    let reserved_eats = with(&|s| {
        s.set_eats_raw(3).unwrap();
    });
    assert_eq!(reserved_eats.check(&Features { ats: false, ..f }), Ok(()));
    // Abort and bypass entries are legal whatever else they hold.
    let mut junk = Ste([u64::MAX; 8]);
    for config in [Config::Abort, Config::Bypass] {
        junk.set_config(config);
        assert_eq!(junk.check(&f), Ok(()));
    }

    // Stage 2.
    let s2 = s2_ste(&f);
    assert_eq!(s2.check(&f), Ok(()));
    assert_eq!(
        s2.check(&Features { s2p: false, ..f }),
        Err(IllegalReason::NoStage2)
    );
    let mut g = s2;
    g.set_s2tg(3).unwrap();
    assert_eq!(g.check(&f), Err(IllegalReason::BadS2Granule));
    assert_eq!(
        s2.check(&Features { gran4k: false, ..f }),
        Err(IllegalReason::BadS2Granule)
    );
    let mut a32 = s2;
    a32.set_s2aa64(false);
    assert_eq!(a32.check(&f), Err(IllegalReason::UnsupportedTableFormat));
    assert_eq!(
        a32.check(&Features {
            ttf: Ttf::Both,
            ..f
        }),
        Ok(())
    );
    let mut be = s2;
    be.set_s2endi(true);
    assert_eq!(be.check(&f), Err(IllegalReason::UnsupportedEndianness));
    assert_eq!(
        be.check(&Features {
            tt_endian: TtEndian::Mixed,
            ..f
        }),
        Ok(())
    );
    let mut ats_stall = s2;
    ats_stall.set_s2s(true).set_eats(Eats::Translate);
    assert_eq!(ats_stall.check(&f), Err(IllegalReason::AtsWithStall));
    let mut s1chk = s2;
    s1chk.set_eats(Eats::S1Chk);
    assert_eq!(s1chk.check(&f), Ok(()));
}

#[test]
fn every_cd_rule_fires() {
    let f = full_s1s2();
    let cd = Cd::s1_paging(&paging(true)).unwrap();
    assert_eq!(cd.check(&f, false), Ok(()));
    assert_eq!(Cd::invalid().check(&f, false), Err(IllegalReason::NotValid));
    let mut a32 = cd;
    a32.set_aa64(false);
    assert_eq!(
        a32.check(&f, false),
        Err(IllegalReason::UnsupportedTableFormat)
    );
    assert_eq!(
        a32.check(
            &Features {
                ttf: Ttf::AArch32,
                ..f
            },
            false
        ),
        Ok(())
    );
    assert_eq!(
        cd.check(
            &Features {
                ttf: Ttf::AArch32,
                ..f
            },
            false
        ),
        Err(IllegalReason::UnsupportedTableFormat)
    );
    let mut be = cd;
    be.set_endi(true);
    assert_eq!(
        be.check(&f, false),
        Err(IllegalReason::UnsupportedEndianness)
    );
    assert_eq!(
        be.check(
            &Features {
                tt_endian: TtEndian::Big,
                ..f
            },
            false
        ),
        Ok(())
    );
    assert_eq!(cd.check(&f, true), Err(IllegalReason::StallDisabledBySte));
    let forced = Features {
        stall_model: StallModel::StallForced,
        ..f
    };
    assert_eq!(cd.check(&forced, true), Ok(()));
    // Display names every reason on one line.
    let s = std::format!("{}", IllegalReason::StallDisabledBySte);
    assert!(!s.is_empty() && !s.contains('\n'));
}

#[test]
fn walk_config_from_cd() {
    let mut f = full_s1s2();
    let mut cd = Cd::s1_paging(&paging(false)).unwrap();
    cd.set_tbi(1).unwrap();
    cd.set_affd(true)
        .set_wxn(true)
        .set_pan(true)
        .set_epd0(false);
    let w = WalkConfig::from_cd(&cd, &f);
    assert_eq!(w.ttb0, 0x1000);
    assert_eq!((w.t0sz, w.tg0, w.ips), (16, 0, 0b101));
    assert!(w.tbi0 && w.affd && w.wxn && w.pan && !w.epd0);
    assert!(w.ha && w.hd);
    assert_eq!(w.mair, 0xff);
    assert_eq!(w.oas, Oas::Bits48.raw());
    assert!(w.stt && !w.vax);
    // Hardware updates only as far as the SMMU implements them.
    f.httu = Httu::Access;
    let w = WalkConfig::from_cd(&cd, &f);
    assert!(w.ha && !w.hd);
    f.httu = Httu::None;
    assert!(!WalkConfig::from_cd(&cd, &f).ha);
    cd.set_ha(false);
    f.httu = Httu::AccessDirty;
    let w = WalkConfig::from_cd(&cd, &f);
    assert!(!w.ha && !w.hd, "HD without HA has no effect");
    f.vax = Vax::Va52;
    f.oas = Oas::Bits52;
    let w = WalkConfig::from_cd(&cd, &f);
    assert!(w.vax);
    assert_eq!(w.oas, Oas::Bits52.raw());
    // TBI[1] (the TTB1 half) is not TBI0.
    cd.set_tbi(2).unwrap();
    assert!(!WalkConfig::from_cd(&cd, &f).tbi0);
}

#[test]
fn cd_and_walk_granules_agree() {
    use smmuv3::hw::walk::Granule;
    for g in [Granule::K4, Granule::K16, Granule::K64] {
        let cd: CdGranule = g.into();
        assert_eq!(cd as u8, g.tg0());
        assert_eq!(cd.shift(), g.shift());
        assert_eq!(Granule::from(cd), g);
    }
}

fn model_config(pick: u8) -> ModelConfig {
    let mut c = if pick & 1 == 0 {
        ModelConfig::full()
    } else {
        ModelConfig::minimal()
    };
    if pick & 2 != 0 {
        c.stall_model = StallModel::StallForced;
    }
    c.hyp = pick & 4 != 0;
    c
}

/// Whether `o` is a termination for configuration error `event`.
fn bad(o: Outcome, event: u8) -> bool {
    matches!(o, Outcome::Terminated(t) if t.cause == TermCause::Fault(event))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Arbitrary entries and ID registers never make the checks panic.
    #[test]
    fn checks_never_panic(
        ste in prop::array::uniform8(any::<u64>()),
        idr in prop::array::uniform4(any::<u32>()),
        s1stalld in any::<bool>(),
    ) {
        let regs = smmuv3::hw::regs::IdRegs {
            idr0: smmuv3::hw::regs::Idr0::from_raw(idr[0]),
            idr1: smmuv3::hw::regs::Idr1::from_raw(idr[1]),
            idr3: smmuv3::hw::regs::Idr3::from_raw(idr[2]),
            idr5: smmuv3::hw::regs::Idr5::from_raw(idr[3]),
            ..Default::default()
        };
        let f = Features::decode(&regs);
        let _ = Ste(ste).check(&f);
        let r = Cd(ste).check(&f, s1stalld);
        if r.is_ok() {
            let w = WalkConfig::from_cd(&Cd(ste), &f);
            let _ = w.geometry();
        }
    }

    /// The model reports `C_BAD_STE` exactly for the STEs `Ste::check`
    /// refuses.
    #[test]
    fn model_bad_ste_iff_check_fails(
        pick in any::<u8>(),
        q0 in any::<u64>(),
        q1 in any::<u64>(),
        q2 in any::<u64>(),
    ) {
        let mem = SparseMem::new();
        let mut r = rig(&mem, model_config(pick));
        let f = r.smmu.features();
        // Mostly valid entries, pointing at an (empty) CD table in range.
        let mut ste = Ste([q0 | 1, q1, q2, 0, 0, 0, 0, 0]);
        ste.set_s1_context_ptr(ALLOC_BASE).unwrap();
        if pick & 8 != 0 {
            ste.set_s1cdmax(q0 % 24).unwrap();
        }
        r.set_ste(7, &ste);
        let o = r.read(7, None, 0x1000);
        prop_assert_eq!(bad(o, id::C_BAD_STE), ste.check(&f).is_err(), "{:?} {:?}", ste, o);
    }

    /// The model reports `C_BAD_CD` exactly for the CDs `Cd::check`
    /// refuses (given the STE's `S1STALLD`).
    #[test]
    fn model_bad_cd_iff_check_fails(
        pick in any::<u8>(),
        q0 in any::<u64>(),
        stall in any::<bool>(),
    ) {
        let mem = SparseMem::new();
        let cfg = model_config(pick);
        let mut r = rig(&mem, cfg);
        let f = r.smmu.features();
        let opts = SteOpts {
            stall: stall && f.stalls(),
            ..SteOpts::default()
        };
        r.attach_cd_table(3, 0, false, opts);
        let s1stalld = r.read_ste(3).s1stalld();
        let pt = tables(&mem, PT_POOL);
        let mut cd = cd_for(1, &pt, false);
        cd.0[0] = q0;
        r.set_cd(3, 0, &cd);
        let o = r.read(3, None, 0x1000);
        prop_assert_eq!(
            bad(o, id::C_BAD_CD),
            cd.check(&f, s1stalld).is_err(),
            "{:?} {:?}",
            cd,
            o
        );
    }
}
