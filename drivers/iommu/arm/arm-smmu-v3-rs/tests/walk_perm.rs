// SPDX-License-Identifier: GPL-2.0

//! Walker permissions and attributes: the AP x privilege x access x XN
//! matrix, hierarchical limits, WXN, PAN, the Access flag with and without
//! HTTU, dirty state, update races, memory attributes.

mod walk_common;

use smmuv3::hw::walk::{
    desc, describe, walk, Access, AccessKind, Cacheability, DeviceKind, FaultEvent, FaultKind,
    Granule, MemType, Shareability, WalkConfig, WalkFault, MAX_HTTU_RETRIES,
};
use smmuv3::testmem::{SparseMem, TableBuilder};
use walk_common::*;

const VA: u64 = 0x0000_1234_5678_9000;
const PA: u64 = 0x0000_0000_8000_0000;

/// A 4KB, four-level space with one page at `VA` carrying `attrs`.
fn setup(mem: &SparseMem, attrs: u64) -> (TableBuilder<'_>, u64) {
    let mut b = TableBuilder::new(mem, Granule::K4, 16, POOL);
    let at = b.map_page(VA, PA, attrs);
    (b, at)
}

fn access(kind: AccessKind, privileged: bool) -> Access {
    Access {
        va: VA,
        kind,
        privileged,
    }
}

const KINDS: [AccessKind; 3] = [AccessKind::Read, AccessKind::Write, AccessKind::Exec];

/// Expected outcome of the stage 1 permission model, written out as tables
/// indexed by AP[2:1].
fn expected(ap: u64, uxn: bool, pxn: bool, privileged: bool, kind: AccessKind) -> bool {
    //                      AP: 00     01     10     11
    const PRIV_READ: [bool; 4] = [true, true, true, true];
    const PRIV_WRITE: [bool; 4] = [true, true, false, false];
    const USER_READ: [bool; 4] = [false, true, false, true];
    const USER_WRITE: [bool; 4] = [false, true, false, false];
    // Writable by unprivileged code implies privileged execute-never.
    const PRIV_EXEC_ALLOWED_BY_AP: [bool; 4] = [true, false, true, true];
    let i = ap as usize;
    match (privileged, kind) {
        (true, AccessKind::Read) => PRIV_READ[i],
        (true, AccessKind::Write) => PRIV_WRITE[i],
        (true, AccessKind::Exec) => !pxn && PRIV_EXEC_ALLOWED_BY_AP[i],
        (false, AccessKind::Read) => USER_READ[i],
        (false, AccessKind::Write) => USER_WRITE[i],
        (false, AccessKind::Exec) => !uxn,
    }
}

#[test]
fn permission_matrix() {
    let mut checked = 0;
    for ap in 0..4u64 {
        for uxn in [false, true] {
            for pxn in [false, true] {
                let attrs = TableBuilder::LEAF
                    | (ap << 6)
                    | if uxn { desc::UXN } else { 0 }
                    | if pxn { desc::PXN } else { 0 };
                let mem = SparseMem::new();
                let (b, _) = setup(&mem, attrs);
                let cfg = b.config();
                for privileged in [false, true] {
                    for kind in KINDS {
                        let res = walk(&mem, &cfg, &access(kind, privileged));
                        let want = expected(ap, uxn, pxn, privileged, kind);
                        match res {
                            Ok(t) => {
                                assert!(want, "AP={ap:02b} UXN={uxn} PXN={pxn} priv={privileged} {kind:?} allowed");
                                let p = t.attrs.perms(privileged);
                                let granted = match kind {
                                    AccessKind::Read => p.read,
                                    AccessKind::Write => p.write,
                                    AccessKind::Exec => p.exec,
                                };
                                assert!(granted);
                            }
                            Err(f) => {
                                assert!(!want, "AP={ap:02b} UXN={uxn} PXN={pxn} priv={privileged} {kind:?} denied");
                                assert_eq!(f, WalkFault::new(FaultKind::Permission, 3));
                                assert_eq!(f.event(), FaultEvent::Permission);
                            }
                        }
                        checked += 1;
                    }
                }
                // The reported permission sets match the model too.
                let t = describe(&mem, &cfg, &access(AccessKind::Read, true))
                    .result
                    .unwrap();
                for privileged in [false, true] {
                    let p = t.attrs.perms(privileged);
                    assert_eq!(p.read, expected(ap, uxn, pxn, privileged, AccessKind::Read));
                    assert_eq!(
                        p.write,
                        expected(ap, uxn, pxn, privileged, AccessKind::Write)
                    );
                    assert_eq!(p.exec, expected(ap, uxn, pxn, privileged, AccessKind::Exec));
                }
            }
        }
    }
    assert_eq!(checked, 4 * 2 * 2 * 2 * 3);
}

