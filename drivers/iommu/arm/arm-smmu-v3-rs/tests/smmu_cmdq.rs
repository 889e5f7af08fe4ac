// SPDX-License-Identifier: GPL-2.0

//! The command queue producer against the software SMMUv3: batching, wrap,
//! completion by CONS and by MSI, timeouts, garbage, error recovery.

mod smmu_common;

use smmu_common::{test_config, Env, TestSmmu};
use smmuv3::hw::cmd::{opcode, CmdError, Command};
use smmuv3::hw::queue::QueueError;
use smmuv3::hw::regs::{offsets, CmdqError, Gerror};
use smmuv3::model::ModelConfig;
use smmuv3::smmu::{CmdqRecovery, CoherentBuf, Config, SmmuError, CMDQ_BATCH_MAX};

/// A small queue so that tests wrap it quickly.
fn small(msi: bool, log2: u8) -> Config {
    Config {
        cmdq_max_log2: log2,
        msi_poll: msi,
        ..test_config()
    }
}

fn cmd(i: u32) -> Command {
    match i % 3 {
        0 => Command::CfgiSte { sid: i, leaf: true },
        1 => Command::TlbiNhAsid {
            vmid: 0,
            asid: i as u16,
        },
        _ => Command::CfgiCdAll { sid: i },
    }
}

fn commands(s: &TestSmmu<'_>, env: &Env) -> u64 {
    let _ = s;
    env.io.smmu.borrow().stats().commands
}

fn no_error(env: &Env) {
    assert_eq!(env.io.peek(offsets::GERROR), env.io.peek(offsets::GERRORN));
}

#[test]
fn many_batches_wrap_the_queue() {
    for msi in [false, true] {
        let env = Env::new(ModelConfig::full());
        let mut s = env.smmu(small(msi, 3));
        assert_eq!(s.cmdq.msi_poll(), msi);
        assert_eq!(s.cmdq.queue().entries(), 8);
        let start = commands(&s, &env);
        let mut issued = 0u64;
        let mut wraps = 0;
        let mut last_wrap = s.cmdq.queue().wrap(s.cmdq.prod());
        for round in 0..200u32 {
            let n = round % 20;
            let cmds: Vec<Command> = (0..n).map(|i| cmd(round * 31 + i)).collect();
            s.cmdq.issue(&s.dev, &cmds, true).unwrap();
            issued += u64::from(n) + 1;
            let w = s.cmdq.queue().wrap(s.cmdq.prod());
            if w != last_wrap {
                wraps += 1;
                last_wrap = w;
            }
            assert_eq!(s.cmdq.prod(), s.cmdq.cons(), "round {round}");
        }
        assert!(issued / 8 > 200, "the index wrapped {} times", issued / 8);
        assert!(
            wraps > 50,
            "the wrap flag toggled {wraps} times between rounds"
        );
        assert_eq!(commands(&s, &env) - start, issued);
        no_error(&env);
        if msi {
            assert!(env.io.smmu.borrow().irqs().cmd_sync >= 200);
        }
    }
}

#[test]
fn batch_larger_than_queue_and_batch_limit() {
    let env = Env::new(ModelConfig::minimal());
    let mut s = env.smmu(small(false, 2));
    let start = commands(&s, &env);
    let mut b = s.cmdq.batch(&s.dev);
    for i in 0..(CMDQ_BATCH_MAX as u32 * 2 + 5) {
        b.add(&cmd(i)).unwrap();
    }
    assert_eq!(b.len(), 5);
    b.sync().unwrap();
    assert_eq!(
        commands(&s, &env) - start,
        CMDQ_BATCH_MAX as u64 * 2 + 5 + 1
    );
}

#[test]
fn submit_without_sync_then_sync() {
    let env = Env::new(ModelConfig::minimal());
    let mut s = env.smmu(small(false, 3));
    let start = commands(&s, &env);
    s.cmdq.issue(&s.dev, &[cmd(1), cmd(2)], false).unwrap();
    {
        let mut b = s.cmdq.batch(&s.dev);
        b.add(&cmd(3)).unwrap();
        // Dropped: submitted without waiting.
    }
    s.cmdq.sync(&s.dev).unwrap();
    assert_eq!(commands(&s, &env) - start, 4);
    // An empty issue does nothing.
    s.cmdq.issue(&s.dev, &[], false).unwrap();
    assert_eq!(commands(&s, &env) - start, 4);
}

#[test]
fn msi_sync_writes_back_into_the_queue() {
    let env = Env::new(ModelConfig::full());
    let mut s = env.smmu(small(true, 4));
    let p = s.cmdq.prod();
    s.cmdq.sync(&s.dev).unwrap();
    let off = s.cmdq.queue().offset(p, 16);
    let w0 = s.cmdq.buf().read_u64(off).unwrap();
    assert_eq!(w0 as u32, 0, "the MSI cleared the low word of the CMD_SYNC");
    assert_eq!(w0 >> 32, 0);
    // Without MSIs in the SMMU the request is ignored.
    let env = Env::new(ModelConfig::minimal());
    let s = env.smmu(small(true, 4));
    assert!(!s.cmdq.msi_poll());
}

