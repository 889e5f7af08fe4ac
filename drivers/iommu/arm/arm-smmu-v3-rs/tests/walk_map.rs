// SPDX-License-Identifier: GPL-2.0

//! Walker mappings: pages and blocks at every level that allows them, for
//! every granule and number of levels; reserved encodings; Address size
//! faults; external aborts; and the describe trace.

mod walk_common;

use smmuv3::hw::mem::PhysMem;
use smmuv3::hw::walk::{desc, describe, walk, Access, DescKind, FaultKind, Granule, WalkConfig};
use smmuv3::testmem::{SparseMem, TableBuilder};
use walk_common::*;

/// Levels at which a block is architecturally allowed (48-bit OA).
fn block_levels(g: Granule) -> &'static [u8] {
    match g {
        Granule::K4 => &[1, 2],
        Granule::K16 => &[2],
        Granule::K64 => &[2],
    }
}

#[test]
fn page_at_level_3_for_every_shape() {
    for s in SHAPES {
        let mem = SparseMem::new();
        let mut b = builder(&mem, s);
        assert_eq!(b.geometry().start_level(), s.start_level);
        let ia = 64 - u32::from(s.t0sz);
        let va = busy_va(ia);
        let pa = 0x0000_8765_4321_0000 & !(s.granule.size() - 1);
        let at = b.map_page(va, pa, TableBuilder::LEAF);
        let cfg = b.config();
        let t = ok(walk(&mem, &cfg, &Access::read(va).privileged()));
        assert_eq!(t.level, 3);
        assert_eq!(t.size_shift, s.granule.shift());
        assert_eq!(
            t.oa,
            pa | (va & (s.granule.size() - 1)),
            "{:?} T0SZ {}",
            s.granule,
            s.t0sz
        );
        assert_eq!(t.base(), pa);
        assert_eq!(t.desc_pa, at);
        assert!(!t.hw_updated);

        let trace = describe(&mem, &cfg, &Access::read(va).privileged());
        let steps = trace.steps();
        assert_eq!(steps.len(), usize::from(4 - s.start_level));
        for (i, st) in steps.iter().enumerate() {
            assert_eq!(usize::from(st.level), usize::from(s.start_level) + i);
            assert_eq!(st.desc, mem.peek_u64(st.desc_pa));
            assert_eq!(st.desc_pa, st.table_pa + st.index * 8);
            let want = if st.level == 3 {
                DescKind::Page
            } else {
                DescKind::Table
            };
            assert_eq!(st.kind, want);
        }
        assert_eq!(steps[0].table_pa, b.root());
        assert_eq!(trace.result, Ok(t));
        assert_eq!(trace.geometry, Some(b.geometry()));
    }
}

#[test]
fn blocks_at_every_allowed_level() {
    for s in SHAPES {
        for &level in block_levels(s.granule) {
            if level < s.start_level {
                continue;
            }
            let mem = SparseMem::new();
            let mut b = builder(&mem, s);
            let ia = 64 - u32::from(s.t0sz);
            let va = busy_va(ia);
            let shift = b.geometry().level_shift(level);
            let pa = 0x0000_a5a5_a5a5_a5a5 & !((1u64 << shift) - 1);
            b.map(va, pa, level, TableBuilder::LEAF);
            let cfg = b.config();
            let t = ok(walk(&mem, &cfg, &Access::write(va).privileged()));
            assert_eq!((t.level, t.size_shift), (level, shift));
            assert_eq!(t.oa, pa | (va & ((1 << shift) - 1)));
            let trace = describe(&mem, &cfg, &Access::read(va).privileged());
            assert_eq!(trace.steps().last().unwrap().kind, DescKind::Block);
        }
    }
}

#[test]
fn block_sizes() {
    let sizes = [
        (Granule::K4, 1, 30),
        (Granule::K4, 2, 21),
        (Granule::K16, 2, 25),
        (Granule::K64, 2, 29),
        (Granule::K64, 1, 42),
    ];
    for (g, level, shift) in sizes {
        let geo = WalkConfig::new(0, g, 16).geometry().unwrap();
        assert_eq!(geo.level_shift(level), shift);
    }
}

/// Block encodings where the granule has no blocks are Translation faults at
/// that level; so is the block encoding at level 3.
#[test]
fn reserved_block_positions() {
    for s in SHAPES {
        for level in s.start_level..=3 {
            if level < 3 && block_levels(s.granule).contains(&level) {
                continue;
            }
            if s.granule == Granule::K64 && level == 1 {
                continue; // covered below: depends on LPA
            }
            let mem = SparseMem::new();
            let mut b = builder(&mem, s);
            let va = busy_va(64 - u32::from(s.t0sz));
            b.set_desc(
                va,
                level,
                0x4000_0000 | TableBuilder::LEAF | desc::TYPE_BLOCK,
            );
            let cfg = b.config();
            let res = walk(&mem, &cfg, &Access::read(va).privileged());
            assert_fault(res, FaultKind::Translation, level);
            let trace = describe(&mem, &cfg, &Access::read(va));
            assert_eq!(trace.steps().last().unwrap().kind, DescKind::Reserved);
        }
    }
}

