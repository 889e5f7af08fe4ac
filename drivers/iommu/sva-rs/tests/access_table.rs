// SPDX-License-Identifier: GPL-2.0

//! The fault access decision table, exhaustively against a transcription of
//! 6.12 `iommu_sva_handle_mm()`, and the group status rules.

use iommu_sva::sva::access::*;
use iommu_sva::sva::iopf::*;
use proptest::prelude::*;

/// 6.12, literally: returns `None` for "INVALID without calling
/// handle_mm_fault", or the fault flags.
fn reference(flags: u32, perm: u32, vm_flags: Option<u64>) -> Option<u32> {
    if flags & PAGE_REQUEST_PASID_VALID == 0 {
        return None;
    }
    let vm_flags = vm_flags?;
    let mut access_flags = 0u64;
    let mut fault_flags = FAULT_FLAG_REMOTE;
    if perm & PERM_READ != 0 {
        access_flags |= VM_READ;
    }
    if perm & PERM_WRITE != 0 {
        access_flags |= VM_WRITE;
        fault_flags |= FAULT_FLAG_WRITE;
    }
    if perm & PERM_EXEC != 0 {
        access_flags |= VM_EXEC;
        fault_flags |= FAULT_FLAG_INSTRUCTION;
    }
    if perm & PERM_PRIV == 0 {
        fault_flags |= FAULT_FLAG_USER;
    }
    if access_flags & !vm_flags != 0 {
        return None;
    }
    Some(fault_flags)
}

#[test]
fn decision_table_is_6_12() {
    let mut allowed = 0;
    for pv in [false, true] {
        for perm in 0..16u32 {
            for vma in (0..8u64).map(Some).chain([None]) {
                for lock in [LockMode::Mmap, LockMode::Vma] {
                    let f = Fault {
                        kind: FAULT_TYPE_PAGE_REQ,
                        flags: if pv {
                            PAGE_REQUEST_PASID_VALID | PAGE_REQUEST_LAST_PAGE
                        } else {
                            0
                        },
                        pasid: 3,
                        grpid: 0,
                        perm,
                        addr: 0x4000,
                        private_data: [0; 2],
                    };
                    // Extra VMA flags beyond R/W/X never matter.
                    let got = check(&f, vma.map(|v| VmaAccess::from_vm_flags(v | 0xfff0)), lock);
                    let want = reference(f.flags, perm, vma);
                    let extra = if lock == LockMode::Vma {
                        FAULT_FLAG_VMA_LOCK
                    } else {
                        0
                    };
                    match (got, want) {
                        (Ok(g), Some(w)) => {
                            assert_eq!(g, w | extra);
                            allowed += 1;
                        }
                        (Err(reason), None) => {
                            let expect = if !pv {
                                Denied::NoPasid
                            } else if vma.is_none() {
                                Denied::NoVma
                            } else {
                                Denied::Access
                            };
                            assert_eq!(reason, expect);
                        }
                        (g, w) => panic!("pv={pv} perm={perm:#x} vma={vma:?}: {g:?} vs {w:?}"),
                    }
                }
            }
        }
    }
    // Per perm's R/W/X subset s, the VMAs allowing it are the supersets:
    // 2^(3-|s|); summed over 8 subsets that is 27, times 2 for PRIV, 2 locks.
    assert_eq!(allowed, 27 * 2 * 2);
}

#[test]
fn flag_values_are_6_12() {
    assert_eq!(FAULT_FLAG_WRITE, 0x1);
    assert_eq!(FAULT_FLAG_ALLOW_RETRY, 0x4);
    assert_eq!(FAULT_FLAG_USER, 0x40);
    assert_eq!(FAULT_FLAG_REMOTE, 0x80);
    assert_eq!(FAULT_FLAG_INSTRUCTION, 0x100);
    assert_eq!(FAULT_FLAG_VMA_LOCK, 0x1000);
    assert_eq!(VM_FAULT_ERROR, 0x873);
    assert_eq!((VM_READ, VM_WRITE, VM_EXEC), (1, 2, 4));
    // Spot checks of the table.
    assert_eq!(
        fault_flags(PERM_READ, LockMode::Mmap),
        FAULT_FLAG_REMOTE | FAULT_FLAG_USER
    );
    assert_eq!(
        fault_flags(PERM_READ | PERM_WRITE | PERM_PRIV, LockMode::Mmap),
        FAULT_FLAG_REMOTE | FAULT_FLAG_WRITE
    );
    assert_eq!(
        fault_flags(PERM_EXEC, LockMode::Vma),
        FAULT_FLAG_REMOTE | FAULT_FLAG_INSTRUCTION | FAULT_FLAG_USER | FAULT_FLAG_VMA_LOCK
    );
    assert_eq!(fault_flags(0, LockMode::Mmap) & FAULT_FLAG_ALLOW_RETRY, 0);
}

