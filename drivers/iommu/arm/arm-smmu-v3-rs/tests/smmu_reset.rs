// SPDX-License-Identifier: GPL-2.0

//! Probe and reset of the driver logic against the software SMMUv3.

mod smmu_common;

use smmu_common::{test_config, Env};
use smmuv3::hw::event::id;
use smmuv3::hw::regs::{offsets, Cr0, Cr1, Cr2, Gbpa, IrqCtrl, StrtabBaseCfg, StrtabFmt, Unusable};
use smmuv3::hw::ste::Ste;
use smmuv3::model::{ModelConfig, Outcome, TermCause, Transaction};
use smmuv3::smmu::error::AckReg;
use smmuv3::smmu::{CoherentBuf, Config, Device, SmmuError};

fn configs() -> [ModelConfig; 2] {
    [ModelConfig::full(), ModelConfig::minimal()]
}

#[test]
fn reset_programs_every_base_register() {
    for mc in configs() {
        let env = Env::new(mc);
        let s = env.smmu(test_config());
        let f = *s.dev.features();
        let io = &env.io;

        let cr0 = Cr0::from_raw(io.peek(offsets::CR0));
        assert!(cr0.smmuen() && cr0.cmdqen() && cr0.eventqen());
        assert_eq!(cr0.priqen(), f.pri);
        assert_eq!(cr0.atschk(), f.ats);
        assert_eq!(io.peek(offsets::CR0ACK), cr0.raw());

        assert_eq!(Cr1::from_raw(io.peek(offsets::CR1)), Cr1::coherent_wb());
        let cr2 = Cr2::from_raw(io.peek(offsets::CR2));
        assert!(cr2.recinvsid());
        assert_eq!(cr2.ptm(), f.btm, "PTM kept where the model implements it");
        assert!(!cr2.e2h());

        let base = io.smmu.borrow().read64(offsets::STRTAB_BASE);
        assert_eq!(base & 0x000f_ffff_ffff_ffc0, s.strtab.base_buf().dma_addr());
        let cfg = StrtabBaseCfg::from_raw(io.peek(offsets::STRTAB_BASE_CFG));
        assert_eq!(cfg, s.strtab.geometry().base_cfg());
        let want_fmt = if mc.two_level_strtab {
            StrtabFmt::TwoLevel
        } else {
            StrtabFmt::Linear
        };
        assert_eq!(cfg.fmt(), want_fmt);
        assert_eq!(cfg.log2size(), u32::from(mc.sidsize));

        let cmdq_base = io.smmu.borrow().read64(offsets::CMDQ_BASE);
        assert_eq!(cmdq_base & 0x000f_ffff_ffff_ffe0, s.cmdq.buf().dma_addr());
        assert_eq!(cmdq_base & 0x1f, u64::from(s.cmdq.queue().log2size()));
        let evtq_base = io.smmu.borrow().read64(offsets::EVENTQ_BASE);
        assert_eq!(evtq_base & 0x1f, u64::from(s.evtq.queue().log2size()));
        assert_eq!(s.priq.is_some(), f.pri);

        let irq = IrqCtrl::from_raw(io.peek(offsets::IRQ_CTRL));
        assert!(irq.gerror_irqen() && irq.eventq_irqen());
        assert_eq!(irq.priq_irqen(), f.pri);

        // CFGI_ALL, TLBI_NSNH_ALL (+ TLBI_EL2_ALL with HYP) and a SYNC ran.
        let stats = io.smmu.borrow().stats();
        assert_eq!(stats.commands, 3 + u64::from(f.hyp));
        assert_eq!(stats.command_errors, 0);
        assert_eq!(s.cmdq.prod(), s.cmdq.cons());
        assert_eq!(io.peek(offsets::GERROR), io.peek(offsets::GERRORN));
    }
}

