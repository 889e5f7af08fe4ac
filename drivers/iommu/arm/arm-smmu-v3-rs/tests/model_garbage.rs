// SPDX-License-Identifier: GPL-2.0

//! Model: garbage from the driver or from memory never makes it panic
//! (the kernel builds with overflow checks; so do these tests).

mod model_common;

use model_common::*;
use proptest::prelude::*;
use smmuv3::hw::regs::{offsets as off, CmdqCons, CmdqError, REG_FRAME_SIZE};
use smmuv3::model::{
    AccessKind, AtsRequest, DmaEngine, ModelConfig, Outcome, PageRequest, Smmu, Transaction,
};
use smmuv3::testmem::SparseMem;

fn config(pick: u8) -> ModelConfig {
    let mut c = if pick & 1 == 0 {
        ModelConfig::full()
    } else {
        ModelConfig::minimal()
    };
    c.cmdqs = c.cmdqs.min(6);
    c.eventqs = c.eventqs.min(5);
    c.priqs = c.priqs.min(5);
    c.term_model = pick & 2 != 0;
    c.stall_model = match pick >> 2 & 3 {
        0 => smmuv3::hw::regs::StallModel::StallAndTerminate,
        1 => smmuv3::hw::regs::StallModel::TerminateOnly,
        2 => smmuv3::hw::regs::StallModel::StallForced,
        _ => smmuv3::hw::regs::StallModel::Reserved(3),
    };
    c
}

fn txn(sid: u32, ssid: Option<u32>, addr: u64, k: u8) -> Transaction {
    Transaction {
        sid,
        ssid,
        addr,
        kind: match k % 3 {
            0 => AccessKind::Read,
            1 => AccessKind::Write,
            _ => AccessKind::Exec,
        },
        privileged: k & 4 != 0,
        pri: k & 8 != 0,
    }
}

/// Exercises every entry point once.
fn poke_everything<
    const A: usize,
    const B: usize,
    const C: usize,
    const D: usize,
    const E: usize,
