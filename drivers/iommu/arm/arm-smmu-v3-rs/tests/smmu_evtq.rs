// SPDX-License-Identifier: GPL-2.0

//! Event and PRI queue consumers, and the global error handler, against
//! the software SMMUv3.

mod smmu_common;

use smmu_common::{
    cd_table, page_tables, read_pa, s1_cd, s1_ste, test_config, Env, TestSmmu, DATA, PT_POOL,
};
use smmuv3::hw::cmd::{Command, PriResp};
use smmuv3::hw::event::{id, Event};
use smmuv3::hw::pri::PriRequest;
use smmuv3::hw::queue::QueueError;
use smmuv3::hw::regs::{offsets, Cr0};
use smmuv3::model::{ModelConfig, Outcome, PriState, Transaction};
use smmuv3::smmu::{CoherentBuf, Config, DrainReport, SmmuError};

const VA: u64 = 0x40_0000;

/// An SMMU with stream 0x10 translated by a CD whose tables map only `VA`.
fn faulting(env: &Env, cfg: Config) -> TestSmmu<'_> {
    let mut s = env.smmu(cfg);
    let pt = page_tables(&env.mem, PT_POOL, &[(VA, DATA)]);
    let cds = cd_table(&env.alloc, &[s1_cd(&s.dev, 1, pt.root())]);
    s.install_ste(&env.alloc, 0x10, &s1_ste(&s.dev, &cds, 0))
        .unwrap();
    assert_eq!(read_pa(&env.io, 0x10, VA), Ok(DATA));
    s
}

fn fault(env: &Env, n: u64) {
    for i in 0..n {
        assert!(read_pa(&env.io, 0x10, 0x1000_0000 + i * 0x1000).is_err());
    }
}

fn drain(s: &mut TestSmmu<'_>, budget: u32) -> (DrainReport, Vec<Event>) {
    let mut evts = Vec::new();
    let r = s
        .evtq
        .drain(&s.dev, budget, |e, raw| {
            assert_eq!(Event::decode(*raw), *e);
            evts.push(*e)
        })
        .unwrap();
    (r, evts)
}

#[test]
fn faults_are_drained_in_order() {
    let env = Env::new(ModelConfig::minimal());
    let mut s = faulting(&env, test_config());
    fault(&env, 3);
    let (r, evts) = drain(&mut s, 100);
    assert_eq!(
        r,
        DrainReport {
            records: 3,
            overflows: 0,
            more: false
        }
    );
    for (i, e) in evts.iter().enumerate() {
        assert_eq!(e.event_id(), id::F_TRANSLATION);
        assert_eq!(e.sid(), 0x10);
        let f = e.translation_fault().unwrap();
        assert_eq!(f.input_addr, 0x1000_0000 + i as u64 * 0x1000);
    }
    // The SMMU sees the slots freed.
    assert_eq!(env.io.peek(offsets::EVENTQ_CONS), s.evtq.cons());
    assert_eq!(drain(&mut s, 100).0.records, 0);
}

#[test]
fn budget_leaves_the_rest_for_later() {
    let env = Env::new(ModelConfig::minimal());
    let mut s = faulting(&env, test_config());
    fault(&env, 5);
    let (r, _) = drain(&mut s, 2);
    assert_eq!((r.records, r.more), (2, true));
    let (r, _) = drain(&mut s, 2);
    assert_eq!((r.records, r.more), (2, true));
    let (r, _) = drain(&mut s, 2);
    assert_eq!((r.records, r.more), (1, false));
}

#[test]
fn overflow_is_reported_once_and_acknowledged() {
    let env = Env::new(ModelConfig::minimal());
    let mut s = faulting(
        &env,
        Config {
            evtq_max_log2: 2,
            ..test_config()
        },
    );
    assert_eq!(s.evtq.queue().entries(), 4);
    fault(&env, 10);
    assert_eq!(env.io.smmu.borrow().stats().events_lost, 6);
    // A small budget first: the overflow is counted once across calls.
    let (r, _) = drain(&mut s, 1);
    assert_eq!((r.records, r.overflows, r.more), (1, 1, true));
    let (r, evts) = drain(&mut s, 100);
    assert_eq!((r.records, r.overflows, r.more), (3, 0, false));
    assert_eq!(evts.len(), 3);
    // Acknowledged: OVACKFLG == OVFLG.
    let prod = env.io.peek(offsets::EVENTQ_PROD);
    let cons = env.io.peek(offsets::EVENTQ_CONS);
    assert_eq!(prod >> 31, cons >> 31);
    assert_eq!(prod >> 31, 1);
    // New events flow again, without another overflow report.
    fault(&env, 2);
    let (r, _) = drain(&mut s, 100);
    assert_eq!((r.records, r.overflows), (2, 0));
    // A second overflow toggles the flag back and is reported again.
    fault(&env, 9);
    let (r, _) = drain(&mut s, 100);
    assert_eq!((r.records, r.overflows), (4, 1));
    assert_eq!(env.io.peek(offsets::EVENTQ_CONS) >> 31, 0);
}

