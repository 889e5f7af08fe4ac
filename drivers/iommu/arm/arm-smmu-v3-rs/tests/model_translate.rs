// SPDX-License-Identifier: GPL-2.0

//! Model: stream tables, CD tables, bypass/abort/translate, configuration
//! errors and fault recording.

mod model_common;

use model_common::*;
use smmuv3::hw::event::{id, Event};
use smmuv3::hw::regs::{offsets as off, Gbpa};
use smmuv3::hw::ste::{S1Dss, Ste};
use smmuv3::model::{ModelConfig, Outcome, TermCause, Termination, Transaction};
use smmuv3::testmem::SparseMem;

fn terminated(o: Outcome) -> Termination {
    match o {
        Outcome::Terminated(t) => t,
        other => panic!("expected termination, got {other:?}"),
    }
}

#[test]
fn disabled_smmu_follows_gbpa() {
    let mem = SparseMem::new();
    let mut r = rig(&mem, ModelConfig::full());
    r.smmu.write32(&mem, off::CR0, 0);
    assert_eq!(r.read(7, None, 0x1234), Outcome::Bypass { pa: 0x1234 });
    // GBPA is only updated by a write with Update set.
    r.smmu
        .write32(&mem, off::GBPA, Gbpa::from_raw(0).with_abort(true).raw());
    assert_eq!(r.read(7, None, 0x1234), Outcome::Bypass { pa: 0x1234 });
    let v = Gbpa::from_raw(0).with_abort(true).with_update(true).raw();
    r.smmu.write32(&mem, off::GBPA, v);
    assert!(!Gbpa::from_raw(r.r32(off::GBPA)).update());
    let t = terminated(r.read(7, None, 0x1234));
    assert_eq!(t.cause, TermCause::Disabled);
    assert!(t.abort);
}

#[test]
fn linear_and_two_level_stream_tables() {
    for two_level in [false, true] {
        let mem = SparseMem::new();
        let cfg = ModelConfig {
            two_level_strtab: two_level,
            ..ModelConfig::full()
        };
        let mut r = rig(&mem, cfg);
        assert_eq!(r.geo.is_two_level(), two_level);
        r.bypass(3);
        r.bypass(0x1234);
        r.abort(0x1235);
        assert_eq!(r.read(3, None, 0x5000), Outcome::Bypass { pa: 0x5000 });
        assert_eq!(r.read(0x1234, None, 0x6000), Outcome::Bypass { pa: 0x6000 });
        let t = terminated(r.read(0x1235, None, 0));
        assert_eq!(t.cause, TermCause::StreamAbort);
        assert!(!t.recorded);
        // Never-written STEs are invalid.
        let t = terminated(r.read(0x1236, None, 0));
        assert_eq!(t.cause, TermCause::Fault(id::C_BAD_STE));
        // A StreamID beyond the table (and SIDSIZE).
        let t = terminated(r.read(0x1_0000, None, 0));
        assert_eq!(t.cause, TermCause::Fault(id::C_BAD_STREAMID));
        let ev = r.events();
        assert_eq!(ids(&ev), [id::C_BAD_STE, id::C_BAD_STREAMID]);
        assert_eq!(
            ev[0],
            Event::BadSte {
                sid: 0x1236,
                ssid: None
            }
        );
    }
}

#[test]
fn two_level_missing_l2_is_bad_ste_and_not_cached() {
    let mem = SparseMem::new();
    let mut r = rig(&mem, ModelConfig::full());
    let t = terminated(r.read(0x4321, None, 0));
    assert_eq!(t.cause, TermCause::Fault(id::C_BAD_STE));
    // Installing the level-2 table and the STE (with CFGI_STE leaf) is
    // enough: the invalid L1 descriptor was not cached.
    r.bypass(0x4321);
    assert_eq!(r.read(0x4321, None, 8), Outcome::Bypass { pa: 8 });
}

#[test]
fn ste_fetch_abort_is_reported() {
    let mem = SparseMem::new();
    let mut r = rig(&mem, ModelConfig::minimal());
    let pa = r.ste_addr(5);
    mem.add_fault(pa..pa + 64);
    let t = terminated(r.read(5, None, 0));
    assert_eq!(t.cause, TermCause::Fault(id::F_STE_FETCH));
    match r.events().as_slice() {
        [Event::SteFetch(f)] => assert_eq!(f.fetch_addr, pa),
        other => panic!("{other:?}"),
    }
}

