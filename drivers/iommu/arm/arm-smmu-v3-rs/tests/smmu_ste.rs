// SPDX-License-Identifier: GPL-2.0

//! STE installation end to end: the driver writes the stream table, the
//! software SMMUv3 translates accordingly.

mod smmu_common;

use smmu_common::{cd_table, page_tables, read_pa, s1_cd, s1_ste, test_config, Env, DATA, PT_POOL};
use smmuv3::hw::event::id;
use smmuv3::hw::ste::{Config as SteConfig, IllegalReason, Ste};
use smmuv3::hw::strtab::{StrtabL1Desc, TableError};
use smmuv3::hw::writer::{write_entry, EntrySink, UpdateKind, WriteError};
use smmuv3::model::{ModelConfig, Outcome, TermCause};
use smmuv3::smmu::{CoherentBuf, Config, SmmuError, SteSlot};

const VA: u64 = 0x1234_5000;

fn configs() -> [ModelConfig; 2] {
    [ModelConfig::full(), ModelConfig::minimal()]
}

fn stream_abort(o: Result<u64, Outcome>) -> bool {
    matches!(o, Err(Outcome::Terminated(t)) if t.cause == TermCause::StreamAbort)
}

#[test]
fn abort_bypass_and_s1_translate_as_installed() {
    for mc in configs() {
        let env = Env::new(mc);
        let mut s = env.smmu(test_config());
        let sid = 0x42;
        let pt = page_tables(&env.mem, PT_POOL, &[(VA, DATA)]);
        let cds = cd_table(&env.alloc, &[s1_cd(&s.dev, 7, pt.root())]);
        let s1 = s1_ste(&s.dev, &cds, 0);
        let bypass = Ste::bypass(&s.dev.ste_caps());

        s.install_ste(&env.alloc, sid, &bypass).unwrap();
        assert_eq!(read_pa(&env.io, sid, VA + 0x10), Ok(VA + 0x10));

        let r = s.install_ste(&env.alloc, sid, &s1).unwrap();
        assert_ne!(r.syncs, 0);
        assert_eq!(read_pa(&env.io, sid, VA + 0x10), Ok(DATA + 0x10));
        // Unmapped: a recorded translation fault.
        match read_pa(&env.io, sid, VA + 0x10_0000) {
            Err(Outcome::Terminated(t)) => {
                assert_eq!(t.cause, TermCause::Fault(id::F_TRANSLATION))
            }
            o => panic!("{o:?}"),
        }

        s.install_ste(&env.alloc, sid, &Ste::abort()).unwrap();
        assert!(stream_abort(read_pa(&env.io, sid, VA)));

        s.install_ste(&env.alloc, sid, &s1).unwrap();
        assert_eq!(read_pa(&env.io, sid, VA), Ok(DATA));
        s.install_ste(&env.alloc, sid, &bypass).unwrap();
        assert_eq!(read_pa(&env.io, sid, VA), Ok(VA));
        assert_eq!(s.strtab.read_ste(sid).unwrap(), bypass);
        // Other streams are untouched.
        assert!(stream_abort(read_pa(&env.io, sid + 1, VA)));
    }
}

#[test]
fn reinstalling_the_same_ste_needs_no_sync() {
    let env = Env::new(ModelConfig::minimal());
    let mut s = env.smmu(test_config());
    let bypass = Ste::bypass(&s.dev.ste_caps());
    s.install_ste(&env.alloc, 3, &bypass).unwrap();
    let r = s.install_ste(&env.alloc, 3, &bypass).unwrap();
    assert_eq!(
        (r.kind, r.syncs, r.writes),
        (UpdateKind::NoUsedChange, 0, 0)
    );
}

#[test]
fn switching_cd_tables_is_hitless() {
    let env = Env::new(ModelConfig::full());
    let mut s = env.smmu(test_config());
    let pt_a = page_tables(&env.mem, PT_POOL, &[(VA, DATA)]);
    let pt_b = page_tables(&env.mem, PT_POOL + 0x100_0000, &[(VA, DATA + 0x7000)]);
    let a = cd_table(&env.alloc, &[s1_cd(&s.dev, 1, pt_a.root())]);
    let b = cd_table(&env.alloc, &[s1_cd(&s.dev, 2, pt_b.root())]);
    s.install_ste(&env.alloc, 9, &s1_ste(&s.dev, &a, 0))
        .unwrap();
    assert_eq!(read_pa(&env.io, 9, VA), Ok(DATA));
    let r = s
        .install_ste(&env.alloc, 9, &s1_ste(&s.dev, &b, 0))
        .unwrap();
    assert!(matches!(r.kind, UpdateKind::Hitless { .. }), "{r:?}");
    assert_eq!(read_pa(&env.io, 9, VA), Ok(DATA + 0x7000));
}

