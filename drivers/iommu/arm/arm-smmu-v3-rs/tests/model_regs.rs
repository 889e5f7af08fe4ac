// SPDX-License-Identifier: GPL-2.0

//! Model: the register file.

use smmuv3::hw::regs::{
    offsets as off, Cr0, Features, Httu, IdRegs, Idr0, Idr1, Idr3, Idr5, StallModel, REG_FRAME_SIZE,
};
use smmuv3::model::{DefaultSmmu, ModelConfig};
use smmuv3::testmem::SparseMem;

fn read_ids(s: &DefaultSmmu) -> Features {
    Features::decode(&IdRegs {
        idr0: Idr0::from_raw(s.read32(off::IDR0)),
        idr1: Idr1::from_raw(s.read32(off::IDR1)),
        idr3: Idr3::from_raw(s.read32(off::IDR3)),
        idr5: Idr5::from_raw(s.read32(off::IDR5)),
        iidr: Default::default(),
        aidr: smmuv3::hw::regs::Aidr::from_raw(s.read32(off::AIDR)),
    })
}

#[test]
fn id_registers_describe_the_config() {
    let s = DefaultSmmu::new(ModelConfig::full());
    let f = read_ids(&s);
    assert_eq!(f, s.features());
    assert!(f.two_level_strtab() && f.cd2l && f.pri && f.ats && f.ril && f.btm);
    assert!(f.msi && f.hyp && f.asid16 && f.s1p && !f.s2p);
    assert_eq!(f.httu, Httu::AccessDirty);
    assert_eq!((f.sidsize, f.ssidsize), (16, 20));
    assert_eq!(f.stall_model, StallModel::StallAndTerminate);
    assert_eq!(f.oas_bits(), Some(48));
    assert_eq!(f.check_usable(6), Ok(()));
    let m = read_ids(&DefaultSmmu::new(ModelConfig::minimal()));
    assert!(!m.two_level_strtab() && !m.pri && !m.ats && !m.stalls());
    assert_eq!(m.ssidsize, 0);
    // Out-of-range sizes are clamped; STALL_MAX is capped to the table.
    let s = DefaultSmmu::new(ModelConfig {
        sidsize: 60,
        ssidsize: 31,
        cmdqs: 31,
        stall_max: 60_000,
        ..ModelConfig::full()
    });
    let f = read_ids(&s);
    assert_eq!((f.sidsize, f.ssidsize, f.cmdqs), (32, 20, 19));
    assert_eq!(f.stall_max, 16);
}

#[test]
fn unknown_offsets_are_raz_wi() {
    let mem = SparseMem::new();
    let mut s = DefaultSmmu::new(ModelConfig::full());
    for o in [0x30usize, 0x100, 0xfffc, 0x1_0000, 0x1_00a0, 0x1_fffc] {
        s.write32(&mem, o, u32::MAX);
        assert_eq!(s.read32(o), 0, "offset {o:#x}");
    }
    // Page-0 offsets of the page-1 registers are not aliases.
    s.write32(&mem, 0xa8, 5);
    assert_eq!(s.read32(0xa8), 0);
    // Misaligned and beyond the frame.
    assert_eq!(s.read32(off::IDR0 + 1), 0);
    assert_eq!(s.read32(REG_FRAME_SIZE), 0);
    assert_eq!(s.read64(usize::MAX - 3), 0);
    s.write64(&mem, usize::MAX - 3, u64::MAX);
    // IDRs are read-only.
    let idr0 = s.read32(off::IDR0);
    s.write32(&mem, off::IDR0, 0);
    assert_eq!(s.read32(off::IDR0), idr0);
}

