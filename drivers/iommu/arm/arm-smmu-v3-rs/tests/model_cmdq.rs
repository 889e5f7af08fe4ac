// SPDX-License-Identifier: GPL-2.0

//! Model: command queue consumption and errors, CMD_SYNC completion
//! signals, event queue overflow and interrupts.

mod model_common;

use model_common::*;
use smmuv3::hw::cmd::{Command, SyncCmd, TlbiVa};
use smmuv3::hw::regs::{offsets as off, CmdqCons, CmdqError, Gerror};
use smmuv3::hw::ste::Ste;
use smmuv3::model::{ModelConfig, Outcome};
use smmuv3::testmem::SparseMem;

fn gerror_active(r: &Rig<'_>) -> Gerror {
    Gerror::from_raw(r.r32(off::GERROR)).active(Gerror::from_raw(r.r32(off::GERRORN)))
}

fn ack_gerror(r: &mut Rig<'_>) {
    let active = gerror_active(r);
    let n = Gerror::from_raw(r.r32(off::GERRORN)).acknowledge(active);
    r.smmu.write32(r.mem, off::GERRORN, n.raw());
}

#[test]
fn cerror_ill_recovery() {
    let mem = SparseMem::new();
    let mut r = rig(&mem, ModelConfig::full());
    r.bypass(1);
    r.bypass(2);
    assert!(matches!(r.read(1, None, 0), Outcome::Bypass { .. }));
    assert!(matches!(r.read(2, None, 0), Outcome::Bypass { .. }));
    r.write_ste(1, &Ste::abort());
    r.write_ste(2, &Ste::abort());
    let gerror_irqs = r.smmu.irqs().gerror;
    let q = r.cmdq_queue();
    let bad_at = r.cmdq_prod();
    // A bad opcode between two good commands.
    r.raw_cmd([0xff, 0]);
    r.cmd(Command::CfgiSte { sid: 1, leaf: true });
    r.cmd(Command::CfgiSte { sid: 2, leaf: true });
    let cons = CmdqCons::from_raw(r.r32(off::CMDQ_CONS));
    assert_eq!(cons.err(), CmdqError::Illegal);
    assert_eq!(cons.rd(), bad_at);
    assert!(gerror_active(&r).cmdq_err());
    assert_eq!(r.smmu.irqs().gerror, gerror_irqs + 1);
    // Nothing after the bad command ran.
    assert!(matches!(r.read(1, None, 0), Outcome::Bypass { .. }));
    // More PROD writes do not restart the queue.
    r.cmd(Command::Sync(SyncCmd::none()));
    assert_eq!(CmdqCons::from_raw(r.r32(off::CMDQ_CONS)).rd(), bad_at);
    // The driver skips the bad command by replacing it with a CMD_SYNC,
    // then acknowledges: consumption restarts at CONS.
    let sync = Command::Sync(SyncCmd::none()).encode().unwrap();
    let pa = CMDQ_BASE + q.offset(bad_at, 16) as u64;
    mem.poke_u64(pa, sync[0]);
    mem.poke_u64(pa + 8, sync[1]);
    ack_gerror(&mut r);
    assert_eq!(r.r32(off::CMDQ_CONS), r.cmdq_prod());
    assert!(matches!(r.read(1, None, 0), Outcome::Terminated(_)));
    assert!(matches!(r.read(2, None, 0), Outcome::Terminated(_)));
    assert_eq!(r.smmu.stats().command_errors, 1);
}

#[test]
fn unsupported_commands_are_illegal() {
    let ill = |cfg: ModelConfig, cmd: [u64; 2]| {
        let mem = SparseMem::new();
        let mut r = rig(&mem, cfg);
        r.raw_cmd(cmd);
        CmdqCons::from_raw(r.r32(off::CMDQ_CONS)).err()
    };
    let enc = |c: Command| c.encode().unwrap();
    let min = ModelConfig::minimal();
    let full = ModelConfig::full();
    let atc = enc(Command::AtcInv {
        sid: 0,
        ssid: None,
        global: false,
        size: 0,
        addr: 0,
    });
    assert_eq!(ill(min, atc), CmdqError::Illegal);
    assert_eq!(ill(full, atc), CmdqError::None);
    assert_eq!(ill(min, enc(Command::TlbiEl2All)), CmdqError::Illegal);
    assert_eq!(ill(full, enc(Command::TlbiEl2All)), CmdqError::None);
    assert_eq!(ill(full, enc(Command::TlbiEl3All)), CmdqError::Illegal);
    assert_eq!(
        ill(full, enc(Command::TlbiS12Vmall { vmid: 0 })),
        CmdqError::Illegal
    );
    assert_eq!(
        ill(min, enc(Command::StallTerm { sid: 0 })),
        CmdqError::Illegal
    );
    // SSec set, reserved CS, SubstreamID beyond SSIDSIZE.
    let mut w = enc(Command::CfgiSte { sid: 0, leaf: true });
    w[0] |= 1 << 10;
    assert_eq!(ill(full, w), CmdqError::Illegal);
    let mut w = enc(Command::Sync(SyncCmd::none()));
    w[0] |= 3 << 12;
    assert_eq!(ill(full, w), CmdqError::Illegal);
    let cd = enc(Command::CfgiCd {
        sid: 0,
        ssid: 1,
        leaf: true,
    });
    assert_eq!(ill(min, cd), CmdqError::Illegal);
    assert_eq!(ill(full, cd), CmdqError::None);
}

