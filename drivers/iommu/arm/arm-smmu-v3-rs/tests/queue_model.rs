// SPDX-License-Identifier: GPL-2.0

//! Queue index arithmetic against a model that counts produced and consumed
//! entries with plain `u64`s and reduces modulo the queue size.

use proptest::prelude::*;
use smmuv3::hw::queue::*;

/// Register image of a running count: index and wrap are the count modulo
/// twice the queue size.
fn image(q: &Queue, count: u64, ovf: bool) -> u32 {
    let v = (count % (2 * u64::from(q.entries()))) as u32;
    v | if ovf { Q_OVERFLOW_FLAG } else { 0 }
}

#[derive(Clone, Debug)]
enum Op {
    Produce(u32),
    Consume(u32),
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        prop_oneof![
            (0u32..1 << 20).prop_map(Op::Produce),
            (0u32..1 << 20).prop_map(Op::Consume),
        ],
        1..64,
    )
}

#[test]
fn rejects_bad_sizes_and_stray_bits() {
    assert_eq!(Queue::new(20), Err(QueueError::BadSize(20)));
    let q = Queue::new(MAX_LOG2SIZE).unwrap();
    assert_eq!(q.entries(), 1 << 19);
    let q = Queue::new(8).unwrap();
    assert_eq!(q.validate(0x1ff, 0), Ok(0x1ff));
    assert_eq!(q.validate(0x8000_01ff, 0), Ok(0x8000_01ff));
    assert_eq!(q.validate(0x200, 0), Err(QueueError::StrayBits(0x200)));
    // SMMU_CMDQ_CONS.ERR [30:24] is ignored when asked and cleared.
    assert_eq!(q.validate(0x0100_0005, 0x7f00_0000), Ok(5));
    assert!(q.validate(0x0100_0005, 0).is_err());
    assert!(!QueueError::StrayBits(1).to_string().is_empty());
}

#[test]
fn upstream_examples() {
    let q = Queue::new(2).unwrap(); // 4 entries, wrap bit 4
    assert!(q.is_empty(0b000, 0b000));
    assert!(q.is_full(0b100, 0b000));
    assert_eq!(q.used(0b101, 0b011), Ok(2));
    assert_eq!(q.free(0b101, 0b011), Ok(2));
    assert!(q.has_space(0b101, 0b011, 2));
    assert!(!q.has_space(0b101, 0b011, 3));
    // More than a queue apart only arises from garbage.
    assert_eq!(
        q.used(0b110, 0b001),
        Err(QueueError::Inconsistent {
            prod: 0b110,
            cons: 0b001
        })
    );
    assert!(!q.has_space(0b110, 0b001, 0));
    assert_eq!(q.advance(0x8000_0003, 1), 0x8000_0004);
    assert_eq!(q.advance(0x0000_0007, 1), 0);
    assert_eq!(q.offset(0b111, CMDQ_ENTRY_BYTES), 48);
    assert_eq!(q.offset(0b011, EVTQ_ENTRY_BYTES), 96);
    assert_eq!(q.offset(0b010, PRIQ_ENTRY_BYTES), 32);
    assert_eq!(q.bytes(EVTQ_ENTRY_BYTES), 128);
    assert!(q.overflowed(0x8000_0000, 0));
    assert_eq!(q.ack_overflow(0x3, 0x8000_0001), 0x8000_0003);
    assert_eq!(q.make(3, true, true), 0x8000_0007);
    assert!(q.wrap(0b100) && !q.wrap(0b011));
    assert_eq!(q.index(0xffff_fffe), 2);
    assert!(q.ovf(0x8000_0000));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn matches_counting_model(n in 0u32..=MAX_LOG2SIZE, ops in ops(), ovf in any::<bool>()) {
        let q = Queue::new(n).unwrap();
        let size = u64::from(q.entries());
        let (mut pc, mut cc) = (0u64, 0u64);
        let (mut prod, mut cons) = (image(&q, 0, ovf), image(&q, 0, false));
        for op in ops {
            match op {
                Op::Produce(k) => {
                    let k = u64::from(k) % (size - (pc - cc) + 1);
                    let ok = q.has_space(prod, cons, k as u32);
                    prop_assert!(ok);
                    prod = q.advance(prod, k as u32);
                    pc += k;
                    prop_assert_eq!(q.ovf(prod), ovf, "overflow flag kept");
                }
                Op::Consume(k) => {
                    let k = u64::from(k) % (pc - cc + 1);
                    for _ in 0..k.min(4) {
                        cons = q.inc(cons);
                    }
                    if k > 4 {
                        cons = q.advance(cons, (k - 4) as u32);
                    }
                    cc += k;
                }
            }
            prop_assert_eq!(prod, image(&q, pc, ovf));
            prop_assert_eq!(cons, image(&q, cc, false));
            let used = pc - cc;
            prop_assert_eq!(q.used(prod, cons), Ok(used as u32));
            prop_assert_eq!(q.free(prod, cons), Ok((size - used) as u32));
            prop_assert_eq!(q.is_empty(prod, cons), used == 0);
            prop_assert_eq!(q.is_full(prod, cons), used == size);
            prop_assert_eq!(q.has_space(prod, cons, (size - used) as u32), true);
            prop_assert_eq!(q.has_space(prod, cons, (size - used + 1) as u32), false);
            prop_assert_eq!(q.index(prod), (pc % size) as u32);
            prop_assert_eq!(q.wrap(prod), (pc / size) % 2 == 1);
            prop_assert_eq!(q.validate(prod, 0), Ok(prod));
            prop_assert_eq!(
                q.offset(prod, EVTQ_ENTRY_BYTES),
                (pc % size) as usize * EVTQ_ENTRY_BYTES
            );
            // queue_consumed: for any entry produced at most one queue ago,
            // cons has consumed it iff cons counted past it.
            for back in [1u64, 2, size / 2, size] {
                if back >= 1 && back <= size && back <= pc {
                    let t = pc - back;
                    let target = image(&q, t, false);
                    prop_assert_eq!(q.consumed(cons, target), cc > t, "t {} cc {}", t, cc);
                }
            }
        }
        prop_assert_eq!(q.ack_overflow(cons, prod) & Q_OVERFLOW_FLAG, prod & Q_OVERFLOW_FLAG);
        prop_assert_eq!(q.overflowed(prod, cons), ovf);
    }

    #[test]
    fn any_values_never_panic(n in 0u32..=MAX_LOG2SIZE, a in any::<u32>(), b in any::<u32>(), k in any::<u32>()) {
        let q = Queue::new(n).unwrap();
        let _ = (q.is_empty(a, b), q.is_full(a, b), q.used(a, b), q.free(a, b));
        let _ = (q.has_space(a, b, k), q.consumed(a, b), q.offset(a, 1 << 20));
        let p = q.advance(a, k);
        prop_assert_eq!(q.validate(p, 0), Ok(p));
        prop_assert_eq!(q.index(p), (q.index(a).wrapping_add(k)) & q.index_mask());
        match q.validate(a, 0) {
            Ok(v) => prop_assert_eq!(v, a),
            Err(QueueError::StrayBits(v)) => {
                prop_assert_eq!(v, a);
                prop_assert!(a & !Q_OVERFLOW_FLAG >= 2 * q.entries());
            }
            Err(e) => prop_assert!(false, "{}", e),
        }
        if let Ok(u) = q.used(a, b) {
            prop_assert!(u <= q.entries());
        }
    }
}
