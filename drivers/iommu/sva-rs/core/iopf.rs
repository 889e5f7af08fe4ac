// SPDX-License-Identifier: GPL-2.0

//! I/O page fault group assembly (`io-pgfault.c`).
//!
//! # What 6.12 does
//!
//! An IOMMU driver reports each page request with
//! `iommu_report_device_fault()`. Requests belong to groups (the PCIe Page
//! Request Group Index, or the SMMU stall tag). A request without
//! `LAST_PAGE` is queued on the device's *partial* list and never answered
//! on its own; the `LAST_PAGE` request completes its group with every
//! partial request of the same group index, and the group goes to the
//! `iopf_handler` of the domain attached at the request's PASID (or at
//! `IOMMU_NO_PASID` when the request has none). The handler (for SVA, a work
//! item that calls `handle_mm_fault()` for each page) answers the group once
//! with `iopf_group_response()`: `SUCCESS`, `INVALID` (the access cannot be
//! resolved, do not retry) or `FAILURE` (give up on the device). A request
//! that finds no handler is answered `INVALID`; a group that cannot be
//! allocated or queued is answered `FAILURE`.
//!
//! # Weaknesses fixed here
//!
//! - **Unbounded partial lists.** 6.12 allocates every partial request and
//!   keeps it until its group completes, the device is removed, or the
//!   queue overflows; a device (or a buggy one) that never sends
//!   `LAST_PAGE` grows the list without limit, and partial requests whose
//!   last page finds no handler stay forever. Here the partial list of a
//!   device is a FIFO of `P` entries: when it is full the *oldest* entry is
//!   evicted. Evicting rather than rejecting keeps the device live under a
//!   flood: a flood of never-completed groups can only push out other
//!   partial requests, never block new groups. A group that lost pages to
//!   eviction is still dispatched and answered; its device sees a
//!   successful response without the evicted pages mapped and requests
//!   them again, which is the normal PRI retry path. The partial requests
//!   of a group whose last page finds no handler are dropped with it.
//! - **Cross-PASID groups.** 6.12 merges partial requests by group index
//!   only, so a partial request of one PASID can be resolved in another
//!   PASID's address space. Here groups are keyed by (PASID valid, PASID,
//!   group index): [`GroupKey`].
//! - **Use after free on PASID removal.** 6.12 queues a work item that holds
//!   a pointer to the attach handle, hence to the domain and its mm, and
//!   nothing flushes the IOPF workqueue when an SVA bond is unbound: if the
//!   work runs after the unbind freed the handle and the domain, it reads
//!   freed memory. Here every dispatched group is a slot with a generation
//!   ([`GroupToken`]); removing a PASID or a device answers its pending
//!   groups at once and makes their tokens stale, so a queued work item that
//!   starts later learns from [`IopfDevice::start`] that it must not touch
//!   the handle; handlers already running are counted
//!   ([`IopfDevice::busy`]) so the glue can wait for exactly those before it
//!   frees anything. See *Removal protocol*.
//! - **One response per group.** [`IopfDevice::complete`] answers a group
//!   once; answering it again, or answering a group that removal already
//!   answered, is refused (`-ENOENT`) or yields no response, so the device
//!   never sees two responses for one group.
//!
//! # Responses (6.12 rules)
//!
//! A request needs a response when it is a page request
//! ([`FAULT_TYPE_PAGE_REQ`]) with [`PAGE_REQUEST_LAST_PAGE`]. A response
//! carries the group index and the whole last request, so the driver sees
//! its flags and private data (`private_data` is always carried in 6.12;
//! the old `PRIV_DATA` flag no longer exists, and unknown flag bits are kept
//! as they are). The response holds a PASID when the request had
//! [`PAGE_RESPONSE_NEEDS_PASID`] ([`Response::pasid`]); the C structure is
//! filled with the request's PASID either way, as 6.12 does. A request that
//! is not the last of its group is never answered, even when it finds no
//! handler (6.12 answers that one `INVALID` too, which answers the whole
//! group early and gives the device a second response with the real last
//! page).
//!
//! # Driving it
//!
//! The glue keeps one [`IopfDevice`] per device that was added to an IOPF
//! queue, behind a mutex (the *device lock*), and a [`FaultSink`] per group
//! (a `KVec<iopf_fault>` in its work item) that receives the group's
//! requests.
//!
//! Report (`iommu_report_device_fault()`), under the device lock:
//! 1. look up the handler: the attach handle at the request's PASID (or at
//!    `IOMMU_NO_PASID`) whose domain has an `iopf_handler`; the glue's route
//!    `R` names it (a pointer, or a small id);
//! 2. call [`IopfDevice::report`] and act on the [`Reported`] value:
//!    nothing, send the immediate response, or queue the work for the
//!    [`GroupToken`] with the filled sink.
//!
//! Work item:
//! 1. under the device lock, [`IopfDevice::start`]`(token)`; on error the
//!    group was already answered: free the work item and touch nothing else;
//!    on success take the references the handler needs (`mmget_not_zero()`);
//! 2. resolve the requests without the lock ([`crate::sva::access`]);
//! 3. under the device lock, [`IopfDevice::complete`]`(token, code)` and
//!    send the response it returns, if any.
//!
//! # Removal protocol
//!
//! PASID removal (SVA unbind, [`crate::sva::bond::Action::FlushFaults`]):
//! 1. the driver stops the hardware from producing requests for the PASID
//!    and drains its queue (as 6.12 requires);
//! 2. `iommu_detach_device_pasid()` removes the attach handle, so no later
//!    lookup finds it;
//! 3. under the device lock, [`IopfDevice::remove_pasid`]: drops the
//!    PASID's partial requests and answers every pending group of the PASID
//!    `INVALID`. Because lookup and report happen under the device lock, any
//!    report that found the old handle has dispatched its group before this
//!    step and is answered here;
//! 4. while [`IopfDevice::busy`]`(pasid)` is non-zero (handlers that had
//!    already started), flush the IOPF workqueue; their `complete()` returns
//!    no response, since the group was answered in step 3;
//! 5. free the bond, then the domain if unused.
//!
//! Device removal (`iopf_queue_remove_device()`) is the same with
//! [`IopfDevice::remove_device`] (after which every report is refused) and
//! [`IopfDevice::is_quiescent`]; the glue frees the [`IopfDevice`] once it is
//! quiescent. Queue overflow (`iopf_queue_discard_partial()`) calls
//! [`IopfDevice::discard_partial`] on each device of the queue.

