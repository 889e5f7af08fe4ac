// SPDX-License-Identifier: GPL-2.0

//! The pure part of resolving an SVA I/O page fault
//! (`iommu_sva_handle_mm()` and `iommu_sva_handle_iopf()` in 6.12).
//!
//! For each request of a group, the kernel glue:
//! 1. gives up with `INVALID` if the request has no PASID or the mm is gone
//!    (`mmget_not_zero()` failed) — [`check`] covers the PASID part;
//! 2. looks up the VMA covering the address and calls [`check`] with its
//!    `vm_flags` ([`VmaAccess::from_vm_flags`]); on `Err` the answer is
//!    `INVALID`;
//! 3. calls `handle_mm_fault(vma, addr, flags, NULL)` with the flags
//!    [`check`] returned, and maps its result with [`status_from_vm_fault`].
//!
//! The group's answer is the first non-`SUCCESS` status, and requests after
//! it are not handled ("errors are sticky"): [`GroupStatus`].
//!
//! # Decision table
//!
//! Required VMA permissions and fault flags, from the request's `perm`:
//!
//! | `perm` bit   | needs in `vm_flags` | adds fault flag            |
//! |--------------|---------------------|----------------------------|
//! | (always)     |                     | `FAULT_FLAG_REMOTE`        |
//! | `PERM_READ`  | `VM_READ`           |                            |
//! | `PERM_WRITE` | `VM_WRITE`          | `FAULT_FLAG_WRITE`         |
//! | `PERM_EXEC`  | `VM_EXEC`           | `FAULT_FLAG_INSTRUCTION`   |
//! | no `PERM_PRIV` |                   | `FAULT_FLAG_USER`          |
//!
//! The access is allowed iff every needed `vm_flags` bit is set; a request
//! with no permission bit needs nothing (and is a read fault for the mm
//! core). Outcomes, checked in this order:
//!
//! | condition                                  | result                        |
//! |--------------------------------------------|-------------------------------|
//! | no `PAGE_REQUEST_PASID_VALID`              | `INVALID` ([`Denied::NoPasid`]) |
//! | no VMA at the address                      | `INVALID` ([`Denied::NoVma`])   |
//! | a needed `vm_flags` bit missing            | `INVALID` ([`Denied::Access`])  |
//! | otherwise                                  | call `handle_mm_fault()`      |
//! | `handle_mm_fault()` & `VM_FAULT_ERROR`     | `INVALID`                     |
//! | otherwise                                  | `SUCCESS`                     |
//!
//! # Per-VMA lock (improvement)
//!
//! 6.12 resolves every request under `mmap_read_lock()`, serialising device
//! faults against every `mmap()`/`munmap()` of the process. The glue may
//! instead try `lock_vma_under_rcu()` first, as the arm64 CPU fault handler
//! does: add `FAULT_FLAG_VMA_LOCK` with [`LockMode::Vma`] in [`fault_flags`]
//! and interpret the result with [`after_vma_locked_fault`], which says
//! whether the glue still holds the VMA lock and whether it must retry the
//! request under `mmap_read_lock()` (when `handle_mm_fault()` returned
//! `VM_FAULT_RETRY`, it already released the VMA lock). 6.12 never passes
//! `FAULT_FLAG_ALLOW_RETRY`, and neither does this module, so under the mmap
//! lock no retry happens and the lock is still held on return.

use crate::sva::iopf::{Fault, RespCode, PERM_EXEC, PERM_PRIV, PERM_READ, PERM_WRITE};

/// `FAULT_FLAG_WRITE`.
pub const FAULT_FLAG_WRITE: u32 = 1 << 0;
/// `FAULT_FLAG_ALLOW_RETRY`.
pub const FAULT_FLAG_ALLOW_RETRY: u32 = 1 << 2;
/// `FAULT_FLAG_RETRY_NOWAIT`: return `VM_FAULT_RETRY` with the mmap lock
/// still held instead of sleeping on I/O.
pub const FAULT_FLAG_RETRY_NOWAIT: u32 = 1 << 3;
/// `FAULT_FLAG_USER`.
pub const FAULT_FLAG_USER: u32 = 1 << 6;
/// `FAULT_FLAG_REMOTE`.
pub const FAULT_FLAG_REMOTE: u32 = 1 << 7;
/// `FAULT_FLAG_INSTRUCTION`.
pub const FAULT_FLAG_INSTRUCTION: u32 = 1 << 8;
/// `FAULT_FLAG_VMA_LOCK`.
pub const FAULT_FLAG_VMA_LOCK: u32 = 1 << 12;

