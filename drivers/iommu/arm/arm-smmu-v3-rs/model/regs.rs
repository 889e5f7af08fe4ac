// SPDX-License-Identifier: GPL-2.0

//! The register file: reads, writes and their side effects, queue
//! geometry, interrupt signalling and global errors.

use core::ops::BitAnd;

use super::{bump, ModelConfig, Smmu};
use crate::hw::mem::PhysMem;
use crate::hw::queue::{Queue, Q_OVERFLOW_FLAG};
use crate::hw::regs::{
    offsets as off, CmdqBase, CmdqCons, CmdqProd, Cr0, Cr1, Cr2, EventqBase, Gbpa, Gerror, IrqCfg0,
    IrqCfg2, IrqCtrl, PriqBase, StrtabBase, StrtabBaseCfg, REG_FRAME_SIZE,
};

/// Writable bits of `SMMU_CR1`.
const CR1_MASK: u32 = Cr1::FIELDS_MASK;
/// Writable bits of `SMMU_GBPA` (without `Update`).
const GBPA_MASK: u32 = Gbpa::FIELDS_MASK & !Gbpa::UPDATE_BIT;
/// `SMMU_*_IRQ_CFG0.ADDR`.
const IRQ_ADDR_MASK: u64 = IrqCfg0::FIELDS_MASK;
/// `SMMU_*_IRQ_CFG2`: `SH` and `MemAttr`.
const IRQ_CFG2_MASK: u32 = IrqCfg2::FIELDS_MASK;
/// `SMMU_STRTAB_BASE`: `RA` and `ADDR`.
const STRTAB_BASE_MASK: u64 = StrtabBase::FIELDS_MASK;
/// `SMMU_STRTAB_BASE_CFG`: `FMT`, `SPLIT`, `LOG2SIZE`.
const STRTAB_CFG_MASK: u32 = StrtabBaseCfg::FIELDS_MASK;
/// `SMMU_*Q_BASE`: `RA`/`WA`, `ADDR`, `LOG2SIZE`.
const QBASE_MASK: u64 = CmdqBase::FIELDS_MASK;
// The three queues' base registers share one layout.
const _: () = assert!(EventqBase::FIELDS_MASK == QBASE_MASK && PriqBase::FIELDS_MASK == QBASE_MASK);
/// Queue base address field, bits [51:5].
const QBASE_ADDR: u64 = CmdqBase::ADDR.mask();
/// `SMMU_IRQ_CTRL` bits always writable.
const IRQ_CTRL_MASK: u32 = (IrqCtrl::EVENTQ_IRQEN.mask() | IrqCtrl::GERROR_IRQEN.mask()) as u32;
/// `SMMU_IRQ_CTRL.PRIQ_IRQEN`, writable with PRI.
const IRQ_CTRL_PRIQ: u32 = IrqCtrl::PRIQ_IRQEN.mask() as u32;
/// `SMMU_EVENTQ_PROD`/`CONS`, `SMMU_PRIQ_PROD`/`CONS`: index and overflow
/// flag.
const INQ_PTR_MASK: u32 = QPTR_MASK | Q_OVERFLOW_FLAG;
/// The `WR`/`RD` index field of the queue pointer registers.
pub(super) const QPTR_MASK: u32 = CmdqProd::WR_MASK;

/// MSI configuration of one interrupt source.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct MsiCfg {
    pub(super) addr: u64,
    pub(super) data: u32,
    pub(super) attr: u32,
}

/// One queue's base, producer and consumer registers.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct QueueRegs {
    pub(super) base: u64,
    pub(super) prod: u32,
    pub(super) cons: u32,
}

impl QueueRegs {
    /// The queue geometry: `LOG2SIZE` capped to the implemented maximum.
    pub(super) fn queue(&self, max_log2: u8) -> Queue {
        // LOG2SIZE is 5 bits; max_log2 is at most 19 (sanitised config).
        let l = (CmdqBase::LOG2SIZE.get(self.base) as u32).min(u32::from(max_log2));
        Queue::clamped(l)
    }

