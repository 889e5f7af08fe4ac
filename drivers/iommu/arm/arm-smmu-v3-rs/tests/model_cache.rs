// SPDX-License-Identifier: GPL-2.0

//! Model: the configuration cache and the TLB hold on to what they cached
//! until the right invalidation command, so driver bugs that forget one are
//! visible.

mod model_common;

use model_common::*;
use smmuv3::hw::cmd::{Command, Granule as TlbiGranule, TlbiRange, TlbiVa};
use smmuv3::hw::event::id;
use smmuv3::hw::regs::offsets as off;
use smmuv3::hw::ste::Ste;
use smmuv3::model::{BroadcastTlbi, CpuTlbis, ModelConfig, Outcome, TermCause};
use smmuv3::testmem::SparseMem;

/// A rig with stream `SID` translating through `pt` with ASID `ASID`.
const SID: u32 = 6;
const ASID: u16 = 42;

fn setup(mem: &SparseMem, cfg: ModelConfig) -> (Rig<'_>, smmuv3::testmem::TableBuilder<'_>) {
    let mut r = rig(mem, cfg);
    let mut pt = tables(mem, PT_POOL);
    for i in 0..16u64 {
        pt.map_page(0x100_0000 + i * 0x1000, DATA + i * 0x1000, RW);
    }
    r.attach_cd_table(SID, 0, false, SteOpts::default());
    r.set_cd(SID, 0, &cd_for(ASID, &pt, false));
    (r, pt)
}

#[test]
fn stale_translation_until_tlbi_va() {
    let mem = SparseMem::new();
    let (mut r, mut pt) = setup(&mem, ModelConfig::full());
    assert_eq!(pa_of(r.read(SID, None, 0x100_0000)), DATA);
    pt.map_page(0x100_0000, DATA + 0x10_0000, RW);
    // No invalidation: the old translation is still used.
    assert_eq!(pa_of(r.read(SID, None, 0x100_0000)), DATA);
    // The wrong ASID does nothing.
    r.cmd(Command::TlbiNhVa {
        vmid: 0,
        asid: ASID + 1,
        va: TlbiVa::single(0x100_0000, true),
    });
    r.sync();
    assert_eq!(pa_of(r.read(SID, None, 0x100_0000)), DATA);
    // Another page does nothing.
    r.cmd(Command::TlbiNhVa {
        vmid: 0,
        asid: ASID,
        va: TlbiVa::single(0x100_1000, true),
    });
    r.sync();
    assert_eq!(pa_of(r.read(SID, None, 0x100_0000)), DATA);
    r.cmd(Command::TlbiNhVa {
        vmid: 0,
        asid: ASID,
        va: TlbiVa::single(0x100_0000, true),
    });
    r.sync();
    assert_eq!(pa_of(r.read(SID, None, 0x100_0000)), DATA + 0x10_0000);
}

#[test]
fn unmap_without_tlbi_keeps_working_then_faults() {
    let mem = SparseMem::new();
    let (mut r, mut pt) = setup(&mem, ModelConfig::minimal());
    assert_eq!(pa_of(r.write(SID, None, 0x100_2000)), DATA + 0x2000);
    pt.set_desc(0x100_2000, 3, 0);
    assert_eq!(pa_of(r.write(SID, None, 0x100_2000)), DATA + 0x2000);
    let before = r.smmu.stats();
    r.cmd(Command::TlbiNhAsid {
        vmid: 0,
        asid: ASID,
    });
    r.sync();
    let after = r.smmu.stats();
    // The TLBI is counted as one; the CMD_SYNC is a command but no TLBI.
    assert_eq!(after.tlbi_commands - before.tlbi_commands, 1);
    assert_eq!(after.commands - before.commands, 2);
    assert!(matches!(
        r.write(SID, None, 0x100_2000),
        Outcome::Terminated(_)
    ));
    assert_eq!(ids(&r.events()), [id::F_TRANSLATION]);
}

