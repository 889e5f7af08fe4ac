// SPDX-License-Identifier: GPL-2.0

//! Event records: field positions against the upstream `EVTQ_*`
//! definitions, round trips of every kind, and decoding of arbitrary bytes.

use proptest::prelude::*;
use smmuv3::hw::event::{
    id, Access as Attrs, BadAtsTreq, Event, FaultClass, FetchAbort, PageRequestHint, TlbConflict,
    TranslationFault, WalkAbort,
};

#[test]
fn translation_fault_matches_upstream_layout() {
    // EVTQ_0_ID [7:0], EVTQ_0_SSV 11, EVTQ_0_SSID [31:12], EVTQ_0_SID
    // [63:32]; EVTQ_1_STAG [15:0], EVTQ_1_STALL 31, EVTQ_1_PnU 33,
    // EVTQ_1_InD 34, EVTQ_1_RnW 35, EVTQ_1_S2 39, EVTQ_1_CLASS [41:40],
    // EVTQ_1_TT_READ 44; EVTQ_2_ADDR; EVTQ_3_IPA [51:12].
    let w = [
        0x0000_0010_0000_3810,
        (5 | 1 << 31 | 1 << 33 | 1 << 35 | 1 << 39 | 1 << 40 | 1 << 44),
        0x1234_5678_9000,
        0x000f_ffff_ffff_f000,
    ];
    let e = Event::decode(w);
    let Event::Translation(t) = e else {
        panic!("{e:?}")
    };
    assert_eq!(t.sid, 0x10);
    assert_eq!(t.ssid, Some(3));
    assert_eq!(t.stall_tag, Some(5));
    assert!(t.access.pnu && !t.access.ind && t.access.rnw);
    assert!(t.s2 && t.ttrnw && !t.nsipa);
    assert_eq!(t.class, FaultClass::Tt);
    assert_eq!(t.input_addr, 0x1234_5678_9000);
    assert_eq!(t.ipa, 0x000f_ffff_ffff_f000);
    assert_eq!(e.encode(), w);
    assert_eq!(e.sid(), 0x10);
    assert_eq!(e.event_id(), id::F_TRANSLATION);
    assert!(e.translation_fault().is_some());
    assert_eq!(
        e.to_string(),
        "F_TRANSLATION sid 0x10 ssid 0x3 iova 0x123456789000 read priv data stage 2 on table walk \
         ipa 0xffffffffff000 (stall tag 0x5)"
    );
}

#[test]
fn event_numbers() {
    let ids = [
        (id::F_UUT, 0x01),
        (id::C_BAD_STREAMID, 0x02),
        (id::F_STE_FETCH, 0x03),
        (id::C_BAD_STE, 0x04),
        (id::F_BAD_ATS_TREQ, 0x05),
        (id::F_STREAM_DISABLED, 0x06),
        (id::F_TRANSL_FORBIDDEN, 0x07),
        (id::C_BAD_SUBSTREAMID, 0x08),
        (id::F_CD_FETCH, 0x09),
        (id::C_BAD_CD, 0x0a),
        (id::F_WALK_EABT, 0x0b),
        (id::F_TRANSLATION, 0x10),
        (id::F_ADDR_SIZE, 0x11),
        (id::F_ACCESS, 0x12),
        (id::F_PERMISSION, 0x13),
        (id::F_TLB_CONFLICT, 0x20),
        (id::F_CFG_CONFLICT, 0x21),
        (id::E_PAGE_REQUEST, 0x24),
        (id::F_VMS_FETCH, 0x25),
    ];
    for (i, v) in ids {
        assert_eq!(i, v);
        let e = Event::decode([u64::from(i), 0, 0, 0]);
        assert_eq!(e.event_id(), i);
        assert!(!matches!(e, Event::Unknown(_)), "{i:#x}");
        assert!(e.to_string().starts_with(e.name()));
    }
    // Unknown (e.g. IMPLEMENTATION DEFINED 0xe0) is kept verbatim.
    let raw = [0xdead_beef_0000_00e0, 1, 2, 3];
    assert_eq!(Event::decode(raw), Event::Unknown(raw));
    assert_eq!(Event::decode(raw).encode(), raw);
    assert_eq!(Event::decode(raw).sid(), 0xdead_beef);
    assert_eq!(
        Event::decode(raw).to_string(),
        "EVENT 0xe0: 0xdeadbeef000000e0 0x0000000000000001 0x0000000000000002 0x0000000000000003"
    );
}

#[test]
fn fetch_address_position() {
    // FetchAddr is record bits [247:195], i.e. word 3 bits [55:3].
    let e = Event::SteFetch(FetchAbort {
        sid: 1,
        ssid: None,
        reason: 0xabcd,
        gpcf: true,
        fetch_addr: 0x00ff_ffff_ffff_fff8,
    });
    assert_eq!(
        e.encode(),
        [0x0000_0001_0000_0003, 0x1_abcd, 0, 0x00ff_ffff_ffff_fff8]
    );
    assert_eq!(
        e.to_string(),
        "F_STE_FETCH sid 0x1 fetch 0xfffffffffffff8 reason 0xabcd gpc fault"
    );
}

