// SPDX-License-Identifier: GPL-2.0

//! Command queue consumption and command execution.
//!
//! Commands are consumed synchronously, from `CMDQ_CONS` up to `CMDQ_PROD`,
//! whenever `CMDQ_PROD` is written, `CMDQEN` is set, or a command queue
//! error is acknowledged, as long as `CMDQEN` is set and no `CMDQ_ERR` is
//! active. A command that cannot be fetched (`CERROR_ABT`) or is illegal
//! (`CERROR_ILL`) stops consumption with `CMDQ_CONS` indexing it, `ERR` set
//! and `GERROR.CMDQ_ERR` toggled; software acknowledges through `GERRORN`
//! after replacing the command, and consumption restarts at that same
//! index.
//!
//! Beyond what [`Command::decode`] rejects, a command is illegal here when
//! it needs something the model does not implement: EL3 and stage 2
//! invalidations, `TLBI_EL2_*` without `IDR0.HYP`, `ATC_INV` without ATS,
//! `PRI_RESP` without PRI, `RESUME`/`STALL_TERM` with a terminate-only stall
//! model, or a SubstreamID beyond `IDR1.SSIDSIZE`. Range fields (`TG`,
//! `SCALE`, `NUM`, `TTL`) are ignored without `IDR3.RIL`, as RES0 fields
//! may be.

use super::{bump, CfgEntry, Smmu};
use crate::hw::cmd::{Command, SyncCs, TlbiVa};
use crate::hw::mem::PhysMem;
use crate::hw::queue::CMDQ_ENTRY_BYTES;
use crate::hw::regs::{CmdqError, Gerror};

use super::regs::QPTR_MASK;
use super::xlate::{Regime, TlbEntry};

/// Result of executing one command: `Err` holds a `CERROR_*` code.
type CmdResult = Result<(), u32>;

const ILL: CmdResult = Err(CmdqError::CERROR_ILL);