    /// Physical address of the entry `p` points at, for `entry_bytes`
    /// entries. The base is aligned down to the queue size, as an
    /// implementation may ignore low address bits of a misaligned base.
    pub(super) fn entry_addr(&self, q: &Queue, p: u32, entry_bytes: usize) -> u64 {
        let size = q.bytes(entry_bytes) as u64;
        let base = self.base & QBASE_ADDR & !size.saturating_sub(1);
        base.wrapping_add(q.offset(p, entry_bytes) as u64)
    }
}

/// The SMMU's registers.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct RegFile {
    pub(super) cr0: u32,
    pub(super) cr1: u32,
    pub(super) cr2: u32,
    pub(super) gbpa: u32,
    pub(super) irq_ctrl: u32,
    pub(super) gerror: u32,
    pub(super) gerrorn: u32,
    pub(super) gerror_irq: MsiCfg,
    pub(super) strtab_base: u64,
    pub(super) strtab_base_cfg: u32,
    pub(super) cmdq: QueueRegs,
    pub(super) eventq: QueueRegs,
    pub(super) eventq_irq: MsiCfg,
    pub(super) priq: QueueRegs,
    pub(super) priq_irq: MsiCfg,
}

impl RegFile {
    /// The reset state.
    pub(super) fn reset(cfg: &ModelConfig) -> Self {
        Self {
            gbpa: if cfg.gbpa_abort_at_reset {
                Gbpa::ABORT_BIT
            } else {
                0
            },
            ..Self::default()
        }
    }

    pub(super) fn cr0(&self) -> Cr0 {
        Cr0::from_raw(self.cr0)
    }

    /// The 32-bit register at `offset` whose write has no side effect: its
    /// storage, its writable bits, and whether it may be written now.
    fn reg32_mut(&mut self, offset: usize) -> Option<(&mut u32, u32, bool)> {
        let cr0 = self.cr0();
        let idle = !(cr0.smmuen() || cr0.cmdqen() || cr0.eventqen() || cr0.priqen());
        Some(match offset {
            off::CR1 => (&mut self.cr1, CR1_MASK, idle),
            off::GERROR_IRQ_CFG1 => (&mut self.gerror_irq.data, u32::MAX, true),
            off::GERROR_IRQ_CFG2 => (&mut self.gerror_irq.attr, IRQ_CFG2_MASK, true),
            off::EVENTQ_IRQ_CFG1 => (&mut self.eventq_irq.data, u32::MAX, true),
            off::EVENTQ_IRQ_CFG2 => (&mut self.eventq_irq.attr, IRQ_CFG2_MASK, true),
            off::PRIQ_IRQ_CFG1 => (&mut self.priq_irq.data, u32::MAX, true),
            off::PRIQ_IRQ_CFG2 => (&mut self.priq_irq.attr, IRQ_CFG2_MASK, true),
            off::STRTAB_BASE_CFG => (&mut self.strtab_base_cfg, STRTAB_CFG_MASK, !cr0.smmuen()),
            off::CMDQ_CONS => (&mut self.cmdq.cons, QPTR_MASK, !cr0.cmdqen()),
            off::EVENTQ_PROD => (&mut self.eventq.prod, INQ_PTR_MASK, !cr0.eventqen()),
            off::EVENTQ_CONS => (&mut self.eventq.cons, INQ_PTR_MASK, true),
            off::PRIQ_PROD => (&mut self.priq.prod, INQ_PTR_MASK, !cr0.priqen()),
            off::PRIQ_CONS => (&mut self.priq.cons, INQ_PTR_MASK, true),
            _ => return None,
        })
    }