use crate::sva::errno::Errno;

/// `IOMMU_FAULT_PAGE_REQ`: the only fault type of 6.12.
pub const FAULT_TYPE_PAGE_REQ: u32 = 1;

/// `IOMMU_FAULT_PAGE_REQUEST_PASID_VALID`: the request has a PASID.
pub const PAGE_REQUEST_PASID_VALID: u32 = 1 << 0;
/// `IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE`: last request of its group.
pub const PAGE_REQUEST_LAST_PAGE: u32 = 1 << 1;
/// `IOMMU_FAULT_PAGE_RESPONSE_NEEDS_PASID`: the response must carry the
/// request's PASID.
pub const PAGE_RESPONSE_NEEDS_PASID: u32 = 1 << 2;

/// `IOMMU_FAULT_PERM_READ`.
pub const PERM_READ: u32 = 1 << 0;
/// `IOMMU_FAULT_PERM_WRITE`.
pub const PERM_WRITE: u32 = 1 << 1;
/// `IOMMU_FAULT_PERM_EXEC`.
pub const PERM_EXEC: u32 = 1 << 2;
/// `IOMMU_FAULT_PERM_PRIV`.
pub const PERM_PRIV: u32 = 1 << 3;

/// One reported fault: `struct iommu_fault` with its page request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Fault {
    /// `type` (`IOMMU_FAULT_PAGE_REQ`).
    pub kind: u32,
    /// `prm.flags` (`PAGE_REQUEST_*`, `PAGE_RESPONSE_NEEDS_PASID`).
    pub flags: u32,
    /// `prm.pasid`, meaningful with [`PAGE_REQUEST_PASID_VALID`].
    pub pasid: u32,
    /// `prm.grpid`: the page request group index.
    pub grpid: u32,
    /// `prm.perm` (`PERM_*`).
    pub perm: u32,
    /// `prm.addr`: the faulting address.
    pub addr: u64,
    /// `prm.private_data`, carried back in the response.
    pub private_data: [u64; 2],
}