impl<
        const CFG: usize,
        const TLB: usize,
        const ATC: usize,
        const STALLS: usize,
        const PRIS: usize,
    > Smmu<CFG, TLB, ATC, STALLS, PRIS>
{
    /// Consumes commands while the queue is enabled, error-free and not
    /// empty.
    pub(super) fn process_cmdq<M: PhysMem + ?Sized>(&mut self, mem: &M) {
        if !self.regs.cr0().cmdqen() || self.gerror_active(Gerror::CMDQ_ERR_BIT) {
            return;
        }
        let q = self.cmdq_queue();
        // Restarting after an acknowledged error clears ERR.
        let mut cons = self.regs.cmdq.cons & QPTR_MASK;
        self.regs.cmdq.cons = cons;
        // Index and wrap can differ by at most twice the queue size, so this
        // bounds the loop even for a garbage PROD.
        let mut budget = q.entries().saturating_mul(2);
        while budget > 0 && !q.is_empty(self.regs.cmdq.prod, cons) {
            budget -= 1;
            let addr = self.regs.cmdq.entry_addr(&q, cons, CMDQ_ENTRY_BYTES);
            let words = match (mem.read_u64(addr), mem.read_u64(addr.wrapping_add(8))) {
                (Ok(w0), Ok(w1)) => [w0, w1],
                _ => {
                    self.cmdq_error(mem, CmdqError::CERROR_ABT);
                    return;
                }
            };
            let result = match Command::decode(words) {
                Ok(cmd) => self.execute(mem, cmd),
                Err(_) => ILL,
            };
            if let Err(code) = result {
                self.cmdq_error(mem, code);
                return;
            }
            bump(&mut self.stats.commands);
            if cmd_is_tlbi(words) {
                bump(&mut self.stats.tlbi_commands);
            }
            if words[0] & 0xff == u64::from(crate::hw::cmd::opcode::CMD_ATC_INV) {
                bump(&mut self.stats.atc_inv_commands);
            }
            cons = q.inc(cons);
            self.regs.cmdq.cons = cons;
        }
    }

    /// Whether `ssid` is within `IDR1.SSIDSIZE`.
    fn ssid_ok(&self, ssid: Option<u32>) -> bool {
        match ssid {
            None => true,
            Some(s) => u64::from(s) >> self.cfg.ssidsize == 0,
        }
    }

    /// Executes one decoded command.
    fn execute<M: PhysMem + ?Sized>(&mut self, mem: &M, cmd: Command) -> CmdResult {
        match cmd {
            Command::PrefetchConfig { ssid, .. } | Command::PrefetchAddr { ssid, .. } => {
                if !self.ssid_ok(ssid) {
                    return ILL;
                }
            }
            Command::CfgiSte { sid, .. } => self.cfgi_sids(u64::from(sid), 1),
            Command::CfgiSteRange { sid, range } => {
                // range <= 30: the span is at most 2^31 StreamIDs.
                let span = 1u64 << (u32::from(range) + 1);
                self.cfgi_sids(u64::from(sid) & !(span - 1), span);
            }
            Command::CfgiAll => self.cfg_cache.clear(),
            Command::CfgiCd { sid, ssid, leaf } => {
                if !self.ssid_ok(Some(ssid)) {
                    return ILL;
                }
                self.cfg_cache.remove_where(|e| match *e {
                    CfgEntry::Cd {
                        sid: s, ssid: p, ..
                    } => s == sid && p == ssid,
                    CfgEntry::L1Cd { sid: s, .. } => !leaf && s == sid,
                    CfgEntry::Ste { .. } => false,
                });
            }
            Command::CfgiCdAll { sid } => {
                self.cfg_cache.remove_where(|e| {
                    matches!(e, CfgEntry::Cd { .. } | CfgEntry::L1Cd { .. }) && e.sid() == sid
                });
            }
            Command::TlbiNhAll { .. } | Command::TlbiNsnhAll => {
                self.tlb.remove_where(|e| e.regime == Regime::El1);
            }
            Command::TlbiNhAsid { asid, .. } => self.tlbi_asid(Regime::El1, asid),
            Command::TlbiNhVa { asid, va, .. } => self.tlbi_va(Regime::El1, Some(asid), &va),
            Command::TlbiNhVaa { va, .. } => self.tlbi_va(Regime::El1, None, &va),
            // EL3 commands belong to the Secure queue; stage 2 is not
            // implemented.
            Command::TlbiEl3All
            | Command::TlbiEl3Va { .. }
            | Command::TlbiS12Vmall { .. }
            | Command::TlbiS2Ipa { .. } => return ILL,
            Command::TlbiEl2All
            | Command::TlbiEl2Asid { .. }
            | Command::TlbiEl2Va { .. }
            | Command::TlbiEl2Vaa { .. }
                if !self.cfg.hyp =>
            {
                return ILL
            }
            Command::TlbiEl2All => {
                self.tlb.remove_where(|e| e.regime == Regime::El2);
            }
            Command::TlbiEl2Asid { asid } => self.tlbi_asid(Regime::El2, asid),
            Command::TlbiEl2Va { asid, va } => self.tlbi_va(Regime::El2, Some(asid), &va),
            Command::TlbiEl2Vaa { va } => self.tlbi_va(Regime::El2, None, &va),
            Command::AtcInv {
                sid,
                ssid,
                global,
                size,
                addr,
            } => {
                if !self.cfg.ats || !self.ssid_ok(ssid) {
                    return ILL;
                }
                self.atc_invalidate(sid, ssid, global, size, addr);
            }
            Command::PriResp {
                sid,
                ssid,
                prgi,
                resp,
            } => {
                if !self.cfg.pri || !self.ssid_ok(ssid) {
                    return ILL;
                }
                self.pri_respond(sid, prgi, resp);
            }
            Command::Resume { sid, stag, action } => {
                if !self.feat.stalls() {
                    return ILL;
                }
                self.resume(sid, stag, action);
            }
            Command::StallTerm { sid } => {
                if !self.feat.stalls() {
                    return ILL;
                }
                self.stall_term(sid);
            }
            Command::Sync(sync) => match sync.cs {
                SyncCs::None => {}
                SyncCs::Sev => bump(&mut self.irqs.sev),
                SyncCs::Irq => {
                    bump(&mut self.irqs.cmd_sync);
                    if self.cfg.msi
                        && sync.msi_addr != 0
                        && !self.msi_write(mem, sync.msi_addr, sync.msi_data)
                    {
                        self.raise_gerror(mem, Gerror::MSI_CMDQ_ABT_ERR_BIT);
                    }
                }
            },
        }
        Ok(())
    }

    /// Invalidates the cached STEs of StreamIDs `[first, first + count)`,
    /// with the CDs and L1CDs located through them.
    fn cfgi_sids(&mut self, first: u64, count: u64) {
        let end = first.saturating_add(count);
        self.cfg_cache.remove_where(|e| {
            let sid = u64::from(e.sid());
            sid >= first && sid < end
        });
    }

    /// `TLBI_NH_ASID`/`TLBI_EL2_ASID`: invalidates the non-global entries
    /// of `asid` in `regime`.
    fn tlbi_asid(&mut self, regime: Regime, asid: u16) {
        let asid = self.mask_asid(asid);
        self.tlb
            .remove_where(|e| e.regime == regime && !e.global && e.asid == asid);
    }

    /// `TLBI_*_VA` (`asid` given) and `TLBI_*_VAA` (`None`: any ASID):
    /// invalidates the entries of `regime` that `va` hits, global entries
    /// included.
    fn tlbi_va(&mut self, regime: Regime, asid: Option<u16>, va: &TlbiVa) {
        let asid = asid.map(|a| self.mask_asid(a));
        let ril = self.cfg.ril;
        self.tlb.remove_where(|e| {
            let asid_hit = match asid {
                Some(a) => e.global || e.asid == a,
                None => true,
            };
            e.regime == regime && asid_hit && e.hit_by(va, ril)
        });
    }

    /// An ASID as the TLB tags it: [`Features::asid_bits`] bits (8 without
    /// `IDR0.ASID16`).
    ///
    /// [`Features::asid_bits`]: crate::hw::regs::Features::asid_bits
    pub(super) fn mask_asid(&self, asid: u16) -> u16 {
        let unused = u16::BITS.saturating_sub(self.feat.asid_bits());
        asid & u16::MAX.checked_shr(unused).unwrap_or(0)
    }
}