#[test]
fn encode_errors_are_reported_before_anything_is_written() {
    let env = Env::new(ModelConfig::full());
    let mut s = env.smmu(small(false, 3));
    let prod = s.cmdq.prod();
    let r = s.cmdq.issue(
        &s.dev,
        &[Command::CfgiCd {
            sid: 1,
            ssid: 1 << 20,
            leaf: true,
        }],
        true,
    );
    assert!(matches!(
        r,
        Err(SmmuError::Command(CmdError::OutOfRange { .. }))
    ));
    assert_eq!(s.cmdq.prod(), prod);
}

fn illegal_recovery(msi: bool, bad_last: bool) {
    let env = Env::new(ModelConfig::full());
    let mut s = env.smmu(small(msi, 3));
    let start = commands(&s, &env);
    let bad = [0xffu64, 0x1234];
    let mut b = s.cmdq.batch(&s.dev);
    b.add(&cmd(1)).unwrap();
    b.add(&cmd(2)).unwrap();
    b.add_raw(bad).unwrap();
    if !bad_last {
        b.add(&cmd(4)).unwrap();
        b.add(&cmd(5)).unwrap();
    }
    let r = b.sync();
    assert_eq!(
        r,
        Err(SmmuError::CommandSkipped {
            raw: bad,
            err: CmdqError::Illegal
        })
    );
    let good = if bad_last { 2 } else { 4 };
    // Good commands, the replacement sync and the real sync all ran.
    assert_eq!(commands(&s, &env) - start, good + 2);
    assert_eq!(env.io.smmu.borrow().stats().command_errors, 1);
    no_error(&env);
    assert_eq!(s.cmdq.prod(), s.cmdq.cons());
    // The queue works normally afterwards.
    s.cmdq.issue(&s.dev, &[cmd(7)], true).unwrap();
    assert_eq!(commands(&s, &env) - start, good + 4);
}

#[test]
fn illegal_command_is_skipped() {
    for msi in [false, true] {
        for bad_last in [false, true] {
            illegal_recovery(msi, bad_last);
        }
    }
}

#[test]
fn illegal_command_submitted_earlier_is_recovered_by_gerror_handler() {
    let env = Env::new(ModelConfig::minimal());
    let mut s = env.smmu(small(false, 3));
    // PRI_RESP without PRI is illegal on this SMMU.
    let pri = Command::PriResp {
        sid: 1,
        ssid: None,
        prgi: 3,
        resp: smmuv3::hw::cmd::PriResp::Deny,
    };
    s.cmdq.issue(&s.dev, &[pri, cmd(1)], false).unwrap();
    let g = smmuv3::hw::regs::Gerror::from_raw(env.io.peek(offsets::GERROR));
    assert!(g.cmdq_err());
    let report = s.handle_gerror().unwrap();
    assert!(report.active.cmdq_err() && !report.is_spurious());
    let rec = report.cmdq.unwrap();
    assert_eq!(rec.err, CmdqError::Illegal);
    assert_eq!(rec.skipped, Some(pri.encode().unwrap()));
    no_error(&env);
    // The command after the bad one ran once the queue restarted.
    s.cmdq.sync(&s.dev).unwrap();
    // A second call finds nothing.
    assert!(s.handle_gerror().unwrap().is_spurious());
    assert_eq!(s.cmdq.recover(&s.dev).unwrap(), None::<CmdqRecovery>);
}

#[test]
fn fetch_abort_is_retried() {
    let env = Env::new(ModelConfig::minimal());
    let mut s = env.smmu(small(false, 3));
    let base = s.cmdq.buf().dma_addr();
    env.mem.add_fault(base..base + 128);
    let mem = env.mem.clone();
    *env.delay.hook.borrow_mut() = Some(Box::new(move |us| {
        if us == 5 {
            mem.clear_faults();
        }
    }));
    let start = commands(&s, &env);
    s.cmdq.issue(&s.dev, &[cmd(1), cmd(2)], true).unwrap();
    assert_eq!(commands(&s, &env) - start, 3);
    assert!(env.io.smmu.borrow().stats().command_errors >= 1);
    no_error(&env);
}

#[test]
fn persistent_fetch_abort_gives_up() {
    let env = Env::new(ModelConfig::minimal());
    let mut s = env.smmu(small(false, 3));
    let base = s.cmdq.buf().dma_addr();
    env.mem.add_fault(base..base + 128);
    let r = s.cmdq.issue(&s.dev, &[cmd(1)], true);
    assert!(matches!(r, Err(SmmuError::CmdFetchAbort { .. })), "{r:?}");
    assert_eq!(r.unwrap_err().errno(), -5);
}

#[test]
fn sync_timeout_when_the_smmu_stops_consuming() {
    for msi in [false, true] {
        let env = Env::new(ModelConfig::full());
        let mut s = env.smmu(small(msi, 3));
        env.io.knobs.drop_cmdq_prod.set(true);
        let r = s.cmdq.issue(&s.dev, &[cmd(1)], true);
        match r {
            Err(SmmuError::SyncTimeout { sync_prod, .. }) => {
                assert_eq!(s.cmdq.queue().inc(sync_prod), s.cmdq.prod())
            }
            r => panic!("{r:?}"),
        }
        assert_eq!(r.unwrap_err().errno(), -110);
        assert!(env.delay.us.get() >= 200);
    }
}