impl Fault {
    /// The request carries a PASID.
    pub fn pasid_valid(&self) -> bool {
        self.flags & PAGE_REQUEST_PASID_VALID != 0
    }

    /// The request is the last of its group.
    pub fn last_page(&self) -> bool {
        self.flags & PAGE_REQUEST_LAST_PAGE != 0
    }

    /// The request must be answered (a page request, last of its group).
    pub fn needs_response(&self) -> bool {
        self.kind == FAULT_TYPE_PAGE_REQ && self.last_page()
    }

    /// The PASID, if valid.
    pub fn pasid(&self) -> Option<u32> {
        self.pasid_valid().then_some(self.pasid)
    }

    /// The group the request belongs to.
    pub fn key(&self) -> GroupKey {
        GroupKey {
            pasid: self.pasid(),
            grpid: self.grpid,
        }
    }
}

/// What identifies a group: its PASID (if any) and its group index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupKey {
    /// The PASID, `None` for requests without PASID.
    pub pasid: Option<u32>,
    /// The page request group index.
    pub grpid: u32,
}

/// `enum iommu_page_response_code`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum RespCode {
    /// `IOMMU_PAGE_RESP_SUCCESS`: resolved, retry the access.
    Success = 0,
    /// `IOMMU_PAGE_RESP_INVALID`: cannot be resolved, do not retry.
    Invalid = 1,
    /// `IOMMU_PAGE_RESP_FAILURE`: general error, stop faulting.
    Failure = 2,
}

impl RespCode {
    /// The C value.
    pub fn raw(self) -> u32 {
        self as u32
    }

    /// Decodes a C value; unknown values are `None`.
    pub fn from_raw(raw: u32) -> Option<RespCode> {
        match raw {
            0 => Some(RespCode::Success),
            1 => Some(RespCode::Invalid),
            2 => Some(RespCode::Failure),
            _ => None,
        }
    }
}

/// A response to send with `ops->page_response(dev, &last, &resp)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Response {
    /// The response code.
    pub code: RespCode,
    /// The group's last request (the `iopf_fault` the driver receives).
    pub last: Fault,
}

impl Response {
    fn new(code: RespCode, last: &Fault) -> Self {
        Response { code, last: *last }
    }

    /// `resp.grpid`.
    pub fn grpid(&self) -> u32 {
        self.last.grpid
    }

    /// `resp.pasid` as 6.12 fills it: the request's PASID field.
    pub fn pasid_field(&self) -> u32 {
        self.last.pasid
    }

    /// The PASID the response must carry: `Some` only with
    /// [`PAGE_RESPONSE_NEEDS_PASID`] on a request with a valid PASID.
    pub fn pasid(&self) -> Option<u32> {
        if self.last.flags & PAGE_RESPONSE_NEEDS_PASID != 0 {
            self.last.pasid()
        } else {
            None
        }
    }

    /// The group the response answers.
    pub fn key(&self) -> GroupKey {
        self.last.key()
    }
}

/// A [`FaultSink`] ran out of memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SinkFull;

/// Receives the requests of a group being dispatched: the partial requests
/// in arrival order, then the last one.
///
/// The kernel glue implements it with the `KVec` of its work item (a failed
/// allocation is [`SinkFull`], and the group is answered `FAILURE` as 6.12
/// answers a group it cannot allocate).
pub trait FaultSink {
    /// Appends one request.
    fn push(&mut self, fault: &Fault) -> Result<(), SinkFull>;
}