#[test]
fn cr0_ack_and_masks() {
    let mem = SparseMem::new();
    let mut s = DefaultSmmu::new(ModelConfig::minimal());
    s.write32(&mem, off::CR0, u32::MAX);
    // No PRI (PRIQEN) and no ATS (ATSCHK) on this SMMU.
    let want = Cr0::from_raw(0)
        .with_smmuen(true)
        .with_cmdqen(true)
        .with_eventqen(true)
        .raw();
    assert_eq!(s.read32(off::CR0), want);
    assert_eq!(s.read32(off::CR0ACK), want);
    s.write32(&mem, off::IRQ_CTRL, u32::MAX);
    assert_eq!(s.read32(off::IRQ_CTRLACK), 0b101);
}

#[test]
fn sixty_four_bit_registers() {
    let mem = SparseMem::new();
    let mut s = DefaultSmmu::new(ModelConfig::full());
    s.write64(&mem, off::STRTAB_BASE, 0x1234_5678_9ac0 | (1 << 62) | 0x3f);
    assert_eq!(s.read64(off::STRTAB_BASE), 0x1234_5678_9ac0 | (1 << 62));
    s.write32(&mem, off::CMDQ_BASE, 0x8000_0008);
    s.write32(&mem, off::CMDQ_BASE + 4, 0x12);
    assert_eq!(s.read64(off::CMDQ_BASE), 0x12_8000_0008);
    assert_eq!(s.read32(off::CMDQ_BASE + 4), 0x12);
    // Base registers cannot change while their unit is enabled.
    s.write32(&mem, off::CR0, Cr0::from_raw(0).with_cmdqen(true).raw());
    s.write64(&mem, off::CMDQ_BASE, 0);
    s.write32(&mem, off::CMDQ_CONS, 9);
    assert_eq!(s.read64(off::CMDQ_BASE), 0x12_8000_0008);
    assert_eq!(s.read32(off::CMDQ_CONS), 0);
    assert_eq!(s.stats().ignored_writes, 2);
}

#[test]
fn page1_queue_pointers() {
    let mem = SparseMem::new();
    let mut s = DefaultSmmu::new(ModelConfig::full());
    s.write32(&mem, off::EVENTQ_PROD, 0x8000_0003);
    s.write32(&mem, off::EVENTQ_CONS, 0x8000_0002);
    s.write32(&mem, off::PRIQ_PROD, 7);
    assert_eq!(s.read32(off::EVENTQ_PROD), 0x8000_0003);
    assert_eq!(s.read32(off::EVENTQ_CONS), 0x8000_0002);
    assert_eq!(s.read32(off::PRIQ_PROD), 7);
    // SMMU-owned PROD registers are read-only while enabled.
    s.write32(&mem, off::CR0, Cr0::from_raw(0).with_eventqen(true).raw());
    s.write32(&mem, off::EVENTQ_PROD, 0);
    assert_eq!(s.read32(off::EVENTQ_PROD), 0x8000_0003);
}

#[test]
fn reset_restores_everything() {
    let mem = SparseMem::new();
    let mut s = DefaultSmmu::new(ModelConfig {
        gbpa_abort_at_reset: true,
        ..ModelConfig::full()
    });
    assert_eq!(s.read32(off::GBPA), 1 << 20);
    s.write32(&mem, off::GBPA, 1 << 31);
    s.write32(&mem, off::CR0, 1);
    s.reset();
    assert_eq!(s.read32(off::CR0), 0);
    assert_eq!(s.read32(off::GBPA), 1 << 20);
}

#[test]
fn built_in_place_matches_new() {
    let cfg = ModelConfig {
        btm: false,
        ..ModelConfig::full()
    };
    let mut slot = Box::new(core::mem::MaybeUninit::<DefaultSmmu>::uninit());
    let s = DefaultSmmu::new_in(&mut slot, cfg);
    let n = DefaultSmmu::new(cfg);
    assert_eq!(read_ids(s), read_ids(&n));
    assert_eq!(s.features(), n.features());
    assert!(!s.features().btm);
    for o in (0..REG_FRAME_SIZE).step_by(4) {
        assert_eq!(s.read32(o), n.read32(o), "register at {o:#x}");
    }
    assert_eq!(s.occupancy(), n.occupancy());
    assert_eq!(s.stats(), n.stats());
}
