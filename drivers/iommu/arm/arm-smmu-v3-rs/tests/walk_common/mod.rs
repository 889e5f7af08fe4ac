// SPDX-License-Identifier: GPL-2.0

//! Helpers shared by the walker integration tests.

#![allow(dead_code)]

use smmuv3::hw::walk::{FaultKind, Granule, Translation, WalkConfig, WalkFault};
use smmuv3::testmem::{SparseMem, TableBuilder};

/// Where test tables are allocated.
pub(crate) const POOL: u64 = 0x4000_0000;

/// One configuration per (granule, number of levels), with the T0SZ that
/// gives it, the start level, and whether it needs STT or VAX.
pub(crate) struct Shape {
    pub(crate) granule: Granule,
    pub(crate) t0sz: u8,
    pub(crate) start_level: u8,
    pub(crate) stt: bool,
    pub(crate) vax: bool,
}

pub(crate) const SHAPES: &[Shape] = &[
    Shape {
        granule: Granule::K4,
        t0sz: 16,
        start_level: 0,
        stt: false,
        vax: false,
    },
    Shape {
        granule: Granule::K4,
        t0sz: 25,
        start_level: 1,
        stt: false,
        vax: false,
    },
    Shape {
        granule: Granule::K4,
        t0sz: 34,
        start_level: 2,
        stt: false,
        vax: false,
    },
    Shape {
        granule: Granule::K4,
        t0sz: 43,
        start_level: 3,
        stt: true,
        vax: false,
    },
    Shape {
        granule: Granule::K16,
        t0sz: 16,
        start_level: 0,
        stt: false,
        vax: false,
    },
    Shape {
        granule: Granule::K16,
        t0sz: 17,
        start_level: 1,
        stt: false,
        vax: false,
    },
    Shape {
        granule: Granule::K16,
        t0sz: 28,
        start_level: 2,
        stt: false,
        vax: false,
    },
    Shape {
        granule: Granule::K16,
        t0sz: 39,
        start_level: 3,
        stt: false,
        vax: false,
    },
    Shape {
        granule: Granule::K64,
        t0sz: 12,
        start_level: 1,
        stt: false,
        vax: true,
    },
    Shape {
        granule: Granule::K64,
        t0sz: 16,
        start_level: 1,
        stt: false,
        vax: false,
    },
    Shape {
        granule: Granule::K64,
        t0sz: 22,
        start_level: 2,
        stt: false,
        vax: false,
    },
    Shape {
        granule: Granule::K64,
        t0sz: 35,
        start_level: 3,
        stt: true,
        vax: false,
    },
];

/// A VA with a distinct non-zero index at every level, inside `ia_bits`,
/// plus a byte offset.
pub(crate) fn busy_va(ia_bits: u32) -> u64 {
    0x0005_a5a5_c3c3_e789 & ((1u64 << ia_bits) - 1)
}

/// Asserts that `res` is the fault `kind` at `level`.
#[track_caller]
pub(crate) fn assert_fault(res: Result<Translation, WalkFault>, kind: FaultKind, level: u8) {
    match res {
        Err(f) => assert_eq!((f.kind, f.level), (kind, level), "wrong fault"),
        Ok(t) => panic!("expected {kind:?} at level {level}, got translation {t:?}"),
    }
}

/// Unwraps a translation with a useful message.
#[track_caller]
pub(crate) fn ok(res: Result<Translation, WalkFault>) -> Translation {
    match res {
        Ok(t) => t,
        Err(f) => panic!("expected a translation, got {f:?}"),
    }
}

/// A table builder for `shape` (STT always on, VAX as the shape needs).
pub(crate) fn builder<'a>(mem: &'a SparseMem, shape: &Shape) -> TableBuilder<'a> {
    let mut cfg = WalkConfig::new(0, shape.granule, shape.t0sz);
    cfg.mair = TableBuilder::MAIR;
    cfg.stt = true;
    cfg.vax = shape.vax;
    TableBuilder::with_config(mem, cfg, POOL)
}