/// Names a dispatched group until it is answered.
///
/// # Invariants
///
/// `slot < G` of the [`IopfDevice`] that issued it; `gen` was the slot's
/// generation when the group was dispatched. A slot's generation changes
/// every time it is freed, so a token of an answered group never matches
/// again (until the 32-bit generation wraps, which takes 2^32 groups in the
/// same slot while the stale token is held).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GroupToken {
    slot: u32,
    gen: u32,
}

impl GroupToken {
    /// Packs the token into a `u64` (for a C `cookie` field).
    pub fn to_raw(self) -> u64 {
        (u64::from(self.gen) << 32) | u64::from(self.slot)
    }

    /// Unpacks [`GroupToken::to_raw`]. Any value is accepted: a forged or
    /// corrupted token is merely unknown to the device.
    pub fn from_raw(raw: u64) -> Self {
        GroupToken {
            slot: raw as u32,
            gen: (raw >> 32) as u32,
        }
    }
}

/// What [`IopfDevice::report`] did with a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reported<R> {
    /// A request that is not the last of its group was kept. When the list
    /// was full, the oldest partial request was evicted (no response is
    /// owed for it).
    Partial {
        /// The evicted request.
        evicted: Option<Fault>,
    },
    /// The group is complete: its requests went to the sink; queue the work
    /// for `token`. `faults` counts them (the last one included).
    Dispatched {
        /// The group's token.
        token: GroupToken,
        /// The handler the glue looked up.
        route: R,
        /// Number of requests pushed to the sink.
        faults: usize,
    },
    /// No handler, or the device was removed (6.12 `err_bad_iopf`: the glue
    /// returns `-EINVAL`). Send the response if there is one (`INVALID`).
    Rejected(Option<Response>),
    /// The group could not be tracked (sink or group table full, 6.12
    /// `err_abort`: the glue returns 0). Send the `FAILURE` response.
    Aborted(Response),
}

/// Lifecycle of a group slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SlotState<R> {
    Free,
    /// Dispatched, handler not started.
    Queued {
        last: Fault,
        route: R,
    },
    /// Handler started.
    Running {
        last: Fault,
        route: R,
    },
    /// Handler started, then the group was answered by a removal; the slot
    /// is held until the handler completes.
    Orphaned {
        pasid: Option<u32>,
        route: R,
    },
}

/// Whether the device still accepts requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DevState {
    Active,
    Removed,
}

/// Fault state of one device: bounded partial list and pending groups.
///
/// `R` is the glue's name for a fault handler (route), `P` the capacity of
/// the partial list, `G` the number of groups that can be pending at once
/// (size it at least as large as what the device can have outstanding:
/// the PRI outstanding page request allocation, or the SMMU stall limit;
/// beyond that, groups are answered `FAILURE`).
///
/// # Invariants
///
/// - `partial[..partial_len]` holds partial requests (never `LAST_PAGE`) in
///   arrival order, and `partial_len <= P`.
/// - A slot that is not `Free` holds a group dispatched and not yet freed;
///   `Queued` and `Running` slots have not been answered, `Orphaned` ones
///   have.
/// - When `Removed`, no slot is `Queued` or `Running` and the partial list
///   is empty.
/// - `used` is the number of slots that are not `Free`, so that removals
///   of an idle device cost nothing.
pub struct IopfDevice<R, const P: usize, const G: usize> {
    state: DevState,
    partial: [Fault; P],
    partial_len: usize,
    slots: [(u32, SlotState<R>); G],
    used: usize,
    cursor: usize,
}

impl<R: Copy, const P: usize, const G: usize> Default for IopfDevice<R, P, G> {
    fn default() -> Self {
        Self::new()
    }
}

