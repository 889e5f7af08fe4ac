// SPDX-License-Identifier: GPL-2.0

//! Property tests of the entry writer on arbitrary entries: whatever the
//! live entry holds (including stale or illegal contents) and whatever
//! consistent target is requested, every observable state is the old entry,
//! the new entry or invalid, the live entry ends equal to the target, at most
//! three syncs are issued, and a target setting unused bits is refused
//! without any write.

use proptest::prelude::*;
use smmuv3::hw::cd::Cd;
use smmuv3::hw::ste::Ste;
use smmuv3::hw::writer::{check_transition, plan, Entry, UpdateKind, WriteError};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 2048,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Random qwords biased towards small Config/V values so that all STE
/// configurations appear.
fn ste_words() -> impl Strategy<Value = [u64; 8]> {
    (any::<[u64; 8]>(), 0u64..16, any::<bool>()).prop_map(|(mut w, low, sparse)| {
        w[0] = (w[0] & !0xf) | low;
        if sparse {
            for q in w.iter_mut().skip(4) {
                *q = 0;
            }
        }
        w
    })
}

fn masked<E: Entry>(e: E) -> E {
    let u = e.used();
    let mut q = *e.qwords();
    for i in 0..8 {
        q[i] &= u[i];
    }
    E::from_qwords(q)
}

fn check<E: Entry + PartialEq + std::fmt::Debug>(cur: E, target: E) -> Result<(), TestCaseError> {
    let (sink, res) = check_transition(&cur, &target);
    let report = res.map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
    prop_assert!(sink.violation.is_none(), "{:x?}", sink.violation);
    prop_assert_eq!(sink.entry(), target);
    prop_assert!(sink.syncs <= 3);
    prop_assert_eq!(report.syncs, sink.syncs);
    if cur.is_valid() && target.is_valid() && report.kind != UpdateKind::Breaking {
        prop_assert!(!sink.saw_invalid);
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn ste_any_to_any(cur in ste_words(), target in ste_words()) {
        check(Ste(cur), masked(Ste(target)))?;
    }

    #[test]
    fn ste_related_entries(cur in ste_words(), flips in any::<[u64; 4]>(), which in 0usize..4) {
        // Targets differing from cur in few qwords exercise hitless paths.
        let cur = masked(Ste(cur));
        let mut t = cur.0;
        t[which] ^= flips[which] & 0x0000_00ff_0000_00ff;
        check(cur, masked(Ste(t)))?;
    }

    #[test]
    fn cd_any_to_any(cur in any::<[u64; 8]>(), target in any::<[u64; 8]>(), v in any::<(bool, bool)>()) {
        let (mut c, mut t) = (Cd(cur), Cd(target));
        c.set_v(v.0);
        t.set_v(v.1);
        check(c, masked(t))?;
    }

    #[test]
    fn target_with_unused_bits_is_refused(cur in ste_words(), target in ste_words()) {
        let t = Ste(target);
        let u = t.used_bits();
        let stray = (0..8).any(|i| t.0[i] & !u[i] != 0);
        let (sink, res) = check_transition(&Ste(cur), &t);
        if stray {
            let refused = matches!(res, Err(WriteError::TargetSetsUnusedBits { .. }));
            prop_assert!(refused);
            prop_assert_eq!(sink.writes, 0);
            prop_assert!(plan(&Ste(cur), &t).is_err());
        } else {
            prop_assert!(res.is_ok());
        }
    }
}