#[test]
fn full_queue_times_out() {
    let env = Env::new(ModelConfig::minimal());
    let mut s = env.smmu(small(false, 2));
    let start = commands(&s, &env);
    // The SMMU stops consuming commands.
    let cr0 = smmuv3::hw::regs::Cr0::from_raw(env.io.peek(offsets::CR0));
    env.io.poke(offsets::CR0, cr0.with_cmdqen(false).raw());
    s.cmdq
        .issue(&s.dev, &[cmd(1), cmd(2), cmd(3)], false)
        .unwrap();
    let r = s.cmdq.issue(&s.dev, &[cmd(4), cmd(5)], false);
    assert!(matches!(r, Err(SmmuError::CmdqFull { .. })), "{r:?}");
    assert_eq!(r.unwrap_err().errno(), -110);
    // Once it consumes again, everything gets through.
    env.io.poke(offsets::CR0, cr0.raw());
    s.cmdq.issue(&s.dev, &[cmd(6)], true).unwrap();
    assert_eq!(commands(&s, &env) - start, 6);
}

#[test]
fn garbage_cons_is_an_error_not_a_hang() {
    let env = Env::new(ModelConfig::minimal());
    let mut s = env.smmu(small(false, 3));
    env.io.knobs.drop_cmdq_prod.set(true);
    // Stray bits between the wrap flag and ERR.
    env.io.knobs.cmdq_cons.set(Some(0x0000_0100));
    let r = s.cmdq.issue(&s.dev, &[cmd(1)], true);
    assert!(
        matches!(
            r,
            Err(SmmuError::BadQueuePointer {
                offset: offsets::CMDQ_CONS,
                err: QueueError::StrayBits(0x100)
            })
        ),
        "{r:?}"
    );
    // A consumer ahead of the producer.
    env.io
        .knobs
        .cmdq_cons
        .set(Some(s.cmdq.queue().advance(s.cmdq.prod(), 3)));
    let r = s.cmdq.issue(&s.dev, &[cmd(1)], true);
    assert!(
        matches!(
            r,
            Err(SmmuError::BadQueuePointer {
                err: QueueError::Inconsistent { .. },
                ..
            })
        ),
        "{r:?}"
    );
}

#[test]
fn recovery_only_acknowledges_cmdq_err() {
    let env = Env::new(ModelConfig::minimal());
    let mut s = env.smmu(small(false, 3));
    s.cmdq.issue_raw(&s.dev, &[[0xfe, 0]], false).unwrap();
    let rec = s.cmdq.recover(&s.dev).unwrap().unwrap();
    assert_eq!(rec.skipped, Some([0xfe, 0]));
    assert_eq!(rec.err, CmdqError::Illegal);
    let active = Gerror::from_raw(env.io.peek(offsets::GERROR))
        .active(Gerror::from_raw(env.io.peek(offsets::GERRORN)));
    assert_eq!(active.raw(), 0);
    // The replacement is a CMD_SYNC.
    let off = s.cmdq.queue().offset(rec.cons, 16);
    assert_eq!(
        s.cmdq.buf().read_u64(off).unwrap() & 0xff,
        u64::from(opcode::CMD_SYNC)
    );
}

#[test]
fn atc_invalidation_sync_error_is_reported_after_completion() {
    let env = Env::new(ModelConfig::full());
    let mut s = env.smmu(small(false, 4));
    env.io.knobs.atc_sync_errors.set(1);
    let r = s.cmdq.atc_inv(
        &s.dev,
        3,
        None,
        0x1000,
        0x1000,
        smmuv3::hw::range::AtcPolicy::DEFAULT,
    );
    assert_eq!(r, Err(SmmuError::AtcInvTimeout));
    assert_eq!(env.io.knobs.atc_sync_errors.get(), 0);
    assert_eq!(s.cmdq.prod(), s.cmdq.cons());
    no_error(&env);
    s.cmdq.sync(&s.dev).unwrap();
    // Repeated failures are retried until the sync timeout.
    env.io.knobs.atc_sync_errors.set(u32::MAX);
    let r = s.cmdq.sync(&s.dev);
    assert!(matches!(r, Err(SmmuError::SyncTimeout { .. })), "{r:?}");
}

#[test]
fn service_failure_disables_the_smmu() {
    let env = Env::new(ModelConfig::minimal());
    let mut s = env.smmu(small(false, 3));
    env.io.knobs.sfm.set(true);
    let report = s.handle_gerror().unwrap();
    assert!(report.service_failure && report.active.sfm_err());
    assert_eq!(report.disable, Some(Ok(())));
    assert!(!env.io.knobs.sfm.get(), "acknowledged");
    assert_eq!(env.io.peek(offsets::CR0), 0);
    // A reset brings it back.
    s.reset().unwrap();
    s.cmdq.sync(&s.dev).unwrap();
}