impl<R: Copy, const P: usize, const G: usize> IopfDevice<R, P, G> {
    /// A device with no pending request (`iopf_queue_add_device()`).
    pub fn new() -> Self {
        IopfDevice {
            state: DevState::Active,
            partial: [Fault::default(); P],
            partial_len: 0,
            slots: [(0, SlotState::Free); G],
            used: 0,
            cursor: 0,
        }
    }

    /// Number of partial requests held.
    pub fn partial_len(&self) -> usize {
        self.partial_len
    }

    /// Number of dispatched groups not yet answered.
    pub fn pending(&self) -> usize {
        self.slots
            .iter()
            .filter(|(_, s)| matches!(s, SlotState::Queued { .. } | SlotState::Running { .. }))
            .count()
    }

    /// Whether the device was removed.
    pub fn is_removed(&self) -> bool {
        self.state == DevState::Removed
    }

    /// No group slot is in use: nothing can refer to the device any more.
    pub fn is_quiescent(&self) -> bool {
        self.used == 0
    }

    /// Number of handlers that started for `pasid`'s groups before a
    /// removal answered them and have not completed yet. The glue waits for
    /// this to reach zero before freeing what the handlers use.
    pub fn busy(&self, pasid: Option<u32>) -> usize {
        if self.used == 0 {
            return 0;
        }
        self.slots
            .iter()
            .filter(|(_, s)| matches!(s, SlotState::Orphaned { pasid: p, .. } if *p == pasid))
            .count()
    }

    /// Number of handlers of `route` that started before a removal answered
    /// their groups and have not completed yet: what the glue waits for
    /// before freeing `route`.
    pub fn busy_route(&self, route: R) -> usize
    where
        R: PartialEq,
    {
        if self.used == 0 {
            return 0;
        }
        self.slots
            .iter()
            .filter(|(_, s)| matches!(s, SlotState::Orphaned { route: r, .. } if *r == route))
            .count()
    }

    /// Initialises a device in place, as [`IopfDevice::new`] would, without
    /// building it on the stack first (the kernel allocates large tables
    /// directly).
    pub fn init_in_place(this: &mut core::mem::MaybeUninit<Self>) -> &mut Self {
        let p = this.as_mut_ptr();
        // SAFETY: `p` is aligned storage for `Self`, each field written once below.
        unsafe {
            core::ptr::addr_of_mut!((*p).state).write(DevState::Active);
            core::ptr::addr_of_mut!((*p).partial_len).write(0);
            core::ptr::addr_of_mut!((*p).used).write(0);
            core::ptr::addr_of_mut!((*p).cursor).write(0);
            let partial = core::ptr::addr_of_mut!((*p).partial).cast::<Fault>();
            for i in 0..P {
                partial.add(i).write(Fault::default());
            }
            let slots = core::ptr::addr_of_mut!((*p).slots).cast::<(u32, SlotState<R>)>();
            for i in 0..G {
                slots.add(i).write((0, SlotState::Free));
            }
            this.assume_init_mut()
        }
    }