#[test]
fn s1_translate_without_substreams() {
    let mem = SparseMem::new();
    let mut r = rig(&mem, ModelConfig::minimal());
    let mut pt = tables(&mem, PT_POOL);
    pt.map_page(0x40_0000, DATA, RW);
    pt.map_page(0x40_1000, DATA + 0x5000, RO);
    r.attach_cd_table(9, 0, false, SteOpts::default());
    r.set_cd(9, 0, &cd_for(1, &pt, false));
    assert_eq!(pa_of(r.read(9, None, 0x40_0123)), DATA + 0x123);
    assert_eq!(pa_of(r.write(9, None, 0x40_0008)), DATA + 8);
    assert_eq!(pa_of(r.read(9, None, 0x40_1ff8)), DATA + 0x5ff8);
    // Writing a read-only page: a permission fault, recorded (CD.R) and
    // aborted (CD.A).
    let t = terminated(r.write(9, None, 0x40_1000));
    assert!(t.abort && t.recorded);
    // Unmapped.
    let t = terminated(r.read(9, None, 0x50_0000));
    assert_eq!(t.cause, TermCause::Fault(id::F_TRANSLATION));
    let ev = r.events();
    assert_eq!(ids(&ev), [id::F_PERMISSION, id::F_TRANSLATION]);
    let f = ev[0].translation_fault().unwrap();
    assert_eq!((f.sid, f.ssid, f.input_addr), (9, None, 0x40_1000));
    assert!(!f.access.rnw && f.stall_tag.is_none());
    // A SubstreamID on a stream without substreams.
    let t = terminated(r.read(9, Some(1), 0x40_0000));
    assert_eq!(t.cause, TermCause::Fault(id::C_BAD_SUBSTREAMID));
}

#[test]
fn record_and_abort_bits() {
    let mem = SparseMem::new();
    let mut r = rig(&mem, ModelConfig::minimal());
    let pt = tables(&mem, PT_POOL);
    r.attach_cd_table(1, 0, false, SteOpts::default());
    let mut cd = cd_for(1, &pt, false);
    cd.set_r(false).set_a(false);
    r.set_cd(1, 0, &cd);
    let t = terminated(r.read(1, None, 0x1000));
    assert!(!t.abort && !t.recorded, "RAZ/WI, silent: {t:?}");
    assert!(r.events().is_empty());
    // TERM_MODEL forces aborts.
    let mem = SparseMem::new();
    let mut r = rig(
        &mem,
        ModelConfig {
            term_model: true,
            ..ModelConfig::minimal()
        },
    );
    let pt = tables(&mem, PT_POOL);
    r.attach_cd_table(1, 0, false, SteOpts::default());
    r.set_cd(1, 0, &cd_for(1, &pt, false).set_a(false).to_owned());
    assert!(terminated(r.read(1, None, 0x1000)).abort);
}

#[test]
fn linear_and_two_level_cd_tables_with_ssids() {
    for two_level in [false, true] {
        let mem = SparseMem::new();
        let mut r = rig(&mem, ModelConfig::full());
        let cdmax = if two_level { 16 } else { 8 };
        r.attach_cd_table(0x20, cdmax, two_level, SteOpts::default());
        let mut pts = Vec::new();
        let ssids: &[u32] = if two_level {
            &[0, 1, 1023, 1024, 0xfffe]
        } else {
            &[0, 1, 200, 255]
        };
        for (i, &ssid) in ssids.iter().enumerate() {
            let mut pt = tables(&mem, PT_POOL + 0x100_0000 * i as u64);
            pt.map_page(0x10_0000, DATA + 0x1000 * i as u64, RW);
            r.set_cd(0x20, ssid, &cd_for(10 + i as u16, &pt, false));
            pts.push(pt);
        }
        for (i, &ssid) in ssids.iter().enumerate() {
            let want = DATA + 0x1000 * i as u64 + 0x10;
            // SSID 0 is reached without a SubstreamID (S1DSS = SSID0).
            let tag = if ssid == 0 { None } else { Some(ssid) };
            assert_eq!(pa_of(r.read(0x20, tag, 0x10_0010)), want);
        }
        // S1DSS = SSID0: no-SSID traffic uses CD 0, SSID 0 traffic is bad.
        assert_eq!(pa_of(r.read(0x20, None, 0x10_0000)), DATA);
        let t = terminated(r.read(0x20, Some(0), 0x10_0000));
        assert_eq!(t.cause, TermCause::Fault(id::C_BAD_SUBSTREAMID));
        // Out of range and unpopulated SubstreamIDs.
        let beyond = 1u32 << cdmax;
        let t = terminated(r.read(0x20, Some(beyond), 0));
        assert_eq!(t.cause, TermCause::Fault(id::C_BAD_SUBSTREAMID));
        let t = terminated(r.read(0x20, Some(2), 0));
        assert_eq!(t.cause, TermCause::Fault(id::C_BAD_CD));
        if two_level {
            // A leaf table that does not exist: invalid L1CD.
            let t = terminated(r.read(0x20, Some(0x8000), 0));
            assert_eq!(t.cause, TermCause::Fault(id::C_BAD_SUBSTREAMID));
        }
        let ev = r.events();
        assert!(ev.contains(&Event::BadSubstreamId {
            sid: 0x20,
            ssid: beyond
        }));
        assert!(ev.contains(&Event::BadCd {
            sid: 0x20,
            ssid: Some(2)
        }));
    }
}

