// SPDX-License-Identifier: GPL-2.0

//! PRI queue entries against the upstream `PRIQ_*` field definitions.

use proptest::prelude::*;
use smmuv3::hw::pri::PriRequest;

#[test]
fn matches_upstream_layout() {
    // PRIQ_0_SID [31:0], PRIQ_0_SSID [51:32], PRIQ_0_PERM_PRIV 58,
    // PRIQ_0_PERM_EXEC 59, PRIQ_0_PERM_READ 60, PRIQ_0_PERM_WRITE 61,
    // PRIQ_0_PRG_LAST 62, PRIQ_0_SSID_V 63; PRIQ_1_PRG_IDX [8:0],
    // PRIQ_1_ADDR_MASK [63:12].
    let w = [
        (1u64 << 63) | (1 << 62) | (1 << 60) | (1 << 58) | (0xabcde << 32) | 0x1234,
        0xffff_0000_1234_5000 | 0x1ff,
    ];
    let r = PriRequest::decode(w);
    assert_eq!(
        r,
        PriRequest {
            sid: 0x1234,
            ssid: Some(0xabcde),
            privileged: true,
            exec: false,
            read: true,
            write: false,
            last: true,
            prgi: 0x1ff,
            addr: 0xffff_0000_1234_5000,
        }
    );
    assert_eq!(r.encode(), w);
    assert_eq!(
        r.to_string(),
        "PRI sid 0x1234 ssid 0xabcde prgi 511 last r-- priv iova 0xffff000012345000"
    );
    // SSV clear: the SubstreamID is not reported.
    let r = PriRequest::decode([0xabcde << 32, 0]);
    assert_eq!(r.ssid, None);
    assert_eq!(r.to_string(), "PRI sid 0x0 prgi 0 --- unpriv iova 0x0");
}

fn request() -> impl Strategy<Value = PriRequest> {
    (
        (
            any::<u32>(),
            prop::option::of(0u32..(1 << 20)),
            0u16..512,
            any::<u64>(),
        ),
        prop::array::uniform5(any::<bool>()),
    )
        .prop_map(|((sid, ssid, prgi, a), f)| PriRequest {
            sid,
            ssid,
            privileged: f[0],
            exec: f[1],
            read: f[2],
            write: f[3],
            last: f[4],
            prgi,
            addr: a & !0xfff,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn round_trip(r in request()) {
        prop_assert_eq!(PriRequest::decode(r.encode()), r);
    }

    #[test]
    fn decode_any_bytes(w in any::<[u64; 2]>()) {
        let r = PriRequest::decode(w);
        prop_assert_eq!(PriRequest::decode(r.encode()), r);
        prop_assert!(r.prgi < 512);
        prop_assert!(r.ssid.is_none_or(|s| s < (1 << 20)));
        let _ = r.to_string();
    }
}
