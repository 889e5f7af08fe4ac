// SPDX-License-Identifier: GPL-2.0

//! Walker configuration: granules, T0SZ ranges and start levels, output
//! sizes, TTB0 checks, and the input address range.

mod walk_common;

use smmuv3::hw::walk::{describe, pa_bits, walk, Access, FaultKind, Granule, WalkConfig};
use smmuv3::testmem::{SparseMem, TableBuilder};
use walk_common::*;

#[test]
fn tg0_encoding_round_trips() {
    for g in [Granule::K4, Granule::K16, Granule::K64] {
        assert_eq!(Granule::from_tg0(g.tg0()), Some(g));
        assert_eq!(g.size(), 1 << g.shift());
    }
    assert_eq!(Granule::from_tg0(0), Some(Granule::K4));
    assert_eq!(Granule::from_tg0(1), Some(Granule::K64));
    assert_eq!(Granule::from_tg0(2), Some(Granule::K16));
    assert_eq!(Granule::from_tg0(3), None);
    assert_eq!(Granule::from_tg0(0xff), None);
}

/// Start level for every valid T0SZ, against ranges written out by hand.
#[test]
fn start_level_for_every_t0sz() {
    let expect = |g: Granule, t0sz: u8| -> u8 {
        match (g, t0sz) {
            (Granule::K4, 16..=24) => 0,
            (Granule::K4, 25..=33) => 1,
            (Granule::K4, 34..=42) => 2,
            (Granule::K4, 43..=48) => 3,
            (Granule::K16, 16) => 0,
            (Granule::K16, 17..=27) => 1,
            (Granule::K16, 28..=38) => 2,
            (Granule::K16, 39..=48) => 3,
            (Granule::K64, 12..=21) => 1,
            (Granule::K64, 22..=34) => 2,
            (Granule::K64, 35..=47) => 3,
            _ => unreachable!(),
        }
    };
    for g in [Granule::K4, Granule::K16, Granule::K64] {
        let mut cfg = WalkConfig::new(0, g, 16);
        cfg.stt = true;
        cfg.vax = true;
        for t0sz in cfg.min_t0sz(g)..=cfg.max_t0sz(g) {
            cfg.t0sz = t0sz;
            let geo = cfg.geometry().unwrap();
            assert_eq!(geo.start_level(), expect(g, t0sz), "{g:?} T0SZ {t0sz}");
            assert_eq!(geo.ia_bits(), 64 - u32::from(t0sz));
            // The levels resolve exactly the input bits.
            let bits: u32 = (geo.start_level()..=3).map(|l| geo.index_bits(l)).sum();
            assert_eq!(bits + g.shift(), geo.ia_bits(), "{g:?} T0SZ {t0sz}");
        }
    }
}

#[test]
fn t0sz_limits_per_granule_and_capability() {
    let bad = |cfg: &WalkConfig| {
        let f = cfg.geometry().unwrap_err();
        assert_eq!((f.kind, f.level), (FaultKind::Translation, 0), "{cfg:?}");
    };
    for g in [Granule::K4, Granule::K16, Granule::K64] {
        let mut cfg = WalkConfig::new(0, g, 16);
        assert!(cfg.geometry().is_ok());
        cfg.t0sz = 15;
        bad(&cfg);
        cfg.t0sz = 39;
        assert!(cfg.geometry().is_ok(), "39 is always allowed");
        cfg.t0sz = 40;
        bad(&cfg); // needs STT
        cfg.stt = true;
        assert!(cfg.geometry().is_ok());
        let max = if g == Granule::K64 { 47 } else { 48 };
        cfg.t0sz = max;
        assert!(cfg.geometry().is_ok());
        cfg.t0sz = max + 1;
        bad(&cfg);
        cfg.t0sz = 63;
        bad(&cfg);
        cfg.t0sz = 0;
        bad(&cfg);
        cfg.t0sz = 255;
        bad(&cfg);
    }
    // 52-bit VA only for 64KB with VAX.
    let mut cfg = WalkConfig::new(0, Granule::K64, 12);
    bad(&cfg);
    cfg.vax = true;
    assert_eq!(cfg.geometry().unwrap().ia_bits(), 52);
    cfg.t0sz = 11;
    bad(&cfg);
    let mut cfg = WalkConfig::new(0, Granule::K4, 12);
    cfg.vax = true;
    bad(&cfg);
    // Reserved granule.
    let mut cfg = WalkConfig::new(0, Granule::K4, 16);
    cfg.tg0 = 3;
    bad(&cfg);
}

#[test]
fn output_size() {
    assert_eq!(
        (0..8).map(pa_bits).collect::<Vec<_>>(),
        [
            Some(32),
            Some(36),
            Some(40),
            Some(42),
            Some(44),
            Some(48),
            Some(52),
            None
        ]
    );
    let mut cfg = WalkConfig::new(0, Granule::K4, 16);
    for (ips, bits) in [(0, 32), (1, 36), (2, 40), (3, 42), (4, 44), (5, 48)] {
        cfg.ips = ips;
        assert_eq!(cfg.oa_bits(Granule::K4), bits);
    }
    // Capped to the implementation; reserved IPS reads as OAS.
    cfg.oas = 2;
    cfg.ips = 5;
    assert_eq!(cfg.oa_bits(Granule::K4), 40);
    cfg.ips = 7;
    assert_eq!(cfg.oa_bits(Granule::K4), 40);
    // 52 bits only with 64KB.
    cfg.oas = 6;
    cfg.ips = 6;
    assert_eq!(cfg.oa_bits(Granule::K4), 48);
    assert_eq!(cfg.oa_bits(Granule::K16), 48);
    assert_eq!(cfg.oa_bits(Granule::K64), 52);
    cfg.oas = 7;
    assert_eq!(cfg.oa_bits(Granule::K64), 48, "reserved OAS reads as 48");
}