    /// The 64-bit register at `offset` (8-byte aligned): its storage, its
    /// writable bits, and whether it may be written now.
    fn reg64_mut(&mut self, offset: usize) -> Option<(&mut u64, u64, bool)> {
        let cr0 = self.cr0();
        Some(match offset {
            off::GERROR_IRQ_CFG0 => (&mut self.gerror_irq.addr, IRQ_ADDR_MASK, true),
            off::EVENTQ_IRQ_CFG0 => (&mut self.eventq_irq.addr, IRQ_ADDR_MASK, true),
            off::PRIQ_IRQ_CFG0 => (&mut self.priq_irq.addr, IRQ_ADDR_MASK, true),
            off::STRTAB_BASE => (&mut self.strtab_base, STRTAB_BASE_MASK, !cr0.smmuen()),
            off::CMDQ_BASE => (&mut self.cmdq.base, QBASE_MASK, !cr0.cmdqen()),
            off::EVENTQ_BASE => (&mut self.eventq.base, QBASE_MASK, !cr0.eventqen()),
            off::PRIQ_BASE => (&mut self.priq.base, QBASE_MASK, !cr0.priqen()),
            _ => return None,
        })
    }

    pub(super) fn cr2(&self) -> Cr2 {
        Cr2::from_raw(self.cr2)
    }
}

/// An interrupt source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum IrqLine {
    Eventq,
    Priq,
    Gerror,
}

/// Replaces the low (`hi == false`) or high half of `reg` with `v`.
fn set_half(reg: u64, hi: bool, v: u32) -> u64 {
    if hi {
        (reg & 0xffff_ffff) | (u64::from(v) << 32)
    } else {
        (reg & !0xffff_ffff) | u64::from(v)
    }
}

/// The low (`hi == false`) or high half of `reg`.
fn half(reg: u64, hi: bool) -> u32 {
    if hi {
        (reg >> 32) as u32
    } else {
        reg as u32
    }
}

/// A register write through [`RegFile::reg32_mut`] or
/// [`RegFile::reg64_mut`]: stores the writable bits of `value` in `slot`, or
/// counts the write in `ignored` if the register may not be written now.
fn store<T: Copy + BitAnd<Output = T>>(
    (slot, mask, writable): (&mut T, T, bool),
    value: T,
    ignored: &mut u64,
) {
    if writable {
        *slot = value & mask;
    } else {
        bump(ignored);
    }
}

