// SPDX-License-Identifier: GPL-2.0

//! Model: PRI page requests, CMD_PRI_RESP, PRI queue overflow, and the DMA
//! engine's page request handling.

mod model_common;

use model_common::*;
use smmuv3::hw::cmd::{Command, PriResp};
use smmuv3::hw::regs::offsets as off;
use smmuv3::model::{
    DmaEngine, DmaError, DmaStatus, ModelConfig, Outcome, PageRequest, PriError, PriState,
    Transaction, Wait,
};
use smmuv3::testmem::{SparseMem, TableBuilder};

const SID: u32 = 0x40;
const PASID: u32 = 5;

fn pri_rig(mem: &SparseMem, cfg: ModelConfig) -> (Rig<'_>, TableBuilder<'_>) {
    let mut r = rig(mem, cfg);
    let pt = tables(mem, PT_POOL);
    r.attach_cd_table(SID, 4, false, SteOpts::default());
    r.set_cd(SID, PASID, &cd_for(9, &pt, false));
    (r, pt)
}

fn prgi_of(o: Outcome) -> u16 {
    match o {
        Outcome::PageRequest { prgi } => prgi,
        other => panic!("expected a page request, got {other:?}"),
    }
}

fn pri_write(r: &mut Rig<'_>, va: u64) -> Outcome {
    let t = Transaction::write(SID, va).with_ssid(PASID).with_pri();
    r.smmu.translate(r.mem, &t)
}

#[test]
fn page_request_then_success() {
    let mem = SparseMem::new();
    let (mut r, mut pt) = pri_rig(&mem, ModelConfig::full());
    let irqs = r.smmu.irqs().priq;
    let prgi = prgi_of(pri_write(&mut r, 0x12_3456));
    assert!(r.events().is_empty(), "page requests are not events");
    assert_eq!(r.smmu.irqs().priq, irqs + 1);
    let reqs = r.pri_requests();
    assert_eq!(reqs.len(), 1);
    let q = reqs[0];
    assert_eq!(
        (q.sid, q.ssid, q.addr, q.prgi),
        (SID, Some(PASID), 0x12_3000, prgi)
    );
    assert!(q.write && q.last && !q.exec);
    assert_eq!(r.smmu.pri_result(SID, prgi), PriState::Pending);
    pt.map_page(0x12_3000, DATA, RW);
    r.cmd(Command::PriResp {
        sid: SID,
        ssid: Some(PASID),
        prgi,
        resp: PriResp::Success,
    });
    r.sync();
    assert_eq!(
        r.smmu.pri_result(SID, prgi),
        PriState::Responded(PriResp::Success)
    );
    assert_eq!(r.smmu.pri_result(SID, prgi), PriState::Unknown);
    assert_eq!(pa_of(pri_write(&mut r, 0x12_3456)), DATA + 0x456);
}

#[test]
fn failure_responses_reach_the_device() {
    let mem = SparseMem::new();
    let (mut r, _pt) = pri_rig(&mem, ModelConfig::full());
    for resp in [PriResp::Deny, PriResp::Fail] {
        let mut dev = DmaEngine::new(SID, Some(PASID)).with_pri();
        let mut buf = [0u8; 8];
        let DmaStatus::NeedsService {
            wait: Wait::PageRequest { prgi },
            ..
        } = dev.read(&mut r.smmu, &mem, 0x4000, &mut buf)
        else {
            panic!("expected a page request")
        };
        r.pri_requests();
        r.cmd(Command::PriResp {
            sid: SID,
            ssid: Some(PASID),
            prgi,
            resp,
        });
        r.sync();
        assert_eq!(
            dev.read(&mut r.smmu, &mem, 0x4000, &mut buf),
            DmaStatus::Failed {
                done: 0,
                error: DmaError::PageRequestRefused(resp)
            }
        );
    }
    // A response nobody waits for.
    r.cmd(Command::PriResp {
        sid: SID,
        ssid: None,
        prgi: 77,
        resp: PriResp::Success,
    });
    r.sync();
    assert_eq!(r.smmu.stats().stray_pri_resps, 1);
}

#[test]
fn priq_overflow() {
    let mem = SparseMem::new();
    let cfg = ModelConfig {
        priqs: 2,
        ..ModelConfig::full()
    };
    let (mut r, _pt) = pri_rig(&mem, cfg);
    let mut prgis = Vec::new();
    for i in 0..4u64 {
        prgis.push(prgi_of(pri_write(&mut r, i * 0x1000)));
    }
    assert!(!r.priq_overflowed());
    // The fifth is lost; the SMMU answers it with Success so the device
    // retries.
    let lost = prgi_of(pri_write(&mut r, 0x10_0000));
    assert!(r.priq_overflowed());
    assert_eq!(
        r.smmu.pri_result(SID, lost),
        PriState::Responded(PriResp::Success)
    );
    // Until the overflow is acknowledged, more requests are lost too.
    let r2 = r.r32(off::PRIQ_CONS);
    r.smmu.write32(&mem, off::PRIQ_CONS, r2 + 1);
    let lost2 = prgi_of(pri_write(&mut r, 0x11_0000));
    assert_eq!(
        r.smmu.pri_result(SID, lost2),
        PriState::Responded(PriResp::Success)
    );
    r.smmu.write32(&mem, off::PRIQ_CONS, r2);
    // Draining acknowledges the overflow (the helper copies OVFLG).
    assert_eq!(r.pri_requests().len(), 4);
    assert!(!r.priq_overflowed());
    let ok = prgi_of(pri_write(&mut r, 0x12_0000));
    assert_eq!(r.smmu.pri_result(SID, ok), PriState::Pending);
    assert_eq!(r.pri_requests().len(), 1);
    assert_eq!(r.smmu.stats().pri_lost, 2);
    for p in prgis {
        assert_eq!(r.smmu.pri_result(SID, p), PriState::Pending);
    }
}

