// SPDX-License-Identifier: GPL-2.0

//! Model: stalled transactions, CMD_RESUME, CMD_STALL_TERM, STALL_MAX, and
//! the DMA engine's stall handling.

mod model_common;

use model_common::*;
use smmuv3::hw::cmd::{Command, ResumeAction};
use smmuv3::hw::event::{id, Event};
use smmuv3::hw::regs::offsets as off;
use smmuv3::hw::ste::Ste;
use smmuv3::model::{
    DmaEngine, DmaError, DmaStatus, ModelConfig, Outcome, StallState, TermCause, Wait,
};
use smmuv3::testmem::{SparseMem, TableBuilder};

const SID: u32 = 0x31;

fn stall_rig(mem: &SparseMem, cfg: ModelConfig) -> (Rig<'_>, TableBuilder<'_>) {
    let mut r = rig(mem, cfg);
    let pt = tables(mem, PT_POOL);
    r.attach_cd_table(
        SID,
        0,
        false,
        SteOpts {
            stall: true,
            ..SteOpts::default()
        },
    );
    r.set_cd(SID, 0, &cd_for(7, &pt, true));
    (r, pt)
}

fn stag_of(o: Outcome) -> u16 {
    match o {
        Outcome::Stalled { stag } => stag,
        other => panic!("expected a stall, got {other:?}"),
    }
}

#[test]
fn stall_then_resume_retry() {
    let mem = SparseMem::new();
    let (mut r, mut pt) = stall_rig(&mem, ModelConfig::full());
    let stag = stag_of(r.write(SID, None, 0x7000));
    let ev = r.events();
    assert_eq!(ids(&ev), [id::F_TRANSLATION]);
    let f = ev[0].translation_fault().unwrap();
    assert_eq!(f.stall_tag, Some(stag));
    assert_eq!(r.smmu.stall_result(SID, stag), StallState::Pending);
    assert_eq!(r.smmu.occupancy().stalled, 1);
    pt.map_page(0x7000, DATA, RW);
    r.cmd(Command::Resume {
        sid: SID,
        stag,
        action: ResumeAction::Retry,
    });
    r.sync();
    assert_eq!(r.smmu.stall_result(SID, stag), StallState::Retry);
    assert_eq!(r.smmu.stall_result(SID, stag), StallState::Unknown);
    assert_eq!(pa_of(r.write(SID, None, 0x7010)), DATA + 0x10);
}

#[test]
fn resume_abort_and_terminate() {
    let mem = SparseMem::new();
    let (mut r, _pt) = stall_rig(&mem, ModelConfig::full());
    let a = stag_of(r.read(SID, None, 0x1000));
    let b = stag_of(r.read(SID, None, 0x2000));
    assert_ne!(a, b);
    r.cmd(Command::Resume {
        sid: SID,
        stag: a,
        action: ResumeAction::Abort,
    });
    r.cmd(Command::Resume {
        sid: SID,
        stag: b,
        action: ResumeAction::Terminate,
    });
    // A tag that matches nothing, or the wrong StreamID, is ignored.
    r.cmd(Command::Resume {
        sid: SID + 1,
        stag: a,
        action: ResumeAction::Retry,
    });
    r.sync();
    assert_eq!(
        r.smmu.stall_result(SID, a),
        StallState::Terminated { abort: true }
    );
    assert_eq!(
        r.smmu.stall_result(SID, b),
        StallState::Terminated { abort: false }
    );
    assert_eq!(r.smmu.stats().stray_resumes, 1);
}

#[test]
fn stall_max_overflow_terminates() {
    let mem = SparseMem::new();
    let cfg = ModelConfig {
        stall_max: 2,
        ..ModelConfig::full()
    };
    let (mut r, _pt) = stall_rig(&mem, cfg);
    assert_eq!(r.smmu.features().stall_max, 2);
    stag_of(r.read(SID, None, 0x1000));
    stag_of(r.read(SID, None, 0x2000));
    match r.read(SID, None, 0x3000) {
        Outcome::Terminated(t) => {
            assert!(t.abort && t.recorded);
            assert_eq!(t.cause, TermCause::Fault(id::F_TRANSLATION));
        }
        other => panic!("{other:?}"),
    }
    let ev = r.events();
    assert_eq!(ev.len(), 3);
    assert!(ev[2].translation_fault().unwrap().stall_tag.is_none());
    assert_eq!(r.smmu.stats().stall_refused, 1);
    // CMD_STALL_TERM aborts both.
    r.cmd(Command::StallTerm { sid: SID });
    r.sync();
    assert_eq!(r.smmu.occupancy().stalled, 0);
    // And room is available again.
    stag_of(r.read(SID, None, 0x4000));
}