#[test]
fn tlbi_asid_spares_global_entries_but_nh_all_does_not() {
    let mem = SparseMem::new();
    let (mut r, mut pt) = setup(&mem, ModelConfig::full());
    pt.map_page(0x200_0000, DATA, TableBuilder::LEAF | desc::AP_USER);
    assert_eq!(pa_of(r.read(SID, None, 0x200_0000)), DATA);
    pt.map_page(
        0x200_0000,
        DATA + 0x3000,
        TableBuilder::LEAF | desc::AP_USER,
    );
    r.cmd(Command::TlbiNhAsid {
        vmid: 0,
        asid: ASID,
    });
    r.sync();
    assert_eq!(pa_of(r.read(SID, None, 0x200_0000)), DATA, "global entry");
    r.cmd(Command::TlbiNhVaa {
        vmid: 0,
        va: TlbiVa::single(0x200_0000, true),
    });
    r.sync();
    assert_eq!(pa_of(r.read(SID, None, 0x200_0000)), DATA + 0x3000);
    pt.map_page(
        0x200_0000,
        DATA + 0x4000,
        TableBuilder::LEAF | desc::AP_USER,
    );
    r.cmd(Command::TlbiNhAll { vmid: 0 });
    r.sync();
    assert_eq!(pa_of(r.read(SID, None, 0x200_0000)), DATA + 0x4000);
}

#[test]
fn range_tlbi_with_ril() {
    let mem = SparseMem::new();
    let (mut r, mut pt) = setup(&mem, ModelConfig::full());
    for i in 0..16u64 {
        assert_eq!(
            pa_of(r.read(SID, None, 0x100_0000 + i * 0x1000)),
            DATA + i * 0x1000
        );
        pt.map_page(0x100_0000 + i * 0x1000, DATA + 0x100_0000 + i * 0x1000, RW);
    }
    // Pages 4..=9: NUM = 5, SCALE = 0, TTL = 3 (level 3 leaves).
    let range = |tg, ttl| TlbiVa {
        addr: 0x100_4000,
        leaf: true,
        range: Some(TlbiRange {
            tg,
            ttl,
            scale: 0,
            num: 5,
        }),
    };
    // The wrong granule or level invalidates nothing.
    r.cmd(Command::TlbiNhVa {
        vmid: 0,
        asid: ASID,
        va: range(TlbiGranule::Size16K, 3),
    });
    r.cmd(Command::TlbiNhVa {
        vmid: 0,
        asid: ASID,
        va: range(TlbiGranule::Size4K, 2),
    });
    r.sync();
    assert_eq!(pa_of(r.read(SID, None, 0x100_5000)), DATA + 0x5000);
    r.cmd(Command::TlbiNhVa {
        vmid: 0,
        asid: ASID,
        va: range(TlbiGranule::Size4K, 3),
    });
    r.sync();
    for i in 0..16u64 {
        let fresh = (4..=9).contains(&i);
        let want = DATA + i * 0x1000 + if fresh { 0x100_0000 } else { 0 };
        assert_eq!(
            pa_of(r.read(SID, None, 0x100_0000 + i * 0x1000)),
            want,
            "page {i}"
        );
    }
}

#[test]
fn range_fields_ignored_without_ril() {
    let mem = SparseMem::new();
    let (mut r, mut pt) = setup(&mem, ModelConfig::minimal());
    for i in 0..4u64 {
        pa_of(r.read(SID, None, 0x100_0000 + i * 0x1000));
        pt.map_page(0x100_0000 + i * 0x1000, DATA + 0x100_0000, RW);
    }
    r.cmd(Command::TlbiNhVa {
        vmid: 0,
        asid: ASID,
        va: TlbiVa {
            addr: 0x100_0000,
            leaf: true,
            range: Some(TlbiRange {
                tg: TlbiGranule::Size4K,
                ttl: 0,
                scale: 0,
                num: 3,
            }),
        },
    });
    r.sync();
    // Only the page at Address was invalidated.
    assert_eq!(pa_of(r.read(SID, None, 0x100_0000)), DATA + 0x100_0000);
    assert_eq!(pa_of(r.read(SID, None, 0x100_1000)), DATA + 0x1000);
}

#[test]
fn stale_cd_until_cfgi_cd() {
    let mem = SparseMem::new();
    let (mut r, _pt) = setup(&mem, ModelConfig::full());
    let mut pt2 = tables(&mem, PT_POOL + 0x100_0000);
    pt2.map_page(0x100_0000, DATA + 0x50_0000, RW);
    assert_eq!(pa_of(r.read(SID, None, 0x100_0000)), DATA);
    // New CD (new ASID, new tables) without CFGI_CD: still the old one.
    r.write_cd(SID, 0, &cd_for(ASID + 1, &pt2, false));
    assert_eq!(pa_of(r.read(SID, None, 0x100_0000)), DATA);
    r.cmd(Command::CfgiCd {
        sid: SID,
        ssid: 1,
        leaf: true,
    });
    r.sync();
    assert_eq!(pa_of(r.read(SID, None, 0x100_0000)), DATA, "other SSID");
    r.cmd(Command::CfgiCd {
        sid: SID,
        ssid: 0,
        leaf: true,
    });
    r.sync();
    assert_eq!(pa_of(r.read(SID, None, 0x100_0000)), DATA + 0x50_0000);
}