/// 64KB level 1 blocks (4TB) need a 52-bit OAS (FEAT_LPA).
#[test]
fn k64_level1_block_needs_lpa() {
    let mem = SparseMem::new();
    let mut b = TableBuilder::new(&mem, Granule::K64, 16, POOL);
    let va = 0x0000_9876_5432_1000;
    b.map(va, 0x0000_4000_0000_0000, 1, TableBuilder::LEAF);
    let mut cfg = b.config();
    assert_fault(
        walk(&mem, &cfg, &Access::read(va).privileged()),
        FaultKind::Translation,
        1,
    );
    cfg.oas = 6;
    let t = ok(walk(&mem, &cfg, &Access::read(va).privileged()));
    assert_eq!((t.level, t.size_shift), (1, 42));
    assert_eq!(t.oa, 0x0000_4000_0000_0000 | (va & ((1 << 42) - 1)));
}

/// 52-bit VA and PA with the 64KB granule: OA bits 51:48 live in
/// descriptor bits 15:12, for tables and leaves.
#[test]
fn k64_52_bit_addresses() {
    let mem = SparseMem::new();
    let mut cfg = WalkConfig::new(0, Granule::K64, 12);
    cfg.vax = true;
    cfg.oas = 6;
    cfg.ips = 6;
    let mut b = TableBuilder::with_config(&mem, cfg, POOL);
    let va = 0x000f_1234_5678_9abc;
    let pa_hi = 0xc_u64; // PA bits 51:48
    let at = b.map_page(va, 0x0000_1111_2222_0000, TableBuilder::LEAF);
    let d = mem.peek_u64(at);
    mem.poke_u64(at, d | (pa_hi << 12));
    let cfg = b.config();
    let t = ok(walk(&mem, &cfg, &Access::read(va).privileged()));
    assert_eq!(t.oa, 0x000c_1111_2222_9abc);

    // Move the level 3 table above 2^48: the level 2 descriptor carries the
    // high bits.
    let l2 = b.entry_pa(va, 2);
    let table = mem.peek_u64(l2) & desc::ADDR_MASK;
    let high_table = (0x3u64 << 48) | table;
    for off in (0..0x1_0000u64).step_by(8) {
        mem.poke_u64(high_table + off, mem.peek_u64(table + off));
    }
    mem.poke_u64(l2, table | (0x3 << 12) | desc::TYPE_TABLE);
    let trace = describe(&mem, &cfg, &Access::read(va).privileged());
    assert_eq!(trace.steps()[2].table_pa, high_table);
    assert_eq!(ok(trace.result).oa, 0x000c_1111_2222_9abc);

    // With a 48-bit IPS the same tables are out of range.
    let mut small = cfg;
    small.ips = 5;
    assert_fault(
        walk(&mem, &small, &Access::read(va).privileged()),
        FaultKind::AddressSize,
        2,
    );
}

#[test]
fn invalid_descriptor_at_each_level() {
    for s in SHAPES {
        for level in s.start_level..=3 {
            for bad in [0u64, 0xffff_ffff_ffff_fffe, desc::TYPE_BLOCK ^ 1 | 0x2] {
                let mem = SparseMem::new();
                let mut b = builder(&mem, s);
                let va = busy_va(64 - u32::from(s.t0sz));
                b.map_page(va, 0x5000_0000, TableBuilder::LEAF);
                b.set_desc(va, level, bad);
                let res = walk(&mem, &b.config(), &Access::read(va).privileged());
                assert_fault(res, FaultKind::Translation, level);
            }
        }
    }
}

#[test]
fn output_address_size_faults() {
    for s in SHAPES {
        let mem = SparseMem::new();
        let mut b = builder(&mem, s);
        b.config_mut().ips = 2; // 40 bits
        let va = busy_va(64 - u32::from(s.t0sz));
        let at = b.map_page(va, 1 << 40, TableBuilder::LEAF);
        let cfg = b.config();
        assert_fault(
            walk(&mem, &cfg, &Access::read(va).privileged()),
            FaultKind::AddressSize,
            3,
        );
        b.map_page(va, (1 << 40) - s.granule.size(), TableBuilder::LEAF);
        assert!(walk(&mem, &cfg, &Access::read(va).privileged()).is_ok());
        // Reserved bits 49:48 of a leaf count as address bits.
        let d = mem.peek_u64(at);
        mem.poke_u64(at, d | (1 << 48));
        assert_fault(
            walk(&mem, &cfg, &Access::read(va).privileged()),
            FaultKind::AddressSize,
            3,
        );
        mem.poke_u64(at, d);

        // Table descriptors: an address beyond the output size, or a
        // reserved bit 51:48, faults at the level of the table descriptor.
        for level in s.start_level..3 {
            let tp = b.entry_pa(va, level);
            let td = mem.peek_u64(tp);
            for evil in [(td & !desc::ADDR_MASK) | (1 << 41), td | (1 << 51)] {
                mem.poke_u64(tp, evil);
                let res = walk(&mem, &cfg, &Access::read(va).privileged());
                assert_fault(res, FaultKind::AddressSize, level);
            }
            mem.poke_u64(tp, td);
        }
    }
}