#[test]
fn substreams_select_their_cd() {
    let env = Env::new(ModelConfig::full());
    let mut s = env.smmu(test_config());
    let pt0 = page_tables(&env.mem, PT_POOL, &[(VA, DATA)]);
    let pt1 = page_tables(&env.mem, PT_POOL + 0x100_0000, &[(VA, DATA + 0x1000)]);
    let cds = cd_table(
        &env.alloc,
        &[s1_cd(&s.dev, 1, pt0.root()), s1_cd(&s.dev, 2, pt1.root())],
    );
    s.install_ste(&env.alloc, 5, &s1_ste(&s.dev, &cds, 1))
        .unwrap();
    // No SubstreamID: CD 0 (S1DSS = SSID0).
    assert_eq!(read_pa(&env.io, 5, VA), Ok(DATA));
    let out = env
        .io
        .translate(smmuv3::model::Transaction::read(5, VA).with_ssid(1));
    match out {
        Outcome::Translated(t) => assert_eq!(t.pa, DATA + 0x1000),
        o => panic!("{o:?}"),
    }
}

/// A sink that writes the live STE but never invalidates: what a driver
/// forgetting `CMD_CFGI_STE` does.
struct NoSyncSink<'a, B: CoherentBuf>(SteSlot<'a, B>);

impl<B: CoherentBuf> EntrySink for NoSyncSink<'_, B> {
    fn read_qword(&self, i: usize) -> u64 {
        self.0.read_qword(i).unwrap()
    }

    fn write_qword(&mut self, i: usize, v: u64) {
        self.0.write_qword(i, v).unwrap()
    }

    fn sync(&mut self) {}
}

#[test]
fn missing_cfgi_leaves_a_stale_configuration() {
    for mc in configs() {
        let env = Env::new(mc);
        let mut s = env.smmu(test_config());
        let pt = page_tables(&env.mem, PT_POOL, &[(VA, DATA)]);
        let cds = cd_table(&env.alloc, &[s1_cd(&s.dev, 3, pt.root())]);
        let s1 = s1_ste(&s.dev, &cds, 0);
        let bypass = Ste::bypass(&s.dev.ste_caps());
        for sid in [1u32, 2] {
            s.install_ste(&env.alloc, sid, &s1).unwrap();
            assert_eq!(read_pa(&env.io, sid, VA), Ok(DATA));
        }

        // Stream 1 without invalidation: the SMMU keeps using its cached STE.
        write_entry(&mut NoSyncSink(s.strtab.ste_slot(1).unwrap()), &bypass).unwrap();
        assert_eq!(s.strtab.read_ste(1).unwrap(), bypass);
        assert_eq!(read_pa(&env.io, 1, VA), Ok(DATA), "stale STE in use");

        // Stream 2 through the driver: the change is immediate.
        s.install_ste(&env.alloc, 2, &bypass).unwrap();
        assert_eq!(read_pa(&env.io, 2, VA), Ok(VA));

        // The invalidation the sink skipped repairs stream 1.
        s.cmdq
            .issue(
                &s.dev,
                &[smmuv3::hw::cmd::Command::CfgiSte { sid: 1, leaf: true }],
                true,
            )
            .unwrap();
        assert_eq!(read_pa(&env.io, 1, VA), Ok(VA));
    }
}

#[test]
fn level2_tables_are_allocated_on_demand() {
    let env = Env::new(ModelConfig::full());
    let mut s = env.smmu(test_config());
    let geom = s.strtab.geometry();
    assert!(geom.is_two_level());
    let bypass = Ste::bypass(&s.dev.ste_caps());
    let before = env.alloc.count.get();
    assert!(!s.strtab.is_present(0x1234).unwrap());
    assert!(matches!(
        s.strtab.ste_slot(0x1234),
        Err(SmmuError::NoL2Table { sid: 0x1234 })
    ));
    s.install_ste(&env.alloc, 0x1234, &bypass).unwrap();
    assert_eq!(env.alloc.count.get(), before + 1);
    s.install_ste(&env.alloc, 0x12ff, &bypass).unwrap();
    assert_eq!(env.alloc.count.get(), before + 1, "same level-2 table");
    s.install_ste(&env.alloc, 0x1300, &bypass).unwrap();
    assert_eq!(env.alloc.count.get(), before + 2);
    // The level-1 descriptor points at a table of 2^SPLIT STEs.
    let desc = StrtabL1Desc::from_raw(s.strtab.base_buf().read_u64(0x12 * 8).unwrap());
    assert_eq!(desc.num_stes(), 256);
    assert_eq!(desc.l2_ptr(), s.strtab.ste_slot(0x1200).unwrap().dma_addr());
    for sid in [0x1234, 0x12ff, 0x1300] {
        assert_eq!(read_pa(&env.io, sid, VA), Ok(VA), "sid {sid:#x}");
    }
    // Neighbours in a new table get the default entry (abort).
    assert!(stream_abort(read_pa(&env.io, 0x1235, VA)));
    // ... and streams without a table are invalid.
    match read_pa(&env.io, 0x1400, VA) {
        Err(Outcome::Terminated(t)) => assert_eq!(t.cause, TermCause::Fault(id::C_BAD_STE)),
        o => panic!("{o:?}"),
    }
    // ensure_l2 is idempotent.
    let (dev, alloc) = (&s.dev, &env.alloc);
    assert!(!s.strtab.ensure_l2(alloc, dev, &mut s.cmdq, 0x1301).unwrap());
}