impl TlbEntry {
    /// Whether a TLBI-by-address with `va` invalidates this entry.
    ///
    /// A single address hits the entry containing it. A range (only with
    /// `ril`) hits entries of its granule (`TG`) overlapping
    /// `[Address, Address + ((NUM + 1) << SCALE) granules)`, restricted to
    /// the level `TTL` names when it is non-zero. Address bits 63:56 are
    /// ignored (the TLB holds addresses below 2^56).
    pub(super) fn hit_by(&self, va: &TlbiVa, ril: bool) -> bool {
        let addr = va.addr & crate::hw::bits::genmask(55, 0);
        match va.range {
            Some(r) if ril => {
                if self.granule_shift != r.tg.shift() {
                    return false;
                }
                if r.ttl != 0 && self.level != r.ttl {
                    return false;
                }
                let end = addr.saturating_add(r.bytes());
                self.overlaps(addr, end)
            }
            _ => self.contains(addr),
        }
    }
}

/// Whether the raw command `words` is a TLB invalidation that the model
/// executed (opcodes `0x10..=0x30`, `CMD_TLBI_*`).
fn cmd_is_tlbi(words: [u64; 2]) -> bool {
    matches!(words[0] & 0xff, 0x10..=0x30)
}

#[cfg(test)]
mod tests {
    use crate::model::{DefaultSmmu, ModelConfig};

    #[test]
    fn asids_are_masked_to_the_implemented_width() {
        let wide = DefaultSmmu::new(ModelConfig::full());
        assert_eq!(wide.mask_asid(0xabcd), 0xabcd);
        let narrow = DefaultSmmu::new(ModelConfig {
            asid16: false,
            ..ModelConfig::full()
        });
        assert_eq!(narrow.mask_asid(0xabcd), 0xcd);
        assert_eq!(narrow.mask_asid(0xff), 0xff);
    }
}
