// SPDX-License-Identifier: GPL-2.0

//! TLB and ATC invalidation helpers on top of the command queue.
//!
//! * [`CmdQueue::tlbi_context`]: everything of one ASID or VMID.
//! * [`CmdQueue::tlbi_range`]: an address range, planned by
//!   [`TlbiRequest::plan`] (range invalidation when `SMMU_IDR3.RIL`, the
//!   fewest commands, leaf-only when asked), falling back to
//!   [`CmdQueue::tlbi_context`] when the plan needs `max_ops` commands or
//!   more.
//! * [`CmdQueue::atc_inv`]: a range of one device's ATC, planned by
//!   [`plan_atc`]; [`CmdQueue::atc_inv_streams`] the same range in the ATCs
//!   of several streams, with one `CMD_SYNC`.
//!
//! Stage 1 contexts use the NS-EL1 commands with VMID 0 (the VMID
//! [`Ste::cd_table`](crate::hw::ste::Ste::cd_table) gives stage 1
//! streams), or the EL2 commands when the SMMU runs with `SMMU_CR2.E2H`
//! ([`Device::e2h`]). Each helper ends with a `CMD_SYNC` and returns once
//! the invalidation is complete.

use crate::hw::cmd::{Command, TlbiVa};
use crate::hw::range::{plan_atc, should_invalidate_all, AtcPolicy, TlbiRequest};
use crate::smmu::backend::{CoherentBuf, Delay, RegisterIo};
use crate::smmu::cmdq::CmdQueue;
use crate::smmu::device::Device;
use crate::smmu::error::SmmuError;

/// The translation context an invalidation targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvContext {
    /// A stage 1 context (a CD's ASID).
    Asid(u16),
    /// A stage 2 domain (an STE's VMID); invalidates both stages of it.
    Vmid(u16),
}

/// How [`CmdQueue::tlbi_range`] carried out an invalidation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlbiOutcome {
    /// By address, with this many commands (0 for an empty range).
    ByAddress(u64),
    /// The plan was too long: the whole context was invalidated.
    WholeContext,
}

/// The command invalidating one planned address of `ctx`.
fn tlbi_va_cmd(ctx: InvContext, e2h: bool, va: TlbiVa) -> Command {
    match ctx {
        InvContext::Asid(asid) if e2h => Command::TlbiEl2Va { asid, va },
        InvContext::Asid(asid) => Command::TlbiNhVa { vmid: 0, asid, va },
        InvContext::Vmid(vmid) => Command::TlbiS2Ipa { vmid, ipa: va },
    }
}

impl<B: CoherentBuf> CmdQueue<B> {
    /// Invalidates every TLB entry of `ctx` and waits.
    pub fn tlbi_context<R: RegisterIo, D: Delay>(
        &mut self,
        dev: &Device<R, D>,
        ctx: InvContext,
    ) -> Result<(), SmmuError> {
        let cmd = match ctx {
            InvContext::Asid(asid) if dev.e2h() => Command::TlbiEl2Asid { asid },
            InvContext::Asid(asid) => Command::TlbiNhAsid { vmid: 0, asid },
            InvContext::Vmid(vmid) => Command::TlbiS12Vmall { vmid },
        };
        self.issue(dev, &[cmd], true)
    }

    /// Invalidates the range described by `req` in `ctx` and waits.
    ///
    /// `req.ril` is honoured only if the SMMU implements range
    /// invalidation. When the plan needs `max_ops` commands or more (see
    /// [`crate::hw::range::DEFAULT_MAX_TLBI_OPS`]), the whole context is
    /// invalidated instead.
    pub fn tlbi_range<R: RegisterIo, D: Delay>(
        &mut self,
        dev: &Device<R, D>,
        ctx: InvContext,
        req: &TlbiRequest,
        max_ops: u64,
    ) -> Result<TlbiOutcome, SmmuError> {
        let mut req = *req;
        req.ril = req.ril && dev.features().ril;
        let plan = req.plan().map_err(|_| {
            SmmuError::Command(crate::hw::cmd::CmdError::OutOfRange {
                field: "invalidation range",
                value: req.iova,
            })
        })?;
        let count = plan.count_left();
        if should_invalidate_all(count, max_ops) {
            self.tlbi_context(dev, ctx)?;
            return Ok(TlbiOutcome::WholeContext);
        }
        if count == 0 {
            return Ok(TlbiOutcome::ByAddress(0));
        }
        let e2h = dev.e2h();
        let mut batch = self.batch(dev);
        for va in plan {
            batch.add(&tlbi_va_cmd(ctx, e2h, va))?;
        }
        batch.sync()?;
        Ok(TlbiOutcome::ByAddress(count))
    }

    /// Invalidates `[iova, iova + size)` in the ATC of StreamID `sid`
    /// (SubstreamID `ssid`, or every PASID and non-PASID entry when
    /// `None`) and waits. `size == 0` invalidates everything.
    pub fn atc_inv<R: RegisterIo, D: Delay>(
        &mut self,
        dev: &Device<R, D>,
        sid: u32,
        ssid: Option<u32>,
        iova: u64,
        size: u64,
        policy: AtcPolicy,
    ) -> Result<u64, SmmuError> {
        self.atc_inv_streams(dev, [(sid, ssid)], iova, size, policy)
    }

    /// Invalidates `[iova, iova + size)` in the ATC of each `(StreamID,
    /// SubstreamID)` of `targets`, as [`CmdQueue::atc_inv`] does for one,
    /// but waits once for all of them: the commands share one `CMD_SYNC`
    /// (and the batches of [`CmdQueue::batch`]). Returns the number of
    /// `CMD_ATC_INV`s.
    ///
    /// An error does not say which ATC failed to complete. Commands that
    /// could not be queued (the queue stopped while a full batch was
    /// written) are lost, but every other target is still invalidated and
    /// waited for: the first error is returned after the `CMD_SYNC`.
    pub fn atc_inv_streams<R: RegisterIo, D: Delay>(
        &mut self,
        dev: &Device<R, D>,
        targets: impl IntoIterator<Item = (u32, Option<u32>)>,
        iova: u64,
        size: u64,
        policy: AtcPolicy,
    ) -> Result<u64, SmmuError> {
        let plan = plan_atc(iova, size, policy);
        let mut batch = self.batch(dev);
        let mut n = 0u64;
        let mut first_err = None;
        for (sid, ssid) in targets {
            for span in plan.clone() {
                let r = batch.add(&Command::AtcInv {
                    sid,
                    ssid,
                    global: false,
                    size: span.size,
                    addr: span.addr,
                });
                match r {
                    Ok(()) => n = n.saturating_add(1),
                    Err(e) => {
                        first_err.get_or_insert(e);
                    }
                }
            }
        }
        if n == 0 && first_err.is_none() {
            return Ok(0);
        }
        let synced = batch.sync();
        match first_err {
            Some(e) => Err(e),
            None => synced.map(|()| n),
        }
    }
}
