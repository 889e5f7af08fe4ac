// SPDX-License-Identifier: GPL-2.0

//! Per-master CD (PASID) tables end to end: the driver writes CD tables
//! with `smmu::CdTable`, the software SMMUv3 translates substream traffic
//! through them, with its configuration cache holding CDs and level-1 CD
//! descriptors until the matching `CMD_CFGI_*`.

mod smmu_common;

use std::cell::RefCell;
use std::rc::Rc;
use std::vec::Vec;

use smmu_common::{
    page_tables, s1_cd, test_config, Env, HostAlloc, HostBuf, TestSmmu, DATA, PT_POOL, USER_RW,
};
use smmuv3::hw::cd::{Cd, CD_SIZE};
use smmuv3::hw::cmd::Command;
use smmuv3::hw::event::id;
use smmuv3::hw::ste::{IllegalReason, S1Dss, S1Fmt, Ste};
use smmuv3::hw::strtab::{CdL1Desc, CdTableGeometry, TableError};
use smmuv3::hw::writer::{UpdateKind, WriteError};
use smmuv3::model::{ModelConfig, Outcome, TermCause, Transaction};
use smmuv3::smmu::{AllocError, CdLeaf, CdTable, CoherentBuf, DmaAlloc, MemFault, SmmuError};

const VA: u64 = 0x1234_5000;

type Leaves<B> = Vec<Option<CdLeaf<B>>>;
type HostCdTable = CdTable<HostBuf, Leaves<HostBuf>>;

/// An empty leaf container for `geom`.
fn leaves<B>(geom: CdTableGeometry) -> Leaves<B> {
    let n = if geom.l2_entries() == 0 {
        0
    } else {
        geom.l1_entries() as usize
    };
    let mut v = Vec::new();
    v.resize_with(n, || None);
    v
}

/// The CD table of a master with `ssid_bits` SubstreamID bits.
fn table(env: &Env, s: &TestSmmu<'_>, ssid_bits: u8) -> HostCdTable {
    let geom = HostCdTable::geometry_for(&s.dev, ssid_bits).unwrap();
    CdTable::new(&env.alloc, &s.dev, ssid_bits, false, leaves(geom)).unwrap()
}

/// Points the STEs of `sids` at `t`.
fn attach<B: CoherentBuf, S: smmuv3::smmu::CdLeafSlots<B>>(
    env: &Env,
    s: &mut TestSmmu<'_>,
    t: &CdTable<B, S>,
    sids: &[u32],
) {
    let ste = Ste::cd_table(&s.dev.ste_caps(), &t.ste_config(S1Dss::Ssid0, false)).unwrap();
    for &sid in sids {
        s.install_ste(&env.alloc, sid, &ste).unwrap();
    }
}

/// The output address of a read by (`sid`, `ssid`) at `va`, or the
/// outcome.
fn xlate(env: &Env, sid: u32, ssid: u32, va: u64) -> Result<u64, Outcome> {
    match env.io.translate(Transaction::read(sid, va).with_ssid(ssid)) {
        Outcome::Translated(t) => Ok(t.pa),
        o => Err(o),
    }
}

/// Whether `o` is a termination for configuration error `event`.
fn fault(o: Result<u64, Outcome>, event: u8) -> bool {
    matches!(o, Err(Outcome::Terminated(t)) if t.cause == TermCause::Fault(event))
}

/// Page tables number `k` (own pool) mapping `VA` to `DATA + k pages`.
fn pt(env: &Env, k: u64) -> smmuv3::testmem::TableBuilder<'_> {
    page_tables(
        &env.mem,
        PT_POOL + k * 0x10_0000,
        &[(VA, DATA + k * 0x1000)],
    )
}