#[test]
fn out_of_range_streams_are_rejected() {
    for mc in [
        ModelConfig {
            sidsize: 10,
            ..ModelConfig::full()
        },
        ModelConfig {
            sidsize: 6,
            ..ModelConfig::minimal()
        },
    ] {
        let env = Env::new(mc);
        let mut s = env.smmu(test_config());
        let top = (1u32 << mc.sidsize) - 1;
        let bypass = Ste::bypass(&s.dev.ste_caps());
        s.install_ste(&env.alloc, top, &bypass).unwrap();
        for sid in [top + 1, u32::MAX] {
            let r = s.install_ste(&env.alloc, sid, &bypass);
            assert!(
                matches!(r, Err(SmmuError::Table(TableError::SidOutOfRange { .. }))),
                "{r:?}"
            );
            assert_eq!(r.unwrap_err().errno(), -34);
        }
    }
}

#[test]
fn malformed_target_is_refused_without_writing() {
    let env = Env::new(ModelConfig::minimal());
    let mut s = env.smmu(test_config());
    let before = s.strtab.read_ste(4).unwrap();
    let mut bad = Ste::abort();
    bad.0[5] = 0xdead;
    let r = s.install_ste(&env.alloc, 4, &bad);
    assert!(matches!(
        r,
        Err(SmmuError::Write(WriteError::TargetSetsUnusedBits { .. }))
    ));
    assert_eq!(s.strtab.read_ste(4).unwrap(), before);
}

#[test]
fn illegal_target_is_refused_without_writing() {
    let env = Env::new(ModelConfig::minimal());
    let mut s = env.smmu(test_config());
    let before = s.strtab.read_ste(4).unwrap();
    // Stage 2 on a stage-1-only SMMU, and substreams beyond SSIDSIZE (0).
    let mut s2 = Ste::abort();
    s2.set_config(SteConfig::S2Translate);
    let mut ssids = Ste::abort();
    ssids
        .set_config(SteConfig::S1Translate)
        .set_s1cdmax(3)
        .unwrap();
    for (ste, why) in [
        (s2, IllegalReason::NoStage2),
        (ssids, IllegalReason::CdMaxTooLarge),
    ] {
        let r = s.install_ste(&env.alloc, 4, &ste);
        assert_eq!(r, Err(SmmuError::IllegalSte(why)));
        assert_eq!(s.strtab.read_ste(4).unwrap(), before);
    }
    // An invalid STE (disabling the stream) is not refused.
    s.install_ste(&env.alloc, 4, &Ste::invalid()).unwrap();
    assert_eq!(s.strtab.read_ste(4).unwrap(), Ste::invalid());
}

#[test]
fn sync_failure_during_install_is_reported() {
    let env = Env::new(ModelConfig::minimal());
    let mut s = env.smmu(test_config());
    env.io.knobs.drop_cmdq_prod.set(true);
    let r = s.install_ste(&env.alloc, 4, &Ste::bypass(&s.dev.ste_caps()));
    assert!(matches!(r, Err(SmmuError::SyncTimeout { .. })), "{r:?}");
}

#[test]
fn default_bypass_with_two_levels() {
    let env = Env::new(ModelConfig::full());
    let mut s = env.smmu(Config {
        bypass_unattached: true,
        ..test_config()
    });
    s.install_ste(&env.alloc, 0x300, &Ste::abort()).unwrap();
    assert!(stream_abort(read_pa(&env.io, 0x300, VA)));
    assert_eq!(read_pa(&env.io, 0x301, VA), Ok(VA));
}
