// SPDX-License-Identifier: GPL-2.0

//! The PASID bitmap against a set model under random alloc/free with random
//! limits, plus the errno table and the whole 20-bit space.

use iommu_sva::sva::errno::Errno;
use iommu_sva::sva::pasid::*;
use proptest::prelude::*;
use std::collections::BTreeSet;

#[derive(Clone, Debug)]
enum Op {
    Alloc(u32),
    Free(u32),
}

fn ops(cap: u32) -> impl Strategy<Value = Vec<Op>> {
    let top = cap + 8;
    prop::collection::vec(
        prop_oneof![
            3 => (0..top).prop_map(Op::Alloc),
            1 => Just(Op::Alloc(u32::MAX)),
            2 => (0..top).prop_map(Op::Free),
        ],
        1..400,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn bitmap_matches_set_model(words in 1usize..6, seed_ops in ops(6 * 64)) {
        let mut storage = vec![u64::MAX; words];
        let mut a = PasidBitmap::new(&mut storage);
        let cap = (words * 64) as u32;
        prop_assert_eq!(a.capacity(), cap);
        let mut model: BTreeSet<u32> = BTreeSet::new();
        for op in seed_ops {
            match op {
                Op::Alloc(limit) => {
                    let hi = limit.min(cap);
                    let expect = (FIRST_GLOBAL_PASID..hi).find(|p| !model.contains(p));
                    let got = a.alloc(limit);
                    match expect {
                        Some(p) => {
                            prop_assert_eq!(got, Ok(p));
                            model.insert(p);
                        }
                        None => prop_assert_eq!(got, Err(PasidError::NoSpace)),
                    }
                }
                Op::Free(p) => {
                    let got = a.free(p);
                    if model.remove(&p) {
                        prop_assert_eq!(got, Ok(()));
                    } else {
                        prop_assert_eq!(got, Err(PasidError::Invalid));
                    }
                }
            }
            prop_assert_eq!(a.count() as usize, model.len());
            for p in 0..cap + 4 {
                prop_assert_eq!(a.is_allocated(p), model.contains(&p));
            }
        }
    }

    #[test]
    fn device_limit_is_min_and_clamped(dev in proptest::option::of(0u32..64), iommu in 0u32..64) {
        let got = device_max_pasids(dev, iommu);
        match dev {
            None => prop_assert_eq!(got, 0),
            Some(d) => prop_assert_eq!(got, 1u32 << d.min(iommu).min(20)),
        }
    }
}

#[test]
fn errno_table() {
    assert_eq!(PasidError::NoSpace.errno(), Errno::ENOSPC);
    assert_eq!(PasidError::Overflow.errno(), Errno::EOVERFLOW);
    assert_eq!(PasidError::Invalid.errno(), Errno::EINVAL);
    assert_eq!(Errno::ENOSPC.to_kernel(), -28);
    assert_eq!(Errno::EOVERFLOW.to_kernel(), -75);
    assert_eq!(Errno::EINVAL.to_kernel(), -22);
    assert_eq!(PasidBitmap::check_fits(7, 8), Ok(()));
    assert_eq!(PasidBitmap::check_fits(8, 8), Err(PasidError::Overflow));
    assert_eq!(PasidBitmap::check_fits(1, 0), Err(PasidError::Overflow));
}

#[test]
fn errno_values_and_bounds() {
    for (e, v) in [
        (Errno::EPERM, 1),
        (Errno::ENOENT, 2),
        (Errno::ENOMEM, 12),
        (Errno::EBUSY, 16),
        (Errno::ENODEV, 19),
        (Errno::EINVAL, 22),
        (Errno::ENOSPC, 28),
        (Errno::EOVERFLOW, 75),
        (Errno::EOPNOTSUPP, 95),
    ] {
        assert_eq!(e.get(), v);
        assert_eq!(Errno::new(-v), Some(e));
        assert_eq!(Errno::new(v), Some(e));
    }
    assert_eq!(Errno::new(0), None);
    assert_eq!(Errno::new(4096), None);
    assert_eq!(Errno::new(i32::MIN), None);
    assert_eq!(Errno::new(-4095).map(Errno::get), Some(4095));
}

#[test]
fn whole_pasid_space() {
    let mut storage = vec![0u64; PASID_WORDS];
    let mut a = PasidBitmap::new(&mut storage);
    assert_eq!(a.capacity(), PASID_SPACE);
    // More storage than the PASID space is not used beyond 2^20.
    for p in 1..PASID_SPACE {
        assert_eq!(a.alloc(u32::MAX), Ok(p));
    }
    assert_eq!(a.alloc(u32::MAX), Err(PasidError::NoSpace));
    assert_eq!(a.count(), PASID_SPACE - 1);
    assert_eq!(a.free(PASID_SPACE - 1), Ok(()));
    assert_eq!(a.alloc(PASID_SPACE - 1), Err(PasidError::NoSpace));
    assert_eq!(a.alloc(PASID_SPACE), Ok(PASID_SPACE - 1));
    assert_eq!(a.free(12345), Ok(()));
    assert_eq!(a.free(777), Ok(()));
    assert_eq!(a.alloc(1 << 10), Ok(777));
    assert_eq!(a.alloc(1 << 10), Err(PasidError::NoSpace));
    assert_eq!(a.alloc(u32::MAX), Ok(12345));
    assert!(!a.is_allocated(PASID_SPACE));
    assert_eq!(a.free(PASID_SPACE), Err(PasidError::Invalid));

    let mut big = vec![u64::MAX; PASID_WORDS + 3];
    {
        let b = PasidBitmap::new(&mut big);
        assert_eq!(b.capacity(), PASID_SPACE);
        assert_eq!(b.count(), 0);
    }
    // Words past the space are left alone.
    assert_eq!(big[PASID_WORDS], u64::MAX);
}