/// Permission faults are reported at the leaf level, for blocks too.
#[test]
fn permission_fault_level_is_leaf_level() {
    for level in [1u8, 2] {
        let mem = SparseMem::new();
        let mut b = TableBuilder::new(&mem, Granule::K4, 16, POOL);
        b.map(VA, 0, level, TableBuilder::LEAF | desc::AP_RDONLY);
        let res = walk(&mem, &b.config(), &Access::write(VA).privileged());
        assert_fault(res, FaultKind::Permission, level);
    }
}

#[test]
fn hierarchical_limits() {
    let user_rw = TableBuilder::LEAF | desc::AP_USER;
    let cases: [(u64, AccessKind, bool); 4] = [
        (desc::AP_TABLE_RDONLY, AccessKind::Write, true),
        (desc::AP_TABLE_NO_USER, AccessKind::Read, false),
        (desc::UXN_TABLE, AccessKind::Exec, false),
        (desc::PXN_TABLE, AccessKind::Exec, true),
    ];
    for (bit, kind, privileged) in cases {
        for level in 0..3u8 {
            let mem = SparseMem::new();
            let mut b = TableBuilder::new(&mem, Granule::K4, 16, POOL);
            // Privileged-executable and user read/write would make PXN
            // implicit; use a read-only user page for the exec cases.
            let attrs = if kind == AccessKind::Exec {
                TableBuilder::LEAF | desc::AP_USER | desc::AP_RDONLY
            } else {
                user_rw
            };
            b.map_page(VA, PA, attrs);
            let cfg = b.config();
            let acc = Access {
                va: VA,
                kind,
                privileged,
            };
            assert!(
                walk(&mem, &cfg, &acc).is_ok(),
                "allowed without the table bit"
            );
            b.set_table_bits(VA, level, bit);
            assert_fault(walk(&mem, &cfg, &acc), FaultKind::Permission, 3);
            // The other privilege is unaffected by the XN table bits.
            if kind == AccessKind::Exec {
                let other = Access {
                    privileged: !privileged,
                    ..acc
                };
                assert!(walk(&mem, &cfg, &other).is_ok());
            }
        }
    }
    // APTable[1] also removes the write permission reported for reads.
    let mem = SparseMem::new();
    let (mut b, _) = setup(&mem, user_rw);
    b.set_table_bits(VA, 1, desc::AP_TABLE_RDONLY | desc::AP_TABLE_NO_USER);
    let t = ok(walk(&mem, &b.config(), &Access::read(VA).privileged()));
    assert!(!t.attrs.privileged.write);
    assert!(!t.attrs.unprivileged.read && !t.attrs.unprivileged.write);
    // Execute-only for unprivileged code is still possible.
    assert!(t.attrs.unprivileged.exec);
    // With no unprivileged access, privileged execution is back.
    assert!(t.attrs.privileged.exec);
}

#[test]
fn wxn() {
    let mem = SparseMem::new();
    let (b, at) = setup(&mem, TableBuilder::LEAF);
    let mut cfg = b.config();
    cfg.wxn = true;
    assert_fault(
        walk(&mem, &cfg, &Access::exec(VA).privileged()),
        FaultKind::Permission,
        3,
    );
    // Read-only for everyone: executable by both.
    mem.poke_u64(at, mem.peek_u64(at) | desc::AP_RDONLY | desc::AP_USER);
    assert!(walk(&mem, &cfg, &Access::exec(VA).privileged()).is_ok());
    assert!(walk(&mem, &cfg, &Access::exec(VA)).is_ok());
    // Privileged-writable only: unprivileged exec is still allowed.
    mem.poke_u64(
        at,
        (mem.peek_u64(at) & !(desc::AP_RDONLY | desc::AP_USER)) | desc::PXN,
    );
    assert!(walk(&mem, &cfg, &Access::exec(VA)).is_ok());
}

