// SPDX-License-Identifier: GPL-2.0

//! Model: ATS translation requests, the ATC, translated transactions and
//! CMD_ATC_INV.

mod model_common;

use model_common::*;
use smmuv3::hw::cd::CdHttu;
use smmuv3::hw::cmd::{Command, TlbiVa, ATC_INV_SIZE_ALL};
use smmuv3::hw::event::id;
use smmuv3::model::{AtsError, AtsRequest, ModelConfig, Outcome, TermCause, Transaction};
use smmuv3::testmem::{SparseMem, TableBuilder};

const SID: u32 = 0x80;

fn ats_rig(mem: &SparseMem) -> (Rig<'_>, TableBuilder<'_>) {
    let mut r = rig(mem, ModelConfig::full());
    let mut pt = tables(mem, PT_POOL);
    for i in 0..8u64 {
        pt.map_page(0x1000 * i, DATA + 0x1000 * i, RW);
    }
    r.attach_cd_table(
        SID,
        4,
        false,
        SteOpts {
            ats: true,
            ..SteOpts::default()
        },
    );
    for pasid in 1..4 {
        r.set_cd(SID, pasid, &cd_for(20 + pasid as u16, &pt, false));
    }
    (r, pt)
}

fn req(ssid: Option<u32>, addr: u64) -> AtsRequest {
    AtsRequest {
        sid: SID,
        ssid,
        addr,
        privileged: false,
        exec: false,
        no_write: false,
    }
}

#[test]
fn ats_fills_atc_and_translated_access_passes() {
    let mem = SparseMem::new();
    let (mut r, _pt) = ats_rig(&mem);
    let e = r.smmu.ats_translate(&mem, &req(Some(1), 0x2345)).unwrap();
    assert!(e.read && e.write && !e.global);
    assert_eq!((e.va, e.pa, e.size_shift), (0x2000, DATA + 0x2000, 12));
    assert_eq!(r.smmu.atc_lookup(SID, Some(1), 0x2fff), Some(e));
    assert_eq!(r.smmu.atc_lookup(SID, Some(2), 0x2fff), None);
    assert_eq!(e.translate(0x2345), DATA + 0x2345);
    let t = Transaction::write(SID, e.translate(0x2345));
    assert_eq!(
        r.smmu.translated_access(&mem, &t),
        Outcome::AtsTranslated { pa: DATA + 0x2345 }
    );
    // Unmapped: a completion granting nothing, not cached, no event.
    let none = r
        .smmu
        .ats_translate(&mem, &req(Some(1), 0x50_0000))
        .unwrap();
    assert!(!none.read && !none.write);
    assert_eq!(r.smmu.atc_lookup(SID, Some(1), 0x50_0000), None);
    assert!(r.events().is_empty());
}

#[test]
fn stale_atc_until_atc_inv() {
    let mem = SparseMem::new();
    let (mut r, mut pt) = ats_rig(&mem);
    let before = r.smmu.stats();
    r.smmu.ats_translate(&mem, &req(Some(1), 0x3000)).unwrap();
    r.smmu.ats_translate(&mem, &req(Some(2), 0x3000)).unwrap();
    r.smmu.ats_translate(&mem, &req(None, 0x3000)).unwrap_err();
    // Every request is counted, refused ones too.
    assert_eq!(r.smmu.stats().ats_requests - before.ats_requests, 3);
    pt.map_page(0x3000, DATA + 0x80_0000, RW);
    for asid in [21, 22] {
        r.cmd(Command::TlbiNhVa {
            vmid: 0,
            asid,
            va: TlbiVa::single(0x3000, true),
        });
    }
    r.sync();
    // The TLB is clean but the device's ATC is not.
    assert_eq!(
        r.smmu.atc_lookup(SID, Some(1), 0x3000).unwrap().pa,
        DATA + 0x3000
    );
    // ATC_INV for another PASID, another page, another stream: no effect.
    let inv_before = r.smmu.stats().atc_inv_commands;
    r.cmd(Command::AtcInv {
        sid: SID,
        ssid: Some(3),
        global: false,
        size: 0,
        addr: 0x3000,
    });
    r.cmd(Command::AtcInv {
        sid: SID,
        ssid: Some(1),
        global: false,
        size: 0,
        addr: 0x4000,
    });
    r.cmd(Command::AtcInv {
        sid: SID + 1,
        ssid: None,
        global: false,
        size: ATC_INV_SIZE_ALL,
        addr: 0,
    });
    r.sync();
    assert!(r.smmu.atc_lookup(SID, Some(1), 0x3000).is_some());
    // PASID 1, a 4-page span containing the page.
    r.cmd(Command::AtcInv {
        sid: SID,
        ssid: Some(1),
        global: false,
        size: 2,
        addr: 0,
    });
    r.sync();
    assert!(r.smmu.atc_lookup(SID, Some(1), 0x3000).is_none());
    assert!(r.smmu.atc_lookup(SID, Some(2), 0x3000).is_some());
    // Without SSV: every PASID.
    r.cmd(Command::AtcInv {
        sid: SID,
        ssid: None,
        global: false,
        size: ATC_INV_SIZE_ALL,
        addr: 0,
    });
    r.sync();
    assert_eq!(r.smmu.occupancy().atc, 0);
    // Five ATC_INVs counted, whatever they matched; the CMD_SYNCs are not.
    assert_eq!(r.smmu.stats().atc_inv_commands - inv_before, 5);
    let e = r.smmu.ats_translate(&mem, &req(Some(1), 0x3000)).unwrap();
    assert_eq!(e.pa, DATA + 0x80_0000);
}