#[test]
fn ttb0_checks() {
    let mut cfg = WalkConfig::new(1 << 48, Granule::K4, 16);
    let f = cfg.geometry().unwrap_err();
    assert_eq!((f.kind, f.level), (FaultKind::AddressSize, 0));
    cfg.ips = 0;
    cfg.ttb0 = 1 << 32;
    assert_eq!(cfg.geometry().unwrap_err().kind, FaultKind::AddressSize);
    cfg.ttb0 = (1 << 32) - 4096;
    assert!(cfg.geometry().is_ok());
    // Bits below the table alignment are ignored: a full 4KB table.
    cfg.ttb0 = 0x1234_5ff0;
    assert_eq!(cfg.geometry().unwrap().ttb(), 0x1234_5000);
    // A 16-entry start table is 128-byte aligned.
    cfg.t0sz = 34; // ia 30: level 2 with 9 bits
    assert_eq!(cfg.geometry().unwrap().start_level(), 2);
    cfg.t0sz = 38; // ia 26: level 2 with 5 bits = 32 entries = 256 bytes
    assert_eq!(cfg.geometry().unwrap().ttb(), 0x1234_5f00);
    cfg.t0sz = 39; // ia 25: 16 entries, 128 bytes
    assert_eq!(cfg.geometry().unwrap().ttb(), 0x1234_5f80);
    cfg.stt = true;
    cfg.t0sz = 48; // ia 16: level 3 with 4 bits: 128 bytes
    assert_eq!(cfg.geometry().unwrap().start_level(), 3);
    cfg.ttb0 = 0x1234_5ff8;
    assert_eq!(cfg.geometry().unwrap().ttb(), 0x1234_5f80);
    // Minimum alignment is 64 bytes: 16KB, ia 16 = 2 level-3 entries.
    let mut cfg = WalkConfig::new(0x1234_5ff8, Granule::K16, 48);
    cfg.stt = true;
    assert_eq!(cfg.geometry().unwrap().index_bits(3), 2);
    assert_eq!(cfg.geometry().unwrap().ttb(), 0x1234_5fc0);
}

/// The last byte of the region translates; the first byte beyond it is a
/// level 0 Translation fault, for every shape.
#[test]
fn input_range_edges() {
    for s in SHAPES {
        let mem = SparseMem::new();
        let mut b = builder(&mem, s);
        let ia = 64 - u32::from(s.t0sz);
        let top = (1u64 << ia) - 1;
        b.map_page(top, 0x8000_0000, TableBuilder::LEAF);
        b.map_page(0, 0x9000_0000, TableBuilder::LEAF);
        let cfg = b.config();
        let page = s.granule.size() - 1;
        let t = ok(walk(&mem, &cfg, &Access::read(top).privileged()));
        assert_eq!(t.oa, 0x8000_0000 + (top & page));
        let t = ok(walk(&mem, &cfg, &Access::read(0).privileged()));
        assert_eq!(t.oa, 0x9000_0000);
        for va in [top + 1, 1 << 55, 1 << 63, u64::MAX, top | (1 << 56)] {
            assert_fault(
                walk(&mem, &cfg, &Access::read(va).privileged()),
                FaultKind::Translation,
                0,
            );
        }
    }
}

#[test]
fn top_byte_ignore() {
    let mem = SparseMem::new();
    let mut b = TableBuilder::new(&mem, Granule::K4, 16, POOL);
    b.map_page(0x1234_5000, 0x7777_0000, TableBuilder::LEAF);
    let mut cfg = b.config();
    let tagged = Access::read(0xab00_0000_1234_5678).privileged();
    assert_fault(walk(&mem, &cfg, &tagged), FaultKind::Translation, 0);
    cfg.tbi0 = true;
    assert_eq!(ok(walk(&mem, &cfg, &tagged)).oa, 0x7777_0678);
    // TBI does not open up bits 55:48.
    let high = Access::read(0xab80_0000_1234_5678).privileged();
    assert_fault(walk(&mem, &cfg, &high), FaultKind::Translation, 0);
}

#[test]
fn epd0_disables_walks() {
    let mem = SparseMem::new();
    let mut b = TableBuilder::new(&mem, Granule::K4, 16, POOL);
    b.map_page(0x1000, 0x2000, TableBuilder::LEAF);
    let mut cfg = b.config();
    cfg.epd0 = true;
    mem.reset_stats();
    assert_fault(
        walk(&mem, &cfg, &Access::read(0x1000).privileged()),
        FaultKind::Translation,
        0,
    );
    assert_eq!(
        mem.stats().reads,
        0,
        "no table access when walks are disabled"
    );
    let trace = describe(&mem, &cfg, &Access::read(0x1000));
    assert!(trace.steps().is_empty());
}