#[test]
fn pan() {
    for ap in 0..4u64 {
        let mem = SparseMem::new();
        let (b, _) = setup(&mem, TableBuilder::LEAF | (ap << 6));
        let mut cfg = b.config();
        cfg.pan = true;
        let user_accessible = ap & 1 != 0;
        let r = walk(&mem, &cfg, &Access::read(VA).privileged());
        assert_eq!(r.is_ok(), !user_accessible, "AP={ap:02b}");
        // Unprivileged accesses are unchanged.
        assert_eq!(walk(&mem, &cfg, &Access::read(VA)).is_ok(), user_accessible);
        // PAN is about data accesses: fetch from AP=11 still works.
        if ap == 0b11 {
            assert!(walk(&mem, &cfg, &Access::exec(VA).privileged()).is_ok());
        }
    }
    // APTable[0] removes unprivileged access, and with it PAN's objection.
    let mem = SparseMem::new();
    let (mut b, _) = setup(&mem, TableBuilder::LEAF | desc::AP_USER);
    b.config_mut().pan = true;
    b.set_table_bits(VA, 2, desc::AP_TABLE_NO_USER);
    assert!(walk(&mem, &b.config(), &Access::read(VA).privileged()).is_ok());
}

#[test]
fn access_flag_fault_and_affd() {
    for level in [1u8, 2, 3] {
        let mem = SparseMem::new();
        let mut b = TableBuilder::new(&mem, Granule::K4, 16, POOL);
        b.map(VA, 0, level, TableBuilder::LEAF & !desc::AF);
        let mut cfg = b.config();
        let res = walk(&mem, &cfg, &Access::read(VA).privileged());
        assert_fault(res, FaultKind::AccessFlag, level);
        assert_eq!(res.unwrap_err().event(), FaultEvent::Access);
        cfg.affd = true;
        let t = ok(walk(&mem, &cfg, &Access::read(VA).privileged()));
        assert!(!t.attrs.af && !t.hw_updated);
        assert_eq!(mem.stats().cas, 0);
    }
}

/// The Access flag fault takes priority over a Permission fault.
#[test]
fn access_flag_before_permission() {
    let mem = SparseMem::new();
    let (b, _) = setup(&mem, (TableBuilder::LEAF & !desc::AF) | desc::AP_RDONLY);
    let res = walk(&mem, &b.config(), &Access::write(VA).privileged());
    assert_fault(res, FaultKind::AccessFlag, 3);
}

#[test]
fn hardware_access_flag() {
    let mem = SparseMem::new();
    let (b, at) = setup(&mem, TableBuilder::LEAF & !desc::AF);
    let before = mem.peek_u64(at);
    let mut cfg = b.config();
    cfg.ha = true;

    // describe() reports the update but does not make it.
    let trace = describe(&mem, &cfg, &Access::read(VA).privileged());
    let t = ok(trace.result);
    assert!(t.hw_updated && t.attrs.af);
    assert_eq!(mem.peek_u64(at), before);
    assert_eq!(mem.stats().cas, 0);

    let t = ok(walk(&mem, &cfg, &Access::read(VA).privileged()));
    assert!(t.hw_updated && t.attrs.af);
    assert_eq!(mem.peek_u64(at), before | desc::AF);
    assert_eq!(t.desc, before | desc::AF);
    assert_eq!(mem.stats().cas, 1);
    // Done once.
    let t = ok(walk(&mem, &cfg, &Access::read(VA).privileged()));
    assert!(!t.hw_updated);
    assert_eq!(mem.stats().cas, 1);
}

/// An access that takes a Permission fault does not set the Access flag.
#[test]
fn no_access_flag_update_on_permission_fault() {
    let mem = SparseMem::new();
    let (b, at) = setup(&mem, (TableBuilder::LEAF & !desc::AF) | desc::AP_RDONLY);
    let before = mem.peek_u64(at);
    let mut cfg = b.config();
    cfg.ha = true;
    assert_fault(
        walk(&mem, &cfg, &Access::write(VA).privileged()),
        FaultKind::Permission,
        3,
    );
    assert_eq!(mem.peek_u64(at), before);
}