fn ssid() -> impl Strategy<Value = Option<u32>> {
    prop::option::of(0u32..(1 << 20))
}

fn attrs() -> impl Strategy<Value = Attrs> {
    (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(pnu, ind, rnw)| Attrs {
        pnu,
        ind,
        rnw,
    })
}

fn class() -> impl Strategy<Value = FaultClass> {
    prop::sample::select(vec![
        FaultClass::Cd,
        FaultClass::Tt,
        FaultClass::In,
        FaultClass::Reserved,
    ])
}

const IPA: u64 = 0x00ff_ffff_ffff_f000;
const FETCH: u64 = 0x00ff_ffff_ffff_fff8;
const PAGE: u64 = !0xfff;

fn fetch() -> impl Strategy<Value = FetchAbort> {
    (
        any::<u32>(),
        ssid(),
        any::<u16>(),
        any::<bool>(),
        any::<u64>(),
    )
        .prop_map(|(sid, ssid, reason, gpcf, a)| FetchAbort {
            sid,
            ssid,
            reason,
            gpcf,
            fetch_addr: a & FETCH,
        })
}

fn translation() -> impl Strategy<Value = TranslationFault> {
    (
        (any::<u32>(), ssid(), prop::option::of(any::<u16>())),
        (
            any::<bool>(),
            attrs(),
            any::<bool>(),
            class(),
            any::<bool>(),
        ),
        (any::<u64>(), any::<u64>()),
    )
        .prop_map(
            |((sid, ssid, stall_tag), (nsipa, access, s2, class, ttrnw), (input_addr, ipa))| {
                TranslationFault {
                    sid,
                    ssid,
                    stall_tag,
                    nsipa,
                    access,
                    s2,
                    class,
                    ttrnw,
                    input_addr,
                    ipa: ipa & IPA,
                }
            },
        )
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        (any::<u32>(), ssid(), any::<u16>(), attrs(), any::<u64>()).prop_map(
            |(sid, ssid, reason, access, input_addr)| Event::Uut {
                sid,
                ssid,
                reason,
                access,
                input_addr
            }
        ),
        (any::<u32>(), ssid()).prop_map(|(sid, ssid)| Event::BadStreamId { sid, ssid }),
        fetch().prop_map(Event::SteFetch),
        (any::<u32>(), ssid()).prop_map(|(sid, ssid)| Event::BadSte { sid, ssid }),
        (any::<u32>(), ssid(), any::<u8>(), any::<u8>(), any::<u64>()).prop_map(
            |(sid, ssid, perm_bits, span, a)| Event::BadAtsTreq(BadAtsTreq {
                sid,
                ssid,
                perm_bits,
                span,
                input_addr: a & PAGE
            })
        ),
        any::<u32>().prop_map(|sid| Event::StreamDisabled { sid }),
        (any::<u32>(), any::<bool>(), any::<u64>()).prop_map(|(sid, rnw, input_addr)| {
            Event::TranslForbidden {
                sid,
                rnw,
                input_addr,
            }
        }),
        (any::<u32>(), 0u32..(1 << 20)).prop_map(|(sid, ssid)| Event::BadSubstreamId { sid, ssid }),
        fetch().prop_map(Event::CdFetch),
        (any::<u32>(), ssid()).prop_map(|(sid, ssid)| Event::BadCd { sid, ssid }),
        (
            (any::<u32>(), ssid(), any::<u16>(), any::<bool>()),
            (attrs(), any::<bool>(), class(), any::<u64>(), any::<u64>())
        )
            .prop_map(
                |((sid, ssid, reason, gpcf), (access, s2, class, input_addr, f))| {
                    Event::WalkEabt(WalkAbort {
                        sid,
                        ssid,
                        reason,
                        gpcf,
                        access,
                        s2,
                        class,
                        input_addr,
                        fetch_addr: f & FETCH,
                    })
                }
            ),
        translation().prop_map(Event::Translation),
        translation().prop_map(Event::AddrSize),
        translation().prop_map(Event::Access),
        translation().prop_map(Event::Permission),
        (
            (any::<u32>(), ssid(), any::<u32>(), any::<bool>()),
            (attrs(), any::<bool>(), any::<u64>(), any::<u64>())
        )
            .prop_map(
                |((sid, ssid, reason, nsipa), (access, s2, input_addr, ipa))| {
                    Event::TlbConflict(TlbConflict {
                        sid,
                        ssid,
                        reason,
                        nsipa,
                        access,
                        s2,
                        input_addr,
                        ipa: ipa & IPA,
                    })
                }
            ),
        (any::<u32>(), ssid(), any::<u32>()).prop_map(|(sid, ssid, reason)| Event::CfgConflict {
            sid,
            ssid,
            reason
        }),
        (
            (any::<u32>(), ssid(), any::<u8>(), any::<u64>()),
            prop::array::uniform6(any::<bool>())
        )
            .prop_map(|((sid, ssid, span, a), f)| {
                Event::PageRequest(PageRequestHint {
                    sid,
                    ssid,
                    u_x: f[0],
                    u_w: f[1],
                    u_r: f[2],
                    p_x: f[3],
                    p_w: f[4],
                    p_r: f[5],
                    span,
                    input_addr: a & PAGE,
                })
            }),
        fetch().prop_map(Event::VmsFetch),
        (any::<[u64; 4]>())
            .prop_filter("unknown ids only", |w| matches!(
                Event::decode(*w),
                Event::Unknown(_)
            ))
            .prop_map(Event::Unknown),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn round_trip(e in event()) {
        let w = e.encode();
        prop_assert_eq!(Event::decode(w), e);
        prop_assert_eq!(w[0] & 0xff, u64::from(e.event_id()));
        prop_assert_eq!(e.sid(), (w[0] >> 32) as u32);
        let line = e.to_string();
        prop_assert!(!line.contains('\n'));
    }

    #[test]
    fn decode_any_bytes(w in any::<[u64; 4]>(), id in 0u8..0x30) {
        for w in [w, [(w[0] & !0xff) | u64::from(id), w[1], w[2], w[3]]] {
            let e = Event::decode(w);
            // Decoding is a projection: re-encoding and decoding is stable.
            prop_assert_eq!(Event::decode(e.encode()), e);
            let _ = e.to_string();
        }
    }
}

