// SPDX-License-Identifier: GPL-2.0

//! In-kernel KUnit cases for the hardware library, built with the kernel's
//! compiler flags and run at boot (`CONFIG_ARM_SMMU_V3_RUST_KUNIT_TEST`).
//!
//! Expected values are written from the SMMUv3 specification's field
//! positions, independently of the code under test.

use crate::hw::{
    cmd::Command,
    regs::{Aidr, Features, Gbpa, IdRegs, Idr0, Idr1, Idr3, Idr5, Iidr},
    writer::selftest,
};
use kernel::{kunit_expect, kunit_suite::Test};

/// A QEMU-7.2-like SMMU: 2-level stream table, stage 1 only, AArch64
/// tables, coherent, RIL, 16-bit StreamIDs, no substreams, 44-bit OAS.
fn qemu_like() -> Features {
    let idr0 = (0b01 << 27) // ST_LEVEL: 2-level
        | (0b10 << 2) // TTF: AArch64
        | (1 << 4) // COHACC
        | (1 << 1); // S1P
    let idr1 = 16 // SIDSIZE; SSIDSIZE (bits [10:6]) stays 0
        | (19 << 21) // CMDQS
        | (19 << 16); // EVENTQS
    let idr3 = 1 << 10; // RIL
    let idr5 = 0b100 // OAS: 44 bits
        | (1 << 4); // GRAN4K
    Features::decode(&IdRegs {
        idr0: Idr0::from_raw(idr0),
        idr1: Idr1::from_raw(idr1),
        idr3: Idr3::from_raw(idr3),
        idr5: Idr5::from_raw(idr5),
        iidr: Iidr::from_raw(0),
        aidr: Aidr::from_raw(1),
    })
}

fn idr_decode_matches_spec(t: &Test) {
    let f = qemu_like();
    kunit_expect!(t, f.two_level_strtab());
    kunit_expect!(t, f.s1p && !f.s2p);
    kunit_expect!(t, f.cohacc);
    kunit_expect!(t, f.ril);
    kunit_expect!(t, f.sidsize == 16);
    kunit_expect!(t, f.ssidsize == 0);
    kunit_expect!(t, f.oas_bits() == Some(44));
    kunit_expect!(t, f.check_usable(2).is_ok());
}

fn gbpa_update_protocol_bits(t: &Test) {
    kunit_expect!(t, Gbpa::from_raw(0).with_abort(true).raw() == 1 << 20);
    kunit_expect!(t, Gbpa::from_raw(0).with_update(true).raw() == 1 << 31);
    kunit_expect!(t, !Gbpa::from_raw(1 << 31).abort());
}

fn tlbi_nh_asid_encoding(t: &Test) {
    let cmd = Command::TlbiNhAsid {
        vmid: 0,
        asid: 0x1234,
    };
    match cmd.encode() {
        Ok(w) => {
            kunit_expect!(
                t,
                w[0] & 0xff == 0x11,
                "TLBI_NH_ASID opcode is 0x11, got {:#x}",
                w[0] & 0xff
            );
            kunit_expect!(t, w[0] >> 48 == 0x1234, "ASID lives in bits [63:48]");
            kunit_expect!(t, Command::decode(w) == Ok(cmd), "decode(encode(c)) == c");
        }
        Err(e) => {
            t.fail(format_args!("encoding failed: {e}"));
        }
    }
}

fn unknown_opcode_is_an_error(t: &Test) {
    kunit_expect!(t, Command::decode([0xff, 0]).is_err());
}

/// Every entry-writer transition ported from the upstream suite (and the
/// extra ones), run with the kernel's codegen: the hitless invariant holds at
/// every sync and the sync counts match.
fn entry_writer_transitions(t: &Test) {
    let summary = selftest::run(&mut |r| {
        if !r.passed {
            t.fail(format_args!(
                "{}: syncs {} (want {}), hitless {} (want {}), violation {:?}, error {:?}",
                r.name,
                r.syncs,
                r.expected_syncs,
                r.hitless,
                r.expected_hitless,
                r.violation,
                r.error
            ));
        }
    });
    kunit_expect!(t, summary.failed == 0);
    kunit_expect!(t, summary.passed > 0, "no transition case ran");
}

kernel::kunit_tests!(
    "arm_smmu_v3_rs_hw",
    [
        idr_decode_matches_spec,
        gbpa_update_protocol_bits,
        tlbi_nh_asid_encoding,
        unknown_opcode_is_an_error,
        entry_writer_transitions,
    ]
);