#[test]
fn dirty_state() {
    let clean = TableBuilder::LEAF | desc::DBM | desc::AP_RDONLY;
    let cfg_with = |b: &TableBuilder<'_>, ha: bool, hd: bool| WalkConfig {
        ha,
        hd,
        ..b.config()
    };

    // HA+HD: a write to writable-clean makes it writable-dirty.
    let mem = SparseMem::new();
    let (b, at) = setup(&mem, clean);
    let before = mem.peek_u64(at);
    let cfg = cfg_with(&b, true, true);
    let t = ok(walk(&mem, &cfg, &Access::read(VA).privileged()));
    assert!(!t.hw_updated && !t.attrs.dirty && t.attrs.dbm && !t.attrs.privileged.write);
    let t = ok(walk(&mem, &cfg, &Access::write(VA).privileged()));
    assert!(t.hw_updated && t.attrs.dirty && t.attrs.privileged.write);
    assert_eq!(mem.peek_u64(at), before & !desc::AP_RDONLY);

    // Without HD, or with HD but no HA, it is a Permission fault.
    for (ha, hd) in [(true, false), (false, true), (false, false)] {
        let mem = SparseMem::new();
        let (b, at) = setup(&mem, clean);
        let before = mem.peek_u64(at);
        let res = walk(&mem, &cfg_with(&b, ha, hd), &Access::write(VA).privileged());
        assert_fault(res, FaultKind::Permission, 3);
        assert_eq!(mem.peek_u64(at), before);
    }

    // Without DBM, read-only stays read-only.
    let mem = SparseMem::new();
    let (b, _) = setup(&mem, clean & !desc::DBM);
    let res = walk(
        &mem,
        &cfg_with(&b, true, true),
        &Access::write(VA).privileged(),
    );
    assert_fault(res, FaultKind::Permission, 3);

    // AF and dirty state in one update.
    let mem = SparseMem::new();
    let (b, at) = setup(&mem, clean & !desc::AF);
    let before = mem.peek_u64(at);
    ok(walk(
        &mem,
        &cfg_with(&b, true, true),
        &Access::write(VA).privileged(),
    ));
    assert_eq!(mem.peek_u64(at), (before | desc::AF) & !desc::AP_RDONLY);
    assert_eq!(mem.stats().cas, 1);

    // APTable[1] is not overridden by DBM.
    let mem = SparseMem::new();
    let (mut b, at) = setup(&mem, clean);
    let before = mem.peek_u64(at);
    b.set_table_bits(VA, 2, desc::AP_TABLE_RDONLY);
    let res = walk(
        &mem,
        &cfg_with(&b, true, true),
        &Access::write(VA).privileged(),
    );
    assert_fault(res, FaultKind::Permission, 3);
    assert_eq!(mem.peek_u64(at), before);

    // Unprivileged write: AP=10 (privileged read-only) would become
    // privileged-only, so still no; AP=11 becomes AP=01, so yes.
    let mem = SparseMem::new();
    let (b, at) = setup(&mem, clean);
    let before = mem.peek_u64(at);
    let res = walk(&mem, &cfg_with(&b, true, true), &Access::write(VA));
    assert_fault(res, FaultKind::Permission, 3);
    assert_eq!(mem.peek_u64(at), before);
    let mem = SparseMem::new();
    let (b, at) = setup(&mem, clean | desc::AP_USER);
    let before = mem.peek_u64(at);
    ok(walk(&mem, &cfg_with(&b, true, true), &Access::write(VA)));
    assert_eq!(mem.peek_u64(at), before & !desc::AP_RDONLY);

    // Dirty state on a block.
    let mem = SparseMem::new();
    let mut b = TableBuilder::new(&mem, Granule::K64, 16, POOL);
    let at = b.map(VA, 0, 2, clean);
    let t = ok(walk(
        &mem,
        &cfg_with(&b, true, true),
        &Access::write(VA).privileged(),
    ));
    assert_eq!((t.level, t.attrs.dirty), (2, true));
    assert_eq!(mem.peek_u64(at) & desc::AP_RDONLY, 0);
}