#[test]
fn command_fetch_abort() {
    let mem = SparseMem::new();
    let mut r = rig(&mem, ModelConfig::full());
    let q = r.cmdq_queue();
    let pa = CMDQ_BASE + q.offset(r.cmdq_prod(), 16) as u64;
    mem.add_fault(pa..pa + 16);
    r.cmd(Command::CfgiAll);
    assert_eq!(
        CmdqCons::from_raw(r.r32(off::CMDQ_CONS)).err(),
        CmdqError::Abort
    );
    mem.clear_faults();
    ack_gerror(&mut r);
    assert_eq!(r.r32(off::CMDQ_CONS), r.cmdq_prod());
}

#[test]
fn queue_wraps() {
    let mem = SparseMem::new();
    let mut r = rig(&mem, ModelConfig::full());
    let before = r.smmu.stats().commands;
    for i in 0..600u64 {
        r.cmd(Command::TlbiNhVaa {
            vmid: 0,
            va: TlbiVa::single(i << 12, true),
        });
    }
    r.sync();
    assert_eq!(r.smmu.stats().commands - before, 601);
}

#[test]
fn sync_msi_and_sev() {
    let mem = SparseMem::new();
    let mut r = rig(&mem, ModelConfig::full());
    mem.poke_u64(MSI_ADDR, u64::MAX);
    r.cmd(Command::Sync(SyncCmd::msi(MSI_ADDR, 0x1234_5678)));
    assert_eq!(
        mem.peek_u64(MSI_ADDR),
        0xffff_ffff_1234_5678,
        "32-bit write"
    );
    assert_eq!(r.smmu.irqs().cmd_sync, 1);
    r.cmd(Command::Sync(SyncCmd::sev()));
    assert_eq!(r.smmu.irqs().sev, 1);
    // An MSI write that aborts is a global error, not a command error.
    mem.add_fault(MSI_ADDR..MSI_ADDR + 4);
    r.cmd(Command::Sync(SyncCmd::msi(MSI_ADDR, 1)));
    assert!(gerror_active(&r).msi_cmdq_abt_err());
    assert_eq!(r.r32(off::CMDQ_CONS), r.cmdq_prod());
    // Without MSI support the completion is only counted.
    let mem = SparseMem::new();
    let mut r = rig(&mem, ModelConfig::minimal());
    r.cmd(Command::Sync(SyncCmd::msi(MSI_ADDR, 7)));
    assert_eq!(mem.peek_u64(MSI_ADDR), 0);
    assert_eq!(r.smmu.irqs().cmd_sync, 1);
}

#[test]
fn event_queue_overflow_flag() {
    let mem = SparseMem::new();
    let cfg = ModelConfig {
        eventqs: 2,
        ..ModelConfig::full()
    };
    let mut r = rig(&mem, cfg);
    let irqs = r.smmu.irqs().eventq;
    for sid in 0..4 {
        r.read(0x100 + sid, None, 0);
    }
    assert!(!r.evtq_overflowed());
    // Only the empty -> non-empty transition interrupts.
    assert_eq!(r.smmu.irqs().eventq, irqs + 1);
    r.read(0x200, None, 0);
    assert!(r.evtq_overflowed());
    let prod = r.r32(off::EVENTQ_PROD);
    r.read(0x201, None, 0);
    assert_eq!(r.r32(off::EVENTQ_PROD), prod, "toggled once");
    assert_eq!(r.smmu.stats().events_lost, 2);
    let ev = r.events();
    assert_eq!(ev.len(), 4);
    assert!(!r.evtq_overflowed());
    for sid in 0..5 {
        r.read(0x300 + sid, None, 0);
    }
    assert!(r.evtq_overflowed(), "overflows again after the ack");
}

#[test]
fn eventq_and_gerror_msis() {
    let mem = SparseMem::new();
    let mut r = rig(&mem, ModelConfig::full());
    r.smmu.write64(&mem, off::EVENTQ_IRQ_CFG0, MSI_ADDR);
    r.smmu.write32(&mem, off::EVENTQ_IRQ_CFG1, 0xabcd);
    r.smmu.write64(&mem, off::GERROR_IRQ_CFG0, MSI_ADDR + 8);
    r.smmu.write32(&mem, off::GERROR_IRQ_CFG1, 0x9999);
    r.read(0x55, None, 0);
    assert_eq!(mem.peek_u64(MSI_ADDR) as u32, 0xabcd);
    r.raw_cmd([0, 0]);
    assert_eq!(mem.peek_u64(MSI_ADDR + 8) as u32, 0x9999);
    assert_eq!(r.smmu.irqs().msi_writes, 2);
}