impl<
        const CFG: usize,
        const TLB: usize,
        const ATC: usize,
        const STALLS: usize,
        const PRIS: usize,
    > Smmu<CFG, TLB, ATC, STALLS, PRIS>
{
    /// Reads the 32-bit register at byte `offset` from the SMMU base.
    ///
    /// Implemented: `IDR0`-`IDR5`, `IIDR`, `AIDR`, `CR0`, `CR0ACK`, `CR1`,
    /// `CR2`, `GBPA`, `IRQ_CTRL`, `IRQ_CTRLACK`, `GERROR`, `GERRORN`, the
    /// three `*_IRQ_CFG0/1/2` sets, `STRTAB_BASE`, `STRTAB_BASE_CFG`, the
    /// `CMDQ`, `EVENTQ` and `PRIQ` `BASE`, `PROD` and `CONS` (the event and
    /// PRI queue `PROD`/`CONS` in page 1 only). A 64-bit register reads as
    /// two 32-bit halves (`offset` and `offset + 4`). Everything else,
    /// including misaligned offsets, reads as zero.
    pub fn read32(&self, offset: usize) -> u32 {
        if offset & 3 != 0 || offset >= REG_FRAME_SIZE {
            return 0;
        }
        let r = &self.regs;
        let hi = offset & 7 == 4;
        let base64 = offset & !7;
        match offset {
            off::IDR0 => return self.ids.idr0.raw(),
            off::IDR1 => return self.ids.idr1.raw(),
            off::IDR3 => return self.ids.idr3.raw(),
            off::IDR5 => return self.ids.idr5.raw(),
            off::IIDR => return self.ids.iidr.raw(),
            off::AIDR => return self.ids.aidr.raw(),
            off::CR0 | off::CR0ACK => return r.cr0,
            off::CR1 => return r.cr1,
            off::CR2 => return r.cr2,
            off::GBPA => return r.gbpa,
            off::IRQ_CTRL | off::IRQ_CTRLACK => return r.irq_ctrl,
            off::GERROR => return r.gerror,
            off::GERRORN => return r.gerrorn,
            off::GERROR_IRQ_CFG1 => return r.gerror_irq.data,
            off::GERROR_IRQ_CFG2 => return r.gerror_irq.attr,
            off::STRTAB_BASE_CFG => return r.strtab_base_cfg,
            off::CMDQ_PROD => return r.cmdq.prod,
            off::CMDQ_CONS => return r.cmdq.cons,
            off::EVENTQ_IRQ_CFG1 => return r.eventq_irq.data,
            off::EVENTQ_IRQ_CFG2 => return r.eventq_irq.attr,
            off::PRIQ_IRQ_CFG1 => return r.priq_irq.data,
            off::PRIQ_IRQ_CFG2 => return r.priq_irq.attr,
            off::EVENTQ_PROD => return r.eventq.prod,
            off::EVENTQ_CONS => return r.eventq.cons,
            off::PRIQ_PROD => return r.priq.prod,
            off::PRIQ_CONS => return r.priq.cons,
            _ => {}
        }
        match base64 {
            off::GERROR_IRQ_CFG0 => half(r.gerror_irq.addr, hi),
            off::STRTAB_BASE => half(r.strtab_base, hi),
            off::CMDQ_BASE => half(r.cmdq.base, hi),
            off::EVENTQ_BASE => half(r.eventq.base, hi),
            off::EVENTQ_IRQ_CFG0 => half(r.eventq_irq.addr, hi),
            off::PRIQ_BASE => half(r.priq.base, hi),
            off::PRIQ_IRQ_CFG0 => half(r.priq_irq.addr, hi),
            _ => 0,
        }
    }

    /// Reads 64 bits at `offset`: a 64-bit register, or two adjacent 32-bit
    /// registers (low word first).
    pub fn read64(&self, offset: usize) -> u64 {
        let lo = self.read32(offset);
        let hi = offset.checked_add(4).map_or(0, |o| self.read32(o));
        u64::from(lo) | (u64::from(hi) << 32)
    }

    /// Writes 64 bits at `offset`: a 64-bit register, or two adjacent 32-bit
    /// registers (low word first, with the side effects of each write).
    pub fn write64<M: PhysMem + ?Sized>(&mut self, mem: &M, offset: usize, value: u64) {
        if offset & 7 == 0 && self.write_reg64(offset, value) {
            return;
        }
        self.write32(mem, offset, value as u32);
        if let Some(o) = offset.checked_add(4) {
            self.write32(mem, o, (value >> 32) as u32);
        }
    }

    /// Writes a whole 64-bit register; false if `offset` is not one.
    fn write_reg64(&mut self, offset: usize, value: u64) -> bool {
        match self.regs.reg64_mut(offset) {
            Some(reg) => {
                store(reg, value, &mut self.stats.ignored_writes);
                true
            }
            None => false,
        }
    }

    /// Writes the 32-bit register at byte `offset`, with its side effects:
    /// `CR0` enables (command consumption starts when `CMDQEN` is set,
    /// stalled transactions are aborted when `SMMUEN` is cleared), `GBPA`
    /// with `Update`, `GERRORN` acknowledgements (a command queue error
    /// acknowledged restarts consumption at `CMDQ_CONS`), `CMDQ_PROD`
    /// (commands are consumed synchronously), and the event and PRI queue
    /// `CONS` registers (overflow acknowledgement). Writes to read-only or
    /// unknown registers are ignored.
    pub fn write32<M: PhysMem + ?Sized>(&mut self, mem: &M, offset: usize, value: u32) {
        if offset & 3 != 0 || offset >= REG_FRAME_SIZE {
            return;
        }
        let cr0 = self.regs.cr0();
        match offset {
            off::CR0 => return self.write_cr0(mem, value),
            off::CR2 => {
                if cr0.smmuen() {
                    bump(&mut self.stats.ignored_writes);
                } else {
                    let mut v = Cr2::from_raw(0).with_recinvsid(Cr2::from_raw(value).recinvsid());
                    if self.cfg.btm {
                        v = v.with_ptm(Cr2::from_raw(value).ptm());
                    }
                    if self.cfg.hyp {
                        v = v.with_e2h(Cr2::from_raw(value).e2h());
                    }
                    self.regs.cr2 = v.raw();
                }
                return;
            }
            off::GBPA => {
                if Gbpa::from_raw(value).update() {
                    self.regs.gbpa = value & GBPA_MASK;
                } else {
                    bump(&mut self.stats.ignored_writes);
                }
                return;
            }
            off::IRQ_CTRL => {
                let mut v = value & IRQ_CTRL_MASK;
                if self.cfg.pri {
                    v |= value & IRQ_CTRL_PRIQ;
                }
                self.regs.irq_ctrl = v;
                return;
            }
            off::GERRORN => {
                self.regs.gerrorn = value & Gerror::ERR_MASK;
                // An acknowledged command queue error restarts consumption.
                self.process_cmdq(mem);
                return;
            }
            off::CMDQ_PROD => {
                self.regs.cmdq.prod = value & QPTR_MASK;
                self.process_cmdq(mem);
                return;
            }
            _ => {}
        }
        if let Some(reg) = self.regs.reg32_mut(offset) {
            return store(reg, value, &mut self.stats.ignored_writes);
        }
        let base64 = offset & !7;
        let hi = offset & 7 == 4;
        let cur = self.reg64(base64);
        if !self.write_reg64(base64, set_half(cur, hi, value)) {
            bump(&mut self.stats.ignored_writes);
        }
    }

    fn reg64(&self, offset: usize) -> u64 {
        u64::from(self.read32(offset)) | (u64::from(self.read32(offset + 4)) << 32)
    }

    fn write_cr0<M: PhysMem + ?Sized>(&mut self, mem: &M, value: u32) {
        let mut mask = Cr0::CMDQEN_BIT | Cr0::EVENTQEN_BIT | Cr0::SMMUEN_BIT;
        if self.cfg.pri {
            mask |= Cr0::PRIQEN_BIT;
        }
        if self.cfg.ats {
            mask |= Cr0::ATSCHK_BIT;
        }
        let old = self.regs.cr0();
        self.regs.cr0 = value & mask;
        let new = self.regs.cr0();
        if old.smmuen() && !new.smmuen() {
            self.abort_all_stalls();
        }
        if !old.cmdqen() && new.cmdqen() {
            self.process_cmdq(mem);
        }
    }

    /// Whether `SMMU_CR0.SMMUEN` is set.
    pub(super) fn smmu_enabled(&self) -> bool {
        self.regs.cr0().smmuen()
    }

    /// Geometry of the command queue.
    pub(super) fn cmdq_queue(&self) -> Queue {
        self.regs.cmdq.queue(self.cfg.cmdqs)
    }

    /// Whether global error `bit` is active (`GERROR` and `GERRORN`
    /// differ).
    pub(super) fn gerror_active(&self, bit: u32) -> bool {
        (self.regs.gerror ^ self.regs.gerrorn) & bit != 0
    }

    /// Activates global error `bit` (toggles it in `GERROR`) unless it is
    /// already active, and signals the GERROR interrupt.
    pub(super) fn raise_gerror<M: PhysMem + ?Sized>(&mut self, mem: &M, bit: u32) {
        if self.gerror_active(bit) {
            return;
        }
        self.regs.gerror ^= bit & Gerror::ERR_MASK;
        self.signal(mem, IrqLine::Gerror);
    }

    /// Stops the command queue with error `code` (`CMDQ_CONS.ERR`).
    pub(super) fn cmdq_error<M: PhysMem + ?Sized>(&mut self, mem: &M, code: u32) {
        bump(&mut self.stats.command_errors);
        let cons = self.regs.cmdq.cons & QPTR_MASK;
        self.regs.cmdq.cons = cons | ((code << CmdqCons::ERR.lo()) & CmdqCons::ERR_MASK);
        self.raise_gerror(mem, Gerror::CMDQ_ERR_BIT);
    }

    /// Signals interrupt `line` if enabled in `IRQ_CTRL`: counts it and, if
    /// MSIs are implemented and configured, performs the MSI write.
    pub(super) fn signal<M: PhysMem + ?Sized>(&mut self, mem: &M, line: IrqLine) {
        let ctrl = IrqCtrl::from_raw(self.regs.irq_ctrl);
        let (enabled, msi, abt_bit) = match line {
            IrqLine::Eventq => (
                ctrl.eventq_irqen(),
                self.regs.eventq_irq,
                Gerror::MSI_EVENTQ_ABT_ERR_BIT,
            ),
            IrqLine::Priq => (
                ctrl.priq_irqen(),
                self.regs.priq_irq,
                Gerror::MSI_PRIQ_ABT_ERR_BIT,
            ),
            IrqLine::Gerror => (
                ctrl.gerror_irqen(),
                self.regs.gerror_irq,
                Gerror::MSI_GERROR_ABT_ERR_BIT,
            ),
        };
        if !enabled {
            return;
        }
        match line {
            IrqLine::Eventq => bump(&mut self.irqs.eventq),
            IrqLine::Priq => bump(&mut self.irqs.priq),
            IrqLine::Gerror => bump(&mut self.irqs.gerror),
        }
        if self.cfg.msi && msi.addr != 0 && !self.msi_write(mem, msi.addr, msi.data) {
            let bit = abt_bit;
            if line == IrqLine::Gerror {
                // No further interrupt for a failed GERROR MSI.
                if !self.gerror_active(bit) {
                    self.regs.gerror ^= bit;
                }
            } else {
                self.raise_gerror(mem, bit);
            }
        }
    }

    /// Performs a 32-bit MSI write; false if it aborted.
    pub(super) fn msi_write<M: PhysMem + ?Sized>(&mut self, mem: &M, addr: u64, data: u32) -> bool {
        match mem.write_bytes(addr, &data.to_le_bytes()) {
            Ok(()) => {
                bump(&mut self.irqs.msi_writes);
                true
            }
            Err(_) => {
                bump(&mut self.stats.msi_aborts);
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The masks derived from the register layouts are the architected
    /// writable bits.
    #[test]
    fn register_masks() {
        assert_eq!(CR1_MASK, 0xfff);
        assert_eq!(GBPA_MASK, 0x001f_3f1f);
        assert_eq!(IRQ_ADDR_MASK, 0x000f_ffff_ffff_fffc);
        assert_eq!(IRQ_CFG2_MASK, 0x3f);
        assert_eq!(STRTAB_BASE_MASK, (1 << 62) | 0x000f_ffff_ffff_ffc0);
        assert_eq!(STRTAB_CFG_MASK, 0x3_07ff);
        assert_eq!(QBASE_MASK, (1 << 62) | 0x000f_ffff_ffff_ffff);
        assert_eq!(QBASE_ADDR, 0x000f_ffff_ffff_ffe0);
        assert_eq!((IRQ_CTRL_MASK, IRQ_CTRL_PRIQ), (0b101, 0b010));
        assert_eq!(INQ_PTR_MASK, 0x800f_ffff);
    }
}