/// `VM_READ`.
pub const VM_READ: u64 = 0x1;
/// `VM_WRITE`.
pub const VM_WRITE: u64 = 0x2;
/// `VM_EXEC`.
pub const VM_EXEC: u64 = 0x4;

/// `VM_FAULT_OOM`.
pub const VM_FAULT_OOM: u32 = 0x000001;
/// `VM_FAULT_SIGBUS`.
pub const VM_FAULT_SIGBUS: u32 = 0x000002;
/// `VM_FAULT_MAJOR`.
pub const VM_FAULT_MAJOR: u32 = 0x000004;
/// `VM_FAULT_HWPOISON`.
pub const VM_FAULT_HWPOISON: u32 = 0x000010;
/// `VM_FAULT_HWPOISON_LARGE`.
pub const VM_FAULT_HWPOISON_LARGE: u32 = 0x000020;
/// `VM_FAULT_SIGSEGV`.
pub const VM_FAULT_SIGSEGV: u32 = 0x000040;
/// `VM_FAULT_NOPAGE`.
pub const VM_FAULT_NOPAGE: u32 = 0x000100;
/// `VM_FAULT_LOCKED`.
pub const VM_FAULT_LOCKED: u32 = 0x000200;
/// `VM_FAULT_RETRY`.
pub const VM_FAULT_RETRY: u32 = 0x000400;
/// `VM_FAULT_FALLBACK`.
pub const VM_FAULT_FALLBACK: u32 = 0x000800;
/// `VM_FAULT_COMPLETED`.
pub const VM_FAULT_COMPLETED: u32 = 0x004000;
/// `VM_FAULT_ERROR`: the results that mean the fault could not be resolved.
pub const VM_FAULT_ERROR: u32 = VM_FAULT_OOM
    | VM_FAULT_SIGBUS
    | VM_FAULT_SIGSEGV
    | VM_FAULT_HWPOISON
    | VM_FAULT_HWPOISON_LARGE
    | VM_FAULT_FALLBACK;

/// The access bits of a VMA (`vma->vm_flags & (VM_READ|VM_WRITE|VM_EXEC)`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct VmaAccess {
    /// `VM_READ`.
    pub read: bool,
    /// `VM_WRITE`.
    pub write: bool,
    /// `VM_EXEC`.
    pub exec: bool,
}

impl VmaAccess {
    /// Extracts the access bits of `vm_flags`.
    pub fn from_vm_flags(vm_flags: u64) -> Self {
        VmaAccess {
            read: vm_flags & VM_READ != 0,
            write: vm_flags & VM_WRITE != 0,
            exec: vm_flags & VM_EXEC != 0,
        }
    }

    /// The VMA permissions a request with `perm` needs.
    pub fn required_by(perm: u32) -> Self {
        VmaAccess {
            read: perm & PERM_READ != 0,
            write: perm & PERM_WRITE != 0,
            exec: perm & PERM_EXEC != 0,
        }
    }

    /// Every permission of `needed` is in `self`.
    pub fn allows(&self, needed: &VmaAccess) -> bool {
        (self.read || !needed.read) && (self.write || !needed.write) && (self.exec || !needed.exec)
    }
}

/// Why a request is answered `INVALID` without calling `handle_mm_fault()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Denied {
    /// The request has no PASID, so it cannot name an mm.
    NoPasid,
    /// No VMA covers the address.
    NoVma,
    /// The VMA lacks a permission the request needs.
    Access,
}

/// Which lock the glue holds when it calls `handle_mm_fault()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LockMode {
    /// `mmap_read_lock()`, as 6.12.
    Mmap,
    /// The VMA's read lock from `lock_vma_under_rcu()`.
    Vma,
}

/// The `handle_mm_fault()` flags for a request with `perm`.
pub fn fault_flags(perm: u32, lock: LockMode) -> u32 {
    let mut flags = FAULT_FLAG_REMOTE;
    if perm & PERM_WRITE != 0 {
        flags |= FAULT_FLAG_WRITE;
    }
    if perm & PERM_EXEC != 0 {
        flags |= FAULT_FLAG_INSTRUCTION;
    }
    if perm & PERM_PRIV == 0 {
        flags |= FAULT_FLAG_USER;
    }
    if lock == LockMode::Vma {
        flags |= FAULT_FLAG_VMA_LOCK;
    }
    flags
}