#[test]
fn disabled_priq_fails_requests() {
    let mem = SparseMem::new();
    let (mut r, _pt) = pri_rig(&mem, ModelConfig::full());
    // SMMUEN, CMDQEN, EVENTQEN but not PRIQEN.
    r.smmu.write32(&mem, off::CR0, 0b1101);
    let prgi = prgi_of(pri_write(&mut r, 0x1000));
    assert_eq!(
        r.smmu.pri_result(SID, prgi),
        PriState::Responded(PriResp::Fail)
    );
}

#[test]
fn page_request_api_limits() {
    let mem = SparseMem::new();
    let mut r = rig(&mem, ModelConfig::minimal());
    let req = PageRequest {
        sid: 1,
        ssid: None,
        addr: 0,
        read: true,
        write: false,
        exec: false,
        privileged: false,
    };
    assert_eq!(r.smmu.page_request(&mem, &req), Err(PriError::Unsupported));
    let mem = SparseMem::new();
    let mut r: Rig<'_, 64, 128, 32, 16, 2> = Rig::new(&mem, ModelConfig::full());
    assert!(r.smmu.page_request(&mem, &req).is_ok());
    assert!(r.smmu.page_request(&mem, &req).is_ok());
    assert_eq!(r.smmu.page_request(&mem, &req), Err(PriError::Busy));
}

/// The driver's PRI handler: map every requested page and respond.
fn service_pri(r: &mut Rig<'_>, pt: &mut TableBuilder<'_>, next_pa: &mut u64) {
    for q in r.pri_requests() {
        pt.map_page(q.addr, *next_pa, RW);
        *next_pa += 0x1000;
        // TLBI for the new mapping is not needed (faults are not cached).
        r.cmd(Command::PriResp {
            sid: q.sid,
            ssid: q.ssid,
            prgi: q.prgi,
            resp: PriResp::Success,
        });
    }
    r.sync();
}

#[test]
fn dma_with_pri_and_with_ats_pri() {
    for ats in [false, true] {
        let mem = SparseMem::new();
        let mut r = rig(&mem, ModelConfig::full());
        let mut pt = tables(&mem, PT_POOL);
        r.attach_cd_table(
            SID,
            4,
            false,
            SteOpts {
                ats,
                ..SteOpts::default()
            },
        );
        r.set_cd(SID, PASID, &cd_for(9, &pt, false));
        let data: Vec<u8> = (0..10_000).map(|i| (i * 7 % 256) as u8).collect();
        let mut dev = DmaEngine::new(SID, Some(PASID)).with_pri();
        if ats {
            dev = dev.with_ats();
        }
        let va = 0x70_0800;
        let mut off = 0;
        let mut next_pa = DATA;
        let mut rounds = 0;
        loop {
            match dev.write(&mut r.smmu, &mem, va + off as u64, &data[off..]) {
                DmaStatus::Complete => break,
                DmaStatus::NeedsService { done, .. } => {
                    off += done;
                    service_pri(&mut r, &mut pt, &mut next_pa);
                    rounds += 1;
                    assert!(rounds < 10);
                }
                DmaStatus::Failed { error, .. } => panic!("ats={ats}: {error:?}"),
            }
        }
        assert_eq!(rounds, 3, "ats={ats}");
        let mut back = vec![0u8; data.len()];
        let mut rd = DmaEngine::new(SID, Some(PASID));
        if ats {
            rd = rd.with_ats();
            assert!(r.smmu.occupancy().atc >= 3);
        }
        assert_eq!(
            rd.read(&mut r.smmu, &mem, va, &mut back),
            DmaStatus::Complete
        );
        assert_eq!(back, data);
        assert!(r.events().is_empty());
    }
}

fn respond(r: &mut Rig<'_>, prgi: u16) {
    r.cmd(Command::PriResp {
        sid: SID,
        ssid: Some(PASID),
        prgi,
        resp: PriResp::Success,
    });
    r.sync();
}

#[test]
fn abandoned_groups_leave_no_response_behind() {
    let mem = SparseMem::new();
    let (mut r, _pt) = pri_rig(&mem, ModelConfig::full());
    let x = prgi_of(pri_write(&mut r, 0x1000));
    r.smmu.abandon_pri(SID, x);
    assert_eq!(r.smmu.pri_result(SID, x), PriState::Pending);
    respond(&mut r, x);
    assert_eq!(r.smmu.pri_result(SID, x), PriState::Unknown);
    // A live response not yet collected survives any number of abandoned
    // groups answered meanwhile (the table holds 16).
    let live = prgi_of(pri_write(&mut r, 0x2000));
    respond(&mut r, live);
    for i in 0..40u64 {
        let g = prgi_of(pri_write(&mut r, 0x10_0000 + (i << 12)));
        if i % 2 == 0 {
            r.smmu.abandon_pri(SID, g);
            respond(&mut r, g);
        } else {
            respond(&mut r, g);
            r.smmu.abandon_pri(SID, g);
        }
        assert_eq!(r.smmu.pri_result(SID, g), PriState::Unknown);
    }
    assert_eq!(
        r.smmu.pri_result(SID, live),
        PriState::Responded(PriResp::Success)
    );
}