    /// Reports a request (`iommu_report_device_fault()`).
    ///
    /// `route` is the handler the glue found for the request's PASID (or
    /// `IOMMU_NO_PASID`), `None` when there is none. Requests of another
    /// type than [`FAULT_TYPE_PAGE_REQ`] fail with `-EINVAL` (no response).
    pub fn report<S: FaultSink>(
        &mut self,
        fault: &Fault,
        route: Option<R>,
        sink: &mut S,
    ) -> Result<Reported<R>, Errno> {
        if fault.kind != FAULT_TYPE_PAGE_REQ {
            return Err(Errno::EINVAL);
        }
        let last = fault.last_page();
        let route = match (self.state, route) {
            (DevState::Active, Some(route)) => route,
            _ => {
                if last {
                    // The group's partial requests can never be used now.
                    let key = fault.key();
                    self.retain_partials(|f| f.key() != key);
                    return Ok(Reported::Rejected(Some(Response::new(
                        RespCode::Invalid,
                        fault,
                    ))));
                }
                return Ok(Reported::Rejected(None));
            }
        };
        if !last {
            let evicted = self.push_partial(fault);
            return Ok(Reported::Partial { evicted });
        }
        let mut count: usize = 0;
        let pushed = self.take_partials(fault.key(), |f| {
            sink.push(f)?;
            count = count.saturating_add(1);
            Ok(())
        });
        let pushed = pushed.and_then(|()| sink.push(fault));
        if pushed.is_err() {
            return Ok(Reported::Aborted(Response::new(RespCode::Failure, fault)));
        }
        // Slots whose index does not fit a token (`G > u32::MAX`, not a sane
        // configuration) are never handed out.
        // Search from where the last group went: with few groups pending
        // the first slot looked at is free.
        let start = if self.cursor < G { self.cursor } else { 0 };
        let free =
            (start..G)
                .chain(0..start)
                .find_map(|i| match (&self.slots[i].1, u32::try_from(i)) {
                    (SlotState::Free, Ok(t)) => Some((i, t)),
                    _ => None,
                });
        let Some((slot, index)) = free else {
            return Ok(Reported::Aborted(Response::new(RespCode::Failure, fault)));
        };
        let gen = self.slots[slot].0;
        self.slots[slot].1 = SlotState::Queued {
            last: *fault,
            route,
        };
        self.used += 1;
        self.cursor = slot + 1;
        Ok(Reported::Dispatched {
            token: GroupToken { slot: index, gen },
            route,
            faults: count.saturating_add(1),
        })
    }

    /// Marks a dispatched group as being handled and returns its route.
    ///
    /// `-ENOENT` when the group was already answered (by a removal): the
    /// caller must not touch the route, only free its own resources.
    /// `-EINVAL` when it was already started.
    pub fn start(&mut self, token: GroupToken) -> Result<R, Errno> {
        let slot = self.slot_mut(token)?;
        match slot.1 {
            SlotState::Queued { last, route } => {
                slot.1 = SlotState::Running { last, route };
                Ok(route)
            }
            SlotState::Running { .. } | SlotState::Orphaned { .. } => Err(Errno::EINVAL),
            SlotState::Free => Err(Errno::ENOENT),
        }
    }

    /// Answers a dispatched group (`iopf_group_response()`) and frees its
    /// slot.
    ///
    /// Returns the response to send, or `None` when a removal already
    /// answered the group. `-ENOENT` for an unknown or already answered
    /// token, which leaves everything unchanged.
    pub fn complete(
        &mut self,
        token: GroupToken,
        code: RespCode,
    ) -> Result<Option<Response>, Errno> {
        let slot = self.slot_mut(token)?;
        let response = match slot.1 {
            SlotState::Queued { last, .. } | SlotState::Running { last, .. } => {
                Some(Response::new(code, &last))
            }
            SlotState::Orphaned { .. } => None,
            SlotState::Free => return Err(Errno::ENOENT),
        };
        slot.0 = slot.0.wrapping_add(1);
        slot.1 = SlotState::Free;
        self.used -= 1;
        Ok(response)
    }

    /// Drops every partial request (`iopf_queue_discard_partial()`, after a
    /// hardware queue overflow lost last requests). Partial requests are
    /// never answered, so there is nothing to send. Returns how many were
    /// dropped.
    pub fn discard_partial(&mut self) -> usize {
        let n = self.partial_len;
        self.partial_len = 0;
        n
    }

    /// Answers every pending group of `pasid` (`None`: requests without
    /// PASID) `INVALID` through `respond`, exactly once each, and drops the
    /// PASID's partial requests. Queued groups are forgotten (their tokens
    /// become stale); started ones are kept until their handler completes.
    /// Returns [`IopfDevice::busy`]`(pasid)`.
    pub fn remove_pasid<F: FnMut(Response)>(
        &mut self,
        pasid: Option<u32>,
        mut respond: F,
    ) -> usize {
        self.retain_partials(|f| f.pasid() != pasid);
        if self.used == 0 {
            return 0;
        }
        for slot in self.slots.iter_mut() {
            if Self::answer_slot(slot, Some(pasid), &mut respond) {
                self.used -= 1;
            }
        }
        self.busy(pasid)
    }