#[test]
fn stale_ste_until_cfgi_ste() {
    let mem = SparseMem::new();
    let (mut r, _pt) = setup(&mem, ModelConfig::full());
    assert_eq!(pa_of(r.read(SID, None, 0x100_0000)), DATA);
    let bypass = Ste::bypass(&r.caps);
    r.write_ste(SID, &bypass);
    assert_eq!(pa_of(r.read(SID, None, 0x100_0000)), DATA);
    r.cmd(Command::CfgiSte {
        sid: SID + 1,
        leaf: true,
    });
    r.sync();
    assert_eq!(pa_of(r.read(SID, None, 0x100_0000)), DATA);
    r.cmd(Command::CfgiSte {
        sid: SID,
        leaf: true,
    });
    r.sync();
    assert_eq!(
        r.read(SID, None, 0x100_0000),
        Outcome::Bypass { pa: 0x100_0000 }
    );
}

#[test]
fn cfgi_ste_range_and_all() {
    let mem = SparseMem::new();
    let mut r = rig(&mem, ModelConfig::full());
    for sid in 0..8 {
        r.bypass(sid);
        assert!(matches!(r.read(sid, None, 0), Outcome::Bypass { .. }));
        r.write_ste(sid, &Ste::abort());
    }
    // Range 1: StreamIDs 4..8 (low 2 bits ignored).
    r.cmd(Command::CfgiSteRange { sid: 5, range: 1 });
    r.sync();
    for sid in 0..8 {
        let aborted = matches!(r.read(sid, None, 0), Outcome::Terminated(_));
        assert_eq!(aborted, sid >= 4, "sid {sid}");
    }
    r.cmd(Command::CfgiAll);
    r.sync();
    assert!(matches!(r.read(0, None, 0), Outcome::Terminated(_)));
}

#[test]
fn invalid_l1cd_is_cached_until_cfgi_cd_non_leaf() {
    let mem = SparseMem::new();
    let mut r = rig(&mem, ModelConfig::full());
    r.attach_cd_table(3, 12, true, SteOpts::default());
    let mut pt = tables(&mem, PT_POOL);
    pt.map_page(0x1000, DATA, RW);
    // Traffic to an SSID whose leaf table does not exist yet caches the
    // invalid L1CD.
    let o = r.read(3, Some(2000), 0x1000);
    assert!(
        matches!(o, Outcome::Terminated(t) if t.cause == TermCause::Fault(id::C_BAD_SUBSTREAMID))
    );
    // Publishing the leaf with only a leaf CFGI is not enough...
    let tab = r.cd_tabs[&3].clone();
    let leaf = r.alloc(tab.geo.l2_table_bytes(), 4096);
    let l1 = tab.geo.base_entry_addr(tab.base, 2000).unwrap();
    mem.poke_u64(l1, smmuv3::hw::strtab::CdL1Desc::new(leaf).unwrap().raw());
    r.cd_tabs.get_mut(&3).unwrap().l2.insert(1, leaf);
    r.write_cd(3, 2000, &cd_for(5, &pt, false));
    r.cmd(Command::CfgiCd {
        sid: 3,
        ssid: 2000,
        leaf: true,
    });
    r.sync();
    assert!(matches!(
        r.read(3, Some(2000), 0x1000),
        Outcome::Terminated(_)
    ));
    // ...the L1CD needs Leaf == 0.
    r.cmd(Command::CfgiCd {
        sid: 3,
        ssid: 2000,
        leaf: false,
    });
    r.sync();
    assert_eq!(pa_of(r.read(3, Some(2000), 0x1000)), DATA);
}