>(
    s: &mut Smmu<A, B, C, D, E>,
    mem: &SparseMem,
    sid: u32,
    ssid: Option<u32>,
    addr: u64,
    k: u8,
) {
    let t = txn(sid, ssid, addr, k);
    if let Outcome::Stalled { stag } = s.translate(mem, &t) {
        let _ = s.stall_result(sid, stag);
    }
    let _ = s.translated_access(mem, &t);
    let req = AtsRequest {
        sid,
        ssid,
        addr,
        privileged: k & 4 != 0,
        exec: k & 16 != 0,
        no_write: k & 32 != 0,
    };
    let _ = s.ats_translate(mem, &req);
    let _ = s.atc_lookup(sid, ssid, addr);
    let pr = PageRequest {
        sid,
        ssid,
        addr,
        read: true,
        write: k & 1 != 0,
        exec: false,
        privileged: false,
    };
    if let Ok(prgi) = s.page_request(mem, &pr) {
        let _ = s.pri_result(sid, prgi);
    }
    let mut dev = DmaEngine::new(sid, ssid);
    dev.pri = k & 8 != 0;
    dev.ats = k & 64 != 0;
    let mut buf = [0u8; 300];
    let _ = dev.read(s, mem, addr, &mut buf);
    let _ = dev.write(s, mem, addr.wrapping_add(4000), &buf);
    let _ = s.broadcast_tlbi(smmuv3::model::BroadcastTlbi::Vaa {
        el2: k & 1 != 0,
        va: addr,
    });
    let _ = s.occupancy();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Random commands, interleaved with error acknowledgements and
    /// traffic.
    #[test]
    fn random_commands(
        pick in any::<u8>(),
        cmds in prop::collection::vec((any::<u64>(), any::<u64>(), any::<u8>()), 1..40),
    ) {
        let mem = SparseMem::new();
        let mut r = rig(&mem, config(pick));
        for (w0, w1, op) in cmds {
            // Bias towards real opcodes.
            let w0 = if op & 1 == 0 { (w0 & !0xff) | u64::from(op >> 1 & 0x47) } else { w0 };
            let cons = CmdqCons::from_raw(r.r32(off::CMDQ_CONS));
            if cons.err() != CmdqError::None {
                prop_assert!(matches!(cons.err(), CmdqError::Illegal | CmdqError::Abort));
                // Skip it the way Linux does: overwrite with CMD_SYNC.
                let q = r.cmdq_queue();
                let pa = CMDQ_BASE + q.offset(cons.rd(), 16) as u64;
                mem.poke_u64(pa, 0x46);
                mem.poke_u64(pa + 8, 0);
                let g = r.r32(off::GERROR);
                r.smmu.write32(&mem, off::GERRORN, g);
            }
            r.raw_cmd([w0, w1]);
            poke_everything(&mut r.smmu, &mem, (w1 & 0xff) as u32, None, w1, op);
        }
    }

    /// Random STE and CD contents, in linear and 2-level tables.
    #[test]
    fn random_ste_and_cd(
        pick in any::<u8>(),
        ste in prop::array::uniform8(any::<u64>()),
        cd in prop::array::uniform8(any::<u64>()),
        l1 in any::<u64>(),
        sid in 0u32..512,
        ssid in prop::option::of(0u32..(1 << 20)),
        addr in any::<u64>(),
        k in any::<u8>(),
    ) {
        let mem = SparseMem::new();
        let mut r = rig(&mem, config(pick & !1));
        let mut ste = ste;
        if k & 1 != 0 {
            // A plausible S1 STE pointing at a plausible CD table.
            let base = r.alloc(4096, 4096);
            ste[0] = (ste[0] & !(0xf | 0x000f_ffff_ffff_ffc0)) | 0b1011 | base;
            mem.poke_u64(base, l1);
            for (i, q) in cd.iter().enumerate() {
                mem.poke_u64(base + 8 * i as u64, *q);
            }
        }
        r.write_ste(sid, &smmuv3::hw::ste::Ste(ste));
        r.cmd(smmuv3::hw::cmd::Command::CfgiAll);
        r.sync();
        for a in [addr, addr & 0xffff_ffff_f000, 0] {
            poke_everything(&mut r.smmu, &mem, sid, ssid, a, k);
        }
    }

    /// Random register writes over memory full of garbage.
    #[test]
    fn random_registers_and_memory(
        pick in any::<u8>(),
        seed in any::<u64>(),
        writes in prop::collection::vec((0usize..0x2_0010, any::<u64>(), any::<bool>()), 1..60),
        sid in any::<u32>(),
        addr in any::<u64>(),
        k in any::<u8>(),
    ) {
        let mem = SparseMem::with_random_fill(seed);
        let mut s: Smmu<4, 4, 2, 2, 2> = Smmu::new(config(pick));
        for (o, v, wide) in writes {
            // Keep queue bases in a small window so the sparse memory stays
            // small, and mostly aligned offsets.
            let o = o & !3;
            let v = if o == off::CMDQ_BASE || o == off::EVENTQ_BASE || o == off::PRIQ_BASE {
                v & 0xff_ffff
            } else {
                v
            };
            if wide {
                s.write64(&mem, o, v);
            } else {
                s.write32(&mem, o, v as u32);
            }
            let _ = s.read32(o % REG_FRAME_SIZE);
            poke_everything(&mut s, &mem, sid, None, addr, k);
        }
    }
}

#[test]
fn zero_capacity_model() {
    let mem = SparseMem::new();
    let mut r: Rig<'_, 0, 0, 0, 0, 0> = Rig::new(&mem, ModelConfig::full());
    let mut pt = tables(&mem, PT_POOL);
    pt.map_page(0x1000, DATA, RW);
    r.attach_cd_table(1, 0, false, SteOpts::default());
    r.set_cd(1, 0, &cd_for(1, &pt, false));
    assert_eq!(pa_of(r.read(1, None, 0x1000)), DATA);
    assert!(matches!(r.read(1, None, 0x9000), Outcome::Terminated(_)));
    for k in 0..=255u8 {
        poke_everything(&mut r.smmu, &mem, 1, Some(3), 0x1000 + u64::from(k), k);
    }
}