#[test]
fn linear_table_substreams_use_their_own_page_tables() {
    let env = Env::new(ModelConfig::full());
    let mut s = env.smmu(test_config());
    let mut t = table(&env, &s, 4);
    assert_eq!(
        (t.s1fmt(), t.s1cdmax(), t.num_ssids()),
        (S1Fmt::Linear, 4, 16)
    );
    assert!(!t.is_two_level());
    let sid = 0x21;
    attach(&env, &mut s, &t, &[sid]);
    let ssids = [0u32, 1, 2, 7, 15];
    let tables: Vec<_> = (0..ssids.len() as u64).map(|k| pt(&env, k)).collect();
    for (k, (&ssid, pt)) in ssids.iter().zip(&tables).enumerate() {
        let cd = s1_cd(&s.dev, 10 + k as u16, pt.root());
        let r = t
            .install_cd(&env.alloc, &s.dev, &mut s.cmdq, &[sid], ssid, &cd)
            .unwrap();
        assert!(!r.leaf_allocated && !r.leaf_freed);
        assert_eq!(t.read_cd(ssid).unwrap(), cd);
        assert!(t.is_present(ssid).unwrap());
    }
    for (k, &ssid) in ssids.iter().enumerate().skip(1) {
        assert_eq!(
            xlate(&env, sid, ssid, VA + 8),
            Ok(DATA + k as u64 * 0x1000 + 8)
        );
    }
    // No SubstreamID: CD 0 (S1DSS = SSID0); SSID 0 itself is refused.
    assert_eq!(smmu_common::read_pa(&env.io, sid, VA), Ok(DATA));
    assert!(fault(xlate(&env, sid, 0, VA), id::C_BAD_SUBSTREAMID));
    // An SSID without a CD.
    assert!(fault(xlate(&env, sid, 3, VA), id::C_BAD_CD));
    assert_eq!(t.leaf_count(), 0);
    assert_eq!(t.leaf_valid_cds(1).unwrap(), None);
    // Clearing goes back to C_BAD_CD (the cached CD is invalidated).
    let r = t.clear_cd(&s.dev, &mut s.cmdq, &[sid], 7).unwrap();
    assert!(r.write.is_some_and(|w| w.syncs > 0) && !r.leaf_freed);
    assert!(fault(xlate(&env, sid, 7, VA), id::C_BAD_CD));
    assert_eq!(xlate(&env, sid, 15, VA), Ok(DATA + 4 * 0x1000));
}

#[test]
fn without_cd2l_the_table_is_linear_and_capped() {
    let env = Env::new(ModelConfig {
        cd2l: false,
        ..ModelConfig::full()
    });
    let mut s = env.smmu(test_config());
    let mut t = table(&env, &s, 20);
    assert_eq!((t.s1fmt(), t.s1cdmax()), (S1Fmt::Linear, 10));
    assert_eq!(t.base_buf().size(), 1024 * CD_SIZE);
    attach(&env, &mut s, &t, &[4]);
    let p = pt(&env, 1);
    let cd = s1_cd(&s.dev, 3, p.root());
    t.install_cd(&env.alloc, &s.dev, &mut s.cmdq, &[4], 1023, &cd)
        .unwrap();
    assert_eq!(xlate(&env, 4, 1023, VA), Ok(DATA + 0x1000));
    let r = t.install_cd(&env.alloc, &s.dev, &mut s.cmdq, &[4], 1024, &cd);
    assert!(matches!(
        r,
        Err(SmmuError::Table(TableError::SsidOutOfRange {
            ssid: 1024,
            s1cdmax: 10
        }))
    ));
    // Within SSIDSIZE but beyond S1CDMax.
    assert!(fault(xlate(&env, 4, 1024, VA), id::C_BAD_SUBSTREAMID));
}