/// DBM (bit 51) and GP (bit 50) are attributes, not address bits, in
/// leaves.
#[test]
fn leaf_bits_51_50_are_not_address() {
    let mem = SparseMem::new();
    let mut b = TableBuilder::new(&mem, Granule::K4, 16, POOL);
    b.map_page(0x4000, 0x8000, TableBuilder::LEAF | desc::DBM | desc::GP);
    let t = ok(walk(&mem, &b.config(), &Access::read(0x4000).privileged()));
    assert_eq!(t.oa, 0x8000);
    assert!(t.attrs.dbm && t.attrs.gp);
}

#[test]
fn external_abort_at_each_level() {
    for s in SHAPES {
        let mem = SparseMem::new();
        let mut b = builder(&mem, s);
        let va = busy_va(64 - u32::from(s.t0sz));
        b.map_page(va, 0x5000_0000, TableBuilder::LEAF);
        let cfg = b.config();
        for level in s.start_level..=3 {
            let at = b.entry_pa(va, level);
            mem.add_fault(at..at + 8);
            let res = walk(&mem, &cfg, &Access::read(va).privileged());
            assert_fault(res, FaultKind::ExternalAbort { pa: at }, level);
            let trace = describe(&mem, &cfg, &Access::read(va).privileged());
            assert_eq!(trace.steps().len(), usize::from(level - s.start_level));
            mem.clear_faults();
        }
        // A neighbouring entry failing does not matter.
        let at = b.entry_pa(va, 3);
        mem.add_fault(at + 8..at + 16);
        assert!(walk(&mem, &cfg, &Access::read(va).privileged()).is_ok());
    }
}

/// The walker reads exactly one descriptor per level and writes nothing
/// when no hardware update is needed.
#[test]
fn access_counts() {
    for s in SHAPES {
        let mem = SparseMem::new();
        let mut b = builder(&mem, s);
        let va = busy_va(64 - u32::from(s.t0sz));
        b.map_page(va, 0x5000_0000, TableBuilder::LEAF);
        mem.reset_stats();
        ok(walk(&mem, &b.config(), &Access::write(va).privileged()));
        let st = mem.stats();
        assert_eq!(st.reads, u64::from(4 - s.start_level));
        assert_eq!((st.writes, st.cas), (0, 0));
    }
}

/// The walker works through `dyn PhysMem` too.
#[test]
fn walk_through_dyn() {
    let mem = SparseMem::new();
    let mut b = TableBuilder::new(&mem, Granule::K16, 16, POOL);
    b.map_page(0x1234_4000, 0x8000_0000, TableBuilder::LEAF);
    let cfg = b.config();
    let dyn_mem: &dyn PhysMem = &mem;
    assert_eq!(
        ok(walk(dyn_mem, &cfg, &Access::read(0x1234_4010).privileged())).oa,
        0x8000_0010
    );
}

/// Two VAs sharing upper tables map independently.
#[test]
fn neighbours_share_tables() {
    let mem = SparseMem::new();
    let mut b = TableBuilder::new(&mem, Granule::K4, 16, POOL);
    let before = mem.page_count();
    b.map_page(0x7000_0000, 0x1_0000_0000, TableBuilder::LEAF);
    let after_one = mem.page_count();
    b.map_page(0x7000_1000, 0x2_0000_0000, TableBuilder::LEAF);
    assert_eq!(
        mem.page_count(),
        after_one,
        "no new tables for the neighbour"
    );
    assert_eq!(after_one - before, 3);
    let cfg = b.config();
    assert_eq!(
        ok(walk(&mem, &cfg, &Access::read(0x7000_0008).privileged())).oa,
        0x1_0000_0008
    );
    assert_eq!(
        ok(walk(&mem, &cfg, &Access::read(0x7000_1008).privileged())).oa,
        0x2_0000_0008
    );
    assert_fault(
        walk(&mem, &cfg, &Access::read(0x7000_2000).privileged()),
        FaultKind::Translation,
        3,
    );
    assert_fault(
        walk(&mem, &cfg, &Access::read(0x8000_0000).privileged()),
        FaultKind::Translation,
        1,
    );
}