#[test]
fn s1dss_bypass_and_terminate() {
    let mem = SparseMem::new();
    let mut r = rig(&mem, ModelConfig::full());
    r.attach_cd_table(
        4,
        4,
        false,
        SteOpts {
            s1dss: S1Dss::Bypass,
            ..SteOpts::default()
        },
    );
    assert_eq!(r.read(4, None, 0x77000), Outcome::Bypass { pa: 0x77000 });
    r.attach_cd_table(
        5,
        4,
        false,
        SteOpts {
            s1dss: S1Dss::Terminate,
            ..SteOpts::default()
        },
    );
    let t = terminated(r.read(5, None, 0x77000));
    assert_eq!(t.cause, TermCause::Fault(id::F_STREAM_DISABLED));
    assert_eq!(r.events(), [Event::StreamDisabled { sid: 5 }]);
}

#[test]
fn illegal_stes_are_bad_ste() {
    let mem = SparseMem::new();
    let mut r = rig(&mem, ModelConfig::minimal());
    let mut bad = Vec::new();
    // Stage 2 on a stage-1-only SMMU.
    let mut s = Ste::bypass(&r.caps);
    s.set_config(smmuv3::hw::ste::Config::S2Translate);
    bad.push(s);
    // Reserved Config.
    let mut s = Ste::abort();
    s.set_config_raw(1).unwrap();
    bad.push(s);
    // Substreams beyond SSIDSIZE (0 here).
    let pt = tables(&mem, PT_POOL);
    r.attach_cd_table(1, 0, false, SteOpts::default());
    r.set_cd(1, 0, &cd_for(1, &pt, false));
    let mut s = Ste(*Ste::bypass(&r.caps).qwords());
    s.set_config(smmuv3::hw::ste::Config::S1Translate);
    s.set_s1cdmax(3).unwrap();
    bad.push(s);
    for (i, ste) in bad.iter().enumerate() {
        let sid = 100 + i as u32;
        r.set_ste(sid, ste);
        let t = terminated(r.read(sid, None, 0));
        assert_eq!(t.cause, TermCause::Fault(id::C_BAD_STE), "STE {ste:?}");
    }
}

#[test]
fn bad_stream_id_recorded_only_with_recinvsid() {
    let mem = SparseMem::new();
    let mut r = rig(&mem, ModelConfig::minimal());
    r.smmu.write32(&mem, off::CR0, 0);
    r.smmu.write32(&mem, off::CR2, 0);
    r.smmu.write32(&mem, off::CR0, 0xd);
    let t = terminated(r.smmu.translate(&mem, &Transaction::read(0xffff_ffff, 0)));
    assert_eq!(t.cause, TermCause::Fault(id::C_BAD_STREAMID));
    assert!(!t.recorded);
    assert!(r.events().is_empty());
}

#[test]
fn walk_external_abort_is_recorded() {
    let mem = SparseMem::new();
    let mut r = rig(&mem, ModelConfig::minimal());
    let mut pt = tables(&mem, PT_POOL);
    pt.map_page(0x1000, DATA, RW);
    r.attach_cd_table(2, 0, false, SteOpts::default());
    let mut cd = cd_for(1, &pt, false);
    cd.set_r(false);
    r.set_cd(2, 0, &cd);
    mem.add_fault(pt.root()..pt.root() + 8);
    let t = terminated(r.read(2, None, 0x1000));
    assert!(t.abort && t.recorded);
    match r.events().as_slice() {
        [Event::WalkEabt(w)] => assert_eq!(w.fetch_addr, pt.root()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn privileged_and_exec_permissions() {
    let mem = SparseMem::new();
    let mut r = rig(&mem, ModelConfig::minimal());
    let mut pt = tables(&mem, PT_POOL);
    // Privileged-only, execute-never for unprivileged.
    pt.map_page(0x2000, DATA, TableBuilder::LEAF_NG | desc::UXN);
    r.attach_cd_table(2, 0, false, SteOpts::default());
    r.set_cd(2, 0, &cd_for(1, &pt, false));
    assert!(matches!(
        r.smmu.translate(&mem, &Transaction::read(2, 0x2000)),
        Outcome::Terminated(_)
    ));
    let t = Transaction::read(2, 0x2000).privileged();
    assert_eq!(pa_of(r.smmu.translate(&mem, &t)), DATA);
    let t = Transaction::exec(2, 0x2000).privileged();
    assert_eq!(pa_of(r.smmu.translate(&mem, &t)), DATA);
}

use smmuv3::testmem::TableBuilder;