#[test]
fn reset_order_enables_translation_last() {
    let env = Env::new(ModelConfig::full());
    let mut s = env.smmu_unreset(test_config());
    env.io.logging.set(true);
    s.reset().unwrap();
    let w = env.io.writes();
    let pos = |pred: &dyn Fn(&(usize, u64)) -> bool| w.iter().position(pred).unwrap();
    let gbpa = pos(&|a| a.0 == offsets::GBPA);
    let disable = pos(&|a| *a == (offsets::CR0, 0));
    let strtab = pos(&|a| a.0 == offsets::STRTAB_BASE);
    let cmdqen =
        pos(&|a| a.0 == offsets::CR0 && a.1 == Cr0::default().with_cmdqen(true).raw() as u64);
    let first_prod = pos(&|a| a.0 == offsets::CMDQ_PROD && a.1 != 0);
    let evtq = pos(&|a| a.0 == offsets::EVENTQ_BASE);
    let irq = pos(&|a| a.0 == offsets::IRQ_CTRL && a.1 != 0);
    let smmuen = pos(&|a| a.0 == offsets::CR0 && Cr0::from_raw(a.1 as u32).smmuen());
    assert!(gbpa < disable && disable < strtab && strtab < cmdqen);
    assert!(cmdqen < first_prod && first_prod < evtq && evtq < irq && irq < smmuen);
    assert_eq!(smmuen, w.iter().rposition(|a| a.0 == offsets::CR0).unwrap());
}