#[test]
fn garbage_prod_is_an_error_and_consumes_nothing() {
    let env = Env::new(ModelConfig::minimal());
    let mut s = faulting(
        &env,
        Config {
            evtq_max_log2: 2,
            ..test_config()
        },
    );
    fault(&env, 1);
    for (prod, want) in [
        (0x0000_1000, QueueError::StrayBits(0x1000)),
        (0x7fff_ffff, QueueError::StrayBits(0x7fff_ffff)),
        // Index 3, wrap set: seven records ahead of CONS 0 in a 4-entry
        // queue.
        (0x0000_0007, QueueError::Inconsistent { prod: 7, cons: 0 }),
    ] {
        env.io.knobs.evtq_prod.set(Some(prod));
        let r = s.evtq.drain(&s.dev, 100, |_, _| panic!("consumed garbage"));
        assert_eq!(
            r,
            Err(SmmuError::BadQueuePointer {
                offset: offsets::EVENTQ_PROD,
                err: want
            })
        );
        assert_eq!(s.evtq.cons(), 0);
    }
    env.io.knobs.evtq_prod.set(None);
    assert_eq!(drain(&mut s, 100).0.records, 1);
}

#[test]
fn garbage_records_decode_without_panicking() {
    let env = Env::new(ModelConfig::minimal());
    let mut s = env.smmu(Config {
        evtq_max_log2: 3,
        ..test_config()
    });
    // Fill the queue memory with junk and pretend the SMMU produced it all.
    let cr0 = Cr0::from_raw(env.io.peek(offsets::CR0));
    let base = env.io.smmu.borrow().read64(offsets::EVENTQ_BASE) & 0x000f_ffff_ffff_ffe0;
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for i in 0..(8 * 4) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let v = if i % 5 == 0 { u64::MAX } else { x };
        env.mem.poke_u64(base + i * 8, v);
    }
    assert!(cr0.eventqen());
    // 8 entries: the wrap flag is bit 3, so PROD = wrap|0 is a full queue.
    env.io.knobs.evtq_prod.set(Some(0x8));
    let mut n = 0;
    let r = s
        .evtq
        .drain(&s.dev, 100, |e, _| {
            let _ = format!("{e}");
            n += 1;
        })
        .unwrap();
    assert_eq!((r.records, n), (8, 8));
}

#[test]
fn page_requests_are_drained_and_answered() {
    let env = Env::new(ModelConfig::full());
    let mut s = faulting(&env, test_config());
    let priq = s.priq.as_ref().unwrap();
    assert!(priq.queue().entries() > 1);
    let out = env
        .io
        .translate(Transaction::write(0x10, 0x2000_0000).with_pri());
    let Outcome::PageRequest { prgi } = out else {
        panic!("{out:?}")
    };
    let mut reqs: Vec<PriRequest> = Vec::new();
    let (dev, priq) = (&s.dev, s.priq.as_mut().unwrap());
    let r = priq.drain(dev, 10, |req, _| reqs.push(*req)).unwrap();
    assert_eq!((r.records, r.overflows), (1, 0));
    let req = reqs[0];
    assert_eq!(
        (req.sid, req.prgi, req.last, req.write),
        (0x10, prgi, true, true)
    );
    assert_eq!(req.addr, 0x2000_0000);
    assert_eq!(
        env.io.smmu.borrow_mut().pri_result(0x10, prgi),
        PriState::Pending
    );
    s.cmdq
        .issue(
            &s.dev,
            &[Command::PriResp {
                sid: req.sid,
                ssid: req.ssid,
                prgi: req.prgi,
                resp: PriResp::Success,
            }],
            true,
        )
        .unwrap();
    assert_eq!(
        env.io.smmu.borrow_mut().pri_result(0x10, prgi),
        PriState::Responded(PriResp::Success)
    );
}

#[test]
fn gerror_reports_queue_aborts_and_service_failure_path() {
    // An event queue write that aborts raises EVENTQ_ABT_ERR.
    let env = Env::new(ModelConfig::minimal());
    let mut s = faulting(&env, test_config());
    let base = env.io.smmu.borrow().read64(offsets::EVENTQ_BASE) & 0x000f_ffff_ffff_ffe0;
    env.mem.add_fault(base..base + 0x1000);
    fault(&env, 1);
    env.mem.clear_faults();
    let report = s.handle_gerror().unwrap();
    assert!(report.active.eventq_abt_err(), "{:?}", report.active);
    assert!(report.records_lost() && !report.service_failure);
    assert!(report.disable.is_none() && report.cmdq.is_none());
    assert_eq!(env.io.peek(offsets::GERROR), env.io.peek(offsets::GERRORN));
    assert!(s.handle_gerror().unwrap().is_spurious());
    // The SMMU still works.
    s.cmdq.sync(&s.dev).unwrap();
    let _ = s.strtab.base_buf().dma_addr();
}

#[test]
fn page0_only_implementations() {
    let env = Env::new(ModelConfig::minimal());
    env.io.knobs.page0_only.set(true);
    let mut s = faulting(
        &env,
        Config {
            page0_only: true,
            ..test_config()
        },
    );
    fault(&env, 2);
    let (r, _) = drain(&mut s, 100);
    assert_eq!(r.records, 2);
    assert_eq!(env.io.peek(offsets::EVENTQ_CONS), s.evtq.cons());
}