#[test]
fn two_level_table_covers_high_substreams_in_several_leaves() {
    let env = Env::new(ModelConfig::full());
    let mut s = env.smmu(test_config());
    let mut t = table(&env, &s, 20);
    assert_eq!((t.s1fmt(), t.s1cdmax()), (S1Fmt::TwoLevel64K, 20));
    assert!(t.is_two_level());
    // 1024 level-1 descriptors of 8 bytes.
    assert_eq!(t.base_buf().size(), 8192);
    let sid = 0x30;
    attach(&env, &mut s, &t, &[sid]);
    // (SSID, new leaf expected)
    let ssids = [
        (0x401u32, true),
        (0x7ff, false),
        (0x12345, true),
        (0xf_ffff, true),
    ];
    let tables: Vec<_> = (0..ssids.len() as u64).map(|k| pt(&env, k)).collect();
    for (k, (&(ssid, new_leaf), p)) in ssids.iter().zip(&tables).enumerate() {
        let before = env.alloc.count.get();
        let cd = s1_cd(&s.dev, 100 + k as u16, p.root());
        let r = t
            .install_cd(&env.alloc, &s.dev, &mut s.cmdq, &[sid], ssid, &cd)
            .unwrap();
        assert_eq!(r.leaf_allocated, new_leaf, "ssid {ssid:#x}");
        assert_eq!(env.alloc.count.get() - before, u32::from(new_leaf));
    }
    assert_eq!(t.leaf_count(), 3);
    assert_eq!(t.leaf_valid_cds(0x400).unwrap(), Some(2));
    assert_eq!(t.leaf_valid_cds(0x12000).unwrap(), Some(1));
    for (k, &(ssid, _)) in ssids.iter().enumerate() {
        assert_eq!(
            xlate(&env, sid, ssid, VA + 0x18),
            Ok(DATA + k as u64 * 0x1000 + 0x18),
            "ssid {ssid:#x}"
        );
    }
    // The level-1 descriptor points at a 64KB-aligned leaf.
    let desc = t.l1_desc(0x12345).unwrap();
    assert!(desc.v());
    assert_eq!(desc.l2_ptr() & 0xffff, 0);
    assert_eq!(desc.l2_ptr(), t.cd_slot(0x12000).unwrap().dma_addr());
    assert_eq!(
        t.cd_slot(0x12345).unwrap().dma_addr(),
        desc.l2_ptr() + 0x345 * CD_SIZE as u64
    );
    // No leaf: C_BAD_SUBSTREAMID, and nothing in memory.
    assert!(fault(xlate(&env, sid, 0x800, VA), id::C_BAD_SUBSTREAMID));
    assert!(!t.is_present(0x800).unwrap());
    assert!(matches!(
        t.cd_slot(0x800),
        Err(SmmuError::NoCdLeaf { ssid: 0x800 })
    ));
    assert_eq!(t.read_cd(0x800).unwrap(), Cd::invalid());
    assert!(!t.l1_desc(0x800).unwrap().v());
    // A leaf without that CD: C_BAD_CD.
    assert!(fault(xlate(&env, sid, 0x402, VA), id::C_BAD_CD));
    // Clearing a CD of a missing leaf does nothing.
    let before = env.io.smmu.borrow().stats().commands;
    let r = t.clear_cd(&s.dev, &mut s.cmdq, &[sid], 0x800).unwrap();
    assert_eq!((r.write, r.leaf_freed), (None, false));
    assert_eq!(env.io.smmu.borrow().stats().commands, before);
}

#[test]
fn four_kilobyte_leaves() {
    let env = Env::new(ModelConfig::full());
    let mut s = env.smmu(test_config());
    let geom = CdTableGeometry::new(S1Fmt::TwoLevel4K, 8).unwrap();
    let mut t: HostCdTable = CdTable::with_geometry(&env.alloc, geom, false, leaves(geom)).unwrap();
    attach(&env, &mut s, &t, &[2]);
    let (a, b) = (pt(&env, 0), pt(&env, 1));
    for (ssid, asid, p) in [(0x41u32, 9, &a), (0x81, 10, &b)] {
        let r = t
            .install_cd(
                &env.alloc,
                &s.dev,
                &mut s.cmdq,
                &[2],
                ssid,
                &s1_cd(&s.dev, asid, p.root()),
            )
            .unwrap();
        assert!(r.leaf_allocated);
    }
    assert_eq!(t.leaf_count(), 2);
    // 64 CDs of 64 bytes per leaf, 4KB aligned.
    let (d1, d2) = (t.l1_desc(0x41).unwrap(), t.l1_desc(0x81).unwrap());
    assert_eq!((d1.l2_ptr() & 0xfff, d2.l2_ptr() & 0xfff), (0, 0));
    assert_ne!(d1.l2_ptr(), d2.l2_ptr());
    assert_eq!(t.cd_slot(0x41).unwrap().dma_addr(), d1.l2_ptr() + 64);
    assert_eq!(xlate(&env, 2, 0x41, VA), Ok(DATA));
    assert_eq!(xlate(&env, 2, 0x81, VA), Ok(DATA + 0x1000));
    assert!(fault(xlate(&env, 2, 0xc1, VA), id::C_BAD_SUBSTREAMID));
}