#[test]
fn vm_fault_results() {
    for bit in 0..32 {
        let ret = 1u32 << bit;
        let want = if VM_FAULT_ERROR & ret != 0 {
            RespCode::Invalid
        } else {
            RespCode::Success
        };
        assert_eq!(status_from_vm_fault(ret), want, "bit {bit}");
    }
    assert_eq!(status_from_vm_fault(0), RespCode::Success);
    assert_eq!(
        status_from_vm_fault(VM_FAULT_MAJOR | VM_FAULT_LOCKED),
        RespCode::Success
    );
    assert_eq!(status_from_vm_fault(VM_FAULT_NOPAGE), RespCode::Success);
    assert_eq!(status_from_vm_fault(VM_FAULT_SIGSEGV), RespCode::Invalid);
    assert_eq!(
        status_from_vm_fault(VM_FAULT_OOM | VM_FAULT_MAJOR),
        RespCode::Invalid
    );

    assert_eq!(
        after_vma_locked_fault(VM_FAULT_RETRY),
        VmaLockedOutcome::RetryUnderMmapLock
    );
    assert_eq!(
        after_vma_locked_fault(VM_FAULT_RETRY | VM_FAULT_MAJOR),
        VmaLockedOutcome::RetryUnderMmapLock
    );
    assert_eq!(
        after_vma_locked_fault(0),
        VmaLockedOutcome::Done {
            code: RespCode::Success,
            unlock: true
        }
    );
    assert_eq!(
        after_vma_locked_fault(VM_FAULT_COMPLETED),
        VmaLockedOutcome::Done {
            code: RespCode::Success,
            unlock: false
        }
    );
    assert_eq!(
        after_vma_locked_fault(VM_FAULT_SIGBUS),
        VmaLockedOutcome::Done {
            code: RespCode::Invalid,
            unlock: true
        }
    );
}

proptest! {
    /// Errors are sticky: the group's code is the first non-success, and no
    /// request after it is handled.
    #[test]
    fn group_status_is_sticky(codes in prop::collection::vec(0u32..3, 0..20)) {
        let faults: Vec<Fault> = codes
            .iter()
            .enumerate()
            .map(|(i, _)| Fault { addr: i as u64, ..Fault::default() })
            .collect();
        let mut handled = Vec::new();
        let got = resolve_group(&faults, |f| {
            handled.push(f.addr as usize);
            RespCode::from_raw(codes[f.addr as usize]).unwrap()
        });
        let first_bad = codes.iter().position(|&c| c != 0);
        let want = first_bad.map_or(RespCode::Success, |i| RespCode::from_raw(codes[i]).unwrap());
        prop_assert_eq!(got, want);
        let n = first_bad.map_or(codes.len(), |i| i + 1);
        prop_assert_eq!(handled, (0..n).collect::<Vec<_>>());
    }

    #[test]
    fn vma_access_from_any_flags(vm in any::<u64>(), perm in any::<u32>()) {
        let v = VmaAccess::from_vm_flags(vm);
        let need = VmaAccess::required_by(perm);
        let want = (perm as u64 & 7) & !(vm & 7) == 0;
        prop_assert_eq!(v.allows(&need), want);
    }
}

#[test]
fn nowait_attempts() {
    // 6.12 values: ALLOW_RETRY 1 << 2, RETRY_NOWAIT 1 << 3, never the
    // per-VMA lock flag (6.12 rejects it with RETRY_NOWAIT).
    let f = nowait_fault_flags(PERM_READ | PERM_WRITE);
    assert_eq!(f, 0x1 | 0x4 | 0x8 | 0x40 | 0x80);
    assert_eq!(nowait_fault_flags(PERM_READ) & FAULT_FLAG_VMA_LOCK, 0);
    assert_eq!(after_nowait_fault(VM_FAULT_RETRY), NowaitOutcome::Defer);
    assert_eq!(
        after_nowait_fault(VM_FAULT_RETRY | VM_FAULT_SIGBUS),
        NowaitOutcome::Defer
    );
    assert_eq!(
        after_nowait_fault(0),
        NowaitOutcome::Done { code: RespCode::Success, unlock: true }
    );
    assert_eq!(
        after_nowait_fault(VM_FAULT_MAJOR),
        NowaitOutcome::Done { code: RespCode::Success, unlock: true }
    );
    assert_eq!(
        after_nowait_fault(VM_FAULT_COMPLETED),
        NowaitOutcome::Done { code: RespCode::Success, unlock: false }
    );
    assert_eq!(
        after_nowait_fault(VM_FAULT_SIGSEGV),
        NowaitOutcome::Done { code: RespCode::Invalid, unlock: true }
    );
    assert_eq!(
        after_nowait_fault(VM_FAULT_OOM),
        NowaitOutcome::Done { code: RespCode::Invalid, unlock: true }
    );
}