/// Decides whether `handle_mm_fault()` may be called for `fault` on a VMA
/// with `vma` permissions (`None`: no VMA at the address), and with which
/// flags. See the module's decision table.
pub fn check(fault: &Fault, vma: Option<VmaAccess>, lock: LockMode) -> Result<u32, Denied> {
    if !fault.pasid_valid() {
        return Err(Denied::NoPasid);
    }
    let vma = vma.ok_or(Denied::NoVma)?;
    if !vma.allows(&VmaAccess::required_by(fault.perm)) {
        return Err(Denied::Access);
    }
    Ok(fault_flags(fault.perm, lock))
}

/// The response for a `handle_mm_fault()` result.
pub fn status_from_vm_fault(ret: u32) -> RespCode {
    if ret & VM_FAULT_ERROR != 0 {
        RespCode::Invalid
    } else {
        RespCode::Success
    }
}

/// What to do after `handle_mm_fault()` under the VMA lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VmaLockedOutcome {
    /// The request is resolved with `code`. `unlock`: the glue still holds
    /// the VMA lock and must `vma_end_read()` it.
    Done {
        /// The request's status.
        code: RespCode,
        /// The VMA lock is still held.
        unlock: bool,
    },
    /// `VM_FAULT_RETRY`: the VMA lock was released; handle the request again
    /// under `mmap_read_lock()` (look the VMA up again, call [`check`] with
    /// [`LockMode::Mmap`]).
    RetryUnderMmapLock,
}

/// Interprets a `handle_mm_fault()` result obtained with
/// `FAULT_FLAG_VMA_LOCK`, like the arm64 CPU fault handler.
pub fn after_vma_locked_fault(ret: u32) -> VmaLockedOutcome {
    if ret & VM_FAULT_RETRY != 0 {
        return VmaLockedOutcome::RetryUnderMmapLock;
    }
    VmaLockedOutcome::Done {
        code: status_from_vm_fault(ret),
        unlock: ret & VM_FAULT_COMPLETED == 0,
    }
}

/// The `handle_mm_fault()` flags for an attempt that must not sleep on
/// I/O, under `mmap_read_trylock()`: a fault that would wait for a page
/// to be read returns `VM_FAULT_RETRY` instead, with the mmap lock still
/// held. (6.12 refuses `FAULT_FLAG_RETRY_NOWAIT` with the per-VMA lock.)
pub fn nowait_fault_flags(perm: u32) -> u32 {
    fault_flags(perm, LockMode::Mmap) | FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_RETRY_NOWAIT
}

/// What to do after a [`nowait_fault_flags`] attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NowaitOutcome {
    /// The request is resolved with `code`. `unlock`: the glue still holds
    /// the mmap lock and must release it.
    Done {
        /// The request's status.
        code: RespCode,
        /// The mmap lock is still held.
        unlock: bool,
    },
    /// The fault needs to sleep: release the mmap lock (still held) and
    /// resolve the request where sleeping is fine (the fault workqueue).
    Defer,
}

/// Interprets a `handle_mm_fault()` result obtained with
/// [`nowait_fault_flags`].
pub fn after_nowait_fault(ret: u32) -> NowaitOutcome {
    if ret & VM_FAULT_RETRY != 0 {
        return NowaitOutcome::Defer;
    }
    NowaitOutcome::Done {
        code: status_from_vm_fault(ret),
        // VM_FAULT_COMPLETED: the fault released the lock itself.
        unlock: ret & VM_FAULT_COMPLETED == 0,
    }
}

/// The sticky status of a group being resolved.
///
/// # Invariants
///
/// Once `code` is not `Success` it never changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GroupStatus {
    code: RespCode,
}

impl Default for GroupStatus {
    fn default() -> Self {
        Self::new()
    }
}

impl GroupStatus {
    /// A group with no request resolved yet (`SUCCESS`).
    pub fn new() -> Self {
        GroupStatus {
            code: RespCode::Success,
        }
    }

    /// Whether the next request should be handled (no error so far).
    pub fn should_continue(&self) -> bool {
        self.code == RespCode::Success
    }

    /// Records the status of one request; the first error sticks.
    pub fn record(&mut self, code: RespCode) {
        if self.code == RespCode::Success {
            self.code = code;
        }
    }

    /// The group's response code.
    pub fn code(&self) -> RespCode {
        self.code
    }
}

/// Resolves a group's requests in order with `resolve`, stopping at the
/// first that does not succeed, and returns the group's response code.
pub fn resolve_group<'a, I, F>(faults: I, mut resolve: F) -> RespCode
where
    I: IntoIterator<Item = &'a Fault>,
    F: FnMut(&Fault) -> RespCode,
{
    let mut status = GroupStatus::new();
    for f in faults {
        if !status.should_continue() {
            break;
        }
        status.record(resolve(f));
    }
    status.code()
}