#[test]
fn leaf_is_freed_after_its_last_cd_and_reallocated_later() {
    let env = Env::new(ModelConfig::full());
    let mut s = env.smmu(test_config());
    let mut t = table(&env, &s, 20);
    let sid = 0x44;
    attach(&env, &mut s, &t, &[sid]);
    let good = pt(&env, 0);
    let evil = pt(&env, 7);
    let cd = s1_cd(&s.dev, 5, good.root());
    for ssid in [0x401, 0x402] {
        t.install_cd(&env.alloc, &s.dev, &mut s.cmdq, &[sid], ssid, &cd)
            .unwrap();
        assert_eq!(xlate(&env, sid, ssid, VA), Ok(DATA));
    }
    let leaf_pa = t.l1_desc(0x400).unwrap().l2_ptr();
    assert_eq!(t.leaf_valid_cds(0x400).unwrap(), Some(2));

    // Not the last CD: the leaf stays.
    let r = t.clear_cd(&s.dev, &mut s.cmdq, &[sid], 0x401).unwrap();
    assert!(!r.leaf_freed);
    assert_eq!(t.leaf_valid_cds(0x400).unwrap(), Some(1));
    assert!(fault(xlate(&env, sid, 0x401, VA), id::C_BAD_CD));
    assert_eq!(xlate(&env, sid, 0x402, VA), Ok(DATA));

    // The last CD: cleared, then the leaf unpublished and freed.
    let r = t.clear_cd(&s.dev, &mut s.cmdq, &[sid], 0x402).unwrap();
    assert!(r.leaf_freed && !r.leaf_allocated);
    assert_eq!(t.leaf_count(), 0);
    assert!(!t.is_present(0x402).unwrap());
    assert_eq!(t.base_buf().read_u64(8).unwrap(), 0);

    // The freed memory is reused by someone else, who happens to write a
    // valid CD where SSID 0x403 was (never used, so never cached) and
    // 0x402 was. The SMMU must not reach it: that needs the cached
    // level-1 descriptor gone (CMD_CFGI_CD, Leaf = 0), see
    // missing_l1cd_invalidation_keeps_a_freed_leaf_reachable.
    let bad = s1_cd(&s.dev, 6, evil.root());
    for ssid in [0x402u64, 0x403] {
        for (q, w) in bad.qwords().iter().enumerate() {
            env.mem
                .poke_u64(leaf_pa + (ssid & 0x3ff) * CD_SIZE as u64 + 8 * q as u64, *w);
        }
    }
    for ssid in [0x402, 0x403] {
        assert!(
            fault(xlate(&env, sid, ssid, VA), id::C_BAD_SUBSTREAMID),
            "ssid {ssid:#x}"
        );
    }
    // 0x401 was translated after it was cleared: the SMMU may keep that
    // invalid CD cached (the model does), which terminates all the same.
    let out = xlate(&env, sid, 0x401, VA);
    assert!(
        fault(out, id::C_BAD_CD) || fault(out, id::C_BAD_SUBSTREAMID),
        "{out:?}"
    );

    // The SMMU now caches the invalid descriptor; installing a CD in the
    // range allocates a new leaf and invalidates it (else: still
    // C_BAD_SUBSTREAMID).
    let before = env.alloc.count.get();
    let other = pt(&env, 2);
    let r = t
        .install_cd(
            &env.alloc,
            &s.dev,
            &mut s.cmdq,
            &[sid],
            0x405,
            &s1_cd(&s.dev, 7, other.root()),
        )
        .unwrap();
    assert!(r.leaf_allocated);
    assert_eq!(env.alloc.count.get(), before + 1);
    assert_ne!(t.l1_desc(0x400).unwrap().l2_ptr(), leaf_pa);
    assert_eq!(xlate(&env, sid, 0x405, VA), Ok(DATA + 0x2000));
    // The new leaf is clean: the old CDs are gone.
    for ssid in [0x402, 0x403] {
        assert!(fault(xlate(&env, sid, ssid, VA), id::C_BAD_CD), "{ssid:#x}");
    }
    // Installing an invalid CD is clearing: the leaf goes again.
    let r = t
        .install_cd(
            &env.alloc,
            &s.dev,
            &mut s.cmdq,
            &[sid],
            0x405,
            &Cd::invalid(),
        )
        .unwrap();
    assert!(r.leaf_freed);
    assert_eq!(t.leaf_count(), 0);
    assert!(fault(xlate(&env, sid, 0x405, VA), id::C_BAD_SUBSTREAMID));
}