#[test]
fn reset_twice_and_gbpa_policy() {
    for abort in [true, false] {
        let env = Env::new(ModelConfig::minimal());
        let cfg = Config {
            gbpa_abort: abort,
            ..test_config()
        };
        let mut s = env.smmu(cfg);
        assert_eq!(Gbpa::from_raw(env.io.peek(offsets::GBPA)).abort(), abort);
        s.reset().expect("second reset of an enabled SMMU");
        assert!(Cr0::from_raw(env.io.peek(offsets::CR0)).smmuen());
        s.dev.disable().unwrap();
        // Disabled: GBPA decides.
        let out = env.io.translate(Transaction::read(1, 0x1000));
        match (abort, out) {
            (true, Outcome::Terminated(t)) => assert_eq!(t.cause, TermCause::Disabled),
            (false, Outcome::Bypass { pa }) => assert_eq!(pa, 0x1000),
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[test]
fn unattached_streams_abort_or_bypass() {
    for bypass in [false, true] {
        for mc in configs() {
            let env = Env::new(mc);
            let mut s = env.smmu(Config {
                bypass_unattached: bypass,
                ..test_config()
            });
            let out = env.io.translate(Transaction::read(5, 0x2000));
            if mc.two_level_strtab {
                // No level-2 table yet: an invalid level-1 descriptor makes
                // the STE invalid.
                match out {
                    Outcome::Terminated(t) => assert_eq!(t.cause, TermCause::Fault(id::C_BAD_STE)),
                    o => panic!("{o:?}"),
                }
                // Allocating it gives the default entry.
                let (alloc, dev) = (&env.alloc, &s.dev);
                s.strtab.ensure_l2(alloc, dev, &mut s.cmdq, 5).unwrap();
            }
            let out = env.io.translate(Transaction::read(5, 0x2000));
            match (bypass, out) {
                (false, Outcome::Terminated(t)) => assert_eq!(t.cause, TermCause::StreamAbort),
                (true, Outcome::Bypass { pa }) => assert_eq!(pa, 0x2000),
                o => panic!("{o:?}"),
            }
        }
    }
}

#[test]
fn e2h_sets_cr2_and_uses_el2_invalidation() {
    let env = Env::new(ModelConfig::full());
    let s = env.smmu(Config {
        e2h: true,
        ..test_config()
    });
    assert!(s.dev.e2h());
    assert!(Cr2::from_raw(env.io.peek(offsets::CR2)).e2h());
    assert!(s.dev.ste_caps().e2h);
    // Without HYP the request is ignored.
    let env = Env::new(ModelConfig::minimal());
    let s = env.smmu(Config {
        e2h: true,
        ..test_config()
    });
    assert!(!s.dev.e2h());
    assert!(!Cr2::from_raw(env.io.peek(offsets::CR2)).e2h());
}

#[test]
fn broadcast_tlb_clears_ptm_only_with_btm() {
    let env = Env::new(ModelConfig::full());
    let s = env.smmu(Config {
        broadcast_tlb: true,
        ..test_config()
    });
    assert!(!s.dev.cr2().ptm());
    let env = Env::new(ModelConfig::minimal());
    let s = env.smmu(Config {
        broadcast_tlb: true,
        ..test_config()
    });
    assert!(s.dev.cr2().ptm());
}

#[test]
fn cr0_ack_timeout_is_reported() {
    let env = Env::new(ModelConfig::minimal());
    let mut s = env.smmu_unreset(test_config());
    // Leave CR0 non-zero, then stop the SMMU acknowledging.
    env.io
        .poke(offsets::CR0, Cr0::default().with_eventqen(true).raw());
    env.io.knobs.drop_cr0.set(true);
    match s.reset() {
        Err(SmmuError::AckTimeout {
            reg: AckReg::Cr0,
            wanted: 0,
            got,
        }) => {
            assert_eq!(got, Cr0::default().with_eventqen(true).raw())
        }
        r => panic!("{r:?}"),
    }
    assert!(env.delay.us.get() >= 100, "waited for the timeout");
}

#[test]
fn gbpa_update_timeout_is_reported() {
    let env = Env::new(ModelConfig::minimal());
    let mut s = env.smmu_unreset(test_config());
    env.io.knobs.stuck_gbpa.set(true);
    assert!(matches!(
        s.reset(),
        Err(SmmuError::AckTimeout {
            reg: AckReg::Gbpa,
            ..
        })
    ));
}

#[test]
fn unusable_smmu_is_refused() {
    let env = Env::new(ModelConfig {
        cmdqs: 1,
        ..ModelConfig::minimal()
    });
    let r = Device::probe(&env.io, &env.delay, test_config());
    assert!(matches!(
        r,
        Err(SmmuError::Unusable(Unusable::CmdqTooSmall))
    ));
    assert_eq!(r.err().map(|e| e.errno()), Some(-19));
}

#[test]
fn queue_sizes_are_capped() {
    let env = Env::new(ModelConfig::full());
    let dev = env.device(Config {
        cmdq_max_log2: 3,
        evtq_max_log2: 2,
        priq_max_log2: 19,
        ..test_config()
    });
    assert_eq!(dev.cmdq_log2(), 3);
    assert_eq!(dev.evtq_log2(), 2);
    assert_eq!(dev.priq_log2(), u32::from(ModelConfig::full().priqs));
}

#[test]
fn allocation_failures_are_errors() {
    let env = Env::new(ModelConfig::full());
    for budget in 0..4 {
        env.alloc.budget.set(Some(budget));
        let dev = env.device(test_config());
        let l2: Vec<Option<smmu_common::HostBuf>> = (0..256).map(|_| None).collect();
        let r = smmuv3::smmu::Smmu::new(&env.alloc, dev, l2);
        assert!(matches!(r, Err(SmmuError::NoMemory(_))), "budget {budget}");
    }
    // A broken allocator returning misaligned memory is caught.
    env.alloc.budget.set(None);
    env.alloc.skew.set(8);
    let dev = env.device(test_config());
    let l2: Vec<Option<smmu_common::HostBuf>> = (0..256).map(|_| None).collect();
    let r = smmuv3::smmu::Smmu::new(&env.alloc, dev, l2);
    assert!(
        matches!(r, Err(SmmuError::BadBuffer { .. })),
        "{:?}",
        r.err()
    );
}

#[test]
fn too_few_l2_slots_is_an_error() {
    let env = Env::new(ModelConfig::full());
    let dev = env.device(test_config());
    let l2: Vec<Option<smmu_common::HostBuf>> = (0..3).map(|_| None).collect();
    let r = smmuv3::smmu::Smmu::new(&env.alloc, dev, l2);
    assert!(matches!(
        r,
        Err(SmmuError::L2SlotsTooSmall { have: 3, need: 256 })
    ));
}

#[test]
fn linear_table_is_filled_with_the_default_ste() {
    let env = Env::new(ModelConfig::minimal());
    let s = env.smmu(Config {
        bypass_unattached: true,
        ..test_config()
    });
    let want = Ste::bypass(&s.dev.ste_caps());
    for sid in [0u32, 1, 0x7fff, 0xffff] {
        assert_eq!(s.strtab.read_ste(sid).unwrap(), want);
    }
    assert!(matches!(
        s.strtab.read_ste(0x1_0000),
        Err(SmmuError::Table(_))
    ));
}