    /// Removes the device (`iopf_queue_remove_device()`): drops the partial
    /// requests, answers every pending group `INVALID` through `respond`,
    /// exactly once each, and refuses every later request. Returns how many
    /// handlers are still running; the device is freed once
    /// [`IopfDevice::is_quiescent`].
    pub fn remove_device<F: FnMut(Response)>(&mut self, mut respond: F) -> usize {
        self.state = DevState::Removed;
        self.partial_len = 0;
        for slot in self.slots.iter_mut() {
            if Self::answer_slot(slot, None, &mut respond) {
                self.used -= 1;
            }
        }
        self.used
    }

    /// Accepts requests again after [`IopfDevice::remove_device`] (the
    /// device is added back to a queue). Handlers still running keep their
    /// slots.
    pub fn reopen(&mut self) {
        self.state = DevState::Active;
    }

    /// Answers a pending slot whose PASID matches `only` (any slot when
    /// `only` is `None`). Returns whether the slot became free.
    fn answer_slot<F: FnMut(Response)>(
        slot: &mut (u32, SlotState<R>),
        only: Option<Option<u32>>,
        respond: &mut F,
    ) -> bool {
        let (last, running, route) = match slot.1 {
            SlotState::Queued { last, route } => (last, false, route),
            SlotState::Running { last, route } => (last, true, route),
            SlotState::Free | SlotState::Orphaned { .. } => return false,
        };
        if only.is_some_and(|p| p != last.pasid()) {
            return false;
        }
        respond(Response::new(RespCode::Invalid, &last));
        if running {
            slot.1 = SlotState::Orphaned {
                pasid: last.pasid(),
                route,
            };
            false
        } else {
            slot.0 = slot.0.wrapping_add(1);
            slot.1 = SlotState::Free;
            true
        }
    }

    /// The slot `token` names, if its generation matches.
    fn slot_mut(&mut self, token: GroupToken) -> Result<&mut (u32, SlotState<R>), Errno> {
        let slot = usize::try_from(token.slot)
            .ok()
            .and_then(|i| self.slots.get_mut(i))
            .ok_or(Errno::ENOENT)?;
        if slot.0 != token.gen {
            return Err(Errno::ENOENT);
        }
        Ok(slot)
    }

    /// Appends a partial request, evicting the oldest when full.
    fn push_partial(&mut self, fault: &Fault) -> Option<Fault> {
        if P == 0 {
            return Some(*fault);
        }
        let mut evicted = None;
        if self.partial_len >= P {
            evicted = Some(self.partial[0]);
            self.partial.copy_within(1..P, 0);
            self.partial_len = P - 1;
        }
        self.partial[self.partial_len] = *fault;
        self.partial_len += 1;
        evicted
    }

    /// Removes the partial requests of `key` in arrival order, passing each
    /// to `f`. Stops passing (but keeps removing) after `f` fails, and
    /// returns the first failure.
    fn take_partials<F>(&mut self, key: GroupKey, mut f: F) -> Result<(), SinkFull>
    where
        F: FnMut(&Fault) -> Result<(), SinkFull>,
    {
        let mut result = Ok(());
        let mut kept = 0;
        for i in 0..self.partial_len {
            let p = self.partial[i];
            if p.key() == key {
                if result.is_ok() {
                    result = f(&p);
                }
            } else {
                self.partial[kept] = p;
                kept += 1;
            }
        }
        self.partial_len = kept;
        result
    }

    /// Keeps only the partial requests for which `keep` holds.
    fn retain_partials<F: Fn(&Fault) -> bool>(&mut self, keep: F) {
        let mut kept = 0;
        for i in 0..self.partial_len {
            let p = self.partial[i];
            if keep(&p) {
                self.partial[kept] = p;
                kept += 1;
            }
        }
        self.partial_len = kept;
    }
}