/// The counter-proof of the test above: a driver that frees a leaf after
/// clearing its level-1 descriptor without `CMD_CFGI_CD (Leaf = 0)` leaves
/// the SMMU a path into freed memory, and one that publishes a leaf
/// without it keeps seeing the old invalid descriptor.
#[test]
fn missing_l1cd_invalidation_keeps_a_freed_leaf_reachable() {
    let env = Env::new(ModelConfig::full());
    let mut s = env.smmu(test_config());
    let mut t = table(&env, &s, 20);
    let sid = 0x45;
    attach(&env, &mut s, &t, &[sid]);
    let good = pt(&env, 0);
    let evil = pt(&env, 7);
    t.install_cd(
        &env.alloc,
        &s.dev,
        &mut s.cmdq,
        &[sid],
        0x401,
        &s1_cd(&s.dev, 5, good.root()),
    )
    .unwrap();
    assert_eq!(xlate(&env, sid, 0x401, VA), Ok(DATA));
    let leaf_pa = t.l1_desc(0x400).unwrap().l2_ptr();

    // Unpublish by hand, without invalidation, and "reuse" the memory.
    t.base_buf().write_u64(8, 0).unwrap();
    let bad = s1_cd(&s.dev, 6, evil.root());
    for (q, w) in bad.qwords().iter().enumerate() {
        env.mem
            .poke_u64(leaf_pa + 3 * CD_SIZE as u64 + 8 * q as u64, *w);
    }
    assert_eq!(
        xlate(&env, sid, 0x403, VA),
        Ok(DATA + 7 * 0x1000),
        "stale level-1 descriptor in use"
    );
    // A leaf-only invalidation is not enough; Leaf = 0 is.
    for leaf in [true, false] {
        s.cmdq
            .issue(
                &s.dev,
                &[Command::CfgiCd {
                    sid,
                    ssid: 0x403,
                    leaf,
                }],
                true,
            )
            .unwrap();
        let out = xlate(&env, sid, 0x403, VA);
        if leaf {
            assert_eq!(out, Ok(DATA + 7 * 0x1000));
        } else {
            assert!(fault(out, id::C_BAD_SUBSTREAMID), "{out:?}");
        }
    }

    // Publishing by hand without invalidation: the cached invalid
    // descriptor hides the leaf until CMD_CFGI_CD (Leaf = 0).
    let desc = CdL1Desc::new(leaf_pa).unwrap().raw();
    t.base_buf().write_u64(8, desc).unwrap();
    assert!(fault(xlate(&env, sid, 0x403, VA), id::C_BAD_SUBSTREAMID));
    let cfgi_l1 = Command::CfgiCd {
        sid,
        ssid: 0x403,
        leaf: false,
    };
    s.cmdq.issue(&s.dev, &[cfgi_l1], true).unwrap();
    assert_eq!(xlate(&env, sid, 0x403, VA), Ok(DATA + 7 * 0x1000));

    // A leaf the SMMU sees unpublished while the driver still holds it
    // (as after a failed free) is republished, with the invalidation, by
    // the next install in its range.
    t.base_buf().write_u64(8, 0).unwrap();
    s.cmdq.issue(&s.dev, &[cfgi_l1], true).unwrap();
    assert!(fault(xlate(&env, sid, 0x404, VA), id::C_BAD_SUBSTREAMID));
    let r = t
        .install_cd(
            &env.alloc,
            &s.dev,
            &mut s.cmdq,
            &[sid],
            0x404,
            &s1_cd(&s.dev, 8, good.root()),
        )
        .unwrap();
    assert!(!r.leaf_allocated);
    assert_eq!(t.base_buf().read_u64(8).unwrap(), desc);
    assert_eq!(xlate(&env, sid, 0x404, VA), Ok(DATA));
}