#[test]
fn cfgi_ste_also_drops_the_streams_cds() {
    let mem = SparseMem::new();
    let (mut r, _pt) = setup(&mem, ModelConfig::full());
    assert_eq!(pa_of(r.read(SID, None, 0x100_0000)), DATA);
    let mut pt2 = tables(&mem, PT_POOL + 0x100_0000);
    pt2.map_page(0x100_0000, DATA + 0x7000, RW);
    r.write_cd(SID, 0, &cd_for(ASID + 1, &pt2, false));
    r.cmd(Command::CfgiSte {
        sid: SID,
        leaf: true,
    });
    r.sync();
    assert_eq!(pa_of(r.read(SID, None, 0x100_0000)), DATA + 0x7000);
}

#[test]
fn full_caches_evict_and_refetch() {
    let mem = SparseMem::new();
    let mut r: Rig<'_, 2, 2, 1, 1, 1> = Rig::new(&mem, ModelConfig::full());
    let mut pt = tables(&mem, PT_POOL);
    for i in 0..8u64 {
        pt.map_page(i * 0x1000, DATA + i * 0x1000, RW);
    }
    for sid in 0..4 {
        r.attach_cd_table(sid, 0, false, SteOpts::default());
        r.set_cd(sid, 0, &cd_for(1, &pt, false));
    }
    for round in 0..3 {
        for sid in 0..4u32 {
            for i in 0..8u64 {
                let va = i * 0x1000;
                assert_eq!(pa_of(r.read(sid, None, va)), DATA + va, "round {round}");
            }
        }
    }
    let o = r.smmu.occupancy();
    assert!(o.stes + o.cds + o.l1cds <= 2 && o.tlb <= 2, "{o:?}");
    assert!(r.smmu.stats().cfg_fetches > 8);
}

#[test]
fn broadcast_tlbi_with_btm() {
    let mem = SparseMem::new();
    let mut r = rig(&mem, ModelConfig::full());
    let mut pt = tables(&mem, PT_POOL);
    pt.map_page(0x1000, DATA, RW);
    r.attach_cd_table(1, 0, false, SteOpts::default());
    let mut cd = cd_for(ASID, &pt, false);
    cd.set_aset(false);
    r.set_cd(1, 0, &cd);
    assert_eq!(pa_of(r.read(1, None, 0x1000)), DATA);
    pt.map_page(0x1000, DATA + 0x9000, RW);
    assert!(r.smmu.broadcast_tlbi(BroadcastTlbi::Va {
        el2: false,
        asid: ASID,
        va: 0x1000
    }));
    assert_eq!(pa_of(r.read(1, None, 0x1000)), DATA + 0x9000);
    assert_eq!(r.smmu.stats().broadcast_tlbis, 1);
    // CR2.PTM opts out, and the ignored broadcast is not counted.
    r.smmu.write32(&mem, off::CR0, 0);
    r.smmu.write32(&mem, off::CR2, 0b110);
    r.smmu.write32(&mem, off::CR0, 0xf);
    assert!(!r.smmu.broadcast_tlbi(BroadcastTlbi::All { el2: false }));
    assert_eq!(r.smmu.stats().broadcast_tlbis, 1);
    // ASET = 1 contexts are not affected by broadcasts.
    let mem = SparseMem::new();
    let mut r = rig(&mem, ModelConfig::full());
    let mut pt = tables(&mem, PT_POOL);
    pt.map_page(0x1000, DATA, RW);
    r.attach_cd_table(1, 0, false, SteOpts::default());
    r.set_cd(1, 0, &cd_for(ASID, &pt, false));
    assert_eq!(pa_of(r.read(1, None, 0x1000)), DATA);
    pt.map_page(0x1000, DATA + 0x9000, RW);
    r.smmu.broadcast_tlbi(BroadcastTlbi::Asid {
        el2: false,
        asid: ASID,
    });
    assert_eq!(pa_of(r.read(1, None, 0x1000)), DATA);
}

fn va(asid: u16, va: u64) -> BroadcastTlbi {
    BroadcastTlbi::Va {
        el2: false,
        asid,
        va,
    }
}