#[test]
fn disabling_the_smmu_aborts_stalls() {
    let mem = SparseMem::new();
    let (mut r, _pt) = stall_rig(&mem, ModelConfig::full());
    let stag = stag_of(r.read(SID, None, 0x1000));
    r.smmu.write32(&mem, off::CR0, 0);
    assert_eq!(
        r.smmu.stall_result(SID, stag),
        StallState::Terminated { abort: true }
    );
}

#[test]
fn lost_stall_event_terminates() {
    let mem = SparseMem::new();
    let (mut r, _pt) = stall_rig(&mem, ModelConfig::full());
    // Event queue disabled: nobody would learn about the stall.
    r.smmu.write32(&mem, off::CR0, 0b1011);
    assert!(matches!(r.read(SID, None, 0x1000), Outcome::Terminated(_)));
    assert_eq!(r.smmu.occupancy().stalled, 0);
}

#[test]
fn stall_disabled_by_ste_makes_cd_s_illegal() {
    let mem = SparseMem::new();
    let mut r = rig(&mem, ModelConfig::full());
    let pt = tables(&mem, PT_POOL);
    r.attach_cd_table(SID, 0, false, SteOpts::default());
    r.set_cd(SID, 0, &cd_for(7, &pt, true));
    match r.read(SID, None, 0x1000) {
        Outcome::Terminated(t) => assert_eq!(t.cause, TermCause::Fault(id::C_BAD_CD)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn forced_stall_model() {
    let mem = SparseMem::new();
    let cfg = ModelConfig {
        stall_model: smmuv3::hw::regs::StallModel::StallForced,
        ..ModelConfig::full()
    };
    let mut r = rig(&mem, cfg);
    let pt = tables(&mem, PT_POOL);
    r.attach_cd_table(SID, 0, false, SteOpts::default());
    // CD.S = 0, but stalling is forced.
    r.set_cd(SID, 0, &cd_for(7, &pt, false));
    stag_of(r.read(SID, None, 0x1000));
    // S1STALLD is illegal with a forced stall model.
    let mut ste = Ste::abort();
    ste.set_config(smmuv3::hw::ste::Config::Bypass)
        .set_s1stalld(true);
    r.set_ste(SID + 1, &ste);
    assert!(matches!(r.read(SID + 1, None, 0), Outcome::Bypass { .. }));
    let mut ste = r.read_ste(SID);
    ste.set_s1stalld(true);
    r.set_ste(SID, &ste);
    match r.read(SID, None, 0x1000) {
        Outcome::Terminated(t) => assert_eq!(t.cause, TermCause::Fault(id::C_BAD_STE)),
        other => panic!("{other:?}"),
    }
}

/// The driver's stall handler: map each faulting page, resume.
fn service_stalls(r: &mut Rig<'_>, pt: &mut TableBuilder<'_>, next_pa: &mut u64) {
    for ev in r.events() {
        let f = match ev {
            Event::Translation(f) => f,
            other => panic!("unexpected event {other:?}"),
        };
        let stag = f.stall_tag.expect("stalled");
        pt.map_page(f.input_addr, *next_pa, RW);
        *next_pa += 0x1000;
        r.cmd(Command::Resume {
            sid: f.sid,
            stag,
            action: ResumeAction::Retry,
        });
    }
    r.sync();
}

#[test]
fn dma_engine_services_stalls() {
    let mem = SparseMem::new();
    let (mut r, mut pt) = stall_rig(&mem, ModelConfig::full());
    let data: Vec<u8> = (0..3 * 4096 + 100).map(|i| (i % 251) as u8).collect();
    let va = 0x50_0f00u64;
    let mut dev = DmaEngine::new(SID, None);
    let mut off = 0usize;
    let mut next_pa = DATA;
    let mut rounds = 0;
    loop {
        match dev.write(&mut r.smmu, &mem, va + off as u64, &data[off..]) {
            DmaStatus::Complete => break,
            DmaStatus::NeedsService { done, wait } => {
                assert!(matches!(wait, Wait::Stall { .. }));
                off += done;
                // Calling again before servicing does nothing.
                assert_eq!(
                    dev.write(&mut r.smmu, &mem, va + off as u64, &data[off..]),
                    DmaStatus::NeedsService { done: 0, wait }
                );
                service_stalls(&mut r, &mut pt, &mut next_pa);
                rounds += 1;
            }
            DmaStatus::Failed { error, .. } => panic!("{error:?}"),
        }
    }
    assert_eq!(rounds, 4);
    let mut back = vec![0u8; data.len()];
    let mut reader = DmaEngine::new(SID, None);
    assert_eq!(
        reader.read(&mut r.smmu, &mem, va, &mut back),
        DmaStatus::Complete
    );
    assert_eq!(back, data);
}

#[test]
fn dma_engine_reports_aborted_stall() {
    let mem = SparseMem::new();
    let (mut r, _pt) = stall_rig(&mem, ModelConfig::full());
    let mut dev = DmaEngine::new(SID, None);
    let mut buf = [0u8; 16];
    let DmaStatus::NeedsService {
        wait: Wait::Stall { stag },
        ..
    } = dev.read(&mut r.smmu, &mem, 0x9000, &mut buf)
    else {
        panic!("expected a stall");
    };
    r.events();
    r.cmd(Command::Resume {
        sid: SID,
        stag,
        action: ResumeAction::Abort,
    });
    r.sync();
    assert_eq!(
        dev.read(&mut r.smmu, &mem, 0x9000, &mut buf),
        DmaStatus::Failed {
            done: 0,
            error: DmaError::StallAborted
        }
    );
}

#[test]
fn run_write_with_a_closure_handler() {
    let mem = SparseMem::new();
    let (mut r, pt) = stall_rig(&mem, ModelConfig::full());
    let pt = std::cell::RefCell::new(pt);
    let mut dev = DmaEngine::new(SID, None);
    let mut evtq_cons = 0u32;
    let res = dev.run_write(&mut r.smmu, &mem, 0xa000, &[0x5a; 64], 4, |smmu, mem| {
        // Read the one new event straight from the queue.
        let pa = EVTQ_BASE + u64::from(evtq_cons & 0x7f) * 32;
        let ev = Event::decode([0, 8, 16, 24].map(|o| mem.peek_u64(pa + o)));
        evtq_cons += 1;
        smmu.write32(mem, off::EVENTQ_CONS, evtq_cons);
        let f = ev.translation_fault().unwrap();
        pt.borrow_mut().map_page(f.input_addr, DATA, RW);
        push_cmd(
            smmu,
            mem,
            Command::Resume {
                sid: f.sid,
                stag: f.stall_tag.unwrap(),
                action: ResumeAction::Retry,
            },
        );
    });
    assert_eq!(res, Ok(()));
    r.resync_prod();
    let mut back = [0u8; 64];
    mem.peek_bytes(DATA, &mut back);
    assert_eq!(back, [0x5a; 64]);
}

fn resume(r: &mut Rig<'_>, stag: u16) {
    r.cmd(Command::Resume {
        sid: SID,
        stag,
        action: ResumeAction::Retry,
    });
    r.sync();
}

#[test]
fn abandoned_stalls_leave_no_result_behind() {
    let mem = SparseMem::new();
    let (mut r, _pt) = stall_rig(&mem, ModelConfig::full());
    // Abandoned while stalled: still stalled (the answer is still due),
    // gone once answered.
    let x = stag_of(r.write(SID, None, 0x7000));
    r.smmu.abandon_stall(SID, x);
    assert_eq!(r.smmu.stall_result(SID, x), StallState::Pending);
    resume(&mut r, x);
    assert_eq!(r.smmu.stall_result(SID, x), StallState::Unknown);
    // A live stall answered but not yet collected survives any number of
    // abandoned ones answered meanwhile (the table holds 16).
    let live = stag_of(r.write(SID, None, 0x8000));
    resume(&mut r, live);
    for i in 0..40u64 {
        let s = stag_of(r.write(SID, None, 0x10_0000 + (i << 12)));
        if i % 2 == 0 {
            r.smmu.abandon_stall(SID, s);
            resume(&mut r, s);
        } else {
            resume(&mut r, s);
            r.smmu.abandon_stall(SID, s);
        }
        assert_eq!(r.smmu.stall_result(SID, s), StallState::Unknown);
    }
    assert_eq!(r.smmu.stall_result(SID, live), StallState::Retry);
}

#[test]
fn dma_engine_abandons_its_stall() {
    let mem = SparseMem::new();
    let (mut r, _pt) = stall_rig(&mem, ModelConfig::full());
    let mut dma = DmaEngine::new(SID, None);
    let stag = match dma.write(&mut r.smmu, &mem, 0x9000, &[1; 16]) {
        DmaStatus::NeedsService {
            done: 0,
            wait: Wait::Stall { stag },
        } => stag,
        other => panic!("expected a stall, got {other:?}"),
    };
    dma.abandon(&mut r.smmu);
    resume(&mut r, stag);
    assert_eq!(r.smmu.stall_result(SID, stag), StallState::Unknown);
    // Abandoning again, or with nothing waited for, does nothing.
    dma.abandon(&mut r.smmu);
}