#[test]
fn substream_ids_are_bounds_checked() {
    let env = Env::new(ModelConfig::full());
    let mut s = env.smmu(test_config());
    let cd = s1_cd(&s.dev, 1, 0x4000_0000);
    for bits in [0u8, 4, 20] {
        let mut t = table(&env, &s, bits);
        let top = (1u32 << bits) - 1;
        t.install_cd(&env.alloc, &s.dev, &mut s.cmdq, &[1], top, &cd)
            .unwrap();
        for ssid in [top + 1, 1 << 20, u32::MAX] {
            let oor = |r: Result<_, SmmuError>| {
                matches!(r, Err(SmmuError::Table(TableError::SsidOutOfRange { .. })))
            };
            let r = t.install_cd(&env.alloc, &s.dev, &mut s.cmdq, &[1], ssid, &cd);
            assert_eq!(r.as_ref().map_err(SmmuError::errno).err(), Some(-34));
            assert!(oor(r.map(|_| ())), "bits {bits} ssid {ssid:#x}");
            assert!(oor(t.clear_cd(&s.dev, &mut s.cmdq, &[1], ssid).map(|_| ())));
            assert!(oor(t.read_cd(ssid).map(|_| ())));
            assert!(oor(t.is_present(ssid).map(|_| ())));
            assert!(oor(t.cd_slot(ssid).map(|_| ())));
            assert!(oor(t.leaf_valid_cds(ssid).map(|_| ())));
        }
    }
    // An SMMU without substreams: one CD, whatever the master says.
    let env = Env::new(ModelConfig::minimal());
    let mut s = env.smmu(test_config());
    let mut t = table(&env, &s, 20);
    assert_eq!((t.s1cdmax(), t.num_ssids()), (0, 1));
    assert!(t
        .install_cd(&env.alloc, &s.dev, &mut s.cmdq, &[1], 1, &cd)
        .is_err());
}

#[test]
fn substream_beyond_s1cdmax_is_c_bad_substreamid() {
    let env = Env::new(ModelConfig::full());
    let mut s = env.smmu(test_config());
    for bits in [3u8, 12] {
        let mut t = table(&env, &s, bits);
        let sid = 0x50 + u32::from(bits);
        attach(&env, &mut s, &t, &[sid]);
        let p = pt(&env, 0);
        let top = (1u32 << bits) - 1;
        t.install_cd(
            &env.alloc,
            &s.dev,
            &mut s.cmdq,
            &[sid],
            top,
            &s1_cd(&s.dev, 2, p.root()),
        )
        .unwrap();
        assert_eq!(xlate(&env, sid, top, VA), Ok(DATA));
        for ssid in [top + 1, (1 << 20) - 1] {
            match xlate(&env, sid, ssid, VA) {
                Err(Outcome::Terminated(t)) => {
                    assert_eq!(t.cause, TermCause::Fault(id::C_BAD_SUBSTREAMID));
                    assert!(t.recorded);
                }
                o => panic!("{o:?}"),
            }
        }
    }
}

#[test]
fn master_with_two_stream_ids_shares_one_table() {
    let env = Env::new(ModelConfig::full());
    let mut s = env.smmu(test_config());
    let mut t = table(&env, &s, 20);
    // In different level-2 stream tables.
    let sids = [0x10u32, 0x310];
    attach(&env, &mut s, &t, &sids);
    for sid in sids {
        let ste = s.strtab.read_ste(sid).unwrap();
        assert_eq!(ste.s1_context_ptr(), t.context_ptr());
        assert_eq!(ste.s1cdmax(), 20);
    }
    let (a, b, c) = (pt(&env, 0), pt(&env, 1), pt(&env, 2));
    let ssid = 0x2345;
    t.install_cd(
        &env.alloc,
        &s.dev,
        &mut s.cmdq,
        &sids,
        ssid,
        &s1_cd(&s.dev, 1, a.root()),
    )
    .unwrap();
    for sid in sids {
        assert_eq!(xlate(&env, sid, ssid, VA), Ok(DATA));
    }
    // Replacing the (cached) CD reaches both streams.
    let r = t
        .install_cd(
            &env.alloc,
            &s.dev,
            &mut s.cmdq,
            &sids,
            ssid,
            &s1_cd(&s.dev, 2, b.root()),
        )
        .unwrap();
    assert_eq!(r.write.map(|w| w.kind), Some(UpdateKind::Breaking));
    for sid in sids {
        assert_eq!(
            xlate(&env, sid, ssid, VA),
            Ok(DATA + 0x1000),
            "sid {sid:#x}"
        );
    }
    // Naming only one StreamID leaves the other stale: every StreamID
    // needs its CMD_CFGI_CD.
    t.install_cd(
        &env.alloc,
        &s.dev,
        &mut s.cmdq,
        &sids[..1],
        ssid,
        &s1_cd(&s.dev, 3, c.root()),
    )
    .unwrap();
    assert_eq!(xlate(&env, sids[0], ssid, VA), Ok(DATA + 0x2000));
    assert_eq!(
        xlate(&env, sids[1], ssid, VA),
        Ok(DATA + 0x1000),
        "stale CD"
    );
    // Clearing the only CD frees the leaf for both streams.
    let r = t.clear_cd(&s.dev, &mut s.cmdq, &sids, ssid).unwrap();
    assert!(r.leaf_freed);
    for sid in sids {
        assert!(fault(xlate(&env, sid, ssid, VA), id::C_BAD_SUBSTREAMID));
    }
}