#[test]
fn cpu_tlbis_of_a_range() {
    let ops: Vec<_> = CpuTlbis::new(5, 0x1800, 0x3001, 0x1000, 512, false).collect();
    assert_eq!(ops, [va(5, 0x1000), va(5, 0x2000), va(5, 0x3000)]);
    // Fewer than `max_ops` pages go page by page; `max_ops` do not (as
    // arm64's MAX_DVM_OPS).
    assert_eq!(CpuTlbis::new(5, 0, 0x4000, 0x1000, 5, false).count(), 4);
    let whole = [BroadcastTlbi::Asid {
        el2: false,
        asid: 5,
    }];
    let all = |s, e, page, max| CpuTlbis::new(5, s, e, page, max, false).collect::<Vec<_>>();
    assert_eq!(all(0, 0x4000, 0x1000, 4), whole);
    // The whole mm, empty and inverted ranges, and bad page sizes.
    assert_eq!(all(0, u64::MAX, 0x1000, 512), whole);
    assert_eq!(all(0x2000, 0x2000, 0x1000, 512), whole);
    assert_eq!(all(0x3000, 0x2000, 0x1000, 512), whole);
    assert_eq!(all(0, 0x3000, 0x1800, 512), whole);
    assert_eq!(all(0, 0x3000, 0, 512), whole);
    // The last page of the address space ends the walk.
    let top: u64 = !0xfff;
    assert_eq!(all(top, u64::MAX, 0x1000, 512), [va(5, top)]);
    // The EL2&0 regime of a VHE kernel.
    let el2: Vec<_> = CpuTlbis::new(5, 0x1000, 0x2000, 0x1000, 512, true).collect();
    assert_eq!(
        el2,
        [BroadcastTlbi::Va {
            el2: true,
            asid: 5,
            va: 0x1000
        }]
    );
}

#[test]
fn cpu_tlbis_invalidate_exactly_their_range() {
    let mem = SparseMem::new();
    let mut r = rig(&mem, ModelConfig::full());
    let mut pt = tables(&mem, PT_POOL);
    r.attach_cd_table(SID, 0, false, SteOpts::default());
    let mut cd = cd_for(ASID, &pt, false);
    cd.set_aset(false);
    r.set_cd(SID, 0, &cd);
    let page = |i: u64| 0x100_0000 + i * 0x1000;
    for i in 0..4 {
        pt.map_page(page(i), DATA + i * 0x1000, RW);
        assert_eq!(pa_of(r.read(SID, None, page(i))), DATA + i * 0x1000);
        pt.map_page(page(i), DATA + 0x10_0000 + i * 0x1000, RW);
    }
    // Pages 1 and 2, from an unaligned start.
    for op in CpuTlbis::new(ASID, page(1) + 0x10, page(3), 0x1000, 512, false) {
        assert!(r.smmu.broadcast_tlbi(op));
    }
    assert_eq!(r.smmu.stats().broadcast_tlbis, 2);
    let now: Vec<_> = (0..4).map(|i| pa_of(r.read(SID, None, page(i)))).collect();
    assert_eq!(
        now,
        [DATA, DATA + 0x10_1000, DATA + 0x10_2000, DATA + 0x3000],
        "only the range is invalidated"
    );
    // Another ASID's range does nothing; the whole ASID does the rest.
    for op in CpuTlbis::new(ASID + 1, 0, u64::MAX, 0x1000, 512, false) {
        r.smmu.broadcast_tlbi(op);
    }
    assert_eq!(pa_of(r.read(SID, None, page(0))), DATA);
    for op in CpuTlbis::new(ASID, 0, u64::MAX, 0x1000, 512, false) {
        r.smmu.broadcast_tlbi(op);
    }
    assert_eq!(pa_of(r.read(SID, None, page(0))), DATA + 0x10_0000);
    assert_eq!(pa_of(r.read(SID, None, page(3))), DATA + 0x10_3000);
}

#[test]
fn tlb_hit_without_permission_rewalks() {
    let mem = SparseMem::new();
    let (mut r, mut pt) = setup(&mem, ModelConfig::full());
    pt.map_page(0x300_0000, DATA, RO);
    assert_eq!(pa_of(r.read(SID, None, 0x300_0000)), DATA);
    assert!(matches!(
        r.write(SID, None, 0x300_0000),
        Outcome::Terminated(_)
    ));
    r.events();
    // Upgrading the permission is picked up without invalidation.
    pt.map_page(0x300_0000, DATA, RW);
    assert_eq!(pa_of(r.write(SID, None, 0x300_0000)), DATA);
    // Downgrading is not, until a TLBI.
    pt.map_page(0x300_0000, DATA, RO);
    assert_eq!(pa_of(r.write(SID, None, 0x300_0000)), DATA);
}

use smmuv3::testmem::TableBuilder;