/// A CPU changing the descriptor between the walker's read and its update
/// is noticed, and the walk continues with the new value.
#[test]
fn update_races() {
    let base = TableBuilder::LEAF & !desc::AF;

    // The CPU set AF itself: no update needed any more.
    let mem = SparseMem::new();
    let (b, at) = setup(&mem, base);
    let mut cfg = b.config();
    cfg.ha = true;
    mem.interfere_on_cas(at, mem.peek_u64(at) | desc::AF);
    let t = ok(walk(&mem, &cfg, &Access::read(VA).privileged()));
    assert!(!t.hw_updated);
    assert_eq!(mem.stats().cas, 1);

    // The CPU remapped the page elsewhere: the new mapping is used.
    let mem = SparseMem::new();
    let (b, at) = setup(&mem, base);
    let moved = (mem.peek_u64(at) & !desc::ADDR_MASK) | 0x9999_0000;
    mem.interfere_on_cas(at, moved);
    let t = ok(walk(
        &mem,
        &b.config_with_ha(),
        &Access::read(VA).privileged(),
    ));
    assert_eq!(t.oa, 0x9999_0000);
    assert_eq!(mem.peek_u64(at), moved | desc::AF);
    assert_eq!(mem.stats().cas, 2);

    // The CPU unmapped it.
    let mem = SparseMem::new();
    let (b, at) = setup(&mem, base);
    mem.interfere_on_cas(at, 0);
    assert_fault(
        walk(&mem, &b.config_with_ha(), &Access::read(VA).privileged()),
        FaultKind::Translation,
        3,
    );
    let trace = describe(&mem, &b.config_with_ha(), &Access::read(VA).privileged());
    assert_eq!(trace.steps().len(), 4);

    // The CPU made it read-only while we wanted to write.
    let mem = SparseMem::new();
    let (b, at) = setup(&mem, base);
    mem.interfere_on_cas(at, mem.peek_u64(at) | desc::AP_RDONLY);
    assert_fault(
        walk(&mem, &b.config_with_ha(), &Access::write(VA).privileged()),
        FaultKind::Permission,
        3,
    );

    // A descriptor that never settles: give up with the fault the access
    // would take without the update.
    let mem = SparseMem::new();
    let (b, at) = setup(&mem, base);
    let d = mem.peek_u64(at);
    for i in 0..=MAX_HTTU_RETRIES {
        mem.interfere_on_cas(at, d ^ (u64::from(i + 1) << 55));
    }
    assert_fault(
        walk(&mem, &b.config_with_ha(), &Access::read(VA).privileged()),
        FaultKind::AccessFlag,
        3,
    );
    assert_eq!(mem.stats().cas, u64::from(MAX_HTTU_RETRIES) + 1);
}

/// The update itself can abort.
#[test]
fn update_external_abort() {
    let mem = SparseMem::new();
    let (b, at) = setup(&mem, TableBuilder::LEAF & !desc::AF);
    mem.add_fault(at..at + 8);
    // Reads of the leaf fail too here, so the read is what aborts.
    assert_fault(
        walk(&mem, &b.config_with_ha(), &Access::read(VA).privileged()),
        FaultKind::ExternalAbort { pa: at },
        3,
    );
}

trait WithHa {
    fn config_with_ha(&self) -> WalkConfig;
}

impl WithHa for TableBuilder<'_> {
    fn config_with_ha(&self) -> WalkConfig {
        WalkConfig {
            ha: true,
            ..self.config()
        }
    }
}

#[test]
fn memory_attributes() {
    let mut mair = 0u64;
    let bytes = [0xffu8, 0x44, 0x04, 0x00, 0x0c, 0x08, 0xbb, 0x4f];
    for (i, b) in bytes.iter().enumerate() {
        mair |= u64::from(*b) << (8 * i);
    }
    for idx in 0..8u8 {
        let mem = SparseMem::new();
        let mut b = TableBuilder::new(&mem, Granule::K4, 16, POOL);
        b.config_mut().mair = mair;
        b.map_page(
            VA,
            PA,
            desc::AF | desc::attr_indx(idx) | desc::SH_OUTER | desc::NG,
        );
        let t = ok(walk(&mem, &b.config(), &Access::read(VA).privileged()));
        assert_eq!(t.attrs.attr_indx, idx);
        assert_eq!(t.attrs.mair_attr, bytes[usize::from(idx)]);
        assert_eq!(
            t.attrs.mem,
            MemType::from_mair_attr(bytes[usize::from(idx)])
        );
        assert_eq!(t.attrs.sh, Shareability::Outer);
        assert!(t.attrs.ng && t.attrs.af && !t.attrs.contiguous);
    }
}