/// A coherent buffer that runs a probe after every store, so that a test
/// can look at what the SMMU does at every intermediate state of an
/// update.
struct ProbeBuf<'a> {
    inner: HostBuf,
    probe: Probe<'a>,
}

type Probe<'a> = Rc<RefCell<Option<Box<dyn FnMut() + 'a>>>>;

impl CoherentBuf for ProbeBuf<'_> {
    fn dma_addr(&self) -> u64 {
        self.inner.dma_addr()
    }

    fn size(&self) -> usize {
        self.inner.size()
    }

    fn read_u64(&self, offset: usize) -> Result<u64, MemFault> {
        self.inner.read_u64(offset)
    }

    fn write_u64(&self, offset: usize, value: u64) -> Result<(), MemFault> {
        self.inner.write_u64(offset, value)?;
        if let Some(p) = self.probe.borrow_mut().as_mut() {
            p();
        }
        Ok(())
    }

    fn dma_wmb(&self) {
        self.inner.dma_wmb()
    }
}

struct ProbeAlloc<'a> {
    inner: &'a HostAlloc,
    probe: Probe<'a>,
}

impl<'a> DmaAlloc for ProbeAlloc<'a> {
    type Buf = ProbeBuf<'a>;

    fn alloc_coherent(&self, size: usize) -> Result<ProbeBuf<'a>, AllocError> {
        Ok(ProbeBuf {
            inner: self.inner.alloc_coherent(size)?,
            probe: self.probe.clone(),
        })
    }
}

#[test]
fn asid_change_is_hitless_while_translating() {
    let env = Env::new(ModelConfig::full());
    let mut s = env.smmu(test_config());
    let probe: Probe<'_> = Rc::new(RefCell::new(None));
    let alloc = ProbeAlloc {
        inner: &env.alloc,
        probe: probe.clone(),
    };
    let geom = HostCdTable::geometry_for(&s.dev, 20).unwrap();
    let mut t = CdTable::new(&alloc, &s.dev, 20, false, leaves(geom)).unwrap();
    let sid = 0x60;
    let ssid = 0x9876;
    attach(&env, &mut s, &t, &[sid]);
    let mut p = pt(&env, 0);
    t.install_cd(
        &alloc,
        &s.dev,
        &mut s.cmdq,
        &[sid],
        ssid,
        &s1_cd(&s.dev, 1, p.root()),
    )
    .unwrap();
    assert_eq!(xlate(&env, sid, ssid, VA), Ok(DATA));

    // Translate after every store of the update: never a failure.
    let seen = Rc::new(RefCell::new(Vec::new()));
    let (seen2, envr) = (seen.clone(), &env);
    *probe.borrow_mut() = Some(Box::new(move || {
        seen2.borrow_mut().push(xlate(envr, sid, ssid, VA));
    }));
    let r = t
        .install_cd(
            &alloc,
            &s.dev,
            &mut s.cmdq,
            &[sid],
            ssid,
            &s1_cd(&s.dev, 2, p.root()),
        )
        .unwrap();
    *probe.borrow_mut() = None;
    let w = r.write.unwrap();
    assert_eq!(w.kind, UpdateKind::Hitless { critical: 0 });
    assert_eq!((w.writes, w.syncs), (1, 1));
    assert!(!seen.borrow().is_empty());
    for out in seen.borrow().iter() {
        assert_eq!(*out, Ok(DATA));
    }
    assert_eq!(t.read_cd(ssid).unwrap().asid(), 2);

    // The SMMU now tags with ASID 2: after invalidating ASID 2 only and
    // remapping, the new mapping shows (an ASID 1 entry would be stale).
    s.cmdq
        .issue(&s.dev, &[Command::TlbiNhAsid { vmid: 0, asid: 2 }], true)
        .unwrap();
    p.map_page(VA, DATA + 0x5000, USER_RW);
    assert_eq!(xlate(&env, sid, ssid, VA), Ok(DATA + 0x5000));
}