#[test]
fn layouts_match_specification_diagrams() {
    // IHI 0070 H.a §7.3 record bits, converted to 64-bit words: record bit
    // b is word b / 64, bit b % 64.

    // F_UUT: Reason [79:64], PnU 97, InD 98, RnW 99, InputAddr [191:128].
    let w = [
        0x0000_0007_0000_5801,
        0xbeef | 1 << 33 | 1 << 35,
        0xffff_0000_dead_b000,
        0,
    ];
    assert_eq!(
        Event::decode(w),
        Event::Uut {
            sid: 7,
            ssid: Some(5),
            reason: 0xbeef,
            access: Attrs {
                pnu: true,
                ind: false,
                rnw: true,
            },
            input_addr: 0xffff_0000_dead_b000,
        }
    );
    assert_eq!(Event::decode(w).encode(), w);

    // F_VMS_FETCH: Reason [79:64], GPCF 80, FetchAddr [247:195].
    let w = [0x0000_0009_0000_0025, 0x1_1234, 0, 0x0080_0000_0000_0008];
    assert_eq!(
        Event::decode(w),
        Event::VmsFetch(FetchAbort {
            sid: 9,
            ssid: None,
            reason: 0x1234,
            gpcf: true,
            fetch_addr: 0x0080_0000_0000_0008,
        })
    );
    assert_eq!(Event::decode(w).encode(), w);

    // F_CFG_CONFLICT: Reason [95:64]. C_BAD_SUBSTREAMID: SubstreamID
    // [31:12] with no SSV bit. F_TRANSL_FORBIDDEN: RnW 99, no SubstreamID.
    let w = [0x0000_0002_0000_0821, 0xffff_fffe, 0, 0];
    assert_eq!(
        Event::decode(w),
        Event::CfgConflict {
            sid: 2,
            ssid: Some(0),
            reason: 0xffff_fffe,
        }
    );
    let w = [0x0000_0003_ffff_f008, 0, 0, 0];
    assert_eq!(
        Event::decode(w),
        Event::BadSubstreamId {
            sid: 3,
            ssid: 0xfffff,
        }
    );
    assert_eq!(Event::decode(w).encode(), w);
    let w = [0x0000_0004_0000_0007, 1 << 35, 0x1234_5678, 0];
    let e = Event::TranslForbidden {
        sid: 4,
        rnw: true,
        input_addr: 0x1234_5678,
    };
    assert_eq!(Event::decode(w), e);
    assert_eq!(e.encode(), w);

    // E_PAGE_REQUEST: uX 97, uW 98, uR 99, pX 101, pW 102, pR 103, Span
    // [115:108], InputAddr[63:12] at [191:140].
    for (bit, f) in [(33, 0), (34, 1), (35, 2), (37, 3), (38, 4), (39, 5)] {
        let w = [0x0000_0001_0000_0024, 1 << bit | 0xab << 44, !0xfff, 0];
        let Event::PageRequest(p) = Event::decode(w) else {
            panic!()
        };
        let flags = [p.u_x, p.u_w, p.u_r, p.p_x, p.p_w, p.p_r];
        assert_eq!(flags.iter().filter(|&&b| b).count(), 1);
        assert!(flags[f], "bit {bit}");
        assert_eq!(p.span, 0xab);
        assert_eq!(p.input_addr, !0xfff);
        assert_eq!(Event::PageRequest(p).encode(), w);
    }

    // IPA [247:204] reaches IPA bit 55 (Linux 6.12 stops at bit 51).
    let w = [0x0000_0001_0000_0010, 1 << 39, 0, 0x00f0_0000_0000_1000];
    let Event::Translation(t) = Event::decode(w) else {
        panic!()
    };
    assert_eq!(t.ipa, 0x00f0_0000_0000_1000);
    assert_eq!(Event::Translation(t).encode(), w);
}