#[test]
fn mair_decoding() {
    let wb_rwa = Cacheability::WriteBack {
        transient: false,
        read_alloc: true,
        write_alloc: true,
    };
    assert_eq!(
        MemType::from_mair_attr(0xff),
        MemType::Normal {
            inner: wb_rwa,
            outer: wb_rwa
        }
    );
    assert_eq!(
        MemType::from_mair_attr(0x44),
        MemType::Normal {
            inner: Cacheability::NonCacheable,
            outer: Cacheability::NonCacheable
        }
    );
    assert_eq!(
        MemType::from_mair_attr(0xf4),
        MemType::Normal {
            inner: Cacheability::NonCacheable,
            outer: wb_rwa
        }
    );
    assert_eq!(
        MemType::from_mair_attr(0x8b),
        MemType::Normal {
            inner: Cacheability::WriteThrough {
                transient: false,
                read_alloc: true,
                write_alloc: true
            },
            outer: Cacheability::WriteThrough {
                transient: false,
                read_alloc: false,
                write_alloc: false
            },
        }
    );
    assert_eq!(
        MemType::from_mair_attr(0x21),
        MemType::Normal {
            inner: Cacheability::WriteThrough {
                transient: true,
                read_alloc: false,
                write_alloc: true
            },
            outer: Cacheability::WriteThrough {
                transient: true,
                read_alloc: true,
                write_alloc: false
            },
        }
    );
    assert_eq!(
        MemType::from_mair_attr(0x77),
        MemType::Normal {
            inner: Cacheability::WriteBack {
                transient: true,
                read_alloc: true,
                write_alloc: true
            },
            outer: Cacheability::WriteBack {
                transient: true,
                read_alloc: true,
                write_alloc: true
            },
        }
    );
    assert_eq!(
        MemType::from_mair_attr(0x00),
        MemType::Device(DeviceKind::NGnRnE)
    );
    assert_eq!(
        MemType::from_mair_attr(0x04),
        MemType::Device(DeviceKind::NGnRE)
    );
    assert_eq!(
        MemType::from_mair_attr(0x08),
        MemType::Device(DeviceKind::NGRE)
    );
    assert_eq!(
        MemType::from_mair_attr(0x0c),
        MemType::Device(DeviceKind::Gre)
    );
    for bad in [0x01u8, 0x02, 0x03, 0x0d, 0x10, 0x80, 0xe0] {
        assert_eq!(
            MemType::from_mair_attr(bad),
            MemType::Unpredictable,
            "{bad:#x}"
        );
    }
    // FEAT_XS and MTE forms with a zero inner half.
    assert!(MemType::from_mair_attr(0x40).is_normal_non_cacheable());
    assert!(matches!(
        MemType::from_mair_attr(0xa0),
        MemType::Normal { .. }
    ));
    assert!(matches!(
        MemType::from_mair_attr(0xf0),
        MemType::Normal { .. }
    ));
    // Every byte decodes without panicking.
    for b in 0..=255u8 {
        let _ = MemType::from_mair_attr(b);
    }
}

#[test]
fn shareability_and_effective() {
    for (bits, sh) in [
        (0u64, Shareability::Non),
        (1, Shareability::Reserved),
        (2, Shareability::Outer),
        (3, Shareability::Inner),
    ] {
        assert_eq!(Shareability::from_bits(bits), sh);
    }
    let mem = SparseMem::new();
    let mut b = TableBuilder::new(&mem, Granule::K4, 16, POOL);
    // Index 0 Normal WB, 1 Normal NC, 2 Device.
    let at = b.map_page(
        VA,
        PA,
        desc::AF | desc::SH_NON | desc::attr_indx(0) | desc::CONTIGUOUS,
    );
    let cfg = b.config();
    let t = ok(walk(&mem, &cfg, &Access::read(VA).privileged()));
    assert_eq!(
        (t.attrs.sh, t.attrs.effective_sh()),
        (Shareability::Non, Shareability::Non)
    );
    assert!(t.attrs.contiguous);
    for idx in [1u8, 2] {
        mem.poke_u64(
            at,
            (mem.peek_u64(at) & !desc::ATTR_INDX_MASK) | desc::attr_indx(idx),
        );
        let t = ok(walk(&mem, &cfg, &Access::read(VA).privileged()));
        assert_eq!(t.attrs.effective_sh(), Shareability::Outer);
    }
}

#[test]
fn fault_events() {
    let cases = [
        (FaultKind::Translation, FaultEvent::Translation),
        (FaultKind::AccessFlag, FaultEvent::Access),
        (FaultKind::Permission, FaultEvent::Permission),
        (FaultKind::AddressSize, FaultEvent::AddrSize),
        (FaultKind::ExternalAbort { pa: 8 }, FaultEvent::WalkEabt),
    ];
    for (kind, event) in cases {
        assert_eq!(WalkFault::new(kind, 2).event(), event);
    }
    assert_eq!(WalkFault::new(FaultKind::Translation, 9).level, 3);
}