#[test]
fn illegal_or_malformed_cds_are_refused_before_allocating() {
    let env = Env::new(ModelConfig::full());
    let mut s = env.smmu(test_config());
    let mut t = table(&env, &s, 20);
    let good = s1_cd(&s.dev, 1, 0x4000_0000);
    // TTB1 with TTB1 walks disabled (EPD1): bits the SMMU ignores.
    let mut stray = good;
    stray.0[2] = 0xdead0;
    // An invalid CD with leftovers.
    let mut junk = Cd::invalid();
    junk.0[1] = 0x1000;
    let mut aa32 = good;
    aa32.set_aa64(false);
    let mut stall = good;
    stall.set_s(true);
    let before = env.alloc.count.get();
    let stray_bits =
        |qword, bits| SmmuError::Write(WriteError::TargetSetsUnusedBits { qword, bits });
    for (cd, want) in [
        (stray, stray_bits(2, 0xdead0)),
        (junk, stray_bits(1, 0x1000)),
        (
            aa32,
            SmmuError::IllegalCd(IllegalReason::UnsupportedTableFormat),
        ),
        // The master does not tolerate stalls: S1STALLD is set.
        (
            stall,
            SmmuError::IllegalCd(IllegalReason::StallDisabledBySte),
        ),
    ] {
        let r = t.install_cd(&env.alloc, &s.dev, &mut s.cmdq, &[1], 0x801, &cd);
        assert_eq!(r, Err(want));
        assert_eq!(want.errno(), -22);
    }
    assert_eq!(env.alloc.count.get(), before);
    assert_eq!(t.leaf_count(), 0);
    assert!(!t.l1_desc(0x801).unwrap().v());

    // A stalling master takes stalling CDs.
    let geom = HostCdTable::geometry_for(&s.dev, 4).unwrap();
    let mut t = CdTable::new(&env.alloc, &s.dev, 4, true, leaves(geom)).unwrap();
    assert!(t.ste_config(S1Dss::Ssid0, false).stall);
    t.install_cd(&env.alloc, &s.dev, &mut s.cmdq, &[1], 1, &stall)
        .unwrap();
}

#[test]
fn allocation_failures_are_reported() {
    let env = Env::new(ModelConfig::full());
    let mut s = env.smmu(test_config());
    // A leaf container that is too small.
    let r = HostCdTable::new(&env.alloc, &s.dev, 20, false, Vec::new());
    assert!(matches!(
        r,
        Err(SmmuError::L2SlotsTooSmall {
            have: 0,
            need: 1024
        })
    ));
    // No memory for a leaf: nothing is published.
    let mut t = table(&env, &s, 20);
    let sid = 0x70;
    attach(&env, &mut s, &t, &[sid]);
    env.alloc.budget.set(Some(0));
    let cd = s1_cd(&s.dev, 1, pt(&env, 0).root());
    let r = t.install_cd(&env.alloc, &s.dev, &mut s.cmdq, &[sid], 0x1001, &cd);
    assert!(matches!(r, Err(SmmuError::NoMemory(_))), "{r:?}");
    assert_eq!(t.leaf_count(), 0);
    assert!(!t.l1_desc(0x1001).unwrap().v());
    assert!(fault(xlate(&env, sid, 0x1001, VA), id::C_BAD_SUBSTREAMID));
    env.alloc.budget.set(None);
    t.install_cd(&env.alloc, &s.dev, &mut s.cmdq, &[sid], 0x1001, &cd)
        .unwrap();
    assert_eq!(xlate(&env, sid, 0x1001, VA), Ok(DATA));
}

#[test]
fn sync_failure_keeps_the_leaf() {
    let env = Env::new(ModelConfig::full());
    let mut s = env.smmu(test_config());
    let mut t = table(&env, &s, 20);
    let sid = 0x71;
    attach(&env, &mut s, &t, &[sid]);
    let p = pt(&env, 0);
    t.install_cd(
        &env.alloc,
        &s.dev,
        &mut s.cmdq,
        &[sid],
        0x1001,
        &s1_cd(&s.dev, 1, p.root()),
    )
    .unwrap();
    // The SMMU stops consuming commands: the clear cannot be confirmed,
    // so the leaf must not be freed.
    env.io.knobs.drop_cmdq_prod.set(true);
    let r = t.clear_cd(&s.dev, &mut s.cmdq, &[sid], 0x1001);
    assert!(matches!(r, Err(SmmuError::SyncTimeout { .. })), "{r:?}");
    assert_eq!(t.leaf_count(), 1);
    assert!(t.l1_desc(0x1001).unwrap().v());
}