#[test]
fn global_atc_entries() {
    let mem = SparseMem::new();
    let (mut r, mut pt) = ats_rig(&mem);
    pt.map_page(0x9000, DATA, TableBuilder::LEAF | desc::AP_USER);
    let e = r.smmu.ats_translate(&mem, &req(Some(1), 0x9000)).unwrap();
    assert!(e.global);
    // A global entry serves every PASID.
    assert!(r.smmu.atc_lookup(SID, Some(3), 0x9000).is_some());
    r.cmd(Command::AtcInv {
        sid: SID,
        ssid: Some(2),
        global: false,
        size: 0,
        addr: 0x9000,
    });
    r.sync();
    assert!(r.smmu.atc_lookup(SID, Some(1), 0x9000).is_some());
    r.cmd(Command::AtcInv {
        sid: SID,
        ssid: Some(2),
        global: true,
        size: 0,
        addr: 0x9000,
    });
    r.sync();
    assert!(r.smmu.atc_lookup(SID, Some(1), 0x9000).is_none());
}

#[test]
fn read_only_and_dirty_tracking() {
    let mem = SparseMem::new();
    let (mut r, mut pt) = ats_rig(&mem);
    pt.map_page(0xa000, DATA, RO);
    let e = r.smmu.ats_translate(&mem, &req(Some(1), 0xa000)).unwrap();
    assert!(e.read && !e.write);
    // HTTU: a DBM page is made writable (dirty) when write access is asked
    // for, and left clean with NW.
    let mut cd = cd_for(40, &pt, false);
    cd.set_httu(CdHttu::AccessDirty);
    r.set_cd(SID, 3, &cd);
    let dbm = RO | desc::DBM;
    let at = pt.map_page(0xb000, DATA, dbm);
    let mut nw = req(Some(3), 0xb000);
    nw.no_write = true;
    let e = r.smmu.ats_translate(&mem, &nw).unwrap();
    assert!(e.read && !e.write);
    assert_eq!(mem.peek_u64(at) & desc::AP_RDONLY, desc::AP_RDONLY);
    let e = r.smmu.ats_translate(&mem, &req(Some(3), 0xb000)).unwrap();
    assert!(e.write);
    assert_eq!(mem.peek_u64(at) & desc::AP_RDONLY, 0, "marked dirty");
}

#[test]
fn ats_not_enabled_for_the_stream() {
    let mem = SparseMem::new();
    let mut r = rig(&mem, ModelConfig::full());
    let pt = tables(&mem, PT_POOL);
    r.attach_cd_table(SID, 0, false, SteOpts::default());
    r.set_cd(SID, 0, &cd_for(1, &pt, false));
    assert_eq!(
        r.smmu.ats_translate(&mem, &req(None, 0)),
        Err(AtsError::UnsupportedRequest)
    );
    match r
        .smmu
        .translated_access(&mem, &Transaction::read(SID, DATA))
    {
        Outcome::Terminated(t) => {
            assert_eq!(t.cause, TermCause::Fault(id::F_TRANSL_FORBIDDEN));
            assert!(t.recorded);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        ids(&r.events()),
        [id::F_BAD_ATS_TREQ, id::F_TRANSL_FORBIDDEN]
    );
    // Without ATS at all.
    let mem = SparseMem::new();
    let mut r = rig(&mem, ModelConfig::minimal());
    assert_eq!(
        r.smmu.ats_translate(&mem, &req(None, 0)),
        Err(AtsError::UnsupportedRequest)
    );
}
